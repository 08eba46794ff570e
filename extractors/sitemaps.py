"""Sitemap forms that are not XML: plain-text URL lists (sitemaps.org) and robots.txt `Sitemap:` lines (RFC 9309).

Why not ultimate-sitemap-parser, which reads these too: it fetches every sitemap itself, through `requests`, from a
synchronous web client. Its requests would pass neither our address guard (private and link-local addresses,
DNS rebinding), nor robots.txt rules, nor our size caps and retries, nor leave a `fetches` row, and it has no cap
on how many child sitemaps it fetches. Used only as a parser it would add `requests` and `python-dateutil` for
what is left here: a line split and protego's `Sitemap:` reading, which the fetcher already depends on. So every
request goes through `extractors.fetch.Fetcher`, gzip files are inflated by `extractors.inflate`, and the
documents are read here and in `extractors.discover`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from protego import Protego

from extractors.dates import parse_iso_datetime
from extractors.feeds import FeedInvalid, feed_item, local_name, parse_feed
from newsmon import defaults
from newsmon.records import FeedItem

MAX_CHILD_SITEMAPS = 1000  # child sitemaps taken from one index or robots.txt; the walk fetches far fewer per pass

# A robots.txt is told from a plain-text sitemap by its directives: a URL list has none.
_ROBOTS_DIRECTIVE = re.compile(r"^\s*(user-agent|disallow|allow|crawl-delay|sitemap|host)\s*:", re.I | re.M)


@dataclass(slots=True)
class SitemapContent:
    """One sitemap document read: its article links, the sitemaps it points to, and what kind of document it was."""

    items: list[FeedItem]
    child_sitemaps: list[str]
    kind: str = "urlset"  # urlset | sitemap index | plain-text sitemap | robots.txt | feed
    notes: list[str] = field(default_factory=list)


def is_robots_txt_url(url: str) -> bool:
    return urlsplit(url).path == "/robots.txt"


def is_site_root(url: str) -> bool:
    """A site's home address (`https://host` or `https://host/`), given where a sitemap was expected."""
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def looks_like_robots_txt(text: str) -> bool:
    return _ROBOTS_DIRECTIVE.search(text[:20_000]) is not None


def robots_sitemaps(text: str, robots_url: str) -> list[str]:
    """The `Sitemap:` lines of a robots.txt, in order and once each, resolved against its URL (RFC 9309 §2.2.4
    wants them absolute; relative ones are common enough to resolve rather than drop)."""
    found: dict[str, None] = {}
    for line in Protego.parse(text).sitemaps:
        url = urljoin(robots_url, str(line).strip())
        if urlsplit(url).scheme in ("http", "https"):
            found[url] = None
    return list(found)[:MAX_CHILD_SITEMAPS]


def text_sitemap_urls(text: str, max_items: int) -> list[str]:
    """The URLs of a plain-text sitemap: one absolute http(s) URL per line; blank and other lines are skipped."""
    urls: list[str] = []
    for line in text.splitlines():
        candidate = line.strip().lstrip("\ufeff")
        if not candidate or urlsplit(candidate).scheme not in ("http", "https") or " " in candidate:
            continue
        urls.append(candidate)
        if len(urls) >= max_items:
            break
    return urls


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
    kind = local_name(root.tag)
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
            if local_name(child.tag) == "news":
                title = _child_text(child, "title") or title
                published = parse_iso_datetime(_child_text(child, "publication_date")) or published
        item = feed_item(source, loc, base_url, title, published, None)
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
    items = [item for item in (feed_item(source, url, base_url, None, None, None) for url in urls) if item]
    return SitemapContent(items, [], "plain-text sitemap")


def _child_text(element: Any, name: str) -> str | None:
    for child in element:
        if local_name(child.tag) == name and child.text:
            return str(child.text).strip()
    return None
