"""One pass at a time per warehouse: a manual `newsmon run` during a scheduled one exits with a clear message."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from newsmon.errors import PassAlreadyRunning, WarehouseError


@contextmanager
def pass_lock(warehouse_path: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Hold `<warehouse>.lock` for the pass.

    The kernel drops the lock if the process dies, so a crash never wedges it.
    """
    lock_path = warehouse_path.with_name(warehouse_path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole pass
    except OSError as exc:
        detail = exc.strerror or str(exc)
        raise WarehouseError(f"{lock_path}: cannot create the pass lock beside the warehouse: {detail}") from exc
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise PassAlreadyRunning(
                        f"another pass is already running on {warehouse_path} ({holder}). "
                        "This one stops without touching the warehouse; the running pass will store what is new."
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        handle.flush()
        yield
    finally:
        handle.close()
