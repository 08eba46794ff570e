"""How far two annotators agree: per tag, the share of articles labelled alike and Cohen's kappa, and the F1 the
second annotator would score against the first (how far two readers agree, beside which a classifier judged by
the first can be read), with its macro-F1 over the tags.

Usage: .venv/bin/python scripts/label_agreement.py FIRST.jsonl [FIRST2.jsonl ...] --second SECOND.jsonl
Each file holds one JSON object per line with an `id` and 0/1 per tag; only ids in both are compared, per first
file (e.g. a dev and a test split) and for all of them together.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from classifiers.evaluation import read_gold, read_jsonl_records  # noqa: E402
from newsmon.errors import ConfigError  # noqa: E402
from newsmon.records import TAGS  # noqa: E402


def read_labels(path: Path) -> dict[str, dict[str, int]]:
    """id -> 0/1 per tag, read and checked as `newsmon eval` reads labels; a ConfigError names the file and line."""
    labels: dict[str, dict[str, int]] = {}
    for number, row in read_jsonl_records(path):
        where = f"{path}: line {number}"
        if str(row["id"]) in labels:
            raise ConfigError(f"{where}: id {row['id']!r} is labelled twice")
        labels[str(row["id"])] = {tag: int(value) for tag, value in read_gold(row, where).items()}
    return labels


def agreement(pairs: list[tuple[int, int]]) -> tuple[float, float | None, float | None]:
    """(share labelled alike, Cohen's kappa, F1 of the second against the first); kappa and F1 are None when
    neither annotator ever said yes (nothing to agree on), kappa also when both always did."""
    n = len(pairs)
    alike = sum(a == b for a, b in pairs) / n
    first_yes, second_yes = sum(a for a, _ in pairs) / n, sum(b for _, b in pairs) / n
    chance = first_yes * second_yes + (1 - first_yes) * (1 - second_yes)
    kappa = None if chance == 1 else (alike - chance) / (1 - chance)
    both = sum(a and b for a, b in pairs)
    disputed = sum(a != b for a, b in pairs)
    f1 = None if both + disputed == 0 else 2 * both / (2 * both + disputed)
    return alike, kappa, f1


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", type=Path, nargs="+")
    parser.add_argument("--second", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        second = read_labels(args.second)
        groups = {path.name: read_labels(path) for path in args.first}
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if len(groups) > 1:
        groups["all"] = {key: value for labels in list(groups.values()) for key, value in labels.items()}
    print(f"{'labels':<32} {'tag':<15} {'n':>4}  {'alike':>6}  {'kappa':>6}  {'F1':>6}  first+  second+")
    for name, first in groups.items():
        shared = [key for key in first if key in second]
        if not shared:
            print(f"{name:<32} no id in common with {args.second}")
            continue
        f1s = []
        for tag in TAGS:
            pairs = [(first[key][tag], second[key][tag]) for key in shared]
            alike, kappa, f1 = agreement(pairs)
            f1s.append(f1)
            print(f"{name[:32]:<32} {tag:<15} {len(pairs):>4}  {alike:>6.3f}  {_fmt(kappa):>6}  {_fmt(f1):>6}  "
                  f"{sum(a for a, _ in pairs):>6}  {sum(b for _, b in pairs):>7}")
        # As `newsmon eval` averages: over the tags with an F1, so this is the figure a classifier that labelled
        # exactly as the second annotator would print against the first annotator's labels.
        defined = [f1 for f1 in f1s if f1 is not None]
        macro = sum(defined) / len(defined) if defined else None
        print(f"{name[:32]:<32} {'macro-F1':<15} {len(shared):>4}  {'':>6}  {'':>6}  {_fmt(macro):>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
