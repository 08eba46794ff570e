"""Web → records: discover article links, fetch pages politely, extract articles with trafilatura."""

from extractors.charset import decode_html
from extractors.discover import (
    Discovery,
    FeedInvalid,
    discover_feed_items,
    parse_feed,
    parse_section_page,
    parse_sitemap,
)
from extractors.fetch import Fetcher, FetchResult, Validators
from extractors.hosts import PerHostState
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
