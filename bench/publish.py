"""Analyst-copy publishing as the warehouse grows: `publish_analyst_copy` against a plain copy of the same file.

    python bench/publish.py [--articles 20000 60000]

Each pass ends by publishing the analyst copy (COPY FROM DATABASE, then an atomic rename), so its cost grows with
the warehouse. The baseline is copying the live file's bytes, measured in the same run on the same file.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import warehouse as wh
from newsmon.records import Article, Classification, FetchAttempt, TaggedArticle

WORDS = (
    "the of and to in on for with said officials province council families government residents statement week "
    "market water electricity election parliament committee budget road school hospital farmers wheat harvest "
    "bridge university students teachers doctors district ministry spokesman announced project contract workers"
).split()
BATCH = 1000


def make_article(index: int, rng: random.Random, now: datetime) -> TaggedArticle:
    text = " ".join(rng.choices(WORDS, k=900))
    url = f"https://news.localhost/articles/{index:07d}-bench-story.html"
    article = Article(
        article_id=hashlib.sha1(url.encode()).hexdigest()[:16], url=url, source=f"bench-{index % 20:02d}",
        title=f"Story {index}", author=None, published_at=now - timedelta(hours=index % 5000), first_seen_at=now,
        lang="en", text=text, word_count=900, content_hash=hashlib.sha1(text.encode()).hexdigest(),
    )  # fmt: skip
    scores = {"isis": 0.1, "returns": 0.7 if index % 3 == 0 else 0.2, "reconciliation": 0.1}
    labels = ("returns",) if index % 3 == 0 else ()
    evidence = {"returns": ("families returned",)} if labels else {}
    return TaggedArticle(article, Classification(article.article_id, scores, labels, evidence, "bench"))


def grow(warehouse: wh.Warehouse, run_id: int, start: int, stop: int, rng: random.Random) -> None:
    now = datetime.now(UTC)
    for first in range(start, stop, BATCH):
        batch = [make_article(i, rng, now) for i in range(first, min(first + BATCH, stop))]
        attempts = [FetchAttempt(t.article.url, t.article.source, 200, None, 40, now) for t in batch]
        wh.store_tagged_articles(warehouse, run_id, batch, attempts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[20000, 60000], help="warehouse sizes to time")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsmon-publish-bench-"))
    try:
        live, analyst = work / "newsmon.duckdb", work / "newsmon.analyst.duckdb"
        warehouse = wh.open_warehouse(live)
        run_id = wh.start_run(warehouse, datetime.now(UTC), 20)
        rng = random.Random(20261125)
        stored = 0
        print(f"{'articles':>9} {'live file':>10} {'publish':>9} {'file copy':>10} {'publish / copy':>15}")
        for size in sorted(args.articles):
            grow(warehouse, run_id, stored, size, rng)
            stored = size
            publish_s = min(_timed(lambda: wh.publish_analyst_copy(warehouse, analyst)) for _ in range(3))
            copy_s = min(_timed(lambda: shutil.copyfile(live, work / "plain-copy.duckdb")) for _ in range(3))
            size_mb = live.stat().st_size / 2**20
            print(f"{size:9d} {size_mb:8.0f} MB {publish_s:7.2f} s {copy_s:8.2f} s {publish_s / copy_s:14.1f}x")
        warehouse.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
