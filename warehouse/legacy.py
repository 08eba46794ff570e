"""Moving a single-file warehouse of earlier versions into the lake, once, every row kept and counted.

The old file is only read (attached READ_ONLY) and is left where it was: the user deletes it after checking the
counts `newsmon migrate` prints. The move is recorded in `legacy_imports`, so it never happens twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from newsmon.errors import WarehouseError

if TYPE_CHECKING:
    from warehouse.connect import Warehouse

log = logging.getLogger(__name__)

_ALIAS = "newsmon_legacy"
_BOOKKEEPING = ("schema_migrations", "legacy_imports")


@dataclass(frozen=True, slots=True)
class LegacyMove:
    """What was moved from the old file: rows per table, as counted in the old file and found in the lake."""

    source: Path
    rows: dict[str, int]
    moved_now: bool  # False when an earlier run had moved it already


class LegacyMoveRefused(WarehouseError):
    pass


def _ensure_bookkeeping(warehouse: Warehouse) -> None:
    warehouse.execute(
        "CREATE TABLE IF NOT EXISTS legacy_imports "
        "(source VARCHAR NOT NULL, table_name VARCHAR NOT NULL, rows BIGINT NOT NULL, imported_at TIMESTAMP NOT NULL)"
    )


def _moved_before(warehouse: Warehouse, source: Path) -> dict[str, int] | None:
    rows = warehouse.rows("SELECT table_name, rows FROM legacy_imports WHERE source = ?", [str(source)])
    return {str(name): int(count) for name, count in rows} if rows else None


def _lake_tables(warehouse: Warehouse) -> list[str]:
    rows = warehouse.rows(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake' AND schema_name = 'main' ORDER BY 1"
    )
    return [str(r[0]) for r in rows if r[0] not in _BOOKKEEPING]


def _columns(warehouse: Warehouse, database: str, table: str) -> list[str]:
    rows = warehouse.rows(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main' "
        "AND table_name = ? ORDER BY column_index",
        [database, table],
    )
    return [str(r[0]) for r in rows]


def pending_legacy_version(warehouse: Warehouse) -> int | None:
    """The schema version of an old file still to be moved in, or None (no file, or moved already)."""
    source = warehouse.config.path
    if not source.is_file():
        return None
    _ensure_bookkeeping(warehouse)
    if _moved_before(warehouse, source) is not None:
        return None
    _attach(warehouse, source)
    try:
        row = warehouse.rows(f"SELECT coalesce(max(version), 0) FROM {_ALIAS}.main.schema_migrations")
    except duckdb.Error:
        return 0  # no schema_migrations: the move copies what tables there are
    finally:
        warehouse.execute(f"DETACH {_ALIAS}")
    return int(row[0][0])


def _attach(warehouse: Warehouse, source: Path) -> None:
    quoted = str(source).replace("'", "''")
    try:
        warehouse.execute(f"ATTACH '{quoted}' AS {_ALIAS} (READ_ONLY)")
    except duckdb.Error as exc:
        raise WarehouseError(
            f"{source}: cannot read the old warehouse to move it into the lake (is an older newsmon still running "
            f"on it?): {str(exc).splitlines()[0][:200]}"
        ) from exc


def move_legacy_file(warehouse: Warehouse, *, required: bool = False) -> LegacyMove | None:
    """Copy every table of the old DuckDB file at `[warehouse] path` into the lake, in one transaction, then check
    the counts. Nothing to do (None) when there is no old file. Refused, with the reason, when the lake already holds
    articles of its own: merging two histories is not a move. With `required` a refusal is raised; otherwise it is
    logged and the pass goes on with the lake as it is."""
    source = warehouse.config.path
    if not source.is_file():
        return None
    _ensure_bookkeeping(warehouse)
    earlier = _moved_before(warehouse, source)
    if earlier is not None:
        return LegacyMove(source, earlier, moved_now=False)
    try:
        return _move(warehouse, source)
    except LegacyMoveRefused as exc:
        if required:
            raise
        log.warning("%s", exc)
        return None


def _move(warehouse: Warehouse, source: Path) -> LegacyMove:
    own = warehouse.rows("SELECT (SELECT count(*) FROM articles) + (SELECT count(*) FROM runs)")[0][0]
    if own:
        raise LegacyMoveRefused(
            f"{source}: not moved into the lake, which already holds articles or runs of its own ({warehouse.label}); "
            "point [warehouse] path elsewhere, or move the old file into an empty lake"
        )
    _attach(warehouse, source)
    try:
        counts = _copy_tables(warehouse, source)
    finally:
        warehouse.execute(f"DETACH {_ALIAS}")
    log.warning(
        "moved %s rows from %s into the lake (%s); the old file is left in place: delete it once checked",
        sum(counts.values()), source, warehouse.label,
    )  # fmt: skip
    return LegacyMove(source, counts, moved_now=True)


def _copy_tables(warehouse: Warehouse, source: Path) -> dict[str, int]:
    legacy_tables = {
        str(r[0])
        for r in warehouse.rows(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'", [_ALIAS]
        )
    }
    counts: dict[str, int] = {}
    now = datetime.now(UTC).replace(tzinfo=None)
    with warehouse.transaction() as con:
        for table in _lake_tables(warehouse):
            if table not in legacy_tables:
                continue
            theirs = set(_columns(warehouse, _ALIAS, table))
            columns = ", ".join(f'"{c}"' for c in _columns(warehouse, "lake", table) if c in theirs)
            con.execute(f'INSERT INTO lake.main."{table}" ({columns}) SELECT {columns} FROM {_ALIAS}.main."{table}"')
            expected = con.execute(f'SELECT count(*) FROM {_ALIAS}.main."{table}"').fetchone()
            found = con.execute(f'SELECT count(*) FROM lake.main."{table}"').fetchone()
            assert expected is not None and found is not None
            if expected[0] != found[0]:
                raise WarehouseError(
                    f"{source}: moving {table} into the lake found {found[0]} rows, expected {expected[0]}; "
                    "nothing was moved"
                )
            counts[table] = int(expected[0])
            con.execute("INSERT INTO legacy_imports VALUES (?, ?, ?, ?)", [str(source), table, counts[table], now])
    return counts
