"""`newsmon import`: an archive of JSON Lines stored as fetched articles are, once, with bad lines named."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import query, run_newsmon, write_config

RETURNS = (
    "Two hundred families returned to their homes in Sinjar this week after years in displacement camps near Duhok. "
    "Local officials said the returnees received help to rebuild houses, and schools reopened for their children."
)
COUNCIL = (
    "The provincial council in Basra approved next year's budget for roads and water pipes on Monday. Members "
    "argued for hours about the share for the northern districts before the vote passed by a narrow margin."
)
MARKET = (
    "أعاد تجار سوق الموصل القديم فتح محالهم بعد انتهاء أعمال الترميم، "
    "وقال أحدهم إن الزبائن عادوا تدريجيا إلى المدينة القديمة."
)


def _line(**fields: object) -> str:
    return json.dumps(fields, ensure_ascii=False)


def _archive(tmp_path: Path) -> Path:
    lines = [
        _line(url="https://news.localhost/2025/sinjar-returns?utm_source=mail", title="Families return to Sinjar",
              text=RETURNS, published_at="2025-03-04T08:00:00Z", source="archive-en", lang="en", author="Desk"),
        _line(url="https://news.localhost/2025/basra-budget", title="Basra council passes budget", text=COUNCIL,
              published_at="2025-03-05T10:30:00+03:00", source="archive-en", lang="en"),
        _line(url="https://news.localhost/ar/2025/mosul-market", title="سوق الموصل", text=MARKET,
              published_at="2025-03-06", source="archive-ar", lang="ar"),
        "",
        _line(url="https://news.localhost/2025/sinjar-returns", title="Families return to Sinjar", text=RETURNS,
              published_at="2025-03-04T08:00:00Z", source="archive-en", lang="en"),  # the same URL, without tracking
        _line(url="https://mirror.localhost/copy-of-sinjar", title="Copy", text=RETURNS,
              published_at="2025-03-04T09:00:00Z", source="mirror", lang="en"),  # the same text elsewhere
        _line(url="https://news.localhost/2025/no-text", title="No text", published_at="2025-03-07", source="x"),
        _line(url="https://news.localhost/2025/bad-date", title="Bad date", text=COUNCIL + " Again.",
              published_at="last Tuesday", source="archive-en", lang="en"),
        "not json at all",
    ]  # fmt: skip
    path = tmp_path / "archive.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_archive_is_stored_once_with_the_fetched_articles_dedup_and_bad_lines_named(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    archive = _archive(tmp_path)

    result = run_newsmon("import", "--config", config, "--input", archive)

    assert result.exit_code == 1, result.output  # bad lines make scripts notice
    assert 'line 7: missing field "text"' in result.stderr
    assert "line 8: field \"published_at\" is not an ISO 8601 date: 'last Tuesday'" in result.stderr
    assert "line 9: not valid JSON" in result.stderr
    assert "imported 8 lines: 3 new, 2 already stored, 3 bad" in result.stderr
    assert result.stdout.strip() == "3 new articles stored, 2 already stored, 3 bad lines"
    stored = query(config, "SELECT url, source, author, lang, published_at FROM articles ORDER BY url")
    assert stored == [
        {"url": "https://news.localhost/2025/basra-budget", "source": "archive-en", "author": None, "lang": "en",
         "published_at": "2025-03-05T07:30:00"},
        {"url": "https://news.localhost/2025/sinjar-returns", "source": "archive-en", "author": "Desk", "lang": "en",
         "published_at": "2025-03-04T08:00:00"},
        {"url": "https://news.localhost/ar/2025/mosul-market", "source": "archive-ar", "author": None, "lang": "ar",
         "published_at": "2025-03-06T00:00:00"},
    ]  # fmt: skip
    urls = {r["url"] for r in query(config, "SELECT url FROM article_urls")}
    assert "https://news.localhost/2025/sinjar-returns?utm_source=mail" in urls, "the URL as given is remembered"
    assert "https://mirror.localhost/copy-of-sinjar" in urls, "the copy's URL leads to the first article"


def test_imported_tags_are_the_classifiers(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    assert run_newsmon("import", "--config", config, "--input", _archive(tmp_path)).exit_code == 1
    stored = query(config, "SELECT a.title, coalesce(string_agg(t.tag, ',' ORDER BY t.tag), '') AS tags "
                           "FROM articles a LEFT JOIN article_tags t USING (article_id) GROUP BY ALL")  # fmt: skip
    texts = [("Families return to Sinjar", RETURNS, "en"), ("Basra council passes budget", COUNCIL, "en"),
             ("سوق الموصل", MARKET, "ar")]  # fmt: skip
    docs = "\n".join(_line(id=title, title=title, text=text, lang=lang) for title, text, lang in texts)
    classified = run_newsmon("classify", "--config", config, input=docs + "\n")
    expected = {row["id"]: ",".join(sorted(row["labels"])) for row in map(json.loads, classified.stdout.splitlines())}
    assert {r["title"]: r["tags"] for r in stored} == expected
    assert expected["Families return to Sinjar"] == "returns"


def test_importing_the_same_archive_again_adds_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    archive = _archive(tmp_path)
    run_newsmon("import", "--config", config, "--input", archive)
    tables = ["articles", "article_urls", "article_tags", "tag_scores", "runs", "fetches"]
    before = {t: query(config, f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in tables}

    again = run_newsmon("import", "--config", config, "--input", archive)

    assert "0 new articles stored, 5 already stored, 3 bad lines" in again.stdout
    assert {t: query(config, f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in tables} == before
    assert before["runs"] == 1 and before["fetches"] == 0


def test_a_line_that_is_not_utf8_is_one_bad_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    archive = tmp_path / "latin1.jsonl"
    good = _line(url="https://news.localhost/2025/basra-budget", title="Basra", text=COUNCIL,
                 published_at="2025-03-05", source="archive-en", lang="en")  # fmt: skip
    archive.write_bytes('{"title": "caf\xe9"}'.encode("latin-1") + b"\n" + good.encode() + b"\n")

    result = run_newsmon("import", "--config", config, "--input", archive)

    assert result.exit_code == 1
    assert "line 1: not UTF-8 text (invalid continuation byte at byte 14)" in result.stderr
    assert "Traceback" not in result.output
    assert query(config, "SELECT count(*) AS n FROM articles") == [{"n": 1}]
