"""Feeds → FeedItems: RSS 0.9x/1.0/2.0, Atom and JSON Feed, with xml:base, read incrementally."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from lxml import etree
from lxml import html as lxml_html

from extractors.dates import parse_feed_date, parse_iso_datetime, utc_from_struct
from extractors.urls import UnsafeURL, canonical_url
from newsmon import defaults
from newsmon.records import FeedItem

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # from broken feeds; no title needs them


class FeedInvalid(ValueError):
    """The body is not a feed or sitemap we can read; the message says what it looked like."""


def feed_item(source: str, link: str, base: str, title: Any, published: datetime | None, guid: Any) -> FeedItem | None:
    try:
        url = canonical_url(link, base=base)
    except (UnsafeURL, ValueError):
        # Kept as written, so the fetch stage refuses it and the refusal is recorded in `fetches`.
        url = str(link).strip()[:2000]
        if not url:
            return None
    clean_title = " ".join(_CONTROL_CHARS.sub(" ", str(title)).split())[:500] if title else None
    return FeedItem(source, url, clean_title or None, published, str(guid)[:500] if guid else None)


def parse_feed(body: bytes, source: str, base_url: str, max_items: int = defaults.MAX_FEED_ITEMS) -> list[FeedItem]:
    """Items of an RSS 0.9x/1.0/2.0, Atom or JSON Feed document; raises FeedInvalid for anything else.

    Well-formed XML is read incrementally with lxml and reading stops after `max_items` items, so a 50,000-item
    feed costs well under a second and little memory. Broken XML (a truncated download, HTML entities XML does
    not define) goes to feedparser, which keeps the items before the damage; it only sees the first `max_items`
    items, because it is about twenty times slower.
    """
    head = body.lstrip()[:1]
    if not head:
        raise FeedInvalid("empty document")
    if head in (b"{", b"["):
        return _parse_json_feed(body, source, base_url, max_items)
    try:
        return _parse_xml_feed(body, source, base_url, max_items)
    except _NotWellFormed:
        pass
    try:
        # Content-Location gives feedparser the feed's URL, from which it resolves xml:base and relative links.
        parsed = feedparser.parse(
            _first_items(body, max_items),
            sanitize_html=False,
            resolve_relative_uris=False,
            response_headers={"content-location": base_url},
        )
    except Exception as exc:  # its loose parser crashes on some input, e.g. chr() of "&#2000000;"
        raise FeedInvalid(f"not a readable feed: {type(exc).__name__}: {exc}"[:300]) from exc
    entries = parsed.get("entries") or []
    if not entries:
        if looks_like_html(body):
            raise FeedInvalid("an HTML page, not a feed")
        if not parsed.get("version"):
            raise FeedInvalid(f"not a feed, and not well-formed XML: {parsed.get('bozo_exception')}"[:300])
        return []
    items: list[FeedItem] = []
    for entry in entries[:max_items]:
        link = entry.get("link") or _first_alternate(entry) or entry.get("id")
        if not link:
            continue
        # dict.get: FeedParserDict.get("updated_parsed") warns (DeprecationWarning) when the entry has no such key.
        published = utc_from_struct(dict.get(entry, "published_parsed")) or utc_from_struct(
            dict.get(entry, "updated_parsed")
        )
        item = feed_item(source, link, base_url, entry.get("title"), published, entry.get("id"))
        if item:
            items.append(item)
    return items


class _NotWellFormed(Exception):
    """lxml could not read the document as XML: feedparser's forgiving parser gets a turn."""


# Start tags of feed items: where to cut a broken feed so feedparser reads only the items we would keep.
_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")


_PUBLISHED_NAMES = ("published", "pubDate", "issued", "date", "created")


_UPDATED_NAMES = ("updated", "modified", "lastBuildDate")


def _first_items(body: bytes, max_items: int) -> bytes:
    for count, match in enumerate(_ITEM_START.finditer(body)):
        if count == max_items:
            return body[: match.start()]
    return body


def looks_like_html(body: bytes) -> bool:
    start = body[:2000].lower()
    return b"<html" in start or b"<!doctype html" in start


