"""What is worth another try, decided once for the fetcher (within a pass) and for the next pass (from `fetches`)."""

from __future__ import annotations

from enum import StrEnum

from newsmon.records import FailureReason

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


class Retry(StrEnum):
    NOW = "now"  # within the pass, with backoff; and again next pass if every try failed
    NEXT_PASS = "next_pass"  # not within the pass (it would fail the same way now), but next pass
    NEVER = "never"  # retrying changes nothing: a 404, robots.txt's rule, a page that is not an article


def when_to_retry(reason: FailureReason, status: int | None) -> Retry:
    if reason in (FailureReason.TIMEOUT, FailureReason.CONNECTION):
        return Retry.NOW
    if reason is FailureReason.HTTP_STATUS:
        return Retry.NOW if status in RETRYABLE_STATUS else Retry.NEVER
    if reason in (
        FailureReason.ROBOTS_UNREACHABLE,
        FailureReason.EMPTY_BODY,
        FailureReason.EXTRACTION_TIMEOUT,
        FailureReason.WORKER_CRASHED,
        FailureReason.WORKER_UNAVAILABLE,
    ):
        return Retry.NEXT_PASS
    return Retry.NEVER


def retried_next_pass() -> tuple[list[str], list[int]]:
    """`when_to_retry` as lists SQL can test: reasons always retried, and the statuses that make http_status so."""
    always = [r for r in FailureReason if r is not FailureReason.HTTP_STATUS]
    reasons = [r.value for r in always if when_to_retry(r, None) is not Retry.NEVER]
    return reasons, sorted(RETRYABLE_STATUS)
