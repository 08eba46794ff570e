"""Peak memory of ingest passes over the worst hostile sources, beside a pass over the healthy sample site.

Usage: .venv/bin/python bench/hostile.py
Each case runs in its own process (so each peak RSS is its own): the real pipeline (discover → fetch → extract →
classify → store) without Prefect, against the sample site and the fault routes of tests/faults.py on loopback.
Peak RSS is the pass's own process, where fetching and feed parsing happen (extraction workers are not counted).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.ingest_pass import (  # noqa: E402
    IngestPass,
    discover_source,
    fetch_extract_store,
    record_discovery,
    unseen_items,
)
from newsmon.config import load_config  # noqa: E402
from newsmon.sample_server import SampleSite  # noqa: E402
from tests import faults as fault_routes  # noqa: E402

CASES = {
    "baseline": "healthy sample site, all 5 sources (17 articles)",
    "huge-page": "30 MB page, streamed and declared, + arabic feed",
    "gzip-bomb": "gzip bomb (120 MB inflated) + arabic feed",
    "feed-50k": "50,000-item feed, every item a quick 410 + arabic feed",
}


def sources_for(case: str, site: SampleSite) -> list[dict[str, str]]:
    arabic = {"name": "arabic", "url": site.url("/feeds/arabic.atom"), "kind": "feed", "lang": "ar"}
    if case == "baseline":
        return [
            {"name": "world", "url": site.url("/feeds/world.rss"), "kind": "feed", "lang": "en"},
            arabic,
            {"name": "briefs", "url": site.url("/feeds/briefs.json"), "kind": "feed"},
            {"name": "sitemap", "url": site.url("/sitemap_index.xml"), "kind": "sitemap"},
            {"name": "iraq-section", "url": site.url("/sections/iraq.html"), "kind": "page"},
        ]
    pages = {
        "huge-page": ["/faults/huge-page-streamed", "/faults/huge-page-declared"],
        "gzip-bomb": ["/faults/gzip-bomb"],
    }
    if case == "feed-50k":
        body = fault_routes.big_feed(site.base_url, link_path="/faults/status-410")
    else:
        body = fault_routes._rss("", [(p, site.url(p)) for p in pages[case]]).encode()
    site.routes["/bench/hostile.rss"] = lambda handler: handler.send_body(200, body, "application/rss+xml")
    return [{"name": "hostile", "url": site.url("/bench/hostile.rss"), "kind": "feed"}, arabic]


def run_case(case: str) -> dict[str, float | int | str]:
    """One pass in this process; returns its numbers."""
    with SampleSite() as site, tempfile.TemporaryDirectory() as tmp:
        faults = fault_routes.install_faults(site)
        lines = ["[warehouse]", 'path = "newsmon.duckdb"', "[extract]", "workers = 2", ""]
        for source in sources_for(case, site):
            lines += ["[[sources]]", *(f"{k} = {json.dumps(v)}" for k, v in source.items()), ""]
        config_path = Path(tmp) / "newsmon.toml"
        config_path.write_text("\n".join(lines), encoding="utf-8")
        config = load_config(config_path)
        started = time.perf_counter()
        with IngestPass.open(config) as ingest_pass:
            summaries = []
            for source in config.sources:
                discovery = discover_source(ingest_pass, source)
                summary = fetch_extract_store(ingest_pass, source, unseen_items(ingest_pass, source, discovery.items))
                summary.seen = len(discovery.items)
                record_discovery(ingest_pass, source, discovery, summary)
                summaries.append(summary)
            ingest_pass.finish(summaries)
        faults.release()
    return {
        "case": case,
        "seconds": time.perf_counter() - started,
        "stored": sum(s.new for s in summaries),
        "failed": sum(s.failed for s in summaries),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=list(CASES), help="run one case in this process and print it as JSON")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case)))
        return
    results = []
    for case in CASES:
        out = subprocess.run([sys.executable, __file__, "--case", case], capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = float(results[0]["peak_rss_mb"])
    for row in results:
        ratio = "" if row["case"] == "baseline" else f"   {float(row['peak_rss_mb']) / base:.2f}× baseline"
        print(
            f"{row['case']:<10} {CASES[str(row['case'])]:<56} {row['seconds']:6.1f} s  stored {row['stored']:>3}  "
            f"failed {row['failed']:>6}  peak RSS {row['peak_rss_mb']:6.1f} MB{ratio}"
        )


if __name__ == "__main__":
    main()
