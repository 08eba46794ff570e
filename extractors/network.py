"""The fetcher's network layer: connections only to addresses the guard checked, on httpcore's pool, one TLS context.

httpx's own transport takes no network backend, so `GuardedTransport` drives httpcore's connection pool itself,
mapping requests, responses and errors as httpx does, through public names only.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import httpcore
import httpx

from extractors.urls import UnsafeURL

NEXT_ADDRESS_AFTER_S = 0.25  # RFC 8305's recommended connection attempt delay
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


class CheckedAddressBackend(httpcore.AsyncNetworkBackend):
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
                with anyio.move_on_after(NEXT_ADDRESS_AFTER_S):
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


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport on an httpcore connection pool that connects through `CheckedAddressBackend`."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, limits: httpx.Limits, tls: ssl.SSLContext) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            core_response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_ResponseStream(core_response.stream),
            extensions=core_response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        if hasattr(self._stream, "aclose"):
            await self._stream.aclose()


# httpcore's errors and the httpx errors callers catch, most specific first.
_HTTPX_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core, public in _HTTPX_ERRORS:
            if isinstance(exc, core):
                raise public(str(exc)) from exc
        raise


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process. Building one loads the whole CA bundle (~25 ms of CPU), and a pass
    opens a client per source and stage: forty of them would spend a second on certificates alone."""
    return httpx.create_ssl_context(trust_env=False)
