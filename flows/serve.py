"""`newsmon serve`: the ingest deployment on its cron, plus the digest and alert deployments, served in this process.

Prefect's temporary (ephemeral) server has no scheduler, so a cron would never fire on it. Unless PREFECT_API_URL
points at a running server, `newsmon serve` starts a local `prefect server start` beside itself and stops it on exit.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from prefect import serve
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.types.entrypoint import EntrypointType

from flows.alerts import alert_deployment
from flows.digest import digest_deployment
from flows.ingest import ingest_flow
from newsmon.config import Config
from newsmon.errors import NewsmonError

log = logging.getLogger(__name__)
SERVER_START_TIMEOUT_S = 90.0
EXIT_GRACE_S = 10.0


def deployments(
    config: Config, *, config_path: str | None = None, entrypoint_type: EntrypointType = EntrypointType.FILE_PATH
) -> list[Any]:
    """Every deployment newsmon runs for this config: `newsmon serve` serves them, `newsmon deploy` registers them
    on a team server or writes them as a prefect.yaml (flows/deploy.py).

    `config_path` is the config file as the runs will see it (a worker in a container sees another path).
    """
    options: dict[str, Any] = {
        "parameters": {"config_path": config_path or str(config.path)},
        "entrypoint_type": entrypoint_type,
    }
    return [
        ingest_flow.to_deployment(
            name="newsmon-ingest",
            description="One ingest pass over every configured source, on [schedule] ingest.",
            cron=config.schedule.ingest,
            **options,
        ),
        digest_deployment(config, **options),
        alert_deployment(config, **options),
    ]


def serve_deployments(config: Config) -> None:
    try:
        if os.environ.get("PREFECT_API_URL"):
            serve(*deployments(config))
            return
        log_path = config.warehouse.path.with_name("prefect-server.log")
        with local_prefect_server(log_path) as api_url, temporary_settings(updates={PREFECT_API_URL: api_url}):
            serve(*deployments(config))
    finally:
        _end_even_if_a_thread_lingers()


def _end_even_if_a_thread_lingers() -> None:
    """Once serving has stopped, the process ends within EXIT_GRACE_S, even if a thread never does.

    Seen once, not reproduced since: after SIGTERM, serve returned, and the interpreter waited forever at exit for
    a non-daemon "AnyIO worker thread" left by Prefect's runner. A service manager would have had to SIGKILL it.
    """

    def exit_late() -> None:
        time.sleep(EXIT_GRACE_S)
        os._exit(1)

    threading.Thread(target=exit_late, name="exit-watchdog", daemon=True).start()


# Run before the server's own code: the kernel sends it SIGTERM when this process dies, even by SIGKILL, when the
# `finally` below never runs. The setting survives exec; the parent check covers a death before prctl took effect.
_PARENT_DEATH_SIGNAL = """
import ctypes, os, signal, sys
parent = int(sys.argv.pop(1))
ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
if os.getppid() != parent:
    sys.exit(1)
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


def _ends_with_this_process() -> list[str]:
    """The interpreter command for a child that must not outlive this process (Linux; elsewhere a plain one)."""
    if sys.platform != "linux":
        return [sys.executable]
    return [sys.executable, "-c", _PARENT_DEATH_SIGNAL, str(os.getpid())]


@contextmanager
def local_prefect_server(log_path: Path) -> Iterator[str]:
    """A `prefect server start` on a free loopback port, with its scheduler; yields its API URL.

    Call it from the main thread: the kernel ends the server when the thread that started it ends, not the process.

    Its output goes to `log_path`: a pipe nobody reads would fill up over months and stall the server.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false"}
    prefect_server = ["-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    command = [*_ends_with_this_process(), *prefect_server]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_file = log_path.open("a", encoding="utf-8")
    server = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if server.poll() is not None:
                raise NewsmonError(f"the local Prefect server exited at start-up; its output is in {log_path}")
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise NewsmonError(
                    f"the local Prefect server did not answer within {SERVER_START_TIMEOUT_S:g} s; "
                    "start one with `prefect server start` and set PREFECT_API_URL"
                )
            time.sleep(0.5)
        log.info("local Prefect server with scheduler at %s", api_url)
        yield api_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log_file.close()
