"""The ingest flow: every configured source discovered, fetched, extracted, tagged and stored, as one flow run.

Run by a worker of a work pool, a pass with several sources is shared: the flow becomes the pass's coordinator,
splits the sources into shards and hands each to the pool as a run of the ingest-shard flow, which any live worker
picks up; all shards store under the coordinator's run id. Run locally (`newsmon run`, `newsmon serve`), it runs
every source itself, in threads, as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from uuid import UUID

from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from engine import IngestPass, check_before_pass, ingest_source, summary_or_crash
from engine.shard import (
    ShardOutcome,
    ShardPass,
    absorb,
    finish_team_pass,
    lost_shard,
    pass_summary_from_json,
    pass_summary_to_json,
    prepare_team_pass,
    shard_sources,
    split_sources,
)
from flows import pool as work_pool
from flows.alerts import announce_alert_candidates
from newsmon import defaults
from newsmon.config import Config, SourceConfig, load_config
from newsmon.errors import NewsmonError
from newsmon.records import PassSummary, SourceSummary

SHARD_DEPLOYMENT = "ingest-shard/newsmon-ingest-shard"
SHARD_OUTCOME = "newsmon-shard-outcome"
PASS_SUMMARY = "newsmon-pass-summary"


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
    pool = work_pool.this_runs_pool()
    with work_pool.showing_signs_of_life(), IngestPass.open(config, wait_s=lock_wait_s) as ingest_pass:
        if pool is not None and config_path is not None and len(config.sources) > 1:
            summary = _shared_by_the_pool(ingest_pass, config_path, pool)
        else:
            summary = ingest_pass.finish(_every_source_here(ingest_pass, config.sources))
    announce_alert_candidates(ingest_pass.alert_candidates)
    if pool is not None:
        work_pool.publish(PASS_SUMMARY, pass_summary_to_json(summary))  # for `newsmon run --pool` to print
    return summary


def _every_source_here(ingest_pass: IngestPass, sources: Sequence[SourceConfig]) -> list[SourceSummary]:
    """One task per source, side by side; a source whose task crashed is recorded and the others go on."""
    futures = [ingest_source_task.submit(ingest_pass, source) for source in sources]
    return [summary_or_crash(ingest_pass, s, future.result) for s, future in zip(sources, futures, strict=True)]


def _shared_by_the_pool(ingest_pass: IngestPass, config_path: str, pool: str) -> PassSummary:
    """The sources in shards, one per live worker (times [pool] shards_per_worker): the first done here, the others
    handed to the pool as runs of the shard deployment; then the pass finished here from every shard's outcome."""
    config = ingest_pass.config
    prepare_team_pass(ingest_pass)
    here, *elsewhere = split_sources(config.sources, work_pool.live_workers(pool) * config.pool.shards_per_worker)
    started_at = ingest_pass.started_at.isoformat()
    runs: dict[UUID, list[str]] = {}
    for names in elsewhere:
        parameters = {"config_path": config_path, "run_id": ingest_pass.run_id, "started_at": started_at,
                      "sources": names}  # fmt: skip
        runs[work_pool.start_run(SHARD_DEPLOYMENT, parameters)] = names
    outcomes = [_shard_here(ingest_pass, here)]
    lost: list[SourceSummary] = []
    ended = work_pool.wait_for_runs(
        list(runs), lost_after_s=config.pool.lost_after_s, pool=pool, take_back_unclaimed=True
    )
    for flow_run_id, names in runs.items():
        end = ended[flow_run_id]
        if isinstance(end, work_pool.Unclaimed):
            outcomes.append(_shard_here(ingest_pass, names))
            continue
        text = None if isinstance(end, work_pool.Lost) else work_pool.published(flow_run_id, SHARD_OUTCOME)
        if text is None:
            lost += lost_shard(names, end.why if isinstance(end, work_pool.Lost) else _ended_without_outcome(end))
            continue
        outcomes.append(ShardOutcome.from_json(text))
    by_name = {summary.source: summary for summary in lost}
    for outcome in outcomes:
        absorb(ingest_pass, outcome)
        by_name.update((summary.source, summary) for summary in outcome.sources)
    return finish_team_pass(ingest_pass, [by_name[source.name] for source in config.sources])


def _shard_here(ingest_pass: IngestPass, names: Sequence[str]) -> ShardOutcome:
    with ShardPass.beside(ingest_pass) as shard:
        return shard.outcome(_every_source_here(shard, shard_sources(ingest_pass.config, names)))


def _ended_without_outcome(flow_run: object) -> str:
    state = getattr(flow_run, "state", None)
    return f"the shard ended {state.name if state else 'without a state'}: {getattr(state, 'message', '') or ''}"


@flow(name="ingest-shard", task_runner=ThreadPoolTaskRunner(max_workers=defaults.SOURCE_CONCURRENCY),  # type: ignore[arg-type]
      validate_parameters=False)  # fmt: skip
def ingest_shard_flow(config_path: str, run_id: int, started_at: str, sources: list[str]) -> None:
    """Some sources of a team pass, stored under its run id (see the module's docstring); the outcome goes back
    to the coordinator as an artifact of this run."""
    config = load_config(config_path)
    with (
        work_pool.showing_signs_of_life(),
        ShardPass.open_shard(config, run_id, datetime.fromisoformat(started_at)) as shard,
    ):
        outcome = shard.outcome(_every_source_here(shard, shard_sources(config, sources)))
    work_pool.publish(SHARD_OUTCOME, outcome.to_json())


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


INGEST_DEPLOYMENT = "ingest/newsmon-ingest"


def run_pass_on_pool(config: Config, pool: str) -> PassSummary:
    """One pass handed to the work pool `pool` (`newsmon run --pool`): a run of the registered ingest deployment,
    which reads the config as the workers see it; waits for it and returns its summary."""
    deployment_id = work_pool.pool_deployment_id(INGEST_DEPLOYMENT, pool)
    flow_run_id = work_pool.start_run(deployment_id, {}, as_subflow=False)
    end = work_pool.wait_for_runs([flow_run_id], lost_after_s=config.pool.lost_after_s, pool=pool)[flow_run_id]
    if isinstance(end, work_pool.Lost):
        raise NewsmonError(f"the pass (flow run {flow_run_id}) was lost: {end.why}; run again to finish it")
    text = work_pool.published(flow_run_id, PASS_SUMMARY)
    if text is None:
        state = getattr(end, "state", None)
        message = " ".join((state.message or "").split()) if state else ""
        raise NewsmonError(f"the pass (flow run {flow_run_id}) ended {state.name if state else '?'}: {message}")
    return pass_summary_from_json(text)
