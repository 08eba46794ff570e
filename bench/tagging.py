"""What an extraction worker spends tagging one article (engine/extraction.py `tag_article`: the classifier, then
places; then `story_signals`), on this tree and on another revision, measured in the same run.

    python bench/tagging.py [--against main] [--rounds 3] [--pages 300]

Texts: the ingest benchmark's generated pages, extracted once by trafilatura (whose CPU per page is printed as
the scale), and the shared corpora's articles when present. Each side runs in its own process, alternating
rounds, long-running as a worker is: its first pass over the texts warms the per-word caches and is not
counted. The other revision's `classifiers`, `places` and `stories` packages are taken from git into a temporary
folder that goes first on that process's path.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("classifiers", "places", "stories")

MEASURE = """
import json, sys, time
from datetime import UTC, datetime
from classifiers import load_classifier
from newsmon.records import ClassifierInput
from places import article_places, load_gazetteer
from stories import read_signals

groups = json.load(open(sys.argv[1], encoding="utf-8"))
classifier, gazetteer = load_classifier(), load_gazetteer()
result = {}
for group, texts in groups.items():
    docs = [ClassifierInput(str(n), title, text, None) for n, (title, text) in enumerate(texts)]
    for doc in docs:  # a worker's caches are warm after its first articles
        classifier.classify(doc), article_places(gazetteer, doc.title, doc.text)
    started = time.process_time()
    for doc in docs:
        classifier.classify(doc)
    classified = time.process_time()
    found = [article_places(gazetteer, doc.title, doc.text) for doc in docs]
    placed = time.process_time()
    now = datetime.now(UTC)
    for doc, places_found in zip(docs, found):
        read_signals(gazetteer, doc.id, "bench", doc.lang, now, doc.title, doc.text, places_found)
    signalled = time.process_time()
    result[group] = {"classify": classified - started, "places": placed - classified,
                     "signals": signalled - placed, "articles": len(docs)}
import places
print(places.__file__, file=sys.stderr)
print(json.dumps(result))
"""


def texts(pages: int) -> tuple[dict[str, list[tuple[str, str]]], float]:
    """The texts by group, and trafilatura's CPU ms per page on the generated ones."""
    import trafilatura

    spec = importlib.util.spec_from_file_location("bench_ingest", Path(__file__).with_name("ingest.py"))
    assert spec and spec.loader
    ingest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ingest)
    rng = random.Random(14)
    html = [ingest.make_page(i, rng).decode() for i in range(pages)]
    started = time.process_time()
    extracted = [trafilatura.bare_extraction(p, with_metadata=True, favor_precision=True) for p in html]
    trafilatura_ms = (time.process_time() - started) * 1000 / len(html)
    groups = {"generated": [(getattr(d, "title", None) or "", getattr(d, "text", None) or "") for d in extracted if d]}
    sys.path.insert(0, str(ROOT))
    from classifiers.eval_sets import find_corpora

    corpora = find_corpora(ROOT)
    for name in ("dev-written/articles.jsonl", "news-real/articles.jsonl"):
        path = (corpora or Path("-")) / name
        if not path.exists():
            print(f"skipped {path}: not found", file=sys.stderr)
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            groups.setdefault("corpora", []).append((row.get("title") or "", row["text"]))
    return groups, trafilatura_ms


def checkout(revision: str, into: Path) -> None:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, *PACKAGES], capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")


def measure(texts_file: Path, path_first: Path | None) -> dict[str, dict[str, float]]:
    env = dict(os.environ)
    if path_first is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(path_first), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env["NEWSMON_CACHE_DIR"] = str(path_first / "cache")  # its own gazetteer, built by its own code
    command = [sys.executable, "-P", "-c", MEASURE, str(texts_file)]  # -P: not the current folder's packages first
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"measuring failed: {(done.stderr.strip().splitlines() or ['(no message)'])[-1]}")
    result: dict[str, dict[str, float]] = json.loads(done.stdout)
    sources.add(done.stderr.strip().splitlines()[-1])
    return result


sources: set[str] = set()  # where each side's places package came from, printed to show the sides differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=300, help="generated ingest-benchmark pages")
    args = parser.parse_args()
    groups, trafilatura_ms = texts(args.pages)
    sides = ("this tree", args.against)
    totals: dict[tuple[str, str], dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-tagging-") as folder:
        texts_file = Path(folder) / "texts.json"
        texts_file.write_text(json.dumps(groups, ensure_ascii=False), encoding="utf-8")
        other = Path(folder) / "other"
        checkout(args.against, other)
        for _ in range(args.rounds):
            for side, path_first in zip(sides, (None, other), strict=True):
                for group, figures in measure(texts_file, path_first).items():
                    total = totals.setdefault((group, side), {})
                    for key, value in figures.items():
                        total[key] = total.get(key, 0.0) + value
    print(f"load      {os.getloadavg()[0]:.2f} (1-minute load average at the end, {os.cpu_count()} cores)")
    print("packages  " + "  ".join(sorted(str(Path(source).parent) for source in sources)))
    print(f"rounds    {args.rounds} each side, alternating; one process per round, its first pass not counted")
    print(f"scale     trafilatura, one generated page  {trafilatura_ms:7.3f} ms CPU")
    for (group, side), total in totals.items():
        per = {key: 1000 * total[key] / total["articles"] for key in ("classify", "places", "signals")}
        print(f"{group:<10}{side:<12}{int(total['articles'] / args.rounds):5d} articles   classify "
              f"{per['classify']:6.3f}  places {per['places']:6.3f}  signals {per['signals']:6.3f}  together "
              f"{sum(per.values()):6.3f} ms CPU per article")  # fmt: skip


if __name__ == "__main__":
    main()
