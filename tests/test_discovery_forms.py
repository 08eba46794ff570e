"""Every form of sitemap and feed that news sites publish, discovered over loopback: which articles each yields,
once each, with the date its document gives, and what `newsmon sources` says the source turned out to be."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from datetime import datetime
from pathlib import Path

import pytest

from extractors import Discovery, Fetcher, Validators, discover_feed_items, parse_feed
from extractors.inflate import GzipFileRefused, inflate_gzip_file
from newsmon.config import FetchConfig, SourceConfig
from newsmon.records import FailureReason, SourceKind
from newsmon.sample_server import SampleSite
from tests import faults, source_forms
from tests.conftest import EXPECTED, query, run_newsmon, source_entry, write_config
from tests.formats import with_namespaces
from tests.source_forms import expected, install_forms, serve_robots


@pytest.fixture
def site(news_site: SampleSite) -> SampleSite:
    install_forms(news_site)
    return news_site


def discover(
    site: SampleSite,
    path: str,
    kind: SourceKind,
    settings: FetchConfig | None = None,
    validators: Validators | None = None,
) -> Discovery:
    source = SourceConfig("forms", site.url(path), kind)

    async def run() -> Discovery:
        async with Fetcher(settings or FetchConfig(retry_attempts=1), allow_private=True) as fetcher:
            return await discover_feed_items(source, fetcher, validators)

    return asyncio.run(run())


def found(discovery: Discovery) -> list[tuple[str, datetime | None]]:
    return [(item.url, item.feed_published_at) for item in discovery.items]


def errors(discovery: Discovery) -> list[str]:
    return [a.error for a in discovery.attempts if a.error]


# 1. Gzipped sitemaps


def test_gzipped_sitemap_served_as_a_file_is_read(site: SampleSite) -> None:
    discovery = discover(site, "/forms/news.xml.gz", SourceKind.SITEMAP)
    assert found(discovery) == expected(site, "/forms/news.xml.gz")
    assert errors(discovery) == []
    assert discovery.found == "urlset, gzip, 3 URLs"
    assert discovery.validators == Validators('"news-gz-1"', None), "a urlset keeps its conditional GET"


def test_gzipped_children_of_a_sitemap_index_are_read_and_each_article_listed_once(site: SampleSite) -> None:
    discovery = discover(site, "/forms/index-of-gzip.xml", SourceKind.SITEMAP)
    assert found(discovery) == expected(site, "/forms/part-1.xml.gz", "/forms/part-2.xml.gz")
    assert errors(discovery) == []
    assert discovery.found == "sitemap index, 2 children, gzip, 3 URLs"
    assert discovery.validators is None, "an index is read whole every pass"


def test_a_gzip_bomb_sitemap_is_refused_within_the_cap_and_its_siblings_still_land(site: SampleSite) -> None:
    settings = FetchConfig(retry_attempts=1, max_feed_bytes=1_000_000)
    alone = discover(site, "/forms/bomb.xml.gz", SourceKind.SITEMAP, settings)
    assert alone.failed and alone.items == []
    assert errors(alone) == ["too_large: gzip file exceeds the 1,000,000-byte cap once inflated"]

    beside = discover(site, "/forms/index-with-bomb.xml", SourceKind.SITEMAP, settings)
    assert found(beside) == expected(site, "/forms/news.xml.gz")
    assert errors(beside) == ["too_large: gzip file exceeds the 1,000,000-byte cap once inflated"]
    assert beside.found == "sitemap index, 2 children, gzip, 1 of 2 child sitemaps failed, 3 URLs"


def test_inflating_a_gzip_bomb_file_stops_at_the_cap_without_expanding_it() -> None:
    bomb = faults.gzip_bomb_body()
    tracemalloc.start()
    try:
        with pytest.raises(GzipFileRefused, match="exceeds the 1,000,000-byte cap") as refused:
            inflate_gzip_file(bomb, 1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.reason is FailureReason.TOO_LARGE
    assert peak < len(bomb) + 3_000_000, f"peak {peak:,} bytes refusing a bomb of {faults.GZIP_BOMB_BYTES:,}"


# 2. robots.txt as a sitemap source, and a site root


def test_robots_txt_given_as_a_sitemap_source_follows_its_sitemap_lines(site: SampleSite) -> None:
    serve_robots(
        site,
        "User-agent: *\nDisallow: /private/\n\nSitemap: /forms/news.xml.gz\n"
        f"sitemap: {site.url('/forms/sitemap.txt')}\n",
    )
    discovery = discover(site, "/robots.txt", SourceKind.SITEMAP)
    assert found(discovery) == expected(site, "/forms/news.xml.gz", "/forms/sitemap.txt")
    assert errors(discovery) == []
    assert discovery.found == "robots.txt, 2 sitemaps, gzip, 6 URLs"


def test_sitemaps_named_by_robots_txt_still_obey_its_rules(site: SampleSite) -> None:
    serve_robots(site, "User-agent: *\nDisallow: /forms/\nSitemap: /forms/news.xml.gz\n")
    discovery = discover(site, "/robots.txt", SourceKind.SITEMAP)
    assert discovery.failed
    assert errors(discovery) == [f"robots_disallowed: robots.txt of {site.host} disallows /forms/news.xml.gz"]


def test_sitemaps_and_feeds_found_in_documents_pass_the_address_guard(site: SampleSite) -> None:
    serve_robots(site, "Sitemap: http://0.0.0.0:1/sitemap.xml\nSitemap: /forms/sitemap.txt\n")
    robots = discover(site, "/robots.txt", SourceKind.SITEMAP)
    assert found(robots) == expected(site, "/forms/sitemap.txt")
    assert [e.split(":")[0] for e in errors(robots)] == ["unsafe_url"]

    page = b'<html><head><link rel="alternate" type="application/atom+xml" href="http://0.0.0.0:1/feed"></head></html>'
    site.routes["/forms/page-linking-nowhere.html"] = lambda h: h.send_body(200, page, "text/html")
    discovery = discover(site, "/forms/page-linking-nowhere.html", SourceKind.FEED)
    assert discovery.failed and [e.split(":")[0] for e in errors(discovery)] == ["unsafe_url"]


def test_site_root_reads_the_sitemaps_robots_txt_names(site: SampleSite) -> None:
    serve_robots(site, f"User-agent: *\nDisallow: /private/\nSitemap: {site.url('/forms/index-of-gzip.xml')}\n")
    discovery = discover(site, "/", SourceKind.SITEMAP)
    assert found(discovery) == expected(site, "/forms/part-1.xml.gz", "/forms/part-2.xml.gz")
    assert discovery.found == "site root: robots.txt names 1 sitemap, gzip, 3 URLs"
    assert discovery.validators is None


@pytest.mark.parametrize("robots", [pytest.param("User-agent: *\nDisallow: /private/\n", id="no-sitemap-line"),
                                    pytest.param(None, id="no-robots-txt")])  # fmt: skip
def test_site_root_without_sitemap_lines_tries_sitemap_xml(site: SampleSite, robots: str | None) -> None:
    serve_robots(site, robots)
    site.routes["/sitemap.xml"] = site.routes["/forms/root-sitemap.xml"]
    discovery = discover(site, "", SourceKind.SITEMAP)
    assert found(discovery) == expected(site, "/forms/root-sitemap.xml")
    assert discovery.found == "site root: no Sitemap: line in robots.txt, so /sitemap.xml (urlset), 2 URLs"


# 3. Plain-text sitemaps


def test_plain_text_sitemap_lists_one_url_per_line(site: SampleSite) -> None:
    discovery = discover(site, "/forms/sitemap.txt", SourceKind.SITEMAP)
    assert found(discovery) == expected(site, "/forms/sitemap.txt")
    assert discovery.found == "plain-text sitemap, 3 URLs"


# 4. xml:base and relative links


def test_atom_xml_base_resolves_links_at_every_level(site: SampleSite) -> None:
    discovery = discover(site, "/forms/feeds/based.atom", SourceKind.FEED)
    assert found(discovery) == expected(site, "/forms/feeds/based.atom")


def test_rss_channel_xml_base_resolves_relative_links(site: SampleSite) -> None:
    discovery = discover(site, "/forms/feeds/based.rss", SourceKind.FEED)
    assert found(discovery) == expected(site, "/forms/feeds/based.rss")


def test_relative_links_of_a_moved_feed_resolve_against_where_it_moved(site: SampleSite) -> None:
    discovery = discover(site, "/forms/old/plain-relative.rss", SourceKind.FEED)
    assert found(discovery) == expected(site, "/feeds/plain-relative.rss")
    assert [a.status for a in discovery.attempts] == [200]


def test_broken_atom_read_by_the_lenient_parser_still_honours_xml_base() -> None:
    broken = with_namespaces("""<feed xmlns="{atom}" xml:base="http://localhost/articles/"><title>t &nbsp;</title>
