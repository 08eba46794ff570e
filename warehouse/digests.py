"""Reads and writes for digests and alerts: what is due, what was sent, and the record of a send.

A digest or alert is recorded only after the mail server accepted it, in one transaction with the (article, tag)
pairs it carried; those rows are what later runs read to send nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import duckdb

from newsmon.errors import WarehouseError
from newsmon.records import (
    FailingSource,
    NotificationRecord,
    SentNotification,
    StoryReport,
    TaggedItem,
)
from warehouse.connect import VARCHAR_LIST, Warehouse, as_json_list, insert_rows
from warehouse.store import next_id

SNIPPET_SOURCE_CHARS = 800  # a digest shows two or three lines; never ship whole articles out of the warehouse


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


_ITEM_COLUMNS = """
    t.article_id, t.tag, t.score, t.evidence, a.title, a.source, a.url, a.published_at, a.first_seen_at,
    t.tagged_at, a.lang, left(a.text, ?) AS text_start, a.story_id,
    coalesce((SELECT list(p.place ORDER BY p.place) FROM article_places p WHERE p.article_id = t.article_id), [])
"""


def _item(row: tuple[Any, ...]) -> TaggedItem:
    return TaggedItem(
        article_id=row[0],
        tag=row[1],
        score=float(row[2]),
        evidence=tuple(row[3] or ()),
        title=row[4],
        source=row[5],
        url=row[6],
        published_at=row[7].replace(tzinfo=UTC),
        first_seen_at=row[8].replace(tzinfo=UTC),
        tagged_at=row[9].replace(tzinfo=UTC),
        lang=row[10],
        text_start=row[11],
        story_id=row[12],
        places=tuple(row[13] or ()),
    )


def last_notification(warehouse: Warehouse, kind: str) -> SentNotification | None:
    """The most recent digest (or alert) that was sent, or None before the first."""
    rows = warehouse.rows(
        "SELECT notification_id, kind, message_id, period_start, period_end, sent_at FROM notifications "
        "WHERE kind = ? ORDER BY sent_at DESC, notification_id DESC LIMIT 1",
        [kind],
    )
    if not rows:
        return None
    row = rows[0]
    return SentNotification(row[0], row[1], row[2], row[3].replace(tzinfo=UTC), row[4].replace(tzinfo=UTC),
                            row[5].replace(tzinfo=UTC))  # fmt: skip


def first_period_start(warehouse: Warehouse, kind: str) -> datetime | None:
    """Where the first recorded digest (or alert) began: nothing tagged before it is ever sent."""
    rows = warehouse.rows("SELECT min(period_start) FROM notifications WHERE kind = ?", [kind])
    return _aware(rows[0][0]) if rows else None


def digest_items(warehouse: Warehouse, tags: Sequence[str], since: datetime, until: datetime) -> list[TaggedItem]:
    """Pairs of a watched tag tagged in [since, until) that no earlier digest carried.

    Callers pass the first digest's start as `since`: what was carried is decided by the recorded pairs, not by
    clock windows, so a pair stored while a digest was being sent, or re-tagged by `newsmon retag` (which rewrites
    tagged_at), is neither lost nor sent twice.
    """
    rows = warehouse.rows(
        f"""
        SELECT {_ITEM_COLUMNS}
        FROM article_tags t JOIN articles a USING (article_id)
        WHERE t.tag IN (SELECT unnest({VARCHAR_LIST})) AND t.tagged_at >= ? AND t.tagged_at < ?
          AND NOT EXISTS (
              SELECT 1 FROM notified_articles n JOIN notifications d USING (notification_id)
              WHERE d.kind = 'digest' AND n.article_id = t.article_id AND n.tag = t.tag)
        ORDER BY t.tag, t.score DESC, a.published_at DESC, t.article_id
        """,
        [SNIPPET_SOURCE_CHARS, as_json_list(tags), _naive_utc(since), _naive_utc(until)],
    )
    return [_item(row) for row in rows]


def pending_alert_items(
    warehouse: Warehouse, tags: Sequence[str], threshold: float, first_seen_since: datetime
) -> list[TaggedItem]:
    """Pairs of a watched tag scoring at least `threshold`, on articles first seen since then, not yet alerted."""
    rows = warehouse.rows(
        f"""
        SELECT {_ITEM_COLUMNS}
        FROM article_tags t JOIN articles a USING (article_id)
        WHERE t.tag IN (SELECT unnest({VARCHAR_LIST})) AND t.score >= ? AND a.first_seen_at >= ?
          AND NOT EXISTS (
              SELECT 1 FROM notified_articles n JOIN notifications d USING (notification_id)
              WHERE d.kind = 'alert' AND n.article_id = t.article_id AND n.tag = t.tag)
        ORDER BY t.score DESC, a.published_at DESC, t.article_id, t.tag
        """,
        [SNIPPET_SOURCE_CHARS, as_json_list(tags), threshold, _naive_utc(first_seen_since)],
    )
    return [_item(row) for row in rows]


def notified_tag_counts(warehouse: Warehouse, notification_id: int) -> dict[str, int]:
    """Articles per tag that one sent digest carried: the "previous period" of the next digest's header."""
    rows = warehouse.rows(
        "SELECT tag, count(*) FROM notified_articles WHERE notification_id = ? GROUP BY tag", [notification_id]
    )
    return {str(tag): int(count) for tag, count in rows}


