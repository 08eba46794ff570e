"""Find where one language's rule phrases occur in an article: which phrase, which sentence, which words.

An article is cut into units: unit 0 is the title, then one unit per sentence of the text. Tokens are matched
on keys (see `rules.pattern_key`), computed once per distinct word and cached, because news vocabulary repeats
and this is the hot loop of the classifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from classifiers.arabic import arabic_forms, normalise_arabic
from classifiers.rules import LanguageRules, Phrase

# Arabic tashkeel and tatweel are not \w in Python's re: keep them inside the word.
_TOKEN = re.compile("[\\w\u0610-\u061a\u064b-\u065f\u0670\u0640]+")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?؟])\s+|\s*\n+\s*")
_MAX_CACHED_WORDS = 400_000  # about 100 MB at worst; cleared when full, it refills from the next articles

# Match kinds: what a phrase is for within its tag.
TERM, SUPPORT, AMBIGUOUS, NEGATIVE, VETO, CUE = "term", "support", "ambiguous", "negative", "veto", "cue"
PAIR_ANY, PAIR_WITH = "any", "with"


@dataclass(frozen=True, slots=True)
class Match:
    tag: str
    kind: str
    phrase: Phrase
    pair_index: int  # which [[tag.pairs]] entry, -1 for other kinds
    unit: int  # 0 = title, 1.. = sentences of the text
    start: int  # token index of the first word, within the unit
    end: int  # token index after the last word


@dataclass(frozen=True, slots=True)
class Unit:
    text: str
    words: tuple[str, ...]  # tokens as written

    def spans(self) -> list[tuple[int, int]]:
        """Character span of each token within text; computed only for the few units shown as evidence."""
        return [m.span() for m in _TOKEN.finditer(self.text)]


@dataclass(frozen=True, slots=True)
class MatchedDocument:
    units: tuple[Unit, ...]
    matches: tuple[Match, ...]


def tokens(text: str) -> list[str]:
    """The words of a text as the matcher and the learned stage see them."""
    return _TOKEN.findall(text)


def split_units(title: str, text: str) -> list[str]:
    """The title, then the sentences of the text (a line break always ends a sentence)."""
    return [title, *(s for s in _SENTENCE_BREAK.split(text) if s.strip())]


class Matcher:
    """Finds every rule phrase of one language in an article. Cheap to build; holds a per-word key cache."""

    def __init__(self, rules: LanguageRules) -> None:
        self.lang = rules.lang
        self._index: dict[str, list[tuple[str, str, Phrase, int]]] = {}
        for tag, tag_rules in rules.tags.items():
            for kind, phrases in ((TERM, tag_rules.terms), (SUPPORT, tag_rules.support),
                                  (AMBIGUOUS, tag_rules.ambiguous), (NEGATIVE, tag_rules.negative),
                                  (VETO, tag_rules.veto), (CUE, tag_rules.cues)):
                for phrase in phrases:
                    self._add(tag, kind, phrase, -1)
            for index, pair in enumerate(tag_rules.pairs):
                for phrase in pair.any:
                    self._add(tag, PAIR_ANY, phrase, index)
                for phrase in pair.with_:
                    self._add(tag, PAIR_WITH, phrase, index)
        keys = {k for entries in self._index.values() for _, _, p, _ in entries for k in p.keys}
        # Prefix keys ("return*") grouped by prefix length, so a word is tested once per length.
        self._prefixes: dict[int, set[str]] = {}
        for key in keys:
            if key.endswith("*") and not key.startswith("^"):
                self._prefixes.setdefault(len(key) - 1, set()).add(key[:-1])
        self._prefix_lengths = sorted(self._prefixes.items())
        self._cache: dict[str, tuple[frozenset[str], tuple[tuple[str, str, Phrase, int], ...], str]] = {}

    def _add(self, tag: str, kind: str, phrase: Phrase, pair_index: int) -> None:
        self._index.setdefault(phrase.keys[0], []).append((tag, kind, phrase, pair_index))

    def __getstate__(self) -> dict[str, object]:
        # Worker processes get the rules, not the cache of whatever the parent happened to read.
        return {"lang": self.lang, "_index": self._index, "_prefixes": self._prefixes,
                "_prefix_lengths": self._prefix_lengths, "_cache": {}}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)

    def word_keys(self, word: str) -> frozenset[str]:
        """Every key `word` matches: its lowercased or normalised forms, capitals, and the prefixes it starts with."""
        return self._lookup(word)[0]

    def form(self, word: str) -> str:
        """The word lowercased (English) or normalised without its proclitics (Arabic): `learned.word_form`."""
        return (self._cache.get(word) or self._lookup(word))[2]

    def _lookup(self, word: str) -> tuple[frozenset[str], tuple[tuple[str, str, Phrase, int], ...], str]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if self.lang == "ar":
            forms: tuple[str, ...] = arabic_forms(normalise_arabic(word))
            found = set(forms)
        else:
            lower = word.lower()
            forms = (lower,)
            found = {lower}
            if len(word) >= 2 and word.isupper():
                found.add("^" + word)
        for form in forms:
            size = len(form)
            for length, prefixes in self._prefix_lengths:
                if length > size:
                    break  # lengths ascend: no longer prefix fits this form
                if form[:length] in prefixes:
                    found.add(form[:length] + "*")
        keys = frozenset(found)
        # The phrases this word can start, found once per distinct word: most words start none.
        index = self._index
        starts = tuple(entry for key in keys if key in index for entry in index[key])
        if len(self._cache) >= _MAX_CACHED_WORDS:
            self._cache.clear()
        found_entry = (keys, starts, forms[-1])
        self._cache[word] = found_entry
        return found_entry

    def match(self, title: str, text: str) -> MatchedDocument:
        units = []
        matches = []
        lookup = self._lookup
        cached = self._cache.get  # most words are cached: skip the method call for them
        for unit_number, unit_text in enumerate(split_units(title, text)):
            words = tuple(_TOKEN.findall(unit_text))
            units.append(Unit(text=unit_text, words=words))
            found = [cached(w) or lookup(w) for w in words]
            for position, (_, starts, _) in enumerate(found):
                for tag, kind, phrase, pair_index in starts:
                    length = len(phrase.keys)
                    if length > 1 and not (
                        position + length <= len(found)
                        and all(phrase.keys[j] in found[position + j][0] for j in range(1, length))
                    ):
                        continue
                    matches.append(Match(tag, kind, phrase, pair_index, unit_number, position, position + length))
        return MatchedDocument(units=tuple(units), matches=tuple(matches))
