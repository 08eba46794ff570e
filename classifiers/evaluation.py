"""`newsmon eval`: precision, recall and F1 of the classifier on labelled articles, beside the keyword alert's.

Two input shapes: one JSONL with text and 0/1 labels together (id, title, text, lang, isis, returns,
reconciliation), or a labels JSONL (id + 0/1 per tag) joined by id with a texts JSONL (id, title, text, lang).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifiers.classifier import SupportsClassify, detect_language
from classifiers.keyword_alert import KeywordAlert
from newsmon.errors import ConfigError
from newsmon.records import TAGS, Classification, ClassifierInput

WORST_CASES_SHOWN = 5  # per kind (false positive, false negative)
BOOTSTRAP_SAMPLES = 2000  # resamples of a set's articles for the macro-F1 interval; seeded, so reruns agree
BOOTSTRAP_SEED = 20261205
BOOTSTRAP_CHUNK = 100  # resamples drawn and summed at a time: bounds the memory of a large set's interval


@dataclass(frozen=True, slots=True)
class TagCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """None when the slice has no positives and none were predicted: nothing to score."""
        if self.tp + self.fp + self.fn == 0:
            return None
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)


@dataclass(frozen=True, slots=True)
class SliceScores:
    """One slice of the articles (all, or one language): counts per tag for classifier and keyword alert."""

    name: str
    articles: int
    classifier: dict[str, TagCounts]
    keyword_alert: dict[str, TagCounts]
    # The classifier's macro-F1 over the middle 95% of bootstrap resamples of these articles: how far the
    # figure could move on another draw of the same size (40 articles with two returns can swing a tag by 0.3).
    macro_f1_interval: tuple[float, float] | None = None

    @staticmethod
    def macro_f1(counts: dict[str, TagCounts]) -> float | None:
        values = [c.f1 for c in counts.values() if c.f1 is not None]
        return sum(values) / len(values) if values else None


@dataclass(frozen=True, slots=True)
class ErrorCase:
    """A wrong label: `kind` is "false positive" or "false negative"."""

    kind: str
    tag: str
    id: str
    title: str
    score: float
    evidence: tuple[str, ...]
    keyword_alert_fired: bool


@dataclass(frozen=True, slots=True)
class EvalReport:
    classifier_version: str
    baseline_version: str
    slices: list[SliceScores]
    errors: list[ErrorCase] = field(default_factory=list)

    def macro_f1(self, slice_name: str = "all") -> float | None:
        """The classifier's macro-F1 on a slice ("all", "en", "ar"), None if the slice is absent."""
        for scores in self.slices:
            if scores.name == slice_name:
                return SliceScores.macro_f1(scores.classifier)
        return None


@dataclass(frozen=True, slots=True)
class _Labelled:
    doc: ClassifierInput
    gold: dict[str, bool]


def evaluate(labels_path: Path, texts_path: Path | None, classifier: SupportsClassify) -> EvalReport:
    """Run `classifier` and the keyword alert on the labelled articles and count their hits and misses.

    Raises ConfigError naming the file and line when a file is missing, a line is not JSON, a label is not
    0/1 or a labelled id has no text.
    """
    labelled = list(_read_labelled(labels_path, texts_path))
    baseline = KeywordAlert()
    rows = [(item, classifier.classify(item.doc), baseline.classify(item.doc)) for item in labelled]
    slices = [("all", rows)]
    for lang in sorted({detect_language(item.doc) for item in labelled}):
        slices.append((lang, [r for r in rows if detect_language(r[0].doc) == lang]))
    report_slices = [
        SliceScores(name=name, articles=len(part),
                    classifier=_counts([(item.gold, ours) for item, ours, _ in part]),
                    keyword_alert=_counts([(item.gold, theirs) for item, _, theirs in part]),
                    macro_f1_interval=_bootstrap_interval([(item.gold, ours) for item, ours, _ in part]))
        for name, part in slices
    ]
    errors: list[ErrorCase] = []
    for tag in TAGS:
        false_pos = [(ours.scores[tag], item, ours, kw) for item, ours, kw in rows
                     if tag in ours.labels and not item.gold[tag]]
        false_neg = [(ours.scores[tag], item, ours, kw) for item, ours, kw in rows
                     if tag not in ours.labels and item.gold[tag]]
        for kind, cases in (("false positive", sorted(false_pos, key=lambda c: -c[0])),
                            ("false negative", sorted(false_neg, key=lambda c: c[0]))):
            for score, item, ours, kw in cases[:WORST_CASES_SHOWN]:
                errors.append(ErrorCase(kind=kind, tag=tag, id=item.doc.id, title=item.doc.title, score=score,
                                        evidence=ours.evidence.get(tag, ()), keyword_alert_fired=tag in kw.labels))
    return EvalReport(classifier_version=classifier.version, baseline_version=baseline.version,
                      slices=report_slices, errors=errors)


