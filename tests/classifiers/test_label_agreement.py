"""scripts/label_agreement.py: how far a second annotator agrees with the first, per tag."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "label_agreement.py"


def write(path: Path, isis: list[int]) -> Path:
    rows = [{"id": f"a{i}", "isis": v, "returns": 0, "reconciliation": 1} for i, v in enumerate(isis)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_agreement_kappa_and_f1_per_tag(tmp_path: Path) -> None:
    first = write(tmp_path / "first.jsonl", [1, 0, 1, 0])
    second = write(tmp_path / "second.jsonl", [1, 0, 0, 0])
    done = subprocess.run([sys.executable, str(SCRIPT), str(first), "--second", str(second)],
                          capture_output=True, text=True, check=True, timeout=60)
    rows = {line.split()[1]: line.split()[2:] for line in done.stdout.splitlines()[1:]}
    # 3 of 4 alike; chance agreement 0.5 (first says yes half the time, second a quarter): kappa 0.5;
    # one article both call isis, one disputed: F1 2/3.
    assert rows["isis"] == ["4", "0.750", "0.500", "0.667", "2", "1"]
    # Both say reconciliation for every article: alike throughout, F1 1, but no kappa (chance explains it all).
    assert rows["reconciliation"][:4] == ["4", "1.000", "n/a", "1.000"]
    # Neither ever says returns: nothing to agree on, so neither kappa nor F1.
    assert rows["returns"][:4] == ["4", "1.000", "n/a", "n/a"]
    # The macro-F1 averages the tags that have an F1, as `newsmon eval` does: (2/3 + 1) / 2.
    assert rows["macro-F1"] == ["4", "0.833"]


def test_a_label_that_is_not_0_or_1_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    first = write(tmp_path / "first.jsonl", [1, 0])
    second = tmp_path / "second.jsonl"
    second.write_text('{"id": "a0", "isis": 1, "returns": 0, "reconciliation": 1}\n'
                      '{"id": "a1", "isis": 2, "returns": 0, "reconciliation": 1}\n', encoding="utf-8")
    done = subprocess.run([sys.executable, str(SCRIPT), str(first), "--second", str(second)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: {second}: line 2: isis = 2: expected 0 or 1."  # as `newsmon eval` says
