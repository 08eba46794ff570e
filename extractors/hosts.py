"""Per-host politeness for a whole pass: at most N requests in flight to a host, and a gap between their starts."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from protego import Protego


@dataclass(slots=True)
class PerHostState:
    """robots.txt and politeness limits per host for a whole pass, shared by the fetchers of every source.

    The first fetcher to need an origin's robots.txt claims it and loads it; the others wait for that result.
    """

    claims: dict[str, concurrent.futures.Future[Protego | None]] = field(default_factory=dict)  # None: unreachable
    failures: dict[str, str] = field(default_factory=dict)  # why an origin's robots.txt could not be read
    lock: threading.Lock = field(default_factory=threading.Lock)
    gates: dict[str, HostGate] = field(default_factory=dict)  # per-host limits, shared the same way


class HostGate:
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
