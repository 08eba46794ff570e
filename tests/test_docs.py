"""The documentation is part of the contract: every column is in SCHEMA.md, every command has help with an example."""

from __future__ import annotations

import re
from pathlib import Path

import click
import duckdb
import pytest

from commands.cli import cli
from tests.conftest import run_newsmon
from warehouse import open_warehouse

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_MD = (ROOT / "warehouse" / "SCHEMA.md").read_text(encoding="utf-8")


def _documented_columns(table: str) -> set[str]:
    section = re.search(rf"^## (?:view )?{table}\n(.*?)(?=^## |\Z)", SCHEMA_MD, re.M | re.S)
    assert section, f"warehouse/SCHEMA.md has no section for {table}"
    return set(re.findall(r"^\| (\w+) \|", section.group(1), re.M)) - {"column"}


def test_every_table_and_column_is_documented(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as warehouse:
        tables = warehouse.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
        for (table,) in tables:
            columns = {row[0] for row in warehouse.rows(f"DESCRIBE {table}")}
            assert columns == _documented_columns(table), f"{table}: SCHEMA.md and the schema disagree"


def test_example_queries_in_schema_md_run(tmp_path: Path) -> None:
    block = SCHEMA_MD.split("## Example trend queries", 1)[1]
    statements = [s.strip() for s in re.search(r"```sql\n(.*?)```", block, re.S).group(1).split(";") if s.strip()]
    with open_warehouse(tmp_path / "w.duckdb") as warehouse:
        for statement in statements:
            try:
                warehouse.rows(statement)
            except duckdb.Error as exc:  # pragma: no cover - the message is the point
                pytest.fail(f"SCHEMA.md example fails: {statement[:80]}…: {exc}")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = run_newsmon(name, "-h")
    assert result.exit_code == 0
    assert "Example" in result.output, f"`newsmon {name} -h` should show an example"
    assert isinstance(cli.commands[name], click.Command)
