"""The digest flow: one digest of what was tagged since the previous one, served on [schedule] digest."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NONE

from engine import send_digest
from engine.send import DeliveredNotRecorded
from newsmon.config import Config, load_config

DIGEST_RETRIES = 3
DIGEST_RETRY_DELAY_S = 300  # a mail server down for a few minutes should not cost a day's digest


def _retry_unless_delivered(task: Any, task_run: Any, state: Any) -> bool:
    # Safe to retry: a failed send recorded nothing. Not safe once the server accepted it: that would send it twice.
    try:
        state.result()
    except DeliveredNotRecorded:
        return False
    except Exception:
        return True
    return False


@task(name="send-digest", retries=DIGEST_RETRIES, retry_delay_seconds=DIGEST_RETRY_DELAY_S,
      retry_condition_fn=_retry_unless_delivered, cache_policy=NONE)  # fmt: skip
def send_digest_task(config: Config) -> str:
    return send_digest(config, now=datetime.now(UTC)).describe()


@flow(name="digest")
def digest_flow(config_path: str) -> str:
    """The deployment's entry point: read the config, send one digest (or nothing, if nothing is new)."""
    return send_digest_task(load_config(config_path))


def digest_deployment(config: Config, **options: Any) -> Any:
    """On [schedule] digest; `options` (parameters, entrypoint_type) as flows.serve.deployments passes them."""
    options.setdefault("parameters", {"config_path": str(config.path)})
    return digest_flow.to_deployment(
        name="newsmon-digest",
        description="The digest of newly tagged articles, by email or to the outbox, on [schedule] digest.",
        cron=config.schedule.digest,
        **options,
    )
