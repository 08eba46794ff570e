"""Feed autodiscovery: the feeds an HTML page announces with `<link rel="alternate" type="…">` in its head."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")


@dataclass(frozen=True, slots=True)
class FeedLink:
    url: str
    type: str
    title: str | None


def feed_links(html: str, page_url: str) -> list[FeedLink]:
    """Feeds the page links to, in page order, once each, resolved against its `<base href>` or its own URL.

    `application/json` counts only with a title or href saying it is a feed: JSON Feed's own type is newer, and
    sites also link plain JSON APIs as alternates.
    """
    try:
        document = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = page_url
    for element in document.iter("base"):
        if element.get("href"):
            base = urljoin(page_url, element.get("href", "").strip())
            break
    found: dict[str, FeedLink] = {}
    for link in document.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" not in rels or kind not in FEED_TYPES or not href:
            continue
        title = (link.get("title") or "").strip() or None
        if kind == "application/json" and "feed" not in f"{title or ''} {href}".lower():
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme in ("http", "https") and url not in found:
            found[url] = FeedLink(url, kind, title)
    return list(found.values())
