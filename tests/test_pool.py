"""A pass handed to a work pool is shared by its live workers, and stores every article once, even when two sources
of two shards list the same story, and even when a worker dies mid-pass. Two process workers on one pool, on a real
Prefect server on loopback, stand for two machines."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
from prefect.client.schemas.objects import StateType
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.serve import local_prefect_server
from newsmon.sample_server import SampleSite
from tests.conftest import query, run_newsmon, source_entry, write_config

pytestmark = pytest.mark.timeout(300)  # a server, two workers and passes of flow-run processes on two cores

POOL = "team"
SOURCES = 6
OWN_ARTICLES = 5  # per source and edition; and each source shares one more story with the source three after it
LOST_AFTER_S = 15  # beats can come seconds late on two loaded cores
# Schedules that never fire while the tests run: only the passes the tests hand over run on the pool.
POOL_SETTINGS = f"""
[extract]
workers = 1

[pool]
lost_after_s = {LOST_AFTER_S}

[schedule]
ingest = "0 0 1 1 *"
digest = "0 0 1 1 *"

[digest]
alert_min_interval_minutes = 1440
"""


def _article_page(edition: int, name: str) -> bytes:
    paragraphs = "".join(
        f"<p>Edition {edition}, report {name}, paragraph {p}: engineers from the water directorate in Mosul met "
        f"farmers on Sunday to plan the repair of pumping station {name}-{p}, which has stood idle since the "
        f"spring floods and left the villages along the canal without water for their orchards.</p>"
        for p in range(5)
    )
    return (
        f"<html><head><title>Pumping station {name}</title></head><body>"
        f"<article><h1>Repairs planned for pumping station {name} (edition {edition})</h1>{paragraphs}</article>"
        "</body></html>"
    ).encode()


@dataclass
class NewsDesks:
    """SOURCES feeds on one loopback site; each edition lists new stories, so every pass has something to store.
    Pages answer after 0.2 s, so a shard is still fetching when a worker is killed."""

    site: SampleSite
    edition: int = 1
    articles: dict[int, set[str]] = field(default_factory=dict)  # edition → every distinct article URL

    def feed_links(self, source: int) -> list[str]:
        own = [f"/e{self.edition}/desk{source}/story-{i}.html" for i in range(OWN_ARTICLES)]
        shared = [f"/e{self.edition}/shared/story-{min(source, partner)}.html"
                  for partner in (source + 3, source - 3) if 0 <= partner < SOURCES]  # fmt: skip
        return [self.site.url(path) for path in own + shared]

    def install(self) -> None:
        def feed(handler: Any) -> None:
            source = int(re.search(r"desk-(\d+)", handler.path)[1])  # type: ignore[index]
            links = self.feed_links(source)
            items = "".join(f"<item><title>{link}</title><link>{link}</link></item>" for link in links)
            body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>d</title>{items}</channel></rss>'
            handler.send_body(200, body.encode(), "application/rss+xml")

        for source in range(SOURCES):
            self.site.routes[f"/feeds/desk-{source}.rss"] = feed

    def publish_edition(self, edition: int) -> None:
        self.edition = edition
        urls = {link for source in range(SOURCES) for link in self.feed_links(source)}
        self.articles[edition] = urls
        for url in urls:
            path = url.removeprefix(self.site.base_url)
            name = path.split("/", 2)[2].replace("/", "-").removesuffix(".html")

            def serve(handler: Any, page: bytes = _article_page(edition, name)) -> None:
                time.sleep(0.2)
                handler.send_body(200, page, "text/html; charset=utf-8")

            self.site.routes[path] = serve


@dataclass
class Team:
    config: Path
    env: dict[str, str]
    desks: NewsDesks
    workers: dict[str, subprocess.Popen[bytes]]
    logs: dict[str, Path]


def _start_worker(name: str, env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--type", "process",
               "--name", name, "--limit", "1"]  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)


def _wait_for_online_workers(count: int, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    with get_client(sync_client=True) as client:
        while True:
            online = [w for w in client.read_workers_for_work_pool(POOL) if w.status and w.status.value == "ONLINE"]
            if len(online) >= count:
                return
            assert time.monotonic() < deadline, f"{count} workers never came online"
            time.sleep(0.5)


def _kill_machine(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and every process it started, as when its machine dies."""
    try:
        family = [*psutil.Process(worker.pid).children(recursive=True), psutil.Process(worker.pid)]
    except psutil.NoSuchProcess:
        return
    for process in family:
        try:
            process.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    worker.wait(timeout=30)


