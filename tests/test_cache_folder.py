"""The cache folder keeps what newsmon can rebuild; a scheduler running for years must not fill the disk with it."""

from __future__ import annotations

import os
from pathlib import Path

from newsmon.cache import KEEP_PER_KIND, store


def test_storing_a_new_version_keeps_only_the_newest_few_of_its_kind(tmp_path: Path) -> None:
    older = []
    for number in range(KEEP_PER_KIND + 2):
        path = tmp_path / f"classifier-{number:04d}.pickle"
        path.write_bytes(b"old")
        os.utime(path, (1_000_000 + number, 1_000_000 + number))  # older files first
        older.append(path)
    neighbour = tmp_path / "gazetteer-0001.pickle"
    neighbour.write_bytes(b"another kind")
    os.utime(neighbour, (1, 1))

    newest = tmp_path / "classifier-ffff.pickle"
    store(newest, b"new")

    kept = sorted(p.name for p in tmp_path.glob("classifier-*.pickle"))
    assert newest.read_bytes() == b"new"
    assert len(kept) == KEEP_PER_KIND
    assert kept == sorted(["classifier-ffff.pickle"] + [p.name for p in older[-(KEEP_PER_KIND - 1):]])
    assert neighbour.exists()  # another kind, however old, is not this store's to remove
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind
