"""The ingest flow announces each high-scoring new article as a Prefect event, which triggers the alert deployment."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from prefect.events.clients import AssertingEventsClient
from prefect.events.worker import EventsWorker

from newsmon.sample_server import SampleSite
from tests.conftest import EXPECTED, run_newsmon, source_entry, write_config

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def captured_events(monkeypatch: pytest.MonkeyPatch) -> Iterator[EventsWorker]:
    """Prefect's own test client for events (Prefect's code, not ours): every emitted event is kept in memory."""
    worker = EventsWorker.instance(AssertingEventsClient)
    monkeypatch.setattr(EventsWorker, "instance", partial(EventsWorker.instance, client_type=AssertingEventsClient))
    yield worker
    worker.drain()


def test_each_new_article_above_the_alert_threshold_emits_one_event(
    news_site: SampleSite, tmp_path: Path, captured_events: EventsWorker
) -> None:
    extra = '[digest]\nto = ["a@localhost"]\nalert_threshold = 0.6\ntags = ["isis"]\n'
    config = write_config(tmp_path, [source_entry("arabic", news_site.url("/feeds/arabic.atom"))], extra=extra)
    assert run_newsmon("run", "--config", config).exit_code == 0
    captured_events.drain()
    alerts = [e for e in AssertingEventsClient.last.events if e.event == "newsmon.article.alert"]
    arabic = {p: facts for p, facts in EXPECTED["articles"].items() if p.startswith("/articles/ar/")}
    isis_pages = [p for p, facts in arabic.items() if "isis" in facts["tags"]]
    assert len(isis_pages) == 2 and len(alerts) == len(isis_pages)
    assert all(e.resource.id.startswith("newsmon.article.") and e.payload["tag"] == "isis" for e in alerts)
    assert all(e.payload["score"] >= 0.6 for e in alerts)

    AssertingEventsClient.last.events.clear()
    assert run_newsmon("run", "--config", config).exit_code == 0
    captured_events.drain()
    assert not [e for e in AssertingEventsClient.last.events if e.event == "newsmon.article.alert"], "only new articles"
