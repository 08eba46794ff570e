"""Where the warehouse lives: a DuckLake (a SQL catalog plus Parquet data files) and the SQL that opens it.

The same statements open the embedded default (a SQLite catalog file and a data folder under data/) and team mode
(a PostgreSQL catalog and an S3 data path): only the catalog string and the data path differ.

Why SQLite for the embedded catalog (`python bench/catalogs.py` measures it): a DuckDB-file catalog admits one
process, so an analyst's session would lock out every pass; a SQLite catalog in its default rollback journal lets a
reader's open transaction hold up a writer's commit until the reader ends; in WAL mode the writer commits at once and
the reader keeps its snapshot. newsmon therefore creates the SQLite catalog in WAL mode.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb

from newsmon.config import WarehouseConfig
from newsmon.errors import WarehouseError

LAKE = "lake"
"""The name the lake is attached under in every session newsmon opens, and in what `newsmon attach` prints."""

_EXTENSION_PACKAGES = {
    "ducklake": "duckdb_extension_ducklake",
    "sqlite_scanner": "duckdb_extension_sqlite_scanner",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "httpfs": "duckdb_extension_httpfs",
}
_CATALOG_PASSWORD_ENV = "NEWSMON_CATALOG_PASSWORD"
_KEY_ID_ENV = "AWS_ACCESS_KEY_ID"
_SECRET_ENV = "AWS_SECRET_ACCESS_KEY"


@dataclass(frozen=True, slots=True)
class LakeStatements:
    """What opens the warehouse: extensions to load, then statements to run (secrets stay out of `statements`)."""

    extensions: tuple[str, ...]
    statements: tuple[str, ...]


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def extension_file(name: str) -> Path:
    """The extension as shipped in its pip wheel (duckdb-extension-<name>): nothing is downloaded at run time."""
    package = _EXTENSION_PACKAGES[name]
    try:
        folder = resources.files(package)
    except ModuleNotFoundError:
        raise WarehouseError(
            f"the DuckDB extension {name} is not installed; install the {package.replace('_', '-')} wheel "
            f"for duckdb {duckdb.__version__}"
        ) from None
    path = Path(str(folder)) / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise WarehouseError(f"{path}: the {name} extension for duckdb {duckdb.__version__} is missing from its wheel")
    return path


def is_remote(data_path: str) -> bool:
    return "://" in data_path


def is_postgres(catalog: str) -> bool:
    return catalog.startswith("postgres:")


def sqlite_catalog_file(catalog: str) -> Path | None:
    """The SQLite file of an embedded catalog (`sqlite:PATH`), else None."""
    return Path(catalog.removeprefix("sqlite:")) if catalog.startswith("sqlite:") else None


def lake_statements(config: WarehouseConfig, *, read_only: bool) -> LakeStatements:
    """The statements that attach the lake as `lake` and make it the default database."""
    extensions = ["ducklake"]
    statements = []
    if is_postgres(config.catalog):
        extensions.append("postgres_scanner")
    else:
        extensions.append("sqlite_scanner")
    if is_remote(config.data_path):
        extensions.append("httpfs")
        # The keys are the environment's: getenv() in the duckdb CLI (Python clients register os.getenv under that
        # name); newsmon puts the values in itself (`_with_secrets`), so no secret is ever printed or written.
        options = [f"KEY_ID getenv('{_KEY_ID_ENV}')", f"SECRET getenv('{_SECRET_ENV}')"]
        options += [f"ENDPOINT {sql_string(config.s3_endpoint)}"] if config.s3_endpoint else []
        options += [f"URL_STYLE {sql_string(config.s3_url_style)}", f"USE_SSL {str(config.s3_use_ssl).lower()}"]
        statements.append(f"CREATE OR REPLACE SECRET newsmon_data (TYPE s3, {', '.join(options)})")
    attach_options = [f"DATA_PATH {sql_string(config.data_path)}"]
    if read_only:
        attach_options.append("READ_ONLY")
    statements.append(f"ATTACH {sql_string('ducklake:' + config.catalog)} AS {LAKE} ({', '.join(attach_options)})")
    statements.append(f"USE {LAKE}")
    return LakeStatements(tuple(extensions), tuple(statements))


def _with_secrets(statement: str) -> str:
    """A statement as run in this process: each getenv('AWS_…') replaced by the environment's value."""
    for variable in (_KEY_ID_ENV, _SECRET_ENV):
        statement = statement.replace(f"getenv('{variable}')", sql_string(os.environ.get(variable, "")))
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if statement.startswith("CREATE OR REPLACE SECRET newsmon_data") and region:
        statement = statement[:-1] + f", REGION {sql_string(region)})"
    return statement


