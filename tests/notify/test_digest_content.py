"""What a reader finds in a digest, as received by a real SMTP server and parsed by the standard email package."""

from __future__ import annotations

import datetime as dt
import re
import struct
from pathlib import Path

import pytest

import warehouse as wh
from engine import send_alerts, send_digest
from tests.notify.conftest import NOW, SmtpServer, digest_config, later, part, store, tagged, text_of, visible

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_both_parts_and_a_chart_referenced_by_content_id(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server)
    store(config, tagged("a1", "Iraqi forces raid Islamic State cell", scores={"isis": 0.8, "returns": 0.6}))
    send_digest(config, now=later())
    message = smtp_server.received[0].message

    assert re.fullmatch(r"newsmon digest \d{1,2} \w{3} \d{4}: isis 1, returns 1, reconciliation 0", message["Subject"])
    assert message["Date"] and message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@localhost>")
    assert message.get_content_type() == "multipart/alternative"
    html = text_of(message, "text/html")
    assert "Iraqi forces raid Islamic State cell" in text_of(message, "text/plain")
    assert "Iraqi forces raid Islamic State cell" in html

    image = part(message, "image/png")
    png = image.get_content()
    assert png[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", png[16:24])  # IHDR comes first
    assert (width, height) == (600, 220)
    assert len(png) < 60_000
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert "data:" not in html, "mail clients block data: URIs"


def test_items_grouped_by_tag_best_score_first_then_newest(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server)
    store(
        config,
        tagged("low", "Low score story", scores={"isis": 0.55}),
        tagged("old", "High score older story", scores={"isis": 0.9}, published_at=NOW - dt.timedelta(days=2)),
        tagged("new", "High score newer story", scores={"isis": 0.9}, published_at=NOW - dt.timedelta(hours=1)),
        tagged("ret", "A returns story", scores={"returns": 0.7}),
    )
    send_digest(config, now=later())
    text = text_of(smtp_server.received[0].message)
    order = [text.index(t) for t in ("== ISIS (3) ==", "High score newer story", "High score older story",
                                     "Low score story", "== Returns (1) ==", "A returns story")]  # fmt: skip
    assert order == sorted(order)


def test_each_item_has_source_date_snippet_evidence_and_link(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server)
    text = "Families left the al-Hol camp on Monday. " * 20
    store(config, tagged("a1", "Families leave al-Hol", scores={"returns": 0.8}, source="tigris-arabic", text=text,
                         evidence={"returns": ("left the al-Hol camp", "returnees")}))  # fmt: skip
    send_digest(config, now=later())
    message = smtp_server.received[0].message
    for body in (text_of(message), visible(text_of(message, "text/html"))):
        assert "tigris-arabic" in body
        assert f"{(NOW - dt.timedelta(hours=3)):%b %Y}" in body
        assert "Families left the al-Hol camp on Monday." in body
        assert "left the al-Hol camp" in body and "returnees" in body
        assert "https://localhost/articles/a1" in body
    snippet_line = next(line for line in text_of(message).splitlines() if "Families left" in line)
    assert len(text_of(message).split("Families left the al-Hol camp on Monday.")) <= 9, "a snippet, not the article"
    assert len(snippet_line) <= 80


def test_a_long_digest_shortens_lower_ranked_items_but_drops_none(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server, max_full_items_per_tag=2)
    items = [tagged(f"s{i}", f"Story number {i} on Daesh", scores={"isis": 0.6 + i / 100}) for i in range(6)]
    store(config, *items)
    send_digest(config, now=later())
    message = smtp_server.received[0].message
    html = text_of(message, "text/html")
    for body in (text_of(message), visible(html)):
        for i in range(6):
            assert f"Story number {i} on Daesh" in body
        assert "4 more, lower ranked" in body
    for i in range(6):
        assert f"https://localhost/articles/s{i}" in text_of(message)
        assert f'href="https://localhost/articles/s{i}"' in html
    assert html.count("Why tagged") == 2, "only the two best-ranked items are shown whole"


def test_header_compares_with_the_previous_digest_and_names_top_sources(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    config = digest_config(tmp_path, smtp_server)
    store(config, *[tagged(f"w1-{i}", f"Week one story {i}", scores={"isis": 0.7}) for i in range(2)])
    send_digest(config, now=later(1))
    store(config, *[tagged(f"w2-{i}", f"Week two story {i}", scores={"isis": 0.7}, source=f"src-{i % 2}")
                    for i in range(5)])  # fmt: skip
    store(config, tagged("r", "Week two returns", scores={"returns": 0.7}, source="src-0"))
    send_digest(config, now=later(2))
    first, second = (text_of(r.message) for r in smtp_server.received)
    assert re.search(r"isis\s+2\s+first digest", first)
    assert re.search(r"isis\s+5\s+up 3 on the previous digest", second)
    assert re.search(r"returns\s+1\s+up 1 on the previous digest", second)
    assert "Top sources: src-0 4, src-1 2" in second


def test_sources_failing_three_passes_in_a_row_are_flagged(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server)
    store(config, tagged("a1", "Returnees reach Sinjar", scores={"returns": 0.7}))
    with wh.open_warehouse(config.warehouse.path) as warehouse:
        for source, failures in (("broken-feed", 3), ("flaky-feed", 2)):
            for _ in range(failures):
                wh.update_source_state(warehouse, source, f"http://localhost/{source}/rss", ok=False,
                                       error="http_status: 503 Service Unavailable", etag=None, last_modified=None,
                                       at=dt.datetime.now(dt.UTC))  # fmt: skip
    send_digest(config, now=later())
    message = smtp_server.received[0].message
    for body in (text_of(message), visible(text_of(message, "text/html"))):
        assert "broken-feed: 3 passes in a row" in body
        assert "503 Service Unavailable" in body
        assert "flaky-feed" not in body


HOSTILE = [
    pytest.param("<script>alert(1)</script> Mosul", "<script>", id="script-tag"),
    pytest.param('"><img src=x onerror=alert(1)> Ramadi', "<img src=x", id="attribute-breakout"),
    pytest.param("Tikrit <a href='javascript:alert(1)'>x</a>", "<a href='javascript", id="javascript-link"),
]


@pytest.mark.parametrize("title, markup", HOSTILE)
def test_hostile_titles_and_snippets_arrive_as_text_never_markup(
    smtp_server: SmtpServer, tmp_path: Path, title: str, markup: str
) -> None:
    config = digest_config(tmp_path, smtp_server)
    store(config, tagged("a1", title, scores={"isis": 0.95}, text=f"{title} and more {title}",
                         evidence={"isis": (title,)}, source=f"{title}-source"))  # fmt: skip
    send_digest(config, now=later())
    message = smtp_server.received[0].message
    html = text_of(message, "text/html")
    assert markup not in html
    assert "onerror=alert(1)>" not in html
    assert "&lt;" in html
    assert title in text_of(message), "the plain-text part shows the title as written"


def test_a_javascript_url_is_never_a_link(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server)
    store(config, tagged("a1", "Odd link", scores={"isis": 0.95}, url="javascript:alert(1)"))
    send_digest(config, now=later())
    assert 'href="javascript' not in text_of(smtp_server.received[0].message, "text/html")


@pytest.mark.parametrize("field", ["title", "source"])
def test_line_breaks_in_article_fields_never_add_a_header(smtp_server: SmtpServer, tmp_path: Path, field: str) -> None:
    config = digest_config(tmp_path, smtp_server, alert_threshold=0.9)
    hostile = "Breaking\r\nBcc: victim@localhost\r\nX-Injected: yes"
    fields = {"title": hostile, "source": "tigris"} if field == "title" else {"title": "Plain", "source": hostile}
    store(config, tagged("a1", fields["title"], source=fields["source"], scores={"isis": 0.95}))
    send_digest(config, now=later())
    send_alerts(config, now=later())  # the alert's subject carries the title
    assert len(smtp_server.received) == 2
    for received in smtp_server.received:
        assert received.recipients == ["analyst@localhost", "director@localhost"]
        assert received.message["Bcc"] is None and received.message["X-Injected"] is None
        assert "\n" not in received.message["Subject"]


def test_arabic_items_read_right_to_left_in_utf8(smtp_server: SmtpServer, tmp_path: Path) -> None:
    config = digest_config(tmp_path, smtp_server)
    arabic_title = "عودة مئات العائلات النازحة إلى سنجار"
    store(
        config,
        tagged("ar", arabic_title, scores={"returns": 0.9}, lang="ar", source="tigris-arabic",
               text="عادت مئات العائلات النازحة إلى قراها في سنجار هذا الأسبوع بعد سنوات في المخيمات."),
        tagged("en", "Families return to Sinjar", scores={"returns": 0.8}),
    )  # fmt: skip
    send_digest(config, now=later())
    message = smtp_server.received[0].message
    html = text_of(message, "text/html")
    assert re.search(r'<div dir="rtl" lang="ar"[^>]*>\s*<div[^>]*>\s*<a [^>]*>' + arabic_title, html)
    assert re.search(r'<div dir="auto" lang="en"[^>]*>\s*<div[^>]*>\s*<a [^>]*>Families return to Sinjar', html)
    assert arabic_title in text_of(message)
    for content_type in ("text/plain", "text/html"):
        assert part(message, content_type).get_content_charset() == "utf-8"
