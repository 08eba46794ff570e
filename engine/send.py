"""Send a digest or the pending alerts exactly once: read what is due, deliver, and only then record it.

The live warehouse is opened read-write twice and briefly, under the pass lock, so neither step overlaps an
ingest pass writing: once to read what is due, once to record an accepted send.
The SMTP conversation itself happens with the warehouse closed.
"""

from __future__ import annotations

import functools
import logging
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any, Concatenate, ParamSpec

import warehouse as wh
from newsmon.config import Config
from newsmon.errors import DigestError, NewsmonError
from newsmon.passlock import pass_lock
from notify.chart import weekly_chart_png
from notify.digest import WeeklyCounts, alert_subject, build_alert, build_digest, digest_subject
from notify.mail import Delivery, deliver
from notify.message import InlineImage, compose_message, new_content_id
from notify.render import render_alert, render_digest
from places import governorate_names

P = ParamSpec("P")

log = logging.getLogger(__name__)

LOCK_WAIT_S = 900.0  # wait this long for a running ingest pass to finish, rather than skip a digest
FIRST_DIGEST_LOOKBACK = timedelta(days=7)  # the first digest covers the last week, not the whole archive
ALERT_MAX_AGE = timedelta(hours=48)  # older articles are not "immediate" any more: the digest carries them
FAILING_SOURCE_PASSES = 3  # a source failing this many passes in a row is flagged in the digest
CHART_WEEKS = 12


class DeliveredNotRecorded(DigestError):
    """The server accepted the message but the warehouse did not record it: retrying now would send it twice."""


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What a digest or alert run did, for the CLI and the flow's return value."""

    kind: str  # digest | alert
    status: str  # sent | dry_run | empty | nothing_pending | rate_limited
    articles: int  # distinct articles in the message (or pending, when rate-limited)
    message: EmailMessage | None = None
    delivery: Delivery | None = None
    notification_id: int | None = None
    next_allowed_at: datetime | None = None  # rate-limited alerts: the earliest the next alert may go

    def describe(self) -> str:
        noun = "article" if self.articles == 1 else "articles"
        if self.status == "sent" and self.message is not None and self.delivery is not None:
            where = str(self.delivery.outbox_file) if self.delivery.outbox_file else f"{len(self._to())} recipient(s)"
            return f"{self.kind} sent: {self.articles} {noun} to {where}, Message-ID {self.message['Message-ID']}"
        if self.status == "empty":
            return f"{self.kind}: nothing tagged since the previous digest; nothing sent ([digest] send_empty is off)"
        if self.status == "nothing_pending":
            return f"{self.kind}: no article at or above the alert threshold is waiting; nothing sent"
        if self.status == "rate_limited" and self.next_allowed_at is not None:
            return (f"{self.kind}: {self.articles} {noun} waiting; the previous alert was too recent, so they go "
                    f"together at or after {self.next_allowed_at:%Y-%m-%d %H:%M} UTC")  # fmt: skip
        return f"{self.kind} {self.status}: {self.articles} {noun}"

    def _to(self) -> list[str]:
        assert self.message is not None
        return [a.strip() for a in str(self.message.get("To", "")).split(",") if a.strip()]


@contextmanager
def _sending(config: Config, lock_wait_s: float, dry_run: bool) -> Iterator[None]:
    """A real send holds the pass lock from reading what is due until the send is recorded.

    So two senders (a manual `newsmon digest` during the scheduled one) never send the same articles twice,
    and a long ingest pass can never stand between a delivered message and its record. A preview takes no lock.
    """
    if dry_run:
        yield
        return
    with pass_lock(config.warehouse.path, wait_s=lock_wait_s):
        yield


def _one_sender_at_a_time(
    send: Callable[Concatenate[Config, P], SendOutcome],
) -> Callable[Concatenate[Config, P], SendOutcome]:
    """Run `send` inside _sending, with the `dry_run` and `lock_wait_s` it was called with."""

    @functools.wraps(send)
    def locked(config: Config, /, *args: P.args, **kwargs: P.kwargs) -> SendOutcome:
        dry_run, lock_wait_s = kwargs.get("dry_run", False), kwargs.get("lock_wait_s", LOCK_WAIT_S)
        assert isinstance(dry_run, bool) and isinstance(lock_wait_s, int | float)
        with _sending(config, lock_wait_s, dry_run):
            return send(config, *args, **kwargs)

    return locked


