"""Where newsmon keeps what it can rebuild: the gazetteer's and the classifier's pickles, evaluation texts that
stay out of the repository."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def cache_folder() -> Path:
    """$NEWSMON_CACHE_DIR, else $XDG_CACHE_HOME/newsmon, else ~/.cache/newsmon."""
    if os.environ.get("NEWSMON_CACHE_DIR"):
        return Path(os.environ["NEWSMON_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsmon"


def store(path: Path, data: bytes) -> None:
    """Written whole or not at all (several worker processes may build it at once); failures only cost speed."""
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
