"""Lake upkeep as newsmon runs it: by hand (`newsmon maintain`), or after a pass at most once a day when
[warehouse] keep_snapshots_days is set. Under the pass lock, so no pass of this machine writes meanwhile."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import warehouse as wh
from newsmon.config import Config
from newsmon.errors import WarehouseError
from newsmon.passlock import pass_lock

log = logging.getLogger(__name__)


def maintain(config: Config, *, keep_days: int | None, wait_s: float = 0.0) -> wh.UpkeepOutcome:
    """One upkeep now. `keep_days` None keeps every snapshot (small files are still merged)."""
    with pass_lock(config.warehouse.path, wait_s=wait_s), wh.open_warehouse(config.warehouse) as warehouse:
        return wh.tidy_lake(warehouse, keep_days=keep_days)


def upkeep_after_pass(config: Config, warehouse: wh.Warehouse) -> wh.UpkeepOutcome | None:
    """The scheduled upkeep, run by a pass that has stored its articles and still holds the pass lock: when
    keep_snapshots_days is set and the last upkeep is a day old. A failure is logged, never the pass's failure:
    its articles are stored, and the next pass tries the upkeep again."""
    keep_days = config.warehouse.keep_snapshots_days
    if keep_days is None:
        return None
    now = datetime.now(UTC)
    try:
        if not wh.upkeep_due(warehouse, now):
            return None
        outcome = wh.tidy_lake(warehouse, keep_days=keep_days, now=now)
    except WarehouseError as exc:
        log.warning("lake upkeep skipped, tried again after the next pass: %s", exc)
        return None
    log.info("lake upkeep: %s", outcome.describe())
    return outcome
