"""Immediate alerts: the ingest flow announces high-scoring articles as Prefect events; the alert deployment,
triggered by those events, sends the pending alerts within the rate limit.

What is pending is read from the warehouse, not from the events, so a lost event delays an alert (until the next
event or the alert deployment's own interval run) but never loses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from prefect import flow
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.events import DeploymentEventTrigger, emit_event
from prefect.schedules import Interval

from engine import send_alerts
from newsmon.config import Config, load_config
from newsmon.records import AlertCandidate

ALERT_EVENT = "newsmon.article.alert"
MIN_FLUSH_INTERVAL = timedelta(minutes=5)
# Off the ingest cron's :00/:30, so a flush run rarely meets an ingest pass at the pass lock.
FLUSH_ANCHOR = datetime(2026, 1, 1, 0, 10, tzinfo=UTC)


def announce_alert_candidates(candidates: Iterable[AlertCandidate]) -> int:
    """One event per (article, tag) at or above the alert threshold; returns how many were emitted."""
    emitted = 0
    for candidate in candidates:
        emit_event(
            event=ALERT_EVENT,
            resource={
                "prefect.resource.id": f"newsmon.article.{candidate.article_id}",
                "newsmon.tag": candidate.tag,
            },
            payload={"article_id": candidate.article_id, "tag": candidate.tag, "score": candidate.score},
        )
        emitted += 1
    return emitted


@flow(name="alerts")
def alert_flow(config_path: str) -> str:
    """The alert deployment's entry point (and `newsmon alert`'s logic): send what is pending, if the rate allows."""
    return send_alerts(load_config(config_path), now=datetime.now(UTC)).describe()


def alert_deployment(config: Config, **options: Any) -> Any:
    """Triggered by each alert event; one run at a time (a burst of events makes one run, not fifty), plus an
    interval run that sends what the rate limit held back when no new event comes.

    `options` (parameters, entrypoint_type) as flows.serve.deployments passes them."""
    interval = max(timedelta(minutes=config.digest.alert_min_interval_minutes), MIN_FLUSH_INTERVAL)
    options.setdefault("parameters", {"config_path": str(config.path)})
    return alert_flow.to_deployment(
        name="newsmon-alert",
        description="Immediate alerts on each newsmon.article.alert event, one run at a time, within the rate limit.",
        triggers=[
            DeploymentEventTrigger(
                name="newsmon-article-alert",
                expect={ALERT_EVENT},
                match={"prefect.resource.id": "newsmon.article.*"},
            )
        ],
        schedules=[Interval(interval, anchor_date=FLUSH_ANCHOR)],
        concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
        **options,
    )
