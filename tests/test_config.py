"""newsmon.toml is checked up front: a mistake exits 1 with a message naming the file, the source and the key.

These run `newsmon sources`, which reads the config before it opens anything, so no Prefect server is needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.config import load_config
from newsmon.sample_server import SampleSite
from tests.conftest import run_newsmon, source_entry, write_config

TIGRIS_EN = source_entry("tigris-en", "https://localhost/feeds/en.rss", lang="en")


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "newsmon.toml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_config_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSMON_CONFIG", raising=False)


@pytest.mark.parametrize(
    "body, message",
    [
        pytest.param(
            '[warehouse]\npath = "data/newsmon.duckdb\n',
            "not valid TOML: ",
            id="malformed-toml",
        ),
        pytest.param(
            '[[sources]]\nname = "tigris-ar "\nurl = "https://localhost/ar.rss"\n',
            '[[sources]] "tigris-ar ": name has spaces at its start or end',
            id="name-with-trailing-space",
        ),
        pytest.param(
            '[[sources]]\nname = "tigris-ar"\nurl = "https://localhost/ar.rss"\nkind = "rss"\n',
            """[[sources]] "tigris-ar": kind = "rss" is not a source kind. Use one of: feed, sitemap, page. """
            'RSS, Atom and JSON Feed are all kind = "feed".',
            id="unknown-kind",
        ),
        pytest.param(
            '[[sources]]\nname = "tigris-en"\nkind = "feed"\n',
            '[[sources]] "tigris-en": url is missing.',
            id="missing-url",
        ),
        pytest.param(
            '[[sources]]\nname = "tigris-en"\nurl = "ftp://localhost/en.rss"\n',
            """[[sources]] "tigris-en": url = 'ftp://localhost/en.rss' is not an http(s) URL.""",
            id="url-not-http",
        ),
        pytest.param(
            '[[sources]]\nurl = "https://localhost/en.rss"\n',
            "[[sources]] #1: name is missing. Every source needs a unique name.",
            id="missing-name",
        ),
        pytest.param(
            '[[sources]]\nname = "tigris-en"\nurl = "https://localhost/en.rss"\n\n'
            '[[sources]]\nname = "tigris-en"\nurl = "https://localhost/en-2.rss"\n',
            '[[sources]] "tigris-en": name "tigris-en" is used by an earlier source. Source names must be unique.',
            id="duplicate-source-name",
        ),
        pytest.param(
            "[fetch]\ntimeout = 5\n",
            "[fetch] unknown key 'timeout'. Known keys: fetch_timeout_s, max_body_bytes, max_feed_bytes, "
            "max_feed_items, max_retry_after_s, per_host_concurrency, per_host_delay_s, retry_attempts, "
            "retry_backoff_s, user_agent.",
            id="unknown-key-in-fetch",
        ),
        pytest.param(
            '[[sources]]\nname = "tigris-en"\nurl = "https://localhost/en.rss"\nlanguage = "en"\n',
            """[[sources]] "tigris-en": unknown key 'language'. Known keys: kind, lang, name, url.""",
            id="unknown-key-in-source",
        ),
        pytest.param(
            "[sources]\n",
            "sources must be an array of tables: write each source as [[sources]].",
            id="sources-not-an-array",
        ),
        pytest.param(
            "[warehous]\n",
            "unknown key 'warehous'. Known keys: classifier, digest, extract, fetch, places, pool, schedule, sources, "
            "warehouse.",
            id="unknown-table",
        ),
        pytest.param(
            '[warehouse]\ncatalog = "mysql:db=news"\n',
            "[warehouse] catalog = 'mysql:db=news': expected a SQLite file (sqlite:PATH) or postgres:",
            id="unknown-catalog-kind",
        ),
        pytest.param(
            '[warehouse]\ncatalog = "postgres:host=127.0.0.1 dbname=lake password=hunter2"\n',
            "[warehouse] catalog names a password; give it in $NEWSMON_CATALOG_PASSWORD or PGPASSWORD",
            id="password-in-the-file",
        ),
        pytest.param(
            '[warehouse]\ndata_path = "https://127.0.0.1/lake/"\n',
            "[warehouse] data_path = 'https://127.0.0.1/lake/': expected a folder or s3://bucket/prefix/",
            id="data-path-not-s3",
        ),
        pytest.param(
            '[warehouse]\ns3_url_style = "sideways"\n',
            "[warehouse] s3_url_style = 'sideways': expected 'vhost' or 'path'",
            id="bad-url-style",
        ),
        pytest.param(
            "[warehouse]\nkeep_snapshots_days = 0\n",
            "[warehouse] keep_snapshots_days = 0: expected a whole number of days, at least 1 (leave it out to keep "
            "every snapshot)",
            id="no-snapshot-kept",
        ),
        pytest.param(
            "[fetch]\nfetch_timeout_s = -1\n",
            "[fetch] fetch_timeout_s = -1.0: must not be negative.",
            id="negative-timeout",
        ),
        pytest.param(
            '[fetch]\nmax_body_bytes = "5MB"\n',
            "[fetch] max_body_bytes = '5MB': expected int.",
            id="size-as-string",
        ),
        pytest.param(
            "[extract]\nworkers = 2.5\n",
            "[extract] workers = 2.5: expected int.",
            id="fractional-workers",
        ),
        pytest.param(
            "[classifier.thresholds]\nreturns = 1.5\n",
            "[classifier.thresholds] returns = 1.5: expected a number from 0 to 1.",
            id="threshold-above-1",
        ),
        pytest.param(
            "[classifier.thresholds]\nreturnees = 0.6\n",
            "[classifier.thresholds] 'returnees' is not a tag. Use one of: isis, returns, reconciliation.",
            id="threshold-for-unknown-tag",
        ),
        pytest.param(
            '[digest]\nsmtp_security = "ssl"\n',
            "[digest] smtp_security = 'ssl': use one of starttls, tls, none.",
            id="smtp-security",
        ),
        pytest.param(
            '[digest]\nto = "analyst.localhost"\n',
            "[digest] to = ['analyst.localhost']: expected a list of email addresses.",
            id="digest-to-not-an-address",
        ),
        pytest.param(
            '[schedule]\ningest = "every 30 minutes"\n',
            '[schedule] ingest = "every 30 minutes" is not a cron expression such as "*/30 * * * *".',
            id="bad-ingest-cron",
        ),
        pytest.param(
            '[schedule]\ndigest = "0 25 * * *"\n',
            '[schedule] digest = "0 25 * * *" is not a cron expression such as "*/30 * * * *".',
            id="bad-digest-cron-hour",
        ),
    ],
)
def test_bad_config_exits_1_naming_file_and_key(tmp_path: Path, body: str, message: str) -> None:
    config = _config(tmp_path, body)
    result = run_newsmon("sources", "--config", config)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {config}: "), result.stderr
    assert message in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "data").exists(), "a refused config must not create the warehouse folder"


@pytest.mark.parametrize("key", [pytest.param("smtp_password", id="smtp_password"), pytest.param("password")])
def test_password_in_config_file_is_refused_pointing_to_the_environment(tmp_path: Path, key: str) -> None:
    config = _config(tmp_path, f'[digest]\nsmtp_user = "newsmon"\n{key} = "hunter2"\n')
    result = run_newsmon("sources", "--config", config)
    assert result.exit_code == 1
    assert (
        f"Error: {config}: [digest] passwords never go in the config file: set $NEWSMON_SMTP_PASSWORD." in result.stderr
    )
    assert "hunter2" not in result.output + result.stderr, "the password's value must never be echoed"


def test_a_missing_file_given_with_config_is_named_as_given(tmp_path: Path) -> None:
    result = run_newsmon("sources", "--config", tmp_path / "nope.toml")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'nope.toml'}: no such file; it was given with --config.\n"


def test_a_missing_relative_config_says_which_folder_it_was_looked_for_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_newsmon("digest", "--config", "configs/newsmon.toml", "--dry-run")
    assert result.exit_code == 1
    assert result.stderr == f"Error: configs/newsmon.toml: no such file (in {tmp_path}); it was given with --config.\n"


def test_no_config_anywhere_says_where_newsmon_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSMON_CONFIG", raising=False)
    result = run_newsmon("sources")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: no config file: newsmon.toml does not exist (in {tmp_path}). Pass")


def test_newsmon_config_env_is_used_without_config_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path, "[fetch]\ntimeout = 5\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("NEWSMON_CONFIG", str(config))
    result = run_newsmon("sources")
    assert result.exit_code == 1
    assert f"Error: {config}: [fetch] unknown key 'timeout'." in result.stderr


def test_newsmon_config_env_naming_a_missing_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _config(tmp_path, "")  # a valid ./newsmon.toml must not be used instead
    monkeypatch.setenv("NEWSMON_CONFIG", str(tmp_path / "gone.toml"))
    result = run_newsmon("sources")
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'gone.toml'}: no such file; it was named by $NEWSMON_CONFIG.\n"


def test_config_option_wins_over_newsmon_config_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = write_config(tmp_path, sources=[TIGRIS_EN])
    bad = tmp_path / "bad.toml"
    bad.write_text("[fetch]\ntimeout = 5\n", encoding="utf-8")
    monkeypatch.setenv("NEWSMON_CONFIG", str(bad))
    result = run_newsmon("sources", "--config", good)
    assert result.exit_code == 1  # the good config is read; there is no warehouse yet
    assert "no warehouse here yet. Run `newsmon run` first." in result.stderr
    assert "bad.toml" not in result.stderr


def test_newsmon_toml_in_current_folder_is_the_last_resort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _config(tmp_path, "[fetch]\ntimeout = 5\n")
    monkeypatch.chdir(tmp_path)
    result = run_newsmon("sources")
    assert result.exit_code == 1
    assert "Error: newsmon.toml: [fetch] unknown key 'timeout'." in result.stderr


def test_relative_warehouse_path_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    (config_dir / "newsmon.toml").write_text('[warehouse]\npath = "data/w.duckdb"\n', encoding="utf-8")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    result = run_newsmon("sources", "--config", "../conf/newsmon.toml")
    assert result.exit_code == 1
    expected = config_dir.resolve() / "data" / "w.catalog.sqlite"
    assert f"Error: {expected}: no warehouse here yet. Run `newsmon run` first." in result.stderr
    assert not (cwd / "data").exists()


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["trends"], id="trends"),
        pytest.param(["sql", "SELECT 1"], id="sql"),
        pytest.param(["retag"], id="retag"),
        pytest.param(["digest", "--dry-run"], id="digest"),
        pytest.param(["run"], id="run"),
    ],
)
def test_every_command_refuses_a_bad_config_before_contacting_a_source(
    tmp_path: Path, command: list[str], news_site: SampleSite
) -> None:
    source = source_entry("world", news_site.url("/feeds/world.rss"), lang="en")
    config = write_config(tmp_path, sources=[source], extra="[fetch]\ntimeout = 5\n")
    result = run_newsmon(*command, "--config", config)
    assert result.exit_code == 1
    assert f"Error: {config}: [fetch] unknown key 'timeout'." in result.stderr
    assert news_site.requests == []
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    "warehouse, message",
    [
        pytest.param('path = "afile/w.duckdb"', "afile: cannot create the warehouse's folder", id="folder-is-a-file"),
        pytest.param('path = "data"', "data: the warehouse path is a folder", id="path-is-a-folder"),
        pytest.param(
            'path = "w.duckdb"\ndata_path = "afile/files"',
            "afile/files: cannot create the warehouse data folder",
            id="data-folder-under-a-file",
        ),
    ],
)
def test_unwritable_warehouse_stops_run_before_the_pass_with_the_reason(
    tmp_path: Path, warehouse: str, message: str
) -> None:
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "data").mkdir()
    config = _config(tmp_path, f"[warehouse]\n{warehouse}\n")
    result = run_newsmon("run", "--config", config)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("weeks", ["0", "-3"])
def test_trends_needs_at_least_one_week(tmp_path: Path, weeks: str) -> None:
    result = run_newsmon("trends", "--config", _config(tmp_path, ""), "--weeks", weeks)
    assert result.exit_code == 2
    assert "Invalid value for '--weeks'" in result.stderr


def test_places_extra_names_is_read_relative_to_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "newsmon.toml"
    path.write_text('[warehouse]\npath = "w.duckdb"\n[places]\nextra_names = "more.toml"\n', encoding="utf-8")
    assert load_config(path).places.extra_names == tmp_path / "more.toml"
