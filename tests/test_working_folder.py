"""A pass works from whatever folder the user stands in, and a pass where newsmon itself is broken says so loudly.

The quickstart's own `git clone … newsmon` leaves a folder named `newsmon/` where the user stands, and analysts keep
folders named `warehouse/`. These run `newsmon` as a user does, in a process of its own started in such a folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newsmon.sample_server import SampleSite
from tests.conftest import all_sample_sources, query, write_config

pytestmark = pytest.mark.usefixtures("prefect_harness")

NEWSMON = Path(sys.executable).parent / "newsmon"


def folder_a_user_stands_in(tmp_path: Path) -> Path:
    """Folders named like newsmon's own packages, none of them newsmon: a clone's parent, an analyst's work."""
    here = tmp_path / "work"
    for name in ("newsmon", "warehouse", "flows", "extractors"):
        (here / name).mkdir(parents=True)
    (here / "warehouse" / "notes.sql").write_text("SELECT 1;\n", encoding="utf-8")
    return here


def run_in(folder: Path, config: Path, **env: str) -> subprocess.CompletedProcess[str]:
    from prefect.settings import PREFECT_API_URL

    environment = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), **env}
    return subprocess.run(
        [str(NEWSMON), "run", "--config", str(config)],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_pass_stores_articles_when_run_from_a_folder_holding_newsmon_and_warehouse_folders(
    news_site: SampleSite, tmp_path: Path
) -> None:
    config = write_config(tmp_path, all_sample_sources(news_site))

    result = run_in(folder_a_user_stands_in(tmp_path), config)

    assert result.returncode == 0, result.stderr
    assert "ImportError" not in result.stderr and "!!" not in result.stdout
    stored = query(config, "SELECT count(*) AS n FROM articles")[0]["n"]
    assert stored > 0
    failed = query(config, "SELECT count(*) AS n FROM fetches WHERE error LIKE 'extraction%' OR error LIKE 'worker%'")
    assert failed[0]["n"] == 0


def test_workers_that_cannot_start_are_recorded_with_the_true_reason_and_the_summary_says_so(
    news_site: SampleSite, tmp_path: Path
) -> None:
    # Safe-path mode off by the user's own environment: the workers' sys.path starts with the folder again, whose
    # empty newsmon/ shadows the installed package, so no worker can import newsmon.
    config = write_config(tmp_path, [all_sample_sources(news_site)[0]])

    result = run_in(folder_a_user_stands_in(tmp_path), config, PYTHONSAFEPATH="")

    assert result.returncode == 0, result.stderr
    alarm = [line for line in result.stdout.splitlines() if line.startswith("!! world:")]
    assert alarm and "no page became an article" in alarm[0] and "worker_unavailable" in alarm[0], result.stdout
    assert "ImportError" in alarm[0]
    errors = {r["error"] for r in query(config, "SELECT DISTINCT error FROM fetches WHERE error IS NOT NULL "
                                                "AND error NOT LIKE 'robots%'")}  # fmt: skip
    assert len(errors) == 1
    (error,) = errors
    assert error.startswith("worker_unavailable: extraction workers cannot start: ImportError")
    assert "worker died" not in error
    health = json.loads(
        subprocess.run([str(NEWSMON), "sources", "--config", str(config), "--json"], capture_output=True,
                       text=True, timeout=120, check=True).stdout.splitlines()[0]  # fmt: skip
    )
    assert health["source"] == "world"