@contextmanager
def _prefect_home(folder: Path) -> Iterator[None]:
    """The server's database and the workers' files in a folder of their own, not in the user's ~/.prefect: runs
    left there by an earlier session must not be picked up by these workers."""
    before = os.environ.get("PREFECT_HOME")
    os.environ["PREFECT_HOME"] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PREFECT_HOME", None)
        else:
            os.environ["PREFECT_HOME"] = before


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    """One Prefect server, the deployments registered in pool "team", and two process workers polling every second."""
    home = tmp_path_factory.mktemp("team")
    with _prefect_home(home / "prefect"), SampleSite() as site, local_prefect_server(home / "server.log") as api_url:
        desks = NewsDesks(site)
        desks.install()
        sources = [source_entry(f"desk-{s}", site.url(f"/feeds/desk-{s}.rss")) for s in range(SOURCES)]
        config = write_config(home, sources, extra=POOL_SETTINGS)
        env = {**os.environ, "PREFECT_API_URL": api_url, "PREFECT_WORKER_QUERY_SECONDS": "1",
               "PREFECT_WORKER_HEARTBEAT_SECONDS": "5", "PREFECT_LOGGING_LEVEL": "INFO",
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}  # fmt: skip
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            deployed = run_newsmon("deploy", "--config", config, "--pool", POOL)
            assert deployed.exit_code == 0, deployed.output
            logs = {name: home / f"{name}.log" for name in ("machine-a", "machine-b")}
            workers = {name: _start_worker(name, env, home, log) for name, log in logs.items()}
            try:
                _wait_for_online_workers(2)
                yield Team(config, env, desks, workers, logs)
            finally:
                for worker in workers.values():
                    _kill_machine(worker)


def _run_on_pool(team: Team) -> subprocess.Popen[str]:
    """`newsmon run --pool` in its own process, as a user at another machine would type it."""
    command = [sys.executable, "-m", "commands.cli", "run", "--config", str(team.config), "--pool", POOL]
    return subprocess.Popen(command, env=team.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _runs_of(deployment: str) -> dict[str, Any]:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[deployment])))
    return {str(run.id): run for run in runs}


def _shard_runs() -> dict[str, Any]:
    return _runs_of("newsmon-ingest-shard")


def _workers_that_ran(run_names: set[str], team: Team) -> set[str]:
    """The workers whose log says they started one of these flow runs (both may try to take a run; one gets it)."""
    started = [f"Flow run '{name}' submitted to infrastructure" for name in run_names]
    return {worker for worker, log in team.logs.items() if any(line in log.read_text() for line in started)}


def _assert_each_article_stored_once(team: Team, edition: int) -> None:
    rows = query(team.config, f"SELECT url, count(*) AS n FROM articles WHERE url LIKE '%/e{edition}/%' GROUP BY url")
    assert {r["url"] for r in rows} == team.desks.articles[edition], "every article of the edition is stored"
    assert {r["n"] for r in rows} == {1}, "and each one once"
    hashes = query(team.config, "SELECT content_hash, count(*) AS n FROM articles GROUP BY 1 HAVING count(*) > 1")
    assert hashes == []


