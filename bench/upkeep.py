"""Lake upkeep on a lake built from many small passes: data files, an idle pass and trend queries, before and after.

    python bench/upkeep.py [--passes 300] [--per-pass 20]

The demo's first pass stores its articles (the bundled sample site on loopback); then `--passes` small passes each
store `--per-pass` generated articles with `store_tagged_articles`, give them stories and close their runs row, as
a season of scheduled passes leaves the lake. Measured on that lake, in the same run:

- before: as the passes left it (the baseline);
- after `newsmon maintain --keep-days 30` today: small files merged; merged-away files stay a day on disk;
- a month later (the upkeep's clock moved 31 days on): snapshots past the window expired, unneeded files deleted.

Each row: Parquet files on disk, data files the latest snapshot reads, snapshots, then the best of 3 of an idle
pass (`engine.run_pass`, no Prefect), `trends --weeks 12` and a count, each read as `newsmon sql` opens the lake.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")

import warehouse as wh  # noqa: E402
from commands.demo import DEMO_CONFIG  # noqa: E402
from engine import run_pass  # noqa: E402
from newsmon.config import Config, load_config  # noqa: E402
from newsmon.records import Article, Classification, FetchAttempt, TaggedArticle  # noqa: E402
from warehouse.upkeep import live_data_files, snapshot_count  # noqa: E402

WORDS = (
    "the of and to in on for with said officials province council families government residents statement week "
    "market water electricity election parliament committee budget road school hospital farmers wheat harvest"
).split()


def make_article(index: int, rng: random.Random, now: datetime) -> TaggedArticle:
    text = " ".join(rng.choices(WORDS, k=300))
    url = f"http://news.localhost/articles/{index:07d}-upkeep-bench.html"
    article = Article(
        article_id=hashlib.sha1(url.encode()).hexdigest()[:16], url=url, source=f"bench-{index % 20:02d}",
        title=f"Story {index}", author=None, published_at=now - timedelta(hours=index % 2000), first_seen_at=now,
        lang="en", text=text, word_count=300, content_hash=hashlib.sha1(text.encode()).hexdigest(),
    )  # fmt: skip
    labels = ("returns",) if index % 3 == 0 else ()
    scores = {"isis": 0.1, "returns": 0.7 if labels else 0.2, "reconciliation": 0.1}
    evidence = {"returns": ("families returned",)} if labels else {}
    return TaggedArticle(article, Classification(article.article_id, scores, labels, evidence, "bench"))


def small_passes(config: Config, passes: int, per_pass: int, rng: random.Random) -> None:
    with wh.open_warehouse(config.warehouse) as warehouse:
        for number in range(passes):
            now = datetime.now(UTC)
            run_id = wh.start_run(warehouse, now, 20)
            batch = [make_article(number * per_pass + k, rng, now) for k in range(per_pass)]
            attempts = [FetchAttempt(t.article.url, t.article.source, 200, None, 40, now) for t in batch]
            stored = wh.store_tagged_articles(warehouse, run_id, batch, attempts)
            wh.set_story_ids(warehouse, {t.article.article_id: t.article.article_id for t in stored})
            warehouse.execute("UPDATE runs SET status = 'completed', finished_at = ? WHERE run_id = ?",
                              [now.replace(tzinfo=None), run_id])  # fmt: skip


def measure(config: Config) -> dict[str, float]:
    def idle() -> object:
        summary, _ = run_pass(config)
        assert summary.articles_new == 0, "an idle pass stores nothing"
        return summary

    def trends() -> object:
        with wh.open_for_analysts(config.warehouse) as session:
            return wh.weekly_tag_counts(session, 12)

    def count() -> object:
        with wh.open_for_analysts(config.warehouse) as session:
            return wh.run_sql(session, "SELECT count(*), sum(word_count) FROM articles").rows

    with wh.open_warehouse(config.warehouse, read_only=True) as warehouse:
        live, snapshots = live_data_files(warehouse), snapshot_count(warehouse)
    return {
        "on disk": float(len(list(Path(config.warehouse.data_path).rglob("*.parquet")))),
        "read": float(live),
        "snapshots": float(snapshots),
        "idle pass": min(_timed(idle) for _ in range(3)),
        "trends": min(_timed(trends) for _ in range(3)),
        "count": min(_timed(count) for _ in range(3)),
    }


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _row(label: str, m: dict[str, float]) -> str:
    return (f"{label:<22} {m['on disk']:>8.0f} {m['read']:>6.0f} {m['snapshots']:>9.0f} {m['idle pass']:>9.2f} s "
            f"{m['trends']:>6.3f} s {m['count']:>6.3f} s")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=300, help="small passes that build the lake")
    parser.add_argument("--per-pass", type=int, default=20, help="articles each small pass stores")
    args = parser.parse_args()
    from newsmon.sample_server import SampleSite

    work = Path(tempfile.mkdtemp(prefix="newsmon-upkeep-bench-"))
    try:
        with SampleSite() as site:
            config_path = work / "newsmon.toml"
            config_path.write_text(DEMO_CONFIG.format(base=site.base_url), encoding="utf-8")
            config = load_config(config_path)
            run_pass(config)
            started = time.perf_counter()
            small_passes(config, args.passes, args.per_pass, random.Random(20261205))
            built_s = time.perf_counter() - started
            print("load      load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
            print(f"lake      {args.passes} passes of {args.per_pass} articles stored in {built_s:.0f} s")
            with wh.open_warehouse(config.warehouse, read_only=True) as warehouse:
                answers_before = wh.weekly_tag_counts(warehouse, 12).rows
            print(f"{'':<22} {'files on':>8} {'files':>6} {'':>9} {'':>11} {'trends':>8} {'count':>8}")
            print(f"{'':<22} {'disk':>8} {'read':>6} {'snapshots':>9} {'idle pass':>11} {'12 wk':>8} {'':>8}")
            before = measure(config)
            print(_row("before (baseline)", before))

            with wh.open_warehouse(config.warehouse) as warehouse:
                started = time.perf_counter()
                today = wh.tidy_lake(warehouse, keep_days=30)
                today_s = time.perf_counter() - started
            after = measure(config)
            print(_row("after upkeep, today", after))

            with wh.open_warehouse(config.warehouse) as warehouse:
                started = time.perf_counter()
                later = wh.tidy_lake(warehouse, keep_days=30, now=datetime.now(UTC) + timedelta(days=31))
                later_s = time.perf_counter() - started
            month = measure(config)
            print(_row("a month later", month))
            with wh.open_warehouse(config.warehouse, read_only=True) as warehouse:
                same = wh.weekly_tag_counts(warehouse, 12).rows == answers_before
        print(f"upkeep    today {today_s:.2f} s: {today.describe()}")
        print(f"upkeep    a month later {later_s:.2f} s: {later.describe()}")
        print(f"result    trends unchanged: {same}; trends {before['trends']:.3f} s -> {month['trends']:.3f} s "
              f"({before['trends'] / month['trends']:.1f}x), idle pass {before['idle pass']:.2f} s -> "
              f"{month['idle pass']:.2f} s, files read {before['read']:.0f} -> {month['read']:.0f}")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0



if __name__ == "__main__":
    sys.exit(main())
