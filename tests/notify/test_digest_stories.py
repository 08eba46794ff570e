"""The digest reads by story: one entry per event with "also reported by" (outlets and languages) and its places;
a story under several tags is marked "also under", never silently repeated."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import warehouse as wh
from engine import send_digest
from newsmon.records import TaggedArticle
from places import article_places, load_gazetteer
from stories import StoryAssigner
from stories.storing import assign_pending_stories
from tests.notify.conftest import NOW, SmtpServer, digest_config, later, store, tagged, text_of, visible

EVENTS = Path(__file__).resolve().parents[2] / "eval" / "events" / "dev.jsonl"
GAZETTEER = load_gazetteer()


def report(key: str, scores: dict[str, float]) -> TaggedArticle:
    """One of the dev set's reports of the Tal Afar market bombing, stored as an outlet's article."""
    line = next(json.loads(x) for x in EVENTS.read_text(encoding="utf-8").splitlines() if f'"id": "{key}"' in x)
    published = NOW - dt.timedelta(hours=6) + dt.timedelta(minutes=10 * int(key[1:]))
    article = tagged(key, line["title"], scores=scores, source=line["source"], lang=line["lang"], text=line["text"],
                     published_at=published)  # fmt: skip
    return dataclasses.replace(article, places=article_places(GAZETTEER, line["title"], line["text"]))


def store_bombing_reports(config: object) -> None:
    store(
        config,  # type: ignore[arg-type]
        report("d06", {"isis": 0.9}),
        report("d07", {"isis": 0.8, "returns": 0.6}),
        report("d08", {"isis": 0.7}),
        report("d09", {"isis": 0.2}),  # a report of the same event that carries no tag
    )
    with wh.open_warehouse(config.warehouse.path) as warehouse:  # type: ignore[attr-defined]
        assign_pending_stories(warehouse, GAZETTEER, StoryAssigner())


def test_one_entry_per_story_with_its_other_reports_and_places(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server)
    store_bombing_reports(config)
    send_digest(config, now=later())
    text = text_of(smtp_server.received[0].message)

    isis = text[text.index("== ISIS") : text.index("== Returns")]
    assert "== ISIS (3 articles, 1 story) ==" in isis
    assert isis.count("Car bomb kills six in Tal Afar market") == 1, "the best-scored report leads the entry"
    assert "ISIS suspected as blast hits market" not in isis, "the other reports are not repeated as entries"
    assert "Also reported by: levant-ledger (en), rafidain-daily (ar), furat-monitor (ar)" in isis
    assert "Places: Nineveh (IQ-NI)" in isis


def test_a_story_under_two_tags_is_marked_in_the_second(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server)
    store_bombing_reports(config)
    send_digest(config, now=later())
    message = smtp_server.received[0].message
    text = text_of(message)

    returns = text[text.index("== Returns") : text.index("== Reconciliation")]
    assert "ISIS suspected as blast hits market" in returns
    assert "Also under: isis (the same story)" in returns
    assert "Also under: returns" in visible(text_of(message, "text/html"))


def test_every_report_the_digest_carried_is_recorded_so_the_next_digest_repeats_none(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    config = digest_config(tmp_path, smtp_server)
    store_bombing_reports(config)
    send_digest(config, now=later())
    send_digest(config, now=later(5))
    assert len(smtp_server.received) == 1, "nothing new: the second digest is not sent"
