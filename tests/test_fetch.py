"""The fetcher against real servers on loopback: politeness (robots.txt, Crawl-delay, retries), safety (address
guard, size caps, deadlines) and decoding. Time comes in through `sleep`, so retry waits cost nothing."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extractors import Fetcher, FetchResult, Validators, decode_html
from newsmon.config import FetchConfig
from newsmon.records import FailureReason
from newsmon.sample_server import SampleSite
from tests.faults import ARABIC_PAGE, ARABIC_SENTENCE, HUGE_PAGE_BYTES, Faults, install_faults
from tests.tls import make_certificate

FAST = FetchConfig(fetch_timeout_s=1.0, retry_attempts=1, retry_backoff_s=0.0)


class RecordedSleep:
    """Stands in for asyncio.sleep: remembers each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def faults(news_site: SampleSite) -> Iterator[Faults]:
    """Fault routes on a fresh site, for tests that count requests or depend on a route's first answer."""
    installed = install_faults(news_site)
    yield installed
    installed.release()


@pytest.fixture(scope="module")
def shared_faults() -> Iterator[Faults]:
    """Fault routes on one site for the module's stateless checks (stopping a site costs half a second)."""
    with SampleSite() as site:
        installed = install_faults(site)
        yield installed
        installed.release()


def fetch_all(
    urls: list[str],
    settings: FetchConfig = FAST,
    *,
    allow_private: bool = True,
    sleep: RecordedSleep | None = None,
    **options: Any,
) -> list[FetchResult]:
    """Fetch URLs one after another with one Fetcher, as one pass of one source does."""

    async def run() -> list[FetchResult]:
        async with Fetcher(settings, allow_private=allow_private, sleep=sleep or RecordedSleep()) as fetcher:
            return [await fetcher.fetch(url, "test", **options) for url in urls]

    return asyncio.run(run())


def fetch_one(url: str, settings: FetchConfig = FAST, **options: Any) -> FetchResult:
    return fetch_all([url], settings, **options)[0]


@pytest.mark.parametrize(
    "path, error_start, status",
    [
        pytest.param("/faults/never-answers", "timeout: no complete answer within 1 s", None, id="never-answers"),
        pytest.param("/faults/answers-after-a-minute", "timeout:", None, id="answers-after-a-minute"),
        pytest.param("/faults/drips-a-byte-at-a-time", "timeout:", None, id="drips-forever"),
        pytest.param("/faults/status-500", "http_status: 500 Internal Server Error", 500, id="500"),
        pytest.param("/faults/status-404", "http_status: 404 Not Found", 404, id="404"),
        pytest.param("/faults/status-410", "http_status: 410 Gone", 410, id="410"),
        pytest.param("/faults/reset-mid-body", "connection: ReadError: [Errno 104] Connection reset", None, id="reset"),
        pytest.param("/faults/huge-page-declared", "too_large: Content-Length 30,000,000", 200, id="30-mb-declared"),
        pytest.param("/faults/huge-page-streamed", "too_large: body exceeds the 5,000,000", 200, id="30-mb-streamed"),
        pytest.param("/faults/gzip-bomb", "too_large: body exceeds the 5,000,000-byte cap after", 200, id="gzip-bomb"),
        pytest.param("/faults/redirect-loop", "too_many_redirects: redirect loop", None, id="redirect-loop"),
        pytest.param("/faults/redirect-to-file", "unsafe_url: redirect to a non-http(s) URL", None, id="redirect-file"),
        pytest.param("/faults/redirect-to-unspecified-address", "unsafe_url: 0.0.0.0 resolves", None, id="to-0.0.0.0"),
        pytest.param("/faults/redirect-to-robots-disallowed", "robots_disallowed:", None, id="redirect-robots"),
        pytest.param("/faults/pdf", "not_html: Content-Type application/pdf", 200, id="pdf"),
        pytest.param("/faults/image", "not_html: Content-Type image/png", 200, id="image"),
        pytest.param("/faults/empty", "empty_body:", 200, id="empty-200"),
        pytest.param("/private/draft.html", "robots_disallowed:", None, id="robots-disallowed"),
    ],
)
def test_hostile_page_ends_as_a_failure_with_its_reason(
    shared_faults: Faults, path: str, error_start: str, status: int | None
) -> None:
    started = time.monotonic()
    result = fetch_one(shared_faults.url(path))
    assert not result.ok and result.body == b""
    assert (result.attempt.error or "").startswith(error_start), result.attempt.error
    assert result.attempt.status == status
    assert time.monotonic() - started < 5, "every fault must end within the fetch timeout, not the server's pace"


