"""Spelling-tolerant tokens for place names, in Latin and Arabic script.

Both the gazetteer's names and an article's words go through the same folding, so "al-Qa'im", "Al Qaim" and
"Al Qā’im" meet at ("qaim",), and "بالقائم", "القائم" and "القايم" at ("قايم",).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple

# Arabic articles as transliterated ("al-", "ash-", "ez-"): dropped from names and text alike, so spellings
# with and without them meet. They are never names on their own.
LATIN_ARTICLES = frozenset(
    {"al", "el", "ar", "as", "ad", "ash", "at", "an", "az", "ath", "adh", "ez", "es", "ed", "ul"}
)
_LATIN_WORD = re.compile(r"[^\W\d_]+(?:['’‘ʿʾ`][^\W\d_]+)*", re.UNICODE)
_ARABIC_WORD = re.compile(r"[\u0621-\u064a\u0671-\u06d3]+")
ARABIC_LETTER_VARIANTS = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"), ("ة", "ه"), ("ى", "ي"), ("ئ", "ي"),
                          ("ؤ", "و"), ("ک", "ك"), ("ی", "ي"), ("ە", "ه"))  # fmt: skip
_ARABIC_FOLD = str.maketrans(dict(ARABIC_LETTER_VARIANTS))
# The same in one pass, marks deleted as they go: for the article's words, read by the thousand.
_ARABIC_PLAIN = str.maketrans(dict(ARABIC_LETTER_VARIANTS) | dict.fromkeys([*map(chr, range(0x064B, 0x0660)),
                                                                           "\u0670", "\u0640"]))
_PROCLITICS = "وبلفك"


class Token(NamedTuple):
    """One word of a text: its folded forms (the first is the plain one) and where it stands. A named tuple, not a
    dataclass: an article's sentences make tens of thousands of these, and a tuple is made fastest."""

    forms: tuple[str, ...]
    start: int
    end: int
    capitalised: bool  # Latin script only: names are written with a capital


def fold_display(name: str) -> str:
    """A name without its accents, for showing: "Nīnawá" → "Ninawa"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


def fold_latin(word: str) -> str:
    if word.isascii():  # most words: no accents to strip
        return word.replace("'", "").replace("`", "").lower()
    decomposed = unicodedata.normalize("NFKD", word)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"['’‘ʿʾ`]", "", plain).lower()


@functools.lru_cache(maxsize=65_536)  # story signals fold every word of each title and lead: words repeat
def arabic_core(word: str) -> str:
    """An Arabic word without diacritics, its letter variants folded and its article removed."""
    return _without_article(word.translate(_ARABIC_PLAIN))


def _without_article(word: str) -> str:
    if word.startswith(("وال", "بال", "فال", "كال")) and len(word) > 4:
        return word[3:]
    if word.startswith("لل") and len(word) > 3:
        return word[2:]
    if word.startswith("ال") and len(word) > 3:
        return word[2:]
    return word


def name_key(name: str) -> tuple[str, ...]:
    """The key a gazetteer name is filed under: its folded words, articles dropped."""
    if _ARABIC_WORD.search(name):
        return tuple(arabic_core(w) for w in _ARABIC_WORD.findall(name))
    words = [fold_latin(m.group()) for m in _LATIN_WORD.finditer(name.replace("-", " "))]
    return tuple(w for w in words if w not in LATIN_ARTICLES)


_WORD = re.compile(r"[\u0621-\u064a\u0671-\u06d3\u064b-\u065f\u0670\u0640]+|" + _LATIN_WORD.pattern)
_FORMS_CACHE_SIZE = 50_000  # words (a few MB); a long-running worker starts again when its cache reaches this
_forms_cache: dict[str, tuple[tuple[str, ...], bool] | None] = {}


def tokens(text: str) -> list[Token]:
    """The words of `text` that could be part of a name, articles dropped, with their positions."""
    found: list[Token] = []
    cache = _forms_cache
    find = text.find
    end = 0
    # The words come as strings, and each is found where the last one ended: faster than match objects, and the
    # same place, since any letter before it would have begun a word there.
    for word in _WORD.findall(text):
        start = find(word, end)
        end = start + len(word)
        try:
            known = cache[word]
        except KeyError:
            if len(cache) >= _FORMS_CACHE_SIZE:
                cache.clear()
            known = cache[word] = _forms(word)
        if known is not None:
            found.append(_new_tuple(Token, (known[0], start, end, known[1])))
    return found


_new_tuple = tuple.__new__  # Token(...) without the call through its generated __new__: a third less per word


def _forms(word: str) -> tuple[tuple[str, ...], bool] | None:
    """A word's folded forms and whether it is capitalised, or None for a Latin article."""
    if _ARABIC_WORD.match(word):
        plain = word.translate(_ARABIC_PLAIN)
        if plain[:1] in _PROCLITICS and len(plain) > 4 and not plain.startswith(("ال", "لل")):
            # بسنجار → سنجار; the plain form stays first (بغداد)
            return (_without_article(plain), _without_article(plain[1:])), False
        return (_without_article(plain),), False
    folded = fold_latin(word)
    if folded in LATIN_ARTICLES:
        return None
    return (folded,), word[:1].isupper()
