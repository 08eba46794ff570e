"""Keeping the lake fit for years: small Parquet files merged, snapshots past the retention window expired, and
files that no snapshot needs any more deleted.

Every pass commits small batches, so after months the lake holds thousands of small files and snapshots; DuckLake
never merges or deletes anything by itself. The upkeep calls DuckLake's own maintenance functions in the order its
CHECKPOINT uses, less one:

1. `ducklake_expire_snapshots(older_than => now - keep_days)`, only when a window is given: time travel to an
   expired snapshot stops working; the latest snapshot is never expired.
2. `ducklake_merge_adjacent_files` and `ducklake_rewrite_data_files`: a table's small files become one file (files
   with many deleted rows are rewritten without them). The merged file keeps each row's snapshot, so time travel to
   every snapshot still kept gives the same rows as before.
3. `ducklake_cleanup_old_files` and `ducklake_delete_orphaned_files`, both `older_than => now - FILE_GRACE`: a file
   is deleted only a day after the lake let it go (merged away, or only needed by expired snapshots), so a query
   that was already reading it finishes; and a file a concurrent writer has not committed yet is never taken for
   an orphan.

Not called: `ducklake_flush_inlined_data` (small writes, such as a pass's runs row, are kept in the catalog by
DuckLake's data inlining). In duckdb 1.5.5 a flush drops the inlined-data tables while other sessions still name
them: every DuckDB session attached before the flush then fails on each query until it attaches again
(duckdb/ducklake#1305, #1413), and a flush racing an insert can duplicate rows (duckdb/ducklake#650).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from newsmon.errors import WarehouseError
from warehouse.connect import Warehouse, first_line
from warehouse.lake import LAKE

FILE_GRACE = timedelta(days=1)
"""How long a file the lake no longer needs stays on disk before the upkeep deletes it."""

UPKEEP_EVERY = timedelta(days=1)
"""The scheduled upkeep (after a pass, with [warehouse] keep_snapshots_days) runs at most this often."""


@dataclass(frozen=True, slots=True)
class UpkeepOutcome:
    """What one upkeep did. `live_files_*` count the data files the latest snapshot reads (what a query opens);
    `files_deleted` are files removed from the data path (let go at least FILE_GRACE earlier, or orphaned)."""

    started_at: datetime
    keep_days: int | None
    live_files_before: int
    live_files_after: int
    files_merged: int
    snapshots_before: int
    snapshots_expired: int
    files_deleted: int
    oldest_snapshot: datetime | None

    def describe(self) -> str:
        kept = (
            f"snapshots older than {self.keep_days} days expired: {self.snapshots_expired}"
            if self.keep_days is not None
            else "every snapshot kept (no --keep-days or [warehouse] keep_snapshots_days)"
        )
        oldest = f"{self.oldest_snapshot:%Y-%m-%d %H:%M} UTC" if self.oldest_snapshot else "none"
        return (
            f"data files read by a query: {self.live_files_before} -> {self.live_files_after} "
            f"({self.files_merged} merged); {kept}; oldest snapshot readable with AT (VERSION => ...): {oldest}; "
            f"files deleted: {self.files_deleted}"
        )


def ensure_upkeep_table(warehouse: Warehouse) -> None:
    """The upkeep's bookkeeping, created once (a table, not a migration: newsmon's bookkeeping, not the contract)."""
    warehouse.execute(
        "CREATE TABLE IF NOT EXISTS lake_upkeep (started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP NOT NULL, "
        "keep_days INTEGER, live_files_before INTEGER, live_files_after INTEGER, files_merged INTEGER, "
        "snapshots_expired INTEGER, files_deleted INTEGER)"
    )


def last_upkeep(warehouse: Warehouse) -> datetime | None:
    """When the last upkeep finished (UTC), or None if the lake has never had one."""
    exists = warehouse.rows(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = 'lake_upkeep'", [LAKE]
    )[0][0]
    if not exists:
        return None
    finished = warehouse.rows("SELECT max(finished_at) FROM lake_upkeep")[0][0]
    return finished.replace(tzinfo=UTC) if finished is not None else None


def upkeep_due(warehouse: Warehouse, now: datetime) -> bool:
    last = last_upkeep(warehouse)
    return last is None or now - last >= UPKEEP_EVERY


def live_data_files(warehouse: Warehouse) -> int:
    """Data files (and delete files) the latest snapshot reads, over every table."""
    row = warehouse.rows(
        "SELECT coalesce(sum(file_count), 0) + coalesce(sum(delete_file_count), 0) FROM ducklake_table_info(?)",
        [LAKE],
    )
    return int(row[0][0])


def snapshot_count(warehouse: Warehouse) -> int:
    return int(warehouse.rows(f"SELECT count(*) FROM {LAKE}.snapshots()")[0][0])


def oldest_snapshot(warehouse: Warehouse) -> datetime | None:
    moment = warehouse.rows(f"SELECT min(snapshot_time) FROM {LAKE}.snapshots()")[0][0]
    return moment.astimezone(UTC) if moment is not None else None


def tidy_lake(warehouse: Warehouse, *, keep_days: int | None, now: datetime | None = None) -> UpkeepOutcome:
    """Merge small files, expire snapshots older than `keep_days` (None: keep every snapshot), delete files no
    snapshot needs. The caller holds the pass lock, so no pass of this machine writes meanwhile; readers go on.

    Each DuckLake call commits on its own: an upkeep stopped half-way leaves a consistent lake, and the next one
    carries on. `now` is the moment the windows are measured from (tests move it forward).
    """
    if keep_days is not None and keep_days < 1:
        raise WarehouseError(f"keep {keep_days} days of snapshots: keep at least 1 day (readers use the latest ones)")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        ensure_upkeep_table(warehouse)
        files_before = live_data_files(warehouse)
        snapshots_before = snapshot_count(warehouse)
        expired = deleted = 0
        if keep_days is not None:
            expired = len(
                warehouse.rows(
                    "CALL ducklake_expire_snapshots(?, older_than => ?)", [LAKE, moment - timedelta(days=keep_days)]
                )
            )
        merged = sum(int(row[2]) for row in warehouse.rows("CALL ducklake_merge_adjacent_files(?)", [LAKE]))
        merged += sum(int(row[2]) for row in warehouse.rows("CALL ducklake_rewrite_data_files(?)", [LAKE]))
        for cleanup in ("ducklake_cleanup_old_files", "ducklake_delete_orphaned_files"):
            deleted += len(warehouse.rows(f"CALL {cleanup}(?, older_than => ?)", [LAKE, moment - FILE_GRACE]))
        outcome = UpkeepOutcome(
            started_at=moment,
            keep_days=keep_days,
            live_files_before=files_before,
            live_files_after=live_data_files(warehouse),
            files_merged=merged,
            snapshots_before=snapshots_before,
            snapshots_expired=expired,
            files_deleted=deleted,
            oldest_snapshot=oldest_snapshot(warehouse),
        )
        warehouse.execute(
            "INSERT INTO lake_upkeep VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [_naive(moment), _naive(max(moment, datetime.now(UTC))), keep_days, outcome.live_files_before,
             outcome.live_files_after, merged, expired, deleted],
        )  # fmt: skip
    except duckdb.Error as exc:
        raise WarehouseError(f"{warehouse.label}: lake upkeep failed: {first_line(exc)}") from exc
    return outcome


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
