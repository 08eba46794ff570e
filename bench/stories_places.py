"""Stories and places benchmark: their CPU per article on the ingest benchmark's generated pages, beside
trafilatura's extraction of the same pages measured in the same run (the pass's main cost).

    python bench/stories_places.py [--articles 2000] [--baseline-sample 200]

Places run in the extraction workers; story assignment runs in the pass's main process. Both are timed as CPU
(process time), so other load on the machine inflates them less than wall time.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trafilatura

from places import article_places, load_gazetteer
from stories import StoryAssigner, read_signals


def _ingest_bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_ingest", Path(__file__).with_name("ingest.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--baseline-sample", type=int, default=200)
    args = parser.parse_args()
    ingest = _ingest_bench()
    rng = random.Random(14)
    pages = [ingest.make_page(i, rng) for i in range(args.baseline_sample)]  # type: ignore[attr-defined]
    started = time.process_time()
    extracted = [trafilatura.bare_extraction(p.decode(), with_metadata=True, favor_precision=True) for p in pages]
    baseline_ms = (time.process_time() - started) * 1000 / len(pages)
    texts = [(getattr(d, "title", None) or "", getattr(d, "text", None) or "") for d in extracted if d is not None]

    gazetteer = load_gazetteer()
    articles = []
    moment = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(args.articles):
        title, text = texts[i % len(texts)]
        title = f"Story {i}: {title.split(': ', 1)[-1]}"  # as the ingest bench: every page its own title
        articles.append((f"a{i:05d}", title, text, moment + timedelta(days=i % 20, minutes=i)))

    started = time.process_time()
    found = [article_places(gazetteer, title, text) for _, title, text, _ in articles]
    places_ms = (time.process_time() - started) * 1000 / len(articles)

    assigner = StoryAssigner()
    assigner.encoder.similarity("warm", "up")
    assigner.encoder.encoded = 0
    started = time.process_time()
    signals = [
        read_signals(gazetteer, a, "bench", "en", when, title, text[:600], places)
        for (a, title, text, when), places in zip(articles, found, strict=True)
    ]
    stories = assigner.assign(signals)
    stories_ms = (time.process_time() - started) * 1000 / len(articles)

    print(f"baseline  trafilatura, one page            {baseline_ms:7.2f} ms CPU   ({len(pages)} pages)")
    print(f"places    find_places per article          {places_ms:7.2f} ms CPU   "
          f"{places_ms / baseline_ms:.1%} of the baseline")  # fmt: skip
    print(f"stories   signals and assignment per article {stories_ms:5.2f} ms CPU   "
          f"{stories_ms / baseline_ms:.1%} of the baseline; {len(set(stories.values()))} stories of "
          f"{len(articles)} articles; {assigner.pairs_judged} pairs judged, {assigner.pairs_encoded} sent to the "
          f"encoder, {assigner.encoder.encoded} titles embedded")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
