"""The warehouse as a DuckLake: the old single file moved in whole, keys kept unique without constraints, and the
analysts' door read-only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

import warehouse as wh
from newsmon.config import load_config
from newsmon.records import Article, Classification, FetchAttempt, TaggedArticle
from tests.conftest import query, run_newsmon, write_config
from warehouse.connect import migration_files

SINGLE_FILE_SCHEMA = (Path(__file__).parent / "single_file_schema.sql").read_text(encoding="utf-8")


def _single_file_warehouse(path: Path, articles: int) -> None:
    """A warehouse as newsmon 0.1 left it: one DuckDB file, with a pass, its articles, tags, fetches, a digest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(SINGLE_FILE_SCHEMA)
        con.execute("INSERT INTO schema_migrations VALUES (1, '001_initial.sql', now()), (2, '002_digests.sql', now())")
        con.execute("INSERT INTO runs (started_at, finished_at, status, sources, articles_new) "
                    "VALUES ('2026-11-02 08:00', '2026-11-02 08:01', 'completed', 1, ?)", [articles])  # fmt: skip
        for i in range(articles):
            con.execute(
                "INSERT INTO articles VALUES (?, ?, 'tigris', ?, NULL, '2026-11-01 09:00', '2026-11-02 08:00', 'en', "
                "?, 40, ?, 1)",
                [f"a{i:03d}", f"http://127.0.0.1/a/{i}", f"Returnees reach Sinjar {i}", f"text {i}", f"h{i}"],
            )
            con.execute("INSERT INTO article_urls VALUES (?, ?)", [f"http://127.0.0.1/a/{i}", f"a{i:03d}"])
            con.execute("INSERT INTO article_tags VALUES (?, 'returns', 0.8, ['returnees'], 'rules-1', now())",
                        [f"a{i:03d}"])  # fmt: skip
            con.execute("INSERT INTO tag_scores VALUES (?, 'rules-1', 'returns', 0.8, now())", [f"a{i:03d}"])
            con.execute(
                "INSERT INTO fetches VALUES (?, 'tigris', 200, NULL, 12, now(), 1)", [f"http://127.0.0.1/a/{i}"]
            )
        con.execute("INSERT INTO fetches VALUES ('http://127.0.0.1/slow', 'tigris', NULL, 'timeout: no answer', 5000, "
                    "now(), 1)")  # fmt: skip
        con.execute(
            "INSERT INTO source_state (source, url, consecutive_failures) VALUES ('tigris', 'http://127.0.0.1/f', 0)"
        )
        con.execute("INSERT INTO notifications (kind, message_id, subject, recipients, transport, period_start, "
                    "period_end, articles, sent_at) VALUES ('digest', '<d1@newsmon>', 'Digest', ['desk@localhost'], "
                    "'outbox', '2026-11-01', '2026-11-02', 1, '2026-11-02')")  # fmt: skip
        con.execute("INSERT INTO notified_articles VALUES (1, 'a000', 'returns', 0.8)")


def test_migrate_moves_every_row_of_the_old_file_and_leaves_it_in_place(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    old_file = tmp_path / "data" / "newsmon.duckdb"
    _single_file_warehouse(old_file, articles=3)

    result = run_newsmon("migrate", "--config", config)

    assert result.exit_code == 0, result.output
    moved = dict(line.split() for line in result.stdout.splitlines() if len(line.split()) == 2)
    assert {table: moved[table] for table in ("articles", "article_tags", "fetches", "notifications")} == {
        "articles": "3", "article_tags": "3", "fetches": "4", "notifications": "1"
    }  # fmt: skip
    assert "20 rows moved now" in result.stdout
    assert old_file.exists(), "the old file stays until the user deletes it"
    assert query(config, "SELECT count(*) AS n FROM articles") == [{"n": 3}]
    assert query(config, "SELECT week, tag, articles FROM tag_weekly") == [
        {"week": "2026-10-26", "tag": "returns", "articles": 3}
    ]
    assert query(config, "SELECT message_id FROM notifications") == [{"message_id": "<d1@newsmon>"}]
    assert query(config, "SELECT reason FROM fetches WHERE error IS NOT NULL") == [{"reason": "timeout"}], (
        "migrations newer than the old file run on its rows too"
    )

    again = run_newsmon("migrate", "--config", config)
    assert again.exit_code == 0 and "20 rows moved earlier" in again.stdout
    assert query(config, "SELECT count(*) AS n FROM articles") == [{"n": 3}], "a second migrate copies nothing"


def test_the_first_pass_moves_the_old_file_and_numbers_runs_after_it(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, []))
    _single_file_warehouse(config.warehouse.path, articles=2)
    with wh.open_warehouse(config.warehouse) as warehouse:
        run_id = wh.start_run(warehouse, datetime.now(UTC), 0)
    assert run_id == 2, "run numbers continue after the old file's"
    assert query(config.path, "SELECT count(*) AS n FROM article_urls") == [{"n": 2}]


