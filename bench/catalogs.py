"""Which embedded catalog lets an analyst hold a session open while a pass writes: DuckDB file, SQLite, SQLite WAL.

    python bench/catalogs.py [--hold 4]

For each catalog: a lake with one table; a reader process attaches it read-only, starts a transaction, counts, and
holds the transaction `--hold` seconds; meanwhile a writer process attaches it read-write and commits an insert.
Printed: whether the writer could attach, how long its commit took, and what the reader saw before and after.
The baseline is the same insert with no reader, in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from warehouse.lake import extension_file

SESSION = textwrap.dedent(
    """
    import sys, time, duckdb
    role, catalog, data, hold, ducklake, sqlite = sys.argv[1:7]
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute(f"LOAD '{ducklake}'"); con.execute(f"LOAD '{sqlite}'")
    try:
        read_only = ", READ_ONLY" if role == "reader" else ""
        con.execute(f"ATTACH 'ducklake:{catalog}' AS lake (DATA_PATH '{data}'{read_only})")
    except duckdb.Error as exc:
        reason = "could not lock the catalog file" if "lock" in str(exc) else str(exc).splitlines()[0][:90]
        print("refused:", reason, flush=True); sys.exit(0)
    con.execute("USE lake")
    if role == "setup":
        con.execute("CREATE TABLE t (a BIGINT)"); con.execute("INSERT INTO t SELECT range FROM range(10)")
    elif role == "reader":
        con.execute("BEGIN")
        print("before", con.execute("SELECT count(*) FROM t").fetchone()[0], flush=True)
        time.sleep(float(hold))
        print("held", con.execute("SELECT count(*) FROM t").fetchone()[0], flush=True)
        con.execute("COMMIT")
        print("after", con.execute("SELECT count(*) FROM t").fetchone()[0], flush=True)
    else:
        started = time.perf_counter()
        con.execute("INSERT INTO t SELECT range FROM range(1000)")
        print(f"committed {time.perf_counter() - started:.2f}", flush=True)
    """
)


def _session(role: str, catalog: str, data: Path, hold: float) -> subprocess.Popen[str]:
    extensions = [str(extension_file("ducklake")), str(extension_file("sqlite_scanner"))]
    args = [role, catalog, f"{data}/", str(hold), *extensions]
    return subprocess.Popen([sys.executable, "-c", SESSION, *args], stdout=subprocess.PIPE, text=True)


def trial(work: Path, kind: str, hold: float, with_reader: bool) -> str:
    folder = work / f"{kind}-{with_reader}"
    folder.mkdir()
    if kind == "duckdb file":
        catalog = str(folder / "catalog.duckdb")
    else:
        catalog = f"sqlite:{folder / 'catalog.sqlite'}"
        if kind == "sqlite wal":
            with sqlite3.connect(folder / "catalog.sqlite") as con:
                con.execute("PRAGMA journal_mode=WAL")
    _session("setup", catalog, folder / "data", hold).wait()
    reader = _session("reader", catalog, folder / "data", hold) if with_reader else None
    if reader is not None:
        assert reader.stdout is not None
        first = reader.stdout.readline().split()
        time.sleep(0.5)
    writer = _session("writer", catalog, folder / "data", hold)
    written, _ = writer.communicate(timeout=120)
    if reader is None:
        return f"writer {written.strip()} s"
    rest, _ = reader.communicate(timeout=120)
    seen = dict(line.split(maxsplit=1) for line in rest.splitlines())
    return (
        f"writer {written.strip()}{' s' if written.startswith('committed') else ''}; reader saw "
        f"{first[1]} rows, {seen.get('held', '?')} while holding, {seen.get('after', '?')} after"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hold", type=float, default=4.0, help="seconds the reader holds its transaction")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsmon-catalog-bench-"))
    try:
        print(f"reader holds a transaction {args.hold:.0f} s; the writer commits 1,000 rows meanwhile")
        for kind in ("duckdb file", "sqlite", "sqlite wal"):
            print(f"{kind:12} baseline, no reader:  {trial(work, kind, args.hold, with_reader=False)}")
            print(f"{kind:12} reader holding open:  {trial(work, kind, args.hold, with_reader=True)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
