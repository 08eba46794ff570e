"""A loopback HTTP server for the bundled sample news site: the offline demo, the tests and the benchmarks use it.

Files under newsmon/sample_site/ are served with `{{BASE}}` replaced by the server's own address, with ETag and
Last-Modified so conditional GETs work. Extra routes (fault injection, generated pages) can be added per instance.

The site's dates are moved forward by whole weeks so that its newest story is always from the last week: the
demo's trend table and the quickstart's `trends --weeks 4` then show this month's articles whenever they run.
Whole weeks keep every weekday right; every form of date in the site (ISO, RFC 822, "8 September 2026",
Iraqi month names in Arabic or Eastern Arabic digits) moves by the same amount, and so do expected.json's.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SAMPLE_SITE = Path(str(resources.files("newsmon") / "sample_site"))
_TEXT_SUFFIXES = {".html", ".xml", ".rss", ".atom", ".json", ".txt"}
_CONTENT_TYPES = {
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
_STARTED = formatdate(usegmt=True)

# The day after the newest date written in the site (its feeds' lastBuildDate, 20 Nov 2026): shifted dates stay
# before today, never in the future.
_SITE_WRITTEN_AFTER = date(2026, 11, 21)
_PROCESS_STARTED_ON = date.today()
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]  # fmt: skip
_IRAQI_MONTHS = ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول",
                 "تشرين الثاني", "كانون الأول"]  # fmt: skip
_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_EASTERN_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_WESTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
_ISO_DATE = r"(?<!\d)(20\d\d)-(\d\d)-(\d\d)(?!\d)"  # also inside 2026-11-05T11:20:00+03:00
_RFC822_DATE = r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) (" + "|".join(m[:3] for m in _MONTHS) + r") (20\d\d)\b"
_ENGLISH_DATE = r"\b(\d{1,2}) (" + "|".join([*_MONTHS, *(m[:3] for m in _MONTHS if m != "May")]) + r") (20\d\d)\b"
_ARABIC_DATE = r"([0-9٠-٩]{1,2}) (" + "|".join(_IRAQI_MONTHS) + r") ([0-9٠-٩]{4})"
# One pass over the text, so a date already moved is never matched (and moved) again by another form.
_ANY_DATE = re.compile("|".join(f"(?:{p})" for p in (_RFC822_DATE, _ISO_DATE, _ENGLISH_DATE, _ARABIC_DATE)))


def sample_date_shift(today: date | None = None) -> timedelta:
    """How far the sample site's dates move: whole weeks, so its newest date falls in the week before `today`.

    Without `today`, the day this process started: a site served after midnight must still agree with the
    expected facts (and the pages) read before it.
    """
    elapsed = ((today or _PROCESS_STARTED_ON) - _SITE_WRITTEN_AFTER).days
    return timedelta(weeks=elapsed // 7)


def shift_dates(text: str, shift: timedelta) -> str:
    """`text` with every date the sample site writes moved by `shift`, each kept in its own form."""
    if not shift:
        return text

    def iso(m: re.Match[str]) -> str:
        return (date(int(m[1]), int(m[2]), int(m[3])) + shift).isoformat()

    def rfc822(m: re.Match[str]) -> str:
        moved = date(int(m[3]), [n[:3] for n in _MONTHS].index(m[2]) + 1, int(m[1])) + shift
        return f"{_WEEKDAYS[moved.weekday()]}, {moved.day:02d} {_MONTHS[moved.month - 1][:3]} {moved.year}"

    def english(m: re.Match[str]) -> str:
        full = m[2] in _MONTHS
        month = _MONTHS.index(m[2]) + 1 if full else [n[:3] for n in _MONTHS].index(m[2]) + 1
        moved = date(int(m[3]), month, int(m[1])) + shift
        name = _MONTHS[moved.month - 1]
        return f"{moved.day} {name if full else name[:3]} {moved.year}"

    def arabic(m: re.Match[str]) -> str:
        eastern = m[1][0] in "٠١٢٣٤٥٦٧٨٩"
        day, year = int(m[1].translate(_WESTERN_DIGITS)), int(m[3].translate(_WESTERN_DIGITS))
        moved = date(year, _IRAQI_MONTHS.index(m[2]) + 1, day) + shift
        digits = (str(moved.day), str(moved.year))
        if eastern:
            digits = (digits[0].translate(_EASTERN_DIGITS), digits[1].translate(_EASTERN_DIGITS))
        return f"{digits[0]} {_IRAQI_MONTHS[moved.month - 1]} {digits[1]}"

    forms = [(re.compile(p), move) for p, move in ((_RFC822_DATE, rfc822), (_ISO_DATE, iso),
                                                   (_ENGLISH_DATE, english), (_ARABIC_DATE, arabic))]  # fmt: skip

    def move_any(found: re.Match[str]) -> str:
        for pattern, move in forms:
            match = pattern.fullmatch(found[0])
            if match:
                return move(match)
        return found[0]

    return _ANY_DATE.sub(move_any, text)


def sample_expected(shift: timedelta | None = None) -> dict[str, Any]:
    """expected.json's golden facts, with the publication dates moved as the served site's are."""
    shift = sample_date_shift() if shift is None else shift
    facts: dict[str, Any] = json.loads(shift_dates((SAMPLE_SITE / "expected.json").read_text(encoding="utf-8"), shift))
    return facts


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # path and query, as requested
    headers: dict[str, str]


Handler = Callable[["_RequestHandler"], None]


class SampleSite:
    """Serve a folder on a loopback address (127.0.0.1 unless told) on a free port, in a background thread.

    Use as a context manager. The bundled site's dates are moved to recent weeks (see sample_date_shift) unless
    `date_shift` says otherwise; another root's files are served as they are."""

    def __init__(
        self,
        root: Path = SAMPLE_SITE,
        port: int = 0,
        host: str = "127.0.0.1",
        tls: ssl.SSLContext | None = None,
        date_shift: timedelta | None = None,
    ) -> None:
        self.root = root
        if date_shift is None:
            date_shift = sample_date_shift() if root == SAMPLE_SITE else timedelta(0)
        self.date_shift = date_shift
        self.host = host
        self.tls = tls
        self.port = port
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        # The files do not change while the site is served: render each once, so the server costs little CPU
        # beside the pipeline it feeds (the ingest benchmark shares its cores with it).
        self._rendered: dict[str, tuple[bytes, str]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the site first"
        host, port = self._server.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> SampleSite:
        site = self

        class Bound(_RequestHandler):
            pass

        Bound.site = site
        try:
            self._server = _QuietServer((self.host, self.port), Bound)
        except OSError:  # the preferred port is taken: any free one will do
            self._server = _QuietServer((self.host, 0), Bound)
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="sample-site", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SampleSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def render(self, relative: str) -> bytes | None:
        """A file of the site with `{{BASE}}` filled in, or None if there is no such file."""
        rendered = self._rendered.get(relative)
        if rendered is not None:
            return rendered[0]
        path = (self.root / relative.lstrip("/")).resolve()
        if not path.is_file() or not path.is_relative_to(self.root.resolve()):
            return None
        data = path.read_bytes()
        if path.suffix in _TEXT_SUFFIXES:
            text = data.decode("utf-8").replace("{{BASE}}", self.base_url)
            data = shift_dates(text, self.date_shift).encode("utf-8")
        self._rendered[relative] = (data, '"' + hashlib.sha1(data).hexdigest()[:16] + '"')
        return data

    def etag(self, relative: str) -> str:
        """The ETag of a rendered file (render it first)."""
        return self._rendered[relative][1]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up early (a size cap, a timeout) is expected in tests, not an error


class _RequestHandler(BaseHTTPRequestHandler):
    site: SampleSite
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass  # the tests read site.requests instead

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.site.requests.append(Request("GET", self.path, {k.lower(): v for k, v in self.headers.items()}))
        path = urlsplit(self.path).path
        handler = self.site.routes.get(path)
        if handler is not None:
            handler(self)
            return
        if path.endswith("/"):
            path += "index.html"
        body = self.site.render(path)
        if body is None:
            self.send_body(404, b"<html><body><h1>Not found</h1></body></html>", "text/html; charset=utf-8")
            return
        etag = self.site.etag(path)
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        suffix = Path(path).suffix
        content_type = _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
        self.send_body(200, body, content_type, {"ETag": etag, "Last-Modified": _STARTED})

    def send_body(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
