"""Extraction and classification in worker processes, so CPU-bound trafilatura runs on every core beside fetching.

Each document has a time limit inside its worker (SIGALRM) and a hard one outside it: a worker stuck in C code is
killed with its pool, the pages in flight are recorded as failures, and a fresh pool carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from classifiers import SupportsClassify, load_classifier
from extractors import extract_article, time_limit
from extractors.text import ExtractionTimeout
from newsmon.config import ClassifierConfig, ExtractConfig, PlacesConfig
from newsmon.records import (
    Article,
    ClassifierInput,
    ExtractionFailure,
    FailureReason,
    FetchedPage,
    TaggedArticle,
)
from places import Gazetteer, article_places, load_gazetteer
from stories import Signals, read_signals


@dataclass(frozen=True, slots=True)
class WorkerTools:
    """What a worker classifies and places with, loaded once from the pass's config."""

    classifier: SupportsClassify
    gazetteer: Gazetteer

    @classmethod
    def load(cls, classifier_config: ClassifierConfig, places_config: PlacesConfig) -> WorkerTools:
        return cls(load_classifier(classifier_config), load_gazetteer(places_config.extra_names))


_worker_tools: WorkerTools | None = None  # set by the pool's initializer, from the pass's config


@dataclass(frozen=True, slots=True)
class WorkerResult:
    page: FetchedPage
    tagged: TaggedArticle | None
    failure: ExtractionFailure | None
    extract_s: float
    classify_s: float
    cpu_s: float = 0.0  # the worker's CPU time for this page: busy seconds alone can't show a saturated machine
    signals: Signals | None = None  # what story assignment compares, read here beside the text, not in the pass


def _init_worker(classifier_config: ClassifierConfig, pass_pid: int, places_config: PlacesConfig) -> None:
    global _worker_tools
    # Watch first: a pass killed while this worker loads its rules and gazetteer must still take it down.
    threading.Thread(target=_exit_with_the_pass, args=(pass_pid,), name="watch-pass", daemon=True).start()
    _worker_tools = WorkerTools.load(classifier_config, places_config)


