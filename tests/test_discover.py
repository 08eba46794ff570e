"""Discovery: every feed format, sitemaps and section pages turned into FeedItems, and broken feeds into verdicts."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from extractors import FeedInvalid, Fetcher, discover_feed_items, parse_feed, parse_section_page, parse_sitemap
from newsmon.config import FetchConfig, SourceConfig
from newsmon.records import SourceKind
from newsmon.sample_server import SampleSite
from tests import faults
from tests.conftest import EXPECTED
from tests.formats import with_namespaces

BASE = "http://localhost"

RSS_2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>World</title>
<item><title>  Basra   exports  </title><link>/articles/en/basra-export-figures.html?utm_source=rss</link>
<guid isPermaLink="false">tigris-0042</guid><pubDate>Wed, 18 Nov 2026 21:40:00 +0300</pubDate></item>
<item><title>Guid only</title><guid>http://localhost/articles/en/guid-only-link.html</guid></item>
</channel></rss>"""
RSS_1_RDF = with_namespaces(b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="{rdf}" xmlns="{rss1}"
 xmlns:dc="{dc}">
<channel rdf:about="http://localhost/"><title>t</title></channel>
<item rdf:about="http://localhost/articles/en/rdf-item-one.html"><title>RDF one</title>
<link>http://localhost/articles/en/rdf-item-one.html</link><dc:date>2026-11-03T10:00:00Z</dc:date></item>
</rdf:RDF>""")
ATOM = with_namespaces("""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="{atom}"><title>t</title>
<entry><title type="html">Basra &amp;amp; Erbil</title><id>tag:localhost,2026:1</id>
<link rel="enclosure" href="http://localhost/media/photo.jpg"/>
<link rel="alternate" href="http://localhost/articles/ar/مقال-عن-البصرة.html"/>
<published>2026-11-03T13:00:00+03:00</published><updated>2026-11-04T13:00:00+03:00</updated></entry>
<entry><title>Updated only</title><id>tag:localhost,2026:2</id><link href="/articles/en/updated-only-entry.html"/>
<updated>2026-11-04</updated></entry></feed>""")
JSON_FEED = with_namespaces(b"""{"version": "{jsonfeed}", "items": [
 {"id": "j-1", "url": "/articles/en/json-item-one.html", "title": "One", "date_published": "2026-10-19T18:30:00+03:00"},
 {"id": "j-2", "external_url": "http://localhost/articles/en/json-item-two.html", "date_modified": "2026-10-20"},
 {"id": "j-3", "title": "no url"}, "not an object"]}""")


def test_rss_2_items_keep_link_guid_title_and_date() -> None:
    items = parse_feed(RSS_2, "world", BASE + "/feeds/world.rss")
    assert [(i.url, i.title, i.guid) for i in items] == [
        (BASE + "/articles/en/basra-export-figures.html", "Basra exports", "tigris-0042"),
        (BASE + "/articles/en/guid-only-link.html", "Guid only", BASE + "/articles/en/guid-only-link.html"),
    ]
    assert items[0].feed_published_at == datetime(2026, 11, 18, 18, 40, tzinfo=UTC)
    assert items[1].feed_published_at is None


def test_rss_1_rdf_items_are_read() -> None:
    (item,) = parse_feed(RSS_1_RDF, "rdf", BASE + "/feed.rdf")
    assert item.url == BASE + "/articles/en/rdf-item-one.html" and item.title == "RDF one"
    assert item.guid == item.url  # rdf:about
    assert item.feed_published_at == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def test_atom_entries_take_the_alternate_link_and_published_date() -> None:
    first, second = parse_feed(ATOM, "atom", BASE + "/feeds/a.atom")
    assert (
        first.url
        == BASE + "/articles/ar/%D9%85%D9%82%D8%A7%D9%84-%D8%B9%D9%86-%D8%A7%D9%84%D8%A8%D8%B5%D8%B1%D8%A9.html"
    )
    assert first.title == "Basra & Erbil" and first.guid == "tag:localhost,2026:1"
    assert first.feed_published_at == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    assert second.url == BASE + "/articles/en/updated-only-entry.html"
    assert second.feed_published_at == datetime(2026, 11, 4, tzinfo=UTC)


def test_json_feed_items_with_a_url_are_read() -> None:
    items = parse_feed(JSON_FEED, "briefs", BASE + "/feeds/briefs.json")
    assert [(i.url, i.guid) for i in items] == [
        (BASE + "/articles/en/json-item-one.html", "j-1"),
        (BASE + "/articles/en/json-item-two.html", "j-2"),
    ]
    assert items[0].feed_published_at == datetime(2026, 10, 19, 15, 30, tzinfo=UTC)
    assert items[1].feed_published_at == datetime(2026, 10, 20, tzinfo=UTC)


def test_unsafe_links_are_kept_as_written_for_the_fetcher_to_refuse() -> None:
    body = faults._rss("", [("file", "file:///etc/passwd"), ("zero", "http://0.0.0.0:1/a-b-c")]).encode()
    assert [i.url for i in parse_feed(body, "s", BASE)] == ["file:///etc/passwd", "http://0.0.0.0:1/a-b-c"]


def test_truncated_feed_keeps_the_items_before_the_cut() -> None:
    items = parse_feed(faults.truncated_feed(BASE), "s", BASE)
    assert [i.url for i in items] == [BASE + p for p in faults.TRUNCATED_FEED_ARTICLES]


def test_feed_with_html_entities_keeps_its_items_and_titles() -> None:
    items = parse_feed(faults.bad_entities_feed(BASE), "s", BASE)
    assert [i.url for i in items] == [BASE + p for p in faults.BAD_ENTITY_FEED_ARTICLES]
    assert items[0].title is not None and items[0].title.startswith("Erbil arrivals …")
    assert items[1].title == "Nineveh verdicts — & more", "control characters are dropped from titles"


@pytest.mark.parametrize(
    "body, message",
    [
        pytest.param(b"<!DOCTYPE html><html><body><p>Not a feed</p></body></html>", "an HTML page", id="html"),
        pytest.param(b"<!-- " + b"x" * 600 + b" -->\n<html><body></body></html>", "an HTML page", id="html-late-tag"),
        pytest.param(b"<html><body><p>unclosed <b>markup</body>", "an HTML page", id="html-not-well-formed"),
        pytest.param(b"<?xml version='1.0'?><catalog><book/></catalog>", "root element <catalog>", id="other-xml"),
        pytest.param(b"hello world", "not a feed", id="plain-text"),
        pytest.param(b"", "empty document", id="empty"),
        pytest.param(b'{"title": "no items"}', "not a JSON Feed", id="json-without-items"),
        pytest.param(b"{not json", "not valid JSON", id="broken-json"),
        pytest.param(b"<>&#2000000;", "not a readable feed", id="char-ref-out-of-range"),
    ],
)
def test_non_feed_raises_feed_invalid_with_what_it_looked_like(body: bytes, message: str) -> None:
    with pytest.raises(FeedInvalid, match=message):
        parse_feed(body, "s", BASE)


def test_empty_but_valid_feed_has_no_items() -> None:
    assert parse_feed(b"<rss version='2.0'><channel><title>t</title></channel></rss>", "s", BASE) == []


def test_50000_item_feed_parses_whole_and_a_cap_keeps_its_first_items() -> None:
    # How long it takes is bench/hostile.py's job (feed-50k), measured beside a baseline, not a timed test's.
    body = faults.big_feed(BASE)
    items = parse_feed(body, "s", BASE)
    assert len(items) == faults.BIG_FEED_ITEMS
    assert [i.url for i in parse_feed(body, "s", BASE, max_items=20)] == [i.url for i in items[:20]]


def test_broken_50000_item_feed_reads_only_the_items_it_keeps() -> None:
    body = faults.big_feed(BASE).replace(b"<title>Field report 3</title>", b"<title>&nbsp; 3</title>")
    started = time.perf_counter()
    items = parse_feed(body, "s", BASE, max_items=20)
    assert len(items) == 20 and items[3].title == "3"
    assert time.perf_counter() - started < 2, "feedparser was given all 50,000 items"


SITEMAP_INDEX = with_namespaces(b"""<?xml version="1.0"?><sitemapindex xmlns="{sitemap}">
<sitemap><loc>http://localhost/sitemaps/news.xml</loc></sitemap>
<sitemap><loc> http://localhost/sitemaps/archive.xml </loc></sitemap></sitemapindex>""")
NEWS_SITEMAP = with_namespaces(b"""<?xml version="1.0"?>
<urlset xmlns="{sitemap}" xmlns:news="{news}">
<url><loc>http://localhost/articles/en/news-sitemap-entry.html</loc><lastmod>2026-01-01</lastmod>
<news:news><news:publication><news:name>T</news:name></news:publication>
<news:publication_date>2026-11-05T11:20:00+03:00</news:publication_date>
<news:title>News title</news:title></news:news></url>
<url><loc>http://localhost/articles/en/plain-urlset-entry.html?utm_medium=x</loc><lastmod>2026-10-01</lastmod></url>
<url><lastmod>2026-10-01</lastmod></url>
</urlset>""")


def test_sitemap_index_lists_child_sitemaps() -> None:
    content = parse_sitemap(SITEMAP_INDEX, "s", BASE)
    assert content.items == []
    assert content.child_sitemaps == [BASE + "/sitemaps/news.xml", BASE + "/sitemaps/archive.xml"]


def test_news_sitemap_keeps_publication_date_and_title() -> None:
    news, plain = parse_sitemap(NEWS_SITEMAP, "s", BASE).items
    assert (news.url, news.title) == (BASE + "/articles/en/news-sitemap-entry.html", "News title")
    assert news.feed_published_at == datetime(2026, 11, 5, 8, 20, tzinfo=UTC), "publication_date beats lastmod"
    assert (plain.url, plain.title) == (BASE + "/articles/en/plain-urlset-entry.html", None)
    assert plain.feed_published_at == datetime(2026, 10, 1, tzinfo=UTC)


def test_sitemap_caps_items() -> None:
    body = b"<urlset>" + b"".join(b"<url><loc>http://localhost/a-b-%d</loc></url>" % n for n in range(50_000))
    started = time.perf_counter()
    assert len(parse_sitemap(body + b"</urlset>", "s", BASE, max_items=100).items) == 100
    assert time.perf_counter() - started < 3


def test_feed_given_as_sitemap_is_read_as_a_feed() -> None:
    assert [i.url for i in parse_sitemap(RSS_1_RDF, "s", BASE).items] == [BASE + "/articles/en/rdf-item-one.html"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<html><body>sitemap</body></html>", id="html"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\x00\x01\x02", id="binary"),
    ],
)
def test_non_sitemap_raises_feed_invalid(body: bytes) -> None:
    with pytest.raises(FeedInvalid):
        parse_sitemap(body, "s", BASE)


