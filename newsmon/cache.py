"""Where newsmon keeps what it can rebuild: the gazetteer's pickle, evaluation texts that stay out of the
repository."""

from __future__ import annotations

import os
from pathlib import Path


def cache_folder() -> Path:
    """$NEWSMON_CACHE_DIR, else $XDG_CACHE_HOME/newsmon, else ~/.cache/newsmon."""
    if os.environ.get("NEWSMON_CACHE_DIR"):
        return Path(os.environ["NEWSMON_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsmon"