def test_an_old_file_is_not_merged_into_a_lake_with_its_own_history(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, []))
    with wh.open_warehouse(config.warehouse) as warehouse:
        wh.start_run(warehouse, datetime.now(UTC), 0)
    _single_file_warehouse(config.warehouse.path, articles=2)
    result = run_newsmon("migrate", "--config", config.path)
    assert result.exit_code == 1
    assert "not moved into the lake, which already holds articles or runs of its own" in result.stderr
    assert query(config.path, "SELECT count(*) AS n FROM articles") == [{"n": 0}]


def _tagged(article_id: str, url: str, text_hash: str, alternate: tuple[str, ...] = ()) -> TaggedArticle:
    moment = datetime(2026, 11, 3, 9, tzinfo=UTC)
    article = Article(article_id, url, "tigris", f"Title {article_id}", None, moment, moment, "en", "text", 1,
                      text_hash, alternate)  # fmt: skip
    scores = {"isis": 0.0, "returns": 0.9, "reconciliation": 0.0}
    return TaggedArticle(article, Classification(article_id, scores, ("returns",), {"returns": ("back",)}, "rules-1"))


def test_keys_stay_unique_without_constraints(tmp_path: Path) -> None:
    """Same canonical URL, same text under another URL, a URL seen twice, a retag: one row per key each time."""
    with wh.open_warehouse(tmp_path / "w.duckdb") as warehouse:
        run_id = wh.start_run(warehouse, datetime.now(UTC), 1)
        attempt = FetchAttempt("http://127.0.0.1/a", "tigris", 200, None, 5, datetime.now(UTC))
        first = wh.store_tagged_articles(warehouse, run_id, [_tagged("a1", "http://127.0.0.1/a", "h1")], [attempt])
        second = wh.store_tagged_articles(
            warehouse, run_id,
            [_tagged("a1", "http://127.0.0.1/a", "h1"), _tagged("a2", "http://127.0.0.1/b", "h1", ("http://127.0.0.1/a",))],
            [],
        )  # fmt: skip
        wh.replace_tags(warehouse, [_tagged("a1", "http://127.0.0.1/a", "h1").classification])
        wh.update_source_state(warehouse, "tigris", "http://127.0.0.1/f", ok=False, error="timeout: x", etag=None,
                               last_modified=None, at=datetime.now(UTC))  # fmt: skip
        wh.update_source_state(warehouse, "tigris", "http://127.0.0.1/f", ok=False, error="timeout: y", etag=None,
                               last_modified=None, at=datetime.now(UTC))  # fmt: skip
        counts = warehouse.rows(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_urls), "
            "(SELECT count(*) FROM article_tags), (SELECT count(*) FROM tag_scores), "
            "(SELECT count(*) FROM source_state), (SELECT max(consecutive_failures) FROM source_state)"
        )[0]
    assert [t.article.article_id for t in first] == ["a1"] and second == []
    assert counts == (1, 2, 1, 3, 1, 2)


