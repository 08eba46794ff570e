"""Discovery: turn a source (feed, sitemap or section page) into the article links it lists, as FeedItems."""

from __future__ import annotations

import calendar
import io
import json
import re
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urljoin, urlsplit

import feedparser
import feedparser.datetimes as feedparser_dates  # its lenient date parser, for dates RFC 822 and ISO miss
from lxml import etree
from lxml import html as lxml_html

from extractors.charset import decode_html
from extractors.feed_links import feed_links
from extractors.fetch import Fetcher, FetchResult, Validators
from extractors.inflate import GZIP_MAGIC, GzipFileRefused, inflate_gzip_file
from extractors.sitemaps import (
    MAX_CHILD_SITEMAPS,
    SitemapContent,
    is_robots_txt_url,
    is_site_root,
    looks_like_robots_txt,
    robots_sitemaps,
    text_sitemap_urls,
)
from extractors.urls import UnsafeURL, canonical_url, host_of
from newsmon import defaults
from newsmon.config import SourceConfig
from newsmon.records import FailureReason, FeedItem, FetchAttempt, SourceKind

# Links on a section page that are navigation, not articles.
_NAV_PATH = re.compile(
    r"/(tag|tags|topic|topics|category|categories|section|sections|author|authors|page|search|about|contact|"
    r"privacy|terms|login|register|subscribe|newsletters?|feed|rss|video|videos|gallery|live|archive|staff|careers|cookies|"
    r"corrections|contact-us|advertise|sitemap)(/|$|\.)",
    re.I,
)
# An article's last path segment: a slug of three or more words, a long numeric id, or a page under a folder.
_ARTICLE_SLUG = re.compile(r"([\w%]+-[\w%]+-[\w%]+|\d{5,})", re.I)
_DATED_PATH = re.compile(r"/(19|20)\d\d/(0?[1-9]|1[0-2])(/(0?[1-9]|[12]\d|3[01]))?/[^/]+")  # /2025/11/03/slug
_YEAR = re.compile(r"(19|20)\d\d")
_ID_PARAMS = frozenset(
    {"id", "p", "aid", "nid", "sid", "story", "storyid", "story_id", "article", "articleid", "article_id", "newsid",
     "news_id", "itemid", "contentid"}
)  # fmt: skip
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # from broken feeds; no title needs them


_Read = TypeVar("_Read")


class FeedInvalid(ValueError):
    """The body is not a feed or sitemap we can read; the message says what it looked like."""


@dataclass(slots=True)
class Discovery:
    """What discovering one source found: the items, every request made, and validators for next time."""

    items: list[FeedItem] = field(default_factory=list)
    attempts: list[FetchAttempt] = field(default_factory=list)
    validators: Validators | None = None
    not_modified: bool = False
    found: str | None = None  # what the source turned out to be ("sitemap index, 3 children, gzip, 40 URLs")

    @property
    def failed(self) -> bool:
        return not self.items and any(a.error for a in self.attempts) and not self.not_modified


