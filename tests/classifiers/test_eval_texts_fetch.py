"""Sets whose texts stay out of the repository: their labels keep URLs, scripts/fetch_eval_texts.py fetches each
page's opening into the evaluation cache, and `newsmon eval` scores the set once the texts are there."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from classifiers import load_classifier
from classifiers.eval_sets import evaluate_sets, format_summary, load_sets

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "fetch_eval_texts.py"

STORY = ("Islamic State fighters attacked an army post near the town of Qaraqosh at dawn on Monday, officials said. "
         "The ISIS cell fled into the hills after a two-hour gun battle. ") * 20
PAGES = {
    "/attack": f"<html><head><title>Night attack on army post</title></head><body><nav>Home | World</nav>"
               f"<article><h1>Night attack on army post</h1><p>{STORY}</p></article></body></html>",
}


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        body = PAGES.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write((body or "not here").encode())

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the standard library's name
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetched_openings_make_a_url_only_set_scorable_and_a_dead_url_is_named(
        tmp_path: Path, site: str, monkeypatch: pytest.MonkeyPatch) -> None:
    labels = [
        {"id": "web-1", "url": f"{site}/attack", "lang": "en", "isis": 1, "returns": 0, "reconciliation": 0},
        {"id": "web-2", "url": f"{site}/gone", "lang": "en", "isis": 0, "returns": 0, "reconciliation": 0},
        {"id": "web-3", "url": "http://[::1/broken", "lang": "en", "isis": 0, "returns": 0, "reconciliation": 0},
    ]
    (tmp_path / "web.jsonl").write_text("".join(json.dumps(row) + "\n" for row in labels), encoding="utf-8")
    sets_file = tmp_path / "sets.toml"
    sets_file.write_text('[[set]]\nname = "web"\nsplit = "dev"\nlabels = "web.jsonl"\n'
                         'texts = "{cache}/web-texts.jsonl"\n', encoding="utf-8")
    monkeypatch.setenv("NEWSMON_EVAL_CACHE", str(tmp_path / "cache" / "eval"))

    # Before fetching, the set is listed as skipped: its texts are not in the cache.
    assert "skipped" in format_summary(evaluate_sets(load_sets(sets_file), load_classifier()))

    done = subprocess.run([sys.executable, str(SCRIPT), "--sets", str(sets_file), "--chars", "300"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1  # two pages could not be fetched ...
    assert f"web-2 {site}/gone: HTTP 404" in done.stderr  # ... each named on one line with the reason
    assert "web-3 http://[::1/broken: cannot fetch: InvalidURL" in done.stderr
    assert "Traceback" not in done.stderr

    cache = tmp_path / "cache" / "eval" / "web-texts.jsonl"
    cached = [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines()]
    assert [row["id"] for row in cached] == ["web-1"]  # the other page was kept
    assert "Islamic State fighters attacked" in cached[0]["text"][:60] and len(cached[0]["text"]) == 300
    assert "Home | World" not in cached[0]["text"]  # the page's main text, not its navigation
    assert cached[0]["source"] == "127.0.0.1"

    # With part of its texts, the set is skipped, not scored on part of itself: its figures were measured on all.
    summary = format_summary(evaluate_sets(load_sets(sets_file), load_classifier()))
    assert "skipped: " in summary and "holds 1 of its 3 texts; run scripts/fetch_eval_texts.py" in summary

    # Once every labelled id has its text, the set is scored like any other.
    (tmp_path / "web.jsonl").write_text(json.dumps(labels[0]) + "\n", encoding="utf-8")
    summary = format_summary(evaluate_sets(load_sets(sets_file), load_classifier()))
    assert "skipped" not in summary and summary.splitlines()[1].startswith("web ")


def test_a_sets_file_with_no_set_in_the_cache_says_so_in_one_line(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "written.jsonl").write_text("", encoding="utf-8")
    sets_file = tmp_path / "sets.toml"
    sets_file.write_text('[[set]]\nname = "written"\nsplit = "dev"\nlabels = "written.jsonl"\n', encoding="utf-8")
    monkeypatch.setenv("NEWSMON_EVAL_CACHE", str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, str(SCRIPT), "--sets", str(sets_file)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: no set of {sets_file} reads its texts from the evaluation cache " \
                                  f"({tmp_path / 'cache'})"