def catalog_secret_statement(config: WarehouseConfig) -> str | None:
    """The PostgreSQL password from $NEWSMON_CATALOG_PASSWORD as an in-memory secret; without it libpq's own
    environment (PGPASSWORD, ~/.pgpass) applies."""
    password = os.environ.get(_CATALOG_PASSWORD_ENV)
    if not is_postgres(config.catalog) or not password:
        return None
    return f"CREATE OR REPLACE SECRET (TYPE postgres, PASSWORD {sql_string(password)})"


def prepare_embedded_catalog(config: WarehouseConfig) -> None:
    """Create the folders of an embedded lake, and its SQLite catalog in WAL mode (readers never block a pass)."""
    catalog_file = sqlite_catalog_file(config.catalog)
    if catalog_file is None:
        return
    try:
        catalog_file.parent.mkdir(parents=True, exist_ok=True)
        if not is_remote(config.data_path):
            Path(config.data_path).mkdir(parents=True, exist_ok=True)
        if not catalog_file.exists():
            with sqlite3.connect(catalog_file) as catalog:
                catalog.execute("PRAGMA journal_mode=WAL")
    except (OSError, sqlite3.Error) as exc:
        raise WarehouseError(f"{catalog_file}: cannot create the warehouse catalog: {exc}") from exc


_verified_extensions: set[tuple[str, int, int]] = set()
_verified_lock = threading.Lock()


def _file_identity(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path), stat.st_size, stat.st_mtime_ns)


def open_lake_connection(config: WarehouseConfig, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A DuckDB session (in memory) with the lake attached as `lake` and selected.

    DuckDB checks an extension's signature on every LOAD, ~0.3 s for the two a lake needs; a pass, a digest and
    the tests open the lake many times. The first load in this process checks it; later sessions load the same
    unchanged file (path, size, mtime) without checking again.
    """
    plan = lake_statements(config, read_only=read_only)
    files = [extension_file(name) for name in plan.extensions]
    identities = [_file_identity(path) for path in files]
    with _verified_lock:
        checked = all(identity in _verified_extensions for identity in identities)
    connection = duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_unsigned_extensions": checked,
        }
    )
    try:
        for path in files:
            connection.execute(f"LOAD {sql_string(str(path))}")
        with _verified_lock:
            _verified_extensions.update(identities)
        secret = catalog_secret_statement(config)
        if secret:
            connection.execute(secret)
        for statement in plan.statements:
            connection.execute(_with_secrets(statement))
    except BaseException:
        connection.close()
        raise
    return connection


def attach_script(config: WarehouseConfig) -> str:
    """SQL that opens the warehouse read-only in any DuckDB client of the same version (the CLI, Python, a notebook).

    Extensions load from this machine's wheels; on another machine `INSTALL` them by name instead. No secret is
    printed: the S3 keys and the catalog password are the client's own environment's (see docs/configuration.md).
    """
    plan = lake_statements(config, read_only=True)
    lines = [
        f"-- newsmon warehouse, read-only (DuckDB {duckdb.__version__}). On another machine replace the LOAD lines "
        f"with: {' '.join(f'INSTALL {name}; LOAD {name};' for name in plan.extensions)}",
    ]
    if is_postgres(config.catalog):
        lines.append("-- The catalog password comes from PGPASSWORD or ~/.pgpass, as for any libpq client.")
    if is_remote(config.data_path):
        lines.append(
            "-- The S3 keys come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY through getenv(), which the "
            "duckdb CLI has; in Python first run "
            "con.create_function('getenv', lambda name: os.environ.get(name, ''), [str], str)."
        )
    for name in plan.extensions:
        try:
            lines.append(f"LOAD {sql_string(str(extension_file(name)))};")
        except WarehouseError:
            lines.append(f"INSTALL {name}; LOAD {name};")
    lines.extend(f"{statement};" for statement in plan.statements)
    return "\n".join(lines) + "\n"