def _utc(struct: Any) -> datetime | None:
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def parse_iso_datetime(value: str | None) -> datetime | None:
    """ISO 8601 dates as feeds and sitemaps write them; date-only values mean midnight UTC."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _item(source: str, link: str, base: str, title: Any, published: datetime | None, guid: Any) -> FeedItem | None:
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
        if _looks_like_html(body):
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
        published = _utc(dict.get(entry, "published_parsed")) or _utc(dict.get(entry, "updated_parsed"))
        item = _item(source, link, base_url, entry.get("title"), published, entry.get("id"))
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


def _looks_like_html(body: bytes) -> bool:
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
            name = _local(element.tag)
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
        name = _local(child.tag)
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
    return _item(source, link, base, texts.get("title"), published, guid)


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


def parse_feed_date(value: str) -> datetime | None:
    """A feed's date as UTC: RFC 822 (RSS), ISO 8601 (Atom, dc:date), then feedparser's many lenient formats."""
    return parse_rfc822_date(value) or parse_iso_datetime(value) or _utc(feedparser_dates._parse_date(value))


def parse_rfc822_date(value: str | None) -> datetime | None:
    """An RFC 822 date (`Wed, 08 Oct 2025 11:00:00 +0300`) as UTC; no zone means UTC."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


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
        item = _item(source, link, base_url, entry.get("title"), published, entry.get("id"))
        if item:
            items.append(item)
    return items


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_sitemap(body: bytes, source: str, base_url: str, max_items: int = defaults.MAX_FEED_ITEMS) -> SitemapContent:
    """Article URLs of a urlset (plain or Google News) or of a plain-text sitemap, or the child sitemaps of a
    sitemap index or of a robots.txt's `Sitemap:` lines. A feed given as a sitemap is read as a feed."""
    head = body.lstrip()[:4].removeprefix(b"\xef\xbb\xbf").lstrip()[:1]
    if head and head != b"<":
        return _parse_text_sitemap(body, source, base_url, max_items)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise FeedInvalid(f"not well-formed XML: {exc}"[:300]) from exc
    if root is None:
        raise FeedInvalid("not XML")
    kind = _local(root.tag)
    if kind == "sitemapindex":
        children = [loc for loc in (_child_text(sm, "loc") for sm in root) if loc]
        return SitemapContent([], children[:MAX_CHILD_SITEMAPS], "sitemap index")
    if kind != "urlset":
        if kind in ("rss", "feed", "RDF"):
            return SitemapContent(parse_feed(body, source, base_url, max_items), [], "feed")
        raise FeedInvalid(f"root element <{kind or '?'}> is neither <urlset> nor <sitemapindex>")
    items: list[FeedItem] = []
    for url_el in root:
        if len(items) >= max_items:
            break
        loc = _child_text(url_el, "loc")
        if not loc:
            continue
        title = None
        published = parse_iso_datetime(_child_text(url_el, "lastmod"))
        for child in url_el:
            if _local(child.tag) == "news":
                title = _child_text(child, "title") or title
                published = parse_iso_datetime(_child_text(child, "publication_date")) or published
        item = _item(source, loc, base_url, title, published, None)
        if item:
            items.append(item)
    return SitemapContent(items, [])


def _parse_text_sitemap(body: bytes, source: str, base_url: str, max_items: int) -> SitemapContent:
    """A robots.txt (its `Sitemap:` lines) or a plain-text sitemap (one URL per line, UTF-8 as the protocol says)."""
    if b"\x00" in body[:1000]:
        raise FeedInvalid("binary data: neither XML, nor a plain-text sitemap, nor a robots.txt")
    text = body.decode("utf-8", errors="replace")
    if looks_like_robots_txt(text):
        return SitemapContent([], robots_sitemaps(text, base_url), "robots.txt")
    urls = text_sitemap_urls(text, max_items)
    if not urls:
        raise FeedInvalid("not XML, and no line is an http(s) URL as a plain-text sitemap has")
    items = [item for item in (_item(source, url, base_url, None, None, None) for url in urls) if item]
    return SitemapContent(items, [], "plain-text sitemap")


