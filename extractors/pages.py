"""Section pages → FeedItems: the links on a site's section page that look like articles."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from lxml import etree
from lxml import html as lxml_html

from extractors.feeds import FeedInvalid, feed_item
from extractors.urls import host_of
from newsmon import defaults
from newsmon.records import FeedItem

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
        item = feed_item(source, href, base_url, anchor.text_content(), None, None)
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