def _parse_xml_feed(body: bytes, source: str, base_url: str, max_items: int) -> list[FeedItem]:
    events = etree.iterparse(
        io.BytesIO(body), events=("start", "end"), resolve_entities=False, no_network=True, huge_tree=False
    )
    items: list[FeedItem] = []
    item_name = ""
    try:
        for event, element in events:
            name = local_name(element.tag)
            if not item_name:  # the root element says what kind of document this is
                if name in ("rss", "RDF", "channel"):
                    item_name = "item"
                elif name == "feed":
                    item_name = "entry"
                elif name == "html":
                    raise FeedInvalid("an HTML page, not a feed")
                else:
                    raise FeedInvalid(f"root element <{name or '?'}> is not a feed (rss, rdf:RDF or Atom feed)")
                continue
            if event != "end" or name != item_name:
                continue
            if len(items) >= max_items:
                break
            item = _xml_entry(element, source, base_url)
            if item:
                items.append(item)
            element.clear()  # items already read need no memory
            while element.getprevious() is not None:
                del element.getparent()[0]
    except FeedInvalid:
        raise
    except (etree.LxmlError, ValueError, LookupError) as exc:
        raise _NotWellFormed(str(exc)) from exc
    return items


def _xml_entry(entry: Any, source: str, base_url: str) -> FeedItem | None:
    """One RSS <item> or Atom <entry>, read as feedparser would: link, else alternate link, else guid or id."""
    texts: dict[str, str] = {}
    alternate = None
    alternate_element = text_link_element = None  # where the link came from: it may carry its own xml:base
    for child in entry:
        name = local_name(child.tag)
        if name == "link":
            href = child.get("href")
            if href and child.get("rel", "alternate") == "alternate" and alternate is None:
                alternate, alternate_element = href.strip(), child
            elif child.text and child.text.strip() and "link" not in texts:
                texts["link"], text_link_element = child.text.strip(), child
            continue
        if name and name not in texts:
            if name == "title" and child.get("type") in ("html", "text/html"):
                texts[name] = _html_text(child.text or "")
            else:
                texts[name] = "".join(child.itertext()).strip()
    guid = texts.get("guid") or texts.get("id") or entry.get(_RDF_ABOUT)
    link = texts.get("link") or alternate or guid
    link_element = text_link_element if texts.get("link") else alternate_element if alternate else None
    if not link:
        return None
    published = _first_date(texts, _PUBLISHED_NAMES) or _first_date(texts, _UPDATED_NAMES)
    base = _xml_base(link_element if link_element is not None else entry, base_url)
    return feed_item(source, link, base, texts.get("title"), published, guid)


def _xml_base(element: Any, document_url: str) -> str:
    """The base URI of an element (RFC 4287 §2, XML Base): the document's URL, then each `xml:base` from the root
    down to the element itself, each resolved against the one before (RFC 3986 §5.1)."""
    chain: list[str] = []
    node = element
    while node is not None:
        value = node.get(_XML_BASE)
        if value and value.strip():
            chain.append(value.strip())
        node = node.getparent()
    base = document_url
    for value in reversed(chain):
        try:
            base = urljoin(base, value)
        except ValueError:  # a malformed xml:base (a bad IPv6 literal): the links resolve against what came before
            continue
    return base


# The identifiers the formats define for themselves: names that documents declare, never addresses to fetch.
FORMAT_NAMESPACES = {
    "atom": "http://www.w3.org/2005/Atom",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rss1": "http://purl.org/rss/1.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "sitemap": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "jsonfeed": "https://jsonfeed.org/version/1.1",
    "xml": "http://www.w3.org/XML/1998/namespace",
}


_RDF_ABOUT = f"{{{FORMAT_NAMESPACES['rdf']}}}about"


_XML_BASE = f"{{{FORMAT_NAMESPACES['xml']}}}base"


def _html_text(markup: str) -> str:
    try:
        return str(lxml_html.fragment_fromstring(markup, create_parent="div").text_content())
    except (etree.LxmlError, ValueError):
        return markup


def _first_date(texts: dict[str, str], names: tuple[str, ...]) -> datetime | None:
    for name in names:
        if texts.get(name):
            found = parse_feed_date(texts[name])
            if found:
                return found
    return None


def _first_alternate(entry: Any) -> str | None:
    for link in entry.get("links") or []:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return None


def _parse_json_feed(body: bytes, source: str, base_url: str, max_items: int) -> list[FeedItem]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedInvalid(f"not valid JSON: {exc}"[:300]) from exc
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedInvalid('JSON without an "items" list: not a JSON Feed')
    items: list[FeedItem] = []
    for entry in document["items"][:max_items]:
        if not isinstance(entry, dict):
            continue
        link = entry.get("url") or entry.get("external_url")
        if not isinstance(link, str):
            continue
        published = parse_iso_datetime(entry.get("date_published")) or parse_iso_datetime(entry.get("date_modified"))
        item = feed_item(source, link, base_url, entry.get("title"), published, entry.get("id"))
        if item:
            items.append(item)
    return items


def local_name(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
