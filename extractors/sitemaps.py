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
from urllib.parse import urljoin, urlsplit

from protego import Protego

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
