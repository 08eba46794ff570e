"""Runs handed to a work pool: started by name, watched until they end or their machine is lost, read back.

Prefect's own flow-run heartbeats come at most every 30 s and nothing acts on them without an automation, so a
run whose machine died would look Running forever. Runs newsmon hands to the pool therefore show their own sign
of life: a label bumped every HEARTBEAT_S while they work. Whoever waits for them (the pass coordinator waiting for
its shards, `newsmon run --pool` waiting for the pass) counts a run that gives no sign for `lost_after_s` as lost,
marks it Crashed, and goes on. A run marked so that is in fact alive stops itself at its next beat: nothing
it does after that reaches the warehouse.

What a run hands back (a shard's outcome, a pass's summary) is a Prefect artifact of the run, stored on the
server: a return value would stay in the result storage of the machine that ran it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from prefect.artifacts import Artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterType,
    FlowRunFilter,
    FlowRunFilterId,
    WorkerFilter,
    WorkerFilterStatus,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.responses import SetStateStatus
from prefect.context import FlowRunContext
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from prefect.settings import get_current_settings
from prefect.states import Cancelled, Crashed

from newsmon.errors import NewsmonError

log = logging.getLogger(__name__)
HEARTBEAT_S = 2.0
POLL_S = 1.0
ALIVE_LABEL = "newsmon.alive"
_STARTING = {StateType.SCHEDULED, StateType.PENDING}


@dataclass(frozen=True, slots=True)
class Lost:
    """A run that stopped giving signs of life (its worker or machine died); it has been marked Crashed."""

    flow_run_id: UUID
    why: str


def api_url_or_fail(command: str) -> str:
    """The Prefect server's API URL, or a one-line error saying how to name one."""
    url = get_current_settings().api.url
    if not url:
        raise NewsmonError(
            f"{command} needs the Prefect server of the work pool at $PREFECT_API_URL, which is not set: "
            "set it (e.g. http://127.0.0.1:4200/api)"
        )
    return url


def pool_deployment_id(name: str, pool: str) -> UUID:
    """The id of the deployment `name` (flow/deployment) registered in `pool`, or a one-line error that says why not
    (server unreachable, not registered, registered in another pool) and what to run."""
    api_url = api_url_or_fail("newsmon run --pool")
    register = f"register it with `newsmon deploy --config FILE --pool {pool}`"
    try:
        with get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name(name)
    except ObjectNotFound:
        raise NewsmonError(f"no deployment {name} on the Prefect server at {api_url}: {register}") from None
    except (httpx.TransportError, PrefectHTTPStatusError) as exc:
        raise NewsmonError(f"cannot reach the Prefect server at {api_url}: {_one_line(exc)}") from exc
    if deployment.work_pool_name != pool:
        raise NewsmonError(
            f"deployment {name} is registered in work pool {deployment.work_pool_name!r}, not {pool!r}: {register}"
        )
    return deployment.id


def start_run(deployment: str | UUID, parameters: dict[str, Any], *, as_subflow: bool = True) -> UUID:
    """Hand one run of a deployment to its pool, without waiting; any live worker of the pool picks it up."""
    flow_run = run_deployment(deployment, parameters=parameters, timeout=0, as_subflow=as_subflow, _sync=True)  # type: ignore[call-arg]
    assert isinstance(flow_run, FlowRun)
    return flow_run.id


def this_runs_pool() -> str | None:
    """The work pool of the flow run this code runs in, or None in a local run (`newsmon run`, `newsmon serve`)."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return None
    return context.flow_run.work_pool_name


def live_workers(pool: str) -> int:
    """How many workers of `pool` the server has heard from lately."""
    with get_client(sync_client=True) as client:
        workers = client.read_workers_for_work_pool(
            pool, worker_filter=WorkerFilter(status=WorkerFilterStatus(any_=["ONLINE"]))
        )
    return len(workers)


@contextmanager
def showing_signs_of_life() -> Iterator[None]:
    """Bump this flow run's ALIVE_LABEL every HEARTBEAT_S while the block runs (see the module's docstring)."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None or context.flow_run.work_pool_name is None:
        yield  # a local run: nobody waits for it elsewhere
        return
    flow_run_id = context.flow_run.id
    done = threading.Event()

    def beat() -> None:
        count = 0
        with get_client(sync_client=True) as client:
            while not done.is_set():
                count += 1
                try:
                    client.update_flow_run_labels(flow_run_id, {ALIVE_LABEL: str(count)})
                    state = client.read_flow_run(flow_run_id).state
                except (httpx.TransportError, PrefectHTTPStatusError) as exc:
                    log.warning("cannot reach the Prefect server to show this run is alive: %s", _one_line(exc))
                    state = None
                if state is not None and state.is_final() and not done.is_set():
                    # Counted as lost by whoever waited for it: they have gone on without this run's work.
                    log.error("this run was marked %s as lost; stopping before it writes anything more", state.name)
                    os._exit(1)
                done.wait(HEARTBEAT_S)

    thread = threading.Thread(target=beat, name="newsmon-alive", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=HEARTBEAT_S * 5)


