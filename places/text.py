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
# Every word read, as a Token without its position (start and end 0), or None for a Latin article.
_forms_cache: dict[str, Token | None] = {}


def tokens(text: str) -> list[Token]:
    """The words of `text` that could be part of a name, articles dropped, with their positions."""
    found = words(text)
    _learn(found)
    return placed_tokens(text, found)


def words(text: str) -> list[str]:
    """The words of `text` as written, articles included: what `unplaced_tokens` and `placed_tokens` take."""
    return _WORD.findall(text)


def unplaced_tokens(found: list[str]) -> list[Token]:
    """The tokens of `words(text)` without their positions (start and end are 0): all that finding a name needs,
    made at the speed of C for the many sentences that turn out to name none."""
    _learn(found)
    return list(filter(None, map(_forms_cache.__getitem__, found)))


def placed_tokens(text: str, found: list[str]) -> list[Token]:
    """The tokens of `words(text)`, each with where it stands in `text`: index for index as `unplaced_tokens`,
    which must have read the same words first."""
    tokens_found: list[Token] = []
    cache = _forms_cache
    find = text.find
    end = 0
    # Each word is found where the last one ended: faster than match objects, and the same place, since any
    # letter before it would have begun a word there.
    for word in found:
        start = find(word, end)
        end = start + len(word)
        known = cache[word]
        if known is not None:
            tokens_found.append(_new_tuple(Token, (known[0], start, end, known[3])))
    return tokens_found


_new_tuple = tuple.__new__  # Token(...) without the call through its generated __new__: a third less per word


def _learn(found: list[str]) -> None:
    """Fold the words not met before, all in one go: a fresh process meets thousands in its first articles."""
    cache = _forms_cache
    new = set(found).difference(cache)
    if not new:
        return
    if len(cache) + len(new) > _FORMS_CACHE_SIZE:
        cache.clear()
        new = set(found)
    arabic = [word for word in new if _ARABIC_WORD.match(word)]
    # One translation for all the Arabic words, cut again at the line breaks no word holds: each is folded exactly
    # as alone, since the translation maps characters one by one.
    if arabic:
        for word, plain in zip(arabic, "\n".join(arabic).translate(_ARABIC_PLAIN).split("\n"), strict=True):
            cache[word] = _new_tuple(Token, (_arabic_forms(plain), 0, 0, False))
    for word in new.difference(arabic):
        folded = fold_latin(word)
        cache[word] = None if folded in LATIN_ARTICLES else _new_tuple(Token, ((folded,), 0, 0, word[:1].isupper()))


def _arabic_forms(plain: str) -> tuple[str, ...]:
    """The folded forms of an Arabic word already without marks and letter variants; the plain form first."""
    if plain[:1] in _PROCLITICS and len(plain) > 4 and not plain.startswith(("ال", "لل")):
        # بسنجار → سنجار; the plain form stays first (بغداد)
        return _without_article(plain), _without_article(plain[1:])
    return (_without_article(plain),)
