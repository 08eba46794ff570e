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
from datetime import UTC, datetime
from types import FrameType
from urllib.parse import urlsplit

import py3langid
import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.settings import Document

from extractors.discover import parse_iso_datetime
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


def _head_metadata(document: lxml_html.HtmlElement) -> tuple[str | None, datetime | None]:
    """The canonical link and the most precise publication time the page declares in its markup."""
    canonical = None
    for link in document.iter("link"):
        if (link.get("rel") or "").lower().strip() == "canonical" and link.get("href"):
            canonical = link.get("href")
            break
    published = None
    for meta in document.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip()
        if key in _PUBLISHED_META or key.lower() in _PUBLISHED_META:
            published = parse_iso_datetime(meta.get("content"))
            if published:
                break
    if published is None:
        published = _json_ld_published(document)
    if published is None:
        for node in document.iter("time"):
            published = parse_iso_datetime(node.get("datetime"))
            if published:
                break
    return canonical, published


def _json_ld_published(document: lxml_html.HtmlElement) -> datetime | None:
    for script in document.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        for node in data if isinstance(data, list) else [data]:
            if isinstance(node, dict) and isinstance(node.get("datePublished"), str):
                found = parse_iso_datetime(node["datePublished"])
                if found:
                    return found
    return None


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


def _trafilatura_date(value: str | None, feed_date: datetime | None) -> datetime | None:
    parsed = parse_iso_datetime(value)
    if parsed is None:
        return None
    # htmldate falls back to 1 January of a copyright year: treat YYYY-01-01 as year-only and prefer the feed.
    if parsed.month == 1 and parsed.day == 1 and feed_date is not None:
        return None
    return parsed


def extract_article(
    page: FetchedPage,
    *,
    lang_hint: str | None = None,
    min_words: int = defaults.MIN_ARTICLE_WORDS,
    now: datetime | None = None,
) -> Article | ExtractionFailure:
    """Extract one page. Never raises for a bad page: returns an ExtractionFailure with the reason."""
    first_seen = now or datetime.now(UTC)
    try:
        document = lxml_html.document_fromstring(page.html)
    except (etree.ParserError, ValueError) as exc:
        return ExtractionFailure(page, FailureReason.EXTRACTION_FAILED, f"unparseable HTML: {exc}"[:300])
    canonical_href, meta_published = _head_metadata(document)
    try:
        extracted = trafilatura.bare_extraction(
            document,
            url=page.final_url,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            with_metadata=True,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except (ValueError, TypeError, etree.LxmlError) as exc:
        return ExtractionFailure(page, FailureReason.EXTRACTION_FAILED, f"{type(exc).__name__}: {exc}"[:300])
    if not isinstance(extracted, Document) or not extracted.text:
        return ExtractionFailure(page, FailureReason.NO_TEXT, "trafilatura found no article text")
    title = _WS.sub(" ", extracted.title or page.item.title or "").strip()
    text = _strip_leading_title(extracted.text or "", title)
    word_count = len(text.split())
    if word_count < min_words:
        return ExtractionFailure(page, FailureReason.NO_TEXT, f"{word_count} words, fewer than {min_words}")

    url = page.final_url
    if canonical_href:
        try:
            candidate = canonical_url(canonical_href, base=page.final_url)
        except UnsafeURL:
            candidate = url
        if host_of(candidate) == host_of(url) and urlsplit(candidate).path not in ("", "/"):
            url = candidate  # honoured only on the same host: a canonical link must not move an article off-site
    alternates = tuple(dict.fromkeys(u for u in (page.item.url, page.final_url) if u != url))
    published = (
        meta_published
        or _trafilatura_date(extracted.date, page.item.feed_published_at)
        or page.item.feed_published_at
        or first_seen
    )
    return Article(
        article_id=article_id_for(url),
        url=url,
        source=page.item.source,
        title=title or url,
        author=(extracted.author or None),
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
