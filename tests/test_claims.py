"""Workers sharing a pass claim article URLs exactly once, though the lake has no UNIQUE: the race, for real."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import write_config

URLS = [f"https://news.localhost/story-{i:03d}" for i in range(60)]

CLAIMER = textwrap.dedent(
    """
    import json, sys, time
    import warehouse as wh
    from warehouse.claims import claim_urls
    from newsmon.config import load_config
    config, worker, urls = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    with wh.open_warehouse(load_config(config).warehouse) as warehouse:
        print("ready", flush=True)
        sys.stdin.readline()  # every worker has opened the lake: go
        granted = []
        for first in range(0, len(urls), 3):  # batches, as sources hand over their new items between fetches
            granted += claim_urls(warehouse, 1, worker, urls[first:first + 3])
            time.sleep(0.02)
    print(json.dumps(granted))
    """
)


def race(config: Path, workers: int) -> list[list[str]]:
    """`workers` processes claim the same URLs, batch by batch in the same order, released at the same instant:
    every batch is contended. Which worker wins which batch depends on timing; that each URL has one winner
    must not."""
    import warehouse as wh
    from newsmon.config import load_config
    from warehouse.claims import ensure_claim_tables

    with wh.open_warehouse(load_config(config).warehouse) as warehouse:
        ensure_claim_tables(warehouse)
    orders = [URLS for _ in range(workers)]
    processes = [
        subprocess.Popen([sys.executable, "-c", CLAIMER, str(config), f"worker-{n}", json.dumps(order)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
        for n, order in enumerate(orders)
    ]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    for process in processes:  # all at once
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    outputs = [p.communicate(timeout=300)[0] for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    return [json.loads(out) for out in outputs]


def assert_claimed_exactly_once(config: Path, granted: list[list[str]]) -> None:
    import warehouse as wh
    from newsmon.config import load_config

    # Which worker wins which URL depends on timing: one may even win them all when the other's catalog connection
    # is slow. Exactly-once is what must hold, whatever the interleaving.
    every = [url for worker in granted for url in worker]
    assert sorted(every) == sorted(URLS), "each URL granted to exactly one worker"
    with wh.open_warehouse(load_config(config).warehouse, read_only=True) as warehouse:
        rows = warehouse.rows("SELECT url, count(*) FROM url_claims WHERE run_id = 1 GROUP BY url")
    assert len(rows) == len(URLS) and {count for _, count in rows} == {1}


def test_two_workers_claiming_the_same_urls_at_once_get_each_exactly_once(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    granted = race(config, workers=2)
    assert_claimed_exactly_once(config, granted)


RUN_STARTER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime
    import warehouse as wh
    from newsmon.config import load_config
    with wh.open_warehouse(load_config(sys.argv[1]).warehouse) as warehouse:
        print("ready", flush=True)
        sys.stdin.readline()
        print(" ".join(str(wh.start_run(warehouse, datetime.now(UTC), 1)) for _ in range(5)))
    """
)


def test_passes_started_on_two_machines_at_once_never_take_the_same_run_id(tmp_path: Path) -> None:
    import warehouse as wh
    from newsmon.config import load_config

    config = write_config(tmp_path, [])
    wh.open_warehouse(load_config(config).warehouse).close()  # the lake exists, as on a team's second day
    starters = [
        subprocess.Popen([sys.executable, "-c", RUN_STARTER, str(config)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)  # fmt: skip
        for _ in range(2)
    ]
    for starter in starters:
        assert starter.stdout is not None and starter.stdout.readline().strip() == "ready"
    for starter in starters:
        assert starter.stdin is not None
        starter.stdin.write("go\n")
        starter.stdin.flush()
    taken = [int(run_id) for starter in starters for run_id in starter.communicate(timeout=300)[0].split()]
    assert sorted(taken) == list(range(1, 11)), "ten passes, ten run ids, numbered max + 1 as runs promises"
