"""Months unattended: a killed pass, two passes at once and an analyst holding the warehouse open lose nothing."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.passlock import pass_lock
from newsmon.sample_server import SampleSite
from tests.conftest import query, run_newsmon, source_entry, write_config

pytestmark = pytest.mark.usefixtures("prefect_harness")

ARTICLES = 40
PASS_MARK = "NEWSMON_TEST_PASS"  # set in a killed pass's environment, which its forkserver and workers inherit


def _article_page(index: int) -> bytes:
    paragraphs = "".join(
        f"<p>Report {index}, paragraph {p}: the district council in Tal Afar met farmers and engineers on "
        f"Tuesday to agree a repair schedule for canal section {index * 10 + p}, which has leaked since spring "
        f"and left {index + p} villages short of water for their wheat and barley fields.</p>"
        for p in range(6)
    )
    return (
        f"<html><head><title>Canal report {index}</title>"
        f"<meta property='article:published_time' content='2026-11-{index % 20 + 1:02d}T09:00:00Z'></head>"
        f"<body><nav><a href='/'>Home</a> <a href='/sections/iraq.html'>Iraq</a></nav>"
        f"<article><h1>Canal repairs agreed for district {index}</h1>{paragraphs}</article>"
        f"<footer>© 2019 The Tigris Observer</footer></body></html>"
    ).encode()


@pytest.fixture
def slow_site() -> Iterator[SampleSite]:
    """A feed of 40 generated articles, each page served after 50 ms, so a pass lasts long enough to be killed."""
    with SampleSite() as site:
        items = "".join(
            f"<item><title>Canal report {i}</title><link>{site.url(f'/canal/report-{i}-repairs.html')}</link></item>"
            for i in range(ARTICLES)
        )
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>{items}</channel></rss>'.encode()
        site.routes["/feeds/canal.rss"] = lambda h: h.send_body(200, feed, "application/rss+xml")
        for i in range(ARTICLES):

            def serve(handler, index=i):  # type: ignore[no-untyped-def]
                time.sleep(0.05)
                handler.send_body(200, _article_page(index), "text/html; charset=utf-8")

            site.routes[f"/canal/report-{i}-repairs.html"] = serve
        yield site


def _newsmon_process(config: Path) -> subprocess.Popen[str]:
    """`newsmon run` in its own process, on the session's Prefect server (no temporary server of its own)."""
    from prefect.settings import PREFECT_API_URL

    # The mark lets the orphan check know this pass's processes from those of other test runs on the machine.
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()), PASS_MARK: str(config)}
    return subprocess.Popen(
        [sys.executable, "-m", "commands.cli", "run", "--config", str(config)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _assert_no_orphaned_workers(killed_pid: int, config: Path, timeout_s: float = 10) -> None:
    """The killed pass's extraction workers and forkserver end themselves instead of living on."""
    import psutil

    def orphans() -> list[psutil.Process]:
        found = []
        for proc in psutil.process_iter(["cmdline", "ppid"]):
            cmdline = " ".join(proc.info["cmdline"] or [])
            if "multiprocessing.forkserver" in cmdline and proc.info["ppid"] in (1, killed_pid):
                with contextlib.suppress(psutil.Error):
                    if proc.environ().get(PASS_MARK) == str(config):
                        found.append(proc)
        return found

    deadline = time.monotonic() + timeout_s
    while orphans() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert orphans() == [], "a killed pass must not leave extraction workers behind"


def _wait_for_articles_served(site: SampleSite, count: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while sum(r.path.startswith("/canal/") for r in site.requests) < count:
        assert time.monotonic() < deadline, f"the pass never fetched {count} articles"
        time.sleep(0.02)


@pytest.mark.parametrize("kill_after_articles", [1, 15, 30], ids=["early-fetch", "mid-pass", "late-pass"])
def test_killed_pass_then_rerun_stores_every_article_once(
    slow_site: SampleSite, tmp_path: Path, kill_after_articles: int
) -> None:
    config = write_config(tmp_path, [source_entry("canal", slow_site.url("/feeds/canal.rss"))])
    process = _newsmon_process(config)
    try:
        _wait_for_articles_served(slow_site, kill_after_articles)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    _assert_no_orphaned_workers(process.pid, config)

    rerun = run_newsmon("run", "--config", config)
    assert rerun.exit_code == 0, rerun.output

    rows = query(config, "SELECT url, count(*) AS n, min(word_count) AS words, min(length(text)) AS chars "
                         "FROM articles GROUP BY url")  # fmt: skip
    assert len(rows) == ARTICLES
    assert all(r["n"] == 1 and r["words"] > 100 and r["chars"] > 600 for r in rows), rows
    orphans = query(
        config,
        "SELECT f.url FROM fetches f WHERE f.error IS NULL AND f.url LIKE '%/canal/%' "
        "AND f.url NOT IN (SELECT url FROM article_urls)",
    )
    assert orphans == [], "a fetch counted as done must have its article stored"
    runs = query(config, "SELECT status FROM runs ORDER BY run_id")
    assert [r["status"] for r in runs] == ["interrupted", "completed"]


def test_second_pass_while_one_runs_exits_with_a_clear_message(news_site: SampleSite, tmp_path: Path) -> None:
    config = write_config(tmp_path, [source_entry("arabic", news_site.url("/feeds/arabic.atom"))])
    warehouse = tmp_path / "data" / "newsmon.duckdb"
    with pass_lock(warehouse):
        result = run_newsmon("run", "--config", config)
    assert result.exit_code == 1
    assert "another pass is already running" in result.stderr
    assert not [r for r in news_site.requests if r.path.startswith("/feeds/")], "the refused pass fetched nothing"
    assert run_newsmon("run", "--config", config).exit_code == 0, "once the first pass ends, the next one runs"


HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect()
    con.execute(open(sys.argv[1]).read())  # what `newsmon attach` printed, as any DuckDB client would run it
    con.execute("BEGIN TRANSACTION")  # held across every pass that follows
    for line in sys.stdin:
        print(con.execute("SELECT count(*) FROM articles").fetchone()[0], flush=True)
    """
)


def test_analyst_session_holding_a_transaction_never_blocks_a_pass(news_site: SampleSite, tmp_path: Path) -> None:
    feeds = ["/feeds/arabic.atom", "/feeds/briefs.json", "/feeds/world.rss"]
    config = write_config(tmp_path, [source_entry("arabic", news_site.url(feeds[0]))])
    assert run_newsmon("run", "--config", config).exit_code == 0
    attach = run_newsmon("attach", "--config", config)
    assert attach.exit_code == 0 and "READ_ONLY" in attach.stdout
    (tmp_path / "attach.sql").write_text(attach.stdout, encoding="utf-8")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "attach.sql")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdin and holder.stdout

    def held_count() -> int:
        holder.stdin.write("count\n")
        holder.stdin.flush()
        return int(holder.stdout.readline())

    try:
        first = held_count()
        assert first == 5
        counts = []
        for index in range(2, len(feeds) + 1):
            sources = [source_entry(f"s{i}", news_site.url(f)) for i, f in enumerate(feeds[:index])]
            config = write_config(tmp_path, sources)
            started = time.monotonic()
            result = run_newsmon("run", "--config", config)
            assert result.exit_code == 0, result.output
            assert time.monotonic() - started < 30
            assert held_count() == first, "the open transaction keeps reading its snapshot"
            counts.append(query(config, "SELECT count(*) AS n FROM articles")[0]["n"])
        assert counts[0] > first and counts[1] > counts[0], "a new session sees each pass's articles"
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_a_crashing_source_is_recorded_and_the_pass_goes_on(news_site: SampleSite, tmp_path: Path) -> None:
    """A bug in one source's handling (not a bad page: those are failures, not crashes) costs only that source."""
    from engine.ingest_pass import IngestPass, summary_or_crash
    from newsmon.config import load_config

    config = load_config(write_config(tmp_path, [source_entry("arabic", news_site.url("/feeds/arabic.atom"))]))

    def crashing_source() -> None:
        raise KeyError("a parser bug")

    with IngestPass.open(config) as ingest_pass:
        summary = summary_or_crash(ingest_pass, config.sources[0], crashing_source)  # type: ignore[arg-type]
        ingest_pass.finish([summary])
    assert summary.failed == 1 and summary.errors == ["crashed: KeyError: 'a parser bug'"]
    health = query(config.path, "SELECT consecutive_failures, last_error FROM source_state")
    assert health == [{"consecutive_failures": 1, "last_error": "crashed: KeyError: 'a parser bug'"}]
    assert query(config.path, "SELECT status FROM runs") == [{"status": "completed"}]


def test_digest_preview_never_waits_behind_a_running_pass(news_site: SampleSite, tmp_path: Path) -> None:
    config = write_config(tmp_path, [source_entry("arabic", news_site.url("/feeds/arabic.atom"))])
    assert run_newsmon("run", "--config", config).exit_code == 0
    started = time.monotonic()
    with pass_lock(tmp_path / "data" / "newsmon.duckdb"):
        result = run_newsmon("digest", "--config", config, "--dry-run")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 10, "the preview reads a snapshot instead of waiting for the lock"
    assert "Subject:" in result.stdout


def test_page_that_failed_once_is_retried_even_when_its_feed_answers_304(news_site: SampleSite, tmp_path: Path) -> None:
    flaky = "/articles/en/ramadi-elders-gathering.html"
    original = news_site.render(flaky)
    calls = {"n": 0}

    def down_for_the_first_pass(handler) -> None:  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] <= 3:  # the first pass: three attempts, all 503
            handler.send_body(503, b"busy", "text/plain")
        else:
            handler.send_body(200, original, "text/html; charset=utf-8")

    news_site.routes[flaky] = down_for_the_first_pass
    extra = "[fetch]\nretry_backoff_s = 0.0\n"
    config = write_config(tmp_path, [source_entry("world", news_site.url("/feeds/world.rss"))], extra=extra)
    assert run_newsmon("run", "--config", config).exit_code == 0
    assert query(config, f"SELECT count(*) AS n FROM articles WHERE url LIKE '%{flaky}'") == [{"n": 0}]
    attempts = query(config, f"SELECT status, error FROM fetches WHERE url LIKE '%{flaky}'")
    assert [a["status"] for a in attempts] == [503, 503, 503], "one `fetches` row per attempt, retries included"

    news_site.requests.clear()
    assert run_newsmon("run", "--config", config).exit_code == 0
    assert any(r.path == "/feeds/world.rss" and "if-none-match" in r.headers for r in news_site.requests)
    assert query(config, f"SELECT count(*) AS n FROM articles WHERE url LIKE '%{flaky}'") == [{"n": 1}]


def test_a_killed_extraction_worker_costs_only_the_pages_it_held(slow_site: SampleSite, tmp_path: Path) -> None:
    import threading

    import psutil

    def kill_one_worker() -> None:
        _wait_for_articles_served(slow_site, 10)
        workers = [p for p in psutil.Process().children(recursive=True) if "forkserver" in " ".join(p.cmdline())]
        leaves = [p for p in workers if p.parent() is not None and p.parent().pid != os.getpid()]
        leaves[0].kill()

    config = write_config(tmp_path, [source_entry("canal", slow_site.url("/feeds/canal.rss"))])
    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    result = run_newsmon("run", "--config", config)
    killer.join()
    assert result.exit_code == 0, result.output
    stored = query(config, "SELECT count(*) AS n FROM articles")[0]["n"]
    failed = query(config, "SELECT count(*) AS n FROM fetches WHERE reason = 'worker_crashed'")
    assert stored + failed[0]["n"] == ARTICLES and stored >= ARTICLES - 16, (stored, failed)
    assert run_newsmon("run", "--config", config).exit_code == 0
    assert query(config, "SELECT count(*) AS n FROM articles")[0]["n"] == ARTICLES, "the next pass retries them"

