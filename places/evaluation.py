"""Micro-F1 of places over (article, governorate) pairs, beside the baseline of governorate names only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from places.finder import find_places
from places.gazetteer import Gazetteer
from places.text import tokens


@dataclass(frozen=True, slots=True)
class PlaceCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else 1.0

    def __add__(self, other: PlaceCounts) -> PlaceCounts:
        return PlaceCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


@dataclass(frozen=True, slots=True)
class PlaceErrors:
    id: str
    missed: tuple[str, ...]
    extra: tuple[str, ...]


def count(gold: set[str], found: set[str]) -> PlaceCounts:
    return PlaceCounts(len(gold & found), len(found - gold), len(gold - found))


def governorate_names_only(gazetteer: Gazetteer, title: str, text: str) -> set[str]:
    """The baseline: every governorate whose own name (English or Arabic) appears anywhere, however used."""
    found = set()
    words = tokens(title + "\n" + text)
    for i in range(len(words)):
        for length in (1, 2, 3):
            rest = tuple(w.forms[0] for w in words[i + 1 : i + length])
            for form in words[i].forms:
                place = gazetteer.governorate_names.get((form, *rest))
                if place is not None:
                    found.add(place)
    return found


def evaluate_places(
    gazetteer: Gazetteer, articles: Sequence[tuple[str, str, str, set[str]]]
) -> tuple[PlaceCounts, PlaceCounts, list[PlaceErrors]]:
    """(ours, baseline, our errors) over (id, title, text, gold governorates) articles."""
    ours = baseline = PlaceCounts()
    errors = []
    for article_id, title, text, gold in articles:
        found = {f.place for f in find_places(gazetteer, title, text)}
        ours += count(gold, found)
        baseline += count(gold, governorate_names_only(gazetteer, title, text))
        if found != gold:
            errors.append(PlaceErrors(article_id, tuple(sorted(gold - found)), tuple(sorted(found - gold))))
    return ours, baseline, errors
