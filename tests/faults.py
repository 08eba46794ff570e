"""Hostile and broken servers as routes of the sample site, each named by what it does (`/faults/reset-mid-body`).

`install_faults(site)` adds every route to one running SampleSite and returns a `Faults` handle: the routes'
URLs, how many body bytes the streaming routes managed to send before the client hung up, and `release()`,
which wakes the routes that hang so a test's server threads end with the test.
"""

from __future__ import annotations

import functools
import socket
import struct
import threading
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from newsmon.sample_server import SampleSite

NEVER_ANSWERS_S = 120.0  # longer than any fetch timeout or test
ANSWERS_AFTER_S = 60.0
HUGE_PAGE_BYTES = 30_000_000
GZIP_BOMB_BYTES = 120_000_000  # decompressed; about 120 kB on the wire
BIG_FEED_ITEMS = 50_000
STREAM_CHUNK_BYTES = 64 * 1024
DRIP_INTERVAL_S = 0.2

# An invented article (the sample site is fictional too), long enough to pass the minimum word count.
ARABIC_TITLE = "افتتاح مكتبة عامة جديدة في الموصل بعد سنوات من الإغلاق"
ARABIC_SENTENCE = "استقبلت المكتبة المركزية في الجانب الأيمن من الموصل أول زوارها صباح السبت بعد ترميم استمر ثلاث سنوات"
ARABIC_PAGE = f"""<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><title>{ARABIC_TITLE}</title></head>
<body><article><h1>{ARABIC_TITLE}</h1>
<p>{ARABIC_SENTENCE}، وقال مدير المكتبة إن الرفوف تضم اليوم أكثر من عشرين ألف كتاب تبرع بها سكان المدينة
وجامعات عراقية وعربية، بعد أن أحرقت المجموعة القديمة بالكامل خلال سنوات الحرب.</p>
<p>وأضاف أن المكتبة ستفتح أبوابها يومياً من الثامنة صباحاً حتى الثامنة مساءً، وأنها خصصت قاعة للأطفال
وأخرى للطلبة الذين يستعدون للامتحانات الوزارية، إلى جانب ورش أسبوعية للقراءة والكتابة يديرها متطوعون.</p>
<p>وعبر عدد من الزوار عن فرحتهم بعودة المكان الذي كان ملتقى لأجيال من القراء، مطالبين بتوفير الكهرباء
بشكل دائم وتوسيع ساعات العمل خلال العطلة الصيفية.</p>
</article></body></html>
""".encode()


@dataclass
class Faults:
    """The fault routes installed on one SampleSite."""

    site: SampleSite
    released: threading.Event = field(default_factory=threading.Event)
    bytes_sent: Counter[str] = field(default_factory=Counter)  # body bytes written per streaming route
    hits: Counter[str] = field(default_factory=Counter)  # requests per route

    def url(self, path: str) -> str:
        return self.site.url(path)

    def release(self) -> None:
        """Let every hanging route finish at once (call when the test is over)."""
        self.released.set()


