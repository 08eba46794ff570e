"""Opening the lake: numbered migrations applied at start-up, an old single-file warehouse moved in once."""

from __future__ import annotations

import functools
import json
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import duckdb

from newsmon.config import WarehouseConfig
from newsmon.errors import MigrationFailed, WarehouseError
from warehouse.lake import LAKE, is_remote, open_lake_connection, prepare_embedded_catalog, sqlite_catalog_file
from warehouse.legacy import LegacyMove, move_legacy_file, pending_legacy_version

P = ParamSpec("P")
R = TypeVar("R")

CONSISTENT_READ_ATTEMPTS = 5
"""Reads of one query a lake upkeep may set aside; an upkeep commits one merge and one rewrite per run."""

MERGE_CHANGES = ("merge_adjacent", "rewrite_delete")
"""The keys of `lake.snapshots()` changes that mark a snapshot rewriting tables' files (the upkeep's merges)."""


def _current_snapshot(connection: duckdb.DuckDBPyConnection) -> int:
    """The lake snapshot the connection's transaction reads, fixed for the transaction by this call."""
    row = connection.execute(f"SELECT id FROM {LAKE}.current_snapshot()").fetchone()
    if row is None:
        raise WarehouseError(f"{LAKE}.current_snapshot() gave no row: the lake is not attached as {LAKE}")
    return int(row[0])


def _merged_since(connection: duckdb.DuckDBPyConnection, snapshot: int) -> bool:
    """Whether a merge of data files committed after `snapshot` (read in a new transaction, so up to now)."""
    if _current_snapshot(connection) == snapshot:
        return False  # nothing committed since: the cheap, usual case
    merges = " OR ".join(f"map_contains(changes, '{key}')" for key in MERGE_CHANGES)
    row = connection.execute(
        f"SELECT count(*) FROM {LAKE}.snapshots() WHERE snapshot_id > ? AND ({merges})", [snapshot]
    ).fetchone()
    return row is not None and int(row[0]) > 0


