"""One ingest pass, without Prefect: the state its sources share (config, warehouse, run row, worker pool, timings)
and each source's pipeline, wiring the stages: discover → fetch → extract + classify + place (worker processes) →
store. The stages hold the logic; this module moves records between them and keeps the counts. flows/ingest.py runs
the same `ingest_source` as one Prefect task per source; `run_pass` runs it in plain threads.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import warehouse as wh
from classifiers import load_classifier
from engine.extraction import ExtractionPool, WorkerResult
from engine.upkeep import upkeep_after_pass
from engine.writer import PassWriter, SourceWrite
from extractors import (
    Discovery,
    Fetcher,
    PerHostState,
    Validators,
    discover_feed_items,
    host_is_private,
)
from newsmon import defaults
from newsmon.config import Config, SourceConfig
from newsmon.passlock import pass_lock
from newsmon.records import (
    NETWORK_REASONS,
    AlertCandidate,
    FailureReason,
    FeedItem,
    FetchAttempt,
    FetchedPage,
    PassSummary,
    SourceOutcome,
    SourceSummary,
    TaggedArticle,
)
from places import load_gazetteer
from stories import Signals, StoryAssigner
from stories.storing import assign_pending_stories

log = logging.getLogger(__name__)


@dataclass(slots=True)
class StageTimes:
    """Seconds spent per stage, summed over parallel workers (so they may add up to more than the wall time)."""

    discover: float = 0.0
    fetch: float = 0.0
    extract: float = 0.0
    classify: float = 0.0
    store: float = 0.0
    stories: float = 0.0
    worker_cpu: float = 0.0  # not a stage: the workers' CPU seconds, for PassSummary.worker_cpu_s
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            setattr(self, stage, getattr(self, stage) + seconds)

    def as_dict(self) -> dict[str, float]:
        stages = ("discover", "fetch", "extract", "classify", "store", "stories")
        return {k: round(getattr(self, k), 3) for k in stages}


class IngestPass:
    """One pass: holds the pass lock and the warehouse for its whole duration."""

    def __init__(self, config: Config, warehouse: wh.Warehouse, run_id: int, started_at: datetime) -> None:
        self.config = config
        self.warehouse = warehouse
        self.run_id = run_id
        self.started_at = started_at
        self.pool = ExtractionPool(config.extract, config.classifier, config.places)
        self.times = StageTimes()
        self.new_per_tag: Counter[str] = Counter()
        self.alert_candidates: list[AlertCandidate] = []
        self.gazetteer = load_gazetteer(config.places.extra_names)
        self.stories = StoryAssigner()  # one per pass: the stories open in this pass stay in memory
        self.hosts = PerHostState()  # robots.txt and per-host limits, whichever sources share a host
        self._claimed: set[str] = set()  # article URLs a source of this pass has taken
        self.signals: dict[str, Signals] = {}  # story signals the workers read from this pass's articles
        # Read once for every source: each query on the lake costs milliseconds of catalog work.
        self.validators = wh.all_source_validators(warehouse)
        since = started_at - timedelta(days=defaults.RETRY_FAILED_FOR_DAYS)
        self.retries = wh.urls_to_retry_by_source(warehouse, since, defaults.RETRY_FAILED_MAX_ATTEMPTS)
        self._lock = threading.Lock()
        self._stories_lock = threading.Lock()  # stories are assigned in order, by one caller at a time
        self.writer = PassWriter(
            warehouse, run_id, defaults.STORE_BATCH_ARTICLES, self.note_stored, lambda s: self.times.add("store", s)
        )

    @classmethod
    @contextmanager
    def open(cls, config: Config, wait_s: float = 0.0) -> Iterator[IngestPass]:
        """The pass lock, the live warehouse and a runs row; the caller has run `check_before_pass` once."""
        with pass_lock(config.warehouse.path, wait_s=wait_s):
            # One DuckDB thread: a pass's statements are small (a batch, a source's record), most of their work is
            # the lake's catalog bookkeeping, and a second thread doubled its CPU while the extraction workers
            # already hold every core.
            warehouse = wh.open_warehouse(config.warehouse, threads=1)
            try:
                wh.mark_interrupted_runs(warehouse)
                started = datetime.now(UTC)
                run_id = wh.start_run(warehouse, started, len(config.sources))
                ingest_pass = cls(config, warehouse, run_id, started)
                try:
                    yield ingest_pass
                finally:
                    ingest_pass.pool.close()
                upkeep_after_pass(config, warehouse)  # at most once a day, with [warehouse] keep_snapshots_days
            finally:
                warehouse.close()

    def finish(self, sources: list[SourceSummary]) -> PassSummary:
        self.writer.flush()  # what the last sources left waiting
        # Once, after every source: one read of the open stories and no waits on the warehouse between batches.
        # Also picks up articles stored before stories existed, or left without one by a crash.
        started = time.perf_counter()
        self.assign_stories()
        self.times.add("stories", time.perf_counter() - started)
        summary = PassSummary(
            self.run_id, self.started_at, datetime.now(UTC), sources, dict(self.new_per_tag), self.times.as_dict(),
            round(self.times.worker_cpu, 3),
        )  # fmt: skip
        wh.finish_run(self.warehouse, summary)
        return summary

    def claim(self, items: list[FeedItem]) -> list[FeedItem]:
        """The items no other source of this pass has taken. A story listed by three feeds is fetched once, and
        stored as found by the source whose discovery listed it first."""
        with self._lock:
            unclaimed = [item for item in items if item.url not in self._claimed]
            self._claimed.update(item.url for item in unclaimed)
        return unclaimed

    def assign_stories(self) -> None:
        """Stories for the articles stored (and any an earlier run left without one), oldest first."""
        with self._stories_lock:
            assign_pending_stories(self.warehouse, self.gazetteer, self.stories, self.signals)

    def note_stored(self, stored: list[TaggedArticle]) -> None:
        threshold = self.config.digest.alert_threshold
        with self._lock:
            for item in stored:
                for label in item.classification.labels:
                    self.new_per_tag[label] += 1
                    score = item.classification.scores[label]
                    if label in self.config.digest.tags and score >= threshold:
                        self.alert_candidates.append(AlertCandidate(item.article.article_id, label, score))


def check_before_pass(config: Config) -> None:
    """What would otherwise fail mid-pass, checked before any source is contacted: the rules and place names
    load (a bad rules_dir or extra_names file would break every worker of the pool), a single-file warehouse to
    move in is a DuckDB database, and the warehouse and its lock folder are writable."""
    load_classifier(config.classifier)
    load_gazetteer(config.places.extra_names)
    wh.check_is_warehouse(config.warehouse.path)
    wh.check_writable(config.warehouse)


async def _fetcher_for(ingest_pass: IngestPass, source: SourceConfig) -> Fetcher:
    allow_private = await host_is_private(source.url)
    return Fetcher(ingest_pass.config.fetch, allow_private=allow_private, host_state=ingest_pass.hosts)


def discover_source(ingest_pass: IngestPass, source: SourceConfig) -> Discovery:
    started = time.perf_counter()
    etag, last_modified = ingest_pass.validators.get(source.name, {}).get(source.url, (None, None))

    async def run() -> Discovery:
        async with await _fetcher_for(ingest_pass, source) as fetcher:
            return await discover_feed_items(source, fetcher, Validators(etag, last_modified))

    discovery = asyncio.run(run())
    ingest_pass.times.add("discover", time.perf_counter() - started)
    return discovery


def unseen_items(ingest_pass: IngestPass, source: SourceConfig, items: list[FeedItem]) -> list[FeedItem]:
    """Discovered items not stored yet, plus earlier pages of this source that failed for a passing reason, less
    those another source of the pass has already taken."""
    known = wh.known_urls(ingest_pass.warehouse, (i.url for i in items))
    fresh = [i for i in items if i.url not in known]
    listed = {i.url for i in fresh}
    retries = ingest_pass.retries.get(source.name, [])
    return ingest_pass.claim(fresh + [FeedItem(source.name, url) for url in retries if url not in listed])


def fetch_extract_store(
    ingest_pass: IngestPass, source: SourceConfig, items: list[FeedItem], discovery: Discovery | None = None
) -> SourceSummary:
    """Fetch the new items concurrently; each page goes to the worker pool as it arrives; its article goes to the
    pass's writer, which stores batches of several sources together.

    With the source's `discovery`, its record (requests, health, validators) goes to the writer after the last
    articles: validators must never be saved without the articles they let the next pass skip.
    """
    summary = SourceSummary(source.name)
    if items:
        asyncio.run(_pipeline(ingest_pass, source, items, summary, discovery))
    elif discovery is not None:  # nothing new: only the source's record
        outcome = source_outcome(source, discovery)
        ingest_pass.writer.add(SourceWrite(summary, other_attempts=tuple(discovery.attempts), outcome=outcome))
    return summary


async def _pipeline(
    ingest_pass: IngestPass,
    source: SourceConfig,
    items: list[FeedItem],
    summary: SourceSummary,
    discovery: Discovery | None,
) -> None:
    pending: list[TaggedArticle] = []
    pending_attempts: list[FetchAttempt] = []
    failures: list[FetchAttempt] = []
    retried: list[FetchAttempt] = []  # attempts that were retried: recorded in `fetches`, not counted as failures
    reasons: Counter[str] = Counter()
    first_error: dict[str, str] = {}  # per reason, the first failure's whole text, for the alarm
    articles_back = 0  # pages that came back from the pool as articles, new or not
    batch_size = defaults.STORE_BATCH_ARTICLES
    fetch_slots = asyncio.Semaphore(max(1, ingest_pass.config.fetch.per_host_concurrency) * 2)
    # Pages waiting in or for the pool are bounded, so a 50,000-item feed never holds 50,000 pages in memory.
    in_flight = asyncio.Semaphore(ingest_pass.pool.workers * 4)

    def take_batch(discovery: Discovery | None = None) -> SourceWrite:
        outcome = source_outcome(source, discovery) if discovery is not None else None
        requests = tuple(discovery.attempts) if discovery is not None else ()
        batch = SourceWrite(
            summary, tuple(pending), tuple(pending_attempts), tuple(failures), (*retried, *requests), outcome
        )
        for taken in (pending, pending_attempts, failures, retried):
            taken.clear()
        return batch

    def collect(result: WorkerResult) -> None:
        ingest_pass.times.add("extract", result.extract_s)
        ingest_pass.times.add("classify", result.classify_s)
        ingest_pass.times.add("worker_cpu", result.cpu_s)
        nonlocal articles_back
        if result.tagged is not None:
            articles_back += 1
            pending.append(result.tagged)
            pending_attempts.append(result.page.attempt)
            if result.signals is not None:
                ingest_pass.signals[result.signals.article_id] = result.signals
        else:
            assert result.failure is not None
            failure = result.failure
            attempt = result.page.attempt
            failed = attempt.as_failure(failure.reason, failure.detail)
            failures.append(failed)
            reasons[failure.reason] += 1
            first_error.setdefault(failure.reason, failed.error or "")

    async with await _fetcher_for(ingest_pass, source) as fetcher:

        async def handle(item: FeedItem) -> None:
            async with in_flight:
                async with fetch_slots:
                    started = time.perf_counter()
                    result = await fetcher.fetch(item.url, source.name)
                    ingest_pass.times.add("fetch", time.perf_counter() - started)
                retried.extend(result.earlier_attempts)
                if result.ok:
                    page = FetchedPage(item, result.final_url, result.text(), result.attempt)
                    collect(await ingest_pass.pool.extract(page, source.lang))
                else:
                    failures.append(result.attempt)
                    reason = result.attempt.reason or FailureReason.CONNECTION
                    reasons[reason] += 1
                    first_error.setdefault(reason, result.attempt.error or "")
            if len(pending) >= batch_size or len(failures) >= batch_size:
                # In a thread, so fetching and the pool keep going if the writer stores now.
                await asyncio.to_thread(ingest_pass.writer.add, take_batch())

        # A fixed crew of fetchers pulls from one queue: a 50,000-item feed never becomes 50,000 tasks.
        queue = iter(items)

        async def crew_member() -> None:
            for item in queue:
                await handle(item)

        crew = max(1, ingest_pass.config.fetch.per_host_concurrency) * 2 + ingest_pass.pool.workers * 2
        await asyncio.gather(*(crew_member() for _ in range(min(crew, len(items)))))
    # Added to, not replaced: the writer may already have put a batch that was not stored first.
    summary.errors.extend(f"{reason} ×{count}" for reason, count in reasons.most_common())
    summary.alarm = same_failure_alarm(reasons, first_error, articles_back)
    if summary.alarm:
        log.warning("source %s: %s", source.name, summary.alarm)
    ingest_pass.writer.add(take_batch(discovery))


def same_failure_alarm(reasons: Counter[str], first_error: dict[str, str], articles_back: int) -> str | None:
    """When no page of a source became an article and the pages failed for one reason that is not the network's
    (nor robots.txt, a site's choice), the fault is ours or the machine's: workers that cannot start, every page
    without text. A quiet count in a table would hide it."""
    ours = {r: n for r, n in reasons.items() if r not in NETWORK_REASONS and r != FailureReason.ROBOTS_DISALLOWED}
    if articles_back or len(ours) != 1:
        return None
    reason, count = next(iter(ours.items()))
    if count < 2:
        return None
    return f"no page became an article: {count} failed the same way, not for network trouble: {first_error[reason]}"


def source_outcome(source: SourceConfig, discovery: Discovery) -> SourceOutcome:
    """A source's health and validators, for the writer to store with or after its articles."""
    errors = [a.error for a in discovery.attempts if a.error]
    return SourceOutcome(
        source=source.name,
        url=source.url,
        ok=not discovery.failed,
        error=errors[0] if errors else None,
        etag=discovery.validators.etag if discovery.validators else None,
        last_modified=discovery.validators.last_modified if discovery.validators else None,
        found=discovery.found or None,
        at=datetime.now(UTC),
    )


def summary_or_crash(
    ingest_pass: IngestPass, source: SourceConfig, result: Callable[[], SourceSummary]
) -> SourceSummary:
    """A source's summary; if its task crashed (a bug, not a bad page), the crash is recorded and the pass goes on.

    Whatever the source stored before crashing stays stored; its health shows the crash until it next succeeds.
    """
    try:
        return result()
    except Exception as exc:  # noqa: BLE001 - one source's bug must not cost the other sources their pass
        detail = f"crashed: {type(exc).__name__}: {exc}"[:500]
        log.error("source %s: %s", source.name, detail, exc_info=exc)
        wh.update_source_state(
            ingest_pass.warehouse, source.name, source.url, ok=False, error=detail, etag=None, last_modified=None,
            at=datetime.now(UTC),
        )  # fmt: skip
        return SourceSummary(source.name, failed=1, errors=[detail])


def ingest_source(ingest_pass: IngestPass, source: SourceConfig) -> SourceSummary:
    """One source: discover → fetch → extract + classify → store."""
    discovery = discover_source(ingest_pass, source)
    summary = fetch_extract_store(ingest_pass, source, unseen_items(ingest_pass, source, discovery.items), discovery)
    summary.seen = len(discovery.items)
    return summary


def run_pass(config: Config, wait_s: float = 0.0) -> tuple[PassSummary, list[AlertCandidate]]:
    """A whole pass without Prefect: sources side by side in threads, as the flow's task runner runs them."""
    check_before_pass(config)
    with (
        IngestPass.open(config, wait_s=wait_s) as ingest_pass,
        ThreadPoolExecutor(defaults.SOURCE_CONCURRENCY, thread_name_prefix="source") as threads,
    ):
        futures = [threads.submit(ingest_source, ingest_pass, source) for source in config.sources]
        summaries = [
            summary_or_crash(ingest_pass, source, future.result)
            for source, future in zip(config.sources, futures, strict=True)
        ]
        return ingest_pass.finish(summaries), ingest_pass.alert_candidates
