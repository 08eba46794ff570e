"""What a digest or alert says, built from tagged items: sections by tag, ranking, the header's comparisons.

Pure: no I/O and no clock, so the ranking and shortening rules are tested on plain values.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from newsmon.records import FailingSource, StoryReport, TaggedItem

SNIPPET_CHARS = 220  # two or three lines in a mail client (three at 72 columns in the text part)
TOP_SOURCES = 5
RTL_LANGS = frozenset({"ar", "fa", "he", "ku", "ckb", "ur", "ps", "yi"})
_RTL_CHAR = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_LATIN_CHAR = re.compile("[A-Za-z]")


@dataclass(frozen=True, slots=True)
class OtherReport:
    """Another outlet's report of the same story: "also reported by"."""

    source: str
    lang: str | None
    url: str
    link_is_safe: bool


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One story as one tag section shows it, through its best-ranked report."""

    article_id: str
    tag: str
    title: str
    source: str
    published_at: datetime
    score: float
    snippet: str
    evidence: tuple[str, ...]
    url: str
    link_is_safe: bool  # http(s) only: anything else is shown as text, never as a link
    direction: str  # "rtl" or "auto": sets dir= on the item, so Arabic reads right to left
    lang: str | None
    places: tuple[str, ...] = ()  # "Nineveh (IQ-NI)"
    also_reported_by: tuple[OtherReport, ...] = ()  # the story's other reports, oldest first
    also_under: tuple[str, ...] = ()  # other tags of this digest that list the same story


@dataclass(frozen=True, slots=True)
class TagSection:
    tag: str
    count: int  # articles: the header compares them with the previous digest's
    previous_count: int | None  # None before the first recorded digest
    full_items: tuple[DigestItem, ...]  # the best-ranked, shown whole
    brief_items: tuple[DigestItem, ...]  # the rest, shown as title, source and link: never dropped
    stories: int = 0  # distinct events among the articles: one entry each

    @property
    def counts(self) -> str:
        """ "5 articles, 3 stories", or "5" when each article is its own story."""
        if self.stories in (0, self.count):
            return str(self.count)
        return f"{self.count} articles, {self.stories} stor{'y' if self.stories == 1 else 'ies'}"

    @property
    def change(self) -> str:
        """ "up 5 on the previous digest", "down 2 …", "same as …", or "first digest"."""
        if self.previous_count is None:
            return "first digest"
        delta = self.count - self.previous_count
        if delta == 0:
            return "same as the previous digest"
        return f"{'up' if delta > 0 else 'down'} {abs(delta)} on the previous digest"


@dataclass(frozen=True, slots=True)
class WeeklyCounts:
    """Articles per tag per week (Mondays), oldest first: the chart's data."""

    weeks: tuple[date, ...]
    counts: Mapping[str, tuple[int, ...]]  # tag -> one count per week


@dataclass(frozen=True, slots=True)
class Digest:
    period_start: datetime
    period_end: datetime
    sections: tuple[TagSection, ...]  # in the configured tag order, empty tags included
    article_count: int  # distinct articles: one tagged twice counts once
    top_sources: tuple[tuple[str, int], ...]  # (source, articles), most first
    failing_sources: tuple[FailingSource, ...]
    weekly: WeeklyCounts

    @property
    def is_empty(self) -> bool:
        return self.article_count == 0


@dataclass(frozen=True, slots=True)
class Alert:
    items: tuple[DigestItem, ...]  # one per (article, tag): an article strong on two tags is listed twice
    tags: tuple[str, ...]  # the tags the items carry, in the configured order
    threshold: float

    @property
    def article_count(self) -> int:
        return len({item.article_id for item in self.items})


def single_line(value: str, max_chars: int = 200) -> str:
    """Collapse every run of whitespace and control characters (CR, LF, tabs, NUL…) into one space, and shorten."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in value)
    collapsed = " ".join(cleaned.split())
    if len(collapsed) > max_chars:
        collapsed = collapsed[: max_chars - 1].rstrip() + "…"
    return collapsed


def snippet_of(text: str, max_chars: int = SNIPPET_CHARS) -> str:
    """The article's opening on one line, cut at a word boundary."""
    flat = single_line(text, max_chars=len(text) + 1)
    if len(flat) <= max_chars:
        return flat
    cut = flat[:max_chars]
    space = cut.rfind(" ")
    if space > max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + " …"


def text_direction(lang: str | None, title: str) -> str:
    """ "rtl" for Arabic (by language, or by a title written mostly in Arabic script), else "auto"."""
    if lang and lang.split("-")[0].lower() in RTL_LANGS:
        return "rtl"
    if len(_RTL_CHAR.findall(title)) > len(_LATIN_CHAR.findall(title)):
        return "rtl"
    return "auto"