def _exit_with_the_pass(pass_pid: int) -> None:
    """A pass killed with SIGKILL cannot shut its pool down: the workers, and the forkserver that forked them,
    would live on forever. Each worker watches the pass's process and, once it is gone, ends itself and them."""
    while True:
        time.sleep(1.0)
        try:
            os.kill(pass_pid, 0)
        except ProcessLookupError:
            forkserver = os.getppid()
            if forkserver not in (1, pass_pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(forkserver, signal.SIGTERM)
            os._exit(1)
        except PermissionError:  # the pid was reused by another user's process: the pass is gone
            os._exit(1)


def tag_article(article: Article, tools: WorkerTools) -> TaggedArticle:
    """Classify and place one extracted article."""
    classification = tools.classifier.classify(
        ClassifierInput(article.article_id, article.title, article.text, article.lang)
    )
    return TaggedArticle(article, classification, article_places(tools.gazetteer, article.title, article.text))


def tag_articles(articles: list[Article]) -> list[TaggedArticle]:
    """Runs in a worker: classify and place a chunk of articles that need no extraction (`newsmon import`)."""
    assert _worker_tools is not None, "runs in a pool whose initializer loaded the tools"
    return [tag_article(article, _worker_tools) for article in articles]


def extract_and_classify(
    page: FetchedPage, lang_hint: str | None, settings: ExtractConfig, tools: WorkerTools | None = None
) -> WorkerResult:
    """Runs in a worker: extract one page under its time limit, then classify it and find its places, with
    `tools`, or in a pool the tools its initializer loaded from the pass's config."""
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        with time_limit(settings.extract_timeout_s):
            outcome = extract_article(page, lang_hint=lang_hint, min_words=settings.min_article_words)
    except ExtractionTimeout as exc:
        outcome = ExtractionFailure(page, FailureReason.EXTRACTION_TIMEOUT, str(exc))
    extracted = time.perf_counter()
    sent_back = dataclasses.replace(page, html="")  # the HTML stays here: only what the store needs goes back
    if isinstance(outcome, ExtractionFailure):
        failure = ExtractionFailure(sent_back, outcome.reason, outcome.detail)
        return WorkerResult(sent_back, None, failure, extracted - started, 0.0, time.process_time() - cpu_started)
    tools = tools or _worker_tools
    assert tools is not None, "a worker's tools come from the pool initializer, or are passed in"
    tagged = tag_article(outcome, tools)
    signals = story_signals(tagged, tools.gazetteer)
    classified = time.perf_counter()
    return WorkerResult(
        sent_back, tagged, None, extracted - started, classified - extracted, time.process_time() - cpu_started,
        signals,
    )  # fmt: skip


def story_signals(tagged: TaggedArticle, gazetteer: Gazetteer) -> Signals:
    """The article's story signals, as `stories.storing` reads them from the stored article (its lead is the
    start of the text: read_signals takes only its first characters)."""
    article = tagged.article
    return read_signals(gazetteer, article.article_id, article.source, article.lang, article.published_at,
                        article.title, article.text, tagged.places)  # fmt: skip


class ExtractionPool:
    """A process pool started on first use (an idle pass never pays for it), shared by every source of a pass."""

    def __init__(
        self, settings: ExtractConfig, classifier_config: ClassifierConfig, places_config: PlacesConfig | None = None
    ) -> None:
        self.settings = settings
        self.classifier_config = classifier_config
        self.places_config = places_config or PlacesConfig()
        self.workers = settings.workers or os.cpu_count() or 2
        self._executor: ProcessPoolExecutor | None = None
        self._answered: set[int] = set()  # ids of the pools that returned at least one page
        self._start_problem: str | None = None  # why workers cannot start, found once per pass
        self._lock = threading.Lock()  # sources run in threads: one pool start, one restart per breakage

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                # forkserver: forking a process running Prefect's threads can deadlock; spawn re-imports everything.
                # The forkserver is started as `python -c …`, which puts the working folder first on sys.path
                # (Python 3.11 ignores the sys.path the parent hands it): a folder named newsmon/, flows/ or
                # warehouse/ where the user stands would shadow the installed packages. Safe-path mode keeps it out.
                os.environ.setdefault("PYTHONSAFEPATH", "1")
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["extractors", "classifiers", "places", "engine.extraction"])
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=context,
                    initializer=_init_worker,
                    initargs=(self.classifier_config, os.getpid(), self.places_config),
                )
            return self._executor

    def _submit(self, page: FetchedPage, lang_hint: str | None) -> tuple[ProcessPoolExecutor, Future[WorkerResult]]:
        executor = self._pool()
        try:
            return executor, executor.submit(extract_and_classify, page, lang_hint, self.settings)
        except BrokenProcessPool:  # a worker died since the last page: start a fresh pool and carry on
            self.restart(executor)
            executor = self._pool()
            return executor, executor.submit(extract_and_classify, page, lang_hint, self.settings)

    async def extract(self, page: FetchedPage, lang_hint: str | None) -> WorkerResult:
        """Extract and classify one page in the pool; a hung or crashed worker becomes a recorded failure.

        The worker's own SIGALRM limit stops slow Python code; this outer limit catches a worker stuck in native
        code (libxml2), which is killed with its pool so the pass goes on.
        """
        hard_limit_s = self.settings.extract_timeout_s * 2 + 30
        executor, future = self._submit(page, lang_hint)
        try:
            result = await asyncio.wait_for(asyncio.wrap_future(future), hard_limit_s)
            self._answered.add(id(executor))
            return result
        except TimeoutError:
            self.restart(executor)
            reason, detail = FailureReason.EXTRACTION_TIMEOUT, f"worker gave no answer within {hard_limit_s:g} s"
        except BrokenProcessPool:
            answered_before = id(executor) in self._answered
            self.restart(executor)
            problem = None if answered_before else await asyncio.to_thread(self.start_problem)
            if problem is not None:
                reason, detail = FailureReason.WORKER_UNAVAILABLE, f"extraction workers cannot start: {problem}"
            else:
                reason, detail = FailureReason.WORKER_CRASHED, "worker died (out of memory or a native crash)"
        sent_back = dataclasses.replace(page, html="")
        return WorkerResult(sent_back, None, ExtractionFailure(sent_back, reason, detail), 0.0, 0.0)

    def locate(self, articles: list[Article]) -> Future[list[TaggedArticle]]:
        """Classify and place a chunk of already extracted articles in the pool (`newsmon import`)."""
        return self._pool().submit(tag_articles, articles)

    def start_problem(self) -> str | None:
        """Why a worker cannot start here, or None if it can: the worker's own import, replayed in a process started
        the way the forkserver is (same interpreter, folder and environment), with its error kept. A pool that
        breaks before its first answer is otherwise indistinguishable from a crash on the page."""
        with self._lock:
            if self._start_problem is None:
                probe = subprocess.run(
                    [sys.executable, "-c", f"import {__name__}"], capture_output=True, text=True, timeout=120
                )
                lines = [line.strip() for line in probe.stderr.splitlines() if line.strip()]
                failed = lines[-1] if lines else f"exit code {probe.returncode}"
                self._start_problem = "" if probe.returncode == 0 else failed
            return self._start_problem or None

    def restart(self, broken: ProcessPoolExecutor) -> None:
        """Kill a broken pool's workers and forget it, unless another thread already replaced it."""
        with self._lock:
            if self._executor is not broken:
                return
            for process in list((getattr(broken, "_processes", None) or {}).values()):
                process.kill()
            broken.shutdown(wait=False, cancel_futures=True)
            self._answered.discard(id(broken))
            self._executor = None

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None