def test_run_on_a_pool_says_in_one_line_what_is_missing(team: Team, tmp_path: Path) -> None:
    with temporary_settings(updates={PREFECT_API_URL: ""}):
        unset = run_newsmon("run", "--config", team.config, "--pool", POOL)
    assert unset.exit_code == 1 and "$PREFECT_API_URL, which is not set" in unset.stderr
    with temporary_settings(updates={PREFECT_API_URL: team.env["PREFECT_API_URL"]}):
        elsewhere = run_newsmon("run", "--config", team.config, "--pool", "elsewhere")
    assert elsewhere.exit_code == 1
    assert "registered in work pool 'team', not 'elsewhere'" in elsewhere.stderr
    assert "newsmon deploy --config FILE --pool elsewhere" in elsewhere.stderr
    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        unreachable = run_newsmon("run", "--config", team.config, "--pool", POOL)
    assert unreachable.exit_code == 1
    assert "cannot reach the Prefect server at http://127.0.0.1:9/api" in unreachable.stderr
    for result in (unset, elsewhere, unreachable):
        assert result.stderr.count("\n") == 1 and result.stdout == ""


def test_a_pass_on_the_pool_is_shared_by_both_workers_and_stores_each_story_once(team: Team) -> None:
    team.desks.publish_edition(1)
    process = _run_on_pool(team)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    distinct = len(team.desks.articles[1])
    assert re.search(rf"run \d+: {distinct} new articles from {SOURCES} sources", stdout), stdout
    for source in range(SOURCES):
        assert re.search(rf"^desk-{source}\s+\d+\s+\d+\s+0\s*$", stdout, re.MULTILINE), stdout

    _assert_each_article_stored_once(team, 1)
    (coordinator,) = [run.name for run in _runs_of("newsmon-ingest").values() if run.state_type == StateType.COMPLETED]
    shards = {run.name for run in _shard_runs().values() if run.state_type == StateType.COMPLETED}
    coordinating, sharding = _workers_that_ran({coordinator}, team), _workers_that_ran(shards, team)
    assert len(coordinating) == 1 and sharding and not coordinating & sharding, "a shard ran on the other worker"
    workers = query(team.config, "SELECT DISTINCT worker FROM fetches WHERE url LIKE '%/e1/%'")
    assert len(workers) >= 2, "the articles were fetched by more than one process"
    runs = query(team.config, "SELECT DISTINCT run_id FROM articles WHERE url LIKE '%/e1/%'")
    assert len(runs) == 1, "every shard stored under the pass's one run id"


def test_a_worker_killed_mid_pass_loses_nothing_and_a_rerun_stores_nothing_twice(team: Team) -> None:
    team.desks.publish_edition(2)
    before = set(_shard_runs())
    process = _run_on_pool(team)
    victim = _worker_running_a_shard_but_not_the_pass(team, before)
    served = len(team.desks.site.requests)
    deadline = time.monotonic() + 60
    while not any("/e2/" in r.path for r in team.desks.site.requests[served:]) and time.monotonic() < deadline:
        time.sleep(0.05)
    _kill_machine(team.workers[victim])

    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert "shard lost: no sign of life" in stdout, stdout

    rerun = _run_on_pool(team)
    stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr
    _assert_each_article_stored_once(team, 2)
    statuses = query(team.config, "SELECT status, count(*) AS n FROM runs GROUP BY 1")
    assert statuses == [{"status": "completed", "n": 3}]


def _worker_running_a_shard_but_not_the_pass(team: Team, earlier_shards: set[str]) -> str:
    """Once a shard of the new pass runs on a worker other than the one coordinating the pass: that worker."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        hosts = {name: _descendants(worker) for name, worker in team.workers.items() if worker.poll() is None}
        with get_client(sync_client=True) as client:
            passes = client.read_flow_runs(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["newsmon-ingest"]))
            )
        coordinating = {name for run in passes if run.state_type == StateType.RUNNING and run.infrastructure_pid
                        for name, pids in hosts.items() if int(run.infrastructure_pid) in pids}  # fmt: skip
        for run_id, run in _shard_runs().items():
            if run_id in earlier_shards or run.state_type != StateType.RUNNING or not run.infrastructure_pid:
                continue
            for name, pids in hosts.items():
                if int(run.infrastructure_pid) in pids and coordinating and name not in coordinating:
                    return name
        time.sleep(0.2)
    raise AssertionError("no shard of the pass ran on the worker that does not coordinate it")


def _descendants(worker: subprocess.Popen[bytes]) -> set[int]:
    try:
        return {p.pid for p in psutil.Process(worker.pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()