def is_web_link(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def story_key(item: TaggedItem) -> str:
    """The story an item belongs to; an article not yet in a story is its own."""
    return item.story_id or item.article_id


def other_report(source: str, lang: str | None, url: str) -> OtherReport:
    return OtherReport(single_line(source, max_chars=80), lang, single_line(url, max_chars=2000), is_web_link(url))


def digest_item(
    item: TaggedItem,
    *,
    place_names: Mapping[str, str] | None = None,
    also_reported_by: tuple[OtherReport, ...] = (),
    also_under: tuple[str, ...] = (),
) -> DigestItem:
    title = single_line(item.title, max_chars=300) or "(no title)"
    names = place_names or {}
    return DigestItem(
        article_id=item.article_id,
        tag=item.tag,
        title=title,
        source=single_line(item.source, max_chars=80),
        published_at=item.published_at,
        score=item.score,
        snippet=snippet_of(item.text_start),
        evidence=tuple(single_line(span, max_chars=120) for span in item.evidence if span.strip())[:4],
        url=single_line(item.url, max_chars=2000),
        link_is_safe=is_web_link(item.url),
        direction=text_direction(item.lang, title),
        lang=item.lang,
        places=tuple(f"{names[code]} ({code})" if code in names else code for code in item.places),
        also_reported_by=also_reported_by,
        also_under=also_under,
    )


def story_entries(
    ranked: Sequence[TaggedItem],
    *,
    reports: Mapping[str, Sequence[StoryReport]],
    tags_of_story: Mapping[str, Sequence[str]],
    place_names: Mapping[str, str],
) -> list[DigestItem]:
    """One entry per story, through its best-ranked report; the story's other reports (in this digest or
    not) become "also reported by", and the other tags listing it "also under"."""
    entries = []
    grouped: dict[str, list[TaggedItem]] = {}
    for item in ranked:
        grouped.setdefault(story_key(item), []).append(item)
    for key, members in grouped.items():
        lead = members[0]
        others: dict[str, OtherReport] = {}
        for report in reports.get(key, ()):
            if report.article_id != lead.article_id:
                others[report.article_id] = other_report(report.source, report.lang, report.url)
        for member in members[1:]:
            others.setdefault(member.article_id, other_report(member.source, member.lang, member.url))
        also_under = tuple(t for t in tags_of_story.get(key, ()) if t != lead.tag)
        entries.append(
            digest_item(lead, place_names=place_names, also_reported_by=tuple(others.values()), also_under=also_under)
        )
    return entries


def rank_items(items: Sequence[TaggedItem]) -> list[TaggedItem]:
    """Most relevant first: score, then the most recently published, then article id so the order is stable."""
    by_id = sorted(items, key=lambda i: i.article_id)
    by_recency = sorted(by_id, key=lambda i: i.published_at, reverse=True)
    return sorted(by_recency, key=lambda i: i.score, reverse=True)


def build_digest(
    items: Sequence[TaggedItem],
    *,
    tags: Sequence[str],
    period_start: datetime,
    period_end: datetime,
    previous_counts: Mapping[str, int] | None,
    failing: Sequence[FailingSource],
    weekly: WeeklyCounts,
    max_full_items_per_tag: int,
    reports: Mapping[str, Sequence[StoryReport]] | None = None,
    place_names: Mapping[str, str] | None = None,
) -> Digest:
    """Group by tag in the configured order, one entry per story, rank, and shorten past
    `max_full_items_per_tag` (never drop). A story under several tags is listed in each, marked "also under"."""
    tags_of_story: dict[str, list[str]] = {}
    for tag in tags:
        for item in items:
            if item.tag == tag and tag not in tags_of_story.setdefault(story_key(item), []):
                tags_of_story[story_key(item)].append(tag)
    sections = []
    for tag in tags:
        ranked = rank_items([i for i in items if i.tag == tag])
        entries = story_entries(ranked, reports=reports or {}, tags_of_story=tags_of_story,
                                place_names=place_names or {})  # fmt: skip
        previous = None if previous_counts is None else previous_counts.get(tag, 0)
        sections.append(
            TagSection(
                tag=tag,
                count=len(ranked),
                previous_count=previous,
                full_items=tuple(entries[:max_full_items_per_tag]),
                brief_items=tuple(entries[max_full_items_per_tag:]),
                stories=len(entries),
            )
        )
    articles = {i.article_id: i.source for i in items if i.tag in tags}
    sources = Counter(single_line(source, max_chars=80) for source in articles.values())
    return Digest(
        period_start=period_start,
        period_end=period_end,
        sections=tuple(sections),
        article_count=len(articles),
        top_sources=tuple(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_SOURCES]),
        failing_sources=tuple(failing),
        weekly=weekly,
    )


def build_alert(items: Sequence[TaggedItem], *, tags: Sequence[str], threshold: float) -> Alert:
    ranked = rank_items(items)
    present = {i.tag for i in items}
    return Alert(
        items=tuple(digest_item(i) for i in ranked),
        tags=tuple(t for t in tags if t in present),
        threshold=threshold,
    )


def digest_subject(digest: Digest) -> str:
    """ "newsmon digest 3 Jun 2026: isis 14, returns 3, reconciliation 2": short enough for one header line."""
    counts = ", ".join(f"{s.tag} {s.count}" for s in digest.sections)
    return single_line(f"newsmon digest {digest.period_end.day} {digest.period_end:%b %Y}: {counts}")


def alert_subject(alert: Alert) -> str:
    first = alert.items[0]
    more = len({i.article_id for i in alert.items}) - 1
    tail = f" (+{more} more)" if more > 0 else ""
    # The title is untrusted: single_line removes CR/LF, so it can never start a header of its own.
    return single_line(f"newsmon alert [{', '.join(alert.tags)}]: {single_line(first.title, 90)}{tail}", max_chars=160)
