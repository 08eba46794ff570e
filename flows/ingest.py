"""The ingest flow: every configured source discovered, fetched, extracted, tagged and stored, as one flow run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from engine import IngestPass, check_before_pass, ingest_source, summary_or_crash
from flows.alerts import announce_alert_candidates
from newsmon import defaults
from newsmon.config import Config, SourceConfig, load_config
from newsmon.records import PassSummary, SourceSummary


@task(name="ingest-source", retries=1, retry_delay_seconds=5, cache_policy=NONE)
def ingest_source_task(ingest_pass: IngestPass, source: SourceConfig) -> SourceSummary:
    """One task per source, not per stage or article: each Prefect task run costs a client and an API round trip,
    and the fetcher already retries each request."""
    return ingest_source(ingest_pass, source)


@flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=defaults.SOURCE_CONCURRENCY),  # type: ignore[arg-type]
      validate_parameters=False)  # fmt: skip
def ingest_flow(
    config_path: str | None = None, lock_wait_s: float = defaults.PASS_LOCK_WAIT_S, config: Config | None = None
) -> PassSummary:
    """One pass, then one alert event per high-scoring article. Deployments pass `config_path`, which is read and
    checked here; the CLI passes the `config` it has already read and checked."""
    if config is None:
        assert config_path is not None, "ingest_flow needs config_path or config"
        config = load_config(config_path)
        check_before_pass(config)
    with IngestPass.open(config, wait_s=lock_wait_s) as ingest_pass:
        futures = [ingest_source_task.submit(ingest_pass, source) for source in config.sources]
        summaries = [
            summary_or_crash(ingest_pass, source, future.result)
            for source, future in zip(config.sources, futures, strict=True)
        ]
        summary = ingest_pass.finish(summaries)
    announce_alert_candidates(ingest_pass.alert_candidates)
    return summary


def run_ingest_once(config: Config, lock_wait_s: float = defaults.PASS_LOCK_WAIT_S) -> PassSummary:
    """One pass as a flow run from the command line (`newsmon run`, `newsmon demo`), on a checked config."""
    with _no_heartbeats_on_a_temporary_server():
        return ingest_flow(config=config, lock_wait_s=lock_wait_s)


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
