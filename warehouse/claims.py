"""Exactly-once claims by the machines sharing a team pass, on a lake with no PRIMARY KEY, UNIQUE or sequence.

DuckLake commits optimistically: two transactions that only insert into a table never conflict, so "check, then
insert" alone would let two workers claim the same URL (or two passes take the same run number) at the same moment.
Every such write therefore also updates the one row of `claim_turn`: two in flight at once both change that row,
DuckLake refuses the second commit as a conflict, and the loser retries, now seeing the winner's rows. The writes
are serialised by the catalog itself, whichever machine makes them, at the cost of one small transaction per
claimed batch (never per article).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

import duckdb

from newsmon.errors import WarehouseError
from warehouse.connect import VARCHAR_LIST, Warehouse, as_json_list, retry_conflicts

T = TypeVar("T")


def ensure_claim_tables(warehouse: Warehouse) -> None:
    """The claim tables, created once (a table, not a migration: they are newsmon's bookkeeping, not the contract)."""
    in_turn(warehouse, lambda con: None, "create the claim tables")


def take_turn(con: duckdb.DuckDBPyConnection) -> None:
    """Within a transaction: make it conflict with every other transaction that takes the turn at the same time."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS url_claims "
        "(url VARCHAR NOT NULL, run_id INTEGER NOT NULL, worker VARCHAR NOT NULL, claimed_at TIMESTAMP NOT NULL)"
    )
    con.execute("CREATE TABLE IF NOT EXISTS claim_turn (turn BIGINT NOT NULL)")
    con.execute("INSERT INTO claim_turn SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM claim_turn)")
    con.execute("UPDATE claim_turn SET turn = turn + 1")  # the row every concurrent turn-taker contends for


def in_turn(warehouse: Warehouse, write: Callable[[duckdb.DuckDBPyConnection], T], what: str) -> T:
    """Run `write` in a transaction that takes the turn: committed only if no other turn-taker committed meanwhile,
    else run again (after a little random wait) on what the winner wrote. `what` names the write in the error."""

    @retry_conflicts
    def turn(warehouse: Warehouse) -> T:
        with warehouse.transaction() as con:
            take_turn(con)
            return write(con)

    try:
        return turn(warehouse)
    except WarehouseError as exc:
        raise WarehouseError(f"{warehouse.label}: could not {what}: {exc}") from exc


def claim_urls(warehouse: Warehouse, run_id: int, worker: str, urls: Sequence[str]) -> list[str]:
    """The URLs of `urls` this worker now holds for the pass `run_id`: those no worker had claimed in that pass.

    A URL is granted to exactly one worker per pass, however many ask at once (see the module's docstring).
    """
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return []

    def claim(con: duckdb.DuckDBPyConnection) -> list[str]:
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

    return in_turn(warehouse, claim, f"claim {len(wanted)} URLs")


def forget_claims(warehouse: Warehouse, run_id: int) -> None:
    """Drop a finished pass's claims: the articles it stored now keep their URLs from being fetched again."""
    warehouse.execute("DELETE FROM url_claims WHERE run_id = ?", [run_id])


def claimed_by(warehouse: Warehouse, run_id: int) -> dict[str, str]:
    """URL → worker, for one pass."""
    rows = warehouse.rows("SELECT url, worker FROM url_claims WHERE run_id = ?", [run_id])
    return {str(url): str(worker) for url, worker in rows}
