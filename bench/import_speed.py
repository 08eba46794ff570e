"""`newsmon import` throughput: generated archive lines stored end to end, against the classifier alone in one process.

    python bench/import_speed.py [--articles 6000] [--baseline-sample 600]

The archive is written first (not timed). The import runs as `newsmon import` does (parse, canonical URL, classify in
worker processes, dedup, store), into a fresh lake. The baseline is the classifier alone on the same articles in
this one process, measured in the same run. Target: at least 300 articles/s on 2 cores. Then the same file is
imported again, which must add nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from classifiers import load_classifier
from engine.backfill import import_archive
from newsmon.config import load_config
from newsmon.records import ClassifierInput

WORDS = (
    "the of and to in on for with said officials province council families returned displaced camp government "
    "residents statement week market water electricity election parliament committee budget road school hospital "
    "farmers wheat harvest bridge university students district ministry spokesman announced project contract "
    "workers Sinjar Mosul Anbar tribal elders reconciliation fighters detainees trial court"
).split()


def archive_line(index: int, rng: random.Random) -> str:
    text = " ".join(
        " ".join(rng.choices(WORDS, k=rng.randint(12, 24))).capitalize() + "." for _ in range(rng.randint(25, 45))
    )
    return json.dumps({
        "url": f"https://archive.localhost/{2020 + index % 5}/story-{index:07d}.html?utm_source=feed",
        "title": " ".join(rng.choices(WORDS, k=8)).capitalize(),
        "text": text,
        "published_at": f"{2020 + index % 5}-{index % 12 + 1:02d}-{index % 28 + 1:02d}T08:00:00Z",
        "source": f"archive-{index % 7}",
        "lang": "en",
    })  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=6000)
    parser.add_argument("--baseline-sample", type=int, default=600, help="articles the baseline classifies")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsmon-import-bench-"))
    try:
        rng = random.Random(20261204)
        archive = work / "archive.jsonl"
        with archive.open("w", encoding="utf-8") as out:
            for index in range(args.articles):
                out.write(archive_line(index, rng) + "\n")
        config_path = work / "newsmon.toml"
        config_path.write_text('[warehouse]\npath = "data/newsmon.duckdb"\n', encoding="utf-8")
        config = load_config(config_path)

        classifier = load_classifier(config.classifier)
        sample = []
        with archive.open(encoding="utf-8") as lines:
            for _, line in zip(range(args.baseline_sample), lines, strict=False):
                record = json.loads(line)
                sample.append(ClassifierInput(record["url"], record["title"], record["text"], record["lang"]))
        started = time.perf_counter()
        for doc in sample:
            classifier.classify(doc)
        baseline = len(sample) / (time.perf_counter() - started)

        def quiet(*_: object) -> None:
            return None

        started = time.perf_counter()
        with archive.open("rb") as lines:
            first = import_archive(config, lines, bad_line=quiet, report=quiet)
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        with archive.open("rb") as lines:
            again = import_archive(config, lines, bad_line=quiet, report=quiet)
        again_s = time.perf_counter() - started

        rate = first.new / first_s
        stored_rate = first.new / (first_s - first.stories_s)
        print("load      load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        print(f"archive   {args.articles} lines, {archive.stat().st_size / 2**20:.0f} MB, {os.cpu_count()} cores")
        print(f"baseline  the classifier alone, 1 process:   {baseline:7.1f} articles/s ({len(sample)} articles)")
        print(f"import    end to end, into a fresh lake:     {rate:7.1f} articles/s = {rate / baseline:.2f}x baseline "
              f"({first.new} stored in {first_s:.1f} s; "
              f"target >= 300/s: {'met' if rate >= 300 else 'NOT met'})")  # fmt: skip
        print(f"          of which stories, assigned one article after another: {first.stories_s:.1f} s; "
              f"without them {stored_rate:.1f} articles/s")  # fmt: skip
        print(f"again     the same file once more:           {again.new} new, {again.already_stored} already stored, "
              f"{again_s:.1f} s ({args.articles / again_s:.0f} lines/s)")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0



if __name__ == "__main__":
    sys.exit(main())
