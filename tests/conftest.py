"""Real parts, started once: the sample news site on loopback, one Prefect test harness, a DuckDB file per test."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsmon.cache import cache_folder

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
# The evaluation texts that stay out of the repository are read from the user's cache, before it is moved aside.
try:
    os.environ.setdefault("NEWSMON_EVAL_CACHE", str(cache_folder() / "eval"))
except RuntimeError:  # no home folder (some CI containers): there is no user's cache to read from either
    pass
if "NEWSMON_CACHE_DIR" not in os.environ:  # the built gazetteer goes to a folder of this run, not the user's cache
    os.environ["NEWSMON_CACHE_DIR"] = tempfile.mkdtemp(prefix="newsmon-test-cache-")
    atexit.register(shutil.rmtree, os.environ["NEWSMON_CACHE_DIR"], ignore_errors=True)

from click.testing import CliRunner, Result  # noqa: E402

from commands.cli import cli  # noqa: E402
from newsmon.sample_server import SampleSite, sample_expected  # noqa: E402

EXPECTED = sample_expected()  # expected.json, its dates moved as the served site's are


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the whole session: starting one costs 6–13 s."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture
def unwritable_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """NEWSMON_CACHE_DIR where no folder can be made (a file stands in the way): what is stored there is lost."""
    blocked = tmp_path / "a-file"
    blocked.write_text("in the way", encoding="utf-8")
    monkeypatch.setenv("NEWSMON_CACHE_DIR", str(blocked / "cache"))
    return blocked / "cache"


@pytest.fixture
def news_site() -> Iterator[SampleSite]:
    with SampleSite() as site:
        yield site


def source_entry(name: str, url: str, kind: str = "feed", lang: str | None = None) -> dict[str, str]:
    entry = {"name": name, "url": url, "kind": kind}
    if lang:
        entry["lang"] = lang
    return entry


def all_sample_sources(site: SampleSite) -> list[dict[str, str]]:
    return [
        source_entry("world", site.url("/feeds/world.rss"), lang="en"),
        source_entry("arabic", site.url("/feeds/arabic.atom"), lang="ar"),
        source_entry("briefs", site.url("/feeds/briefs.json")),
        source_entry("sitemap", site.url("/sitemap_index.xml"), kind="sitemap"),
        source_entry("iraq-section", site.url("/sections/iraq.html"), kind="page"),
    ]


def write_config(tmp_path: Path, sources: list[dict[str, str]], extra: str = "") -> Path:
    lines = ["[warehouse]", 'path = "data/newsmon.duckdb"', ""]
    for source in sources:
        lines.append("[[sources]]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in source.items())
        lines.append("")
    path = tmp_path / "newsmon.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def run_newsmon(*args: Any, input: str | None = None) -> Result:  # noqa: A002 - click's name
    """The CLI in this process (so it shares the session's Prefect harness), with stdout and stderr apart."""
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def query(config: Path, sql: str) -> list[dict[str, Any]]:
    """Rows from the latest snapshot, through `newsmon sql --json`, as an analyst would get them."""
    result = run_newsmon("sql", "--config", config, "--json", sql)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