def failing_sources(warehouse: Warehouse, min_consecutive_failures: int) -> list[FailingSource]:
    rows = warehouse.rows(
        "SELECT source, consecutive_failures, last_error, last_success_at FROM source_state "
        "WHERE consecutive_failures >= ? ORDER BY consecutive_failures DESC, source",
        [min_consecutive_failures],
    )
    return [FailingSource(row[0], int(row[1]), row[2], _aware(row[3])) for row in rows]


def record_notification(warehouse: Warehouse, record: NotificationRecord, items: Sequence[TaggedItem]) -> int:
    """Record a sent digest or alert and the pairs it carried, in one transaction; returns its notification_id."""
    try:
        return _insert_notification(warehouse, record, items)
    except duckdb.Error as exc:
        raise WarehouseError(f"{warehouse.label}: cannot record {record.kind} {record.message_id}: {exc}") from exc


def _insert_notification(warehouse: Warehouse, record: NotificationRecord, items: Sequence[TaggedItem]) -> int:
    with warehouse.transaction() as con:
        notification_id = next_id(con, "notifications", "notification_id")
        con.execute(
            "INSERT INTO notifications (notification_id, kind, message_id, subject, recipients, transport, "
            "outbox_file, period_start, period_end, articles, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                notification_id,
                record.kind,
                record.message_id,
                record.subject,
                list(record.recipients),
                record.transport,
                record.outbox_file,
                _naive_utc(record.period_start),
                _naive_utc(record.period_end),
                len({item.article_id for item in items}),
                _naive_utc(record.sent_at),
            ],
        )
        pairs = {(item.article_id, item.tag): item.score for item in items}
        insert_rows(
            con,
            "notified_articles",
            {"notification_id": "INTEGER", "article_id": "VARCHAR", "tag": "VARCHAR", "score": "DOUBLE"},
            [(notification_id, article_id, tag, score) for (article_id, tag), score in pairs.items()],
        )
    return notification_id


def sent_notifications(warehouse: Warehouse, kind: str) -> list[SentNotification]:
    """Every sent digest (or alert), oldest first."""
    rows = warehouse.rows(
        "SELECT notification_id, kind, message_id, period_start, period_end, sent_at FROM notifications "
        "WHERE kind = ? ORDER BY sent_at, notification_id",
        [kind],
    )
    return [
        SentNotification(r[0], r[1], r[2], r[3].replace(tzinfo=UTC), r[4].replace(tzinfo=UTC), r[5].replace(tzinfo=UTC))
        for r in rows
    ]


def story_reports(warehouse: Warehouse, story_ids: Sequence[str]) -> dict[str, list[StoryReport]]:
    """Every stored report of these stories, oldest first: what a digest's "also reported by" lists."""
    if not story_ids:
        return {}
    rows = warehouse.rows(
        f"SELECT article_id, story_id, source, lang, url, published_at FROM articles "
        f"WHERE story_id IN (SELECT unnest({VARCHAR_LIST})) ORDER BY published_at, article_id",
        [as_json_list(sorted(set(story_ids)))],
    )
    found: dict[str, list[StoryReport]] = {}
    for row in rows:
        report = StoryReport(row[0], row[1], row[2], row[3], row[4], row[5].replace(tzinfo=UTC))
        found.setdefault(report.story_id, []).append(report)
    return found