@contextmanager
def _live_warehouse(config: Config) -> Iterator[wh.Warehouse]:
    """The live warehouse, opened briefly; the caller holds the pass lock (see _sending)."""
    with wh.open_warehouse(config.warehouse) as warehouse:
        yield warehouse


@contextmanager
def _warehouse_to_read(config: Config, dry_run: bool) -> Iterator[wh.Warehouse]:
    """A preview reads a snapshot of the lake read-only, so it never waits behind a running pass.

    A preview creates nothing: with no warehouse yet it says to run a pass first.
    """
    if dry_run:
        with wh.open_warehouse(config.warehouse, read_only=True) as warehouse:
            yield warehouse
        return
    with _live_warehouse(config) as warehouse:
        yield warehouse


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


@_one_sender_at_a_time
def send_digest(
    config: Config,
    *,
    now: datetime,
    dry_run: bool = False,
    ssl_context: ssl.SSLContext | None = None,
    lock_wait_s: float = LOCK_WAIT_S,
) -> SendOutcome:
    """One digest of the articles tagged since the previous successful digest (the last week, before the first).

    Raises DigestError when the server or outbox refused it; nothing is then recorded, so the next run retries.
    """
    now = _utc(now)
    settings = config.digest
    with _warehouse_to_read(config, dry_run) as warehouse:
        previous = wh.last_notification(warehouse, "digest")
        period_start = previous.period_end if previous else now - FIRST_DIGEST_LOOKBACK
        first_start = wh.first_period_start(warehouse, "digest") or period_start
        items = wh.digest_items(warehouse, settings.tags, first_start, now)
        previous_counts = wh.notified_tag_counts(warehouse, previous.notification_id) if previous else None
        failing = wh.failing_sources(warehouse, FAILING_SOURCE_PASSES)
        weekly_rows = wh.weekly_tag_counts(warehouse, CHART_WEEKS, now=now).rows
        reports = wh.story_reports(warehouse, [i.story_id for i in items if i.story_id])
    digest = build_digest(
        items,
        tags=settings.tags,
        period_start=period_start,
        period_end=now,
        previous_counts=previous_counts,
        failing=failing,
        weekly=_weekly_counts(weekly_rows, settings.tags),
        max_full_items_per_tag=settings.max_full_items_per_tag,
        reports=reports,
        place_names=governorate_names(),
    )
    if digest.is_empty and not settings.send_empty:
        log.info("digest: nothing tagged since %s; nothing sent", period_start)
        return SendOutcome("digest", "empty", 0)
    chart = InlineImage(new_content_id(settings.sender), weekly_chart_png(digest.weekly), "weekly-chart.png")
    message = compose_message(
        sender=settings.sender,
        recipients=settings.to,
        subject=digest_subject(digest),
        bodies=render_digest(digest, chart.cid),
        sent_at=now,
        images=[chart],
        kind="digest",
    )
    if dry_run:
        return SendOutcome("digest", "dry_run", digest.article_count, message)
    delivery = deliver(message, settings, kind="digest", sent_at=now, ssl_context=ssl_context)
    record = _record_of(message, "digest", delivery, config, period_start=period_start, period_end=now)
    notification_id = _record_send(config, record, items)
    log.info("digest %s recorded: %s articles", record.message_id, digest.article_count)
    return SendOutcome("digest", "sent", digest.article_count, message, delivery, notification_id)


