"""Immediate alerts: pending from the warehouse, sent once, at most one mail per alert_min_interval_minutes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from engine import send_alerts
from tests.notify.conftest import SmtpServer, digest_config, later, sent, store, tagged, text_of


def test_an_article_at_the_threshold_is_alerted_once(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server, alert_threshold=0.9, tags=["isis", "returns"])
    store(config, tagged("hit", "Daesh attack on Tarmiyah checkpoint", scores={"isis": 0.9}))
    outcome = send_alerts(config, now=later(1))
    assert outcome.status == "sent"
    [received] = smtp_server.received
    assert received.recipients == ["analyst@localhost", "director@localhost"]
    assert received.message["Subject"].strip() == "newsmon alert [isis]: Daesh attack on Tarmiyah checkpoint"
    assert "Daesh attack on Tarmiyah checkpoint" in text_of(received.message, "text/html")
    assert received.message["Message-ID"] and received.message["Date"]

    assert send_alerts(config, now=later(60)).status == "nothing_pending"
    assert len(smtp_server.received) == 1
    assert len(sent(config, "alert")) == 1


def test_below_threshold_or_unwatched_tags_are_not_alerted(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server, alert_threshold=0.9, tags=["isis"])
    store(
        config,
        tagged("low", "Routine story on Daesh", scores={"isis": 0.89}),
        tagged("unwatched", "Strong returns story", scores={"returns": 0.99}),
    )
    assert send_alerts(config, now=later()).status == "nothing_pending"
    assert smtp_server.received == []


def test_alerts_are_rate_limited_and_the_rest_batched_into_the_next(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server, alert_threshold=0.9, alert_min_interval_minutes=30)
    start = later(1)
    store(config, tagged("first", "First urgent story", scores={"isis": 0.95}))
    assert send_alerts(config, now=start).status == "sent"

    store(config, tagged("second", "Second urgent story", scores={"isis": 0.97}),
          tagged("third", "Third urgent story", scores={"returns": 0.93}))  # fmt: skip
    held = send_alerts(config, now=start + dt.timedelta(minutes=10))
    assert held.status == "rate_limited" and held.articles == 2
    assert held.next_allowed_at == start + dt.timedelta(minutes=30)
    assert len(smtp_server.received) == 1

    assert send_alerts(config, now=start + dt.timedelta(minutes=30)).status == "sent"
    assert len(smtp_server.received) == 2
    batch = text_of(smtp_server.received[1].message)
    assert "Second urgent story" in batch and "Third urgent story" in batch
    assert "First urgent story" not in batch
    assert smtp_server.received[1].message["Subject"].strip().startswith("newsmon alert [isis, returns]: ")
