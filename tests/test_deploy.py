"""deploy/prefect.yaml stays runnable: its entrypoints import and its schedules parse."""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path

import yaml
from cronsim import CronSim

from newsmon.config import load_config

ROOT = Path(__file__).resolve().parent.parent
PREFECT_YAML = ROOT / "deploy" / "prefect.yaml"


def _deployments() -> list[dict]:
    return yaml.safe_load(PREFECT_YAML.read_text())["deployments"]


def test_every_entrypoint_imports_a_flow() -> None:
    for deployment in _deployments():
        path, _, name = deployment["entrypoint"].partition(":")
        spec = importlib.util.spec_from_file_location(f"entry_{name}", ROOT / path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        flow = getattr(module, name)
        assert type(flow).__name__ == "Flow", f"{deployment['name']}: {name} is not a Prefect flow"
        assert set(deployment.get("parameters", {})) <= set(flow.parameters.properties)


def test_every_schedule_parses_as_cron() -> None:
    schedules = [s for d in _deployments() for s in d.get("schedules", [])]
    assert schedules
    for schedule in schedules:
        assert next(iter(CronSim(schedule["cron"], datetime(2026, 1, 1)))) > datetime(2026, 1, 1)


def test_deployment_names_are_the_ones_newsmon_serve_uses() -> None:
    from flows.serve import deployments

    served = {d.name for d in deployments(load_config(ROOT / "deploy" / "config" / "newsmon.toml"))}
    assert {d["name"] for d in _deployments()} == served


def test_example_server_config_is_valid() -> None:
    config = load_config(ROOT / "deploy" / "config" / "newsmon.toml")
    assert config.warehouse.path == Path("/app/data/newsmon.duckdb")
