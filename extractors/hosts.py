"""Per-host politeness for a whole pass: at most N requests in flight to a host, and a gap between their starts."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections import deque
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
    per source. Waiters queue in arrival order, each on a future of its own event loop, and a released slot is
    handed to the first of them directly: no waiter wakes up to look, and none is served out of turn.
    """

    def __init__(self, concurrency: int, delay_s: float, sleep: Callable[[float], Awaitable[Any]]) -> None:
        self.delay_s = delay_s
        self._sleep = sleep
        self._next_start = 0.0
        self._lock = threading.Lock()
        self._free = max(1, concurrency)
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def __aenter__(self) -> None:
        await self._acquire()
        if self.delay_s > 0:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start)
                self._next_start = start + self.delay_s
            if start > now:
                try:
                    await self._sleep(start - now)
                except BaseException:
                    self._release()
                    raise

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    async def _acquire(self) -> None:
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(turn)
        try:
            await turn
        except BaseException:
            with self._lock:
                waiting = turn in self._waiters
                if waiting:
                    self._waiters.remove(turn)
            if not waiting and turn.done() and not turn.cancelled():
                self._release()  # the slot reached us as we stopped waiting: pass it on instead of losing it
            raise

    def _release(self) -> None:
        with self._lock:
            while self._waiters:
                turn = self._waiters.popleft()
                try:
                    turn.get_loop().call_soon_threadsafe(_hand_over, turn, self)
                    return
                except RuntimeError:  # that waiter's event loop has closed: try the next one
                    continue
            self._free += 1


def _hand_over(turn: asyncio.Future[None], gate: HostGate) -> None:
    """Runs on the waiter's own loop: wakes it, or passes the slot on if it stopped waiting meanwhile."""
    if turn.cancelled():
        gate._release()
    else:
        turn.set_result(None)