@_one_sender_at_a_time
def send_alerts(
    config: Config,
    *,
    now: datetime,
    dry_run: bool = False,
    ssl_context: ssl.SSLContext | None = None,
    lock_wait_s: float = LOCK_WAIT_S,
) -> SendOutcome:
    """One alert mail with every pending high-scoring article, unless the previous alert went out less than
    `alert_min_interval_minutes` before `now`: then they wait, batched, for the next run.

    Pending is read from the warehouse (not from event payloads), so a lost event loses no alert.
    """
    now = _utc(now)
    settings = config.digest
    with _warehouse_to_read(config, dry_run) as warehouse:
        previous = wh.last_notification(warehouse, "alert")
        items = wh.pending_alert_items(warehouse, settings.tags, settings.alert_threshold, now - ALERT_MAX_AGE)
    articles = len({i.article_id for i in items})
    if not items:
        return SendOutcome("alert", "nothing_pending", 0)
    next_allowed = previous.sent_at + timedelta(minutes=settings.alert_min_interval_minutes) if previous else now
    alert = build_alert(items, tags=settings.tags, threshold=settings.alert_threshold)
    message = compose_message(
        sender=settings.sender,
        recipients=settings.to,
        subject=alert_subject(alert),
        bodies=render_alert(alert),
        sent_at=now,
        kind="alert",
    )
    if dry_run:
        return SendOutcome("alert", "dry_run", articles, message, next_allowed_at=next_allowed)
    if now < next_allowed:
        log.info("alert: %s articles wait for the rate limit until %s", articles, next_allowed)
        return SendOutcome("alert", "rate_limited", articles, next_allowed_at=next_allowed)
    delivery = deliver(message, settings, kind="alert", sent_at=now, ssl_context=ssl_context)
    period_start = previous.sent_at if previous else now - ALERT_MAX_AGE
    record = _record_of(message, "alert", delivery, config, period_start=period_start, period_end=now)
    notification_id = _record_send(config, record, items)
    return SendOutcome("alert", "sent", articles, message, delivery, notification_id)


def _weekly_counts(rows: Sequence[tuple[Any, ...]], tags: Sequence[str]) -> WeeklyCounts:
    """(week, tag, articles) rows from warehouse.weekly_tag_counts, as one series per watched tag."""
    weeks: list[date] = sorted({row[0] for row in rows})
    counts = {(row[0], row[1]): int(row[2]) for row in rows}
    return WeeklyCounts(
        weeks=tuple(weeks),
        counts={tag: tuple(counts.get((week, tag), 0) for week in weeks) for tag in tags},
    )


def _record_of(
    message: EmailMessage,
    kind: str,
    delivery: Delivery,
    config: Config,
    *,
    period_start: datetime,
    period_end: datetime,
) -> wh.NotificationRecord:
    return wh.NotificationRecord(
        kind=kind,
        message_id=str(message["Message-ID"]),
        subject=str(message["Subject"]),
        recipients=config.digest.to,
        transport=delivery.transport,
        outbox_file=str(delivery.outbox_file) if delivery.outbox_file else None,
        period_start=period_start,
        period_end=period_end,
        sent_at=period_end,
    )


def _record_send(config: Config, record: wh.NotificationRecord, items: Sequence[wh.TaggedItem]) -> int:
    try:
        with _live_warehouse(config) as warehouse:
            notification_id = wh.record_notification(warehouse, record, items)
    except NewsmonError as exc:
        # The one gap in exactly-once: delivered but not recorded. Say so loudly; the next run repeats it.
        raise DeliveredNotRecorded(
            f"the {record.kind} {record.message_id} was delivered but could not be recorded in "
            f"{config.warehouse.label}: {exc} The next run will send these articles again."
        ) from exc
    return notification_id


def message_preview(message: EmailMessage, *, html: bool = False) -> str:
    """The headers a reader sees, then the plain-text part (or the HTML part): what `--dry-run` prints."""
    lines = [f"{name}: {message[name]}" for name in ("From", "To", "Subject", "Date", "Message-ID") if message[name]]
    body = message.get_body(preferencelist=("html",) if html else ("plain",))
    content = body.get_content() if body is not None else ""
    images = [part for part in message.walk() if part.get_content_maintype() == "image"]
    note = f"[{len(images)} inline image(s) in the HTML part; not sent, nothing recorded]"
    return "\n".join([*lines, "", str(content).rstrip("\n"), "", note])