SECTION = """<html><body><nav><a href="/tags/mosul.html">Mosul</a><a href="/sections/iraq.html">Iraq</a>
<a href="/about">About</a><a href="mailto:desk@localhost">Mail</a><a href="#top">Top</a></nav>
<main><a href="/articles/en/basra-export-figures.html">Basra exports</a>
<a href="/articles/en/basra-export-figures.html#comments">12 comments</a>
<a href="/2026/11/123456">Numeric id story</a>
<a href="https://127.0.0.2/articles/off-site-story-here.html">Off site</a>
<a href="javascript:void(0)">Share</a></main></body></html>"""


def test_section_page_yields_same_site_article_links_once_in_page_order() -> None:
    items = parse_section_page(SECTION, "iraq", BASE + "/sections/iraq.html")
    assert [(i.url, i.title) for i in items] == [
        (BASE + "/articles/en/basra-export-figures.html", "Basra exports"),
        (BASE + "/2026/11/123456", "Numeric id story"),
    ]


@pytest.mark.parametrize(
    "href",
    [
        pytest.param("/2025/11/families-return-to-sinjar-villages/", id="wordpress-trailing-slash"),
        pytest.param("/2025/11/03/%D8%B9%D9%88%D8%AF%D8%A9", id="dated-one-arabic-word"),
        pytest.param("/ar/news/4521", id="numeric-id"),
        pytest.param("/news/article.php?id=4521", id="id-parameter"),
        pytest.param("/articles/en/basra-export-figures.html", id="slug-html"),
    ],
)
def test_section_page_follows_each_common_article_url_shape(href: str) -> None:
    html = f'<html><body><a href="{href}">A story</a></body></html>'
    assert [i.url for i in parse_section_page(html, "s", BASE + "/sections/iraq.html")] == [BASE + href]


