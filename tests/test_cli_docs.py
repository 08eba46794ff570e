"""docs/cli.md is generated from `--help`: these tests fail when a command, option or docstring changed without it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from commands.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CLI_MD = ROOT / "docs" / "cli.md"
REGENERATE = "Run `python scripts/make_cli_docs.py` (the venv's: .venv/bin/python) and commit docs/cli.md."


def _make_cli_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_cli_docs", ROOT / "scripts" / "make_cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_md_matches_the_help_of_every_command() -> None:
    expected = _make_cli_docs().render()
    actual = CLI_MD.read_text(encoding="utf-8") if CLI_MD.exists() else ""
    assert actual == expected, f"docs/cli.md is out of date with `newsmon --help`. {REGENERATE}"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_cli_md_has_a_section_for_every_command(name: str) -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    assert f"\n## newsmon {name}\n" in text, f"docs/cli.md has no section for `newsmon {name}`. {REGENERATE}"


@pytest.mark.parametrize("columns", [pytest.param("40", id="narrow"), pytest.param("250", id="wide")])
def test_cli_md_does_not_depend_on_the_terminal_width(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    assert _make_cli_docs().render() == CLI_MD.read_text(encoding="utf-8"), (
        f"with COLUMNS={columns} the generated help differs: scripts/make_cli_docs.py must fix the width"
    )
