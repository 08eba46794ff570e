"""The gazetteer is built once and stored in the cache folder; a change to what it is built from builds it anew."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from places import find_places, load_gazetteer


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv("NEWSMON_CACHE_DIR", str(folder))
    load_gazetteer.cache_clear()  # the per-process cache would answer before the folder is looked at
    yield folder
    load_gazetteer.cache_clear()


def stored(cache: Path) -> list[Path]:
    return sorted(cache.glob("gazetteer-*.pickle"))


def places_of(extra: Path | None, title: str, text: str) -> list[str]:
    load_gazetteer.cache_clear()
    return [found.place for found in find_places(load_gazetteer(extra), title, text)]


def test_a_later_process_reads_the_gazetteer_the_first_one_stored(cache: Path) -> None:
    built = load_gazetteer()
    assert len(stored(cache)) == 1
    load_gazetteer.cache_clear()
    read = load_gazetteer()
    assert read is not built and read == built
    assert len(stored(cache)) == 1


def test_changing_the_analyst_file_builds_the_gazetteer_anew(cache: Path, tmp_path: Path) -> None:
    extra = tmp_path / "more.toml"
    extra.write_text('[[place]]\nplace = "IQ-AN"\nnames = ["Qasr Burqan"]\n', encoding="utf-8")
    text = "Families returned to Qasr Burqan and to Wadi Marzouq this week, officials in both villages said."
    assert places_of(extra, "Returns to Qasr Burqan", text) == ["IQ-AN"]
    extra.write_text('[[place]]\nplace = "SY-DY"\nnames = ["Wadi Marzouq"]\n', encoding="utf-8")
    assert places_of(extra, "Returns to Wadi Marzouq", text) == ["SY-DY"]
    assert len(stored(cache)) == 2  # one per version of the file: going back to the first needs no build


def test_a_damaged_stored_gazetteer_is_built_again(cache: Path) -> None:
    built = load_gazetteer()
    [path] = stored(cache)
    path.write_bytes(b"not a gazetteer")
    load_gazetteer.cache_clear()
    assert load_gazetteer() == built
    assert path.read_bytes() != b"not a gazetteer"


@pytest.mark.usefixtures("unwritable_cache_folder")
def test_a_cache_folder_that_cannot_be_written_only_costs_the_build() -> None:
    load_gazetteer.cache_clear()
    try:
        assert places_of(None, "Fire in al-Hol camp", "A fire tore through tents in al-Hol camp.") == ["SY-HA"]
    finally:
        load_gazetteer.cache_clear()
