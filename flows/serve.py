"""`newsmon serve`: the ingest deployment on its cron (plus digest and alert deployments), served in this process."""

from __future__ import annotations

from typing import Any

from prefect import serve

from flows.alerts import alert_deployment
from flows.digest import digest_deployment
from flows.ingest import ingest_flow
from newsmon.config import Config


def deployments(config: Config) -> list[Any]:
    """Every deployment newsmon serves for this config; deploy/prefect.yaml declares the same ones."""
    parameters = {"config_path": str(config.path)}
    return [
        ingest_flow.to_deployment(name="newsmon-ingest", cron=config.schedule.ingest, parameters=parameters),
        digest_deployment(config),
        alert_deployment(config),
    ]


def serve_deployments(config: Config) -> None:
    serve(*deployments(config))