def test_redirect_to_a_disallowed_path_is_never_requested(faults: Faults) -> None:
    fetch_one(faults.url("/faults/redirect-to-robots-disallowed"))
    assert [r.path for r in faults.site.requests if r.path.startswith("/private/")] == []


def test_streamed_30_mb_page_is_abandoned_at_the_cap(shared_faults: Faults) -> None:
    tracemalloc.start()
    try:
        result = fetch_one(shared_faults.url("/faults/huge-page-streamed"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (result.attempt.error or "").startswith("too_large")
    assert peak < 2 * FAST.max_body_bytes, f"peak {peak:,} bytes: the fetcher buffered past its cap"
    assert _settled(shared_faults, "/faults/huge-page-streamed") < HUGE_PAGE_BYTES, "the fetcher read the whole 30 MB"


def test_gzip_bomb_never_expands_past_the_cap(shared_faults: Faults) -> None:
    settings = FetchConfig(fetch_timeout_s=5.0, retry_attempts=1, max_body_bytes=1_000_000)
    tracemalloc.start()
    try:
        result = fetch_one(shared_faults.url("/faults/gzip-bomb"), settings)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (result.attempt.error or "").startswith("too_large: body exceeds the 1,000,000-byte cap after")
    # httpx inflates each network chunk whole: 64 kB of this bomb is 64 MB. We inflate in 64 kB pieces.
    assert peak < 4_000_000, f"peak {peak:,} bytes while refusing a 1 MB-capped gzip bomb"


def test_gzip_page_within_the_cap_is_decompressed(news_site: SampleSite) -> None:
    import gzip

    news_site.routes["/gzipped.html"] = lambda h: h.send_body(
        200, gzip.compress(ARABIC_PAGE), "text/html; charset=utf-8", {"Content-Encoding": "gzip"}
    )
    result = fetch_one(news_site.url("/gzipped.html"))
    assert result.ok and result.body == ARABIC_PAGE


def test_raw_deflate_body_is_decompressed(news_site: SampleSite) -> None:
    import zlib

    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = raw.compress(ARABIC_PAGE) + raw.flush()
    news_site.routes["/deflated.html"] = lambda h: h.send_body(200, body, "text/html", {"Content-Encoding": "deflate"})
    result = fetch_one(news_site.url("/deflated.html"))
    assert result.ok and result.body == ARABIC_PAGE


def _settled(faults: Faults, path: str) -> int:
    """Bytes the server sent once it has noticed the client is gone (socket buffers take a few MB first)."""
    previous = -1
    while faults.bytes_sent[path] != previous:
        previous = faults.bytes_sent[path]
        time.sleep(0.2)
    return previous


def test_lying_charset_header_still_gives_arabic(shared_faults: Faults) -> None:
    result = fetch_one(shared_faults.url("/faults/charset-header-lies"))
    assert result.ok and result.charset == "iso-8859-1"
    assert ARABIC_SENTENCE in result.text()


def test_503_is_retried_with_doubling_backoff(faults: Faults) -> None:
    sleep = RecordedSleep()
    settings = FetchConfig(fetch_timeout_s=1.0, retry_attempts=3, retry_backoff_s=2.0)
    result = fetch_all([faults.url("/faults/unavailable-twice-then-ok")], settings, sleep=sleep)[0]
    assert result.ok and result.attempt.status == 200
    assert sleep.waits == [2.0, 4.0]
    assert faults.hits["/faults/unavailable-twice-then-ok"] == 3


def test_short_retry_after_is_honoured_within_the_pass(faults: Faults) -> None:
    sleep = RecordedSleep()
    settings = FetchConfig(fetch_timeout_s=1.0, retry_attempts=2, retry_backoff_s=0.0)
    result = fetch_all([faults.url("/faults/retry-after-1-s-then-ok")], settings, sleep=sleep)[0]
    assert result.ok
    assert sleep.waits == [1.0]


def test_long_retry_after_leaves_the_url_to_the_next_pass(faults: Faults) -> None:
    sleep = RecordedSleep()
    settings = FetchConfig(fetch_timeout_s=1.0, retry_attempts=3, retry_backoff_s=0.0)
    result = fetch_all([faults.url("/faults/retry-after-an-hour")], settings, sleep=sleep)[0]
    assert result.attempt.error == "http_status: 429 Too Many Requests, Retry-After 3600 s"
    assert sleep.waits == [] and faults.hits["/faults/retry-after-an-hour"] == 1


def test_404_is_not_retried(faults: Faults) -> None:
    settings = FetchConfig(fetch_timeout_s=1.0, retry_attempts=3, retry_backoff_s=0.0)
    fetch_all([faults.url("/faults/status-404")], settings)
    assert faults.hits["/faults/status-404"] == 1


def test_etag_gives_304_on_the_second_fetch(news_site: SampleSite) -> None:
    url = news_site.url("/feeds/world.rss")
    first = fetch_one(url, expect_html=False)
    assert first.ok and first.validators.etag
    second = fetch_one(url, expect_html=False, validators=first.validators)
    assert second.not_modified and second.attempt.status == 304 and second.ok
    assert news_site.requests[-1].headers["if-none-match"] == first.validators.etag


def test_changed_etag_fetches_the_feed_again(news_site: SampleSite) -> None:
    result = fetch_one(news_site.url("/feeds/world.rss"), expect_html=False, validators=Validators(etag='"stale"'))
    assert result.ok and not result.not_modified and result.body.startswith(b"<?xml")


def test_unspecified_address_is_refused_without_a_request(news_site: SampleSite) -> None:
    port = news_site.base_url.rsplit(":", 1)[1]
    result = fetch_one(f"http://0.0.0.0:{port}/articles/en/kocho-site-exhumation.html")
    assert (result.attempt.error or "").startswith("unsafe_url: 0.0.0.0 resolves to 0.0.0.0, an address newsmon never")
    assert news_site.requests == []


def test_loopback_is_refused_unless_the_source_is_private(news_site: SampleSite) -> None:
    url = news_site.url("/articles/en/kocho-site-exhumation.html")
    refused = fetch_one(url, allow_private=False)
    assert (refused.attempt.error or "").startswith("unsafe_url: 127.0.0.1 resolves to private address 127.0.0.1")
    assert news_site.requests == []
    assert fetch_one(url, allow_private=True).ok


class RebindingResolver(asyncio.SelectorEventLoop):
    """An event loop whose DNS answers like a rebinding attacker's: `rebind.localhost` is 127.0.0.2 on the first
    lookup, when the guard checks it, and 0.0.0.0 on every later one, when a client would connect."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    async def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("rebind.localhost", b"rebind.localhost"):  # anyio asks with bytes
            return await super().getaddrinfo(host, port, *args, **kwargs)
        self.lookups += 1
        address = "127.0.0.2" if self.lookups == 1 else "0.0.0.0"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))]


class TwoAddresses(asyncio.SelectorEventLoop):
    """An event loop whose DNS gives `two.localhost` two addresses, in this order."""

    def __init__(self, first: str, second: str) -> None:
        super().__init__()
        self.answer = (first, second)

    async def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("two.localhost", b"two.localhost"):
            return await super().getaddrinfo(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, int(port))) for a in self.answer]


def test_a_host_whose_first_address_never_answers_is_reached_at_its_second() -> None:
    # Broken IPv6 is the usual case. A listening socket with a full backlog drops every further SYN: silence, not
    # a refusal. The fetch must not spend its timeout there, as a connect by host name would not.
    with socket.socket() as silent, SampleSite(host="127.0.0.6") as site:
        port = int(site.base_url.rsplit(":", 1)[1])
        silent.bind(("127.0.0.5", port))
        silent.listen(0)
        with socket.create_connection(("127.0.0.5", port)):  # fills the backlog
            settings = FetchConfig(fetch_timeout_s=5.0, retry_attempts=1, retry_backoff_s=0.0)

            url = f"http://two.localhost:{port}/articles/en/kocho-site-exhumation.html"

            async def fetch() -> FetchResult:
                async with Fetcher(settings, allow_private=True, sleep=RecordedSleep()) as fetcher:
                    return await fetcher.fetch(url, "s")

            with asyncio.Runner(loop_factory=lambda: TwoAddresses("127.0.0.5", "127.0.0.6")) as runner:
                result = runner.run(fetch())

    assert result.ok, result.attempt.error
    assert [r.path for r in site.requests] == ["/robots.txt", "/articles/en/kocho-site-exhumation.html"]


def test_connections_go_to_the_checked_address_whatever_dns_answers_later() -> None:
    with SampleSite(host="127.0.0.2") as checked:
        port = int(checked.base_url.rsplit(":", 1)[1])
        # A connection to 0.0.0.0 reaches whatever listens on 127.0.0.1 at that port: this site would see it.
        with SampleSite(port=port) as elsewhere:
            assert elsewhere.base_url.endswith(f":{port}"), "the port is taken on 127.0.0.1: cannot stage the attack"
            resolver = RebindingResolver()

            url = f"http://rebind.localhost:{port}/articles/en/kocho-site-exhumation.html"

            async def fetch() -> FetchResult:
                async with Fetcher(FAST, allow_private=True, sleep=RecordedSleep()) as fetcher:
                    return await fetcher.fetch(url, "s")

            with asyncio.Runner(loop_factory=lambda: resolver) as runner:
                result = runner.run(fetch())

    assert elsewhere.requests == []
    assert result.ok, result.attempt.error
    assert [r.path for r in checked.requests] == ["/robots.txt", "/articles/en/kocho-site-exhumation.html"]
    assert resolver.lookups == 1


def test_https_certificate_is_checked_against_the_host_name_not_the_address(tmp_path: Path) -> None:
    # The certificate names localhost and no address: the connection goes to the address the guard checked,
    # and the handshake must still name the host (SNI) and verify the certificate against it.
    certificate = make_certificate(tmp_path, dns_names=("localhost",), ip_addresses=())
    with SampleSite(tls=certificate.server_context()) as site:
        port = site.base_url.rsplit(":", 1)[1]
        url = f"https://localhost:{port}/articles/en/kocho-site-exhumation.html"

        async def fetch(tls: ssl.SSLContext | None) -> FetchResult:
            async with Fetcher(FAST, allow_private=True, sleep=RecordedSleep(), tls=tls) as fetcher:
                return await fetcher.fetch(url, "s")

        trusted = asyncio.run(fetch(certificate.client_context()))
        unknown = asyncio.run(fetch(None))  # the system's authorities never signed the test certificate

    assert trusted.ok, trusted.attempt.error
    assert "Kocho" in trusted.text()
    # robots.txt is the first request to the host, so the refused certificate keeps the whole host away this pass.
    assert unknown.attempt.reason is FailureReason.ROBOTS_UNREACHABLE
    assert "(connection: ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED]" in (unknown.attempt.error or "")


def test_non_http_url_is_refused(news_site: SampleSite) -> None:
    result = fetch_one("file:///etc/passwd")
    assert (result.attempt.error or "").startswith("unsafe_url: not an http(s) URL")


def _robots(site: SampleSite, status: int, text: str = "") -> None:
    site.routes["/robots.txt"] = lambda h: h.send_body(status, text.encode(), "text/plain")


def test_crawl_delay_spaces_requests_to_the_host(news_site: SampleSite) -> None:
    _robots(news_site, 200, "User-agent: *\nCrawl-delay: 5\n")
    sleep = RecordedSleep()
    paths = ["/articles/en/kocho-site-exhumation.html", "/articles/en/basra-export-figures.html", "/feeds/world.rss"]
    results = fetch_all([news_site.url(p) for p in paths], sleep=sleep, expect_html=False)
    assert all(r.ok for r in results)
    # Request starts at t, t+5, t+10; the fake sleep returns at once, so the waits are measured from t.
    assert sleep.waits == [pytest.approx(5, abs=0.5), pytest.approx(10, abs=0.5)]


def test_huge_crawl_delay_is_capped(news_site: SampleSite) -> None:
    _robots(news_site, 200, "User-agent: *\nCrawl-delay: 86400\n")
    sleep = RecordedSleep()
    paths = ["/articles/en/kocho-site-exhumation.html", "/articles/en/basra-export-figures.html"]
    fetch_all([news_site.url(p) for p in paths], sleep=sleep)
    assert sleep.waits == [pytest.approx(10, abs=0.5)]


@pytest.mark.parametrize(
    "status, allowed",
    [
        pytest.param(404, True, id="404-allows-all"),
        pytest.param(410, True, id="410-allows-all"),
        pytest.param(500, False, id="500-disallows-all"),
        pytest.param(503, False, id="503-disallows-all"),
        pytest.param(429, False, id="429-disallows-all"),
    ],
)
def test_unavailable_robots_txt_follows_rfc_9309(news_site: SampleSite, status: int, allowed: bool) -> None:
    _robots(news_site, status)
    result = fetch_one(news_site.url("/articles/en/kocho-site-exhumation.html"))
    assert result.ok is allowed
    if not allowed:
        error = result.attempt.error or ""
        assert result.attempt.reason is FailureReason.ROBOTS_UNREACHABLE
        assert error.startswith(f"robots_unreachable: robots.txt of 127.0.0.1 unreachable (http_status: {status} ")
        assert error.endswith("the host is skipped this pass"), "the record says why, not just that it was skipped"
        assert not [r for r in news_site.requests if r.path.startswith("/articles/")]


def test_robots_txt_is_fetched_once_per_host(news_site: SampleSite) -> None:
    paths = ["/articles/en/kocho-site-exhumation.html", "/articles/en/basra-export-figures.html"]
    fetch_all([news_site.url(p) for p in paths])
    assert [r.path for r in news_site.requests].count("/robots.txt") == 1


ARABIC_TEXT = ARABIC_PAGE.decode("utf-8")


@pytest.mark.parametrize(
    "body, header_charset, expected",
    [
        pytest.param(ARABIC_TEXT.encode("cp1256"), "windows-1256", ARABIC_TEXT, id="header"),
        pytest.param(
            b'<meta charset="windows-1256">' + ARABIC_TEXT.encode("cp1256"),
            None,
            '<meta charset="windows-1256">' + ARABIC_TEXT,
            id="meta",
        ),
        pytest.param(b"\xef\xbb\xbf" + ARABIC_PAGE, "iso-8859-1", ARABIC_TEXT, id="bom"),
        pytest.param(ARABIC_PAGE, "iso-8859-1", ARABIC_TEXT, id="lying-latin-1-header"),
        pytest.param(ARABIC_PAGE, "windows-1256", ARABIC_TEXT, id="lying-arabic-header"),
        pytest.param(ARABIC_PAGE, "no-such-charset", ARABIC_TEXT, id="unknown-charset"),
        pytest.param(ARABIC_TEXT.encode("cp1256"), None, ARABIC_TEXT, id="detection"),
        pytest.param("<p>café</p>".encode("latin-1"), "iso-8859-1", "<p>café</p>", id="honest-latin-1"),
        pytest.param("<p>café</p>".encode("utf-16"), None, "<p>café</p>", id="utf-16-bom"),
    ],
)
def test_decode_html_finds_the_real_charset(body: bytes, header_charset: str | None, expected: str) -> None:
    assert decode_html(body, header_charset) == expected


def test_per_host_concurrency_holds_across_fetchers_of_different_sources(news_site: SampleSite) -> None:
    """Two sources on one host share its limit: the host never sees more requests at once than configured."""
    import threading

    from extractors import PerHostState

    in_flight = {"now": 0, "max": 0}
    lock = threading.Lock()

    def slow(handler) -> None:  # type: ignore[no-untyped-def]
        with lock:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
        time.sleep(0.05)
        with lock:
            in_flight["now"] -= 1
        handler.send_body(200, b"<html><body><p>ok</p></body></html>", "text/html")

    for i in range(12):
        news_site.routes[f"/slow/{i}.html"] = slow
    shared = PerHostState()
    settings = FetchConfig(per_host_concurrency=2)

    def one_source(start: int) -> None:
        async def run() -> None:
            async with Fetcher(settings, allow_private=True, host_state=shared) as fetcher:
                await asyncio.gather(
                    *(fetcher.fetch(news_site.url(f"/slow/{i}.html"), "s") for i in range(start, start + 6))
                )

        asyncio.run(run())

    threads = [threading.Thread(target=one_source, args=(start,)) for start in (0, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert in_flight["max"] == 2


def test_a_waiter_that_gives_up_leaves_the_hosts_slot_to_the_next() -> None:
    """A request that stops waiting for its host (a timeout, a cancelled source) must not take a slot with it,
    whether it gives up before its turn or just as the slot reaches it; waiters on other threads still get theirs."""
    import threading

    from extractors.hosts import HostGate

    gate = HostGate(concurrency=1, delay_s=0.0, sleep=asyncio.sleep)
    holder_entered, holder_may_leave = threading.Event(), threading.Event()

    def holder() -> None:
        async def hold() -> None:
            async with gate:
                holder_entered.set()
                await asyncio.to_thread(holder_may_leave.wait)

        asyncio.run(hold())

    thread = threading.Thread(target=holder)
    thread.start()
    assert holder_entered.wait(5)

    async def gives_up_then_others_wait() -> list[str]:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(gate.__aenter__(), 0.05)
        order: list[str] = []

        async def wait_turn(name: str) -> None:
            async with gate:
                order.append(name)

        waiting = [asyncio.create_task(wait_turn(name)) for name in ("first", "second")]
        await asyncio.sleep(0.05)
        holder_may_leave.set()
        await asyncio.wait_for(asyncio.gather(*waiting), 5)
        return order

    assert asyncio.run(gives_up_then_others_wait()) == ["first", "second"]
    thread.join()

    async def free_again() -> None:
        async with gate:
            pass

    asyncio.run(asyncio.wait_for(free_again(), 1))
