"""Polite, guarded HTTP fetching for one pass: robots.txt, per-host limits, retries, a body cap, our own decoding.

Every request ends as a FetchAttempt (the `fetches` row); a body comes back only when the attempt succeeded.
"""

from __future__ import annotations

import asyncio
import codecs
import concurrent.futures
import contextlib
import functools
import logging
import re
import ssl
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import anyio
import charset_normalizer
import httpcore
import httpx
from protego import Protego
from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_attempt

from extractors.urls import UnsafeURL, canonical_url, check_resolved_addresses, host_of
from newsmon import defaults
from newsmon.config import FetchConfig
from newsmon.records import FailureReason, FetchAttempt

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_RETRYABLE_STATUS = {429, 500, 502, 503, 504}


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP cache validators from the last successful fetch of a feed or sitemap."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(slots=True)
class FetchResult:
    attempt: FetchAttempt
    final_url: str
    body: bytes = b""
    content_type: str = ""
    charset: str | None = None
    not_modified: bool = False
    validators: Validators = field(default_factory=Validators)
    retry_after_s: float | None = None
    earlier_attempts: tuple[FetchAttempt, ...] = ()  # failed attempts before this one, each a `fetches` row

    @property
    def ok(self) -> bool:
        return self.attempt.error is None

    def text(self) -> str:
        return decode_html(self.body, self.charset)


def failure_text(reason: FailureReason, detail: str) -> str:
    return f"{reason.value}: {detail}"


def decode_html(body: bytes, header_charset: str | None) -> str:
    """Decode bytes we fetched: the header charset, then a <meta> charset, then detection.

    A charset that cannot decode the bytes strictly is a lie (servers often claim ISO-8859-1 for UTF-8 Arabic
    pages), so it is skipped rather than trusted.
    """
    candidates: list[str] = []
    if body.startswith(b"\xef\xbb\xbf"):
        candidates.append("utf-8-sig")
    elif body.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates.append("utf-16")
    if header_charset:
        candidates.append(header_charset)
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "replace"))
    candidates.append("utf-8")
    for charset in candidates:
        try:
            decoded = body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
        # Single-byte charsets (ISO-8859-*, windows-125x, KOI8 …) decode almost any bytes, so a wrong label still
        # "works". Text in them is practically never valid UTF-8 with multi-byte sequences, so such bytes are UTF-8.
        if _is_single_byte(charset) and not body.isascii():
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                return decoded
        return decoded
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


@functools.cache
def _is_single_byte(charset: str) -> bool:
    """True for charsets that map each byte to one character: any bytes at all decode in them."""
    try:
        decoded = bytes(range(256)).decode(charset, errors="replace")
    except LookupError:
        return False
    return len(decoded) == 256 and not codecs.lookup(charset).name.startswith("utf")


class HostUnresolvable(UnsafeURL):
    """DNS gave no address: a network failure (recorded as `connection`), not a refusal."""


def _refusal(exc: UnsafeURL) -> str:
    reason = FailureReason.CONNECTION if isinstance(exc, HostUnresolvable) else FailureReason.UNSAFE_URL
    return failure_text(reason, str(exc))


@dataclass(slots=True)
class PerHostState:
    """robots.txt and politeness limits per host for a whole pass, shared by the fetchers of every source.

    The first fetcher to need an origin's robots.txt claims it and loads it; the others wait for that result.
    """

    claims: dict[str, concurrent.futures.Future[Protego | None]] = field(default_factory=dict)  # None: unreachable
    failures: dict[str, str] = field(default_factory=dict)  # why an origin's robots.txt could not be read
    lock: threading.Lock = field(default_factory=threading.Lock)
    gates: dict[str, _HostGate] = field(default_factory=dict)  # per-host limits, shared the same way


