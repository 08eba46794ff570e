"""What is retried is decided by a failure's typed reason, once, for the fetcher and for the next pass alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import duckdb
import pytest

import warehouse as wh
from newsmon.records import FailureReason, FetchAttempt
from newsmon.retry import Retry, when_to_retry

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def failed(url: str, reason: FailureReason, detail: str, status: int | None = None) -> FetchAttempt:
    return FetchAttempt.failed(url, "site", status, reason, detail, 10, NOW)


@pytest.mark.parametrize(
    "reason, status, expected",
    [
        (FailureReason.TIMEOUT, None, Retry.NOW),
        (FailureReason.CONNECTION, None, Retry.NOW),
        (FailureReason.HTTP_STATUS, 503, Retry.NOW),
        (FailureReason.HTTP_STATUS, 429, Retry.NOW),
        (FailureReason.HTTP_STATUS, 404, Retry.NEVER),
        (FailureReason.ROBOTS_UNREACHABLE, None, Retry.NEXT_PASS),
        (FailureReason.WORKER_CRASHED, None, Retry.NEXT_PASS),
        (FailureReason.WORKER_UNAVAILABLE, None, Retry.NEXT_PASS),
        (FailureReason.EXTRACTION_TIMEOUT, None, Retry.NEXT_PASS),
        (FailureReason.EMPTY_BODY, 200, Retry.NEXT_PASS),
        (FailureReason.ROBOTS_DISALLOWED, None, Retry.NEVER),
        (FailureReason.NOT_HTML, 200, Retry.NEVER),
        (FailureReason.NO_TEXT, 200, Retry.NEVER),
        (FailureReason.UNSAFE_URL, None, Retry.NEVER),
    ],
)
def test_each_reason_has_one_retry_decision(reason: FailureReason, status: int | None, expected: Retry) -> None:
    assert when_to_retry(reason, status) is expected


def test_the_next_pass_retries_exactly_what_the_policy_says_whatever_the_wording(tmp_path: Path) -> None:
    attempts = [
        failed(f"http://127.0.0.1/{reason.value}", reason, "worded in any way at all: no prefix to match", status)
        for reason in FailureReason
        for status in ((404, 503) if reason is FailureReason.HTTP_STATUS else (None,))
    ]
    with wh.open_warehouse(tmp_path / "w.duckdb") as warehouse:
        wh.record_fetch_attempts(warehouse, 1, attempts)
        retried = set(wh.urls_to_retry_by_source(warehouse, NOW - timedelta(days=1), max_attempts=10).get("site", []))

    expected = {a.url for a in attempts if a.reason and when_to_retry(a.reason, a.status) is not Retry.NEVER}
    assert retried == expected
    assert "http://127.0.0.1/worker_crashed" in retried and "http://127.0.0.1/no_text" not in retried


def test_a_failed_attempt_needs_its_reason_and_a_success_has_none() -> None:
    with pytest.raises(ValueError):
        FetchAttempt("http://127.0.0.1/a", "site", None, "timeout: slow", 5, NOW)
    with pytest.raises(ValueError):
        FetchAttempt("http://127.0.0.1/a", "site", 200, None, 5, NOW, FailureReason.TIMEOUT)
    attempt = failed("http://127.0.0.1/a", FailureReason.TIMEOUT, "no complete answer within 20 s")
    assert attempt.error == "timeout: no complete answer within 20 s" and attempt.reason is FailureReason.TIMEOUT


def test_rows_written_before_reasons_existed_get_theirs_from_their_text(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    folder = resources.files("warehouse") / "migrations"
    with duckdb.connect(str(path)) as old:  # a warehouse as the first release left it
        old.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)")
        for number, name in ((1, "001_initial.sql"), (2, "002_digests.sql")):
            old.execute((folder / name).read_text(encoding="utf-8"))
            old.execute("INSERT INTO schema_migrations VALUES (?, ?, now())", [number, name])
        old.executemany(
            "INSERT INTO fetches (url, source, status, error, elapsed_ms, fetched_at, run_id) "
            "VALUES (?, 's', ?, ?, 1, now(), 1)",
            [
                ["http://127.0.0.1/a", None, "timeout: no complete answer within 20 s"],
                ["http://127.0.0.1/b", None, "connection: robots.txt of 127.0.0.1 unreachable (ConnectError: x)"],
                ["http://127.0.0.1/c", 200, "extraction_failed: worker died (out of memory or a native crash)"],
                ["http://127.0.0.1/d", 200, "extraction_failed: trafilatura raised ValueError"],
                ["http://127.0.0.1/e", 200, None],
            ],
        )

    with wh.open_warehouse(path) as warehouse:
        reasons = dict(warehouse.rows("SELECT url, reason FROM fetches"))

    assert reasons == {
        "http://127.0.0.1/a": "timeout",
        "http://127.0.0.1/b": "robots_unreachable",
        "http://127.0.0.1/c": "worker_crashed",
        "http://127.0.0.1/d": "extraction_failed",
        "http://127.0.0.1/e": None,
    }