<entry xml:base="en/"><title>One&nbsp;</title><link href="story-one-here.html"/></entry></feed>""")
    (item,) = parse_feed(broken, "s", "http://localhost/feeds/x.atom")
    assert item.url == "http://localhost/articles/en/story-one-here.html"


# 5. Feed autodiscovery


def test_a_home_page_given_as_a_feed_follows_its_first_feed_link(site: SampleSite) -> None:
    discovery = discover(site, "/forms/home.html", SourceKind.FEED)
    direct = discover(site, "/feeds/world.rss", SourceKind.FEED)
    assert found(discovery) == found(direct) and len(direct.items) == 11
    assert [a.url for a in discovery.attempts] == [site.url("/forms/home.html"), site.url("/feeds/world.rss")]
    assert discovery.found == f"HTML page; feed found at {site.url('/feeds/world.rss')} (first of 2 it links), 11 items"
    assert discovery.validators is None, "the page's validators say nothing about the feed"


def test_autodiscovery_honours_base_href_and_rel_lists(site: SampleSite) -> None:
    discovery = discover(site, "/forms/section-with-base.html", SourceKind.FEED)
    assert found(discovery) == expected(site, "/forms/feeds/based.rss")


def test_a_feed_link_that_leads_to_another_page_is_not_followed_further(site: SampleSite) -> None:
    discovery = discover(site, "/forms/page-linking-a-page.html", SourceKind.FEED)
    assert discovery.failed
    assert [(a.url, a.error) for a in discovery.attempts] == [
        (site.url("/forms/page-linking-a-page.html"), None),
        (site.url("/forms/home.html"), "feed_invalid: an HTML page, not a feed"),
    ]


# 6. Forms that already worked


def test_utf8_feed_with_a_bom_served_as_text_html_is_read(site: SampleSite) -> None:
    assert found(discover(site, "/forms/bom-feed", SourceKind.FEED)) == expected(site, "/forms/bom-feed")


def test_a_moved_feed_is_followed(site: SampleSite) -> None:
    moved = discover(site, "/forms/old/world.rss", SourceKind.FEED)
    assert found(moved) == found(discover(site, "/feeds/world.rss", SourceKind.FEED)) and len(moved.items) == 11


def test_iso_8859_1_feed_keeps_its_accented_titles(site: SampleSite) -> None:
    discovery = discover(site, "/forms/latin-1.rss", SourceKind.FEED)
    assert found(discovery) == expected(site, "/forms/latin-1.rss")
    assert [i.title for i in discovery.items] == [source_forms.LATIN_1_TITLE]


# Every form through a whole pass: each article stored once, with its page's date, and `newsmon sources` says why


@pytest.mark.usefixtures("prefect_harness")
def test_a_pass_over_every_form_stores_each_article_once_and_says_what_each_source_was(
    site: SampleSite, tmp_path: Path
) -> None:
    serve_robots(site, f"User-agent: *\nDisallow: /private/\nSitemap: {site.url('/forms/index-of-gzip.xml')}\n")
    sources = {
        "gzip-sitemap": ("/forms/news.xml.gz", "sitemap"),
        "site-root": ("/", "sitemap"),
        "text-sitemap": ("/forms/sitemap.txt", "sitemap"),
        "atom-base": ("/forms/feeds/based.atom", "feed"),
        "rss-base": ("/forms/feeds/based.rss", "feed"),
        "home-page": ("/forms/section-with-base.html", "feed"),
        "latin-1": ("/forms/latin-1.rss", "feed"),
        "bom-as-html": ("/forms/bom-feed", "feed"),
        "moved": ("/forms/old/plain-relative.rss", "feed"),
    }
    config = write_config(tmp_path, [source_entry(name, site.url(p), kind) for name, (p, kind) in sources.items()])
    result = run_newsmon("run", "--config", config)
    assert result.exit_code == 0, result.output

    routes = ["/forms/news.xml.gz", "/forms/part-1.xml.gz", "/forms/part-2.xml.gz", "/forms/sitemap.txt",
              "/forms/feeds/based.atom", "/forms/feeds/based.rss", "/forms/latin-1.rss", "/forms/bom-feed",
              "/feeds/plain-relative.rss"]  # fmt: skip
    rows = query(config, "SELECT url, count(*) AS copies, min(published_at) AS published FROM articles GROUP BY url")
    stored = {r["url"].removeprefix(site.base_url): r for r in rows}
    assert sorted(stored) == sorted({url.removeprefix(site.base_url) for url, _ in expected(site, *routes)})
    for path, row in stored.items():
        assert row["copies"] == 1, path
        assert row["published"].startswith(EXPECTED["articles"][path]["published"]), path

    listed = run_newsmon("sources", "--config", config, "--json")
    assert listed.exit_code == 0, listed.output
    health = {row["source"]: row for row in map(json.loads, listed.stdout.splitlines())}
    assert {name: row["last_error"] for name, row in health.items()} == dict.fromkeys(sources)
    assert {name: row["found"] for name, row in health.items()} == {
        "gzip-sitemap": "urlset, gzip, 3 URLs",
        "site-root": "site root: robots.txt names 1 sitemap, gzip, 3 URLs",
        "text-sitemap": "plain-text sitemap, 3 URLs",
        "atom-base": "feed, 3 items",
        "rss-base": "feed, 2 items",
        "home-page": f"HTML page; feed found at {site.url('/forms/feeds/based.rss')}, 2 items",
        "latin-1": "feed, 1 item",
        "bom-as-html": "feed, 2 items",
        "moved": "feed, 1 item",
    }
