"""Fetch the texts of the labelled sets whose articles the repository does not hold.

Real news belongs to its publishers, so for those sets the repository keeps only each article's URL and labels
(eval/news-web-en-*.jsonl); their `texts` path in eval/sets.toml starts with {cache}, the evaluation cache
($NEWSMON_EVAL_CACHE, else `eval/` in $NEWSMON_CACHE_DIR, $XDG_CACHE_HOME/newsmon or ~/.cache/newsmon). This
script downloads every labelled URL not yet in the cache, extracts the page's main text with trafilatura and keeps
its opening (the first --chars characters, what the labels were decided on), so `newsmon eval` scores those sets.

Usage: .venv/bin/python scripts/fetch_eval_texts.py [--sets eval/sets.toml] [--chars 2000] [--refresh]

A page that cannot be fetched or yields no text is named on one line (id, URL, why); the others are kept and the
exit status is 1. Texts already cached are left as they are unless --refresh is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import trafilatura

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.eval_sets import DEFAULT_SETS_FILE, eval_cache_folder, load_sets  # noqa: E402
from classifiers.evaluation import read_jsonl_records  # noqa: E402
from extractors.fetch import Fetcher  # noqa: E402
from extractors.hosts import PerHostState  # noqa: E402
from extractors.urls import host_is_private  # noqa: E402
from newsmon.config import FetchConfig  # noqa: E402
from newsmon.errors import ConfigError  # noqa: E402
from newsmon.records import FailureReason  # noqa: E402

OPENING_CHARS = 2000  # the search index the labels were made from kept about this much of each page


@dataclass(frozen=True, slots=True)
class Unfetched:
    reason: str


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=Path, default=DEFAULT_SETS_FILE, help="the sets file (eval/sets.toml)")
    parser.add_argument("--chars", type=int, default=OPENING_CHARS, help="characters of each text to keep")
    parser.add_argument("--refresh", action="store_true", help="fetch again the texts already cached")
    args = parser.parse_args(argv)

    cache = eval_cache_folder()
    try:
        wanted: dict[Path, list[dict[str, Any]]] = {}
        for eval_set in load_sets(args.sets):
            if eval_set.texts is None or not eval_set.texts.is_relative_to(cache) or not eval_set.labels.exists():
                continue
            rows = [row for _, row in read_jsonl_records(eval_set.labels)]
            wanted.setdefault(eval_set.texts, []).extend(row for row in rows if row.get("url"))
        if not wanted:
            print(f"error: no set of {args.sets} reads its texts from the evaluation cache ({cache})", file=sys.stderr)
            return 1
        cached_by_file = {path: {str(row["id"]): row for _, row in read_jsonl_records(path)} if path.exists() else {}
                          for path in wanted}
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    return asyncio.run(_fetch_missing(wanted, cached_by_file, args.chars, args.refresh))


async def _fetch_missing(wanted: dict[Path, list[dict[str, Any]]], cached_by_file: dict[Path, dict[str, Any]],
                         chars: int, refresh: bool) -> int:
    """Fetch what the cache lacks (all with `refresh`), writing each cache file as its pages come; 1 if any failed."""
    failures = 0
    hosts = PerHostState()  # per-host limits and robots.txt across all the sets' URLs, as one ingest pass keeps them
    for texts_path, labelled in wanted.items():
        cached = cached_by_file[texts_path]
        for row in labelled:
            if str(row["id"]) in cached and not refresh:
                continue
            record = await _fetch_opening(row, chars, hosts)
            if isinstance(record, Unfetched):
                print(f"{row['id']} {row['url']}: {record.reason}", file=sys.stderr)
                failures += 1
                continue
            cached[str(row["id"])] = record
            _write(texts_path, cached)  # after every page: a run cut short keeps what it fetched
        print(f"{texts_path}: {len(cached)} texts")
    return 1 if failures else 0


async def _fetch_opening(row: dict[str, Any], chars: int, hosts: PerHostState) -> dict[str, Any] | Unfetched:
    """The cache's record for one labelled URL: its opening, title and source. The page comes through the
    pipeline's own fetcher, so robots.txt, the address guard, the size cap and the deadline apply as in a pass."""
    url = str(row["url"])
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        return Unfetched(f"cannot fetch: InvalidURL: {exc}")
    async with Fetcher(FetchConfig(), allow_private=await host_is_private(url), host_state=hosts) as fetcher:
        fetched = await fetcher.fetch(url, source="eval")
    if not fetched.ok:
        attempt = fetched.attempt
        if attempt.reason is FailureReason.HTTP_STATUS:
            return Unfetched(f"HTTP {attempt.status}")
        return Unfetched(f"cannot fetch: {attempt.error}")
    html = fetched.text()
    extracted = trafilatura.extract(html, url=str(row["url"]), output_format="json", with_metadata=True,
                                    favor_recall=True)
    found = json.loads(extracted) if extracted else {}
    text = (found.get("text") or "").strip()
    if not text:
        return Unfetched("no article text in the page")
    return {"id": row["id"], "url": row["url"], "title": found.get("title") or text.split("\n", 1)[0],
            "text": text[:chars], "lang": row.get("lang") or "en", "source": urlsplit(row["url"]).hostname,
            "published": row.get("published")}


def _write(path: Path, records: dict[str, Any]) -> None:
    # Atomic: an interrupted run leaves the previous cache, never half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        for record in records.values():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(temporary, path)


if __name__ == "__main__":
    sys.exit(main())