@pytest.mark.parametrize(
    "href",
    [
        pytest.param("/", id="home"),
        pytest.param("/world/", id="section"),
        pytest.param("/category/middle-east-and-africa/", id="category"),
        pytest.param("/news/2025", id="year-archive"),
        pytest.param("/2025/11", id="month-archive"),
        pytest.param("/page/2", id="pagination"),
        pytest.param("/search?q=mosul", id="search"),
    ],
)
def test_section_page_skips_navigation(href: str) -> None:
    html = f'<html><body><a href="{href}">Navigation</a></body></html>'
    assert parse_section_page(html, "s", BASE + "/sections/iraq.html") == []


def test_section_page_link_cap() -> None:
    html = "".join(f'<a href="/articles/en/story-number-{n}.html">x</a>' for n in range(100))
    assert len(parse_section_page(html, "s", BASE, max_links=7)) == 7


def test_sample_sitemap_index_is_walked_to_its_articles(news_site: SampleSite) -> None:
    source = SourceConfig("sitemap", news_site.url("/sitemap_index.xml"), SourceKind.SITEMAP)

    async def discover() -> list[str]:
        async with Fetcher(FetchConfig(), allow_private=True) as fetcher:
            discovery = await discover_feed_items(source, fetcher, None)
        assert not any(a.error for a in discovery.attempts)
        return [i.url.removeprefix(news_site.base_url) for i in discovery.items]

    paths = asyncio.run(discover())
    assert len(paths) == len(set(paths)) == 10
    assert set(paths) <= set(EXPECTED["articles"]) | {"/amp/articles/en/qayyarah-village-gathering.html"}


