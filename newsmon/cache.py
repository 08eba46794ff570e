"""Where newsmon keeps what it can rebuild: the gazetteer's and the classifier's pickles, evaluation texts that
stay out of the repository."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path


def cache_folder() -> Path:
    """$NEWSMON_CACHE_DIR, else $XDG_CACHE_HOME/newsmon, else ~/.cache/newsmon."""
    if os.environ.get("NEWSMON_CACHE_DIR"):
        return Path(os.environ["NEWSMON_CACHE_DIR"]).expanduser().resolve()
    return (Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsmon").expanduser().resolve()


KEEP_PER_KIND = 4  # stored versions of one kind: a few installed versions side by side never rebuild each other's
MARK_USED_AFTER_S = 86_400.0  # a file read is marked as used (its mtime) at most this often: pruning keeps what is read
STALE_TEMPORARY_S = 3_600.0  # a temporary file this old belongs to a process that died while writing it


def read_stored(path: Path) -> bytes:
    """The bytes of a stored file (OSError when there is none). Reading marks it used, at most once a day, so the
    pruning in `store` removes the versions nobody reads, not the oldest written."""
    data = path.read_bytes()
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > MARK_USED_AFTER_S:
            os.utime(path)
    return data


def store(path: Path, data: bytes) -> None:
    """Written whole or not at all (several worker processes may build it at once); failures only cost speed.

    `path` is named `<kind>-<hash of its inputs>.<suffix>`; every edit of the rules, the model or the gazetteer
    gives a new one, so a scheduler that runs for years would pile them up. Only the KEEP_PER_KIND newest of its
    kind stay (one removed by mistake is only rebuilt)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # here, not at the top: most processes read what is stored and never write it

        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name.partition('-')[0]}-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return
    with contextlib.suppress(OSError):  # the folder may vanish under us: pruning, like storing, only saves space
        _prune(path)


def _prune(path: Path) -> None:
    kind = path.name.partition("-")[0]
    found = []
    for sibling in path.parent.glob(f"{kind}-*{path.suffix}"):
        with contextlib.suppress(OSError):  # another process may have removed it already
            found.append((sibling.stat().st_mtime, sibling))
    found.sort(reverse=True)
    for _, old in found[KEEP_PER_KIND:]:
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink()
    now = time.time()
    for temporary in path.parent.glob(f".{kind}-*"):
        with contextlib.suppress(OSError):
            if now - temporary.stat().st_mtime > STALE_TEMPORARY_S:
                temporary.unlink()