class _HostGate:
    """At most N requests in flight to one host, and a minimum gap between their starts.

    Shared by every source of a pass, whichever thread and event loop runs it, so the limit is per host and not
    per source: thread-safe primitives, polled from the event loop without blocking it.
    """

    def __init__(self, concurrency: int, delay_s: float, sleep: Callable[[float], Awaitable[Any]]) -> None:
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self.delay_s = delay_s
        self._sleep = sleep
        self._next_start = 0.0
        self._lock = threading.Lock()

    async def __aenter__(self) -> None:
        while not self._slots.acquire(blocking=False):
            await asyncio.sleep(0.005)
        if self.delay_s > 0:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start)
                self._next_start = start + self.delay_s
            if start > now:
                await self._sleep(start - now)

    async def __aexit__(self, *exc: object) -> None:
        self._slots.release()


_NEXT_ADDRESS_AFTER_S = 0.25  # RFC 8305's recommended connection attempt delay
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


class _CheckedAddressBackend(httpcore.AsyncNetworkBackend):
    """Opens connections only to addresses the fetcher's guard has checked, never to a fresh DNS answer.

    Without it the guard would resolve a host, approve its addresses, and httpx would resolve it again to connect:
    a hostile DNS server can answer a public address the first time and 127.0.0.1 or 169.254.169.254 the second
    (DNS rebinding).
    """

    def __init__(self, checked_addresses: Callable[[str, int], Awaitable[list[str]]]) -> None:
        self._checked_addresses = checked_addresses
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self._checked_addresses(host, port)
        except UnsafeURL as exc:  # found again in the cause chain by _fetch_once, and recorded as a refusal
            raise httpcore.ConnectError(str(exc)) from exc
        if len(addresses) == 1:
            return await self._network.connect_tcp(addresses[0], port, timeout, local_address, socket_options)
        return await self._first_to_connect(addresses, port, timeout, local_address, socket_options)

    async def _first_to_connect(
        self,
        addresses: list[str],
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[SocketOption] | None,
    ) -> httpcore.AsyncNetworkStream:
        """Happy eyeballs (RFC 8305), as a connect by host name does: each address in the resolver's order gets a
        head start of 250 ms, or less if it fails sooner; the first connection wins. Trying them one by one would
        let a host whose first address drops packets (broken IPv6) use up the whole fetch timeout."""
        started = [anyio.Event() for _ in addresses]
        failed = [anyio.Event() for _ in addresses]
        connected: list[httpcore.AsyncNetworkStream] = []
        failures: list[Exception] = []

        async def attempt(index: int) -> None:
            if index:
                await started[index - 1].wait()
                with anyio.move_on_after(_NEXT_ADDRESS_AFTER_S):
                    await failed[index - 1].wait()
            started[index].set()
            try:
                stream = await self._network.connect_tcp(addresses[index], port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failures.append(exc)
                failed[index].set()
                return
            if connected:  # another address won meanwhile
                with anyio.CancelScope(shield=True):
                    await stream.aclose()
                return
            connected.append(stream)
            race.cancel_scope.cancel()

        async with anyio.create_task_group() as race:
            for index in range(len(addresses)):
                race.start_soon(attempt, index)
        if connected:
            return connected[0]
        raise failures[0]

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[SocketOption] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("newsmon never connects to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, on a connection pool that connects through _CheckedAddressBackend."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, limits: httpx.Limits, tls: ssl.SSLContext) -> None:
        super().__init__(verify=tls, limits=limits, trust_env=False)
        # httpx accepts no network backend of its own, and a transport written from scratch would copy its request
        # and error mapping: swapping the pool it built keeps everything else httpx's.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process. Building one loads the whole CA bundle (~25 ms of CPU), and a pass
    opens a client per source and stage: forty of them would spend a second on certificates alone."""
    return httpx.create_ssl_context(trust_env=False)


class Fetcher:
    """An httpx client for one pass and one source, with every politeness and safety rule applied.

    `allow_private` is True only when the source itself lives on a private or loopback address (a test site or an
    intranet feed); unspecified, link-local, multicast and reserved addresses are refused regardless. `tls` replaces
    the verifying context built from the system's certificate authorities (an intranet CA, a test certificate).
    """

    def __init__(
        self,
        settings: FetchConfig,
        *,
        allow_private: bool = False,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        host_state: PerHostState | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.allow_private = allow_private
        self._sleep = sleep
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        self.client = httpx.AsyncClient(
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(settings.fetch_timeout_s),
            follow_redirects=False,  # each hop goes through the address guard
            transport=_GuardedTransport(
                _CheckedAddressBackend(self._checked_addresses), limits, tls or shared_tls_context()
            ),
            trust_env=False,  # a proxy from the environment would hide where requests really go
        )
        self._robots = host_state or PerHostState()
        self._robots_failures = self._robots.failures
        self._resolved: dict[tuple[str, int], list[str]] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def fetch(
        self,
        url: str,
        source: str,
        *,
        max_bytes: int | None = None,
        validators: Validators | None = None,
        expect_html: bool = True,
        check_robots: bool = True,
    ) -> FetchResult:
        """Fetch one URL with retries; never raises for network trouble, returns a failed attempt instead.

        Every attempt is its own FetchAttempt: the last is `result.attempt`, the retried ones `earlier_attempts`.
        """
        started, fetched_at = time.monotonic(), datetime.now(UTC)
        cap = max_bytes or self.settings.max_body_bytes

        def attempt(status: int | None, error: str | None) -> FetchAttempt:
            elapsed_ms = int((time.monotonic() - started) * 1000)
            return FetchAttempt(url, source, status, error, elapsed_ms, fetched_at)

        tried: list[FetchResult] = []

        async def one_attempt(*args: Any) -> FetchResult:
            nonlocal started, fetched_at
            started, fetched_at = time.monotonic(), datetime.now(UTC)
            tried.append(await self._fetch_once(*args))
            return tried[-1]

        try:
            await self._guard(url)
        except UnsafeURL as exc:
            return FetchResult(attempt(None, _refusal(exc)), url)
        if check_robots:
            try:
                allowed = await self.robots_allow(url)
            except UnsafeURL as exc:
                return FetchResult(attempt(None, _refusal(exc)), url)
            if not allowed:
                return FetchResult(attempt(None, self._robots_refusal(url)), url)

        def wait_s(state: RetryCallState) -> float:
            result = state.outcome.result() if state.outcome else None
            backoff = self.settings.retry_backoff_s * (2 ** (state.attempt_number - 1))
            if result is not None and result.retry_after_s is not None:
                return float(max(backoff, result.retry_after_s))
            return float(backoff)

        def should_retry(result: FetchResult) -> bool:
            if result.attempt.error is None:
                return False
            if result.retry_after_s is not None and result.retry_after_s > self.settings.max_retry_after_s:
                return False  # the server asked for a long pause: honour it by leaving the URL to the next pass
            retryable = result.attempt.status in _RETRYABLE_STATUS
            return retryable or result.attempt.error.startswith(
                (FailureReason.CONNECTION.value, FailureReason.TIMEOUT.value)
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(max(1, self.settings.retry_attempts)),
            wait=wait_s,
            retry=retry_if_result(should_retry),
            sleep=self._sleep,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        result: FetchResult = await retrying(
            one_attempt, url, source, cap, validators, expect_html, check_robots, attempt
        )
        result.earlier_attempts = tuple(r.attempt for r in tried[:-1])
        if result.final_url != url:
            # A redirect target gets the same normalisation as a discovered link (tracking parameters dropped).
            with contextlib.suppress(UnsafeURL):
                result.final_url = canonical_url(result.final_url)
        return result

    async def _fetch_once(
        self,
        url: str,
        source: str,
        cap: int,
        validators: Validators | None,
        expect_html: bool,
        check_robots: bool,
        attempt: Callable[[int | None, str | None], FetchAttempt],
    ) -> FetchResult:
        """One attempt, following redirects; each hop passes the address guard and robots.txt of its own host."""
        headers: dict[str, str] = {}
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        current = url
        seen: set[str] = set()
        timeout_s = self.settings.fetch_timeout_s
        for hop in range(defaults.MAX_REDIRECTS + 1):
            try:
                await self._guard(current)
                if hop and check_robots and not await self.robots_allow(current):
                    path = urlsplit(current).path
                    detail = f"robots.txt of {host_of(current)} disallows {path}, redirected from {url}"
                    return FetchResult(attempt(None, failure_text(FailureReason.ROBOTS_DISALLOWED, detail)), current)
            except UnsafeURL as exc:
                return FetchResult(attempt(None, _refusal(exc)), current)
            gate = self._gate(host_of(current))
            try:
                async with gate:
                    # httpx times each read alone: a server dripping a byte a second would never time out.
                    async with asyncio.timeout(timeout_s if timeout_s > 0 else None):
                        result = await self._stream(current, headers, cap, expect_html, attempt)
            except (httpx.TimeoutException, TimeoutError) as exc:
                phase = type(exc).__name__ if isinstance(exc, httpx.TimeoutException) else "whole response"
                detail = f"no complete answer within {timeout_s:g} s ({phase})"
                return FetchResult(attempt(None, failure_text(FailureReason.TIMEOUT, detail)), current)
            except (httpx.TransportError, _DecodingFailed) as exc:
                refused = _unsafe_cause(exc)
                if refused is not None:  # the connection pool's own check refused the address
                    return FetchResult(attempt(None, _refusal(refused)), current)
                return FetchResult(attempt(None, failure_text(FailureReason.CONNECTION, _describe(exc))), current)
            if isinstance(result, str):  # a redirect target
                seen.add(current)
                try:
                    nxt = urljoin(current, result)
                except ValueError:
                    nxt = ""
                if urlsplit(nxt).scheme not in ("http", "https"):
                    detail = f"redirect to a non-http(s) URL: {nxt[:200]}"
                    return FetchResult(attempt(None, failure_text(FailureReason.UNSAFE_URL, detail)), current)
                if nxt in seen:
                    detail = f"redirect loop at {nxt[:200]}"
                    return FetchResult(attempt(None, failure_text(FailureReason.TOO_MANY_REDIRECTS, detail)), current)
                current = nxt
                continue
            return result
        detail = f"more than {defaults.MAX_REDIRECTS} redirects"
        return FetchResult(attempt(None, failure_text(FailureReason.TOO_MANY_REDIRECTS, detail)), current)

    async def _stream(
        self,
        url: str,
        headers: dict[str, str],
        cap: int,
        expect_html: bool,
        attempt: Callable[[int | None, str | None], FetchAttempt],
    ) -> FetchResult | str:
        async with self.client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status in (301, 302, 303, 307, 308) and "location" in response.headers:
                return response.headers["location"]
            if status == 304:
                return FetchResult(attempt(304, None), url, not_modified=True)
            if status >= 300 or status < 200:  # a 3xx here has no Location to follow
                retry_after = _retry_after_s(response.headers.get("retry-after"))
                detail = f"{status} {response.reason_phrase}".strip()
                if retry_after is not None:
                    detail += f", Retry-After {retry_after:g} s"
                failed = FetchResult(attempt(status, failure_text(FailureReason.HTTP_STATUS, detail)), url)
                failed.retry_after_s = retry_after
                return failed
            content_type = response.headers.get("content-type", "")
            mime = content_type.split(";")[0].strip().lower()
            if expect_html and mime and mime not in HTML_TYPES:
                detail = f"Content-Type {mime}, expected HTML"
                return FetchResult(attempt(status, failure_text(FailureReason.NOT_HTML, detail)), url)
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > cap:
                detail = f"Content-Length {int(declared):,} bytes exceeds the {cap:,}-byte cap"
                return FetchResult(attempt(status, failure_text(FailureReason.TOO_LARGE, detail)), url)
            # Decompressed here rather than by httpx, which inflates a whole network chunk at once: 64 kB of a
            # gzip bomb is 64 MB. Our decoder yields bounded pieces, so the cap stops a bomb before it expands.
            decoder = _BodyDecoder(response.headers.get("content-encoding", ""))
            chunks: list[bytes] = []
            size = 0
            async for raw in response.aiter_raw():
                for piece in decoder.decode(raw):
                    size += len(piece)
                    if size > cap:
                        detail = f"body exceeds the {cap:,}-byte cap"
                        if decoder.compressed:
                            detail += f" after decompression ({response.headers.get('content-encoding')})"
                        return FetchResult(attempt(status, failure_text(FailureReason.TOO_LARGE, detail)), url)
                    chunks.append(piece)
            body = b"".join(chunks)
            if not body.strip():
                return FetchResult(
                    attempt(status, failure_text(FailureReason.EMPTY_BODY, "200 with an empty body")), url
                )
            if expect_html and not mime and not body.lstrip()[:1] == b"<":
                return FetchResult(attempt(status, failure_text(FailureReason.NOT_HTML, "body is not markup")), url)
            return FetchResult(
                attempt(status, None),
                url,
                body=body,
                content_type=mime,
                charset=response.charset_encoding,
                validators=Validators(response.headers.get("etag"), response.headers.get("last-modified")),
            )

    def _gate(self, host: str) -> _HostGate:
        with self._robots.lock:
            gate = self._robots.gates.get(host)
            if gate is None:
                settings = self.settings
                gate = self._robots.gates[host] = _HostGate(
                    settings.per_host_concurrency, settings.per_host_delay_s, self._sleep
                )
            return gate

    async def _guard(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UnsafeURL(f"not an http(s) URL: {url[:200]}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise UnsafeURL(f"bad port in {url[:200]}") from exc
        try:
            # The host as httpx will hand it to the connection pool (IDNA-encoded): one key, so one lookup.
            host = httpx.URL(url).raw_host.decode("ascii")
        except (httpx.InvalidURL, UnicodeError) as exc:  # e.g. a label over 63 characters: never resolvable
            raise HostUnresolvable(f"cannot resolve {parts.hostname[:100]}: {exc}") from exc
        await self._checked_addresses(host, port)

    async def _checked_addresses(self, host: str, port: int) -> list[str]:
        """The host's addresses, resolved once per fetcher, each one allowed for this source (else UnsafeURL).

        The guard calls this before a request, and the connection pool again to connect: both see the same answer.
        """
        key = (host.lower().rstrip("."), port)
        if key not in self._resolved:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, port, type=0, proto=6)
            except (OSError, UnicodeError) as exc:  # UnicodeError: a label over 63 characters, never resolvable
                raise HostUnresolvable(f"cannot resolve {host[:100]}: {exc}") from exc
            # The resolver's order is the preference order (RFC 6724): connections try the addresses in it.
            self._resolved[key] = list(dict.fromkeys(str(info[4][0]) for info in infos))
        named = f"[{host}]" if ":" in host else host
        check_resolved_addresses(f"http://{named}/", self._resolved[key], self.allow_private)
        return self._resolved[key]

    def _robots_refusal(self, url: str) -> str:
        """The `fetches.error` for a URL robots.txt kept us from: its rule, or why robots.txt could not be read."""
        parts = urlsplit(url)
        unreachable = self._robots_failures.get(f"{parts.scheme}://{parts.netloc}")
        if unreachable:
            reason, _, detail = unreachable.partition(": ")
            return f"{reason}: robots.txt of {parts.hostname} unreachable ({detail}); the host is skipped this pass"
        return failure_text(FailureReason.ROBOTS_DISALLOWED, f"robots.txt of {parts.hostname} disallows {parts.path}")

    async def robots_allow(self, url: str) -> bool:
        """Whether robots.txt lets us fetch `url`; fetched once per host per pass.

        As RFC 9309 says: a missing robots.txt (4xx) allows everything; an unreachable one (5xx, no answer)
        disallows everything for this pass.
        """
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots.lock:
            claim = self._robots.claims.get(origin)
            mine = claim is None
            if claim is None:
                claim = self._robots.claims[origin] = concurrent.futures.Future()
        if mine:
            try:
                claim.set_result(await self._load_robots(origin))
            except BaseException as exc:
                claim.set_exception(exc)
                raise
        robots = await asyncio.wrap_future(claim)
        if robots is None:
            return False
        return bool(robots.can_fetch(url, self.settings.user_agent))

    async def _load_robots(self, origin: str) -> Protego | None:
        result = await self.fetch(
            origin + "/robots.txt", source="", max_bytes=500_000, expect_html=False, check_robots=False
        )
        status = result.attempt.status
        if result.ok:
            robots = Protego.parse(result.body.decode("utf-8", errors="replace"))
            delay = robots.crawl_delay(self.settings.user_agent)
            if delay:
                host = urlsplit(origin).hostname or ""
                gate = self._gate(host)
                gate.delay_s = max(gate.delay_s, min(float(delay), defaults.MAX_CRAWL_DELAY_S))
            return robots
        # 429 means "too busy", not "no robots.txt": like a 5xx, it disallows the host for this pass.
        missing = status is not None and 400 <= status < 500 and status != 429
        if missing or (result.attempt.error or "").startswith(FailureReason.EMPTY_BODY.value):
            return Protego.parse("")
        log.info("robots.txt of %s unreachable (%s): skipping the host this pass", origin, result.attempt.error)
        self._robots_failures[origin] = result.attempt.error or f"http_status: {status}"
        return None


class _DecodingFailed(Exception):
    """The body's Content-Encoding is unsupported or its compressed data is corrupt."""


_PIECE_BYTES = 64 * 1024  # the most one decompression step may produce


class _BodyDecoder:
    """Undo Content-Encoding (gzip, deflate, or a chain of them) incrementally, in pieces of at most 64 kB."""

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        unknown = [c for c in codings if c not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise _DecodingFailed(f"unsupported Content-Encoding {unknown[0]!r} (we ask for gzip or deflate)")
        # Applied in the order listed, so undone in reverse.
        self._stages = [_Inflater(c == "deflate") for c in reversed(codings)]
        self.compressed = bool(self._stages)

    def decode(self, data: bytes) -> Iterator[bytes]:
        return self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._stages):
            if data:
                yield data
            return
        for piece in self._stages[index].inflate(data):
            yield from self._through(index + 1, piece)


class _Inflater:
    def __init__(self, deflate: bool) -> None:
        self._deflate = deflate
        self._started = False
        self._z = zlib.decompressobj(zlib.MAX_WBITS if deflate else 16 + zlib.MAX_WBITS)

    def inflate(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                piece = self._z.decompress(data, _PIECE_BYTES)
            except zlib.error as exc:
                if self._deflate and not self._started:
                    # "deflate" is meant to be zlib-wrapped, but many servers send a raw deflate stream.
                    self._started = True
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise _DecodingFailed(f"corrupt compressed body: {exc}") from exc
            self._started = True
            if piece:
                yield piece
            data = self._z.unconsumed_tail
            if (not data and len(piece) < _PIECE_BYTES) or self._z.eof:
                return


GZIP_MAGIC = b"\x1f\x8b"


class GzipFileRefused(ValueError):
    """A gzip file (a `.xml.gz` sitemap) that inflates past the cap or is corrupt; `reason` says which."""

    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def inflate_gzip_file(body: bytes, cap: int) -> bytes:
    """The contents of a gzip file fetched as bytes (served without Content-Encoding, as `.xml.gz` sitemaps are).

    Inflated in the same 64 kB pieces as a gzip Content-Encoding, so a bomb is refused once the output passes `cap`
    without ever being expanded whole.
    """
    inflater = _Inflater(deflate=False)
    pieces: list[bytes] = []
    size = 0
    try:
        for piece in inflater.inflate(body):
            size += len(piece)
            if size > cap:
                raise GzipFileRefused(FailureReason.TOO_LARGE, f"gzip file exceeds the {cap:,}-byte cap once inflated")
            pieces.append(piece)
    except _DecodingFailed as exc:
        raise GzipFileRefused(FailureReason.FEED_INVALID, f"gzip file: {exc}") from exc
    return b"".join(pieces)


def _unsafe_cause(exc: BaseException) -> UnsafeURL | None:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, UnsafeURL):
            return cause
        cause = cause.__cause__
    return None


def _describe(exc: BaseException) -> str:
    """An exception as "Type: message". httpx's messages are often empty ("ReadError: "), so the first non-empty
    message down the chain of causes is used instead: "ReadError: [Errno 104] Connection reset by peer"."""
    cause: BaseException | None = exc
    message = ""
    while cause is not None and not message:
        text = str(cause)
        message = text if text and text != repr(cause) and not text.endswith("()") else ""
        cause = cause.__cause__ or cause.__context__
    return f"{type(exc).__name__}: {message or 'no detail'}"[:300]


def _retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