@dataclass(frozen=True, slots=True)
class Unclaimed:
    """A run no worker picked up in time (every live worker busy); it has been cancelled, so none will."""

    flow_run_id: UUID


def wait_for_runs(
    flow_run_ids: Sequence[UUID], *, lost_after_s: float, pool: str, take_back_unclaimed: bool = False
) -> dict[UUID, FlowRun | Lost | Unclaimed]:
    """Each run once it has ended, or `Lost` once it has shown no sign of life for `lost_after_s`.

    A run still waiting for a worker after `lost_after_s` is cancelled and returned as `Unclaimed` when
    `take_back_unclaimed` (the caller then does its work itself: a coordinator whose shards no worker is free to
    take must not wait for them forever); otherwise it is waited for while some worker of the pool is alive, and
    with none alive for `lost_after_s`, waiting ends with an error that says to start one.
    """
    ended: dict[UUID, FlowRun | Lost | Unclaimed] = {}
    last_sign: dict[UUID, tuple[Any, float]] = {}
    no_worker_since: float | None = None
    with get_client(sync_client=True) as client:
        while len(ended) < len(flow_run_ids):
            now = time.monotonic()
            waiting_for_a_worker = False
            for flow_run_id in flow_run_ids:
                if flow_run_id in ended:
                    continue
                flow_run = client.read_flow_run(flow_run_id)
                state = flow_run.state
                if state is not None and state.is_final():
                    ended[flow_run_id] = flow_run
                    continue
                scheduled = state is not None and state.type == StateType.SCHEDULED
                sign = (state.type if state else None, state.timestamp if state else None,
                        None if scheduled else flow_run.labels.get(ALIVE_LABEL))  # fmt: skip
                previous = last_sign.get(flow_run_id)
                if previous is None or previous[0] != sign:
                    last_sign[flow_run_id] = (sign, now)
                    previous = last_sign[flow_run_id]
                if scheduled:
                    waiting_for_a_worker = True
                    if take_back_unclaimed and now - previous[1] > lost_after_s:
                        message = f"newsmon: no worker was free for {lost_after_s:g} s; the pass did this work itself"
                        taken: Any = client.set_flow_run_state(flow_run_id, Cancelled(message=message))
                        if taken.status == SetStateStatus.ACCEPT:  # else a worker took it at this very moment
                            ended[flow_run_id] = Unclaimed(flow_run_id)
                    continue
                if now - previous[1] > lost_after_s:
                    why = (f"no sign of life for {lost_after_s:g} s while {state.name if state else 'starting'}: "
                           "its worker or machine stopped")  # fmt: skip
                    client.set_flow_run_state(flow_run_id, Crashed(message=f"newsmon: {why}"), force=True)
                    ended[flow_run_id] = Lost(flow_run_id, why)
            if waiting_for_a_worker and not take_back_unclaimed:
                if live_workers(pool):
                    no_worker_since = None
                elif no_worker_since is None:
                    no_worker_since = now
                elif now - no_worker_since > lost_after_s:
                    raise NewsmonError(
                        f"no worker of work pool {pool!r} has been alive for {lost_after_s:g} s to pick up the run: "
                        f"start one with `prefect worker start --pool {pool} --type process`"
                    )
            if len(ended) < len(flow_run_ids):
                time.sleep(POLL_S)
    return ended


def publish(kind: str, text: str) -> None:
    """Attach `text` to this flow run on the server, for whoever waits for it on another machine."""
    Artifact(type=kind, data=text, description=f"newsmon {kind}").create()


def published(flow_run_id: UUID, kind: str) -> str | None:
    """What a run published as `kind`, or None if it published nothing (it ended before)."""
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(type=ArtifactFilterType(any_=[kind])),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
        )
    if not artifacts:
        return None
    data = artifacts[-1].data
    # The client sends a text artifact's data JSON-encoded, and the server hands it back as stored: decode it.
    while isinstance(data, str) and data.startswith('"'):
        data = json.loads(data)
    return data if isinstance(data, str) else json.dumps(data)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
