"""Discovery: turn a source (feed, sitemap or section page) into the article links it lists, as FeedItems."""

from __future__ import annotations

from collections.abc import Awaitable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urljoin

from extractors.charset import decode_html
from extractors.feed_links import feed_links
from extractors.feeds import FeedInvalid, looks_like_html, parse_feed
from extractors.fetch import Fetcher, FetchResult, Validators
from extractors.inflate import GZIP_MAGIC, GzipFileRefused, inflate_gzip_file
from extractors.pages import parse_section_page
from extractors.sitemaps import (
    SitemapContent,
    is_robots_txt_url,
    is_site_root,
    parse_sitemap,
    robots_sitemaps,
)
from extractors.urls import UnsafeURL, canonical_url
from newsmon import defaults
from newsmon.config import SourceConfig
from newsmon.records import FailureReason, FeedItem, FetchAttempt, SourceKind

_Read = TypeVar("_Read")


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
        if not looks_like_html(body):
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