def test_html_served_as_a_feed_without_a_feed_link_is_recorded_as_feed_invalid(news_site: SampleSite) -> None:
    installed = faults.install_faults(news_site)
    source = SourceConfig("html", installed.url("/faults/feed-is-html.rss"), SourceKind.FEED)

    async def discover() -> list[str | None]:
        async with Fetcher(FetchConfig(), allow_private=True) as fetcher:
            discovery = await discover_feed_items(source, fetcher, None)
        assert discovery.failed and discovery.items == []
        return [a.error for a in discovery.attempts]

    assert asyncio.run(discover()) == [
        'feed_invalid: an HTML page, not a feed, and it links to no feed (<link rel="alternate" type=…>)'
    ]


def test_a_sitemap_index_of_empty_sitemaps_stops_at_the_fetch_cap(news_site: SampleSite) -> None:
    from newsmon import defaults

    children = "".join(f"<sitemap><loc>{news_site.url(f'/empty/{i}.xml')}</loc></sitemap>" for i in range(500))
    index = with_namespaces(f'<?xml version="1.0"?><sitemapindex xmlns="{{sitemap}}">{children}</sitemapindex>')
    empty = with_namespaces('<?xml version="1.0"?><urlset xmlns="{sitemap}"></urlset>')
    news_site.routes["/hostile-index.xml"] = lambda h: h.send_body(200, index, "application/xml")
    for i in range(500):
        news_site.routes[f"/empty/{i}.xml"] = lambda h: h.send_body(200, empty, "application/xml")
    source = SourceConfig("hostile", news_site.url("/hostile-index.xml"), SourceKind.SITEMAP)

    async def discover() -> int:
        async with Fetcher(FetchConfig(), allow_private=True) as fetcher:
            discovery = await discover_feed_items(source, fetcher, None)
        return len(discovery.attempts)

    assert asyncio.run(discover()) == 1 + defaults.MAX_SITEMAP_FETCHES
