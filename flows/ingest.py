"""The ingest flow: every configured source discovered, fetched, extracted, tagged and stored, as one flow run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from flows.alerts import announce_alert_candidates
from flows.ingest_pass import (
    IngestPass,
    discover_source,
    fetch_extract_store,
    record_discovery,
    summary_or_crash,
    unseen_items,
)
from newsmon import defaults
from newsmon.config import Config, SourceConfig, load_config
from newsmon.records import PassSummary, SourceSummary


@task(name="ingest-source", retries=1, retry_delay_seconds=5, cache_policy=NONE)
def ingest_source_task(ingest_pass: IngestPass, source: SourceConfig) -> SourceSummary:
    """One source: discover → fetch → extract + classify → store. One task per source, not per stage or article:
    each Prefect task run costs a client and an API round trip, and the fetcher already retries each request."""
    discovery = discover_source(ingest_pass, source)
    summary = fetch_extract_store(ingest_pass, source, unseen_items(ingest_pass, source, discovery.items))
    summary.seen = len(discovery.items)
    record_discovery(ingest_pass, source, discovery, summary)
    return summary


def run_ingest_pass(config: Config, wait_s: float = 0.0) -> tuple[PassSummary, IngestPass]:
    """One pass over every source; sources run side by side, each source's pages overlap fetch and extraction."""
    with IngestPass.open(config, wait_s=wait_s) as ingest_pass:
        futures = [ingest_source_task.submit(ingest_pass, source) for source in config.sources]
        summaries = [
            summary_or_crash(ingest_pass, source, future.result)
            for source, future in zip(config.sources, futures, strict=True)
        ]
        return ingest_pass.finish(summaries), ingest_pass


@flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=defaults.SOURCE_CONCURRENCY))  # type: ignore[arg-type]
def ingest_flow(config_path: str, lock_wait_s: float = defaults.PASS_LOCK_WAIT_S) -> PassSummary:
    """The deployment's entry point: read the config, run one pass, announce high-scoring articles.

    A pass already running (or a digest recording its send) is waited for `lock_wait_s`, then this one gives up.
    """
    config = load_config(config_path)
    summary, ingest_pass = run_ingest_pass(config, wait_s=lock_wait_s)
    announce_alert_candidates(ingest_pass.alert_candidates)
    return summary


def run_ingest_once(config_path: str, lock_wait_s: float = defaults.PASS_LOCK_WAIT_S) -> PassSummary:
    """One pass as a flow run from the command line (`newsmon run`, `newsmon demo`)."""
    with _no_heartbeats_on_a_temporary_server():
        return ingest_flow(config_path, lock_wait_s=lock_wait_s)


@contextmanager
def _no_heartbeats_on_a_temporary_server() -> Iterator[None]:
    """Flow-run heartbeats let a Prefect server notice a crashed run, but a temporary server dies with this process:
    nothing reads them. And they cost: the engine joins its heartbeat thread, which sleeps in 1 s steps, so every
    run ended up to a second late. Against a real server (PREFECT_API_URL) they stay on."""
    if get_current_settings().api.url:
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
