"""Polite, guarded HTTP fetching: one URL → a FetchResult, with retries, redirects checked hop by hop, a body cap.

Every request ends as a FetchAttempt (the `fetches` row); a body comes back only when the attempt succeeded.
The parts it applies live beside it: the address guard's connections (network.py), per-host limits (hosts.py),
robots.txt (robots.py), Content-Encoding (inflate.py) and charsets (charset.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego
from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_attempt

from extractors.charset import decode_html
from extractors.hosts import HostGate, PerHostState
from extractors.inflate import BodyDecoder, DecodingFailed
from extractors.network import CheckedAddressBackend, GuardedTransport, shared_tls_context
from extractors.robots import read_robots_answer, robots_allow, robots_refusal
from extractors.urls import UnsafeURL, canonical_url, check_resolved_addresses, host_of
from newsmon import defaults
from newsmon.config import FetchConfig
from newsmon.records import FailureReason, FetchAttempt
from newsmon.retry import Retry, when_to_retry

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP cache validators from the last successful fetch of a feed or sitemap."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One URL fetched (fetch → discover, and → the engine for article pages): the last attempt, the body on
    success, and the attempts retried before it."""

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


Failure = tuple[FailureReason, str]
"""Why an attempt failed, and the readable detail: `FetchAttempt.failed` makes the row from it."""


class HostUnresolvable(UnsafeURL):
    """DNS gave no address: a network failure (recorded as `connection`), not a refusal."""


