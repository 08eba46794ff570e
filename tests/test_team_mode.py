"""Team mode: the same warehouse code on a PostgreSQL catalog and an S3 data path, secrets only from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import query, run_newsmon
from tests.team_stores import CATALOG_PASSWORD, PostgresServer, S3Server, postgres_server, s3_server
from tests.test_import import _archive

KEY_ID, SECRET = "team-key", "team-secret-value"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture
def team_config(tmp_path: Path, postgres: PostgresServer, s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> Path:
    name = tmp_path.name.lower().replace("-", "_")[:40]
    catalog = postgres.create_database(name)
    s3.create_bucket(name.replace("_", "-"))
    monkeypatch.setenv("NEWSMON_CATALOG_PASSWORD", CATALOG_PASSWORD)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    config = tmp_path / "newsmon.toml"
    config.write_text(textwrap.dedent(f"""\
        [warehouse]
        catalog = "{catalog}"
        data_path = "s3://{name.replace("_", "-")}/newsmon/"
        s3_endpoint = "{s3.endpoint}"
        s3_url_style = "path"
        s3_use_ssl = false
    """), encoding="utf-8")  # fmt: skip
    return config


def test_an_archive_lands_in_postgres_and_s3_and_reads_back(team_config: Path, s3: S3Server, tmp_path: Path) -> None:
    result = run_newsmon("import", "--config", team_config, "--input", _archive(tmp_path))

    assert result.stdout.strip() == "3 new articles stored, 2 already stored, 3 bad lines", result.output
    assert query(team_config, "SELECT count(*) AS n FROM articles") == [{"n": 3}]
    assert query(team_config, "SELECT tag, sum(articles) AS n FROM tag_weekly GROUP BY tag") == [
        {"tag": "returns", "n": 1}
    ]
    more = tmp_path / "more.jsonl"  # enough rows that they go to Parquet files (a few rows stay in the catalog)
    more.write_text("".join(json.dumps({
        "url": f"https://news.localhost/2025/council-{i}", "title": f"Council session {i}",
        "text": f"The council met for session {i} and discussed {i * 7} kilometres of new water pipes.",
        "published_at": "2025-04-01T09:00:00Z", "source": "archive-en", "lang": "en"}) + "\n" for i in range(30)),
        encoding="utf-8")  # fmt: skip
    assert run_newsmon("import", "--config", team_config, "--input", more).exit_code == 0
    assert query(team_config, "SELECT count(*) AS n FROM articles") == [{"n": 33}]
    bucket = team_config.read_text(encoding="utf-8").split("s3://", 1)[1].split("/", 1)[0]
    assert any(key.startswith("newsmon/main/articles/") and key.endswith(".parquet") for key in s3.keys(bucket))
    local = sorted(p.name for p in (tmp_path / "data").rglob("*"))
    assert local == ["newsmon.duckdb.lock"], "only this machine's pass lock is local: the warehouse is not"


def test_attach_prints_no_secret_and_opens_the_warehouse_read_only_in_another_client(team_config: Path) -> None:
    assert run_newsmon("migrate", "--config", team_config).exit_code == 0
    printed = run_newsmon("attach", "--config", team_config).stdout
    assert CATALOG_PASSWORD not in printed and KEY_ID not in printed and SECRET not in printed
    client = textwrap.dedent(
        """
        import os, sys, duckdb
        con = duckdb.connect()
        con.create_function("getenv", lambda name: os.environ.get(name, ""), [str], str)  # the duckdb CLI's own
        con.execute(sys.stdin.read())
        print(con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0])
        try:
            con.execute("CREATE TABLE lake.junk (x INTEGER)")
        except duckdb.Error as exc:
            print("refused:", type(exc).__name__)
        """
    )
    env = {**os.environ, "PGPASSWORD": CATALOG_PASSWORD}
    env.pop("NEWSMON_CATALOG_PASSWORD")
    other = subprocess.run([sys.executable, "-c", client], input=printed, capture_output=True, text=True, env=env,
                           timeout=120)  # fmt: skip
    migrations = len(list((Path(__file__).parent.parent / "warehouse" / "migrations").glob("[0-9][0-9][0-9]_*.sql")))
    assert other.stdout.splitlines() == [str(migrations), "refused: InvalidInputException"], other.stderr


def test_a_wrong_catalog_password_is_one_clear_line(team_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSMON_CATALOG_PASSWORD", "not-the-password")

    result = run_newsmon("migrate", "--config", team_config)

    assert result.exit_code == 1
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "cannot open the warehouse" in message
    assert "password authentication failed" in message and "not-the-password" not in message


def test_workers_on_the_postgres_catalog_claim_each_url_exactly_once(team_config: Path) -> None:
    from tests.test_claims import assert_claimed_exactly_once, race

    assert run_newsmon("migrate", "--config", team_config).exit_code == 0
    granted = race(team_config, workers=3)
    assert_claimed_exactly_once(team_config, granted)


def test_the_lake_upkeep_on_postgres_and_s3_keeps_every_answer_and_deletes_the_small_files(
    team_config: Path, s3: S3Server
) -> None:
    from datetime import UTC, datetime, timedelta

    import warehouse as wh
    from newsmon.config import load_config
    from tests.test_upkeep import answers, store_in_passes

    lake = load_config(team_config).warehouse
    bucket = lake.data_path.removeprefix("s3://").split("/", 1)[0]
    store_in_passes(lake, passes=8)
    files_before = len([key for key in s3.keys(bucket) if key.endswith(".parquet")])
    with wh.open_for_analysts(lake) as analyst:
        before = answers(analyst)
        with wh.open_warehouse(lake) as warehouse:
            outcome = wh.tidy_lake(warehouse, keep_days=30, now=datetime.now(UTC) + timedelta(days=31))
        assert answers(analyst) == before, "the session opened before the upkeep keeps answering"
    assert outcome.live_files_after < outcome.live_files_before
    assert outcome.snapshots_expired == outcome.snapshots_before - 1
    assert len([key for key in s3.keys(bucket) if key.endswith(".parquet")]) < files_before / 2
    with wh.open_for_analysts(lake) as fresh:
        assert answers(fresh) == before
