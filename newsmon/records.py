"""The typed records that move between pipeline stages: discover → fetch → extract → classify → store → notify.

Every datetime here is timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

TAGS: tuple[str, ...] = ("isis", "returns", "reconciliation")


class SourceKind(StrEnum):
    FEED = "feed"  # RSS 2.0/1.0, Atom, JSON Feed: auto-detected
    SITEMAP = "sitemap"  # urlset, sitemap index, news sitemap
    PAGE = "page"  # a section page whose article links are followed


class FailureReason(StrEnum):
    """Why a URL produced no article: `fetches.reason`, and the start of the readable `fetches.error`.

    Whether a reason is worth another try is decided in one place, `newsmon.retry.when_to_retry`.
    """

    TIMEOUT = "timeout"
    CONNECTION = "connection"
    HTTP_STATUS = "http_status"
    ROBOTS_DISALLOWED = "robots_disallowed"
    TOO_LARGE = "too_large"
    NOT_HTML = "not_html"
    UNSAFE_URL = "unsafe_url"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    EMPTY_BODY = "empty_body"
    FEED_INVALID = "feed_invalid"
    EXTRACTION_FAILED = "extraction_failed"
    EXTRACTION_TIMEOUT = "extraction_timeout"
    NO_TEXT = "no_text"
    ROBOTS_UNREACHABLE = "robots_unreachable"  # the host's robots.txt could not be read: it is skipped this pass
    WORKER_CRASHED = "worker_crashed"  # the extraction worker died on the page (out of memory, a native crash)
    WORKER_UNAVAILABLE = "worker_unavailable"  # extraction workers could not start here: no page's fault


NETWORK_REASONS = frozenset(
    {FailureReason.TIMEOUT, FailureReason.CONNECTION, FailureReason.HTTP_STATUS, FailureReason.TOO_MANY_REDIRECTS}
)
"""Reasons that say something about the site or the network, not about newsmon or the page's content."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One article link found by discovery (discover → fetch)."""

    source: str
    url: str  # canonical: tracking parameters and fragment removed
    title: str | None = None
    feed_published_at: datetime | None = None  # pubDate / updated / lastmod / news:publication_date
    guid: str | None = None


@dataclass(frozen=True, slots=True)
class FetchAttempt:
    """One row of the `fetches` table: a request we made, and how it ended."""

    url: str
    source: str
    status: int | None  # HTTP status, None when no response arrived
    error: str | None  # readable: "<reason>: detail", None on success
    elapsed_ms: int
    fetched_at: datetime
    reason: FailureReason | None = None  # typed: what code decides on, never parsed back out of `error`

    def __post_init__(self) -> None:
        if (self.error is None) != (self.reason is None):
            raise ValueError("a failed attempt carries both its reason and its error text; a success neither")

    @classmethod
    def failed(
        cls, url: str, source: str, status: int | None, reason: FailureReason, detail: str, elapsed_ms: int,
        fetched_at: datetime,
    ) -> FetchAttempt:  # fmt: skip
        return cls(url, source, status, f"{reason.value}: {detail}", elapsed_ms, fetched_at, reason)

    def as_failure(self, reason: FailureReason, detail: str) -> FetchAttempt:
        """This request, recorded as failed for `reason`: a feed that answered 200 but is not XML, a page whose
        text could not be extracted."""
        return FetchAttempt.failed(self.url, self.source, self.status, reason, detail, self.elapsed_ms,
                                   self.fetched_at)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FetchedPage:
    """An article page we downloaded and decoded ourselves (fetch → extract)."""

    item: FeedItem
    final_url: str  # after redirects, canonicalised
    html: str
    attempt: FetchAttempt


@dataclass(frozen=True, slots=True)
class ClassifierInput:
    """What a classifier reads: nothing about where the article came from."""

    id: str
    title: str
    text: str
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Classification:
    """Scores for every tag, the tags at or above threshold, and the spans that decided each label."""

    id: str
    scores: dict[str, float]  # every tag in TAGS, 0–1
    labels: tuple[str, ...]  # tags whose score >= that tag's threshold, in TAGS order
    evidence: dict[str, tuple[str, ...]]  # label -> short spans of the text
    classifier_version: str