@pytest.mark.parametrize(
    "sql, refusal",
    [
        pytest.param("DELETE FROM articles", "refused: a DELETE statement", id="delete"),
        pytest.param("DROP TABLE articles", "refused: a DROP statement", id="drop"),
        pytest.param("COPY articles TO 'x.csv'", "refused: a COPY statement", id="copy"),
        pytest.param("ATTACH 'other.duckdb' AS other", "refused: a ATTACH statement", id="attach"),
        pytest.param("SELECT 1; UPDATE runs SET status = 'x'", "refused: a UPDATE statement", id="second-statement"),
        pytest.param("SET enable_external_access = true", "refused: a SET statement", id="set"),
        pytest.param("SELECT * FROM read_text('/etc/hostname')", "file system operations are disabled", id="read-file"),
    ],
)
def test_newsmon_sql_runs_queries_only_and_reads_no_other_file(tmp_path: Path, sql: str, refusal: str) -> None:
    config = write_config(tmp_path, [])
    assert run_newsmon("migrate", "--config", config).exit_code == 0
    result = run_newsmon("sql", "--config", config, sql)
    assert result.exit_code == 1
    assert refusal in result.stderr
    assert query(config, "SELECT count(*) AS n FROM schema_migrations") == [{"n": len(migration_files())}]


def test_newsmon_sql_reads_every_snapshot_by_version(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, []))
    with wh.open_warehouse(config.warehouse) as warehouse:
        wh.start_run(warehouse, datetime.now(UTC), 0)
    rows = query(config.path, "SELECT snapshot_id FROM lake.snapshots() ORDER BY snapshot_id DESC LIMIT 2")
    latest, before = rows[0]["snapshot_id"], rows[1]["snapshot_id"]
    assert query(config.path, f"SELECT count(*) AS n FROM runs AT (VERSION => {latest})") == [{"n": 1}]
    assert query(config.path, f"SELECT count(*) AS n FROM runs AT (VERSION => {before})") == [{"n": 0}]
    assert json.loads(run_newsmon("sql", "--config", config.path, "--json", "SELECT 1 AS one").stdout) == {"one": 1}


def test_each_fetch_row_names_the_process_that_made_the_request(tmp_path: Path) -> None:
    import os
    import socket

    with wh.open_warehouse(tmp_path / "w.duckdb") as warehouse:
        run_id = wh.start_run(warehouse, datetime.now(UTC), 1)
        attempt = FetchAttempt("http://127.0.0.1/feed", "tigris", 200, None, 5, datetime.now(UTC))
        wh.record_fetch_attempts(warehouse, run_id, [attempt])
        workers = warehouse.rows("SELECT worker FROM fetches")
    assert workers == [(f"{socket.gethostname()}:{os.getpid()}",)]


def test_writes_in_one_commit_land_together_or_not_at_all(tmp_path: Path) -> None:
    """A pass ends each source with one commit (its last batch, its requests, its health): a failure part-way
    leaves none of them, and a snapshot holds all of them."""
    moment = datetime.now(UTC)
    attempt = FetchAttempt("http://127.0.0.1/feed", "tigris", 200, None, 5, moment)
    with wh.open_warehouse(tmp_path / "w.duckdb") as warehouse:
        run_id = wh.start_run(warehouse, moment, 1)
        with pytest.raises(RuntimeError), warehouse.one_commit():
            wh.record_fetch_attempts(warehouse, run_id, [attempt])
            wh.update_source_state(warehouse, "tigris", attempt.url, ok=True, error=None, etag='"e1"',
                                   last_modified=None, at=moment, found="feed, 1 item")  # fmt: skip
            raise RuntimeError("the process fails before the commit")
        assert warehouse.rows("SELECT (SELECT count(*) FROM fetches) + (SELECT count(*) FROM source_state)") == [(0,)]
        snapshots_before = warehouse.rows("SELECT count(*) FROM lake.snapshots()")[0][0]
        with warehouse.one_commit():
            wh.record_fetch_attempts(warehouse, run_id, [attempt])
            wh.update_source_state(warehouse, "tigris", attempt.url, ok=True, error=None, etag='"e1"',
                                   last_modified=None, at=moment, found="feed, 1 item")  # fmt: skip
        assert warehouse.rows("SELECT count(*) FROM lake.snapshots()")[0][0] == snapshots_before + 1
        assert warehouse.rows("SELECT etag, found FROM source_state") == [('"e1"', "feed, 1 item")]
        assert wh.all_source_validators(warehouse) == {"tigris": {attempt.url: ('"e1"', None)}}
