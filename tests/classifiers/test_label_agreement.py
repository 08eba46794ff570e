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
    # Both annotators say reconciliation for every article: full agreement, not a division by zero.
    assert rows["reconciliation"][:4] == ["4", "1.000", "1.000", "1.000"]
