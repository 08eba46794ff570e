"""The pipeline without Prefect: one ingest pass, re-scoring the archive, and sending digests and alerts.

Each entry point takes a loaded, checked `Config`. flows/ wraps them as Prefect flows and tasks; the CLI calls
flows (for runs Prefect should see) or these directly. Stages never take the pass lock or open the warehouse:
this package does.
"""

from engine.extraction import ExtractionPool
from engine.ingest_pass import IngestPass, check_before_pass, ingest_source, run_pass, summary_or_crash
from engine.retag import RetagOutcome, retag
from engine.send import DeliveredNotRecorded, SendOutcome, message_preview, send_alerts, send_digest

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
