"""What story assignment compares: an article's places, sites, figures and wording, read from its title and lead."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from newsmon.records import ArticlePlace
from places import Gazetteer
from places.text import arabic_core, fold_latin

LEAD_CHARS = 400
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
_ARABIC_RUNS = re.compile("[\u0600-\u06ff]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORD = re.compile(r"[\u0621-\u064a\u0671-\u06d3\u064b-\u065f\u0670]+|[^\W\d_]+", re.UNICODE)
# Counted figures that name an event ("150 families", "six killed"); years and small counts say less.
NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "ninety": 90, "sixty": 60, "seventy": 70, "eighty": 80,
    "اثنان": 2, "اثنين": 2, "ثلاثه": 3, "ثلاث": 3, "اربعه": 4, "اربع": 4, "خمسه": 5, "خمس": 5, "سته": 6, "ست": 6,
    "سبعه": 7, "سبع": 7, "ثمانيه": 8, "تسعه": 9, "عشره": 10, "عشر": 10, "عشرين": 20, "ثلاثين": 30, "اربعين": 40,
    "خمسين": 50,
}  # fmt: skip
_SCALES = {"thousand": 1000, "الاف": 1000, "الف": 1000, "million": 1_000_000, "مليون": 1_000_000}
_MULTIPLIERS = frozenset({"hundred", "thousand", "million", "مئه", "مايه", "الف", "الاف", "مليون"})
STOPWORDS = frozenset(
    "the a an of in on at to for from and or with by after before as is are was were be been has have had it its "
    "this that these those their they them he she his her who which said says say will would new more than into "
    "over about up out not but also one two three four five six seven eight nine ten first last week day year "
    "monday tuesday wednesday thursday friday saturday sunday iraq iraqi syria syrian officials official people "
    "في من الي علي عن مع ان او ثم قد لا ما هذا هذه ذلك التي الذي الذين وقال قال وقالت قالت يوم بعد قبل خلال كان "
    "كانت العراق العراقيه العراقي سوريا السوريه وذلك ايضا حيث بين حسب وفق عام".split()
)


@dataclass(frozen=True, slots=True)
class Signals:
    """The cheap signals of one article."""

    article_id: str
    source: str
    lang: str  # "ar" or "en" (any other language is compared by places and figures only)
    published_at: datetime
    title: str
    places: frozenset[str]  # governorates
    sites: frozenset[str]  # gazetteer entries finer than a governorate: camps, towns, districts
    numbers: frozenset[int]  # figures in the title and lead, years left out
    words: frozenset[str]  # content words of the title and lead, folded
    title_words: frozenset[str] = frozenset()  # those of the title alone: the index's keys


def read_signals(
    gazetteer: Gazetteer,
    article_id: str,
    source: str,
    lang: str | None,
    published_at: datetime,
    title: str,
    lead: str,
    places: tuple[ArticlePlace, ...],
) -> Signals:
    head = f"{title}\n{lead[:LEAD_CHARS]}"
    sites = set()
    for place in places:
        for name in place.evidence:
            entry = gazetteer.lookup(name)
            if entry is not None and entry.kind != "governorate":
                sites.add(entry.id)
    return Signals(
        article_id=article_id,
        source=source,
        lang=_language(lang, head),
        published_at=published_at,
        title=title,
        places=frozenset(p.place for p in places),
        sites=frozenset(sites),
        numbers=frozenset(_numbers(head)),
        words=frozenset(_words(head)),
        title_words=frozenset(_words(title)),
    )


def _language(lang: str | None, text: str) -> str:
    if lang:
        return lang.split("-")[0].lower()
    arabic = 0 if text.isascii() else sum(map(len, _ARABIC_RUNS.findall(text)))
    return "ar" if arabic > len(text) / 4 else "en"


def _numbers(text: str) -> set[int]:
    found = set()
    plain = text.translate(_ARABIC_DIGITS)
    for match in _NUMBER.finditer(plain):
        value = float(match.group().replace(",", ""))
        unit = _WORD.match(plain[match.end() :].lstrip())
        scale = _SCALES.get(arabic_core(unit.group()) if unit else "", 1)
        value *= scale  # "4 آلاف" and "4,000" are one figure
        if value.is_integer() and not 1900 <= value <= 2100 and value >= 2:
            found.add(int(value))
    words = [arabic_core(w) if not w.isascii() else w.lower() for w in _WORD.findall(text)]
    for word, following in zip(words, [*words[1:], ""], strict=True):
        if word in NUMBER_WORDS and following not in _MULTIPLIERS:  # "six hundred and twelve" is not six
            found.add(NUMBER_WORDS[word])
    return found


def _words(text: str) -> set[str]:
    words = set()
    for word in _WORD.findall(text):
        folded = arabic_core(word) if not word.isascii() else fold_latin(word)
        if len(folded) > 2 and folded not in STOPWORDS and folded not in NUMBER_WORDS:
            words.add(folded[:6] if folded.isascii() else folded)  # a crude stem: "returns", "returned" → "return"
    return words
