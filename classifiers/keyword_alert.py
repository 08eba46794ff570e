"""The baseline every classifier figure is compared with: a boolean keyword alert per tag.

This is the query an analyst sets up in Google Alerts or Media Cloud: the tag fires when any listed term
appears anywhere in the title or text. English terms match whole words, any case; Arabic terms match
inside words after spelling normalisation, so والمصالحة still hits المصالحة, as a search engine would.
"""

from __future__ import annotations

import re

from classifiers.arabic import normalise_arabic
from newsmon.records import TAGS, Classification, ClassifierInput

# tag -> terms joined by OR. Edit here to compare the classifier with a different alert.
QUERIES: dict[str, tuple[str, ...]] = {
    "isis": (
        "ISIS", "ISIL", "Islamic State", "Daesh",
        "داعش", "الدولة الإسلامية", "تنظيم الدولة",
    ),
    "returns": (
        "returnees", "return of displaced", "return of the displaced", "return of refugees", "repatriation",
        "voluntary return", "returned home",
        "عودة النازحين", "عودة اللاجئين", "العائدين", "إعادة النازحين",
    ),
    "reconciliation": (
        "reconciliation", "social cohesion", "transitional justice", "national dialogue", "peacebuilding",
        "المصالحة", "السلم الأهلي", "العدالة الانتقالية", "التعايش", "الحوار الوطني",
    ),
}  # fmt: skip

_ARABIC = re.compile("[\u0600-\u06ff]")


class KeywordAlert:
    """Scores 1.0 for a tag when any of its query terms appears, else 0.0; the evidence is the first hit."""

    version = "keyword-alert"

    def __init__(self, queries: dict[str, tuple[str, ...]] | None = None) -> None:
        self.queries = queries or QUERIES
        self.thresholds = {tag: 0.5 for tag in TAGS}
        self._patterns: dict[str, re.Pattern[str]] = {}
        for tag, terms in self.queries.items():
            parts = [
                re.escape(normalise_arabic(t)) if _ARABIC.search(t) else r"\b" + re.escape(t) + r"\b"
                for t in sorted(terms, key=len, reverse=True)
            ]
            self._patterns[tag] = re.compile("|".join(parts), re.IGNORECASE)

    def classify(self, doc: ClassifierInput) -> Classification:
        text = doc.title + "\n" + doc.text
        if _ARABIC.search(text):
            text = normalise_arabic(text)
        scores: dict[str, float] = {}
        evidence: dict[str, tuple[str, ...]] = {}
        for tag in TAGS:
            found = self._patterns[tag].search(text) if tag in self._patterns else None
            scores[tag] = 1.0 if found else 0.0
            if found:
                evidence[tag] = (" ".join(text[max(0, found.start() - 40) : found.end() + 40].split()),)
        return Classification(id=doc.id, scores=scores, labels=tuple(t for t in TAGS if t in evidence),
                              evidence=evidence, classifier_version=self.version)
