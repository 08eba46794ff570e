"""The forms news sites publish their sitemaps and feeds in, as routes of the sample site under /forms/.

Each form lists real sample-site articles, so a pass over it stores them; `ARTICLES` says which articles each
route must yield, with the date the sitemap or feed gives (None where the form carries no date). Like the site's
own files, the documents' dates are moved by the site's `date_shift`, and so are those `expected` returns.
Every document here is written for these tests.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from typing import Any

from newsmon.sample_server import SampleSite, shift_dates
from tests.faults import gzip_bomb_body
from tests.formats import with_namespaces


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# route → [(article path, date the document gives it)], in document order
ARTICLES: dict[str, list[tuple[str, datetime | None]]] = {
    "/forms/news.xml.gz": [
        ("/articles/en/kocho-site-exhumation.html", _at("2026-11-05T11:20:00+03:00")),
        ("/articles/en/basra-export-figures.html", _at("2026-11-02T00:00:00+00:00")),
        ("/articles/ar/jeddah-center-arrivals.html", _at("2026-11-03T07:15:00+03:00")),
    ],
    "/forms/part-1.xml.gz": [
        ("/articles/en/erbil-airport-arrivals.html", _at("2026-10-19T00:00:00+00:00")),
        ("/articles/en/sinjar-convoy-families.html", _at("2026-09-21T10:15:00+03:00")),
    ],
    "/forms/part-2.xml.gz": [
        ("/articles/ar/anbar-desert-sweep.html", _at("2026-09-12T09:30:00+03:00")),
        ("/articles/en/erbil-airport-arrivals.html", _at("2026-10-19T00:00:00+00:00")),  # listed twice: lands once
    ],
    "/forms/sitemap.txt": [
        ("/articles/en/ramadi-elders-gathering.html", None),
        ("/articles/en/diyala-foothills-operation.html", None),
        ("/articles/ar/basra-water-salinity.html", None),
    ],
    "/forms/root-sitemap.xml": [
        ("/articles/en/museum-goddess-exhibition.html", _at("2026-10-07T00:00:00+00:00")),
        ("/articles/ar/basra-water-salinity.html", _at("2026-09-25T00:00:00+00:00")),
    ],
    "/forms/feeds/based.atom": [
        ("/articles/en/erbil-airport-arrivals.html", _at("2026-10-19T09:00:00+03:00")),
        ("/articles/ar/sinjar-morning-buses.html", _at("2026-10-14T10:00:00+00:00")),
        ("/articles/en/museum-goddess-exhibition.html", _at("2026-10-07T12:30:00+03:00")),
    ],
    "/forms/feeds/based.rss": [
        ("/articles/en/nineveh-court-verdicts.html", _at("2026-10-02T14:05:00+03:00")),
        ("/articles/en/kirkuk-neighbourhood-forums.html", _at("2026-10-11T09:00:00+03:00")),
    ],
    "/feeds/plain-relative.rss": [
        ("/articles/en/ramadi-elders-gathering.html", _at("2026-09-29T12:00:00+03:00")),
    ],
    "/forms/bom-feed": [
        ("/articles/en/filing-deadline-extended.html", _at("2026-09-15T13:10:00+03:00")),
        ("/articles/ar/diyala-elders-conference.html", _at("2026-10-27T08:00:00+03:00")),
    ],
    "/forms/latin-1.rss": [
        ("/articles/en/qayyarah-village-gathering.html", _at("2026-10-24T08:45:00+03:00")),
    ],
}
LATIN_1_TITLE = "Réunion à Qayyarah : les familles reçues"


def _urlset(site: SampleSite, route: str, dated: str = "lastmod") -> bytes:
    """A urlset of a route's articles; dates as `lastmod` or as Google News `publication_date`."""
    rows = []
    for path, when in ARTICLES[route]:
        date = "" if when is None else when.isoformat()
        if dated == "news":
            rows.append(
                f"<url><loc>{site.url(path)}</loc><news:news><news:publication><news:name>T</news:name>"
                f"</news:publication><news:publication_date>{date}</news:publication_date></news:news></url>"
            )
        else:
            rows.append(f"<url><loc>{site.url(path)}</loc><lastmod>{date}</lastmod></url>")
    document = with_namespaces(
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{sitemap}" xmlns:news="{news}">\n'
        + "\n".join(rows)
        + "\n</urlset>\n"
    )
    return shift_dates(document.decode(), site.date_shift).encode()


