"""The pass's one writer: what its sources have to store goes into the warehouse together, a few hundred articles at
a time, whichever sources they came from.

Each statement on the lake costs milliseconds whatever its size (catalog work, and the dedup query reads every
stored URL), so twenty sources with a hundred new articles each cost twenty full stores when each source writes
its own. Collected, the same articles take a handful. A source's record (its discovery requests, health and
validators) is written in the same commit as its last articles, or a later one, never an earlier one: validators
must not let the next pass skip articles that were never stored. For the same reason a source that lost a batch
(its transaction failed) saves no validators for the rest of the pass.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import warehouse as wh
from newsmon.records import FetchAttempt, SourceOutcome, SourceSummary, TaggedArticle

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SourceWrite:
    """One source's batch: articles with the attempts that fetched them, attempts that failed, and, from a source
    that is done, how its discovery went. `summary` is the source's own, which the writer updates once the batch
    is stored (under its lock, from whichever thread stores)."""

    summary: SourceSummary
    articles: tuple[TaggedArticle, ...] = ()
    article_attempts: tuple[FetchAttempt, ...] = ()
    failed: tuple[FetchAttempt, ...] = ()  # counted as the source's failures
    other_attempts: tuple[FetchAttempt, ...] = ()  # retried pages' earlier attempts, discovery requests: rows only
    outcome: SourceOutcome | None = None  # from a source that is done: its health and validators


@dataclass
class PassWriter:
    """Collects `SourceWrite`s and stores them in one transaction once `batch_articles` rows wait, or when
    `flush` is called (the pass does before assigning stories). While other processes write the same lake
    (`warehouse.shared`), each write is stored at once in its own transactions, which can be run again alone
    after a conflict."""

    warehouse: wh.Warehouse
    run_id: int
    batch_articles: int
    on_stored: Callable[[list[TaggedArticle]], None]  # the pass's counts and alert candidates
    on_seconds: Callable[[float], None]  # the store stage's time
    _pending: list[SourceWrite] = field(default_factory=list)
    _rows: int = 0  # articles and attempts waiting
    _dropped: dict[str, str] = field(default_factory=dict)  # source → why a batch of it was not stored
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, write: SourceWrite) -> None:
        """Queue a write; store everything queued if enough rows wait (in the caller's thread)."""
        with self._lock:
            self._pending.append(write)
            self._rows += len(write.articles) + len(write.failed) + len(write.other_attempts)
            if self.warehouse.shared or self._rows >= self.batch_articles:
                self._store_pending()

    def flush(self) -> None:
        """Store everything queued."""
        with self._lock:
            self._store_pending()

    def _store_pending(self) -> None:
        writes, self._pending, self._rows = self._pending, [], 0
        if not writes:
            return
        articles = [a for w in writes for a in w.articles]
        outcomes = [self._as_stored(w.outcome) for w in writes if w.outcome is not None]
        stored: list[TaggedArticle] | None = None
        started = time.perf_counter()
        try:
            with self.warehouse.one_commit():
                stored = (
                    wh.store_tagged_articles(
                        self.warehouse, self.run_id, articles, [a for w in writes for a in w.article_attempts]
                    )
                    if articles
                    else []
                )
                wh.record_fetch_attempts(
                    self.warehouse, self.run_id, [a for w in writes for a in (*w.failed, *w.other_attempts)]
                )
                wh.record_source_outcomes(self.warehouse, outcomes)
        except Exception as exc:  # noqa: BLE001 - the sources behind this batch lose it, the pass goes on
            self._not_stored(writes, exc, stored)
            return
        finally:
            self.on_seconds(time.perf_counter() - started)
        for write in writes:
            write.summary.failed += len(write.failed)
        for outcome in outcomes:
            if not outcome.ok and outcome.source not in self._dropped:  # a lost batch is listed already
                summary = next(w.summary for w in writes if w.summary.source == outcome.source)
                summary.errors.insert(0, f"discovery failed: {outcome.error or 'unknown'}")
                summary.failed += 1
        self._count(writes, stored)

    def _as_stored(self, outcome: SourceOutcome) -> SourceOutcome:
        """A source that lost a batch this pass must not save this pass's validators: the next pass would be told
        "not modified" and never fetch the articles that were not stored. It is recorded as failing instead,
        which keeps its older validators (a feed that changed since answers them in full)."""
        dropped = self._dropped.get(outcome.source)
        if dropped is None:
            return outcome
        return dataclasses.replace(outcome, ok=False, error=dropped, etag=None, last_modified=None)

    def _not_stored(self, writes: list[SourceWrite], exc: Exception, stored: list[TaggedArticle] | None) -> None:
        """The batch's transaction rolled back whole (in a shared pass, what followed the articles did)."""
        detail = f"not stored: {type(exc).__name__}: {exc}"[:500]
        summaries = {w.summary.source: w.summary for w in writes}
        log.error("%d sources' batch %s", len(summaries), detail, exc_info=exc)
        for source, summary in summaries.items():
            self._dropped.setdefault(source, detail)
            summary.errors.insert(0, detail)
            summary.failed += 1
        if stored and self.warehouse.shared:  # a shared pass commits each write alone: these articles are in
            self._count(writes, stored)
        # Best effort, so the sources' health shows it now: the same failure may well stop this write too.
        ended = [w.outcome for w in writes if w.outcome is not None]
        try:
            wh.record_source_outcomes(self.warehouse, [self._as_stored(outcome) for outcome in ended])
        except Exception as again:  # noqa: BLE001
            log.error("sources' health not recorded either: %s", again)

    def _count(self, writes: list[SourceWrite], stored: list[TaggedArticle]) -> None:
        new_per_source = Counter(t.article.source for t in stored)
        for summary in {w.summary.source: w.summary for w in writes}.values():
            summary.new += new_per_source.pop(summary.source, 0)
        self.on_stored(stored)
