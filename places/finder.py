"""Which governorates an article is substantially about, from the names it uses and where it uses them.

Every name found counts by where it stands: the title most, then the lead, then the body, once per sentence.
Uses that say nothing about where the story happens count for nothing or little: a dateline, a name inside
another name ("Basra Gas Company", "a restaurant called Homs"), a place people came *from*, one item of a list
of provinces, a capital standing for its government. A governorate is the article's when its total reaches
MIN_SCORE and a fair share (MIN_SHARE) of the leading governorate's total.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from places.gazetteer import MAX_NAME_WORDS, Entry, Gazetteer
from places.quick_test import drop_marks, fold
from places.text import Token, placed_tokens, unplaced_tokens
from places.text import words as written_words

TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
BODY_WEIGHT = 1.0
LEAD_SENTENCES = 2
MIN_SCORE = 2.0
MIN_SHARE = 0.34
ORIGIN_FACTOR = 0.3  # "families who left al-Hol": the story is where they went
LIST_FACTOR = 0.3  # "… in Anbar, Salahuddin, Kirkuk and Diyala": one clause, no place of its own
CAPITAL_FACTOR = 0.35  # "a ministry in Baghdad announced": the capital often stands for the state
CAPITALS = frozenset({"IQ-BG", "SY-DI"})
LIST_PLACES = 3

# A name followed by one of these is part of another name (Basra Gas Company, Homs Street).
ORG_WORDS_AFTER = frozenset(
    {
        "company",
        "corporation",
        "co",
        "gas",
        "oil",
        "petroleum",
        "cement",
        "club",
        "fc",
        "restaurant",
        "cafe",
        "hotel",
        "bank",
        "street",
        "road",
        "airways",
        "brand",
        "sc",
    }
)
ORG_WORDS_BEFORE = frozenset(
    {
        "called",
        "named",
        "restaurant",
        "cafe",
        "hotel",
        "club",
        "brand",
        "شركه",
        "مطعم",
        "فندق",
        "نادي",
        "مصرف",
        "بنك",
        "شارع",
        "مقهي",
        "ماركه",
        "اسم",
        "يدعي",
        "يسمي",
    }
)
ORIGIN_WORDS = frozenset({"from", "left", "leaving", "fled", "من", "مغادره", "غادرت", "غادروا", "قادمين", "قادمه"})
PLACE_WORDS = frozenset({"camp", "district", "town", "city", "in", "at", "near", "مخيم", "قضاء", "قضا", "ناحيه",
                         "مدينه", "بلده", "منطقه", "محافظه", "في", "من", "الي", "قرب", "ريف"})  # fmt: skip
SETTLEMENT_WORDS = frozenset({"مدينه", "بلده", "قريه", "ناحيه", "قضاء", "قضا", "مخيم", "منطقه", "ريف", "حي", "town",
                              "village", "city", "district"})  # fmt: skip
# A run of . ! ? ؟ ؛ or line breaks followed by white space, or a line break alone; captured, so that splitting
# keeps it (for offsets). Written to open with that one set of characters, so the regex engine jumps between them.
_SENTENCE_END = re.compile(r"([.!?؟؛\n](?:[.!?؟؛\n]*\s+|(?<=\n)))")
_DATELINE = re.compile(r"^\s*([^\n.]{2,60}?)\s+[—–-]{1,2}\s")


@dataclass(frozen=True, slots=True)
class Mention:
    entry: Entry
    surface: str  # the words as the article wrote them
    sentence: int  # 0 = the title
    weight: float


@dataclass(frozen=True, slots=True)
class PlaceFinding:
    """One governorate of an article, with the names that put it there (strongest first)."""

    place: str
    score: float
    evidence: tuple[str, ...]
    sites: tuple[str, ...]  # gazetteer entry ids: the finer places, for telling events apart


def find_places(gazetteer: Gazetteer, title: str, text: str) -> list[PlaceFinding]:
    """The governorates the article is substantially about, strongest first."""
    mentions = find_mentions(gazetteer, title, text)
    best: dict[tuple[str, int], float] = {}
    for m in mentions:
        slot = (m.entry.place, m.sentence)
        best[slot] = max(best.get(slot, 0.0), m.weight)
    scores: dict[str, float] = defaultdict(float)
    for (place, _), weight in best.items():
        scores[place] += weight
    if not scores:
        return []
    top = max(scores.values())
    chosen = [p for p, s in scores.items() if s >= MIN_SCORE and s >= MIN_SHARE * top]
    findings = []
    for place in sorted(chosen, key=lambda p: (-scores[p], p)):
        own = sorted((m for m in mentions if m.entry.place == place and m.weight > 0), key=lambda m: -m.weight)
        evidence = tuple(dict.fromkeys(m.surface for m in own))[:5]
        sites = tuple(sorted({m.entry.id for m in own}))
        findings.append(PlaceFinding(place, round(scores[place], 2), evidence, sites))
    return findings


def find_mentions(gazetteer: Gazetteer, title: str, text: str, *, every_sentence: bool = False) -> list[Mention]:
    """Every gazetteer name in the title and text, weighted by where and how it is used.

    Sentences that fail the quick test (places/quick_test.py) are not read: most sentences, and none the careful
    reading would find a name in. `every_sentence` reads them all, to show that (slower; for tests)."""
    mentions: list[Mention] = []
    dateline_end = _dateline_end(text)
    screen = gazetteer.quick_test.screen(text)
    sentences = [(title, -1)] if screen.passes_nothing and not every_sentence else _sentences(title, text)
    for number, (sentence, offset) in enumerate(sentences):
        if every_sentence:
            pass
        elif number == 0:
            if not gazetteer.quick_test.may_hold_a_name(title, drop_marks(fold(title))):
                continue
        elif not screen.may_hold_a_name(sentence, offset):
            continue
        written = written_words(sentence)
        found = _match(gazetteer, unplaced_tokens(written))
        if not found:
            continue  # most sentences read: where each word stands is never needed
        placed = placed_tokens(sentence, written)
        base = TITLE_WEIGHT if number == 0 else LEAD_WEIGHT if number <= LEAD_SENTENCES else BODY_WEIGHT
        listed = _listed(found, placed, sentence)
        for entry, first, last in found:
            surface = sentence[placed[first].start : placed[last].end]
            if number and offset + placed[first].start < dateline_end:
                weight = 0.0
            elif _inside_other_name(placed, first, last, sentence):
                weight = 0.0
            else:
                weight = base
                if _before(placed, first, ORIGIN_WORDS, 3):
                    weight *= ORIGIN_FACTOR
                if first in listed:
                    weight *= LIST_FACTOR
                if entry.kind == "governorate" and entry.place in CAPITALS and entry.id == entry.place:
                    weight *= CAPITAL_FACTOR
            mentions.append(Mention(entry, surface, number, weight))
    return mentions


def _sentences(title: str, text: str) -> list[tuple[str, int]]:
    """The title, then the text's sentences, each with its offset in `text` (the title's is -1)."""
    found = [(title, -1)]
    offset = 0
    for number, part in enumerate(_SENTENCE_END.split(text)):  # sentence, end, sentence, end, …
        if part and not number % 2:
            found.append((part, offset))
        offset += len(part)
    return found


def _dateline_end(text: str) -> int:
    """Where "BAGHDAD, March 3 (Reuters) —" or "الموصل - " ends: that name is where the reporter filed from."""
    match = _DATELINE.match(text)
    if match is None or len(match.group(1).split()) > 6:
        return 0
    return match.end()


def _match(gazetteer: Gazetteer, words: list[Token]) -> list[tuple[Entry, int, int]]:
    """Longest names first, left to right; a Latin name must be written with a capital."""
    found: list[tuple[Entry, int, int]] = []
    first_words = gazetteer.first_words
    free = 0  # the first word not inside a name already found
    for i, word in enumerate(words):
        if i < free or first_words.isdisjoint(word.forms) or (word.forms[0].isascii() and not word.capitalised):
            continue
        hit = _longest_name_at(gazetteer, words, i)
        if hit is not None:
            found.append(hit)
            free = hit[2] + 1
    return found


def _longest_name_at(gazetteer: Gazetteer, words: list[Token], i: int) -> tuple[Entry, int, int] | None:
    # no longer name starts here (and the analyst's file may hold longer ones than are ever matched)
    longest = min(MAX_NAME_WORDS, max(gazetteer.name_words.get(form, 0) for form in words[i].forms))
    following = [w.forms[0] for w in words[i + 1 : i + longest]]
    for length in range(min(longest, len(words) - i), 0, -1):
        rest = tuple(following[: length - 1])
        for form in words[i].forms:
            key = (form, *rest)
            entry = gazetteer.names.get(key)
            if entry is None:
                continue
            if key in gazetteer.ambiguous and not _before(words, i, PLACE_WORDS, 1):
                continue
            if entry.id.startswith("geonames:") and (
                form != words[i].forms[0]
                or (key in gazetteer.town_words and not _before(words, i, SETTLEMENT_WORDS, 1))
            ):
                continue  # a GeoNames town needs its plain spelling, and a one-word Arabic one a settlement word
            return entry, i, i + length - 1
    return None


_LIST_GAPS = frozenset({"", ",", "،", "and", ", and", "or", ", or", "و", "، و"})


def _listed(found: list[tuple[Entry, int, int]], words: list[Token], sentence: str) -> set[int]:
    """First words of names that stand in a run of LIST_PLACES or more governorates joined by commas and "and"."""
    listed: set[int] = set()
    run: list[tuple[Entry, int, int]] = []
    for hit in [*found, None]:
        if hit is not None and run:
            gap = sentence[words[run[-1][2]].end : words[hit[1]].start].strip()
            if gap in _LIST_GAPS:
                run.append(hit)
                continue
        if len({entry.place for entry, _, _ in run}) >= LIST_PLACES:
            listed.update(first for _, first, _ in run)
        run = [hit] if hit is not None else []
    return listed


def _before(words: list[Token], index: int, cues: frozenset[str], span: int) -> bool:
    return any(form in cues for w in words[max(0, index - span) : index] for form in w.forms)


def _inside_other_name(words: list[Token], first: int, last: int, sentence: str) -> bool:
    after = words[last + 1] if last + 1 < len(words) else None
    if after is not None and after.forms[0] in ORG_WORDS_AFTER and (after.capitalised or not after.forms[0].isascii()):
        gap = sentence[words[last].end : after.start]
        if gap.strip() in ("", "'s"):
            return True
    return _before(words, first, ORG_WORDS_BEFORE, 2)
