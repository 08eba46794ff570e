"""Read the analyst-editable rule files (classifiers/rules/<lang>.toml) into typed, checked rules.

The file format is described in docs/classifier-rules.md. Every mistake in a file is a ConfigError that names
the file, the table and the key, so an analyst can fix a rule without reading this code.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifiers.arabic import normalise_arabic
from newsmon.errors import ConfigError
from newsmon.records import TAGS

SHIPPED_RULES_DIR = Path(__file__).parent / "rules"
RULES_RELEASE = "2026.12.4"  # bump when the scoring code changes; rule edits change the hash part of the version

_PATTERN_TOKEN = re.compile(r"[\w*]+")
_TAG_KEYS = {
    "bias", "mass", "share", "title_weight", "lead_weight", "lead_sentences", "min_support",
    "guarded_acronyms", "negative", "veto", "terms", "support", "ambiguous", "pairs", "length_penalty",
    "long_article", "learned_weight", "learned_threshold", "cues",
}  # fmt: skip
_PAIR_KEYS = {"weight", "any", "with"}


@dataclass(frozen=True, slots=True)
class Phrase:
    """A rule term: its match keys (see `pattern_key`) and its weight."""

    text: str
    keys: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class Pair:
    """Counts `weight` for a sentence holding one of `any` and one of `with`: "returned" + "displaced"."""

    any: tuple[Phrase, ...]
    with_: tuple[Phrase, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class TagRules:
    """One tag's rules for one language, and the numbers that turn matches into a 0–1 score."""

    tag: str
    terms: tuple[Phrase, ...]  # count alone
    support: tuple[Phrase, ...]  # count only in an article that has a `terms` or `pairs` match
    ambiguous: tuple[Phrase, ...]  # count only with at least `min_support` distinct support terms
    pairs: tuple[Pair, ...]
    negative: tuple[Phrase, ...]  # words inside these phrases never count for this tag
    veto: tuple[Phrase, ...]  # any of these in the article: its ambiguous phrases do not count
    guarded_acronyms: tuple[str, ...]  # stop counting where the article defines them as another body's name
    bias: float
    mass: float
    share: float
    title_weight: float
    lead_weight: float
    lead_sentences: int
    min_support: int
    length_penalty: float  # logit minus length_penalty * ln(passages / long_article) for longer articles
    long_article: float  # passages (about 40 words each) from which an article counts as long
    # The learned stage (classifiers/learned.py) reads the passages where these rules matched something of the
    # topic without deciding; one it rates >= learned_threshold counts as a match of weight learned_weight
    # (0 turns the stage off for this tag).
    learned_weight: float = 0.0
    learned_threshold: float = 0.7
    cues: tuple[Phrase, ...] = ()  # words that never count, but send their passage to the learned stage


@dataclass(frozen=True, slots=True)
class LanguageRules:
    lang: str
    tags: dict[str, TagRules]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All rule files of one folder; `digest` changes whenever any file's bytes change."""

    languages: dict[str, LanguageRules]
    digest: str
    source: Path


def pattern_key(token: str, lang: str) -> str:
    """The key a rule token matches on.

    Arabic tokens are normalised. English tokens are lowercased unless written in capitals (ISIS, IS), which
    then match only capitals: "Isis" in a story is often the goddess or a river, "IS" alone is the verb.
    A trailing * matches any ending: return* matches returns, returned, returnees.
    """
    if lang == "ar":
        return normalise_arabic(token)
    bare = token.rstrip("*")
    if len(bare) >= 2 and bare.isupper():
        return "^" + token
    return token.lower()


