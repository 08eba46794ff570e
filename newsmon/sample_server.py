"""A loopback HTTP server for the bundled sample news site: the offline demo, the tests and the benchmarks use it.

Files under newsmon/sample_site/ are served with `{{BASE}}` replaced by the server's own address, with ETag and
Last-Modified so conditional GETs work. Extra routes (fault injection, generated pages) can be added per instance.
"""

from __future__ import annotations

import hashlib
import mimetypes
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # path and query, as requested
    headers: dict[str, str]


Handler = Callable[["_RequestHandler"], None]


class SampleSite:
    """Serve a folder on a loopback address (127.0.0.1 unless told) on a free port, in a background thread.

    Use as a context manager."""

    def __init__(
        self, root: Path = SAMPLE_SITE, port: int = 0, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
    ) -> None:
        self.root = root
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
            data = data.replace(b"{{BASE}}", self.base_url.encode())
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
