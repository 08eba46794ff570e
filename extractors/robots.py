"""robots.txt for a whole pass (RFC 9309): read once per origin, shared by every source's fetcher.

A missing robots.txt (4xx) allows everything; an unreachable one (5xx, 429, no answer) disallows the host for
this pass, and the URLs it kept us from say so.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from protego import Protego

from extractors.hosts import PerHostState
from newsmon.records import FailureReason

if TYPE_CHECKING:
    from extractors.fetch import FetchResult

log = logging.getLogger(__name__)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def robots_allow(
    hosts: PerHostState, url: str, user_agent: str, load: Callable[[str], Awaitable[Protego | None]]
) -> bool:
    """Whether robots.txt lets `user_agent` fetch `url`. The first fetcher to need an origin's robots.txt claims it
    and loads it with `load`; the others, in any thread or event loop, wait for that result."""
    origin = origin_of(url)
    with hosts.lock:
        claim = hosts.claims.get(origin)
        mine = claim is None
        if claim is None:
            claim = hosts.claims[origin] = concurrent.futures.Future()
    if mine:
        try:
            claim.set_result(await load(origin))
        except BaseException as exc:
            claim.set_exception(exc)
            raise
    robots = await asyncio.wrap_future(claim)
    if robots is None:
        return False
    return bool(robots.can_fetch(url, user_agent))


def read_robots_answer(hosts: PerHostState, origin: str, result: FetchResult) -> Protego | None:
    """The rules from a robots.txt fetch, an allow-all for a missing one, or None (and the reason kept) when it
    could not be read."""
    status = result.attempt.status
    if result.ok:
        return Protego.parse(result.body.decode("utf-8", errors="replace"))
    # 429 means "too busy", not "no robots.txt": like a 5xx, it disallows the host for this pass.
    missing = status is not None and 400 <= status < 500 and status != 429
    if missing or result.attempt.reason is FailureReason.EMPTY_BODY:
        return Protego.parse("")
    log.info("robots.txt of %s unreachable (%s): skipping the host this pass", origin, result.attempt.error)
    hosts.failures[origin] = result.attempt.error or f"http_status: {status}"
    return None


def robots_refusal(hosts: PerHostState, url: str) -> tuple[FailureReason, str]:
    """Why robots.txt kept us from `url`: its rule, or why robots.txt could not be read."""
    parts = urlsplit(url)
    unreachable = hosts.failures.get(origin_of(url))
    if unreachable:
        detail = f"robots.txt of {parts.hostname} unreachable ({unreachable}); the host is skipped this pass"
        return FailureReason.ROBOTS_UNREACHABLE, detail
    return FailureReason.ROBOTS_DISALLOWED, f"robots.txt of {parts.hostname} disallows {parts.path}"
