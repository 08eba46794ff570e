"""Incremental, deterministic story assignment: each new report joins the open story it matches best, or starts one.

A pair of reports is first judged on cheap signals (shared sites and figures, shared wording in one language, how
far apart they were published, places that rule each other out). Only a pair those leave undecided, typically
reports in two languages that share no figure, goes to the multilingual encoder. A story's id is the article_id
of its first report; articles are taken oldest first, so the same input always gives the same stories.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from stories.encoder import TitleEncoder
from stories.signals import Signals

WINDOW = timedelta(days=4)  # reports of one event come within a few days of each other
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
    """Holds the open stories of a window of time; `assign` places each new article in one of them."""

    encoder: TitleEncoder = field(default_factory=TitleEncoder)
    members: dict[str, list[Signals]] = field(default_factory=dict)  # story_id -> its reports, oldest first
    known: set[str] = field(default_factory=set)  # article ids in `members`
    pairs_judged: int = 0
    pairs_encoded: int = 0

    def remember(self, story_id: str, signals: Signals) -> None:
        """An article already in a story (from the warehouse), so new reports can join that story."""
        if signals.article_id not in self.known:
            self.known.add(signals.article_id)
            self.members.setdefault(story_id, []).append(signals)

    def assign(self, articles: Iterable[Signals]) -> dict[str, str]:
        """article_id → story_id for each article, taken oldest first (then by id)."""
        assigned: dict[str, str] = {}
        for article in sorted(articles, key=lambda a: (a.published_at, a.article_id)):
            self._forget_before(article)
            story_id = self._best_story(article) or article.article_id
            self.members.setdefault(story_id, []).append(article)
            self.known.add(article.article_id)
            assigned[article.article_id] = story_id
        return assigned

    def _forget_before(self, article: Signals) -> None:
        """Close stories whose last report is more than WINDOW older: the work per article stays bounded however
        long the history. (An older article stored later finds them again: the caller reloads its window.)"""
        horizon = article.published_at - WINDOW
        for story_id in [s for s, reports in self.members.items() if max(r.published_at for r in reports) < horizon]:
            self.known.difference_update(r.article_id for r in self.members.pop(story_id))

    def _best_story(self, article: Signals) -> str | None:
        best: tuple[float, str] | None = None
        for story_id, reports in self.members.items():
            near = [r for r in reports if abs(r.published_at - article.published_at) <= WINDOW]
            if not near:
                continue
            score = max(self.judge(article, r).score for r in near)
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
        if score >= LINK or score < UNDECIDED:
            return Judgement(score, False)
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
