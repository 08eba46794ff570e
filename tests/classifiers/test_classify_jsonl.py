"""The `newsmon classify` contract: one output line per valid input line, in order; bad lines named by number."""

from __future__ import annotations

import gc
import io
import json
from pathlib import Path

from classifiers import classify_jsonl, load_classifier
from newsmon.records import ClassifierInput
from places import find_places, load_gazetteer

CLASSIFIER = load_classifier()
OWN_ARTICLES = sorted((Path(__file__).resolve().parents[2] / "eval").glob("*.jsonl"))


def run(lines: list[str]) -> tuple[list[dict[str, object]], str, int]:
    out, err = io.StringIO(), io.StringIO()
    bad = classify_jsonl(lines, out, err, CLASSIFIER)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue(), bad


def article(id_: str, title: str, text: str) -> str:
    return json.dumps({"id": id_, "title": title, "text": text})


def test_output_keeps_input_order_with_scores_labels_and_evidence() -> None:
    lines = [
        article("b", "Islamic State cell dismantled", "Police arrested five Islamic State militants in Kirkuk."),
        article("a", "Wheat price set", "The ministry set the wheat purchase price for farmers."),
        json.dumps({"id": "c", "text": "داعش يهاجم قرية", "lang": "ar"}),
    ]
    rows, err, bad = run(lines)
    assert [r["id"] for r in rows] == ["b", "a", "c"]
    assert (bad, err) == (0, "")
    assert set(rows[0]) == {"id", "tags", "labels", "evidence"}
    assert set(rows[0]["tags"]) == {"isis", "returns", "reconciliation"}  # type: ignore[arg-type]
    assert rows[0]["labels"] == ["isis"]
    assert rows[0]["evidence"]["isis"]  # type: ignore[index]
    assert rows[1]["labels"] == [] and rows[1]["evidence"] == {}


def test_bad_lines_are_reported_by_number_and_the_rest_still_classified() -> None:
    lines = [
        article("1", "t", "Returnees reached their villages."),
        "{not json",
        json.dumps({"id": "3", "title": "no text"}),
        json.dumps({"id": 4.5, "text": "wrong id type"}),
        json.dumps(["a", "list"]),
        json.dumps({"id": "6", "text": 7}),
        "",
        article("8", "t", "Families went back home."),
    ]
    rows, err, bad = run(lines)
    assert [r["id"] for r in rows] == ["1", "8"]
    assert bad == 5
    messages = err.splitlines()
    assert messages[0].startswith("line 2: not valid JSON: ")
    assert messages[1] == 'line 3: missing field "text"'
    assert messages[2].startswith('line 4: field "id" must be a string')
    assert messages[3] == "line 5: expected a JSON object, found list"
    assert messages[4].startswith('line 6: field "text" must be a string')


def test_classifying_and_placing_articles_makes_no_reference_cycles() -> None:
    # `newsmon classify` runs without the cycle collector: reference counting alone must free what it makes.
    gazetteer = load_gazetteer()
    lines = [line for path in OWN_ARTICLES for line in path.read_text(encoding="utf-8").splitlines()
             if '"text"' in line]
    lines += ["not json", '{"id": "x"}', "[]", json.dumps({"id": 7, "text": 3})]

    def locate(doc: ClassifierInput) -> list[str]:
        return [found.place for found in find_places(gazetteer, doc.title, doc.text)]

    gc.collect()
    gc.disable()
    try:
        bad = classify_jsonl(lines, io.StringIO(), io.StringIO(), CLASSIFIER, locate)
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert len(lines) > 100 and bad == 4
    assert unreachable == 0
