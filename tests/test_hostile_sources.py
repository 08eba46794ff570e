"""`newsmon run` against hostile and broken sources beside a healthy one: the pass ends in bounded time, every
healthy article is stored, and each failure is a `fetches` row whose error names its reason.

Each pass costs a worker pool start, so one pass covers many faults: one feed links to every broken page.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.sample_server import SampleSite
from tests import faults as fault_routes
from tests.conftest import query, run_newsmon, source_entry, write_config
from tests.faults import ARABIC_SENTENCE, Faults, install_faults

pytestmark = pytest.mark.usefixtures("prefect_harness")

FAST_FETCH = """
[fetch]
fetch_timeout_s = 1.0
retry_attempts = 2
retry_backoff_s = 0.0
"""
PASS_LIMIT_S = 30  # a pass over these faults takes about 5 s; a fault that hangs the pass would take minutes

# Path of each broken page → the start of its `fetches.error`.
BROKEN_PAGES = {
    "/faults/never-answers": "timeout: no complete answer within 1 s",
    "/faults/answers-after-a-minute": "timeout: no complete answer within 1 s",
    "/faults/drips-a-byte-at-a-time": "timeout: no complete answer within 1 s",
    "/faults/status-500": "http_status: 500 Internal Server Error",
    "/faults/status-404": "http_status: 404 Not Found",
    "/faults/status-410": "http_status: 410 Gone",
    "/faults/retry-after-an-hour": "http_status: 429 Too Many Requests, Retry-After 3600 s",
    "/faults/reset-mid-body": "connection: ReadError: [Errno 104] Connection reset by peer",
    "/faults/huge-page-declared": "too_large: Content-Length 30,000,000 bytes exceeds the 5,000,000-byte cap",
    "/faults/huge-page-streamed": "too_large: body exceeds the 5,000,000-byte cap",
    "/faults/gzip-bomb": "too_large: body exceeds the 5,000,000-byte cap after decompression (gzip)",
    "/faults/redirect-loop": "too_many_redirects: redirect loop",
    "/faults/redirect-to-file": "unsafe_url: redirect to a non-http(s) URL: file:///etc/passwd",
    "/faults/redirect-to-unspecified-address": "unsafe_url: 0.0.0.0 resolves to 0.0.0.0",
    "/faults/redirect-to-robots-disallowed": "robots_disallowed: robots.txt of 127.0.0.1 disallows /private/draft.html",
    "/private/draft.html": "robots_disallowed: robots.txt of 127.0.0.1 disallows /private/draft.html",
    "/faults/pdf": "not_html: Content-Type application/pdf, expected HTML",
    "/faults/image": "not_html: Content-Type image/png, expected HTML",
    "/faults/empty": "empty_body: 200 with an empty body",
}
HEALTHY_PAGES = ("/faults/charset-header-lies", "/faults/retry-after-1-s-then-ok")


@pytest.fixture
def faults(news_site: SampleSite) -> Iterator[Faults]:
    installed = install_faults(news_site)
    yield installed
    installed.release()


def test_broken_pages_are_recorded_and_healthy_ones_stored(faults: Faults, tmp_path: Path) -> None:
    site = faults.site
    port = site.base_url.rsplit(":", 1)[1]
    links = [site.url(p) for p in (*BROKEN_PAGES, *HEALTHY_PAGES)]
    links += ["file:///etc/passwd", f"http://0.0.0.0:{port}/articles/en/kocho-site-exhumation.html"]
    feed = fault_routes._rss("", [(f"Item {n}", link) for n, link in enumerate(links)]).encode()
    site.routes["/faults/hostile.rss"] = lambda handler: handler.send_body(200, feed, "application/rss+xml")
    sources = [
        source_entry("hostile", site.url("/faults/hostile.rss"), lang="en"),
        source_entry("arabic", site.url("/feeds/arabic.atom"), lang="ar"),
    ]
    config = write_config(tmp_path, sources, FAST_FETCH)

    started = time.monotonic()
    result = run_newsmon("run", "--config", config)
    elapsed = time.monotonic() - started

    assert result.exit_code == 0, result.output
    assert elapsed < PASS_LIMIT_S, f"the pass took {elapsed:.0f} s"
    stored = {r["url"].removeprefix(site.base_url): r for r in query(config, "SELECT url, source, text FROM articles")}
    assert sorted(p for p, r in stored.items() if r["source"] == "arabic") == sorted(
        f"/articles/ar/{slug}.html"
        for slug in ("anbar-desert-sweep", "basra-water-salinity", "diyala-elders-conference", "jeddah-center-arrivals",
                     "sinjar-morning-buses")
    )  # fmt: skip
    assert sorted(p for p, r in stored.items() if r["source"] == "hostile") == sorted(HEALTHY_PAGES)
    assert ARABIC_SENTENCE in stored["/faults/charset-header-lies"]["text"], "the lying charset header was believed"

    errors = {
        r["url"]: r["error"] or "" for r in query(config, "SELECT url, error FROM fetches WHERE source = 'hostile'")
    }
    wrong = {
        path: errors.get(site.url(path)) for path, expected in BROKEN_PAGES.items()
        if not errors.get(site.url(path), "").startswith(expected)
    }  # fmt: skip
    assert not wrong, f"unexpected fetches.error per page: {wrong}"
    assert errors["file:///etc/passwd"].startswith("unsafe_url: not an http(s) URL")
    assert errors[f"http://0.0.0.0:{port}/articles/en/kocho-site-exhumation.html"].startswith("unsafe_url: 0.0.0.0")

    assert not [r.path for r in site.requests if r.path.startswith("/private/")], "robots.txt was not obeyed"
    assert faults.hits["/faults/retry-after-1-s-then-ok"] == 2, "a short Retry-After is retried within the pass"
    assert faults.hits["/faults/retry-after-an-hour"] == 1, "a long Retry-After waits for the next pass"
    assert faults.bytes_sent["/faults/huge-page-streamed"] < fault_routes.HUGE_PAGE_BYTES


def test_broken_feeds_keep_what_they_can_and_huge_feeds_are_capped(faults: Faults, tmp_path: Path) -> None:
    site = faults.site
    sources = [
        source_entry("truncated", site.url("/faults/feed-truncated.rss"), lang="en"),
        source_entry("entities", site.url("/faults/feed-bad-entities.rss"), lang="en"),
        source_entry("html-feed", site.url("/faults/feed-is-html.rss")),
        source_entry("silent-feed", site.url("/faults/never-answers")),
        source_entry("huge-feed", site.url("/faults/feed-50k-items.rss"), lang="en"),
        source_entry("arabic", site.url("/feeds/arabic.atom"), lang="ar"),
    ]
    config = write_config(tmp_path, sources, FAST_FETCH + "max_feed_items = 20\n")

    started = time.monotonic()
    result = run_newsmon("run", "--config", config)
    elapsed = time.monotonic() - started

    assert result.exit_code == 0, result.output
    assert elapsed < PASS_LIMIT_S, f"the pass took {elapsed:.0f} s"
    counts = {r["source"]: r["n"] for r in query(config, "SELECT source, count(*) AS n FROM articles GROUP BY source")}
    assert counts == {"truncated": 3, "entities": 2, "huge-feed": 20, "arabic": 5}
    truncated = {r["url"].removeprefix(site.base_url) for r in query(config, "SELECT url FROM articles")}
    assert set(fault_routes.TRUNCATED_FEED_ARTICLES) <= truncated
    assert fault_routes.TRUNCATED_FEED_LOST not in truncated, "an item cut mid-link must not be guessed at"
    numbered = sorted(r.path for r in site.requests if r.path.startswith("/faults/numbered-article"))
    assert numbered == sorted(f"/faults/numbered-article?n={n}" for n in range(20)), "only the first 20 items"

    health = {
        r["source"]: r for r in query(config, "SELECT source, consecutive_failures, last_error FROM source_state")
    }
    assert health["html-feed"]["last_error"].startswith("feed_invalid: an HTML page, not a feed, and it links to no")
    assert health["silent-feed"]["last_error"].startswith("timeout: no complete answer within 1 s")
    assert all(health[s]["consecutive_failures"] == 0 for s in ("truncated", "entities", "huge-feed", "arabic"))

    site.requests.clear()
    assert run_newsmon("run", "--config", config).exit_code == 0
    assert [r.path for r in site.requests if r.path.startswith(("/articles/", "/faults/numbered"))] == []
    assert query(config, "SELECT articles_new FROM runs ORDER BY run_id DESC LIMIT 1") == [{"articles_new": 0}]
