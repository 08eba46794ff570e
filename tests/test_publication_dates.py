"""Which date an article is stored with: the page's own metadata, else the feed's date, else first seen.

A date that merely appears on the page (a clock in the header, a most-read rail, a copyright line, a month name
in the text) never wins over the feed's date.
"""

from __future__ import annotations

from datetime import UTC, datetime

from extractors import extract_article
from newsmon.records import Article, FeedItem, FetchAttempt, FetchedPage

FEED_DATE = datetime(2025, 8, 15, 9, 0, tzinfo=UTC)
FIRST_SEEN = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BODY = "".join(
    f"<p>Paragraph {n}: engineers from the water directorate met farmers in the district on Tuesday to agree "
    f"which canal sections are repaired first, and the council promised pumps before the summer heat.</p>"
    for n in range(5)
)


def _stored(
    head: str = "", before_article: str = "", in_article: str = "", feed_date: datetime | None = None
) -> Article:
    url = "http://127.0.0.1:9/news/canal-repairs.html"
    html = (
        f"<html><head><title>Canal repairs agreed</title>{head}</head><body>"
        f"<header><nav><a href='/'>Home</a></nav>{before_article}</header>"
        f"<article><h1>Canal repairs agreed</h1>{in_article}{BODY}</article>"
        f"<aside><h3>Most read</h3><time datetime='2026-02-02T08:00:00Z'>2 Feb</time></aside>"
        f"<footer>© 2019 The Tigris Observer</footer></body></html>"
    )
    item = FeedItem("test", url, title="Canal repairs agreed", feed_published_at=feed_date)
    page = FetchedPage(item, url, html, FetchAttempt(url, "test", 200, None, 1, FIRST_SEEN))
    article = extract_article(page, now=FIRST_SEEN)
    assert isinstance(article, Article), article
    return article


def test_page_metadata_wins_over_the_feed_date() -> None:
    head = "<meta property='article:published_time' content='2025-08-14T18:30:00+03:00'>"
    assert _stored(head=head, feed_date=FEED_DATE).published_at == datetime(2025, 8, 14, 15, 30, tzinfo=UTC)


def test_an_rfc_822_date_in_a_meta_tag_is_read() -> None:
    head = "<meta name='pubdate' content='Wed, 08 Oct 2025 11:00:00 +0300'>"
    assert _stored(head=head).published_at == datetime(2025, 10, 8, 8, 0, tzinfo=UTC)


def test_a_clock_in_the_header_does_not_beat_the_feed_date() -> None:
    clock = "<time datetime='2026-01-05T06:00:00Z'>Monday 5 January</time>"
    assert _stored(before_article=clock, feed_date=FEED_DATE).published_at == FEED_DATE


def test_the_time_element_of_the_article_is_its_date() -> None:
    dateline = "<p class='dateline'><time datetime='2025-08-13T07:15:00Z'>13 August 2025</time></p>"
    assert _stored(in_article=dateline, feed_date=FEED_DATE).published_at == datetime(2025, 8, 13, 7, 15, tzinfo=UTC)


def test_a_time_element_marked_as_the_publication_date_counts_wherever_it_is() -> None:
    marked = "<time itemprop='datePublished' datetime='2025-08-12T10:00:00Z'>12 August</time>"
    assert _stored(before_article=marked, feed_date=FEED_DATE).published_at == datetime(2025, 8, 12, 10, tzinfo=UTC)


def test_without_page_or_feed_date_the_article_is_dated_when_first_seen() -> None:
    assert _stored().published_at == FIRST_SEEN
