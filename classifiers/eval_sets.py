"""The project's labelled sets (eval/sets.toml) for `newsmon eval` without --labels: each scored on its own,
beside the keyword alert, then one summary line per set and language."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from classifiers.classifier import SupportsClassify
from classifiers.evaluation import EvalReport, SliceScores, evaluate, read_jsonl_records
from newsmon.cache import cache_folder
from newsmon.errors import ConfigError
from newsmon.records import TAGS

DEFAULT_SETS_FILE = Path(__file__).resolve().parents[1] / "eval" / "sets.toml"
CORPORA_ENV = "NEWSMON_CORPORA"
EVAL_CACHE_ENV = "NEWSMON_EVAL_CACHE"
SPLITS = ("test", "dev")


@dataclass(frozen=True, slots=True)
class EvalSet:
    name: str
    split: str  # "test": never tuned on; "dev": looked at while tuning
    labels: Path
    texts: Path | None

    def missing(self) -> Path | None:
        """The first file of the set that is not there, or None."""
        return next((p for p in (self.labels, self.texts) if p is not None and not p.exists()), None)

    def why_skipped(self) -> str | None:
        """Why the set cannot be scored here, in one line, or None when it can.

        A texts file in the evaluation cache may hold only some of the set's texts (pages gone dead since it was
        labelled, a fetch cut short): that set is skipped, not scored on part of itself, because its figures
        were measured on all of it."""
        absent = self.missing()
        if absent is not None:
            return f"{absent} is absent"
        if self.texts is None or not self.texts.is_relative_to(eval_cache_folder()):
            return None
        try:
            wanted = {str(row["id"]) for _, row in read_jsonl_records(self.labels)}
            held = {str(row["id"]) for _, row in read_jsonl_records(self.texts)}
        except ConfigError as exc:
            return f"{exc} Run scripts/fetch_eval_texts.py --refresh"
        if wanted <= held:
            return None
        return (f"{self.texts} holds {len(wanted & held)} of its {len(wanted)} texts; "
                "run scripts/fetch_eval_texts.py")


def find_corpora(start: Path) -> Path | None:
    """$NEWSMON_CORPORA, else the first shared/corpora folder in `start` or above it."""
    if os.environ.get(CORPORA_ENV):
        return Path(os.environ[CORPORA_ENV])
    for folder in (start, *start.parents):
        if (folder / "shared" / "corpora").is_dir():
            return folder / "shared" / "corpora"
    return None


def eval_cache_folder() -> Path:
    """Where evaluation texts kept out of the repository live: $NEWSMON_EVAL_CACHE, else the cache folder's `eval`
    (see newsmon.cache)."""
    return Path(os.environ.get(EVAL_CACHE_ENV) or cache_folder() / "eval").expanduser().resolve()


def load_sets(path: Path) -> list[EvalSet]:
    """The sets listed in `path`; a ConfigError names the file and the entry when one is malformed."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}. Pass --labels FILE to score one file.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    corpora = find_corpora(path.resolve().parent)
    out = []
    for number, entry in enumerate(raw.get("set", []), start=1):
        where = f"{path}: [[set]] #{number}"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or \
                not isinstance(entry.get("labels"), str) or entry.get("split") not in SPLITS:
            raise ConfigError(f'{where} needs name = "...", labels = "file.jsonl" and split = "test" or "dev".')

        def resolve(value: str) -> Path:
            if "{corpora}" in value:
                # No corpora folder: a path that cannot exist, so the set is reported as skipped.
                value = value.replace("{corpora}", str(corpora or "(shared corpora not found)"))
            # Texts the repository may not hold (third-party news): fetched into the cache by
            # scripts/fetch_eval_texts.py from the URLs its labels keep.
            value = value.replace("{cache}", str(eval_cache_folder()))
            return (path.parent / value).resolve()

        texts = entry.get("texts")
        out.append(EvalSet(name=entry["name"], split=entry["split"], labels=resolve(entry["labels"]),
                           texts=resolve(texts) if isinstance(texts, str) else None))
    return out


def evaluate_sets(sets: list[EvalSet], classifier: SupportsClassify) -> list[tuple[EvalSet, EvalReport | None]]:
    """Each present set's report; None for a set whose files are absent."""
    return [(s, None if s.why_skipped() else evaluate(s.labels, s.texts, classifier)) for s in sets]


def format_summary(results: list[tuple[EvalSet, EvalReport | None]]) -> str:
    """One line per set and language: macro-F1 and F1 per tag, the keyword alert's macro-F1, the margin, and the
    range macro-F1 keeps over 95% of bootstrap resamples of the set (a small set's figure is a rough one)."""
    lines = [f"{'set':<28} {'split':<5} {'slice':<5} {'n':>4}  {'macro-F1':>8}  "
             + "  ".join(f"{tag[:14]:>14}" for tag in TAGS) + f"  {'keyword alert':>13}  {'margin':>6}"
             + f"  {'macro-F1 95% interval':>21}"]
    for eval_set, report in results:
        if report is None:
            lines.append(f"{eval_set.name[:28]:<28} {eval_set.split:<5} skipped: {eval_set.why_skipped()}")
            continue
        for scores in report.slices:
            ours = SliceScores.macro_f1(scores.classifier)
            theirs = SliceScores.macro_f1(scores.keyword_alert)
            margin = f"{ours - theirs:+.2f}" if ours is not None and theirs is not None else "n/a"
            lines.append(f"{eval_set.name[:28]:<28} {eval_set.split:<5} {scores.name:<5} {scores.articles:>4}  "
                         f"{_fmt(ours):>8}  " + "  ".join(f"{_fmt(scores.classifier[tag].f1):>14}" for tag in TAGS)
                         + f"  {_fmt(theirs):>13}  {margin:>6}  {_interval(scores.macro_f1_interval):>21}")
    return "\n".join(lines)


def _interval(bounds: tuple[float, float] | None) -> str:
    return "n/a" if bounds is None else f"{bounds[0]:.3f}-{bounds[1]:.3f}"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
