"""Arabic spelling normalisation and clitic stripping, so one rule term matches the ways a word is written.

Arabic attaches conjunctions, prepositions and the article to the word (والنازحين = و + ال + نازحين), and
writers vary alef hamza, final ya/alef maqsura and ta marbuta. Both the rule terms and the article tokens go
through `normalise_arabic`; article tokens also yield their clitic-stripped forms from `arabic_forms`.
"""

from __future__ import annotations

import re

# Harakat, tanween, shadda, sukun, dagger alef and Quranic marks: writers use them rarely and inconsistently.
_TASHKEEL = [*range(0x0610, 0x061B), *range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE)]
_TATWEEL = 0x0640
# One table does it all in one pass: marks and tatweel deleted, letter variants folded.
_NORMALISE = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"}
                           | dict.fromkeys(map(chr, [*_TASHKEEL, _TATWEEL])))
# Runs, not single letters: counted by their lengths, without a string made for every letter.
_ARABIC_LETTERS = re.compile("[\u0621-\u064a]+")
_LATIN_LETTERS = re.compile("[A-Za-z]+")

# Proclitics in the order they stack: conjunction, then preposition, then the article.
_CONJUNCTIONS = ("و", "ف")
_PREPOSITIONS = ("ب", "ل", "ك")
_ARTICLES = ("ال", "لل")  # the article, and the article after the preposition ل
_CLITIC_STARTS = frozenset("وفبلكا")
_MIN_STEM_CHARS = 3  # shorter remainders are mostly accidents: وعد is a word, not و + عد


def normalise_arabic(text: str) -> str:
    """Fold the spelling variants that do not change the word: أ إ آ → ا, ى → ي, ة → ه, ؤ → و, ئ → ي, no tashkeel."""
    return text.translate(_NORMALISE)


def arabic_forms(token: str) -> tuple[str, ...]:
    """The token and each form left after removing stacked proclitics, longest first.

    Expects a normalised token. Example: "وللنازحين" → ("وللنازحين", "للنازحين", "نازحين"): لل is ل + ال with
    the alef dropped, as Arabic spelling does.
    """
    first = token[:1]
    if first not in _CLITIC_STARTS:
        return (token,)  # most words: nothing to strip
    if first == "ا":  # the article alone: no conjunction or preposition is an alef (a third of all words)
        return (token, token[2:]) if len(token) > _MIN_STEM_CHARS + 1 and token.startswith("ال") else (token,)
    # Each step strips from every form so far; no two forms can be equal (each is the token less a different
    # number of letters), so none needs dropping.
    stems = [token]
    if token[0] in _CONJUNCTIONS and len(token) > _MIN_STEM_CHARS:
        stems.append(token[1:])
    for stem in tuple(stems):
        if stem[0] in _PREPOSITIONS and len(stem) > _MIN_STEM_CHARS:
            stems.append(stem[1:])
    for stem in tuple(stems):
        if len(stem) > _MIN_STEM_CHARS + 1 and stem.startswith(_ARTICLES):  # لل: ل + ال, the alef dropped
            stems.append(stem[2:])
    return tuple(stems)


def arabic_share(text: str, sample_chars: int = 3000) -> float:
    """Share of letters that are Arabic in the first `sample_chars` characters: 0 for none, 1 for all."""
    sample = text[:sample_chars]
    if sample.isascii():
        return 0.0
    arabic = sum(map(len, _ARABIC_LETTERS.findall(sample)))
    latin = sum(map(len, _LATIN_LETTERS.findall(sample)))
    return arabic / (arabic + latin) if arabic + latin else 0.0
