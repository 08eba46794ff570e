"""The errors newsmon raises on purpose. The CLI prints these as `Error: …` and exits 1; anything else is a bug.

    NewsmonError
    ├── ConfigError            the config file or a CLI input is wrong: the message names file, source and key
    ├── WarehouseError         the DuckDB file cannot be opened, migrated or written
    │   ├── WarehouseLocked    another process holds the file (a pass already running, or a session on the live file)
    │   └── MigrationFailed
    ├── PassAlreadyRunning     another `newsmon run` or `serve` pass holds the pass lock
    └── DigestError            a digest or alert could not be sent
"""

from __future__ import annotations


class NewsmonError(Exception):
    """Base of every error newsmon raises for the user to read."""


class ConfigError(NewsmonError):
    pass


class WarehouseError(NewsmonError):
    pass


class WarehouseLocked(WarehouseError):
    pass


class MigrationFailed(WarehouseError):
    pass


class PassAlreadyRunning(NewsmonError):
    pass


class DigestError(NewsmonError):
    pass