class Warehouse:
    """One DuckDB session on the lake, shared by a pass's threads under a lock.

    DuckDB runs one transaction per connection at a time, and a pass writes from several threads.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection, config: WarehouseConfig, read_only: bool) -> None:
        self.connection = connection
        self.config = config
        self.label = config.label
        self.read_only = read_only
        self.lock = threading.RLock()
        self._in_transaction = False  # only changed by the thread holding the lock
        # Written by other processes at the same moment (a shard of a team pass): stores then take the claim turn
        # (warehouse/claims.py), so two machines never both store one story found under two URLs.
        self.shared = False

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction: committed whole or rolled back whole, so a crash leaves no half-written batch.

        A transaction opened inside another (by the same thread, which holds the lock) joins it: the writes of
        both commit together (see `one_commit`).
        """
        with self.lock:
            if self._in_transaction:
                yield self.connection
                return
            self.connection.execute("BEGIN TRANSACTION")
            self._in_transaction = True
            try:
                yield self.connection
            except BaseException:
                self._in_transaction = False
                self.connection.execute("ROLLBACK")
                raise
            self._in_transaction = False
            self.connection.execute("COMMIT")

    @contextmanager
    def one_commit(self) -> Iterator[None]:
        """The writes made inside commit together, as one transaction: on the lake every commit costs tens of
        milliseconds of catalog work, so a pass joins the writes that end a source. Not while other processes
        write at the same moment (`shared`): there each write keeps its own transaction, which `retry_conflicts`
        can run again alone after a conflict."""
        if self.shared:
            yield
            return
        with self.transaction():
            yield

    def execute(self, sql: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        with self.lock:
            return self.connection.execute(sql, params)

    def rows(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        return self.read(lambda connection: connection.execute(sql, params).fetchall())

    def read(self, query: Callable[[duckdb.DuckDBPyConnection], R]) -> R:
        """Run `query` (statements and fetch) on the session. On a read-only session, outside a transaction the
        caller opened with `transaction()`, it reads one snapshot that no lake upkeep merged during the read.

        DuckLake 1.5.5 reads a table as empty in a transaction whose snapshot was fixed before a merge of that
        table's files committed (`ducklake_merge_adjacent_files`, `ducklake_rewrite_data_files`). A single
        statement is such a transaction: it fixes its snapshot when it binds and lists a table's files when its
        scan starts, so one running while the upkeep commits a merge could answer from an empty table. The read
        therefore fixes its snapshot first, and when the lake's snapshots show a merge committed after it, the
        answer is set aside and the read runs again on the merged snapshot, which the merge no longer affects.
        """
        with self.lock:
            if not self.read_only or self._in_transaction:
                return query(self.connection)
            for _ in range(CONSISTENT_READ_ATTEMPTS):
                self.connection.execute("BEGIN TRANSACTION")
                snapshot = None
                try:
                    snapshot = _current_snapshot(self.connection)
                    answer = query(self.connection)
                except duckdb.Error:
                    self.connection.execute("ROLLBACK")
                    if snapshot is None or not _merged_since(self.connection, snapshot):
                        raise
                    continue  # the merge may have caused the error too: the read on its snapshot tells
                except BaseException:
                    self.connection.execute("ROLLBACK")
                    raise
                self.connection.execute("COMMIT")
                if not _merged_since(self.connection, snapshot):
                    return answer
            raise WarehouseError(
                f"{self.label}: the lake upkeep merged files during each of {CONSISTENT_READ_ATTEMPTS} reads of "
                "this query; run it again when the upkeep has finished"
            )

    def close(self) -> None:
        with self.lock:
            self.connection.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


CONFLICT_ATTEMPTS = 50


def retry_conflicts(write: Callable[Concatenate[Warehouse, P], R]) -> Callable[Concatenate[Warehouse, P], R]:
    """Run a write (one transaction) again when DuckLake refuses its commit for a conflict with another process's
    commit, such as two updates of one table's file: the transaction rolled back whole, so running it again on
    what the other process committed is safe. One process alone never conflicts, so a local pass never waits."""

    @functools.wraps(write)
    def again(warehouse: Warehouse, *args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                return write(warehouse, *args, **kwargs)
            except duckdb.TransactionException as exc:
                if attempt == CONFLICT_ATTEMPTS - 1:
                    raise WarehouseError(
                        f"{warehouse.label}: {write.__name__} conflicted with other writers {CONFLICT_ATTEMPTS} "
                        f"times: {first_line(exc)}"
                    ) from exc
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    return again  # type: ignore[return-value]  # functools.wraps keeps the signature; mypy cannot see it


VARCHAR_LIST = "from_json(?, '[\"VARCHAR\"]')"
"""SQL for a list of strings passed as one JSON parameter (`as_json_list`): `x IN (SELECT unnest(...))`."""


def as_json_list(values: Iterable[str]) -> str:
    """A list of strings as one JSON parameter, for VARCHAR_LIST.

    DuckDB's Python binding tries `import pandas` for every element of a list parameter; where pandas is not
    installed each try searches sys.path again: 100 URLs cost 5.5 ms instead of 0.8 ms.
    """
    return json.dumps(list(values), ensure_ascii=False)


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def insert_rows(
    con: Any, table: str, columns: dict[str, str], rows: Sequence[Sequence[Any]], absent_on: Sequence[str] = ()
) -> None:
    """Insert rows in one statement: the batch travels as one JSON parameter that DuckDB parses in C++.

    With `absent_on` (a key's columns), rows whose key the table already holds are left out: the lake has no
    PRIMARY KEY or ON CONFLICT, and the caller's transaction makes the check and the insert one step.
    Binding Python lists per column (`unnest(?)`) costs ~10× more, and executemany ~60× more.
    """
    if not rows:
        return
    names = list(columns)
    payload = json.dumps(
        [{name: _json_value(value) for name, value in zip(names, row, strict=True)} for row in rows],
        ensure_ascii=False,
    )
    shape = json.dumps([{name: (["VARCHAR"] if kind == "VARCHAR[]" else kind) for name, kind in columns.items()}])
    selected = ", ".join(f"r.{name}" for name in names)
    absent = ""
    if absent_on:
        match = " AND ".join(f"t.{key} = r.{key}" for key in absent_on)
        absent = f" WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"
    con.execute(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {selected} "
        f"FROM (SELECT unnest(from_json($1, '{shape}')) AS r){absent}",
        [payload],
    )


def check_writable(config: WarehouseConfig) -> None:
    """Fail before a pass contacts anyone, with the reason, if the embedded lake or the pass lock cannot be written:
    finding out after the pass would cost its work. (A PostgreSQL catalog or S3 data path is checked by opening.)"""
    if config.path.is_dir():
        raise WarehouseError(f"{config.path}: the warehouse path is a folder; name a file such as newsmon.duckdb")
    targets = []  # (folder, what it is called in the message)
    catalog_file = sqlite_catalog_file(config.catalog)
    if catalog_file is not None:
        if catalog_file.is_dir():
            raise WarehouseError(f"{catalog_file}: the warehouse catalog path is a folder; name a file in it")
        targets.append((catalog_file.parent, "the warehouse's folder"))
    targets.append((config.path.parent, "the pass lock's folder"))
    if not is_remote(config.data_path):
        targets.append((Path(config.data_path), "the warehouse data folder"))
    for folder, role in targets:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(f"{folder}: cannot create {role}: {exc.strerror or exc}") from exc
        if not os.access(folder, os.W_OK | os.X_OK):
            raise WarehouseError(f"{folder}: {role} is not writable by this user")


def lake_exists(config: WarehouseConfig) -> bool:
    """Whether an embedded lake has been created (a PostgreSQL catalog is assumed to exist)."""
    catalog_file = sqlite_catalog_file(config.catalog)
    return catalog_file is None or catalog_file.exists()


def open_warehouse(
    target: WarehouseConfig | Path, *, read_only: bool = False, migrate: bool = True, threads: int | None = None
) -> Warehouse:
    """Open the lake (creating it if needed), bring its schema up to date, and move an old single-file warehouse in.

    `target` is the [warehouse] config, or for tests and scripts the path that names an embedded lake beside it.
    `threads` caps DuckDB's own threads for this session (default: one per core).
    """
    config = target if isinstance(target, WarehouseConfig) else WarehouseConfig.beside(target)
    catalog_file = sqlite_catalog_file(config.catalog)
    if read_only and catalog_file is not None and not catalog_file.exists():
        hint = "Run `newsmon migrate` to move it in." if config.path.exists() else "Run `newsmon run` first."
        raise WarehouseError(f"{catalog_file}: no warehouse here yet. {hint}")
    if not read_only:
        prepare_embedded_catalog(config)
    try:
        connection = open_lake_connection(config, read_only=read_only)
        if threads is not None:
            connection.execute(f"SET threads = {int(threads)}")
    except duckdb.Error as exc:
        raise WarehouseError(f"{config.label}: cannot open the warehouse: {first_line(exc)}") from exc
    warehouse = Warehouse(connection, config, read_only)
    if migrate and not read_only:
        try:
            bring_up_to_date(warehouse)
        except BaseException:
            warehouse.close()
            raise
    return warehouse


def open_for_analysts(target: WarehouseConfig | Path) -> Warehouse:
    """The analysts' door (`newsmon sql`): the lake attached READ_ONLY, then DuckDB's own switches locked on.

    External access off means no file is written or read (COPY, EXPORT, read_text, ATTACH, INSTALL, LOAD), except
    in the lake's data path, the one allowed directory, since DuckLake reads its Parquet files through the same
    check; `run_sql` therefore lets queries only through, so nothing can write there either. The configuration lock
    means no SET can turn any of it back. Spill files go to the system's temporary folder.
    Each query reads one consistent snapshot.
    """
    warehouse = open_warehouse(target, read_only=True)
    try:
        spill = Path(tempfile.gettempdir()) / f"newsmon-sql-{os.getpid()}"
        warehouse.execute("SET temp_directory = ?", [str(spill)])
        warehouse.execute("SET allowed_directories = ?", [[warehouse.config.data_path]])
        warehouse.execute("SET enable_external_access = false")
        warehouse.execute("SET lock_configuration = true")
    except BaseException:
        warehouse.close()
        raise
    return warehouse


def first_line(exc: BaseException) -> str:
    """DuckDB's message whole, on one line: cutting it mid-word would hide what it meant."""
    return " ".join(str(exc).split())


def check_is_warehouse(path: Path) -> None:
    """Refuse, before a pass starts, a warehouse path that holds something other than a DuckDB database.

    A DuckDB file carries the magic bytes `DUCK` at offset 8; reading 12 bytes takes no lock, so this works while
    analysts or another pass hold the file.
    """
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(12)
    except OSError as exc:
        raise WarehouseError(f"{path}: cannot read the warehouse: {exc.strerror or exc}") from exc
    if header[8:12] != b"DUCK":
        raise WarehouseError(
            f"{path}: this file is not a DuckDB warehouse (damaged, or another kind of file). "
            "Move it aside and run again to start a new warehouse, or point [warehouse] path at the right file."
        )


def migration_files() -> list[tuple[int, str, str]]:
    """(number, name, sql) for every file in warehouse/migrations, in order."""
    folder = resources.files("warehouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def apply_migrations(warehouse: Warehouse, up_to: int | None = None) -> list[str]:
    """Apply, each in its own transaction, the migrations this lake has not seen (up to `up_to`, when given).
    Returns their names.

    Migrations run on DuckLake: no PRIMARY KEY, UNIQUE or sequences (store.py keeps keys unique by its writes).
    """
    warehouse.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL, name VARCHAR, applied_at TIMESTAMP)"
    )
    done = {row[0] for row in warehouse.rows("SELECT version FROM schema_migrations")}
    applied = []
    for version, name, sql in migration_files():
        if version in done or (up_to is not None and version > up_to):
            continue
        try:
            with warehouse.transaction() as con:
                con.execute(sql)
                con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [version, name, datetime.now(UTC).replace(tzinfo=None)],
                )
        except duckdb.Error as exc:
            raise MigrationFailed(f"{warehouse.label}: migration {name} failed: {exc}") from exc
        applied.append(name)
    return applied


def bring_up_to_date(warehouse: Warehouse, *, required: bool = False) -> tuple[list[str], LegacyMove | None]:
    """Migrations, with an old single file moved in at its own schema version: the migrations after that version
    then run on its rows too (006 gives old failures their reason). Returns the migrations applied and the move."""
    applied = []
    legacy_version = pending_legacy_version(warehouse)
    if legacy_version is not None:
        applied += apply_migrations(warehouse, up_to=legacy_version)
    moved = move_legacy_file(warehouse, required=required)
    applied += apply_migrations(warehouse)
    return applied, moved


def schema_version(warehouse: Warehouse) -> int:
    """The number of the last migration applied."""
    return int(warehouse.rows("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0])
