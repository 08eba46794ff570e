"""B-cubed precision, recall and F1 of stories, the share of two-language same-event pairs found together, and
the exact-title baseline (Media Cloud's dedup: one story per distinct title)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True, slots=True)
class StoryScores:
    precision: float
    recall: float
    f1: float
    cross_language_pairs: int
    cross_language_found: float  # share of same-event pairs in two languages given one story


def score_stories(gold: Mapping[str, str], predicted: Mapping[str, str], langs: Mapping[str, str]) -> StoryScores:
    """gold and predicted: article id → event or story id; langs: article id → language."""
    gold_members: dict[str, set[str]] = defaultdict(set)
    predicted_members: dict[str, set[str]] = defaultdict(set)
    for article, event in gold.items():
        gold_members[event].add(article)
        predicted_members[predicted[article]].add(article)
    precision = recall = 0.0
    for article in gold:
        mine = predicted_members[predicted[article]]
        truth = gold_members[gold[article]]
        both = len(mine & truth)
        precision += both / len(mine)
        recall += both / len(truth)
    n = len(gold) or 1
    precision, recall = precision / n, recall / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    pairs = [
        (a, b) for members in gold_members.values() for a, b in combinations(sorted(members), 2) if langs[a] != langs[b]
    ]
    found = sum(1 for a, b in pairs if predicted[a] == predicted[b])
    return StoryScores(precision, recall, f1, len(pairs), found / len(pairs) if pairs else 1.0)


def exact_title_stories(titles: Mapping[str, str]) -> dict[str, str]:
    """The baseline: articles with the same title (case and spacing aside) are one story."""
    first: dict[str, str] = {}
    return {article: first.setdefault(" ".join(title.lower().split()), article) for article, title in titles.items()}
