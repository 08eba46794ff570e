"""The rule classifier: turns rule matches into a 0–1 score per tag, labels and the spans that decided them.

Topic versus passing mention: every sentence gets the weight of its strongest match; the title and the lead
count extra; the summed evidence is squashed by a logistic, together with the share of the article's
sentences that carry evidence. So one line deep in a long story stays low, a headline theme or a paragraph
of reporting goes high, and a threshold of 0.5 means "more likely a topic than not".
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from classifiers.arabic import arabic_share
from classifiers.learned import PASSAGE_WORDS as LEARNED_PASSAGE_WORDS
from classifiers.learned import LearnedModel, PassageScores
from classifiers.matching import AMBIGUOUS, NEGATIVE, PAIR_ANY, PAIR_WITH, SUPPORT, TERM, VETO, Match, Matcher, Unit
from classifiers.rules import RULES_RELEASE, RuleSet, TagRules
from classifiers.stored import load_rules_and_model
from newsmon.config import DEFAULT_THRESHOLD, ClassifierConfig
from newsmon.records import TAGS, Classification, ClassifierInput

MAX_EVIDENCE_SPANS = 5
MAX_SPAN_CHARS = 120
CONTEXT_WORDS = 5  # words shown either side of a deciding term
ARABIC_SHARE_FOR_AR = 0.5  # by letters: a few English names in an Arabic story do not make it English
# Arabic news often runs a whole paragraph as one "sentence" joined by commas and و. Evidence is counted per
# passage of at most this many words, so a 100-word sentence counts like the three sentences it would be in
# English, and the share of the article on the topic is measured on the same passages.
PASSAGE_WORDS = 40


class SupportsClassify(Protocol):
    """Anything `evaluate` and `classify_jsonl` can run: the rule classifier or the keyword alert."""

    version: str
    thresholds: dict[str, float]

    def classify(self, doc: ClassifierInput) -> Classification: ...


class _Hit(NamedTuple):  # a named tuple: made for every match that counts, and a tuple is made fastest
    unit: int
    start: int
    end: int
    weight: float
    is_support: bool = False  # shown as evidence only after every term, pair and ambiguous match
    is_learned: bool = False  # a passage the learned stage rated on the topic; start is the passage's first word


def detect_language(doc: ClassifierInput) -> str:
    """"ar" or "en": doc.lang's primary subtag when given ("ar-IQ" → "ar"), else by script."""
    if doc.lang:
        return doc.lang.split("-")[0].split("_")[0].lower()
    return "ar" if arabic_share(doc.title + "\n" + doc.text) >= ARABIC_SHARE_FOR_AR else "en"


