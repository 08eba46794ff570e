"""Dates as feeds, sitemaps and pages write them: ISO 8601, RFC 822, and feedparser's lenient forms."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser.datetimes as feedparser_dates  # its lenient date parser, for dates RFC 822 and ISO miss


def utc_from_struct(struct: Any) -> datetime | None:
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


def parse_feed_date(value: str) -> datetime | None:
    """A feed's date as UTC: RFC 822 (RSS), ISO 8601 (Atom, dc:date), then feedparser's many lenient formats."""
    return parse_rfc822_date(value) or parse_iso_datetime(value) or utc_from_struct(feedparser_dates._parse_date(value))


def parse_rfc822_date(value: str | None) -> datetime | None:
    """An RFC 822 date (`Wed, 08 Oct 2025 11:00:00 +0300`) as UTC; no zone means UTC."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
