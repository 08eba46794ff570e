"""A new user's trivial mistakes get one clear line on stderr and exit 1: never a traceback, never lost work."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from commands.cli import cli
from tests.conftest import write_config


def newsmon(*args: str) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_classify_input_that_is_not_utf8_names_the_file_and_keeps_the_lines_before_it(tmp_path: Path) -> None:
    articles = tmp_path / "articles.jsonl"
    good = json.dumps({"id": "a1", "title": "Families return to Sinjar", "text": "Families returned home."})
    articles.write_bytes(good.encode() + b"\n" + '{"id": "a2", "text": "caf\xe9"}'.encode("latin-1") + b"\n")

    result = newsmon("classify", "--input", articles)

    message = one_line_error(result)
    assert "articles.jsonl" in message and "UTF-8" in message
    assert json.loads(result.stdout.splitlines()[0])["id"] == "a1"


def test_eval_labels_without_a_tag_field_say_the_field_is_missing(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"id": "x", "title": "t", "text": "some text", "isis": 1, "returns": 0}) + "\n",
                      encoding="utf-8")  # fmt: skip

    message = one_line_error(newsmon("eval", "--labels", labels))

    assert 'line 1: field "reconciliation" is missing' in message
    assert "None" not in message


def test_eval_labels_that_are_not_utf8_are_one_line(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_bytes(b'{"id": "x", "text": "\xff\xfe", "isis": 1, "returns": 0, "reconciliation": 0}\n')

    assert "UTF-8" in one_line_error(newsmon("eval", "--labels", labels))


def test_run_on_a_damaged_warehouse_file_is_refused_before_the_pass_starts(tmp_path: Path) -> None:
    config = write_config(tmp_path, [{"name": "site", "url": "http://127.0.0.1:9/feed.rss", "kind": "feed"}])
    damaged = tmp_path / "data" / "newsmon.duckdb"
    damaged.parent.mkdir()
    damaged.write_bytes(b"junk\n" * 1000)

    message = one_line_error(newsmon("run", "--config", config))

    assert str(damaged) in message and "not a DuckDB warehouse" in message
    assert damaged.read_bytes() == b"junk\n" * 1000  # left as it was, for the user to look at
    assert not (tmp_path / "data" / "newsmon.catalog.sqlite").exists(), "nothing is moved from a damaged file"
