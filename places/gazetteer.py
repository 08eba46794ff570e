"""The gazetteer: every spelling of an Iraqi or Syrian governorate, town, district, camp or site, filed under its
folded key, with the governorate (ISO 3166-2) it belongs to.

Three layers, later ones winning where a spelling is shared: governorates with their English and Arabic names
(the `iso3166-2` package), towns from GeoNames (places/data/towns.tsv, CC BY 4.0), and the curated sites of
places/data/sites.toml plus any file an analyst adds.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import pickle
import sys
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsmon.cache import cache_folder, read_stored, store
from newsmon.errors import ConfigError
from places.quick_test import QuickTest
from places.text import fold_display, name_key

COUNTRIES = ("IQ", "SY")
# The package's own files, found from this module as the code itself is (`importlib.resources` would add its own
# imports, a few milliseconds, to the start of every `newsmon classify`).
DATA = Path(__file__).parent / "data"
DISPLAY_NAMES = {"IQ-BG": "Baghdad"}  # the package lists the French "Bagdad" as its English name
MAX_NAME_WORDS = 4
CACHE_FORMAT = 1  # raise when the stored form changes in a way the hashed code would not show

# GeoNames lists every hamlet's alternate names; these are also everyday words, so a town spelled only this way
# is left to the curated file. Checked against folded keys (Latin lowercased, Arabic without its article).
COMMON_WORDS = frozenset({
    "tall", "hit", "hay", "city", "new", "old", "camp", "nawa", "jaba", "deir", "kafr", "tell", "ain", "ayn", "bab",
    "jisr", "qasr", "suq", "souk", "nahr", "jabal", "mount", "umm", "abu", "bir", "khan", "sheikh", "shaykh",
    "medina", "madinah", "karamah", "hurriya", "salam", "nasr", "jadida", "jadidah", "wadi", "baghdadi",
    "مدينه", "كرامه", "حريه", "سلام", "نصر", "جزيره", "حي", "تل", "جديده", "قديمه", "عزيزيه", "جسر", "دير", "عين",
    "قصر", "سوق", "نهر", "جبل", "خان", "شيخ", "باب", "وادي", "بير", "ام", "ابو", "كفر", "مزرعه", "قريه", "صالحيه",
    "منصوره", "زهراء", "رشيد", "حسينيه", "اسكندريه", "بغدادي", "نور", "امين", "فرات", "شام", "ثوره", "وحده",
    "شهداء", "مركز", "معسكر", "طريق", "حمام", "سد", "قلعه", "رمل", "زراعه",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Entry:
    """One named place: a governorate, a GeoNames town or a curated site."""

    id: str  # "IQ-NI", "geonames:99072", "site:al-hol"
    place: str  # the governorate's ISO 3166-2 code
    kind: str  # governorate | town | city | district | camp | site
    label: str  # the name to show

    def __reduce__(self) -> tuple[type[Entry], tuple[str, str, str, str]]:
        # Unpickled by the constructor: faster than a dataclass's generic state restore, and the stored gazetteer
        # holds thousands of entries that every fresh process reads.
        return Entry, (self.id, self.place, self.kind, self.label)


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """Folded name keys → entries. `ambiguous` keys are also common words and count only after a place word."""

    names: dict[tuple[str, ...], Entry]
    ambiguous: frozenset[tuple[str, ...]] = frozenset()
    governorates: dict[str, str] = field(default_factory=dict)  # ISO code -> English name
    governorate_names: dict[tuple[str, ...], str] = field(default_factory=dict)  # ISO 3166-2's own spellings only
    first_words: frozenset[str] = frozenset()  # every name's first word: most words of a text start none
    # GeoNames' one-word Arabic town names are often everyday words too (زيارة "visit", سلمية "peaceful",
    # الرياض "Riyadh" is also a Kirkuk village): they count only right after a word that names a settlement.
    town_words: frozenset[tuple[str, ...]] = frozenset()
    quick_test: QuickTest = field(init=False, compare=False, repr=False)  # which sentences may hold a name
    name_words: dict[str, int] = field(init=False, compare=False, repr=False)  # first word → most words of its names

    def __post_init__(self) -> None:
        if not self.first_words:
            object.__setattr__(self, "first_words", frozenset(key[0] for key in self.names))
        name_words: dict[str, int] = {}
        for key in self.names:
            name_words[key[0]] = max(len(key), name_words.get(key[0], 0))
        object.__setattr__(self, "name_words", name_words)
        object.__setattr__(self, "quick_test", QuickTest.for_names(self.names))

    def lookup(self, name: str) -> Entry | None:
        return self.names.get(name_key(name))


@functools.lru_cache(maxsize=4)
def load_gazetteer(extra_names: Path | None = None) -> Gazetteer:
    """The shipped gazetteer, plus an analyst's file of the same shape as places/data/sites.toml.

    Cached per process (the pre-pass check, the workers and story assignment share one load), and on disk: built
    once (≈0.5 s) into the cache folder (`cache_folder()`) under a name that hashes everything it is built from
    (the package's data and code, the `iso3166-2` data, the analyst's file), so any change builds it anew; later
    processes read it in milliseconds. An unwritable cache folder only costs the build."""
    curated = [("places/data/sites.toml", (DATA / "sites.toml").read_bytes())]
    if extra_names is not None:
        try:
            curated.append((str(extra_names), extra_names.read_bytes()))
        except OSError as exc:
            raise ConfigError(f"{extra_names}: cannot read the extra place names: {exc.strerror or exc}") from exc
    stored = cache_folder() / f"gazetteer-{_fingerprint(curated)}.pickle"
    try:
        found = pickle.loads(read_stored(stored))
        if isinstance(found, Gazetteer):
            return found
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        pass  # absent, unreadable or from another version of the code: build it
    texts = [(where, _utf8(where, data)) for where, data in curated]
    gazetteer = _build(texts)
    store(stored, pickle.dumps(gazetteer, protocol=pickle.HIGHEST_PROTOCOL))
    return gazetteer


def _fingerprint(curated: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256(f"{CACHE_FORMAT} {sys.version_info[:2]}".encode())
    for module in ("gazetteer.py", "text.py", "quick_test.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    digest.update((DATA / "towns.tsv").read_bytes())
    digest.update(_iso3166_data_stamp().encode())
    for where, data in curated:
        digest.update(f"\0{where}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()[:24]


def _iso3166_data_stamp() -> str:
    """The installed `iso3166-2` data's path, size and time, without importing the package (≈0.2 s)."""
    spec = importlib.util.find_spec("iso3166_2")
    if spec is None or not spec.submodule_search_locations:
        return "iso3166_2 missing"
    data = Path(next(iter(spec.submodule_search_locations))) / "iso3166-2.json"
    try:
        stat = data.stat()
    except OSError:
        return f"{data} missing"
    return f"{data} {stat.st_size} {stat.st_mtime_ns}"


def _utf8(where: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}).") from exc


def _build(curated: list[tuple[str, str]]) -> Gazetteer:
    governorates, gov_names = _governorates()
    names: dict[tuple[str, ...], Entry] = {}
    for key, entries in _towns().items():
        places = {e.place for e in entries}
        if len(places) == 1 and _usable_town_key(key):  # a spelling two governorates share says nothing
            names[key] = min(entries, key=lambda e: e.id)
    town_words = frozenset(k for k, e in names.items() if len(k) == 1 and not k[0].isascii())
    names.update(gov_names)
    ambiguous: set[tuple[str, ...]] = set()
    never: set[tuple[str, ...]] = set()
    for where, text in curated:
        sites, not_places = _sites(where, text, set(governorates))
        for entry, spellings, unsure in sites:
            for spelling in spellings:
                key = name_key(spelling)
                if key:
                    names[key] = entry
            ambiguous.update(name_key(s) for s in unsure)
        never.update(name_key(s) for s in not_places)
    for key in never:
        names.pop(key, None)
    return Gazetteer(
        names=names,
        ambiguous=frozenset(ambiguous),
        governorates=governorates,
        governorate_names={key: entry.place for key, entry in gov_names.items()},
        town_words=frozenset(k for k in town_words if names.get(k, Entry("", "", "", "")).id.startswith("geonames:")),
    )


