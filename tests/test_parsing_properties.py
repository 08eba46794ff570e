"""Parsers of untrusted input, on random and mutated input: a verdict every time, never an unhandled exception.

A feed parser may return items or raise FeedInvalid; canonical_url may return a URL or raise UnsafeURL.
Anything else would stop discovery of a source instead of recording why it failed.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors import FeedInvalid, UnsafeURL, canonical_url, parse_feed, parse_sitemap
from newsmon.records import FeedItem
from tests.faults import big_feed
from tests.formats import with_namespaces

BASE = "http://localhost/feeds/"
RSS = big_feed("http://localhost", count=3)
ATOM = with_namespaces(b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="{atom}"><title>t</title>
<entry><title type="html">Basra &amp;amp; Erbil</title><link href="/articles/en/a-b-c.html"/><id>tag:x,2026:1</id>
<published>2026-11-03T13:00:00+03:00</published></entry>
<entry><title>Two</title><link rel="alternate" href="http://localhost/articles/en/d-e-f.html"/>
<updated>2026-11-04</updated><id>tag:x,2026:2</id></entry></feed>""")
RDF = with_namespaces(b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="{rdf}"
xmlns="{rss1}" xmlns:dc="{dc}">
<channel rdf:about="x"><title>t</title></channel>
<item rdf:about="http://localhost/a-b-c"><title>One</title><link>http://localhost/a-b-c</link>
<dc:date>2026-11-03T10:00:00Z</dc:date></item></rdf:RDF>""")
JSON_FEED = with_namespaces(b'{"version": "{jsonfeed}", "items": [{"id": "1", "url": "/a-b-c", "title": "x"}]}')
SITEMAP = with_namespaces(b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="{sitemap}" xmlns:news="{news}">
<url><loc>http://localhost/articles/en/a-b-c.html</loc><lastmod>2026-11-03</lastmod></url>
<url><loc>http://localhost/articles/en/d-e-f.html</loc><news:news><news:title>T</news:title>
<news:publication_date>2026-11-03T10:00:00+03:00</news:publication_date></news:news></url></urlset>""")
VALID_DOCUMENTS = [RSS, ATOM, RDF, JSON_FEED, SITEMAP]
ENTITIES = [b"&nbsp;", b"&bogus;", b"&", b"&#0;", b"&#x110000;", b"&amp;", b"<![CDATA[", b"]]>", b"<!ENTITY x 'y'>"]

# Truncation, flipped bytes, inserted entities and markup: what a broken server or a bad CMS template produces.
mutated_documents = st.builds(
    lambda doc, cut, flips, inserts: _mutate(doc, cut, flips, inserts),
    st.sampled_from(VALID_DOCUMENTS),
    st.floats(min_value=0, max_value=1),
    st.lists(st.tuples(st.floats(min_value=0, max_value=1), st.integers(0, 255)), max_size=4),
    st.lists(st.tuples(st.floats(min_value=0, max_value=1), st.sampled_from(ENTITIES)), max_size=3),
)
untrusted_bytes = st.one_of(st.binary(max_size=2000), mutated_documents)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _mutate(doc: bytes, cut: float, flips: list[tuple[float, int]], inserts: list[tuple[float, bytes]]) -> bytes:
    data = bytearray(doc)
    for where, text in inserts:
        at = int(where * len(data))
        data[at:at] = text
    for where, value in flips:
        if data:
            data[min(int(where * len(data)), len(data) - 1)] = value
    return bytes(data[: max(1, int(cut * len(data)))] if cut < 1 else data)


@PROPERTY_SETTINGS
@given(untrusted_bytes)
def test_parse_feed_gives_items_or_feed_invalid(body: bytes) -> None:
    try:
        items = parse_feed(body, "fuzz", BASE, max_items=50)
    except FeedInvalid:
        return
    assert all(isinstance(item, FeedItem) and item.url for item in items)
    assert len(items) <= 50


@PROPERTY_SETTINGS
@given(untrusted_bytes)
def test_parse_sitemap_gives_urls_or_feed_invalid(body: bytes) -> None:
    try:
        content = parse_sitemap(body, "fuzz", BASE, max_items=50)
    except FeedInvalid:
        return
    assert all(isinstance(item, FeedItem) for item in content.items)
    assert all(isinstance(child, str) for child in content.child_sitemaps)


url_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60
)  # anything a feed's <link> may hold
http_urls = st.builds(
    lambda scheme, host, port, segments, query, fragment: (
        f"{scheme}://{host}{port}/{'/'.join(segments)}{query}{fragment}"
    ),
    st.sampled_from(["http", "https", "HTTP", "Https"]),
    st.sampled_from(["localhost", "LocalHost", "news.localhost", "127.0.0.1", "xn--mgbh0fb.localhost"]),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    st.lists(
        st.one_of(
            st.sampled_from([".", "..", "", "أخبار", "a b", "%7E", "%2F", "%D8%A3", "index.html", "~user", "a;b"]),
            st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8),
        ),
        max_size=5,
    ),
    st.one_of(
        st.just(""),
        st.builds(
            lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs),
            st.lists(
                st.tuples(
                    st.sampled_from(["id", "utm_source", "fbclid", "ref", "b", "a", "q", "page", "x y"]),
                    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=6),
                ),
                max_size=4,
            ),
        ),
    ),
    st.sampled_from(["", "#comments", "#", "#a?b"]),
)


@PROPERTY_SETTINGS
@given(st.one_of(url_text, http_urls), st.one_of(st.none(), st.just(BASE)))
def test_canonical_url_gives_a_url_or_unsafe_url(url: str, base: str | None) -> None:
    try:
        canonical = canonical_url(url, base=base)
    except UnsafeURL:
        return
    assert canonical.startswith(("http://", "https://"))
    assert "#" not in canonical


@PROPERTY_SETTINGS
@given(http_urls)
def test_canonical_url_is_idempotent(url: str) -> None:
    try:
        once = canonical_url(url)
    except UnsafeURL:
        return
    assert canonical_url(once) == once