def _rss(site: SampleSite, items: str, channel_attributes: str = "", encoding: str = "UTF-8") -> str:
    document = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel{channel_attributes}>'
        f"<title>Forms</title>{items}</channel></rss>\n"
    )
    return shift_dates(document, site.date_shift)


def install_forms(site: SampleSite) -> None:
    """Add every /forms/ route to a running sample site."""

    def serve(path: str, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        site.routes[path] = lambda handler: handler.send_body(200, body, content_type, headers)

    # Gzip files, sent as files (no Content-Encoding), under the types servers really use for them.
    serve("/forms/news.xml.gz", gzip.compress(_urlset(site, "/forms/news.xml.gz")), "application/x-gzip",
          {"ETag": '"news-gz-1"'})  # fmt: skip
    serve("/forms/part-1.xml.gz", gzip.compress(_urlset(site, "/forms/part-1.xml.gz", "news")),
          "application/octet-stream")  # fmt: skip
    serve("/forms/part-2.xml.gz", gzip.compress(_urlset(site, "/forms/part-2.xml.gz", "news")), "application/x-gzip")
    index = with_namespaces(
        '<?xml version="1.0"?><sitemapindex xmlns="{sitemap}">'
        f"<sitemap><loc>{site.url('/forms/part-1.xml.gz')}</loc></sitemap>"
        "<sitemap><loc>/forms/part-2.xml.gz</loc></sitemap></sitemapindex>"
    )
    serve("/forms/index-of-gzip.xml", index, "application/xml")
    bomb = gzip_bomb_body()
    serve("/forms/bomb.xml.gz", bomb, "application/x-gzip")
    bomb_index = with_namespaces(
        '<?xml version="1.0"?><sitemapindex xmlns="{sitemap}">'
        "<sitemap><loc>/forms/bomb.xml.gz</loc></sitemap><sitemap><loc>/forms/news.xml.gz</loc></sitemap>"
        "</sitemapindex>"
    )
    serve("/forms/index-with-bomb.xml", bomb_index, "application/xml")

    # A plain-text sitemap: one URL per line, with a BOM, a blank line, a tracking parameter and a stray line.
    lines = [site.url(path) for path, _ in ARTICLES["/forms/sitemap.txt"]]
    lines[1] += "?utm_source=sitemap"
    text = "\ufeff" + lines[0] + "\r\n\r\n" + lines[1] + "\nnot a url\n" + lines[2] + "\n"
    serve("/forms/sitemap.txt", text.encode("utf-8"), "text/plain; charset=utf-8")
    serve("/forms/root-sitemap.xml", _urlset(site, "/forms/root-sitemap.xml"), "application/xml")

    # Atom with xml:base at three levels: the feed (relative to the feed's URL), an entry, and a link itself.
    erbil, sinjar, museum = ARTICLES["/forms/feeds/based.atom"]
    atom = with_namespaces(f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="{{atom}}" xml:base="/articles/"><title>Based</title>
<entry><title>Erbil arrivals</title><id>tag:localhost,2026:based-1</id><link href="en/erbil-airport-arrivals.html"/>
<published>{erbil[1].isoformat()}</published></entry>
<entry xml:base="ar/"><title>Sinjar buses</title><id>tag:localhost,2026:based-2</id>
<link rel="alternate" href="sinjar-morning-buses.html"/><updated>{sinjar[1].isoformat()}</updated></entry>
<entry><title>Museum</title><id>tag:localhost,2026:based-3</id>
<link xml:base="{site.url("/articles/en/")}" href="museum-goddess-exhibition.html"/>
<published>2026-10-07T12:30:00+03:00</published></entry>
</feed>""")
    serve("/forms/feeds/based.atom", shift_dates(atom.decode(), site.date_shift).encode(), "application/atom+xml")
    # RSS with xml:base on its channel and relative links.
    rss_based = _rss(
        site,
        "<item><title>Verdicts</title><link>nineveh-court-verdicts.html</link>"
        "<pubDate>Fri, 02 Oct 2026 14:05:00 +0300</pubDate></item>"
        "<item><title>Forums</title><link>kirkuk-neighbourhood-forums.html</link>"
        "<pubDate>Sun, 11 Oct 2026 09:00:00 +0300</pubDate></item>",
        ' xml:base="/articles/en/"',
    )
    serve("/forms/feeds/based.rss", rss_based.encode(), "application/rss+xml")
    # A moved feed (301) whose links are relative: they resolve against where it moved to, not where it was.
    serve("/feeds/plain-relative.rss", _rss(site,
        site,
        "<item><title>Ramadi</title><link>../articles/en/ramadi-elders-gathering.html</link>"
        "<pubDate>Tue, 29 Sep 2026 12:00:00 +0300</pubDate></item>").encode(), "application/rss+xml")  # fmt: skip
    site.routes["/forms/old/plain-relative.rss"] = lambda h: _moved(h, "/feeds/plain-relative.rss")
    site.routes["/forms/old/world.rss"] = lambda h: _moved(h, "/feeds/world.rss")

    # Forms that already worked: a UTF-8 feed with a BOM served as text/html, and an ISO-8859-1 feed.
    bom = _rss(
        site,
        f"<item><title>Deadline</title><link>{site.url('/articles/en/filing-deadline-extended.html')}</link>"
        "<pubDate>Tue, 15 Sep 2026 13:10:00 +0300</pubDate></item>"
        f"<item><title>Diyala</title><link>{site.url('/articles/ar/diyala-elders-conference.html')}</link>"
        "<pubDate>Tue, 27 Oct 2026 08:00:00 +0300</pubDate></item>",
    )
    serve("/forms/bom-feed", b"\xef\xbb\xbf" + bom.encode("utf-8"), "text/html; charset=utf-8")
    latin = _rss(
        site,
        f"<item><title>{LATIN_1_TITLE}</title>"
        f"<link>{site.url('/articles/en/qayyarah-village-gathering.html')}</link>"
        "<pubDate>Sat, 24 Oct 2026 08:45:00 +0300</pubDate></item>",
        encoding="ISO-8859-1",
    )
    serve("/forms/latin-1.rss", latin.encode("iso-8859-1"), "application/rss+xml")

    # Pages that announce their feeds, for autodiscovery.
    home = f"""<!DOCTYPE html><html><head><title>The Tigris Observer</title>
<link rel="stylesheet" href="/style.css"><link rel="alternate" hreflang="ar" href="/ar/">
<link rel="alternate" type="application/rss+xml" title="World" href="/feeds/world.rss">
<link rel="alternate" type="application/atom+xml" title="Arabic" href="{site.url("/feeds/arabic.atom")}">
</head><body><p>Front page</p></body></html>"""
    serve("/forms/home.html", home.encode(), "text/html; charset=utf-8")
    section = """<html><head><base href="/forms/feeds/"><title>Iraq</title>
<link rel="Alternate Feed" type="application/rss+xml; charset=utf-8" href="based.rss"></head><body></body></html>"""
    serve("/forms/section-with-base.html", section.encode(), "text/html; charset=utf-8")
    serve("/forms/page-linking-a-page.html", b'<html><head><link rel="alternate" type="application/rss+xml" '
          b'href="/forms/home.html"></head></html>', "text/html")  # fmt: skip


def _moved(handler: Any, location: str) -> None:
    handler.send_response(301)
    handler.send_header("Location", location)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def serve_robots(site: SampleSite, body: str | None) -> None:
    """Replace the site's robots.txt (None: answer 404, as a site without one does)."""
    if body is None:
        site.routes["/robots.txt"] = lambda h: h.send_body(404, b"not found", "text/plain")
    else:
        site.routes["/robots.txt"] = lambda h: h.send_body(200, body.encode(), "text/plain")


def expected(site: SampleSite, *routes: str) -> list[tuple[str, datetime | None]]:
    """The (absolute URL, date) pairs the routes must yield, each URL once, in order."""
    seen: dict[str, datetime | None] = {}
    for route in routes:
        for path, when in ARTICLES[route]:
            seen.setdefault(site.url(path), None if when is None else when + site.date_shift)
    return list(seen.items())
