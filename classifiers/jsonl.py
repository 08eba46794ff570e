"""`newsmon classify`: JSON Lines of articles in, one JSON line of scores, labels and evidence out per article."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TextIO

from classifiers.classifier import SupportsClassify
from newsmon.records import ClassifierInput

# json.dumps(row, ensure_ascii=False), without making an encoder for every line
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def parse_article_line(line: str) -> ClassifierInput:
    """One input line as a ClassifierInput; raises ValueError with the message a user should see."""
    try:
        record: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, found {type(record).__name__}")
    for name in ("id", "text"):
        if name not in record:
            raise ValueError(f'missing field "{name}"')
    if not isinstance(record["id"], str | int) or isinstance(record["id"], bool):
        raise ValueError(f'field "id" must be a string, found {record["id"]!r}')
    for name in ("title", "text", "lang"):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f'field "{name}" must be a string, found {type(value).__name__}')
    return ClassifierInput(id=str(record["id"]), title=record.get("title") or "", text=record["text"],
                           lang=record.get("lang") or None)


def classify_jsonl(
    lines: Iterable[str],
    out: TextIO,
    err: TextIO,
    classifier: SupportsClassify,
    locate: Callable[[ClassifierInput], Sequence[str]] | None = None,
) -> int:
    """Classify each line of `lines`, writing results to `out` in input order; returns the number of bad lines.

    A bad line (not JSON, not an object, id or text missing or of the wrong type) gets one message on `err`,
    such as `line 3: missing field "text"`, and the following lines are still classified. Blank lines are
    skipped silently. With `locate`, each line also gets "places": the governorates it returns.
    The CLI should exit 1 when the count is above 0, so scripts notice skipped records.
    """
    bad = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            doc = parse_article_line(line)
        except ValueError as exc:
            bad += 1
            err.write(f"line {number}: {exc}\n")
            continue
        result = classifier.classify(doc)
        row = {
            "id": result.id,
            "tags": result.scores,
            "labels": list(result.labels),
            "evidence": {label: list(spans) for label, spans in result.evidence.items()},
        }
        if locate is not None:
            row["places"] = list(locate(doc))
        out.write(_ENCODER.encode(row) + "\n")
    return bad
