"""Ingest benchmark: a full pass over N generated news pages on loopback, against trafilatura alone in one process.

    python bench/ingest.py [--articles 2000] [--sources 20] [--baseline-sample 300] [--site-server static|sample]

Prints articles/s, the split by stage, the CPU of every process on the machine's cores, peak RSS, the idle second
pass, and the one-shot `newsmon run` start-up. The pass is timed as `newsmon run` runs it once Python and Prefect's
server are up (read and check the config, then one flow run), on a warehouse that exists, as a scheduled pass finds
it. The site is served by a minimal static server in its own process (a real site's CPU is spent elsewhere, here
it shares the cores: see `served_elsewhere`). Numbers from different machines don't compare; the baseline measured
in the same run does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")

WORDS = (
    "the of and to in a on for with said officials province council families government local residents according "
    "statement week market prices water electricity election parliament committee budget road school hospital "
    "farmers wheat harvest traffic bridge university students teachers doctors nurses football club season city "
    "northern western southern district ministry spokesman announced plans project contract company workers "
    "salaries power grid rain summer winter festival museum heritage security forces displaced camp talks"
).split()
TARGET_RATIO = 1.7  # the engine issue's bar: a full pass against single-process trafilatura, in the same run
FEED_TEMPLATE = '<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(12, 24))
    return " ".join(words).capitalize() + "."


def make_page(index: int, rng: random.Random) -> bytes:
    """A news page of realistic weight: menus, inline CSS and scripts, rails, comments around ~900 words."""
    css = "\n".join(
        f".c{index}-{i} {{ margin: {i}px; padding: {i % 7}px; color: #{i * 99 % 0xFFFFFF:06x}; }}" for i in range(420)
    )
    script = "var cfg = {" + ",".join(f'"k{i}": "{rng.getrandbits(64):x}"' for i in range(900)) + "};"
    menu = "".join(
        f'<li><a href="/section/{w}-{i}">{w.title()} {i}</a></li>' for i, w in enumerate(rng.choices(WORDS, k=120))
    )
    body = "".join(f"<p>{' '.join(_sentence(rng) for _ in range(4))}</p>" for _ in range(14))
    rail = "".join(
        f'<li><a href="/articles/{rng.randint(1, 10**6)}-x-y.html">{_sentence(rng)}</a></li>' for _ in range(25)
    )
    comments = "".join(
        f'<div class="comment"><b>reader{i}</b><p>{_sentence(rng)} {_sentence(rng)}</p></div>' for i in range(25)
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Story {index}</title>"
        f"<meta property='article:published_time' content='2026-11-{index % 20 + 1:02d}T08:00:00Z'>"
        f"<style>{css}</style><script>{script}</script></head><body>"
        f"<header><nav><ul>{menu}</ul></nav>"
        f"<div class='cookie'>We use cookies to improve your experience.</div></header>"
        f"<main><article><h1>Story {index}: {_sentence(rng)}</h1>"
        f"<p class='byline'>By Staff Reporter</p>{body}</article>"
        f"<aside><h3>Most read</h3><ol>{rail}</ol></aside>"
        f"<section class='comments'><h3>Comments</h3>{comments}</section></main>"
        f"<div class='newsletter'>Sign up for our newsletter and get the news every morning.</div>"
        f"<footer><ul>{menu[:3000]}</ul><p>© 2019 Bench Times</p></footer>"
        f"<script>{script[:8000]}</script></body></html>"
    ).encode()


def write_site(root: Path, articles: int, sources: int, keep: int) -> tuple[list[bytes], float]:
    """Write the site; return the first `keep` pages (for the baseline) and the mean page size in KB."""
    rng = random.Random(20261125)
    (root / "articles").mkdir(parents=True)
    (root / "feeds").mkdir()
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    pages = []
    total_bytes = 0
    for i in range(articles):
        page = make_page(i, rng)
        (root / "articles" / f"story-{i:05d}-bench-page.html").write_bytes(page)
        total_bytes += len(page)
        if len(pages) < keep:
            pages.append(page)
    for s in range(sources):
        items = "".join(
            f"<item><title>Story {i}</title><link>{{{{BASE}}}}/articles/story-{i:05d}-bench-page.html</link>"
            f"<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>"
            for i in range(s, articles, sources)
        )
        (root / "feeds" / f"feed-{s:02d}.rss").write_text(FEED_TEMPLATE.format(name=f"feed {s}", items=items))
    return pages, total_bytes / articles / 1024


def trafilatura_alone(pages: list[bytes], fast: bool = False) -> float:
    """Docs/s of plain trafilatura.extract in this one process, precision settings, on the same HTML.

    `fast=True` skips trafilatura's comparison with readability and justext, as newsmon does on pages whose own
    extraction is long (all of these): beside the baseline, it tells the engine's gain from that one.
    """
    import trafilatura

    started = time.perf_counter()
    for page in pages:
        trafilatura.extract(page.decode(), favor_precision=True, include_comments=False, with_metadata=True, fast=fast)
    return len(pages) / (time.perf_counter() - started)


class _RemoteSite:
    def __init__(self, base_url: str, pid: int) -> None:
        self.base_url = base_url
        self.pid = pid

    def url(self, path: str) -> str:
        return self.base_url + path


@contextlib.contextmanager
def served_elsewhere(root: Path, server: str = "static") -> Iterator[_RemoteSite]:
    """The site in its own process, as a real server would be: its CPU is not the pipeline's.

    A real site spends its CPU on another machine; here it shares the 2 cores with the pass, so the default server
    is a minimal one (`serve_static`) that answers from memory. `server="sample"` serves the same files with
    newsmon's sample site (http.server), which the tests use, and costs the cores more; its CPU is printed either way.
    """
    # Pages are rendered (links filled in, dates shifted to today) before the pass: that is the sample site's own
    # work, which a real site's static files don't need, and on 2 cores it would compete with the pass.
    if server == "sample":
        code = (
            "import sys, time\nfrom pathlib import Path\nfrom newsmon.sample_server import SampleSite\n"
            "root = Path(sys.argv[1])\nsite = SampleSite(root).start()\n"
            "for path in root.rglob('*'):\n"
            "    if path.is_file():\n        site.render('/' + path.relative_to(root).as_posix())\n"
            "print(site.base_url, flush=True)\ntime.sleep(10**6)\n"
        )
        command = [sys.executable, "-c", code, str(root)]
    else:
        command = [sys.executable, __file__, "--serve-static", str(root)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield _RemoteSite(process.stdout.readline().strip(), process.pid)
    finally:
        process.kill()
        process.wait()


def serve_static(root: Path) -> None:
    """Serve `root` on a free loopback port, HTTP/1.1 with keep-alive, ETag and 304, from memory; print the base URL.

    Files are rendered once, as the sample site renders them (`{{BASE}}` filled in, dates moved to this week).
    """
    import asyncio
    import hashlib
    import socket

    from newsmon.sample_server import sample_date_shift, shift_dates

    types = {".html": "text/html; charset=utf-8", ".rss": "application/rss+xml; charset=utf-8",
             ".txt": "text/plain; charset=utf-8"}  # fmt: skip
    listener = socket.create_server(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    shift = sample_date_shift()
    files: dict[str, tuple[bytes, str, str]] = {}
    for path in root.rglob("*"):
        if path.is_file():
            body = shift_dates(path.read_text(encoding="utf-8").replace("{{BASE}}", base), shift).encode()
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            files["/" + path.relative_to(root).as_posix()] = (body, etag, types.get(path.suffix, "text/plain"))

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                target = head[0].split(" ")[1].split("?")[0]
                fields = {
                    k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)
                }
                found = files.get(target)
                if found is None:
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                elif fields.get("if-none-match") == found[1]:
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {found[1]}\r\nContent-Length: 0\r\n\r\n".encode())
                else:
                    body, etag, kind = found
                    writer.write(f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nETag: {etag}\r\n"
                                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)  # fmt: skip
                await writer.drain()
        writer.close()

    async def serve() -> None:
        async with await asyncio.start_server(answer, sock=listener):
            print(base, flush=True)
            await asyncio.Event().wait()

    asyncio.run(serve())


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process, from /proc (0 where /proc is absent)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prefect_server_pids() -> list[int]:
    """The temporary Prefect server this process started (a uvicorn child), whose CPU shares the machine."""
    mine = str(os.getpid())
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if stat.read_text().rsplit(")", 1)[1].split()[1] == mine:
                cmdline = (stat.parent / "cmdline").read_bytes()
                if b"uvicorn" in cmdline or b"prefect" in cmdline:
                    pids.append(int(stat.parent.name))
    return pids


def peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--sources", type=int, default=20)
    parser.add_argument("--baseline-sample", type=int, default=300, help="pages timed for the trafilatura baseline")
    parser.add_argument(
        "--site-server",
        choices=("static", "sample"),
        default="static",
        help="the site's server: a minimal one (default) or newsmon's sample site (http.server)",
    )
    parser.add_argument("--serve-static", type=Path, help=argparse.SUPPRESS)  # the site's process, see serve_static
    args = parser.parse_args()
    if args.serve_static:
        serve_static(args.serve_static)
        return

    from flows.ingest import ingest_flow

    work = Path(tempfile.mkdtemp(prefix="newsmon-bench-"))
    try:
        pages, mean_kb = write_site(work / "site", args.articles, args.sources, keep=args.baseline_sample)
        baseline = trafilatura_alone(pages)
        baseline_fast = trafilatura_alone(pages, fast=True)
        del pages  # the pass's peak RSS should be the pipeline's, not the benchmark's
        with served_elsewhere(work / "site", args.site_server) as site:
            lines = ["[warehouse]", 'path = "data/bench.duckdb"', ""]
            for s in range(args.sources):
                lines += [
                    "[[sources]]",
                    f'name = "bench-{s:02d}"',
                    f'url = "{site.url(f"/feeds/feed-{s:02d}.rss")}"',
                    "",
                ]
            config_path = work / "newsmon.toml"
            config_path.write_text("\n".join(lines))

            from prefect import flow

            from engine import check_before_pass
            from flows.ingest import run_ingest_once
            from newsmon.config import load_config
            from warehouse import open_warehouse

            @flow(name="bench-warm-up")
            def warm_up() -> None:
                """Starts Prefect's temporary server, as `newsmon serve` or a running server already has."""

            warm_up()
            # A scheduled pass finds its warehouse made: creating the lake and its schema is the first run's alone.
            open_warehouse(load_config(config_path).warehouse).close()
            servers = prefect_server_pids()
            others_before = [process_cpu_s(site.pid), sum(process_cpu_s(p) for p in servers)]
            cpu_before = _cpu_seconds()
            started = time.perf_counter()
            # What `newsmon run` does once Python and Prefect's server are up: read and check the config, then
            # run the pass as a flow run (Prefect's flow-run overhead included).
            config = load_config(config_path)
            check_before_pass(config)
            summary = run_ingest_once(config)
            full_s = time.perf_counter() - started
            cpu_main = _cpu_seconds() - cpu_before
            cpu_site = process_cpu_s(site.pid) - others_before[0]
            cpu_prefect = sum(process_cpu_s(p) for p in servers) - others_before[1]
            started = time.perf_counter()
            idle = run_ingest_once(load_config(config_path))  # nothing new: every feed answers 304
            idle_run_s = time.perf_counter() - started
            started = time.perf_counter()
            ingest_flow(str(config_path))  # as a deployment's run: its heartbeat thread is joined on its 1 s tick
            idle_flow_s = time.perf_counter() - started
        stages = summary.stage_seconds
        cpu_workers = summary.worker_cpu_s
        cpu_per_article_ms = cpu_workers / summary.articles_new * 1000 if summary.articles_new else 0.0
        inner_s = (summary.finished_at - summary.started_at).total_seconds()
        idle_inner_s = (idle.finished_at - idle.started_at).total_seconds()

        own_mb, children_mb = peak_rss_mb()
        rate = summary.articles_new / full_s
        ratio = rate / baseline
        startup_s = oneshot_startup(work)
        workers = os.cpu_count()
        print(
            f"pages     {args.articles} generated, {mean_kb:.0f} KB on average, "
            f"{args.sources} feed sources, {workers} cores"
        )
        print(f"baseline  trafilatura alone, 1 process       {baseline:7.1f} docs/s   ({args.baseline_sample} pages)")
        print(
            f"          the same with fast=True (no comparison with readability and justext, as newsmon skips it on "
            f"long pages) {baseline_fast:7.1f} docs/s; the pass is {rate / baseline_fast:.2f}x that"
        )
        print(
            f"newsmon   full pass, {workers} extraction workers    {rate:7.1f} docs/s   {ratio:.2f}x baseline "
            f"(target >= {TARGET_RATIO:.2f}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'})  "
            f"[{summary.articles_new} stored in {full_s:.1f} s]"
        )
        pass_rate = summary.articles_new / inner_s
        print(
            f"          the pass alone, without the flow run's own cost {pass_rate:7.1f} docs/s   "
            f"{pass_rate / baseline:.2f}x baseline  (without the config check and the flow run around it)"
        )
        busy = "  ".join(f"{k} {v:.1f} s" for k, v in stages.items())
        print(
            f"stages    {busy}  orchestration {full_s - inner_s:.1f} s  (busy seconds summed over workers; "
            f"pass wall {inner_s:.1f} s)"
        )
        print(
            f"cpu       full pass: main process {cpu_main:.1f} s, extraction workers {cpu_workers:.1f} s "
            f"({cpu_per_article_ms:.1f} ms per stored article), "
            f"of {(workers or 1) * full_s:.1f} core-seconds in the run's wall time"
        )
        print(
            f"          beside it on the same cores: the site's server ({args.site_server}) {cpu_site:.1f} s, "
            f"Prefect's temporary server {cpu_prefect:.1f} s"
        )
        print(f"memory    peak RSS: main process {own_mb:.0f} MB, largest worker {children_mb:.0f} MB")
        print(
            f"idle      second pass, nothing new, {args.sources} sources: {idle_inner_s:.2f} s inside a running "
            f"process (target < 2 s: {'met' if idle_inner_s < 2 else 'NOT met'}); {idle_run_s:.2f} s as `newsmon run` "
            f"runs it, {idle_flow_s:.2f} s as a deployment's flow run"
        )
        print(f"one-shot  `newsmon run` in a fresh process (temporary Prefect server included): {startup_s:.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def oneshot_startup(work: Path) -> float:
    """Wall time of a fresh `newsmon run` over a config with no sources: what Prefect's start-up costs."""
    config = work / "empty.toml"
    config.write_text('[warehouse]\npath = "data/empty.duckdb"\n')
    newsmon = Path(sys.executable).with_name("newsmon")
    started = time.perf_counter()
    subprocess.run(
        [str(newsmon), "run", "--config", str(config)],
        check=True,
        capture_output=True,
        env={**os.environ, "PREFECT_HOME": str(work / "prefect-home")},
    )
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
