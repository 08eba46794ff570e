"""`newsmon deploy`: the deployments of one config on a team's Prefect server, registered there or written down.

The deployments are flows/serve.py's `deployments(config)`, the ones `newsmon serve` serves: the crons come from
[schedule], and the alert deployment keeps its event trigger, its one-run-at-a-time limit and its interval run.
Registered or written, they name their flows by module path (`flows.ingest.ingest_flow`), so a worker runs the
installed package whatever folder it starts in, and read the config at `config_path` as the worker sees it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
import yaml
from prefect import __version__ as prefect_version
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.objects import ConcurrencyLimitStrategy, ConcurrencyOptions
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from prefect.settings import get_current_settings
from prefect.types.entrypoint import EntrypointType

from flows.ingest import SHARD_DEPLOYMENT, ingest_flow, ingest_shard_flow
from flows.serve import deployments
from newsmon.config import Config
from newsmon.errors import NewsmonError

DEFAULT_POOL = "newsmon"
POOL_TYPE = "process"  # the compose file's worker: `prefect worker start --pool newsmon --type process`
WORK_QUEUE = "default"


def pool_deployments(config: Config, *, config_path: str | None = None) -> list[RunnerDeployment]:
    """The served deployments, entered by module path, reading `config_path` (default: the config's own path),
    plus what a shared pass needs on a pool: the shard deployment its coordinator hands shards to, and one ingest
    pass at a time (a second waits for the first), since URL claims keep shards apart only within one pass."""
    planned: list[RunnerDeployment] = deployments(
        config, config_path=config_path, entrypoint_type=EntrypointType.MODULE_PATH
    )
    for deployment in planned:
        if deployment.flow_name == ingest_flow.name:
            deployment.concurrency_limit = 1
            deployment.concurrency_options = ConcurrencyOptions(collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)
    shard: RunnerDeployment = ingest_shard_flow.to_deployment(  # type: ignore[assignment]
        name=SHARD_DEPLOYMENT.split("/")[1],
        description="Some sources of a pass shared by the pool; started by the ingest pass, never on a schedule.",
        parameters={"config_path": config_path or str(config.path)},
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    return [*planned, shard]


def register_deployments(config: Config, *, pool: str = DEFAULT_POOL, config_path: str | None = None) -> list[str]:
    """Create or update every deployment on the server at PREFECT_API_URL, in `pool` (a process pool, created
    if missing). Registering again replaces them, so a changed [schedule] takes effect. Returns their names."""
    api_url = get_current_settings().api.url
    if not api_url:
        raise NewsmonError(
            "newsmon deploy registers on the Prefect server at $PREFECT_API_URL, which is not set: set it "
            "(e.g. http://127.0.0.1:4200/api), or write a prefect.yaml instead with --write FILE"
        )
    planned = pool_deployments(config, config_path=config_path)
    try:
        _ensure_pool(pool)
        for deployment in planned:
            deployment.apply(work_pool_name=pool)
    except (httpx.TransportError, PrefectHTTPStatusError) as exc:
        raise NewsmonError(f"cannot register on the Prefect server at {api_url}: {exc}") from exc
    return [f"{d.flow_name}/{d.name}" for d in planned]


def _ensure_pool(pool: str) -> None:
    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=pool, type=POOL_TYPE))


def prefect_yaml(config: Config, *, pool: str = DEFAULT_POOL, config_path: str | None = None) -> str:
    """The same deployments as a prefect.yaml for `prefect deploy --all --prefect-file FILE`."""
    document = {
        "name": "newsmon",
        "prefect-version": prefect_version,
        "pull": [],  # the flows are entered by module path from the installed package: nothing to fetch
        "deployments": [_yaml_entry(d, pool) for d in pool_deployments(config, config_path=config_path)],
    }
    header = (
        f"# Written by `newsmon deploy --write` from {config.path.name}; edit [schedule] there and write it again.\n"
        f"# Register with `prefect deploy --all --prefect-file <this file>`, or skip this file: `newsmon deploy`\n"
        f"# registers the same deployments directly. Work pool {pool!r} is a {POOL_TYPE} pool.\n"
    )
    body: str = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)
    return header + body


def _yaml_entry(deployment: RunnerDeployment, pool: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": deployment.name,
        "description": " ".join((deployment.description or "").split()),
        "entrypoint": deployment.entrypoint,
        "parameters": dict(deployment.parameters),
    }
    schedules = _yaml_schedules(deployment.schedules or [])
    if schedules:
        entry["schedules"] = schedules
    if deployment.concurrency_limit is not None:
        limit: dict[str, Any] = {"limit": deployment.concurrency_limit}
        if deployment.concurrency_options is not None:
            limit["collision_strategy"] = deployment.concurrency_options.collision_strategy.value
        entry["concurrency_limit"] = limit
    if deployment.triggers:
        entry["triggers"] = [_yaml_trigger(t) for t in deployment.triggers]
    entry["work_pool"] = {"name": pool, "work_queue_name": WORK_QUEUE}
    return entry


def _yaml_schedules(schedules: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for created in schedules:
        schedule = created.schedule
        if hasattr(schedule, "cron"):
            out.append({"cron": schedule.cron, "timezone": schedule.timezone or "UTC"})
        elif isinstance(getattr(schedule, "interval", None), timedelta):
            out.append({
                "interval": int(schedule.interval.total_seconds()),
                "anchor_date": schedule.anchor_date.isoformat(),
                "timezone": schedule.timezone or "UTC",
            })  # fmt: skip
        else:  # pragma: no cover - newsmon defines only cron and interval schedules
            raise TypeError(f"no prefect.yaml form for {type(schedule).__name__}")
    return out


def _yaml_trigger(trigger: Any) -> dict[str, Any]:
    spec = json.loads(trigger.model_dump_json(exclude_unset=True))
    spec.pop("name", None)  # prefect deploy names triggers itself
    return {"type": "event", "name": trigger.name, **spec}
