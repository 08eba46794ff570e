"""What numbering runs safely across machines costs a local pass: `start_run` (max + 1 taken in the claim turn,
warehouse/claims.py) against the plain max + 1 insert it replaced, on the same embedded lake, in the same run.

    python bench/run_ids.py [--runs 30]

Both are timed alternately, `--runs` times each, after one warm-up; printed: the median milliseconds per run row.
A pass calls `start_run` once, so the difference is what every pass pays.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import warehouse as wh
from warehouse.store import next_id


def plain_max_plus_one(warehouse: wh.Warehouse) -> None:
    with warehouse.transaction() as con:
        run_id = next_id(con, "runs", "run_id")
        con.execute(
            "INSERT INTO runs (run_id, started_at, status, sources) VALUES (?, ?, 'completed', 1)",
            [run_id, datetime.now(UTC).replace(tzinfo=None)],
        )


def in_the_claim_turn(warehouse: wh.Warehouse) -> None:
    wh.start_run(warehouse, datetime.now(UTC), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, wh.open_warehouse(Path(folder) / "newsmon.duckdb") as warehouse:
        plain_max_plus_one(warehouse)
        in_the_claim_turn(warehouse)
        timings: dict[str, list[float]] = {"plain max + 1 (baseline)": [], "start_run, in the claim turn": []}
        for _ in range(args.runs):
            for seconds, write in zip(timings.values(), (plain_max_plus_one, in_the_claim_turn), strict=True):
                started = time.perf_counter()
                write(warehouse)
                seconds.append(time.perf_counter() - started)
        for name, seconds in timings.items():
            print(f"{name:30} {statistics.median(seconds) * 1000:7.1f} ms per run row (median of {args.runs})")


if __name__ == "__main__":
    main()
