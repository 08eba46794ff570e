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
import json
import os
import sys
import tempfile
import time
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
from newsmon import defaults  # noqa: E402
from newsmon.errors import ConfigError  # noqa: E402

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

    failures = 0
    with httpx.Client(follow_redirects=True, timeout=defaults.FETCH_TIMEOUT_S,
                      headers={"User-Agent": defaults.USER_AGENT}) as client:
        for texts_path, labelled in wanted.items():
            cached = cached_by_file[texts_path]
            for row in labelled:
                if str(row["id"]) in cached and not args.refresh:
                    continue
                record = _fetch_opening(client, row, args.chars)
                if isinstance(record, Unfetched):
                    print(f"{row['id']} {row['url']}: {record.reason}", file=sys.stderr)
                    failures += 1
                    continue
                cached[str(row["id"])] = record
                _write(texts_path, cached)  # after every page: a run cut short keeps what it fetched
            print(f"{texts_path}: {len(cached)} texts")
    return 1 if failures else 0


def _fetch_opening(client: httpx.Client, row: dict[str, Any], chars: int) -> dict[str, Any] | Unfetched:
    """The cache's record for one labelled URL: its opening, title and source."""
    try:
        html = _get(client, str(row["url"]))
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL is not an HTTPError
        return Unfetched(f"cannot fetch: {type(exc).__name__}: {exc}")
    if isinstance(html, Unfetched):
        return html
    extracted = trafilatura.extract(html, url=str(row["url"]), output_format="json", with_metadata=True,
                                    favor_recall=True)
    found = json.loads(extracted) if extracted else {}
    text = (found.get("text") or "").strip()
    if not text:
        return Unfetched("no article text in the page")
    return {"id": row["id"], "url": row["url"], "title": found.get("title") or text.split("\n", 1)[0],
            "text": text[:chars], "lang": row.get("lang") or "en", "source": urlsplit(row["url"]).hostname,
            "published": row.get("published")}


def _get(client: httpx.Client, url: str) -> str | Unfetched:
    """The page's text, within the pipeline's limits: its size cap and one deadline for the whole download."""
    deadline = time.monotonic() + defaults.FETCH_TIMEOUT_S
    with client.stream("GET", url) as response:
        if response.status_code != 200:
            return Unfetched(f"HTTP {response.status_code}")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > defaults.MAX_BODY_BYTES:
                return Unfetched(f"larger than {defaults.MAX_BODY_BYTES:,} bytes")
            if time.monotonic() > deadline:
                return Unfetched(f"no complete answer within {defaults.FETCH_TIMEOUT_S:g} s")
        return bytes(body).decode(response.encoding or "utf-8", errors="replace")


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
