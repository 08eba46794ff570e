"""The cache folder keeps what newsmon can rebuild; a scheduler running for years must not fill the disk with it."""

from __future__ import annotations

import os
from pathlib import Path

from newsmon.cache import KEEP_PER_KIND, read_stored, store


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


def test_a_version_still_read_outlives_newer_ones_nobody_reads(tmp_path: Path) -> None:
    in_use = tmp_path / "gazetteer-0000.pickle"
    in_use.write_bytes(b"read every pass")
    os.utime(in_use, (1_000, 1_000))  # written long ago
    for number in range(1, KEEP_PER_KIND + 1):
        newer = tmp_path / f"gazetteer-{number:04d}.pickle"
        newer.write_bytes(b"written once")
        os.utime(newer, (2_000 + number, 2_000 + number))

    assert read_stored(in_use) == b"read every pass"  # marks it used
    store(tmp_path / "gazetteer-ffff.pickle", b"new")

    assert in_use.exists()
    assert not (tmp_path / "gazetteer-0001.pickle").exists()  # the oldest that nobody read went instead


def test_a_temporary_file_left_by_a_killed_writer_is_removed_once_stale(tmp_path: Path) -> None:
    stale = tmp_path / ".classifier-abandoned"
    stale.write_bytes(b"half a pickle")
    os.utime(stale, (1_000, 1_000))
    fresh = tmp_path / ".classifier-being-written"
    fresh.write_bytes(b"another process is writing this now")

    store(tmp_path / "classifier-0001.pickle", b"new")

    assert not stale.exists()
    assert fresh.exists()
