"""An idle pass (nothing new) as the warehouse grows: its cost at the demo's 15 articles is the baseline.

    python bench/idle_pass.py [--articles 30000 120000] [--passes 3]

The sources are the demo's five (the bundled sample site on loopback). After a first pass stores its articles, idle
passes are timed; then the lake grows with generated articles stored by `store_tagged_articles`, as passes store
them, and the idle passes are timed again at each size. Target: an idle pass at the largest size costs at most 1.5x
the baseline, or the baseline + 1.5 s. Also timed: `newsmon trends` and a count, as an analyst runs them.
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
from newsmon.config import load_config  # noqa: E402
from newsmon.records import Article, Classification, FetchAttempt, TaggedArticle  # noqa: E402

WORDS = (
    "the of and to in on for with said officials province council families government residents statement week "
    "market water electricity election parliament committee budget road school hospital farmers wheat harvest "
    "bridge university students teachers doctors district ministry spokesman announced project contract workers"
).split()
BATCH = 2000  # articles per store, as a busy pass's batches add up


def make_article(index: int, rng: random.Random, now: datetime) -> TaggedArticle:
    text = " ".join(rng.choices(WORDS, k=600))
    url = f"http://news.localhost/articles/{index:07d}-bench-story.html"
    article = Article(
        article_id=hashlib.sha1(url.encode()).hexdigest()[:16], url=url, source=f"bench-{index % 20:02d}",
        title=f"Story {index}", author=None, published_at=now - timedelta(hours=index % 8000), first_seen_at=now,
        lang="en", text=text, word_count=600, content_hash=hashlib.sha1(text.encode()).hexdigest(),
    )  # fmt: skip
    scores = {"isis": 0.1, "returns": 0.7 if index % 3 == 0 else 0.2, "reconciliation": 0.1}
    labels = ("returns",) if index % 3 == 0 else ()
    evidence = {"returns": ("families returned",)} if labels else {}
    return TaggedArticle(article, Classification(article.article_id, scores, labels, evidence, "bench"))


def grow(config_path: Path, start: int, stop: int, rng: random.Random) -> None:
    config = load_config(config_path)
    now = datetime.now(UTC)
    with wh.open_warehouse(config.warehouse) as warehouse:
        run_id = wh.start_run(warehouse, now, 0)
        for first in range(start, stop, BATCH):
            batch = [make_article(i, rng, now) for i in range(first, min(first + BATCH, stop))]
            attempts = [FetchAttempt(t.article.url, t.article.source, 200, None, 40, now) for t in batch]
            stored = wh.store_tagged_articles(warehouse, run_id, batch, attempts)
            # As passes leave them: each article in a story (its own here; assigning stories is not what is timed).
            wh.set_story_ids(warehouse, {t.article.article_id: t.article.article_id for t in stored})


def idle_passes(config_path: Path, passes: int) -> tuple[float, float]:
    """(best time inside the pass, best time as a flow run) over `passes` idle passes."""
    from flows.ingest import ingest_flow

    inner, outer = [], []
    for _ in range(passes):
        started = time.perf_counter()
        summary = ingest_flow(str(config_path))
        outer.append(time.perf_counter() - started)
        inner.append((summary.finished_at - summary.started_at).total_seconds())
        assert summary.articles_new == 0, "an idle pass stores nothing"
    return min(inner), min(outer)


def analyst_reads(config_path: Path) -> tuple[float, float, int]:
    """Seconds for `trends --weeks 12` and a count, each in a fresh read-only session as `newsmon` opens them."""
    config = load_config(config_path)

    def trends() -> object:
        with wh.open_for_analysts(config.warehouse) as session:
            return wh.weekly_tag_counts(session, 12)

    def count() -> object:
        with wh.open_for_analysts(config.warehouse) as session:
            return wh.run_sql(session, "SELECT count(*) FROM articles").rows[0][0]

    trends_s = min(_timed(trends) for _ in range(3))
    count_s = min(_timed(count) for _ in range(3))
    return trends_s, count_s, int(count())  # type: ignore[call-overload]


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _disk_mb(config_path: Path) -> float:
    folder = config_path.parent / "data"
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[30000, 120000], help="warehouse sizes to time")
    parser.add_argument("--passes", type=int, default=3, help="idle passes timed at each size (the best counts)")
    args = parser.parse_args()
    from prefect import flow

    from newsmon.sample_server import SampleSite

    @flow(name="bench-warm-up")
    def warm_up() -> None:
        """Starts Prefect's temporary server, as `newsmon serve` or a running server already has."""

    work = Path(tempfile.mkdtemp(prefix="newsmon-idle-bench-"))
    try:
        with SampleSite() as site:
            config_path = work / "newsmon.toml"
            config_path.write_text(DEMO_CONFIG.format(base=site.base_url), encoding="utf-8")
            warm_up()
            from flows.ingest import ingest_flow

            first = ingest_flow(str(config_path))
            print("load      load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
            print(f"{'articles':>9} {'on disk':>9} {'idle pass':>10} {'as flow run':>12} {'trends':>8} {'count':>8}")
            rows = []
            stored = first.articles_new
            sizes = [stored, *sorted(a for a in args.articles if a > stored)]
            rng = random.Random(20261204)
            generated = 0
            for size in sizes:
                if size > stored:
                    grow(config_path, generated, generated + size - stored, rng)
                    generated += size - stored
                    stored = size
                inner, outer = idle_passes(config_path, args.passes)
                trends_s, count_s, counted = analyst_reads(config_path)
                rows.append((counted, inner, outer))
                print(f"{counted:9d} {_disk_mb(config_path):6.0f} MB {inner:8.2f} s {outer:10.2f} s "
                      f"{trends_s:6.2f} s {count_s:6.2f} s")  # fmt: skip
        base_count, base_inner, base_outer = rows[0]
        top_count, top_inner, top_outer = rows[-1]
        limit = max(1.5 * base_outer, base_outer + 1.5)
        verdict = "met" if top_outer <= limit else "NOT met"
        print(
            f"baseline  idle pass at {base_count} articles: {base_outer:.2f} s as a flow run "
            f"({base_inner:.2f} s inside)"
        )
        print(
            f"result    idle pass at {top_count} articles: {top_outer:.2f} s = {top_outer / base_outer:.2f}x baseline "
            f"(target <= 1.5x or +1.5 s, i.e. <= {limit:.2f} s: {verdict})"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0



if __name__ == "__main__":
    sys.exit(main())
