"""Incremental, deterministic story assignment: each new report joins the open story it matches best, or starts one.

A pair of reports is first judged on cheap signals (shared sites and figures, shared wording in one language, how
far apart they were published, places that rule each other out). Only a pair those leave undecided, typically
reports in two languages that share no figure, goes to the multilingual encoder. A story's id is the article_id
of its first report; articles are taken oldest first, so the same input always gives the same stories.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from stories.encoder import TitleEncoder
from stories.signals import Signals

WINDOW = timedelta(days=4)  # reports of one event come within a few days of each other
SWEEP_EVERY = timedelta(hours=1)  # how far time moves before closed stories are dropped again
MAX_CANDIDATES = 30  # open reports judged per new article: those sharing most keys with it
HOT_KEY_REPORTS = 250  # a key more open reports hold (a common title word in a busy window) finds no candidates
LINK = 3.0  # cheap evidence at or above this links a pair without the encoder
UNDECIDED = 0.5  # below this the pair is apart; in between the encoder decides
ENCODER_LINK = 0.55  # title cosine that links an undecided pair of middling cheap score
ENCODER_WEIGHT = 4.0  # per unit of cosine above or below ENCODER_LINK
CHEAP_WEIGHT = 0.4  # how much the cheap score still counts once the encoder is asked
SITE_SCORE = 1.0
MAX_SITES = 2
NUMBER_SCORE = 1.5
MAX_NUMBERS = 2
NUMBER_CONFLICT = 1.5  # both report figures and share none: often a different event (the next convoy)
WORDS_SCORE = 5.0  # times the share of the shorter article's content words the other one uses
DAY_PENALTY = 0.75  # per day apart beyond the first


@dataclass(frozen=True, slots=True)
class Judgement:
    score: float
    used_encoder: bool


@dataclass
class StoryAssigner:
    """Holds the open stories of a window of time; `assign` places each new article in one of them.

    Reports are found through an index of their keys (governorates, sites, figures, title words per language):
    a new article is judged only against the MAX_CANDIDATES open reports sharing most keys with it, so a busy
    day of unrelated articles costs a few index look-ups each, not a comparison with every one of them.
    """

    encoder: TitleEncoder = field(default_factory=TitleEncoder)
    reports: dict[str, tuple[str, Signals]] = field(default_factory=dict)  # article_id -> (story_id, signals)
    index: dict[str, set[str]] = field(default_factory=dict)  # key -> article ids
    newest: dict[str, datetime] = field(default_factory=dict)  # story_id -> its newest report's time
    pairs_judged: int = 0
    pairs_encoded: int = 0
    _swept_at: datetime | None = None

    def remember(self, story_id: str, signals: Signals) -> None:
        """An article already in a story (from the warehouse), so new reports can join that story."""
        if signals.article_id not in self.reports:
            self._add(story_id, signals)

    def assign(self, articles: Iterable[Signals]) -> dict[str, str]:
        """article_id → story_id for each article, taken oldest first (then by id)."""
        assigned: dict[str, str] = {}
        for article in sorted(articles, key=lambda a: (a.published_at, a.article_id)):
            self._forget_before(article.published_at)
            story_id = self._best_story(article) or article.article_id
            self._add(story_id, article)
            assigned[article.article_id] = story_id
        return assigned

    def _add(self, story_id: str, signals: Signals) -> None:
        self.reports[signals.article_id] = (story_id, signals)
        for key in keys(signals):
            self.index.setdefault(key, set()).add(signals.article_id)
        if story_id not in self.newest or self.newest[story_id] < signals.published_at:
            self.newest[story_id] = signals.published_at

    def _forget_before(self, moment: datetime) -> None:
        """Close stories whose newest report is more than WINDOW older: the work per article stays bounded however
        long the history. (An older article stored later finds them again: the caller reloads its window.)"""
        if self._swept_at is not None and moment - self._swept_at < SWEEP_EVERY:
            return
        self._swept_at = moment
        closed = {story for story, newest in self.newest.items() if newest < moment - WINDOW}
        if not closed:
            return
        for article_id in [a for a, (story, _) in self.reports.items() if story in closed]:
            _, signals = self.reports.pop(article_id)
            for key in keys(signals):
                self.index[key].discard(article_id)
        for story in closed:
            del self.newest[story]

    def candidates(self, article: Signals) -> list[tuple[str, Signals]]:
        """The open reports sharing most keys with the article, at most MAX_CANDIDATES, in a fixed order.

        Keys held by more than HOT_KEY_REPORTS open reports are left out: they tell one event from another no
        better than chance, and counting them would make each article's cost grow with the whole window's.
        """
        shared: Counter[str] = Counter()
        for key in keys(article):
            holders = self.index.get(key, ())
            if len(holders) <= HOT_KEY_REPORTS:
                shared.update(holders)
        ranked: Iterable[tuple[str, int]] = shared.items()
        if len(shared) > MAX_CANDIDATES:
            # Only reports sharing at least as many keys as the MAX_CANDIDATES-th can rank: sorting those alone, not
            # every report that shares one common word, keeps a busy window cheap. The order is the same.
            floor = heapq.nlargest(MAX_CANDIDATES, shared.values())[-1]
            ranked = [(article_id, count) for article_id, count in ranked if count >= floor]
        best = sorted(ranked, key=lambda kv: (-kv[1], kv[0]))[:MAX_CANDIDATES]
        return [self.reports[article_id] for article_id, _ in best]

    def _best_story(self, article: Signals) -> str | None:
        best: tuple[float, str] | None = None
        for story_id, report in self.candidates(article):
            if abs(report.published_at - article.published_at) > WINDOW:
                continue
            score = self.judge(article, report).score
            if score >= LINK and (best is None or (score, story_id) > best):
                best = (score, story_id)
        return best[1] if best else None

    def judge(self, one: Signals, other: Signals) -> Judgement:
        """How strongly two reports look like one event: LINK or more means yes."""
        self.pairs_judged += 1
        if abs(one.published_at - other.published_at) > WINDOW:
            return Judgement(0.0, False)
        if one.places and other.places and not one.places & other.places:
            return Judgement(0.0, False)  # Ninewa and Anbar: not one event
        score = cheap_score(one, other)
        if score >= LINK or score < UNDECIDED or one.lang == other.lang:
            return Judgement(score, False)  # in one language, shared wording has already had its say
        self.pairs_encoded += 1
        cosine = self.encoder.similarity(one.title, other.title)
        return Judgement(LINK + (cosine - ENCODER_LINK) * ENCODER_WEIGHT + (score - UNDECIDED) * CHEAP_WEIGHT, True)


def cheap_score(one: Signals, other: Signals) -> float:
    score = SITE_SCORE * min(len(one.sites & other.sites), MAX_SITES)
    shared_numbers = one.numbers & other.numbers
    score += NUMBER_SCORE * min(len(shared_numbers), MAX_NUMBERS)
    if one.numbers and other.numbers and not shared_numbers:
        score -= NUMBER_CONFLICT
    if one.lang == other.lang and one.words and other.words:
        score += WORDS_SCORE * len(one.words & other.words) / min(len(one.words), len(other.words))
    days = abs(one.published_at - other.published_at).total_seconds() / 86400
    score -= DAY_PENALTY * max(0.0, days - 1)
    if one.places and other.places:
        score += 0.5  # the same governorate
    return score


def keys(signals: Signals) -> set[str]:
    """What two reports of one event are likely to share; title words only within one language."""
    found = {f"p:{p}" for p in signals.places} | {f"s:{s}" for s in signals.sites}
    found |= {f"n:{n}" for n in signals.numbers}
    found |= {f"w:{signals.lang}:{w}" for w in signals.title_words}
    return found
