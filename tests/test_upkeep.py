"""Lake upkeep: after months of small passes the lake is merged and its old snapshots expired, without losing a row,
changing an answer, or stopping an analyst's session."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import warehouse as wh
from newsmon.config import WarehouseConfig
from newsmon.errors import WarehouseError
from newsmon.records import Article, Classification, FetchAttempt, TaggedArticle
from tests.conftest import query, run_newsmon, write_config

PASSES = 12
PER_PASS = 12

CONTRACT_QUERIES = {
    "articles": "SELECT * FROM articles ORDER BY article_id",
    "article_urls": "SELECT * FROM article_urls ORDER BY url",
    "article_tags": "SELECT * FROM article_tags ORDER BY article_id, tag",
    "tag_scores": "SELECT * FROM tag_scores ORDER BY ALL",
    "fetches": "SELECT * FROM fetches ORDER BY ALL",
    "runs": "SELECT * FROM runs ORDER BY run_id",
    "tag_weekly": "SELECT * FROM tag_weekly ORDER BY ALL",
}


def tagged(index: int, now: datetime) -> TaggedArticle:
    url = f"http://news.localhost/2026/story-{index}"
    text = f"Report {index}: the council in district {index % 7} reopened {index * 3} schools after the returns."
    article = Article(
        article_id=hashlib.sha1(url.encode()).hexdigest()[:16], url=url, source=f"source-{index % 3}",
        title=f"Story {index}", author=None, published_at=now - timedelta(days=index % 50), first_seen_at=now,
        lang="en", text=text, word_count=len(text.split()), content_hash=hashlib.sha1(text.encode()).hexdigest(),
    )  # fmt: skip
    labels = ("returns",) if index % 2 else ()
    scores = {"isis": 0.1, "returns": 0.8 if labels else 0.2, "reconciliation": 0.1}
    evidence = {"returns": ("reopened schools",)} if labels else {}
    return TaggedArticle(article, Classification(article.article_id, scores, labels, evidence, "rules-test"))


def store_in_passes(path: Path | WarehouseConfig, passes: int = PASSES, per_pass: int = PER_PASS) -> None:
    """As a season of small passes leaves the lake: a runs row, a batch of articles, their stories, the run closed."""
    with wh.open_warehouse(path) as warehouse:
        for number in range(passes):
            now = datetime.now(UTC)
            run_id = wh.start_run(warehouse, now, 1)
            batch = [tagged(number * per_pass + k, now) for k in range(per_pass)]
            attempts = [FetchAttempt(t.article.url, t.article.source, 200, None, 12, now) for t in batch]
            stored = wh.store_tagged_articles(warehouse, run_id, batch, attempts)
            wh.set_story_ids(warehouse, {t.article.article_id: t.article.article_id for t in stored})
            warehouse.execute("UPDATE runs SET status = 'completed', finished_at = ? WHERE run_id = ?",
                              [now.replace(tzinfo=None), run_id])  # fmt: skip


def answers(session: wh.Warehouse) -> dict[str, list[tuple[Any, ...]]]:
    return {name: session.rows(sql) for name, sql in CONTRACT_QUERIES.items()}


def parquet_files(path: Path) -> int:
    return len(list(path.with_name(path.stem + ".files").rglob("*.parquet")))


def snapshot_ids(session: wh.Warehouse) -> list[int]:
    return [row[0] for row in session.rows("SELECT snapshot_id FROM lake.snapshots() ORDER BY 1")]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "newsmon.duckdb"
    store_in_passes(path)
    return path


def test_upkeep_merges_small_files_and_changes_no_answer_now_or_at_any_kept_snapshot(lake: Path) -> None:
    files_before = parquet_files(lake)
    with wh.open_for_analysts(lake) as analyst:
        before = answers(analyst)
        kept = snapshot_ids(analyst)
        versions = kept[10 :: len(kept) // 6]  # from the first pass on (the first snapshots create the tables)
        history = {v: analyst.rows(f"SELECT count(*), sum(length(text)) FROM articles AT (VERSION => {v})")
                   for v in versions}  # fmt: skip

        with wh.open_warehouse(lake) as warehouse:
            outcome = wh.tidy_lake(warehouse, keep_days=30)

        assert answers(analyst) == before, "a session opened before the upkeep answers the same"
    assert outcome.live_files_after < outcome.live_files_before / 4
    assert outcome.files_merged >= PASSES
    assert outcome.snapshots_expired == 0, "every snapshot is within the 30-day window"
    assert outcome.files_deleted == 0 and parquet_files(lake) > files_before, "merged-away files stay a day"
    with wh.open_for_analysts(lake) as fresh:
        assert answers(fresh) == before
        assert set(kept) <= set(snapshot_ids(fresh)), "every snapshot is still there"
        for version, rows in history.items():
            assert fresh.rows(f"SELECT count(*), sum(length(text)) FROM articles AT (VERSION => {version})") == rows
    assert sum(before[name] != [] for name in CONTRACT_QUERIES) == len(CONTRACT_QUERIES), "every table had rows"

    with wh.open_warehouse(lake) as warehouse:  # the next day's upkeep deletes what the merge let go
        next_day = wh.tidy_lake(warehouse, keep_days=30, now=datetime.now(UTC) + wh.upkeep.FILE_GRACE * 2)
    assert next_day.files_deleted >= PASSES
    assert parquet_files(lake) < files_before / 2, "left: the merged files, and those older snapshots still read"
    with wh.open_for_analysts(lake) as fresh:
        assert answers(fresh) == before
        for version, rows in history.items():
            assert fresh.rows(f"SELECT count(*), sum(length(text)) FROM articles AT (VERSION => {version})") == rows


def test_snapshots_past_the_window_are_expired_and_the_files_only_they_needed_deleted(lake: Path) -> None:
    files_before = parquet_files(lake)
    with wh.open_for_analysts(lake) as analyst:
        before = answers(analyst)
        oldest = snapshot_ids(analyst)[1]
        later = datetime.now(UTC) + timedelta(days=31)

        with wh.open_warehouse(lake) as warehouse:
            outcome = wh.tidy_lake(warehouse, keep_days=30, now=later)

        assert answers(analyst) == before, "the session opened before the upkeep keeps answering"
        assert outcome.snapshots_expired == outcome.snapshots_before - 1, "all but the latest are past the window"
        with pytest.raises(Exception, match="No snapshot found"):
            analyst.rows(f"SELECT count(*) FROM articles AT (VERSION => {oldest})")
    assert parquet_files(lake) < files_before / 4
    assert outcome.files_deleted >= files_before - parquet_files(lake)
    with wh.open_for_analysts(lake) as fresh:
        assert answers(fresh) == before


def test_an_analyst_session_querying_throughout_the_upkeep_gets_every_answer_right(lake: Path) -> None:
    with wh.open_for_analysts(lake) as analyst:
        expected = answers(analyst)
        seen: list[list[str]] = []  # per round of the contract queries: the names of those answered differently
        failures: list[BaseException] = []
        done = threading.Event()

        def keep_asking() -> None:
            while not done.is_set() or not seen:
                try:
                    now = answers(analyst)
                    seen.append([name for name in CONTRACT_QUERIES if now[name] != expected[name]])
                except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                    failures.append(exc)
                    return

        asking = threading.Thread(target=keep_asking)
        asking.start()
        try:
            with wh.open_warehouse(lake) as warehouse:
                wh.tidy_lake(warehouse, keep_days=1)
                wh.tidy_lake(warehouse, keep_days=None, now=datetime.now(UTC) + wh.upkeep.FILE_GRACE * 2)
        finally:
            done.set()
            asking.join()
    assert failures == []
    assert seen and not any(seen), f"rounds that answered differently: {[names for names in seen if names]}"


def test_a_query_the_upkeep_merges_under_is_answered_from_the_merged_lake_not_from_an_empty_table(lake: Path) -> None:
    """The race the session above runs into by chance, made certain: the merge commits after the query fixed its
    snapshot and before it lists the table's files (DuckLake 1.5.5 then reads the table as empty)."""
    count = "SELECT count(*), sum(length(text)) FROM articles"
    upkeeps: list[wh.UpkeepOutcome] = []

    def merged_midway(connection: Any) -> list[tuple[Any, ...]]:
        if not upkeeps:
            with wh.open_warehouse(lake) as warehouse:
                upkeeps.append(wh.tidy_lake(warehouse, keep_days=None))
        return list(connection.execute(count).fetchall())

    with wh.open_for_analysts(lake) as analyst:
        expected = analyst.rows(count)
        assert analyst.read(merged_midway) == expected
    assert expected[0][0] == PASSES * PER_PASS
    assert upkeeps[0].files_merged >= PASSES, "the articles' files were merged during the read"


