"""Extraction quality and speed on real pages: ../shared/corpora/extraction-benchmark (181 pages with gold text).

    python bench/extraction.py [--corpus PATH]

Scores each extractor by bag-of-words precision, recall and F1 of its text against the gold article body,
beside plain trafilatura with the same precision settings, in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "extraction-benchmark"
_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    return Counter(t.lower() for t in _TOKEN.findall(text or ""))


def score(extracted: str, gold: str) -> tuple[float, float]:
    got, want = tokens(extracted), tokens(gold)
    overlap = sum((got & want).values())
    precision = overlap / max(sum(got.values()), 1)
    recall = overlap / max(sum(want.values()), 1)
    return precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    if not (args.corpus / "ground-truth.json").exists():
        print(f"skipped: {args.corpus} is absent (the shared corpora are not on this machine)")
        return
    import trafilatura

    from extractors import extract_article
    from extractors.text import COMPARE_BELOW_WORDS
    from newsmon.records import FeedItem, FetchAttempt, FetchedPage

    gold = json.loads((args.corpus / "ground-truth.json").read_text())
    pages = {
        key: gzip.decompress((args.corpus / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8", "replace")
        for key in gold
    }
    now = datetime.now(UTC)

    def ours(key: str, html: str, compare_below_words: int = COMPARE_BELOW_WORDS) -> str:
        url = gold[key]["url"]
        page = FetchedPage(FeedItem("bench", url), url, html, FetchAttempt(url, "bench", 200, None, 0, now))
        result = extract_article(page, min_words=0, compare_below_words=compare_below_words)
        return getattr(result, "text", "")

    def ours_comparing_always(key: str, html: str) -> str:
        return ours(key, html, compare_below_words=10**9)

    def plain(key: str, html: str) -> str:
        return trafilatura.extract(html, favor_precision=True, include_comments=False) or ""

    def plain_with_metadata(key: str, html: str) -> str:
        document = trafilatura.bare_extraction(html, favor_precision=True, include_comments=False, with_metadata=True)
        return getattr(document, "text", "") or ""

    extractors: list[tuple[str, Callable[[str, str], str]]] = [
        ("trafilatura text only", plain),
        ("trafilatura text + metadata", plain_with_metadata),
        ("newsmon extract_article", ours),
        ("newsmon, comparing on every page", ours_comparing_always),
    ]
    print(f"corpus    {len(pages)} pages from {args.corpus}")
    texts: dict[str, list[str]] = {}
    for name, extract in extractors:
        started = time.perf_counter()
        results = [(extract(key, html), gold[key]["articleBody"]) for key, html in pages.items()]
        texts[name] = [text for text, _ in results]
        elapsed = time.perf_counter() - started
        scores = [score(text, want) for text, want in results]
        p = sum(s[0] for s in scores) / len(scores)
        r = sum(s[1] for s in scores) / len(scores)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        empty = sum(1 for text, _ in results if not text)
        print(f"{name:32s} precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}  empty {empty:3d}  "
              f"{len(pages) / elapsed:6.1f} docs/s")  # fmt: skip
    same = sum(a == b for a, b in zip(texts["newsmon extract_article"], texts["newsmon, comparing on every page"],
                                      strict=True))  # fmt: skip
    print(
        f"the comparison with readability and justext, run only below {COMPARE_BELOW_WORDS} words of trafilatura's "
        f"own text, left {same} of {len(pages)} pages' text as comparing on every page gives it"
    )


if __name__ == "__main__":
    sys.exit(main())