def load_rules(rules_dir: Path | None = None) -> RuleSet:
    """Read every *.toml file of `rules_dir` (default: the shipped rules); the file stem is the language."""
    folder = rules_dir or SHIPPED_RULES_DIR
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise ConfigError(f"{folder}: no rule files (*.toml) found. Point [classifier] rules_dir at a folder "
                          f"holding en.toml and ar.toml, or remove it to use the shipped rules.")
    digest = hashlib.sha1()
    languages: dict[str, LanguageRules] = {}
    for path in paths:
        try:
            data = path.read_bytes()
            raw = tomllib.loads(data.decode("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from exc
        digest.update(path.name.encode() + b"\0" + data + b"\0")
        languages[path.stem] = _parse_language(raw, path.stem, path)
    return RuleSet(languages=languages, digest=digest.hexdigest()[:8], source=folder)


def _parse_language(raw: Mapping[str, Any], lang: str, path: Path) -> LanguageRules:
    unknown = sorted(set(raw) - set(TAGS))
    if unknown:
        raise ConfigError(f"{path}: [{unknown[0]}] is not a tag. Tables are named for tags: {', '.join(TAGS)}.")
    tags = {}
    for tag in TAGS:
        table = raw.get(tag, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {tag} must be a table ([{tag}]).")
        tags[tag] = _parse_tag(table, tag, lang, path)
    return LanguageRules(lang=lang, tags=tags)


def _parse_tag(table: Mapping[str, Any], tag: str, lang: str, path: Path) -> TagRules:
    where = f"{path}: [{tag}]"
    unknown = sorted(set(table) - _TAG_KEYS)
    if unknown:
        raise ConfigError(f"{where} unknown key {unknown[0]!r}. Known keys: {', '.join(sorted(_TAG_KEYS))}.")

    def number(key: str, default: float) -> float:
        value = table.get(key, default)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"{where} {key} = {value!r}: expected a number.")
        return float(value)

    def weighted(key: str) -> tuple[Phrase, ...]:
        entries = table.get(key, {})
        if not isinstance(entries, dict):
            raise ConfigError(f'{where} {key} must be a table of "phrase" = weight ([{tag}.{key}]).')
        out = []
        for text, weight in entries.items():
            if not isinstance(weight, int | float) or isinstance(weight, bool):
                raise ConfigError(f'{where}.{key} "{text}" = {weight!r}: expected a weight such as 1.0.')
            out.append(_phrase(text, float(weight), lang, f"{where}.{key}"))
        return tuple(out)

    def phrases(key: str, entries: Any, weight: float = 1.0) -> tuple[Phrase, ...]:
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise ConfigError(f"{where} {key} must be a list of phrases, found {entries!r}.")
        return tuple(_phrase(text, weight, lang, f"{where} {key}") for text in entries)

    pairs_raw = table.get("pairs", [])
    if not isinstance(pairs_raw, list):
        raise ConfigError(f"{where} pairs must be written as [[{tag}.pairs]] tables.")
    pairs = []
    for index, pair in enumerate(pairs_raw, start=1):
        label = f"[[{tag}.pairs]] #{index}"
        if not isinstance(pair, dict) or set(pair) - _PAIR_KEYS or not {"any", "with"} <= set(pair):
            raise ConfigError(f"{path}: {label} needs exactly: any = [...], with = [...], optional weight = 1.0.")
        weight = pair.get("weight", 1.0)
        if not isinstance(weight, int | float) or isinstance(weight, bool):
            raise ConfigError(f"{path}: {label} weight = {weight!r}: expected a number.")
        pairs.append(Pair(any=phrases(f"{label} any", pair["any"]), with_=phrases(f"{label} with", pair["with"]),
                          weight=float(weight)))

    acronyms = table.get("guarded_acronyms", [])
    if not isinstance(acronyms, list) or not all(isinstance(a, str) and a.isupper() for a in acronyms):
        raise ConfigError(f"{where} guarded_acronyms must be a list of capitalised acronyms such as [\"ISIS\"].")
    lead_sentences = table.get("lead_sentences", 2)
    min_support = table.get("min_support", 2)
    for key, value in (("lead_sentences", lead_sentences), ("min_support", min_support)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{where} {key} = {value!r}: expected a whole number, 0 or more.")
    long_article = number("long_article", 25.0)
    if long_article <= 0:
        raise ConfigError(f"{where} long_article = {long_article!r}: expected a number of passages above 0.")
    return TagRules(
        tag=tag,
        terms=weighted("terms"),
        support=weighted("support"),
        ambiguous=weighted("ambiguous"),
        pairs=tuple(pairs),
        negative=phrases("negative", table.get("negative", [])),
        veto=phrases("veto", table.get("veto", [])),
        guarded_acronyms=tuple(acronyms),
        bias=number("bias", -3.0),
        mass=number("mass", 1.0),
        share=number("share", 0.0),
        title_weight=number("title_weight", 2.0),
        lead_weight=number("lead_weight", 1.5),
        lead_sentences=lead_sentences,
        min_support=min_support,
        length_penalty=number("length_penalty", 0.0),
        long_article=long_article,
        learned_weight=number("learned_weight", 0.0),
        learned_threshold=_share(number("learned_threshold", 0.7), "learned_threshold", where),
        cues=phrases("cues", table.get("cues", [])),
    )


def _share(value: float, key: str, where: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{where} {key} = {value!r}: expected a probability between 0 and 1.")
    return value


def _phrase(text: str, weight: float, lang: str, where: str) -> Phrase:
    tokens = _PATTERN_TOKEN.findall(normalise_arabic(text) if lang == "ar" else text)
    if not tokens or any(t.strip("*") == "" or "*" in t.rstrip("*") for t in tokens):
        raise ConfigError(f'{where} "{text}": a phrase needs words; * may only end a word.')
    return Phrase(text=text, keys=tuple(pattern_key(t, lang) for t in tokens), weight=weight)