@functools.lru_cache(maxsize=1)
def _governorates() -> tuple[dict[str, str], dict[tuple[str, ...], Entry]]:
    from iso3166_2 import Subdivisions  # ≈0.1 s: loaded once per process, with the gazetteer

    subdivisions: Any = Subdivisions()  # typed as a union of its lookup results
    codes: dict[str, str] = {}
    names: dict[tuple[str, ...], Entry] = {}
    for country in COUNTRIES:
        for code, record in subdivisions[country].items():
            if record["type"] not in ("Governorate", "Province"):
                continue  # IQ-KR, the Kurdistan Region, spans three governorates
            spellings = [record["name"]] + [n for n, lang in _other_names(record) if lang in ("ara", "eng")]
            english = DISPLAY_NAMES.get(code) or next(
                (n for n, lang in _other_names(record) if lang == "eng"), fold_display(record["name"])
            )
            codes[code] = english
            entry = Entry(code, code, "governorate", english)
            for spelling in spellings:
                key = name_key(spelling)
                if key and len(key) <= MAX_NAME_WORDS and key not in (("city", "peace"),):
                    names[key] = entry
    return codes, names


def _other_names(record: dict[str, Any]) -> list[tuple[str, str]]:
    """("Nineveh", "eng"), ("نينوى", "ara") … from the package's "localOtherName" field."""
    found = []
    for other in (record.get("localOtherName") or "").split(","):
        name, _, lang = other.strip().rpartition(" (")
        if name:
            found.append((name, lang.rstrip(")")))
    return found


def governorate_names() -> dict[str, str]:
    """ISO 3166-2 code → English name, for showing ("IQ-NI" → "Nineveh")."""
    return _governorates()[0]


def _towns() -> dict[tuple[str, ...], list[Entry]]:
    import csv  # here, not at the top: only a build reads the towns file

    data = DATA / "towns.tsv"
    by_key: dict[tuple[str, ...], list[Entry]] = defaultdict(list)
    with data.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            key = name_key(row["name"])
            if key and len(key) <= MAX_NAME_WORDS and not row["name"].isupper():
                by_key[key].append(Entry(f"geonames:{row['geonameid']}", row["place"], "town", row["name"]))
    return by_key


def _usable_town_key(key: tuple[str, ...]) -> bool:
    if any(word in COMMON_WORDS for word in key) and len(key) == 1:
        return False
    if len(key) == 1:
        return len(key[0]) >= (4 if key[0].isascii() else 4)
    return not all(word in COMMON_WORDS for word in key)


def _sites(where: str, text: str, codes: set[str]) -> tuple[list[tuple[Entry, list[str], list[str]]], list[str]]:
    """The [[place]] entries of a file, and its `not_places` spellings."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from exc
    unknown = set(raw) - {"place", "not_places"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; expected [[place]] and not_places.")
    not_places = raw.get("not_places", [])
    if not isinstance(not_places, list) or not all(isinstance(s, str) for s in not_places):
        raise ConfigError(f"{where}: not_places must be a list of spellings.")
    found = []
    for number, item in enumerate(raw.get("place", []), start=1):
        entry, spellings, unsure = _site(where, number, item, codes)
        found.append((entry, spellings, unsure))
    return found, not_places


def _site(where: str, number: int, item: Any, codes: set[str]) -> tuple[Entry, list[str], list[str]]:
    label = f"{where}: [[place]] number {number}"
    if not isinstance(item, dict):
        raise ConfigError(f"{label}: expected a table with id, place and names.")
    unknown = set(item) - {"id", "place", "kind", "names", "ambiguous"}
    if unknown:
        raise ConfigError(f"{label}: unknown key(s) {', '.join(sorted(unknown))}.")
    place, names = item.get("place"), item.get("names")
    if place not in codes:
        raise ConfigError(f"{label}: place = {place!r} is not an Iraqi or Syrian governorate code such as IQ-NI.")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ConfigError(f'{label}: names must be a list of spellings, such as ["Sinjar", "سنجار"].')
    unsure = item.get("ambiguous", [])
    if not isinstance(unsure, list) or not set(unsure) <= set(names):
        raise ConfigError(f"{label}: ambiguous must list some of its names.")
    site_id = str(item.get("id") or names[0])
    return Entry(f"site:{site_id}", place, str(item.get("kind", "site")), names[0]), names, unsure
