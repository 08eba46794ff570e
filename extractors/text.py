"""Extraction: a fetched HTML page → an Article (text, title, author, date, language), via trafilatura.

Runs inside extraction worker processes, so everything here is pure and picklable.
"""

from __future__ import annotations

import hashlib
import json
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import py3langid
import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.settings import Document

from extractors.dates import parse_iso_datetime, parse_rfc822_date
from extractors.urls import UnsafeURL, article_id_for, canonical_url, host_of
from newsmon import defaults
from newsmon.records import Article, ExtractionFailure, FailureReason, FetchedPage

_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "date",
    "dc.date",
    "dc.date.issued",
    "pubdate",
    "publishdate",
    "sailthru.date",
    "parsely-pub-date",
)
_WS = re.compile(r"\s+")


class ExtractionTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` with ExtractionTimeout. Only in a process's main thread (our workers)."""

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise ExtractionTimeout(f"extraction took longer than {seconds:g} s")

    if seconds <= 0:
        yield
        return
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What the page declares about itself in its markup: cheap to read, and more precise than heuristics."""

    canonical: str | None
    published: datetime | None
    title: str | None
    author: str | None


_TITLE_META = ("og:title", "twitter:title", "dc.title", "headline")
_AUTHOR_META = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author", "byl")


def read_page_metadata(document: lxml_html.HtmlElement) -> PageMetadata:
    """Canonical link, publication time, headline and byline from <link>, <meta>, JSON-LD, <time> and <h1>.

    Reading these ourselves instead of through trafilatura's metadata pass costs a fraction of the time
    (its author search runs dozens of XPath expressions over the whole page), and dates never come from a
    copyright line.
    """
    canonical = None
    for link in document.iter("link"):
        if (link.get("rel") or "").lower().strip() == "canonical" and link.get("href"):
            canonical = link.get("href")
            break
    published = title = author = None
    site_name = None
    for meta in document.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = " ".join((meta.get("content") or "").split())
        if not key or not content:
            continue
        if published is None and key in _PUBLISHED_META:
            published = _page_date(content)
        elif title is None and key in _TITLE_META:
            title = content
        elif author is None and key in _AUTHOR_META and not content.startswith(("http://", "https://")):
            author = content
        elif key == "og:site_name":
            site_name = content
    ld_published, ld_author, ld_headline = _json_ld(document)
    published = published or ld_published
    author = author or ld_author
    title = title or ld_headline
    if published is None:
        published = _publication_time_element(document)
    for heading in document.iter("h1"):
        text = " ".join(heading.text_content().split())
        if text:
            # The visible headline beats og:title, which sites often pad with their name or shorten for sharing.
            title = text
            break
    if title is None:
        title_el = document.find(".//title")
        title = " ".join((title_el.text_content() if title_el is not None else "").split()) or None
    if title and site_name:
        for separator in (" | ", " - ", " – ", " — "):
            if title.endswith(separator + site_name):
                title = title[: -len(separator + site_name)]
    return PageMetadata(canonical, published, title, author)


def _page_date(value: str | None) -> datetime | None:
    """ISO 8601, as the metadata standards ask, or RFC 822, which some sites write in their meta tags."""
    return parse_iso_datetime(value) or parse_rfc822_date(value)


def _publication_time_element(document: lxml_html.HtmlElement) -> datetime | None:
    """A <time> marked as the publication date, else the first dated <time> inside the article. Any other <time>
    is as likely a clock in the header or a date in the most-read rail: the feed's date is better than those."""
    marked = document.xpath("//time[@itemprop='datePublished' or @pubdate]")
    in_article = document.xpath("(//article)[1]//time[@datetime]")
    for node in (*marked, *in_article):
        published = _page_date(node.get("datetime"))
        if published:
            return published
    return None


def _json_ld(document: lxml_html.HtmlElement) -> tuple[datetime | None, str | None, str | None]:
    """datePublished, author name and headline of the first JSON-LD article object on the page."""
    for script in document.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        nodes = data if isinstance(data, list) else [data]
        if isinstance(data, dict) and isinstance(data.get("@graph"), list):
            nodes = data["@graph"]
        for node in nodes:
            if not isinstance(node, dict) or not (node.get("datePublished") or node.get("headline")):
                continue
            published = node.get("datePublished")
            return (
                _page_date(published) if isinstance(published, str) else None,
                _json_ld_author(node.get("author")),
                node["headline"].strip() if isinstance(node.get("headline"), str) else None,
            )
    return None, None, None


def _json_ld_author(value: Any) -> str | None:
    if isinstance(value, list):
        names = [_json_ld_author(v) for v in value]
        return ", ".join(n for n in names if n) or None
    if isinstance(value, dict):
        value = value.get("name")
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")


def detect_language(text: str, hint: str | None) -> str | None:
    """ISO 639-1 code of the text's language; the source's hint when the text is too short to tell.

    Text that is mostly Arabic script is Arabic for our purposes (Persian and Kurdish sources carry a hint);
    anything else goes to py3langid on the first 1,000 characters, which decides as well as the whole text.
    """
    sample = text[:1000]
    if len(sample) < 40:
        return hint
    letters = sum(ch.isalpha() for ch in sample) or 1
    if len(_ARABIC_LETTER.findall(sample)) / letters > 0.5:
        return hint if hint in ("fa", "ku", "ckb", "ur") else "ar"
    lang, _score = py3langid.classify(sample)
    return str(lang)


COMPARE_BELOW_WORDS = 200
"""trafilatura compares its own extraction with readability's and justext's, which is half its time, and the
comparison changes the answer only when its own text comes out short (readability must find over twice as much,
or the extraction hold no paragraph). So a page gets the comparison only when trafilatura's own text has fewer words
than this. `bench/extraction.py` scores both ways on the 181 pages of the shared extraction benchmark and counts the
pages whose text differs; the threshold was chosen on those pages."""


def _main_text(document: lxml_html.HtmlElement, url: str, *, fast: bool) -> Document | None:
    extracted = trafilatura.bare_extraction(
        document,
        url=url,
        fast=fast,  # without the comparison with readability and justext
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        with_metadata=False,  # read_page_metadata does this part, several times faster
    )
    return extracted if isinstance(extracted, Document) else None


def _words(extracted: Document | None) -> int:
    return len(extracted.text.split()) if extracted is not None and extracted.text else 0


def extract_article(
    page: FetchedPage,
    *,
    lang_hint: str | None = None,
    min_words: int = defaults.MIN_ARTICLE_WORDS,
    now: datetime | None = None,
    compare_below_words: int = COMPARE_BELOW_WORDS,
) -> Article | ExtractionFailure:
    """Extract one page. Never raises for a bad page: returns an ExtractionFailure with the reason."""
    first_seen = now or datetime.now(UTC)
    try:
        document = lxml_html.document_fromstring(page.html)
    except (etree.ParserError, ValueError) as exc:
        return ExtractionFailure(page, FailureReason.EXTRACTION_FAILED, f"unparseable HTML: {exc}"[:300])
    metadata = read_page_metadata(document)
    try:
        extracted = _main_text(document, page.final_url, fast=True)
        if _words(extracted) < compare_below_words:  # a short or empty answer: let trafilatura compare it
            extracted = _main_text(document, page.final_url, fast=False)  # it works on a copy of the tree
    except (ValueError, TypeError, etree.LxmlError) as exc:
        return ExtractionFailure(page, FailureReason.EXTRACTION_FAILED, f"{type(exc).__name__}: {exc}"[:300])
    if extracted is None or not extracted.text:
        return ExtractionFailure(page, FailureReason.NO_TEXT, "trafilatura found no article text")
    title = _WS.sub(" ", metadata.title or page.item.title or "").strip()
    text = _strip_leading_title(extracted.text or "", title)
    word_count = len(text.split())
    if word_count < min_words:
        return ExtractionFailure(page, FailureReason.NO_TEXT, f"{word_count} words, fewer than {min_words}")

    url = page.final_url
    if metadata.canonical:
        try:
            candidate = canonical_url(metadata.canonical, base=page.final_url)
        except UnsafeURL:
            candidate = url
        if host_of(candidate) == host_of(url) and urlsplit(candidate).path not in ("", "/"):
            url = candidate  # honoured only on the same host: a canonical link must not move an article off-site
    alternates = tuple(dict.fromkeys(u for u in (page.item.url, page.final_url) if u != url))
    published = metadata.published or page.item.feed_published_at or first_seen
    return Article(
        article_id=article_id_for(url),
        url=url,
        source=page.item.source,
        title=title or url,
        author=metadata.author,
        published_at=published.astimezone(UTC),
        first_seen_at=first_seen,
        lang=detect_language(text, lang_hint),
        text=text,
        word_count=word_count,
        content_hash=hashlib.sha1(_WS.sub(" ", text).strip().lower().encode("utf-8")).hexdigest(),
        alternate_urls=alternates,
    )


def _strip_leading_title(text: str, title: str) -> str:
    first, _, rest = text.partition("\n")
    if title and first.strip() == title:
        return rest.strip()
    return text.strip()