def test_a_retention_under_a_day_is_refused_before_anything_changes(tmp_path: Path) -> None:
    with wh.open_warehouse(tmp_path / "newsmon.duckdb") as warehouse:
        snapshots = snapshot_ids(warehouse)
        with pytest.raises(WarehouseError, match="keep at least 1 day"):
            wh.tidy_lake(warehouse, keep_days=0)
        assert snapshot_ids(warehouse) == snapshots


def test_the_upkeep_is_due_once_a_day(tmp_path: Path) -> None:
    with wh.open_warehouse(tmp_path / "newsmon.duckdb") as warehouse:
        now = datetime.now(UTC)
        assert wh.last_upkeep(warehouse) is None and wh.upkeep_due(warehouse, now)
        wh.tidy_lake(warehouse, keep_days=30)
        assert not wh.upkeep_due(warehouse, now + timedelta(hours=23))
        assert wh.upkeep_due(warehouse, now + timedelta(hours=24, minutes=1))


def test_newsmon_maintain_merges_and_says_what_it_did(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    store_in_passes(tmp_path / "data" / "newsmon.duckdb", passes=6)
    before = query(config, "SELECT count(*) AS n, sum(length(text)) AS chars FROM articles")

    result = run_newsmon("maintain", "--config", config, "--keep-days", "30")

    assert result.exit_code == 0, result.output
    assert "snapshots older than 30 days expired: 0" in result.stdout
    assert " merged); " in result.stdout and "files deleted: 0" in result.stdout
    assert query(config, "SELECT count(*) AS n, sum(length(text)) AS chars FROM articles") == before
    assert query(config, "SELECT keep_days FROM lake_upkeep") == [{"keep_days": 30}]


def test_a_pass_runs_the_upkeep_at_most_once_a_day_when_a_retention_is_configured(tmp_path: Path) -> None:
    from engine import run_pass
    from newsmon.config import load_config

    config = load_config(write_config(tmp_path, []))
    run_pass(config)
    assert query(config.path, "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'lake_upkeep'") == [
        {"n": 0}
    ], "without keep_snapshots_days no pass runs an upkeep"

    retention = tmp_path / "newsmon.toml"
    retention.write_text(retention.read_text(encoding="utf-8").replace(
        "[warehouse]\n", "[warehouse]\nkeep_snapshots_days = 30\n"), encoding="utf-8")  # fmt: skip
    for _ in range(2):
        run_pass(load_config(retention))
    assert query(retention, "SELECT keep_days FROM lake_upkeep") == [{"keep_days": 30}]
