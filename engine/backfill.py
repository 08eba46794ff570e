"""`newsmon import`: an archive of JSON Lines stored as if every article had been fetched, classified on every core.

Each line is an article (`url`, `title`, `text`, `published_at`, `source`, `lang`; `author` optional). It gets the
canonical URL, key and text hash a fetched article gets, the same classifier, and the same store, so the same dedup
(by canonical URL, then by text): importing a file twice adds nothing. Lines are classified in worker processes in
chunks, while the main process reads ahead and stores finished chunks in order, one transaction per chunk.
No Prefect here: an import is one long local job, not a scheduled pass.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import warehouse as wh
from engine.extraction import ExtractionPool
from engine.ingest_pass import check_before_pass
from extractors.text import detect_language
from extractors.urls import UnsafeURL, article_id_for, canonical_url
from newsmon.config import Config
from newsmon.passlock import pass_lock
from newsmon.records import Article, PassSummary, SourceSummary, TaggedArticle
from places import load_gazetteer
from stories.assign import StoryAssigner
from stories.storing import assign_pending_stories

CHUNK = 250  # articles per worker task and per store transaction: big enough that neither costs per article
REQUIRED = ("url", "title", "text", "published_at", "source")


@dataclass(slots=True)
class ImportProgress:
    """Counts so far; `report` receives it about once a second and at the end."""

    lines: int = 0
    new: int = 0
    already_stored: int = 0
    bad: int = 0
    started: float = field(default_factory=time.perf_counter)
    stories_s: float = 0.0  # the last step: stories for the new articles, one after another (timed apart)
    new_per_tag: Counter[str] = field(default_factory=Counter)
    per_source: dict[str, SourceSummary] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.lines / max(time.perf_counter() - self.started, 1e-9)

    def describe(self) -> str:
        return (f"{self.lines} lines: {self.new} new, {self.already_stored} already stored, {self.bad} bad "
                f"({self.rate:.0f} lines/s)")  # fmt: skip


def parse_archive_line(line: str, first_seen: datetime) -> Article:
    """One archive line as the Article a fetch would have produced; ValueError with the message a user should see."""
    try:
        record: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, found {type(record).__name__}")
    for name in REQUIRED:
        if name not in record or record[name] is None:
            raise ValueError(f'missing field "{name}"')
    for name in (*REQUIRED, "lang", "author"):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f'field "{name}" must be a string, found {type(value).__name__}')
    text = record["text"].strip()
    if not text:
        raise ValueError('field "text" is empty')
    given_url = record["url"].strip()
    try:
        url = canonical_url(given_url)
    except UnsafeURL as exc:
        raise ValueError(f'field "url": {exc}') from None
    try:
        published = datetime.fromisoformat(record["published_at"].strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f'field "published_at" is not an ISO 8601 date: {record["published_at"]!r}') from None
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)  # documented: a date without offset is UTC
    lang = (record.get("lang") or "").strip() or None
    title = " ".join(record["title"].split())
    words = text.split()  # str.split() splits where the fetch path's \s+ does: the same text hash
    return Article(
        article_id=article_id_for(url),
        url=url,
        source=record["source"].strip(),
        title=title or url,
        author=(record.get("author") or "").strip() or None,
        published_at=published.astimezone(UTC),
        first_seen_at=first_seen,
        lang=lang or detect_language(text, None),
        text=text,
        word_count=len(words),
        content_hash=hashlib.sha1(" ".join(words).lower().encode("utf-8")).hexdigest(),
        alternate_urls=(given_url,) if given_url != url else (),
    )


def _chunks(lines: Iterable[bytes], progress: ImportProgress, bad_line: Callable[[int, str], None]) -> Iterator[
    list[Article]
]:  # fmt: skip
    first_seen = datetime.now(UTC)
    chunk: list[Article] = []
    for number, line in _numbered(lines, progress, bad_line):
        if not line.strip():
            continue
        progress.lines += 1
        try:
            chunk.append(parse_archive_line(line, first_seen))
        except ValueError as exc:
            progress.bad += 1
            bad_line(number, str(exc))
            continue
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _numbered(
    lines: Iterable[bytes], progress: ImportProgress, bad_line: Callable[[int, str], None]
) -> Iterator[tuple[int, str]]:
    """(line number, text) for each line read as bytes: a line that is not UTF-8 is one bad line, not the end."""
    for number, raw in enumerate(lines, start=1):
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if raw.strip():
                progress.lines += 1
                progress.bad += 1
                bad_line(number, f"not UTF-8 text ({exc.reason} at byte {exc.start})")


def import_archive(
    config: Config,
    lines: Iterable[bytes],
    *,
    bad_line: Callable[[int, str], None],
    report: Callable[[ImportProgress], None],
    report_every_s: float = 1.0,
) -> ImportProgress:
    """Store every good line of `lines` (bytes, UTF-8); bad lines go to `bad_line(number, reason)` and are skipped.

    Holds the pass lock throughout (a scheduled pass waits its turn, as for `retag`). The import is a `runs` row
    like a pass; an import that stored nothing leaves no row, so importing the same file again adds nothing.
    """
    check_before_pass(config)
    progress = ImportProgress()
    pool = ExtractionPool(config.extract, config.classifier, config.places)
    with pass_lock(config.warehouse.path), wh.open_warehouse(config.warehouse) as warehouse:
        wh.mark_interrupted_runs(warehouse)
        started_at = datetime.now(UTC)
        run_id = wh.start_run(warehouse, started_at, 0)
        try:
            _import_chunks(warehouse, run_id, pool, _chunks(lines, progress, bad_line), progress, report,
                           report_every_s)  # fmt: skip
        finally:
            pool.close()
        # As a pass does at its end: every stored article joins or starts its story.
        if progress.new:
            report(progress)
            stories_started = time.perf_counter()
            assign_pending_stories(warehouse, load_gazetteer(config.places.extra_names), StoryAssigner())
            progress.stories_s = time.perf_counter() - stories_started
        summary = PassSummary(run_id, started_at, datetime.now(UTC), list(progress.per_source.values()),
                              dict(progress.new_per_tag))  # fmt: skip
        if progress.new:
            wh.finish_run(warehouse, summary)
        else:
            wh.discard_run(warehouse, run_id)
    report(progress)
    return progress


def _import_chunks(
    warehouse: wh.Warehouse,
    run_id: int,
    pool: ExtractionPool,
    chunks: Iterator[list[Article]],
    progress: ImportProgress,
    report: Callable[[ImportProgress], None],
    report_every_s: float,
) -> None:
    in_flight: list[Future[list[TaggedArticle]]] = []
    ahead = max(2, pool.workers * 2)  # chunks queued per worker: none waits, and memory stays bounded
    last_report = time.perf_counter()

    def store_oldest() -> None:
        tagged = in_flight.pop(0).result()
        stored = wh.store_tagged_articles(warehouse, run_id, tagged, [])
        progress.new += len(stored)
        progress.already_stored += len(tagged) - len(stored)
        for item in tagged:
            progress.per_source.setdefault(item.article.source, SourceSummary(item.article.source)).seen += 1
        for item in stored:
            progress.per_source[item.article.source].new += 1
            progress.new_per_tag.update(item.classification.labels)

    for chunk in chunks:
        known = wh.known_urls(warehouse, (a.url for a in chunk))
        fresh = [a for a in chunk if a.url not in known]  # a second import classifies nothing
        progress.already_stored += len(chunk) - len(fresh)
        if fresh:
            in_flight.append(pool.locate(fresh))
        while len(in_flight) >= ahead:
            store_oldest()
        if time.perf_counter() - last_report >= report_every_s:
            report(progress)
            last_report = time.perf_counter()
    while in_flight:
        store_oldest()