def _refusal(exc: UnsafeURL) -> Failure:
    reason = FailureReason.CONNECTION if isinstance(exc, HostUnresolvable) else FailureReason.UNSAFE_URL
    return reason, str(exc)


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
            transport=GuardedTransport(
                CheckedAddressBackend(self._checked_addresses), limits, tls or shared_tls_context()
            ),
            trust_env=False,  # a proxy from the environment would hide where requests really go
        )
        self._hosts = host_state or PerHostState()
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

        def attempt(status: int | None, failure: Failure | None = None) -> FetchAttempt:
            elapsed_ms = int((time.monotonic() - started) * 1000)
            if failure is None:
                return FetchAttempt(url, source, status, None, elapsed_ms, fetched_at)
            return FetchAttempt.failed(url, source, status, *failure, elapsed_ms, fetched_at)

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
                return FetchResult(attempt(None, robots_refusal(self._hosts, url)), url)

        def wait_s(state: RetryCallState) -> float:
            result = state.outcome.result() if state.outcome else None
            backoff = self.settings.retry_backoff_s * (2 ** (state.attempt_number - 1))
            if result is not None and result.retry_after_s is not None:
                return float(max(backoff, result.retry_after_s))
            return float(backoff)

        def should_retry(result: FetchResult) -> bool:
            if result.attempt.reason is None:
                return False
            if result.retry_after_s is not None and result.retry_after_s > self.settings.max_retry_after_s:
                return False  # the server asked for a long pause: honour it by leaving the URL to the next pass
            return when_to_retry(result.attempt.reason, result.attempt.status) is Retry.NOW

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
        final_url = result.final_url
        if final_url != url:
            # A redirect target gets the same normalisation as a discovered link (tracking parameters dropped).
            with contextlib.suppress(UnsafeURL):
                final_url = canonical_url(final_url)
        return dataclasses.replace(
            result, final_url=final_url, earlier_attempts=tuple(r.attempt for r in tried[:-1])
        )

    async def _fetch_once(
        self,
        url: str,
        source: str,
        cap: int,
        validators: Validators | None,
        expect_html: bool,
        check_robots: bool,
        attempt: Callable[[int | None, Failure | None], FetchAttempt],
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
                    return FetchResult(attempt(None, (FailureReason.ROBOTS_DISALLOWED, detail)), current)
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
                return FetchResult(attempt(None, (FailureReason.TIMEOUT, detail)), current)
            except (httpx.TransportError, DecodingFailed) as exc:
                refused = _unsafe_cause(exc)
                if refused is not None:  # the connection pool's own check refused the address
                    return FetchResult(attempt(None, _refusal(refused)), current)
                return FetchResult(attempt(None, (FailureReason.CONNECTION, _describe(exc))), current)
            if isinstance(result, str):  # a redirect target
                seen.add(current)
                try:
                    nxt = urljoin(current, result)
                except ValueError:
                    nxt = ""
                if urlsplit(nxt).scheme not in ("http", "https"):
                    detail = f"redirect to a non-http(s) URL: {nxt[:200]}"
                    return FetchResult(attempt(None, (FailureReason.UNSAFE_URL, detail)), current)
                if nxt in seen:
                    detail = f"redirect loop at {nxt[:200]}"
                    return FetchResult(attempt(None, (FailureReason.TOO_MANY_REDIRECTS, detail)), current)
                current = nxt
                continue
            return result
        detail = f"more than {defaults.MAX_REDIRECTS} redirects"
        return FetchResult(attempt(None, (FailureReason.TOO_MANY_REDIRECTS, detail)), current)

    async def _stream(
        self,
        url: str,
        headers: dict[str, str],
        cap: int,
        expect_html: bool,
        attempt: Callable[[int | None, Failure | None], FetchAttempt],
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
                return FetchResult(attempt(status, (FailureReason.HTTP_STATUS, detail)), url, retry_after_s=retry_after)
            content_type = response.headers.get("content-type", "")
            mime = content_type.split(";")[0].strip().lower()
            if expect_html and mime and mime not in HTML_TYPES:
                detail = f"Content-Type {mime}, expected HTML"
                return FetchResult(attempt(status, (FailureReason.NOT_HTML, detail)), url)
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > cap:
                detail = f"Content-Length {int(declared):,} bytes exceeds the {cap:,}-byte cap"
                return FetchResult(attempt(status, (FailureReason.TOO_LARGE, detail)), url)
            # Decompressed here rather than by httpx, which inflates a whole network chunk at once: 64 kB of a
            # gzip bomb is 64 MB. Our decoder yields bounded pieces, so the cap stops a bomb before it expands.
            decoder = BodyDecoder(response.headers.get("content-encoding", ""))
            chunks: list[bytes] = []
            size = 0
            async for raw in response.aiter_raw():
                for piece in decoder.decode(raw):
                    size += len(piece)
                    if size > cap:
                        detail = f"body exceeds the {cap:,}-byte cap"
                        if decoder.compressed:
                            detail += f" after decompression ({response.headers.get('content-encoding')})"
                        return FetchResult(attempt(status, (FailureReason.TOO_LARGE, detail)), url)
                    chunks.append(piece)
            body = b"".join(chunks)
            if not body.strip():
                return FetchResult(
                    attempt(status, (FailureReason.EMPTY_BODY, "200 with an empty body")), url
                )
            if expect_html and not mime and not body.lstrip()[:1] == b"<":
                return FetchResult(attempt(status, (FailureReason.NOT_HTML, "body is not markup")), url)
            return FetchResult(
                attempt(status, None),
                url,
                body=body,
                content_type=mime,
                charset=response.charset_encoding,
                validators=Validators(response.headers.get("etag"), response.headers.get("last-modified")),
            )

    async def robots_allow(self, url: str) -> bool:
        """Whether robots.txt lets us fetch `url`; read once per origin per pass, whichever source asks first."""
        return await robots_allow(self._hosts, url, self.settings.user_agent, self._load_robots)

    async def _load_robots(self, origin: str) -> Protego | None:
        result = await self.fetch(
            origin + "/robots.txt", source="", max_bytes=500_000, expect_html=False, check_robots=False
        )
        robots = read_robots_answer(self._hosts, origin, result)
        delay = robots.crawl_delay(self.settings.user_agent) if robots is not None else None
        if delay:
            gate = self._gate(urlsplit(origin).hostname or "")
            gate.delay_s = max(gate.delay_s, min(float(delay), defaults.MAX_CRAWL_DELAY_S))
        return robots

    def _gate(self, host: str) -> HostGate:
        with self._hosts.lock:
            gate = self._hosts.gates.get(host)
            if gate is None:
                settings = self.settings
                gate = self._hosts.gates[host] = HostGate(
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
