"""The pass's one writer: what its sources have to store goes into the warehouse together, a few hundred articles at
a time, whichever sources they came from.

Each statement on the lake costs milliseconds whatever its size (catalog work, and the dedup query reads every
stored URL), so twenty sources with a hundred new articles each cost twenty full stores when each source writes
its own. Collected, the same articles take a handful. A source's record (its discovery requests, health and
validators) is written in the same commit as its last articles, or a later one, never an earlier one: validators
must not let the next pass skip articles that were never stored.
"""

from __future__ import annotations

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
    that is done, how its discovery went."""

    summary: SourceSummary
    articles: tuple[TaggedArticle, ...] = ()
    article_attempts: tuple[FetchAttempt, ...] = ()
    failed: tuple[FetchAttempt, ...] = ()  # counted as the source's failures
    other_attempts: tuple[FetchAttempt, ...] = ()  # retried pages' earlier attempts, discovery requests: rows only
    outcome: SourceOutcome | None = None  # from a source that is done: its health and validators


@dataclass
class PassWriter:
    """Collects `SourceWrite`s and stores them in one transaction once `batch_articles` articles wait, or when
    `flush` is called (the pass does before assigning stories). While other processes write the same lake
    (`warehouse.shared`), each write is stored at once in its own transactions, which can be run again alone
    after a conflict."""

    warehouse: wh.Warehouse
    run_id: int
    batch_articles: int
    on_stored: Callable[[list[TaggedArticle]], None]  # the pass's counts and alert candidates
    on_seconds: Callable[[float], None]  # the store stage's time
    _pending: list[SourceWrite] = field(default_factory=list)
    _articles: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, write: SourceWrite) -> None:
        """Queue a write; store everything queued if enough articles wait (in the caller's thread)."""
        with self._lock:
            self._pending.append(write)
            self._articles += len(write.articles)
            if self.warehouse.shared or self._articles >= self.batch_articles:
                self._store_pending()

    def flush(self) -> None:
        """Store everything queued."""
        with self._lock:
            self._store_pending()

    def _store_pending(self) -> None:
        writes, self._pending, self._articles = self._pending, [], 0
        if not writes:
            return
        articles = [a for w in writes for a in w.articles]
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
                wh.record_source_outcomes(self.warehouse, [w.outcome for w in writes if w.outcome is not None])
        except Exception as exc:  # noqa: BLE001 - the sources behind this batch lose it, the pass goes on
            # Nothing of the batch is stored, validators included: the next pass fetches these articles again.
            detail = f"not stored: {type(exc).__name__}: {exc}"[:500]
            log.error("%d sources' batch %s", len({w.summary.source for w in writes}), detail, exc_info=exc)
            for summary in {id(w.summary): w.summary for w in writes}.values():
                summary.errors.insert(0, detail)
                summary.failed += 1
            return
        finally:
            self.on_seconds(time.perf_counter() - started)
        new_per_source = Counter(t.article.source for t in stored)
        for write in writes:
            write.summary.failed += len(write.failed)
            outcome = write.outcome
            if outcome is not None and not outcome.ok:
                write.summary.errors.insert(0, f"discovery failed: {outcome.error or 'unknown'}")
                write.summary.failed += 1
        for summary in {id(w.summary): w.summary for w in writes}.values():
            summary.new += new_per_source.pop(summary.source, 0)
        self.on_stored(stored)
