"""`newsmon serve` as a user runs it: its own Prefect server with a scheduler, the cron deployments registered,
a deployment run that stores articles, and nothing left running after a SIGKILL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from newsmon.sample_server import SampleSite
from tests.conftest import all_sample_sources, query, write_config

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="reads /proc, and ties the server to serve with Linux's PR_SET_PDEATHSIG"
)


class ServeProcess:
    """`newsmon -v serve` in a subprocess; its stderr is read as it comes, so the pipe never fills."""

    def __init__(self, config: Path, prefect_home: Path) -> None:
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}  # serve must start its own server
        env |= {"PREFECT_HOME": str(prefect_home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        newsmon = Path(sys.executable).with_name("newsmon")
        self.process = subprocess.Popen(
            [str(newsmon), "-v", "serve", "--config", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip())

    def api_url(self, timeout_s: float = 120) -> str:
        marker = "local Prefect server with scheduler at "
        found = wait_for(lambda: next((ln.split(marker)[1] for ln in self.lines if marker in ln), None), timeout_s)
        assert found, "serve never reported its Prefect server:\n" + "\n".join(self.lines[-30:])
        return found


def wait_for(probe: Callable[[], Any], timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.25)
    return None


@contextmanager
def serving(config: Path, prefect_home: Path) -> Iterator[ServeProcess]:
    serve = ServeProcess(config, prefect_home)
    try:
        yield serve
    finally:
        serve.process.kill()
        serve.process.wait()


def _prefect_servers(pid: int) -> list[int]:
    """The Prefect servers (`prefect server start`) the process started: other children it may have at that
    moment (a flow run, a probe) are not what the test follows."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and f"\nPPid:\t{pid}\n" in (entry / "status").read_text():
                if b"prefect\x00server\x00start" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def _gone(pid: int) -> bool:
    try:
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()  # ended, waiting to be collected
    except FileNotFoundError:
        return True


def test_serve_schedules_the_cron_runs_a_pass_and_leaves_nothing_behind_when_killed(
    news_site: SampleSite, tmp_path: Path
) -> None:
    config = write_config(tmp_path, all_sample_sources(news_site), '[schedule]\ningest = "*/5 * * * *"\n')
    with serving(config, tmp_path / "prefect-home") as serve:
        api = serve.api_url()
        server = _prefect_servers(serve.process.pid)
        deployment = wait_for(lambda: _get(f"{api}/deployments/name/ingest/newsmon-ingest"), 60)
        assert deployment, "\n".join(serve.lines[-30:])

        # The cron is registered on a server whose scheduler acts on it: runs wait, five minutes apart.
        scheduled = wait_for(lambda: _runs_once_two_are_planned(api, deployment["id"]), 30) or []
        starts = sorted(datetime.fromisoformat(r["expected_start_time"]) for r in scheduled)
        assert len(starts) >= 2 and all(r["state_type"] == "SCHEDULED" for r in scheduled)
        assert {(b - a).total_seconds() for a, b in zip(starts, starts[1:], strict=False)} == {300.0}

        # A run of the deployment now, instead of waiting for the clock: served and run to completion here.
        run = _post(f"{api}/deployments/{deployment['id']}/create_flow_run", {})
        state = wait_for(lambda: _finished_state(api, run["id"]), 120)
        assert state == "COMPLETED", "\n".join(serve.lines[-40:])
        assert query(config, "SELECT count(*) AS n FROM articles") == [{"n": 17}]

        serve.process.kill()  # SIGKILL: no `finally` in serve runs
        serve.process.wait()

    assert len(server) == 1
    assert wait_for(lambda: _gone(server[0]), 30), "serve's Prefect server outlived it"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{api}/health", timeout=2)


def test_serve_stopped_with_sigterm_pauses_its_deployments_and_exits(news_site: SampleSite, tmp_path: Path) -> None:
    # What `docker stop` and systemd send: the process must end by itself, its Prefect server with it.
    config = write_config(tmp_path, all_sample_sources(news_site))
    with serving(config, tmp_path / "prefect-home") as serve:
        api = serve.api_url()
        server = _prefect_servers(serve.process.pid)
        # Once the runner polls for work it handles SIGTERM; before that, the signal's default ends the process.
        assert wait_for(lambda: any("get_scheduled_flow_runs" in line for line in serve.lines), 60)
        serve.process.terminate()
        exit_code = serve.process.wait(timeout=30)

    assert exit_code == 0, "\n".join(serve.lines[-30:])
    assert any("All deployments have been paused" in line for line in serve.lines)
    assert len(server) == 1 and wait_for(lambda: _gone(server[0]), 30)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{api}/health", timeout=2)


def _get(url: str) -> Any:
    response = httpx.get(url, timeout=10)
    return response.json() if response.status_code == 200 else None


def _post(url: str, body: dict[str, Any]) -> Any:
    response = httpx.post(url, json=body, timeout=10)
    response.raise_for_status()
    return response.json()


def _runs_once_two_are_planned(api: str, deployment_id: str) -> list[dict[str, Any]] | None:
    runs = _post(f"{api}/flow_runs/filter", {"deployments": {"id": {"any_": [deployment_id]}}})
    return runs if len(runs) >= 2 else None


def _finished_state(api: str, run_id: str) -> str | None:
    state = (_get(f"{api}/flow_runs/{run_id}") or {}).get("state") or {}
    return state.get("type") if state.get("type") in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None