def install_faults(site: SampleSite) -> Faults:
    faults = Faults(site)
    gzip_bomb_body()  # built now, not inside a request that a 1 s timeout is measuring

    def route(path: str) -> Any:
        def register(func: Any) -> Any:
            def counted(handler: Any) -> None:
                faults.hits[path] += 1
                func(handler)

            site.routes[path] = counted
            return func

        return register

    @route("/faults/never-answers")
    def never_answers(handler: Any) -> None:
        faults.released.wait(NEVER_ANSWERS_S)
        handler.close_connection = True

    @route("/faults/answers-after-a-minute")
    def answers_after_a_minute(handler: Any) -> None:
        if not faults.released.wait(ANSWERS_AFTER_S):
            handler.send_body(200, ARABIC_PAGE, "text/html; charset=utf-8")
        handler.close_connection = True

    @route("/faults/drips-a-byte-at-a-time")
    def drips(handler: Any) -> None:
        # Each byte comes well within any read timeout; only a deadline for the whole response ends this.
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        try:
            handler.wfile.write(b"<")
            while not faults.released.wait(DRIP_INTERVAL_S):
                handler.wfile.write(b" ")
        except OSError:
            pass
        handler.close_connection = True

    for status in (500, 404, 410):
        site.routes[f"/faults/status-{status}"] = functools.partial(_status_page, faults, status)

    @route("/faults/retry-after-1-s-then-ok")
    def retry_after_then_ok(handler: Any) -> None:
        if faults.hits["/faults/retry-after-1-s-then-ok"] == 1:
            handler.send_body(429, b"slow down", "text/plain", {"Retry-After": "1"})
        else:
            handler.send_body(200, numbered_article(429), "text/html; charset=utf-8")

    @route("/faults/retry-after-an-hour")
    def retry_after_an_hour(handler: Any) -> None:
        handler.send_body(429, b"slow down", "text/plain", {"Retry-After": "3600"})

    @route("/faults/unavailable-twice-then-ok")
    def unavailable_twice_then_ok(handler: Any) -> None:
        if faults.hits["/faults/unavailable-twice-then-ok"] <= 2:
            handler.send_body(503, b"busy", "text/plain")
        else:
            handler.send_body(200, numbered_article(503), "text/html; charset=utf-8")

    @route("/faults/reset-mid-body")
    def reset_mid_body(handler: Any) -> None:
        body = numbered_article(0)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body) * 10))
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2])
        _reset(handler)

    @route("/faults/huge-page-declared")
    def huge_page_declared(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(HUGE_PAGE_BYTES))
        handler.end_headers()
        _stream(faults, "/faults/huge-page-declared", handler, b"<html><body>", HUGE_PAGE_BYTES)

    @route("/faults/huge-page-streamed")
    def huge_page_streamed(handler: Any) -> None:
        # No Content-Length: the body ends when the connection closes, so only counting bytes can stop it.
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Connection", "close")
        handler.end_headers()
        _stream(faults, "/faults/huge-page-streamed", handler, b"<html><body>", HUGE_PAGE_BYTES)

    @route("/faults/gzip-bomb")
    def gzip_bomb(handler: Any) -> None:
        handler.send_body(200, gzip_bomb_body(), "text/html; charset=utf-8", {"Content-Encoding": "gzip"})

    @route("/faults/redirect-loop")
    def redirect_loop(handler: Any) -> None:
        _redirect(handler, "/faults/redirect-loop-back")

    @route("/faults/redirect-loop-back")
    def redirect_loop_back(handler: Any) -> None:
        _redirect(handler, "/faults/redirect-loop")

    @route("/faults/redirect-to-robots-disallowed")
    def redirect_to_disallowed(handler: Any) -> None:
        _redirect(handler, "/private/draft.html")

    @route("/faults/redirect-to-file")
    def redirect_to_file(handler: Any) -> None:
        _redirect(handler, "file:///etc/passwd")

    @route("/faults/redirect-to-unspecified-address")
    def redirect_to_unspecified(handler: Any) -> None:
        _redirect(handler, f"http://0.0.0.0:{urlsplit(site.base_url).port}/articles/en/kocho-site-exhumation.html")

    @route("/faults/pdf")
    def pdf(handler: Any) -> None:
        handler.send_body(200, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf")

    @route("/faults/image")
    def image(handler: Any) -> None:
        png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + bytes(17)
        handler.send_body(200, png, "image/png")

    @route("/faults/empty")
    def empty(handler: Any) -> None:
        handler.send_body(200, b"", "text/html; charset=utf-8")

    @route("/faults/charset-header-lies")
    def charset_header_lies(handler: Any) -> None:
        handler.send_body(200, ARABIC_PAGE, "text/html; charset=iso-8859-1")

    @route("/faults/numbered-article")
    def numbered(handler: Any) -> None:
        number = int(parse_qs(urlsplit(handler.path).query).get("n", ["0"])[0])
        handler.send_body(200, numbered_article(number), "text/html; charset=utf-8")

    @route("/faults/feed-truncated.rss")
    def feed_truncated(handler: Any) -> None:
        handler.send_body(200, truncated_feed(site.base_url), "application/rss+xml")

    @route("/faults/feed-bad-entities.rss")
    def feed_bad_entities(handler: Any) -> None:
        handler.send_body(200, bad_entities_feed(site.base_url), "application/rss+xml")

    @route("/faults/feed-is-html.rss")
    def feed_is_html(handler: Any) -> None:
        body = site.render("/sections/iraq.html") or b""
        handler.send_body(200, body, "application/rss+xml")

    # Built once, not per request: the pass fetches it with a 1 s timeout, and the test is about capping what a
    # huge feed yields, not about a server that renders 50,000 items while the clock runs.
    huge_feed = big_feed(site.base_url)

    @route("/faults/feed-50k-items.rss")
    def feed_50k(handler: Any) -> None:
        handler.send_body(200, huge_feed, "application/rss+xml")

    return faults


def _status_page(faults: Faults, status: int, handler: Any) -> None:
    faults.hits[f"/faults/status-{status}"] += 1
    handler.send_body(status, f"<html><body><h1>{status}</h1></body></html>".encode(), "text/html")


def _redirect(handler: Any, location: str) -> None:
    handler.send_response(302)
    handler.send_header("Location", location)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def _reset(handler: Any) -> None:
    """Drop the connection with a TCP reset (SO_LINGER 0), as a crashed proxy does."""
    handler.wfile.flush()
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()
    handler.close_connection = True


def _stream(faults: Faults, path: str, handler: Any, head: bytes, total: int) -> None:
    chunk = b" " * STREAM_CHUNK_BYTES
    try:
        handler.wfile.write(head)
        sent = len(head)
        while sent < total:
            piece = chunk[: total - sent]
            handler.wfile.write(piece)
            sent += len(piece)
            faults.bytes_sent[path] += len(piece)
    except OSError:  # the client hung up: what a size cap should make it do
        pass
    handler.close_connection = True


@functools.cache
@functools.cache
def gzip_bomb_body() -> bytes:
    """An HTML page of GZIP_BOMB_BYTES, gzip-compressed about 1000:1, built without holding it whole.

    Built once: compressing it costs CPU, and on a busy machine that alone could outlast a 1 s fetch timeout."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [compressor.compress(b"<html><body><p>")]
    block = b" " * 1_000_000
    for _ in range(GZIP_BOMB_BYTES // len(block)):
        parts.append(compressor.compress(block))
    parts.append(compressor.compress(b"</p></body></html>"))
    parts.append(compressor.flush())
    return b"".join(parts)


def numbered_article(number: int) -> bytes:
    """A small English article whose text differs per number, so each one is stored as its own article."""
    sentences = " ".join(
        f"Field report {number} part {part}: volunteers in district {number} counted {number * 7 + part} families "
        f"returning to their homes this week, and the municipal council promised water and power repairs."
        for part in range(4)
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>Field report {number}</title></head><body><article>"
        f"<h1>Field report {number}</h1><p>{sentences}</p></article></body></html>"
    ).encode()


def _rss(base_url: str, items: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>{base_url}{path}</link><guid>{path}</guid>"
        f"<pubDate>Mon, 02 Nov 2026 10:00:00 +0300</pubDate></item>\n"
        for title, path in items
    )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>t</title>\n'
    return f"{head}{entries}</channel></rss>"


TRUNCATED_FEED_ARTICLES = (
    "/articles/en/basra-export-figures.html",
    "/articles/en/museum-goddess-exhibition.html",
    "/articles/en/filing-deadline-extended.html",
)
TRUNCATED_FEED_LOST = "/articles/en/senate-budget-package.html"
BAD_ENTITY_FEED_ARTICLES = ("/articles/en/erbil-airport-arrivals.html", "/articles/en/nineveh-court-verdicts.html")


def truncated_feed(base_url: str) -> bytes:
    """Three whole items, then the connection's worth of a fourth: the document stops mid-element."""
    whole = _rss(base_url, [(f"Item {n}", path) for n, path in enumerate(TRUNCATED_FEED_ARTICLES)])
    cut = whole.index("</channel>")
    return (whole[:cut] + f"<item><title>Lost</title><link>{base_url}{TRUNCATED_FEED_LOST}</li").encode()


def bad_entities_feed(base_url: str) -> bytes:
    """HTML entities XML does not define, an undefined one, and a bare ampersand: not well-formed XML."""
    titles = ["Erbil&nbsp;arrivals &hellip; &bogus; Q&A", "Nineveh verdicts &mdash; &#x0; & more"]
    return _rss(base_url, list(zip(titles, BAD_ENTITY_FEED_ARTICLES, strict=True))).encode()


def big_feed(base_url: str, count: int = BIG_FEED_ITEMS, link_path: str = "/faults/numbered-article") -> bytes:
    return _rss(base_url, [(f"Field report {n}", f"{link_path}?n={n}") for n in range(count)]).encode()
