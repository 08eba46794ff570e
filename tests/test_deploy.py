"""The deploy files work: `newsmon deploy` registers (or writes) exactly what `newsmon serve` serves, from the
config's [schedule]; the Docker set-up keeps state on its data volume and runs the Prefect version we install."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import prefect
import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import ConcurrencyLimitStrategy
from prefect.settings import get_current_settings

from flows.alerts import ALERT_EVENT, FLUSH_ANCHOR
from flows.deploy import prefect_yaml
from flows.serve import deployments
from newsmon.config import load_config
from tests.conftest import run_newsmon, write_config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SERVER_CONFIG = DEPLOY / "config" / "newsmon.toml"
IN_CONTAINER_CONFIG = "/app/config/newsmon.toml"
NAMES = {"ingest": "newsmon-ingest", "digest": "newsmon-digest", "alerts": "newsmon-alert"}
SCHEDULE = '[schedule]\ningest = "*/15 * * * *"\ndigest = "30 6 * * 1-5"\n\n[digest]\nalert_min_interval_minutes = 20\n'


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def _registered() -> dict[str, dict[str, Any]]:
    """What the Prefect server holds for each newsmon deployment, in plain values."""
    found = {}
    with get_client(sync_client=True) as client:
        for flow_name, name in NAMES.items():
            deployment = client.read_deployment_by_name(f"{flow_name}/{name}")
            automations = client.request(
                "GET", f"/automations/related-to/prefect.deployment.{deployment.id}"
            ).json()
            found[name] = {
                "entrypoint": deployment.entrypoint,
                "parameters": deployment.parameters,
                "work_pool": deployment.work_pool_name,
                "crons": sorted(s.schedule.cron for s in deployment.schedules if hasattr(s.schedule, "cron")),
                "intervals": sorted(
                    (s.schedule.interval, s.schedule.anchor_date) for s in deployment.schedules
                    if hasattr(s.schedule, "interval")
                ),  # fmt: skip
                "concurrency_limit": getattr(deployment.global_concurrency_limit, "limit", None),
                "collision": getattr(deployment.concurrency_options, "collision_strategy", None),
                "expects": sorted(e for a in automations for e in a["trigger"].get("expect", [])),
            }
    return found


@pytest.mark.usefixtures("prefect_harness")
def test_deploy_registers_what_serve_serves_with_the_configs_schedule(tmp_path: Path) -> None:
    config = write_config(tmp_path, [], extra=SCHEDULE)
    result = run_newsmon("deploy", "--config", config)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("registered ") == 4

    registered = _registered()
    assert registered["newsmon-ingest"]["crons"] == ["*/15 * * * *"]
    assert registered["newsmon-digest"]["crons"] == ["30 6 * * 1-5"]
    alert = registered["newsmon-alert"]
    assert alert["concurrency_limit"] == 1 and alert["collision"] == ConcurrencyLimitStrategy.CANCEL_NEW
    assert alert["intervals"] == [(timedelta(minutes=20), FLUSH_ANCHOR)]
    assert alert["expects"] == [ALERT_EVENT]
    ingest = registered["newsmon-ingest"]
    assert ingest["concurrency_limit"] == 1 and ingest["collision"] == ConcurrencyLimitStrategy.ENQUEUE, (
        "one team pass at a time: a second waits for the first"
    )
    for name, facts in registered.items():
        assert facts["work_pool"] == "newsmon", name
        assert facts["parameters"] == {"config_path": str(config.resolve())}
        module, _, attribute = facts["entrypoint"].rpartition(".")
        assert type(getattr(importlib.import_module(module), attribute)).__name__ == "Flow", name

    served = {d.name: d for d in deployments(load_config(config))}
    assert served["newsmon-alert"].concurrency_limit == alert["concurrency_limit"]
    assert [s.schedule.interval for s in served["newsmon-alert"].schedules] == [timedelta(minutes=20)]
    assert [s.schedule.cron for s in served["newsmon-ingest"].schedules] == registered["newsmon-ingest"]["crons"]
    with get_client(sync_client=True) as client:
        assert client.read_work_pool("newsmon").type == "process"


@pytest.mark.usefixtures("prefect_harness")
def test_deploy_to_a_named_pool_creates_it_and_puts_every_deployment_there(tmp_path: Path) -> None:
    config = write_config(tmp_path, [], extra=SCHEDULE)
    result = run_newsmon("deploy", "--config", config, "--pool", "team-pool")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("in work pool 'team-pool'") == 4
    assert {facts["work_pool"] for facts in _registered().values()} == {"team-pool"}
    with get_client(sync_client=True) as client:
        assert client.read_work_pool("team-pool").type == "process"
    run_newsmon("deploy", "--config", config)  # back to the default pool, as the other tests expect


@pytest.mark.usefixtures("prefect_harness")
def test_deploying_again_after_a_schedule_change_replaces_the_schedule(tmp_path: Path) -> None:
    config = write_config(tmp_path, [], extra=SCHEDULE)
    assert run_newsmon("deploy", "--config", config).exit_code == 0
    config.write_text(config.read_text().replace("*/15 * * * *", "5 * * * *"), encoding="utf-8")
    assert run_newsmon("deploy", "--config", config).exit_code == 0
    assert _registered()["newsmon-ingest"]["crons"] == ["5 * * * *"]


@pytest.mark.usefixtures("prefect_harness")
def test_a_written_prefect_yaml_registers_the_same_deployments(tmp_path: Path) -> None:
    config = write_config(tmp_path, [], extra=SCHEDULE)
    assert run_newsmon("deploy", "--config", config).exit_code == 0
    by_newsmon_deploy = _registered()

    written = tmp_path / "prefect.yaml"
    result = run_newsmon("deploy", "--config", config, "--write", written)
    assert result.exit_code == 0 and written.exists()
    env = {**os.environ, "PREFECT_API_URL": str(get_current_settings().api.url)}
    subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all", "--prefect-file", str(written)],
        cwd=tmp_path, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert _registered() == by_newsmon_deploy


def test_deploy_without_a_prefect_server_says_how_to_name_one(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    env = {**os.environ, "PREFECT_API_URL": "", "PREFECT_HOME": str(tmp_path / "prefect-home")}
    newsmon = Path(sys.executable).with_name("newsmon")
    result = subprocess.run([newsmon, "deploy", "--config", config], env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: newsmon deploy registers on the Prefect server at $PREFECT_API_URL")
    assert result.stderr.count("\n") == 1


def test_the_committed_prefect_yaml_is_what_newsmon_deploy_writes() -> None:
    written = prefect_yaml(load_config(SERVER_CONFIG), config_path=IN_CONTAINER_CONFIG)
    assert (DEPLOY / "prefect.yaml").read_text(encoding="utf-8") == written, (
        "deploy/prefect.yaml is out of date: run `newsmon deploy --config deploy/config/newsmon.toml "
        f"--worker-config {IN_CONTAINER_CONFIG} --write deploy/prefect.yaml`"
    )


def test_the_prefect_server_image_and_the_workers_prefect_are_the_version_we_install() -> None:
    image = _compose()["services"]["prefect-server"]["image"]
    assert image == f"prefecthq/prefect:{prefect.__version__}-python3.11"
    assert f"ARG PREFECT_VERSION={prefect.__version__}\n" in (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def test_state_lives_on_the_data_volume_and_the_config_mount_is_only_read() -> None:
    config = load_config(SERVER_CONFIG)
    for service in ("worker", "newsmon"):
        mounts = {m.split(":")[1]: m for m in _compose()["services"][service]["volumes"]}
        assert mounts["/app/config"].endswith(":ro") and not mounts["/app/data"].endswith(":ro"), service
    lake = config.warehouse
    catalog = lake.catalog.removeprefix("sqlite:")
    for state in (lake.path, Path(catalog), Path(lake.data_path), config.digest.outbox):
        assert state.is_relative_to("/app/data"), f"{state} is not on the data volume"


def test_the_outbox_defaults_to_the_warehouses_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "state" / "newsmon.duckdb"
    config = write_config(tmp_path, [])
    config.write_text(config.read_text().replace('"data/newsmon.duckdb"', f'"{elsewhere}"'), encoding="utf-8")
    assert load_config(config).digest.outbox == tmp_path / "state" / "outbox"
    assert load_config(write_config(tmp_path, [])).digest.outbox == tmp_path / "data" / "outbox"


def test_the_docker_build_context_leaves_out_the_venv_data_caches_and_git() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", "data", "newsmon-demo", ".git", "**/__pycache__", ".pytest_cache", ".mypy_cache"} <= ignored
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert source not in ignored and (ROOT / source).exists(), source


def test_the_image_gets_every_package_the_project_installs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for package in packages:
        assert f"COPY {package} ./{package}\n" in dockerfile, f"deploy/Dockerfile does not copy {package}/"


def test_team_compose_starts_postgres_an_s3_store_the_server_and_two_workers_of_one_pool() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "team" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    workers = [s for s in services.values() if "worker start --pool newsmon" in str(s.get("command", ""))]
    assert len(workers) == 2
    assert all("--limit 1" in str(w["command"]) for w in workers), "one run at a time, so shards spread over them"
    assert services["prefect-server"]["image"] == f"prefecthq/prefect:{prefect.__version__}-python3.11"
    assert services["postgres"]["image"].startswith("postgres") and services["minio"]["image"] == "minio/minio"
    config = load_config(ROOT / "deploy" / "team" / "newsmon.toml")
    assert config.warehouse.catalog.startswith("postgres:") and "password" not in config.warehouse.catalog
    assert config.warehouse.data_path == "s3://newsmon/lake/" and config.warehouse.s3_use_ssl is False