@dataclass(frozen=True, slots=True)
class Article:
    """An extracted article, ready to classify and store."""

    article_id: str  # sha1 of the canonical URL, hex, first 16 chars
    url: str  # canonical
    source: str
    title: str
    author: str | None
    published_at: datetime  # page metadata, else feed/sitemap date, else first seen
    first_seen_at: datetime
    lang: str | None
    text: str
    word_count: int
    content_hash: str  # sha1 of the normalised text: finds the same story under two URLs
    alternate_urls: tuple[str, ...] = ()  # other URLs this article was found under (feed link vs canonical)


@dataclass(frozen=True, slots=True)
class ExtractionFailure:
    """A fetched page that produced no article (extract → the `fetches` table)."""

    page: FetchedPage
    reason: FailureReason
    detail: str


@dataclass(frozen=True, slots=True)
class ArticlePlace:
    """A governorate an article is substantially about (ISO 3166-2), and the names that put it there."""

    place: str  # "IQ-NI", "SY-HA", …
    evidence: tuple[str, ...]  # the names as the article wrote them, strongest first


@dataclass(frozen=True, slots=True)
class TaggedArticle:
    """An article with its classification and places (classify → store)."""

    article: Article
    classification: Classification
    places: tuple[ArticlePlace, ...] = ()


@dataclass(frozen=True, slots=True)
class SourceOutcome:
    """How a source's discovery went, as `source_state` keeps it: its health, and validators after a success."""

    source: str
    url: str
    ok: bool
    error: str | None  # the first failed request's text, when the discovery failed
    etag: str | None
    last_modified: str | None
    found: str | None  # what the source turned out to be ("feed, 40 items"), when discovery says
    at: datetime


@dataclass(slots=True)
class SourceSummary:
    """What one pass did for one source: the run summary's rows."""

    source: str
    seen: int = 0
    new: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    alarm: str | None = None  # every page failed the same way, not for network trouble: something is wrong here


@dataclass(slots=True)
class PassSummary:
    run_id: int
    started_at: datetime
    finished_at: datetime | None = None
    sources: list[SourceSummary] = field(default_factory=list)
    new_per_tag: dict[str, int] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)  # busy time per stage, summed over workers
    worker_cpu_s: float = 0.0  # CPU time of the extraction workers: set against busy time, it shows contention

    @property
    def articles_new(self) -> int:
        return sum(s.new for s in self.sources)


@dataclass(frozen=True, slots=True)
class AlertCandidate:
    """An article stored this pass whose score on a watched tag reaches the alert threshold (store → notify)."""

    article_id: str
    tag: str
    score: float


# What digests and alerts read back from the warehouse, and what they record (warehouse → notify).


@dataclass(frozen=True, slots=True)
class TaggedItem:
    """One (article, tag) pair with what a digest or alert shows of the article."""

    article_id: str
    tag: str
    score: float
    evidence: tuple[str, ...]
    title: str
    source: str
    url: str
    published_at: datetime
    first_seen_at: datetime
    tagged_at: datetime
    lang: str | None
    text_start: str  # the first characters of the article text (warehouse's SNIPPET_SOURCE_CHARS)
    story_id: str | None = None  # the event it reports (articles.story_id); None until assigned
    places: tuple[str, ...] = ()  # its governorates, ISO 3166-2


@dataclass(frozen=True, slots=True)
class StoryReport:
    """One report of a story, as "also reported by" shows it."""

    article_id: str
    story_id: str
    source: str
    lang: str | None
    url: str
    published_at: datetime


@dataclass(frozen=True, slots=True)
class FailingSource:
    source: str
    consecutive_failures: int
    last_error: str | None
    last_success_at: datetime | None


@dataclass(frozen=True, slots=True)
class SentNotification:
    """A digest or alert as recorded after its send."""

    notification_id: int
    kind: str  # digest | alert
    message_id: str
    period_start: datetime
    period_end: datetime
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    """What to record once the server accepted a message (or its .eml is in the outbox)."""

    kind: str  # digest | alert
    message_id: str
    subject: str
    recipients: tuple[str, ...]
    transport: str  # smtp | outbox
    outbox_file: str | None
    period_start: datetime
    period_end: datetime
    sent_at: datetime
