"""The pipeline without Prefect: one ingest pass, re-scoring the archive, and sending digests and alerts.

Each entry point takes a loaded, checked `Config`. flows/ wraps them as Prefect flows and tasks; the CLI calls
flows (for runs Prefect should see) or these directly. Stages never take the pass lock or open the warehouse:
this package does.

The names below load on first use: extraction workers import `engine.extraction` and must not pay for the
warehouse, Prefect-free as it is, nor for the digest's charts (matplotlib), which the rest of the package needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.extraction import ExtractionPool
    from engine.ingest_pass import IngestPass, check_before_pass, ingest_source, run_pass, summary_or_crash
    from engine.retag import RetagOutcome, retag
    from engine.send import DeliveredNotRecorded, SendOutcome, message_preview, send_alerts, send_digest

_HOMES = {
    "ExtractionPool": "engine.extraction",
    "IngestPass": "engine.ingest_pass",
    "check_before_pass": "engine.ingest_pass",
    "ingest_source": "engine.ingest_pass",
    "run_pass": "engine.ingest_pass",
    "summary_or_crash": "engine.ingest_pass",
    "RetagOutcome": "engine.retag",
    "retag": "engine.retag",
    "DeliveredNotRecorded": "engine.send",
    "SendOutcome": "engine.send",
    "message_preview": "engine.send",
    "send_alerts": "engine.send",
    "send_digest": "engine.send",
}

__all__ = [
    "DeliveredNotRecorded",
    "ExtractionPool",
    "IngestPass",
    "RetagOutcome",
    "SendOutcome",
    "check_before_pass",
    "ingest_source",
    "message_preview",
    "retag",
    "run_pass",
    "send_alerts",
    "send_digest",
    "summary_or_crash",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