def _child_text(element: Any, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name and child.text:
            return str(child.text).strip()
    return None


def parse_section_page(
    html: str, source: str, base_url: str, max_links: int = defaults.MAX_PAGE_LINKS
) -> list[FeedItem]:
    """Links on a section page that look like articles on the same site, in page order."""
    try:
        document = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise FeedInvalid(f"section page is not parseable HTML: {exc}"[:300]) from exc
    site = host_of(base_url)
    items: dict[str, FeedItem] = {}
    for anchor in document.iter("a"):
        href = anchor.get("href")
        if not href or href.startswith(("mailto:", "javascript:", "tel:", "#")):
            continue
        item = _item(source, href, base_url, anchor.text_content(), None, None)
        if item is None or not item.url.startswith(("http://", "https://")) or host_of(item.url) != site:
            continue
        if item.url in items:
            continue
        parts = urlsplit(item.url)
        if not _looks_like_article(parts.path, parts.query):
            continue
        items[item.url] = item
        if len(items) >= max_links:
            break
    return list(items.values())


def _looks_like_article(path: str, query: str) -> bool:
    """Section pages link to articles in several shapes: a slug of three words or more (/kocho-site-exhumation.html,
    with or without a trailing slash), a dated path (/2025/11/03/any-slug), a numeric id (/ar/news/4521,
    article.php?id=4521), a page under a folder. Anything else is taken for navigation."""
    segments = [s for s in path.split("/") if s]
    if not segments or _NAV_PATH.search(path):
        return False
    last = segments[-1]
    if _ARTICLE_SLUG.search(last) or _DATED_PATH.search(path):
        return True
    if len(segments) >= 2 and last.endswith((".html", ".htm", ".shtml")):
        return True
    if len(segments) >= 2 and last.isdigit() and len(last) >= 3 and not _YEAR.fullmatch(last):
        return True
    return any(name.lower() in _ID_PARAMS and value.isdigit() for name, value in parse_qsl(query))


async def discover_feed_items(source: SourceConfig, fetcher: Fetcher, validators: Validators | None) -> Discovery:
    """Fetch a source and list its article links. Never raises for a bad source: failures are in `attempts`."""
    discovery = Discovery()
    settings = fetcher.settings
    if source.kind is SourceKind.SITEMAP and is_site_root(source.url):
        await _guarded(discovery, _discover_site_root(source, fetcher, discovery))
        discovery.items = list(_unique(discovery.items))
        return discovery
    # A robots.txt is always allowed to its own reader (RFC 9309 §2.2.2), and it only points at sitemaps: a 304
    # for it would say nothing about them, so it is read whole like a sitemap index.
    robots_source = source.kind is SourceKind.SITEMAP and is_robots_txt_url(source.url)
    result = await fetcher.fetch(
        source.url,
        source.name,
        max_bytes=settings.max_feed_bytes,
        validators=None if robots_source else validators,
        expect_html=source.kind is SourceKind.PAGE,
        check_robots=not robots_source,
    )
    discovery.attempts.extend((*result.earlier_attempts, result.attempt))
    if result.not_modified:
        discovery.not_modified = True
        discovery.validators = validators
        return discovery
    if not result.ok:
        return discovery
    if source.kind is SourceKind.FEED:
        read_whole = await _guarded(discovery, _read_feed(result, source, fetcher, discovery))
    elif source.kind is SourceKind.PAGE:
        read_whole = await _guarded(discovery, _read_section_page(result, source, discovery))
    else:
        read_whole = await _guarded(discovery, _read_sitemap(result, source, fetcher, discovery))
    if read_whole is None:  # the document could not be read: the failure is the last attempt's
        discovery.items = []
        return discovery
    # A sitemap index stays the same while its children gain articles, and a page that links a feed changes
    # whenever the feed does not: a 304 for either says nothing about the articles, so they are read whole every
    # pass (an index's children bounded by MAX_SITEMAP_FETCHES).
    discovery.validators = None if read_whole else result.validators
    discovery.items = list(_unique(discovery.items))
    return discovery


async def _guarded(discovery: Discovery, step: Awaitable[_Read]) -> _Read | None:
    """Run one reading step; a document that cannot be read marks the request that fetched it as failed."""
    try:
        return await step
    except FeedInvalid as exc:
        discovery.attempts[-1] = _as_failure(discovery.attempts[-1], FailureReason.FEED_INVALID, str(exc))
    except GzipFileRefused as exc:
        discovery.attempts[-1] = _as_failure(discovery.attempts[-1], exc.reason, str(exc))
    return None


def _unpacked(body: bytes, cap: int) -> tuple[bytes, bool]:
    """A body as a document: a gzip file (`.xml.gz`, sent without Content-Encoding) inflated within the byte cap.

    Told by its magic bytes rather than its name or Content-Type: servers label them application/x-gzip,
    application/octet-stream or text/xml alike."""
    if body.startswith(GZIP_MAGIC):
        return inflate_gzip_file(body, cap), True
    return body, False


async def _read_section_page(result: FetchResult, source: SourceConfig, discovery: Discovery) -> bool:
    discovery.items = parse_section_page(result.text(), source.name, result.final_url)
    discovery.found = f"section page, {_count(len(discovery.items), 'article link')}"
    return False


async def _read_feed(result: FetchResult, source: SourceConfig, fetcher: Fetcher, discovery: Discovery) -> bool:
    """The feed's items; for an HTML page, the items of the first feed its head links to (autodiscovery).

    Returns whether the source must be read whole next pass (it was a page pointing at a feed)."""
    settings = fetcher.settings
    body, gzipped = _unpacked(result.body, settings.max_feed_bytes)
    try:
        discovery.items = parse_feed(body, source.name, result.final_url, settings.max_feed_items)
    except FeedInvalid:
        if not _looks_like_html(body):
            raise
    else:
        discovery.found = f"feed{', gzip' if gzipped else ''}, {_count(len(discovery.items), 'item')}"
        return False
    links = feed_links(decode_html(body, result.charset), result.final_url)
    if not links:
        raise FeedInvalid('an HTML page, not a feed, and it links to no feed (<link rel="alternate" type=…>)')
    # The first one: pages list their main feed first; the others are mostly the same items in another format or
    # comment feeds. Another of the page's feeds is a source of its own, given by its URL.
    link = links[0]
    others = f" (first of {len(links)} it links)" if len(links) > 1 else ""
    discovery.found = f"HTML page; feed found at {link.url}{others}"
    feed = await fetcher.fetch(link.url, source.name, max_bytes=settings.max_feed_bytes, expect_html=False)
    discovery.attempts.extend((*feed.earlier_attempts, feed.attempt))
    if feed.ok:
        feed_body, _ = _unpacked(feed.body, settings.max_feed_bytes)
        discovery.items = parse_feed(feed_body, source.name, feed.final_url, settings.max_feed_items)
        discovery.found += f", {_count(len(discovery.items), 'item')}"
    return True


async def _read_sitemap(result: FetchResult, source: SourceConfig, fetcher: Fetcher, discovery: Discovery) -> bool:
    """Articles of a sitemap, a sitemap index and its children, or the sitemaps a robots.txt names.

    Returns whether the source must be read whole next pass (it points at other sitemaps)."""
    settings = fetcher.settings
    body, gzipped = _unpacked(result.body, settings.max_feed_bytes)
    root = parse_sitemap(body, source.name, result.final_url, settings.max_feed_items)
    walk = _SitemapWalk(gzipped=int(gzipped))
    discovery.items = list(_unique(await _walk_sitemaps(root, result.final_url, source, fetcher, discovery, walk)))
    heads = {
        "sitemap index": f"sitemap index, {_count(len(root.child_sitemaps), 'child', 'children')}",
        "robots.txt": f"robots.txt, {_count(len(root.child_sitemaps), 'sitemap')}",
        "feed": "a feed given as a sitemap",
    }
    discovery.found = walk.describe(heads.get(root.kind, root.kind), len(discovery.items))
    return bool(root.child_sitemaps) or root.kind == "robots.txt"


async def _discover_site_root(source: SourceConfig, fetcher: Fetcher, discovery: Discovery) -> bool:
    """A site's home address given as a sitemap source: the sitemaps its robots.txt names, else /sitemap.xml."""
    robots_url = urljoin(source.url, "/robots.txt")
    result = await fetcher.fetch(
        robots_url, source.name, max_bytes=fetcher.settings.max_feed_bytes, expect_html=False, check_robots=False
    )
    discovery.attempts.extend((*result.earlier_attempts, result.attempt))
    named = robots_sitemaps(result.body.decode("utf-8", errors="replace"), result.final_url) if result.ok else []
    if named:
        root = SitemapContent([], named, "robots.txt")
        head = f"site root: robots.txt names {_count(len(named), 'sitemap')}"
    else:
        root = SitemapContent([], [urljoin(source.url, "/sitemap.xml")], "guess")
        head = "site root: no Sitemap: line in robots.txt, so /sitemap.xml"
    walk = _SitemapWalk()
    discovery.items = list(_unique(await _walk_sitemaps(root, robots_url, source, fetcher, discovery, walk)))
    if not named and walk.first_kinds:
        head += f" ({walk.first_kinds[0]})"
    discovery.found = walk.describe(head, len(discovery.items))
    return True


@dataclass(slots=True)
class _SitemapWalk:
    """What walking a sitemap tree met, for the analyst's `newsmon sources` line."""

    fetched: int = 0
    failed: int = 0
    gzipped: int = 0
    first_kinds: list[str] = field(default_factory=list)  # kinds of the sitemaps the root points at
    stopped_early: bool = False

    def describe(self, head: str, urls: int) -> str:
        parts = [head]
        if self.gzipped:
            parts.append("gzip")
        if self.failed:
            parts.append(f"{self.failed} of {_count(self.fetched, 'child sitemap')} failed")
        if self.stopped_early:
            parts.append(f"stopped after {defaults.MAX_SITEMAP_FETCHES} child sitemaps")
        parts.append(_count(urls, "URL"))
        return ", ".join(parts)


async def _walk_sitemaps(
    root: SitemapContent, url: str, source: SourceConfig, fetcher: Fetcher, discovery: Discovery, walk: _SitemapWalk
) -> list[FeedItem]:
    """Walk a sitemap index breadth first, parsing each body as it arrives so only URL lists are kept.

    Every child goes through the fetcher (address guard, robots.txt, size cap, retries, a `fetches` row); a gzip
    child is inflated within the same cap. Bounded three ways: depth (MAX_SITEMAP_DEPTH), the item cap, and
    MAX_SITEMAP_FETCHES child requests, so a hostile index of empty sitemaps cannot make a pass fetch forever.
    """
    settings = fetcher.settings
    items: list[FeedItem] = list(root.items)
    queue: list[tuple[str, str, int]] = [(child, url, 1) for child in root.child_sitemaps]
    visited = {url}
    while queue and len(items) < settings.max_feed_items:
        if walk.fetched >= defaults.MAX_SITEMAP_FETCHES:
            walk.stopped_early = True
            break
        child, parent, depth = queue.pop(0)
        try:
            child_url = canonical_url(child, base=parent)
        except UnsafeURL:
            continue
        if child_url in visited:
            continue
        visited.add(child_url)
        walk.fetched += 1
        result = await fetcher.fetch(child_url, source.name, max_bytes=settings.max_feed_bytes, expect_html=False)
        discovery.attempts.extend((*result.earlier_attempts, result.attempt))
        if not result.ok:
            walk.failed += 1
            continue
        reading = _read_child(result, source, settings.max_feed_bytes, settings.max_feed_items - len(items), walk)
        content = await _guarded(discovery, reading)
        if content is None:
            walk.failed += 1
            continue
        if depth == 1:
            walk.first_kinds.append(content.kind)
        items.extend(content.items)
        if depth < defaults.MAX_SITEMAP_DEPTH:
            queue.extend((grandchild, result.final_url, depth + 1) for grandchild in content.child_sitemaps)
    return items


async def _read_child(
    result: FetchResult, source: SourceConfig, cap: int, max_items: int, walk: _SitemapWalk
) -> SitemapContent:
    body, gzipped = _unpacked(result.body, cap)
    walk.gzipped += gzipped
    return parse_sitemap(body, source.name, result.final_url, max_items)


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def _as_failure(attempt: FetchAttempt, reason: FailureReason, detail: str) -> FetchAttempt:
    return attempt.as_failure(reason, detail)


def _unique(items: list[FeedItem]) -> Iterator[FeedItem]:
    seen: set[str] = set()
    for item in items:
        if item.url not in seen:
            seen.add(item.url)
            yield item
