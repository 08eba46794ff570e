"""`newsmon demo`: the whole pipeline, offline, against the bundled sample site served on loopback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from newsmon.config import load_config
from newsmon.sample_server import SampleSite

DEMO_PORT = 8787  # fixed when free, so article URLs (and the warehouse) stay the same from one demo to the next

DEMO_CONFIG = """\
# Written by `newsmon demo`: the bundled sample site, served on loopback.
[warehouse]
path = "data/newsmon.duckdb"

[[sources]]
name = "tigris-world"
url = "{base}/feeds/world.rss"
kind = "feed"
lang = "en"

[[sources]]
name = "tigris-arabic"
url = "{base}/feeds/arabic.atom"
kind = "feed"
lang = "ar"

[[sources]]
name = "tigris-briefs"
url = "{base}/feeds/briefs.json"
kind = "feed"

[[sources]]
name = "tigris-sitemap"
url = "{base}/sitemap_index.xml"
kind = "sitemap"

[[sources]]
name = "tigris-iraq-section"
url = "{base}/sections/iraq.html"
kind = "page"

[digest]
to = ["analyst@example.org"]
from = "newsmon@example.org"
outbox = "data/outbox"

[schedule]
ingest = "*/30 * * * *"
digest = "0 7 * * *"
"""


def run_demo(
    directory: Path,
    *,
    print_rows: Callable[..., None],
    print_summary: Callable[[Any], None],
    print_trends: Callable[[Any], None],
) -> None:
    import warehouse as wh
    from engine import check_before_pass
    from flows.ingest import run_ingest_once

    directory.mkdir(parents=True, exist_ok=True)
    with SampleSite(port=DEMO_PORT) as site:
        config_path = directory / "newsmon.toml"
        config_path.write_text(DEMO_CONFIG.format(base=site.base_url), encoding="utf-8")
        click.echo(f"serving the sample site at {site.base_url}; config: {config_path}", err=True)
        config = load_config(config_path)
        check_before_pass(config)
        summary = run_ingest_once(config)
    print_summary(summary)
    with wh.open_warehouse(config.warehouse, read_only=True) as warehouse:
        click.echo("\nWhat landed (newest first):")
        rows = wh.recent_articles(warehouse, summary.run_id, limit=20)
        print_rows(rows.columns, rows.rows, max_width=70)
        click.echo("\nArticles per tag and week (newsmon trends --weeks 12):")
        print_trends(wh.weekly_tag_counts(warehouse, 12).rows)
    # Previewed, not sent: the quickstart's first digest (preview, send, send again) is then the reader's to make.
    from engine import send_digest

    click.echo("\nFirst digest, previewed (newsmon digest --dry-run; nothing sent or recorded):")
    preview = send_digest(config, now=datetime.now(UTC), dry_run=True)
    if preview.message is not None:
        click.echo(f"Subject: {preview.message['Subject']} ({preview.articles} articles)")
    else:
        click.echo(preview.describe())
    click.echo(f"\nNext: newsmon digest --config {config_path} --dry-run   (all of it; drop --dry-run to send it)")
    click.echo(f'      newsmon sql --config {config_path} "SELECT tag, count(*) FROM article_tags GROUP BY tag"')