@dataclass
class Classifier:
    """Scores articles with the rules of `rules`; pure (no I/O, no clock) and picklable for worker processes."""

    rules: RuleSet
    thresholds: dict[str, float]
    model: LearnedModel | None = None  # None: the rules alone decide
    version: str = ""
    _matchers: dict[str, Matcher] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.version = f"rules-{RULES_RELEASE}+{self.rules.digest}"
        if self.model is not None:
            self.version += f"+linear-{self.model.digest}"
        self._matchers = {lang: Matcher(lang_rules) for lang, lang_rules in self.rules.languages.items()}

    def classify(self, doc: ClassifierInput) -> Classification:
        lang = detect_language(doc)
        if lang not in self._matchers:
            # A language without rules: the script decides between the rule sets we have.
            lang = "ar" if arabic_share(doc.title + "\n" + doc.text) >= ARABIC_SHARE_FOR_AR else "en"
        matcher = self._matchers.get(lang) or next(iter(self._matchers.values()))
        rules = self.rules.languages[matcher.lang]
        matched = matcher.match(doc.title, doc.text)
        by_tag: dict[str, list[Match]] = {tag: [] for tag in TAGS}
        for m in matched.matches:
            by_tag[m.tag].append(m)
        scores: dict[str, float] = {}
        evidence: dict[str, tuple[str, ...]] = {}
        repeats = _repeated_units(matched.units)
        live = {tag: _live(rules.tags[tag], by_tag[tag], matched.units, repeats) for tag in TAGS}
        passages = _passage_starts(matched.units)
        found = {tag: _rule_hits(rules.tags[tag], live[tag]) for tag in TAGS}
        ruled = {tag: _score_tag(rules.tags[tag], *found[tag], passages) for tag in TAGS}
        # Where the rules are unsure: a tag below its threshold, in the passages where its rules matched
        # something of the topic (a support word, one half of a pair, an ambiguous term) without deciding.
        # Words inside a negative phrase ("tax returns") or a foreign acronym do not send their passage.
        unsure = {tag: {(m.unit, m.start // LEARNED_PASSAGE_WORDS)
                        for m in live[tag] if m.kind != VETO}
                  for tag in TAGS if rules.tags[tag].learned_weight and ruled[tag][0] < self.thresholds[tag]}
        # One body passage alone cannot make a topic (see the aggregation), so it is not worth reading.
        unsure = {tag: where for tag, where in unsure.items() if len(where) >= 2 or (0, 0) in where}
        if self.model is not None and any(unsure.values()):
            learned = self.model.score_passages([u.words for u in matched.units], matcher.lang,
                                                only=set().union(*unsure.values()), form_of=matcher.form)
            for tag, where in unsure.items():
                ruled[tag] = _score_tag(rules.tags[tag], *found[tag], passages, learned, where)
        for tag in TAGS:
            score, hits = ruled[tag]
            scores[tag] = round(score, 4)
            if score >= self.thresholds[tag]:
                evidence[tag] = _evidence(hits, matched.units)
        labels = tuple(tag for tag in TAGS if tag in evidence)
        return Classification(id=doc.id, scores=scores, labels=labels, evidence=evidence,
                              classifier_version=self.version)


def load_classifier(config: ClassifierConfig | None = None, *, learned: bool = True) -> Classifier:
    """The classifier with the config's thresholds (0.5 where unset), rules (shipped unless rules_dir) and,
    unless `learned` is False, the shipped learned stage."""
    config = config or ClassifierConfig()
    thresholds = {tag: float(config.thresholds.get(tag, DEFAULT_THRESHOLD)) for tag in TAGS}
    rules, model = load_rules_and_model(config.rules_dir, learned=learned)
    return Classifier(rules=rules, thresholds=thresholds, model=model)


def _rule_hits(rules: TagRules, live: list[Match]) -> tuple[list[_Hit], list[_Hit]]:
    """The tag's deciding rule hits and its support hits, from its live matches (see `_live`)."""
    by_kind: dict[str, list[Match]] = {}
    for m in live:
        by_kind.setdefault(m.kind, []).append(m)
    hits = [_Hit(m.unit, m.start, m.end, m.phrase.weight) for m in by_kind.get(TERM, ())]
    if rules.pairs:
        pair_any, pair_with = by_kind.get(PAIR_ANY, []), by_kind.get(PAIR_WITH, [])
        for index, pair in enumerate(rules.pairs):
            with_units = {m.unit for m in pair_with if m.pair_index == index}
            hits += [_Hit(m.unit, m.start, m.end, pair.weight)
                     for m in pair_any if m.pair_index == index and m.unit in with_units]
    support_matches = by_kind.get(SUPPORT, [])
    support = [_Hit(m.unit, m.start, m.end, m.phrase.weight, True) for m in support_matches]
    vetoed = VETO in by_kind
    if not vetoed and len({m.phrase.text for m in support_matches}) >= rules.min_support:
        hits += [_Hit(m.unit, m.start, m.end, m.phrase.weight) for m in by_kind.get(AMBIGUOUS, ())]
    return hits, support


def _score_tag(rules: TagRules, hits: list[_Hit], support: list[_Hit], passages: list[int],
               learned: PassageScores | None = None,
               unsure: set[tuple[int, int]] | None = None) -> tuple[float, list[_Hit]]:
    """The tag's score and deciding hits from its rule hits (see `_rule_hits`), plus the learned stage's passages;
    `passages` is `_passage_starts` of the article's units."""
    if learned is not None and rules.learned_weight:
        hits = _with_learned(rules, hits, learned, unsure or set())
    if not hits:
        return _logistic(rules.bias), []
    features = _features(rules, hits, support, passages)
    logit = rules.bias + rules.mass * math.log1p(features.mass) + rules.share * features.share
    if rules.length_penalty and features.passages > rules.long_article:
        # Long stories mention many things in passing: scattered lines need more company to make a topic.
        logit -= rules.length_penalty * math.log(features.passages / rules.long_article)
    return _logistic(logit), hits + support


def _live(rules: TagRules, matches: list[Match], units: tuple[Unit, ...], repeats: set[int]) -> list[Match]:
    """The matches that count: not negative, not inside a negative phrase or a foreign acronym, not in a unit of
    `repeats` (see `_repeated_units`)."""
    masked = {(m.unit, i) for m in matches if m.kind == NEGATIVE for i in range(m.start, m.end)}
    masked |= _guarded_acronym_positions(rules, matches, units)
    if not masked and not repeats:
        return [m for m in matches if m.kind != NEGATIVE]
    return [m for m in matches if m.kind != NEGATIVE and m.unit not in repeats
            and not any((m.unit, i) in masked for i in range(m.start, m.end))]


def _with_learned(rules: TagRules, hits: list[_Hit], learned: PassageScores,
                  unsure: set[tuple[int, int]]) -> list[_Hit]:
    """Rule hits plus the unsure passages that the learned stage rates on the topic, each as a match of
    `learned_weight`."""
    covered = {(hit.unit, hit.start // LEARNED_PASSAGE_WORDS) for hit in hits if not hit.is_support}
    out = list(hits)
    for (unit, passage), prob in zip(learned.where, learned.probs[rules.tag], strict=True):
        if prob >= rules.learned_threshold and (unit, passage) in unsure and (unit, passage) not in covered:
            start = passage * LEARNED_PASSAGE_WORDS
            out.append(_Hit(unit, start, start + 1, rules.learned_weight, is_learned=True))
    return out


def _repeated_units(units: tuple[Unit, ...]) -> set[int]:
    """Sentences that repeat an earlier one word for word (photo captions, pull quotes): their matches count once."""
    seen: set[tuple[str, ...]] = set()
    repeats = set()
    for number, unit in enumerate(units):
        if number and len(unit.words) >= 4:
            if unit.words in seen:
                repeats.add(number)
            seen.add(unit.words)
    return repeats


@dataclass(frozen=True, slots=True)
class _Features:
    mass: float  # weighted evidence: per passage its strongest match, title and lead counted extra
    share: float  # fraction of the text's passages with a term, pair or ambiguous match
    core_sentences: int
    support_mass: float
    passages: int  # passages of the text (title excluded)


def _passage_starts(units: tuple[Unit, ...]) -> list[int]:
    """Global passage number of each unit's first passage; the title is passage 0, the last entry the total."""
    starts = [0]
    for unit in units:
        starts.append(starts[-1] + max(1, -(-len(unit.words) // PASSAGE_WORDS)))
    return starts


def _features(rules: TagRules, hits: list[_Hit], support: list[_Hit], starts: list[int]) -> _Features:
    def passage(hit: _Hit) -> int:
        return starts[hit.unit] + min(hit.start // PASSAGE_WORDS, starts[hit.unit + 1] - starts[hit.unit] - 1)

    lead_end = starts[min(rules.lead_sentences + 1, len(starts) - 1)]  # passages of the first lead sentences
    best: dict[int, float] = {}
    for hit in hits:
        p = passage(hit)
        best[p] = max(best.get(p, 0.0), hit.weight)
    # Support words count only next to a core match: a paragraph on the topic, not the same words elsewhere.
    support_best: dict[int, float] = {}
    for hit in support:
        p = passage(hit)
        if p not in best and any(p + d in best for d in (-2, -1, 1, 2)):
            support_best[p] = max(support_best.get(p, 0.0), hit.weight)
    mass = 0.0
    for p, weight in [*best.items(), *support_best.items()]:
        if p == 0:
            mass += rules.title_weight * weight
        elif p < lead_end:
            mass += rules.lead_weight * weight
        else:
            mass += weight
    passages = starts[-1] - 1
    share = sum(min(w, 1.0) for p, w in best.items() if p > 0) / max(passages, 1)
    return _Features(mass=mass, share=share, core_sentences=sum(1 for p in best if p > 0),
                     support_mass=sum(support_best.values()), passages=passages)


def _guarded_acronym_positions(rules: TagRules, matches: list[Match], units: tuple[Unit, ...]) -> set[tuple[int, int]]:
    """Every place an acronym stands, once the article defines it as something else: "… Service (ISIS)"."""
    if not rules.guarded_acronyms:
        return set()
    core_words = {p.keys for p in rules.terms}
    # A negative phrase with the acronym in it ("ISIS neutron source") says what it stands for in this article:
    # "a beamline at ISIS" two sentences later is the same facility.
    foreign = {units[m.unit].words[i] for m in matches if m.kind == NEGATIVE for i in range(m.start, m.end)
               if units[m.unit].words[i] in rules.guarded_acronyms}
    for unit in units:
        for acronym in rules.guarded_acronyms:
            if acronym.isalnum() and acronym not in unit.text:
                continue  # most sentences: the pattern's words are not there at all
            for found in _defined(acronym).finditer(unit.text):
                expansion = _expansion(unit.text[: found.start()], acronym)
                if expansion and not any(_contains(expansion, keys) for keys in core_words):
                    foreign.add(acronym)
    if not foreign:
        return set()
    return {(n, i) for n, unit in enumerate(units) for i, word in enumerate(unit.words) if word in foreign}


@functools.lru_cache(maxsize=64)
def _defined(acronym: str) -> re.Pattern[str]:
    """"(ISIS)": where an article says what an acronym stands for."""
    return re.compile(r"\(\s*" + acronym + r"\s*\)")


_SMALL_WORDS = {"and", "of", "for", "the", "in", "on", "&", "de"}


def _expansion(before: str, acronym: str) -> list[str] | None:
    """The capitalised words just before "(ACRONYM)" whose initials spell it, lowercased; None if they do not."""
    words = re.findall(r"[\w&][\w'&-]*", before[-150:])
    initials = ""
    taken: list[str] = []
    for word in reversed(words):
        if word.lower() in _SMALL_WORDS:
            taken.append(word.lower())
            continue
        if not word[:1].isupper():
            return None
        initials = word[0] + initials
        taken.append(word.lower())
        if initials == acronym:
            return list(reversed(taken))
        if not acronym.endswith(initials):
            return None
    return None


def _contains(words: list[str], keys: tuple[str, ...]) -> bool:
    plain = tuple(k.lstrip("^").lower() for k in keys)
    return any(tuple(words[i : i + len(plain)]) == plain for i in range(len(words) - len(plain) + 1))


def _evidence(hits: list[_Hit], units: tuple[Unit, ...]) -> tuple[str, ...]:
    """Up to five short spans around the deciding matches: rule terms strongest first, title before body, then
    the passages the learned stage found on the topic."""
    spans: list[str] = []
    seen_units: set[int] = set()
    for hit in sorted(hits, key=lambda h: (h.is_support, h.is_learned, -h.weight, h.unit, h.start)):
        if hit.unit in seen_units:
            continue  # one span per sentence: the evidence should show breadth, not one line five times
        seen_units.add(hit.unit)
        spans.append(_passage_span(units[hit.unit], hit.start) if hit.is_learned else _span(units[hit.unit], hit))
        if len(spans) == MAX_EVIDENCE_SPANS:
            break
    return tuple(spans)


def _passage_span(unit: Unit, first: int) -> str:
    """The passage of a unit that starts at word `first`, as the learned stage read it, cut to MAX_SPAN_CHARS."""
    spans = unit.spans(first + LEARNED_PASSAGE_WORDS)  # the words after the passage are never shown
    if first >= len(spans):
        return " ".join(unit.text.split())[:MAX_SPAN_CHARS]
    last = min(first + LEARNED_PASSAGE_WORDS, len(spans)) - 1
    return " ".join(unit.text[spans[first][0] : spans[last][1]].split())[:MAX_SPAN_CHARS]


def _span(unit: Unit, hit: _Hit) -> str:
    spans = unit.spans(hit.end + CONTEXT_WORDS)  # the words after the context are never shown
    first = max(0, hit.start - CONTEXT_WORDS)
    last = min(len(spans), hit.end + CONTEXT_WORDS) - 1
    start, end = spans[first][0], spans[last][1]
    hit_start, hit_end = spans[hit.start][0], spans[hit.end - 1][1]
    # Trim the context, never the deciding words, when a span runs long.
    while end - start > MAX_SPAN_CHARS and (first < hit.start or last >= hit.end):
        if hit_start - start >= end - hit_end and first < hit.start:
            first += 1
            start = spans[first][0]
        elif last >= hit.end:
            last -= 1
            end = spans[last][1]
        else:
            break
    text = " ".join(unit.text[start:end].split())
    return text[:MAX_SPAN_CHARS]


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))
