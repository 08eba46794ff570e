"""`newsmon sql` is the analysts' door: it reads the warehouse and can change, create or read nothing else."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import warehouse as wh
from commands.cli import cli
from tests.conftest import write_config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder as `newsmon run` leaves it: config, the lake, and a secret file."""
    config = write_config(tmp_path, [{"name": "site", "url": "http://127.0.0.1:9/feed.rss", "kind": "feed"}])
    live = tmp_path / "data" / "newsmon.duckdb"
    with wh.open_warehouse(live) as warehouse:
        warehouse.execute(
            "INSERT INTO source_state (source, url, consecutive_failures, last_error) VALUES (?, ?, 3, ?)",
            ["site", "http://127.0.0.1:9/feed.rss", "connection: " + "refused by the host at the far end " * 6],
        )
        warehouse.execute(  # enough rows for a Parquet file in the data folder (a few rows stay in the catalog)
            "INSERT INTO fetches (url, source, status, elapsed_ms, fetched_at, run_id) "
            "SELECT 'http://127.0.0.1:9/' || range, 'site', 200, 5, now(), 1 FROM range(50)"
        )
    (tmp_path / "secret.key").write_text("the analyst must never read this\n", encoding="utf-8")
    return config


def folder_state(folder: Path) -> dict[str, str]:
    """Every file's hash, less SQLite's WAL side files, which any reader of the catalog opens and the last removes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(("-wal", "-shm"))}  # fmt: skip


def sql(config: Path, *args: str, input: str | None = None) -> Result:  # noqa: A002 - click's name
    return CliRunner().invoke(cli, ["sql", "--config", str(config), *args], input=input)


ATTEMPTS = {
    "overwrite the catalog": "COPY (SELECT 'junk' AS x) TO 'data/newsmon.catalog.sqlite' (FORMAT csv)",
    "write into the lake's data folder": "COPY (SELECT 1 AS x) TO '{folder}/data/newsmon.files/main/x.parquet'",
    "overwrite a data file": "COPY (SELECT 1 AS x) TO '{data_file}' (FORMAT parquet)",
    "overwrite the config": "COPY (SELECT 'x' AS x) TO '{folder}/newsmon.toml' (FORMAT csv)",
    "write a new file": "COPY (SELECT 1 AS x) TO '{folder}/new.parquet' (FORMAT parquet)",
    "export the database": "EXPORT DATABASE '{folder}/export'",
    "read any file": "SELECT * FROM read_text('{folder}/secret.key')",
    "read a file as csv": "SELECT * FROM read_csv('{folder}/secret.key')",
    "list files": "SELECT * FROM glob('{folder}/*')",
    "attach another database": "ATTACH '{folder}/other.duckdb' AS other",
    "attach the catalog read-write": "ATTACH 'ducklake:sqlite:{folder}/data/newsmon.catalog.sqlite' AS live",
    "detach the lake": "DETACH lake",
    "install an extension": "INSTALL httpfs",
    "load an extension": "LOAD httpfs",
    "turn external access back on": "SET enable_external_access = true",
    "unlock the configuration": "SET lock_configuration = false",
    "change a setting": "SET threads = 1",
    "change a setting by pragma": "PRAGMA threads = 1",
    "write to a table": "DELETE FROM source_state",
    "create a table": "CREATE TABLE junk AS SELECT 1 AS x",
}


@pytest.mark.parametrize("statement", ATTEMPTS.values(), ids=ATTEMPTS.keys())
def test_statements_that_write_read_files_attach_install_or_configure_are_refused(
    project: Path, statement: str
) -> None:
    folder = project.parent
    data_files = sorted((folder / "data" / "newsmon.files").rglob("*.parquet"))
    before = folder_state(folder)

    result = sql(project, statement.format(folder=folder, data_file=data_files[0]))

    assert result.exit_code == 1
    assert result.stdout == ""
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert "read-only" in message and "--csv" in message and "--json" in message and "newsmon attach" in message
    assert folder_state(folder) == before


def test_reading_still_works_after_a_refusal_and_nothing_leaks_into_the_answer(project: Path) -> None:
    refused = sql(project, f"SELECT * FROM read_text('{project.parent}/secret.key')")
    assert refused.exit_code == 1 and "the analyst must never read this" not in refused.output

    answered = sql(project, "--json", "SELECT source, consecutive_failures FROM source_state")

    assert answered.exit_code == 0, answered.output
    assert json.loads(answered.stdout) == {"source": "site", "consecutive_failures": 3}


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n", "-- only a comment", "/* a block comment */ ;"])
def test_no_statement_at_all_is_a_one_line_error(project: Path, text: str) -> None:
    result = sql(project, text)

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "no SQL statement given" in result.stderr
    assert "Traceback" not in result.output


def test_empty_stdin_is_a_one_line_error(project: Path) -> None:
    result = sql(project, "-", input="")

    assert result.exit_code == 1
    assert "no SQL statement given" in result.stderr


def test_csv_export_carries_whole_cells(project: Path) -> None:
    result = sql(project, "--csv", "SELECT source, last_error FROM source_state")

    assert result.exit_code == 0, result.output
    header, row = result.stdout.splitlines()
    assert header == "source,last_error"
    assert row.startswith("site,") and row.count("refused by the host at the far end") == 6


def test_table_cells_cut_for_width_end_with_a_mark_and_full_shows_them_whole(project: Path) -> None:
    cut = sql(project, "SELECT last_error FROM source_state")
    whole = sql(project, "--full", "SELECT last_error FROM source_state")

    cell = cut.stdout.splitlines()[2]
    assert len(cell) == 80 and cell.endswith("…")
    assert whole.stdout.splitlines()[2].count("refused by the host at the far end") == 6


def test_sources_shows_the_whole_last_error(project: Path) -> None:
    result = CliRunner().invoke(cli, ["sources", "--config", str(project)])

    assert result.exit_code == 0, result.output
    assert result.stdout.count("refused by the host at the far end") == 6
    assert "…" not in result.stdout


def test_a_writer_holding_the_catalog_does_not_stop_the_analysts(project: Path) -> None:
    """The embedded catalog is SQLite in WAL mode: a write transaction in progress leaves every reader reading."""
    import sqlite3

    holder = sqlite3.connect(project.parent / "data" / "newsmon.catalog.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a writer's lock, as a pass committing holds it
    try:
        result = sql(project, "--json", "SELECT count(*) AS n FROM source_state")
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"n": 1}
