"""`newsmon eval-stories`: places and stories figures on a labelled file of events, beside their baselines.

The file is JSON Lines, one article a line: id, source, lang, published_at (ISO 8601), title, text, event (the
gold story: articles of one real-world event share it) and places (the gold governorates, ISO 3166-2).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsmon.errors import ConfigError
from places import Gazetteer, article_places
from places.evaluation import PlaceCounts, PlaceErrors, evaluate_places
from stories.assign import StoryAssigner
from stories.evaluation import StoryScores, exact_title_stories, score_stories
from stories.signals import read_signals


@dataclass(frozen=True, slots=True)
class LabelledArticle:
    id: str
    source: str
    lang: str
    published_at: datetime
    title: str
    text: str
    event: str
    places: frozenset[str]


@dataclass(frozen=True, slots=True)
class EventsReport:
    articles: int
    events: int
    places: PlaceCounts
    places_baseline: PlaceCounts
    place_errors: list[PlaceErrors]
    stories: StoryScores
    stories_baseline: StoryScores
    pairs_judged: int
    pairs_encoded: int
    titles_encoded: int
    places_ms_per_article: float
    stories_ms_per_article: float  # signals and assignment, encoder calls included, its one-off load excluded
    mixed_stories: list[list[str]]  # predicted stories holding more than one event, as article ids
    split_events: list[list[str]]  # events spread over more than one story


def read_events(path: Path) -> list[LabelledArticle]:
    """The labelled articles; ConfigError names the file and line of the first bad one."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    found = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            found.append(_article(path, number, line))
    return found


def _article(path: Path, number: int, line: str) -> LabelledArticle:
    where = f"{path}: line {number}"
    try:
        raw: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a JSON object.")
    for name in ("id", "source", "lang", "published_at", "title", "text", "event"):
        if not isinstance(raw.get(name), str):
            raise ConfigError(f'{where}: "{name}" must be a string.')
    places = raw.get("places")
    if not isinstance(places, list) or not all(isinstance(p, str) for p in places):
        raise ConfigError(f'{where}: "places" must be a list of codes such as ["IQ-NI"].')
    try:
        published = datetime.fromisoformat(raw["published_at"].replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f'{where}: "published_at" is not an ISO 8601 time: {exc}') from exc
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return LabelledArticle(raw["id"], raw["source"], raw["lang"], published, raw["title"], raw["text"],
                           raw["event"], frozenset(places))  # fmt: skip


def evaluate_events(gazetteer: Gazetteer, articles: list[LabelledArticle]) -> EventsReport:
    ours, baseline, errors = evaluate_places(gazetteer, [(a.id, a.title, a.text, set(a.places)) for a in articles])
    assigner = StoryAssigner()
    assigner.encoder.similarity("warm", "up")  # the one-off load (≈0.8 s) is not a per-article cost
    assigner.encoder.encoded = 0
    started = time.perf_counter()
    found = [article_places(gazetteer, a.title, a.text) for a in articles]
    placed = time.perf_counter()
    signals = [
        read_signals(gazetteer, a.id, a.source, a.lang, a.published_at, a.title, a.text, places)
        for a, places in zip(articles, found, strict=True)
    ]
    predicted = assigner.assign(signals)
    assigned = time.perf_counter()
    gold = {a.id: a.event for a in articles}
    langs = {a.id: a.lang for a in articles}
    by_story: dict[str, list[str]] = {}
    for article_id, story in predicted.items():
        by_story.setdefault(story, []).append(article_id)
    by_event: dict[str, set[str]] = {}
    for article_id, event in gold.items():
        by_event.setdefault(event, set()).add(predicted[article_id])
    return EventsReport(
        articles=len(articles),
        events=len(set(gold.values())),
        places=ours,
        places_baseline=baseline,
        place_errors=errors,
        stories=score_stories(gold, predicted, langs),
        stories_baseline=score_stories(gold, exact_title_stories({a.id: a.title for a in articles}), langs),
        pairs_judged=assigner.pairs_judged,
        pairs_encoded=assigner.pairs_encoded,
        titles_encoded=assigner.encoder.encoded,
        places_ms_per_article=1000 * (placed - started) / max(len(articles), 1),
        stories_ms_per_article=1000 * (assigned - placed) / max(len(articles), 1),
        mixed_stories=[sorted(ids) for ids in by_story.values() if len({gold[i] for i in ids}) > 1],
        split_events=[sorted(i for i in gold if gold[i] == e) for e, s in by_event.items() if len(s) > 1],
    )


def format_events_report(report: EventsReport) -> str:
    p, b = report.places, report.places_baseline
    s, t = report.stories, report.stories_baseline
    lines = [
        f"{report.articles} articles, {report.events} events; every figure is followed by its baseline's [..]",
        "places (article, governorate) pairs; baseline: governorate names only, wherever they appear",
        f"  micro-precision {p.precision:.2f} [{b.precision:.2f}]  micro-recall {p.recall:.2f} [{b.recall:.2f}]  "
        f"micro-F1 {p.f1:.2f} [{b.f1:.2f}]",
        "stories (B-cubed); baseline: exact-title dedup",
        f"  precision {s.precision:.2f} [{t.precision:.2f}]  recall {s.recall:.2f} [{t.recall:.2f}]  "
        f"F1 {s.f1:.2f} [{t.f1:.2f}]",
        f"  same-event pairs in two languages found together: {s.cross_language_found:.2f} "
        f"[{t.cross_language_found:.2f}] of {s.cross_language_pairs}",
        f"  cost: {report.pairs_judged} pairs judged, {report.pairs_encoded} sent to the encoder, "
        f"{report.titles_encoded} titles embedded",
        f"  time per article: places {report.places_ms_per_article:.2f} ms, stories "
        f"{report.stories_ms_per_article:.2f} ms (signals, assignment and encoder calls; its one-off load excluded)",
    ]
    for error in report.place_errors:
        lines.append(f"  places {error.id}: missed {', '.join(error.missed) or '-'}; "
                     f"extra {', '.join(error.extra) or '-'}")  # fmt: skip
    lines.extend(f"  one story, several events: {' '.join(ids)}" for ids in report.mixed_stories)
    lines.extend(f"  one event, several stories: {' '.join(ids)}" for ids in report.split_events)
    return "\n".join(lines)
