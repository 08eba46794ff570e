"""Exactly-once claims of article URLs by the workers sharing a pass, on a lake with no PRIMARY KEY or UNIQUE.

DuckLake commits optimistically: two transactions that only insert into a table never conflict, so "check, then
insert" alone would let two workers claim the same URL at the same moment. Every claim therefore also updates the
one row of `claim_turn`: two claims in flight at once both change that row, DuckLake refuses the second commit as a
conflict, and the loser retries, now seeing the winner's claims. Claims are serialised by the catalog itself,
whichever machine makes them, at the cost of one small transaction per claimed batch (never per article).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb

from newsmon.errors import WarehouseError
from warehouse.connect import VARCHAR_LIST, Warehouse, as_json_list

ATTEMPTS = 50


def ensure_claim_tables(warehouse: Warehouse) -> None:
    """The claim tables, created once (a table, not a migration: they are newsmon's bookkeeping, not the contract)."""
    with warehouse.transaction() as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS url_claims "
            "(url VARCHAR NOT NULL, run_id INTEGER NOT NULL, worker VARCHAR NOT NULL, claimed_at TIMESTAMP NOT NULL)"
        )
        con.execute("CREATE TABLE IF NOT EXISTS claim_turn (turn BIGINT NOT NULL)")
        con.execute("INSERT INTO claim_turn SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM claim_turn)")


def claim_urls(warehouse: Warehouse, run_id: int, worker: str, urls: Sequence[str]) -> list[str]:
    """The URLs of `urls` this worker now holds for the pass `run_id`: those no worker had claimed in that pass.

    A URL is granted to exactly one worker per pass, however many ask at once (see the module's docstring).
    """
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return []
    for attempt in range(ATTEMPTS):
        try:
            with warehouse.transaction() as con:
                con.execute("UPDATE claim_turn SET turn = turn + 1")  # the row every concurrent claim contends for
                taken = {
                    row[0]
                    for row in con.execute(
                        f"SELECT url FROM url_claims WHERE run_id = ? AND url IN (SELECT unnest({VARCHAR_LIST}))",
                        [run_id, as_json_list(wanted)],
                    ).fetchall()
                }
                granted = [url for url in wanted if url not in taken]
                if granted:
                    con.execute(
                        f"INSERT INTO url_claims SELECT unnest({VARCHAR_LIST}), ?, ?, ?",
                        [as_json_list(granted), run_id, worker, datetime.now(UTC).replace(tzinfo=None)],
                    )
            return granted
        except duckdb.TransactionException:
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # another worker's claim went first
    raise WarehouseError(f"{warehouse.label}: could not claim {len(wanted)} URLs after {ATTEMPTS} conflicts")


def claimed_by(warehouse: Warehouse, run_id: int) -> dict[str, str]:
    """URL → worker, for one pass."""
    rows = warehouse.rows("SELECT url, worker FROM url_claims WHERE run_id = ?", [run_id])
    return {str(url): str(worker) for url, worker in rows}
