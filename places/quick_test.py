"""A quick test before the careful reading: could this sentence hold a gazetteer name at all?

Most sentences name no place, yet reading one carefully costs a Token and Arabic folding per word. Here a
sentence's words are compared as sets, at the speed of C string operations, with every spelling a name's first
word can take in running text (with its article and a proclitic: الموصل, والموصل, بالموصل, للموصل), and, for
names of two words or more, with their second word too. A Latin first word must be capitalised, as the careful
reading requires. Whatever the careful reading can find passes this test, so skipping the sentences that fail it
changes no result (tests/places/test_quick_test.py compares both readings on every corpus at hand); a sentence
with letters outside ASCII and Arabic is always read carefully.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from places.text import ARABIC_LETTER_VARIANTS

# How an Arabic word of a name may start in running text: `arabic_core` strips one article (ال, لل, وال, بال,
# فال, كال) and `tokens` also reads a word without its first letter when that is a proclitic (و ب ل ف ك).
_ARTICLES = ("", "ال", "لل", "وال", "بال", "فال", "كال")
_FIRST_WORD_PREFIXES = _ARTICLES + tuple(clitic + article for clitic in "وبلفك" for article in _ARTICLES)
_LATER_WORD_PREFIXES = _ARTICLES  # later words of a name are matched on their plain form only

_UNUSUAL_LETTER = re.compile(r"[^\W\d\x00-\x7f\u0621-\u064a\u0671-\u06d3\u0640]")  # nothing below is sure for it
_MARKS = re.compile(r"[\u064b-\u065f\u0670\u0640]")  # tashkeel and tatweel, which `tokens` drops inside words
_ARABIC_WORD = re.compile(r"[\u0621-\u064a\u0671-\u06d3]+")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’‘`][A-Za-z]+)*")
_CAPITALISED_WORD = re.compile(r"[A-Z][A-Za-z]*(?:['’‘`][A-Za-z]+)*")
_NO_APOSTROPHES = str.maketrans("", "", "'’‘`")


@dataclass(frozen=True, slots=True)
class QuickTest:
    """The spellings that open a name in running text (`openers`), and for names of two words or more, what
    their opening spelling must be followed by somewhere in the same sentence (`second_words`)."""

    openers: frozenset[str]
    second_words: dict[str, frozenset[str]]
    pair_openers: frozenset[str] = frozenset()  # the keys of second_words

    def __post_init__(self) -> None:
        object.__setattr__(self, "pair_openers", frozenset(self.second_words))

    @classmethod
    def for_names(cls, keys: Iterable[tuple[str, ...]]) -> QuickTest:
        openers: set[str] = set()
        seconds_by_word: dict[str, set[str]] = {}
        for key in keys:
            if len(key) == 1:
                openers.update(_spellings(key[0], _FIRST_WORD_PREFIXES))
            else:
                seconds_by_word.setdefault(key[0], set()).update(_spellings(key[1], _LATER_WORD_PREFIXES))
        second_words: dict[str, frozenset[str]] = {}
        for word, seconds in seconds_by_word.items():
            shared = frozenset(seconds)  # one set for all the spellings of a word: stored once in the cache file
            second_words.update(dict.fromkeys(_spellings(word, _FIRST_WORD_PREFIXES), shared))
        return cls(frozenset(openers), second_words)

    def may_hold_a_name(self, sentence: str, folded: str) -> bool:
        """False only if the careful reading would find no name in `sentence`; `folded` is
        `drop_marks(fold(sentence))`."""
        ascii_only = sentence.isascii()
        if not ascii_only and _UNUSUAL_LETTER.search(sentence):
            return True
        words = set(_ARABIC_WORD.findall(folded)) if not ascii_only else set()
        words.update(" ".join(_CAPITALISED_WORD.findall(sentence)).translate(_NO_APOSTROPHES).lower().split())
        if not self.openers.isdisjoint(words):
            return True
        firsts = self.pair_openers.intersection(words)
        if not firsts:
            return False
        words.update(" ".join(_LATIN_WORD.findall(sentence)).translate(_NO_APOSTROPHES).lower().split())
        return any(not self.second_words[first].isdisjoint(words) for first in firsts)

    def screen(self, text: str) -> Screen:
        """The test once for a whole text, so that each of its sentences costs a few substring searches."""
        folded = fold(text)
        arabic: set[str] = set()
        marks = False
        if not text.isascii():
            if _UNUSUAL_LETTER.search(text):
                return Screen(self, folded, (), (), sentence_by_sentence=True, marks=True)
            marks = _MARKS.search(folded) is not None
            arabic.update(_ARABIC_WORD.findall(_MARKS.sub("", folded) if marks else folded))
        # Latin words are looked for as written (capitalised, apostrophes kept), so "Anah" is not found in "banana"
        written = list(set(_CAPITALISED_WORD.findall(text)))
        latin = dict(zip(written, " ".join(written).translate(_NO_APOSTROPHES).lower().split(), strict=True))
        openers = [*self.openers.intersection(arabic), *(w for w, key in latin.items() if key in self.openers)]
        pairs: list[tuple[str, tuple[str, ...], bool]] = []
        for first in self.pair_openers.intersection(arabic):
            seconds = self.second_words[first].intersection(arabic)
            if seconds:
                pairs.append((first, tuple(seconds), False))
        # A Latin name's second word need not be capitalised: it is looked for in the lowered sentence.
        pairs.extend((w, tuple(self.second_words[key]), True) for w, key in latin.items() if key in self.pair_openers)
        return Screen(self, folded, tuple(openers), tuple(pairs), sentence_by_sentence=False, marks=marks)


@dataclass(frozen=True, slots=True)
class Screen:
    """The spellings of one text that may open a name (and pairs for longer names), to look for by sentence.

    A sentence passes when one of them occurs in it, even inside a longer word: that can only let more sentences
    through to the careful reading, never fewer."""

    test: QuickTest
    folded: str  # fold(text): offsets as in the text
    openers: tuple[str, ...]  # Arabic ones folded, Latin ones as the text writes them
    pairs: tuple[tuple[str, tuple[str, ...], bool], ...]  # first word as above, its second words, Latin?
    sentence_by_sentence: bool  # letters the screen is not sure of: each sentence gets the whole test
    marks: bool  # the text has tashkeel or tatweel, which `tokens` drops inside words

    @property
    def passes_nothing(self) -> bool:
        return not (self.openers or self.pairs or self.sentence_by_sentence)

    def may_hold_a_name(self, sentence: str, offset: int) -> bool:
        """False only if the careful reading would find no name in `sentence`, found at `offset` of the text."""
        folded = self.folded[offset : offset + len(sentence)]
        if self.sentence_by_sentence:
            return self.test.may_hold_a_name(sentence, drop_marks(folded))
        plain = drop_marks(folded) if self.marks else folded
        for opener in self.openers:
            if opener in plain:
                return True
        for first, seconds, latin in self.pairs:
            if first in plain:
                words = plain.translate(_NO_APOSTROPHES).lower() if latin else plain
                if any(second in words for second in seconds):
                    return True
        return False


def _spellings(word: str, prefixes: tuple[str, ...]) -> tuple[str, ...]:
    return (word,) if word.isascii() else tuple(prefix + word for prefix in prefixes)


def fold(text: str) -> str:
    """Arabic letter variants folded as `tokens` folds them, one character for one, so offsets still hold."""
    if text.isascii():
        return text
    for variant, plain in ARABIC_LETTER_VARIANTS:
        text = text.replace(variant, plain)
    return text


def drop_marks(folded_sentence: str) -> str:
    """Tashkeel and tatweel dropped, as `tokens` drops them inside words (rare in news, so searched first)."""
    if folded_sentence.isascii() or not _MARKS.search(folded_sentence):
        return folded_sentence
    return _MARKS.sub("", folded_sentence)
