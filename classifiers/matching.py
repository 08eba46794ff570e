"""Find where one language's rule phrases occur in an article: which phrase, which sentence, which words.

An article is cut into units: unit 0 is the title, then one unit per sentence of the text. Tokens are matched
on keys (see `rules.pattern_key`), computed once per distinct word and cached, because news vocabulary repeats
and this is the hot loop of the classifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice
from typing import NamedTuple

from classifiers.arabic import arabic_forms, normalise_arabic
from classifiers.rules import LanguageRules, Phrase

# Arabic tashkeel and tatweel are not \w in Python's re: keep them inside the word.
_TOKEN = re.compile("[\\w\u0610-\u061a\u064b-\u065f\u0670\u0640]+")
# A sentence ends at a run of white space after . ! ? ؟, or at one holding a line break; the run goes whole. Written
# to start with \s, so the regex engine jumps from space to space (three times faster than trying every letter).
_SENTENCE_BREAK = re.compile(r"\s(?:(?<=[.!?؟]\s)|(?<=\n)|[^\S\n]*\n)\s*")
_MAX_CACHED_WORDS = 400_000  # about 100 MB at worst; cleared when full, it refills from the next articles

# Match kinds: what a phrase is for within its tag.
TERM, SUPPORT, AMBIGUOUS, NEGATIVE, VETO, CUE = "term", "support", "ambiguous", "negative", "veto", "cue"
PAIR_ANY, PAIR_WITH = "any", "with"


class Match(NamedTuple):
    """One rule phrase found in an article. A named tuple, not a dataclass: an article makes dozens of these, and
    a tuple is made fastest."""

    tag: str
    kind: str
    phrase: Phrase
    pair_index: int  # which [[tag.pairs]] entry, -1 for other kinds
    unit: int  # 0 = title, 1.. = sentences of the text
    start: int  # token index of the first word, within the unit
    end: int  # token index after the last word


class Unit(NamedTuple):
    """The title or one sentence. A named tuple: an article makes dozens of these, and a tuple is made fastest."""

    text: str
    words: tuple[str, ...]  # tokens as written

    def spans(self, words: int | None = None) -> list[tuple[int, int]]:
        """Character span of each token within text (of the first `words` tokens only when given); computed only
        for the few units shown as evidence."""
        return [m.span() for m in islice(_TOKEN.finditer(self.text), words)]


@dataclass(frozen=True, slots=True)
class MatchedDocument:
    units: tuple[Unit, ...]
    matches: tuple[Match, ...]


def _is_prefix_key(key: str) -> bool:
    return key.endswith("*") and not key.startswith("^")


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
        # Prefix keys ("return*") filed under their first letters, so that most words cost one look-up to learn
        # that they start none.
        prefixes = sorted(key[:-1] for key in keys if _is_prefix_key(key))
        self._head = min((len(prefix) for prefix in prefixes), default=0)
        self._prefixes: dict[str, tuple[str, ...]] = {}
        for prefix in prefixes:
            self._prefixes[prefix[: self._head]] = (*self._prefixes.get(prefix[: self._head], ()), prefix)
        self._index_keys = frozenset(self._index)
        # The prefixes that open a phrase, by their first letters: whether a new word starts one costs a look-up.
        self._start_head = min((len(key) - 1 for key in self._index if _is_prefix_key(key)), default=0)
        self._start_prefixes: dict[str, tuple[str, ...]] = {}
        for key in sorted(key for key in self._index if _is_prefix_key(key)):
            head = key[: self._start_head]
            self._start_prefixes[head] = (*self._start_prefixes.get(head, ()), key[:-1])
        # Every word read, with its forms (see `_forms_of`); most words start no phrase and need nothing more.
        self._forms: dict[str, tuple[str, ...]] = {}
        # All the keys of the words that start a phrase, or follow one where a longer phrase starts.
        self._cache: dict[str, tuple[frozenset[str], tuple[tuple[str, str, Phrase, int], ...], str]] = {}
        self._starters: set[str] = set()  # the words (as written) that can start a phrase

    def _add(self, tag: str, kind: str, phrase: Phrase, pair_index: int) -> None:
        self._index.setdefault(phrase.keys[0], []).append((tag, kind, phrase, pair_index))

    def __getstate__(self) -> dict[str, object]:
        # Worker processes get the rules, not the cache of whatever the parent happened to read.
        return {"lang": self.lang, "_index": self._index, "_head": self._head, "_prefixes": self._prefixes,
                "_index_keys": self._index_keys, "_start_head": self._start_head,
                "_start_prefixes": self._start_prefixes, "_forms": {}, "_cache": {}, "_starters": set()}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)

    def word_keys(self, word: str) -> frozenset[str]:
        """Every key `word` matches: its lowercased or normalised forms, capitals, and the prefixes it starts with."""
        self._bound_cache()
        return self._lookup(word)[0]

    def form(self, word: str) -> str:
        """The word lowercased (English) or normalised without its proclitics (Arabic): `learned.word_form`."""
        return (self._forms.get(word) or self._read(word))[-1]

    def _bound_cache(self) -> None:
        # Emptied between articles only: `match` relies on the words of the article it reads staying known.
        if len(self._forms) >= _MAX_CACHED_WORDS:
            self._forms.clear()
            self._cache.clear()
            self._starters.clear()

    def _forms_of(self, word: str) -> tuple[str, ...]:
        """The word lowercased (English), or normalised with and without its proclitics (Arabic), longest first."""
        return arabic_forms(normalise_arabic(word)) if self.lang == "ar" else (word.lower(),)

    def _read(self, word: str) -> tuple[str, ...]:
        """Note a new word's forms, and all its keys if it may start a phrase; returns the forms."""
        self._read_all([word])
        return self._forms[word]

    def _read_all(self, words: list[str]) -> None:
        """`_read` for many new words at once: a fresh process meets tens of thousands, so the spelling is
        normalised in one call for all of them, and the rest runs in one loop rather than a call per word."""
        if not words:
            return
        if self.lang == "ar":
            # One translation of all the words, cut again at the line breaks no word holds: each word is
            # normalised exactly as alone, since the translation maps characters one by one.
            all_forms = list(map(arabic_forms, normalise_arabic("\n".join(words)).split("\n")))
        else:
            all_forms = [(word.lower(),) for word in words]
        forms_of = self._forms
        index_keys = self._index_keys
        start_prefixes = self._start_prefixes
        head = self._start_head
        english = self.lang != "ar"
        for word, forms in zip(words, all_forms, strict=True):
            forms_of[word] = forms
            if not index_keys.isdisjoint(forms):
                self._lookup(word)
            elif english and len(word) >= 2 and word.isupper() and "^" + word in index_keys:
                self._lookup(word)
            elif start_prefixes:
                for form in forms:
                    for prefix in start_prefixes.get(form[:head], ()):
                        if form.startswith(prefix):
                            break
                    else:
                        continue
                    self._lookup(word)
                    break

    def _lookup(self, word: str) -> tuple[frozenset[str], tuple[tuple[str, str, Phrase, int], ...], str]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        forms = self._forms_of(word)
        found = set(forms)
        if self.lang != "ar" and len(word) >= 2 and word.isupper():
            found.add("^" + word)
        if self._prefixes:
            for form in forms:
                for prefix in self._prefixes.get(form[: self._head], ()):
                    if form.startswith(prefix):
                        found.add(prefix + "*")
        keys = frozenset(found)
        # The phrases this word can start, found once per distinct word: most words start none.
        starts: tuple[tuple[str, str, Phrase, int], ...] = ()
        if not self._index_keys.isdisjoint(keys):
            index = self._index
            starts = tuple(entry for key in keys if key in index for entry in index[key])
            self._starters.add(word)
        found_entry = (keys, starts, forms[-1])
        self._cache[word] = found_entry
        return found_entry

    def match(self, title: str, text: str) -> MatchedDocument:
        self._bound_cache()
        texts = split_units(title, text)
        unit_words = [tuple(_TOKEN.findall(unit_text)) for unit_text in texts]
        new_words = set().union(*unit_words).difference(self._forms)
        if new_words:
            self._read_all(list(new_words))
        starters = self._starters
        cache = self._cache
        known = cache.get
        lookup = self._lookup
        new_match = tuple.__new__  # Match(...) without the call through its generated __new__
        matches: list[Match] = []
        for unit_number, words in enumerate(unit_words):
            if starters.isdisjoint(words):
                continue  # most sentences: no word of theirs starts a phrase
            size = len(words)
            for position in [i for i, word in enumerate(words) if word in starters]:
                next_keys: frozenset[str] | None = None
                for tag, kind, phrase, pair_index in cache[words[position]][1]:
                    keys = phrase.keys
                    length = len(keys)
                    if length > 1:
                        if position + length > size:
                            continue
                        if next_keys is None:
                            next_keys = (known(words[position + 1]) or lookup(words[position + 1]))[0]
                        if keys[1] not in next_keys or not all(
                            keys[j] in (known(words[position + j]) or lookup(words[position + j]))[0]
                            for j in range(2, length)
                        ):
                            continue
                    matches.append(new_match(Match, (tag, kind, phrase, pair_index, unit_number, position,
                                                     position + length)))
        units = tuple([new_match(Unit, unit) for unit in zip(texts, unit_words, strict=True)])
        return MatchedDocument(units=units, matches=tuple(matches))