def format_report(report: EvalReport, show_errors: bool = True) -> str:
    """The report as text: one line per slice and tag, each figure followed by the keyword alert's in brackets,
    then (unless show_errors is False) the worst errors with their evidence."""
    lines = [f"classifier {report.classifier_version}; every figure is followed by the keyword alert's [kw]"]
    lines.append(f"{'slice':<6} {'tag':<15} {'n':>4} {'pos':>4}  {'precision':<14} {'recall':<14} {'F1':<14}")
    for scores in report.slices:
        for tag in TAGS:
            ours, theirs = scores.classifier[tag], scores.keyword_alert[tag]
            lines.append(
                f"{scores.name:<6} {tag:<15} {scores.articles:>4} {ours.tp + ours.fn:>4}  "
                f"{_pair(ours.precision, theirs.precision):<14} {_pair(ours.recall, theirs.recall):<14} "
                f"{_pair(ours.f1, theirs.f1):<14}"
            )
        macro = _pair(SliceScores.macro_f1(scores.classifier), SliceScores.macro_f1(scores.keyword_alert))
        lines.append(f"{scores.name:<6} {'macro-F1':<15} {scores.articles:>4} {'':>4}  {'':<14} {'':<14} {macro}")
    if not show_errors:
        return "\n".join(lines)
    for kind in ("false positive", "false negative"):
        cases = [e for e in report.errors if e.kind == kind]
        lines.append("")
        lines.append(f"worst {kind}s ({len(cases)} shown, up to {WORST_CASES_SHOWN} per tag):")
        for case in cases:
            kw = "kw fired" if case.keyword_alert_fired else "kw silent"
            lines.append(f"  {case.tag:<15} {case.score:.2f}  {case.id}  ({kw})  {case.title[:90]}")
            lines.extend(f"      · {span}" for span in case.evidence)
    return "\n".join(lines)


def _bootstrap_interval(rows: list[tuple[dict[str, bool], Classification]]) -> tuple[float, float] | None:
    """The 2.5th and 97.5th percentiles of macro-F1 over resamples (with replacement) of the articles."""
    import numpy as np  # only here: the rest of evaluation, and classification, run without it

    if not rows:
        return None
    # outcomes[article, tag] = (tp, fp, fn) as 0/1, so a resample's counts are one sum over its chosen rows.
    outcomes = np.array([[(gold[tag] and tag in ours.labels, not gold[tag] and tag in ours.labels,
                           gold[tag] and tag not in ours.labels) for tag in TAGS] for gold, ours in rows],
                        dtype=np.int32)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    # In chunks of resamples: all at once would hold samples x articles x 9 numbers (440 MB for 5,000 articles).
    counts = np.concatenate([
        outcomes[rng.integers(0, len(rows), size=(min(BOOTSTRAP_CHUNK, BOOTSTRAP_SAMPLES - done), len(rows)))]
        .sum(axis=1) for done in range(0, BOOTSTRAP_SAMPLES, BOOTSTRAP_CHUNK)])  # (samples, tags, 3)
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    scored = tp + fp + fn > 0  # a tag with no positive and no prediction in a resample is left out, as in macro_f1
    f1 = np.where(scored, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    macro = f1.sum(axis=1) / np.maximum(scored.sum(axis=1), 1)
    macro = macro[scored.any(axis=1)]
    if macro.size == 0:
        return None
    low, high = np.percentile(macro, [2.5, 97.5])
    return float(low), float(high)


def _pair(ours: float | None, theirs: float | None) -> str:
    return f"{_fmt(ours)} [{_fmt(theirs)}]"


def _fmt(value: float | None) -> str:
    return "n/a " if value is None else f"{value:.2f}"


def _counts(pairs: list[tuple[dict[str, bool], Classification]]) -> dict[str, TagCounts]:
    out = {}
    for tag in TAGS:
        tp = sum(1 for gold, got in pairs if gold[tag] and tag in got.labels)
        fp = sum(1 for gold, got in pairs if not gold[tag] and tag in got.labels)
        fn = sum(1 for gold, got in pairs if gold[tag] and tag not in got.labels)
        out[tag] = TagCounts(tp=tp, fp=fp, fn=fn)
    return out


def read_jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a ConfigError names the file and line of a bad one."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}.") from exc
    with handle:
        for number, line in enumerate(_utf8_lines(handle, path), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}: line {number}: not valid JSON: {exc}") from exc
            if not isinstance(record, dict) or "id" not in record:
                raise ConfigError(f"{path}: line {number}: expected a JSON object with an \"id\".")
            yield number, record


def _utf8_lines(handle: Any, path: Path) -> Iterator[str]:
    try:
        yield from handle
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8 and run again.") from exc


def read_gold(record: dict[str, Any], where: str) -> dict[str, bool]:
    """A labels line's 0/1 per tag; a ConfigError starting with `where` says which tag is missing or wrong."""
    gold = {}
    for tag in TAGS:
        if tag not in record:
            raise ConfigError(f"{where}: field \"{tag}\" is missing: every line needs {', '.join(TAGS)} as 0 or 1.")
        value = record[tag]
        if value not in (0, 1) or isinstance(value, float):
            raise ConfigError(f"{where}: {tag} = {value!r}: expected 0 or 1.")
        gold[tag] = bool(value)
    return gold


def _read_labelled(labels_path: Path, texts_path: Path | None) -> Iterator[_Labelled]:
    texts: dict[str, dict[str, Any]] = {}
    if texts_path is not None:
        texts = {str(r["id"]): r for _, r in read_jsonl_records(texts_path)}
    for number, record in read_jsonl_records(labels_path):
        where = f"{labels_path}: line {number}"
        gold = read_gold(record, where)
        source = record
        if texts_path is not None:
            found = texts.get(str(record["id"]))
            if found is None:
                raise ConfigError(f"{where}: id {record['id']!r} is not in {texts_path}.")
            source = found
        text = source.get("text")
        if not isinstance(text, str):
            hint = "" if texts_path else " Pass --texts FILE when labels and texts are in separate files."
            raise ConfigError(f"{where}: no \"text\" for id {record['id']!r}.{hint}")
        lang = source.get("lang")
        doc = ClassifierInput(id=str(record["id"]), title=str(source.get("title") or ""), text=text,
                              lang=lang if isinstance(lang, str) and lang else None)
        yield _Labelled(doc=doc, gold=gold)
