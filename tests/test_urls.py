"""Canonical URLs (one article, one key) and the address guard (never fetch unspecified or link-local addresses)."""

from __future__ import annotations

import pytest

from extractors import UnsafeURL, article_id_for, canonical_url, is_forbidden_address, is_private_address
from extractors.urls import check_resolved_addresses

ARABIC_PATH = "/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%D9%85%D9%82%D8%A7%D9%84.html"  # /أخبار/مقال.html


@pytest.mark.parametrize(
    "url, canonical",
    [
        pytest.param("https://localhost/a?utm_source=x&id=7", "https://localhost/a?id=7", id="utm-dropped"),
        pytest.param("HTTPS://LocalHost:443/a#c", "https://localhost/a", id="case-port-fragment"),
        pytest.param("http://localhost:80/a/./b/../c.html", "http://localhost/a/c.html", id="dot-segments"),
        pytest.param(
            "https://localhost/أخبار/مقال.html", "https://localhost" + ARABIC_PATH, id="arabic-path"
        ),
        pytest.param(
            "https://localhost" + ARABIC_PATH, "https://localhost" + ARABIC_PATH, id="arabic-encoded"
        ),
        pytest.param("https://localhost/a?fbclid=abc&b=2&a=1", "https://localhost/a?a=1&b=2", id="fbclid"),
        pytest.param("http://localhost/a?ref=rss&ocid=x&n=1", "http://localhost/a?n=1", id="site-tracking"),
        pytest.param("http://localhost", "http://localhost/", id="empty-path"),
        pytest.param("  http://localhost/a-b  ", "http://localhost/a-b", id="whitespace"),
    ],
)
def test_canonical_url_gives_one_url_per_article(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://localhost/article.php?cid=123", id="cid"),
        pytest.param("https://localhost/news.aspx?id=3&source=7", id="numeric-source"),
        pytest.param("https://localhost/view?ref=20251", id="numeric-ref"),
        pytest.param("https://localhost/show?share=991", id="numeric-share"),
        pytest.param("https://localhost/a?eid=2&session=5&uid=3", id="ids-a-substring-filter-would-drop"),
    ],
)
def test_parameters_that_identify_the_article_are_kept(url: str) -> None:
    # Dropping one would merge different articles into one URL: all but the first would be lost.
    assert canonical_url(url) == url


def test_tracking_parameters_of_news_sites_are_dropped() -> None:
    url = "https://localhost/a?CMP=x&ncid=rss&smid=tw&WT.mc_id=3&icid=4&guccounter=1&_hsenc=p&source=rss&id=9"
    assert canonical_url(url) == "https://localhost/a?id=9"


def test_relative_links_resolve_against_the_feed() -> None:
    assert (
        canonical_url("../b-c-d.html", base="https://localhost/x/y/a.html")
        == "https://localhost/x/b-c-d.html"
    )


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("mailto:desk@localhost", id="mailto"),
        pytest.param("ftp://localhost/a", id="ftp"),
        pytest.param("http:///no-host", id="no-host"),
        pytest.param("/relative/without-base", id="relative-no-base"),
    ],
)
def test_non_http_url_raises_unsafe_url(url: str) -> None:
    with pytest.raises(UnsafeURL):
        canonical_url(url)


def test_article_id_is_stable_across_url_spellings() -> None:
    spellings = [
        "https://localhost/a?utm_source=x",
        "HTTPS://LOCALHOST:443/a#top",
        "https://localhost/a",
    ]
    assert len({article_id_for(canonical_url(u)) for u in spellings}) == 1


@pytest.mark.parametrize(
    "ip",
    [
        pytest.param("0.0.0.0", id="unspecified"),
        pytest.param("::", id="unspecified-v6"),
        pytest.param("169.254.169.254", id="cloud-metadata"),
        pytest.param("fe80::1", id="link-local-v6"),
        pytest.param("224.0.0.1", id="multicast"),
        pytest.param("::ffff:169.254.169.254", id="v4-mapped-link-local"),
    ],
)
def test_forbidden_addresses_are_never_fetched_even_for_private_sources(ip: str) -> None:
    assert is_forbidden_address(ip)
    with pytest.raises(UnsafeURL, match="never fetches"):
        check_resolved_addresses("http://localhost/", [ip], allow_private=True)


@pytest.mark.parametrize(
    "ip",
    [pytest.param("127.0.0.1", id="loopback"), pytest.param("10.1.2.3", id="private"), pytest.param("::1", id="v6")],
)
def test_private_addresses_need_a_private_source(ip: str) -> None:
    assert is_private_address(ip) and not is_forbidden_address(ip)
    check_resolved_addresses("http://localhost/", [ip], allow_private=True)
    with pytest.raises(UnsafeURL, match="private address"):
        check_resolved_addresses("http://localhost/", [ip], allow_private=False)


def test_public_addresses_pass_the_guard() -> None:
    assert not is_private_address("93.184.215.14") and not is_forbidden_address("93.184.215.14")
    check_resolved_addresses("http://localhost/", ["93.184.215.14"], allow_private=False)


@pytest.mark.parametrize(
    "ip",
    [
        pytest.param("100.100.100.200", id="alibaba-metadata"),
        pytest.param("fd00:ec2::254", id="aws-metadata-v6"),
        pytest.param("2002:a9fe:a9fe::", id="6to4-link-local"),
        pytest.param("0.1.2.3", id="this-network"),
    ],
)
def test_metadata_and_disguised_addresses_are_refused_even_for_private_sources(ip: str) -> None:
    with pytest.raises(UnsafeURL, match="never fetches"):
        check_resolved_addresses("http://localhost/a", [ip], allow_private=True)


def test_shared_address_space_is_not_public() -> None:
    with pytest.raises(UnsafeURL, match="private address 100.64.0.1"):
        check_resolved_addresses("http://localhost/a", ["100.64.0.1"], allow_private=False)
