"""Web → records: discover article links, fetch pages politely, extract articles with trafilatura."""

from extractors.charset import decode_html
from extractors.discover import Discovery, discover_feed_items
from extractors.feeds import FeedInvalid, parse_feed
from extractors.fetch import Fetcher, FetchResult, Validators
from extractors.hosts import PerHostState
from extractors.pages import parse_section_page
from extractors.sitemaps import parse_sitemap
from extractors.text import detect_language, extract_article, time_limit
from extractors.urls import (
    UnsafeURL,
    article_id_for,
    canonical_url,
    host_is_private,
    host_of,
    is_forbidden_address,
    is_private_address,
)

__all__ = [
    "Discovery",
    "FeedInvalid",
    "FetchResult",
    "Fetcher",
    "PerHostState",
    "UnsafeURL",
    "Validators",
    "article_id_for",
    "canonical_url",
    "decode_html",
    "detect_language",
    "discover_feed_items",
    "extract_article",
    "host_is_private",
    "host_of",
    "is_forbidden_address",
    "is_private_address",
    "parse_feed",
    "parse_section_page",
    "parse_sitemap",
    "time_limit",
]
