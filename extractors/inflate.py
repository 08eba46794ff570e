"""Content-Encoding undone by us, in bounded pieces, so a size cap stops a gzip bomb before it expands.

httpx inflates a whole network chunk at once: 64 kB of a gzip bomb is 64 MB. These decoders yield at most
64 kB per step, and the fetcher counts the pieces against its cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from newsmon.records import FailureReason


class DecodingFailed(Exception):
    """The body's Content-Encoding is unsupported or its compressed data is corrupt."""


PIECE_BYTES = 64 * 1024  # the most one decompression step may produce


class BodyDecoder:
    """Undo Content-Encoding (gzip, deflate, or a chain of them) incrementally, in pieces of at most 64 kB."""

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        unknown = [c for c in codings if c not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise DecodingFailed(f"unsupported Content-Encoding {unknown[0]!r} (we ask for gzip or deflate)")
        # Applied in the order listed, so undone in reverse.
        self._stages = [Inflater(c == "deflate") for c in reversed(codings)]
        self.compressed = bool(self._stages)

    def decode(self, data: bytes) -> Iterator[bytes]:
        return self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._stages):
            if data:
                yield data
            return
        for piece in self._stages[index].inflate(data):
            yield from self._through(index + 1, piece)


class Inflater:
    def __init__(self, deflate: bool) -> None:
        self._deflate = deflate
        self._started = False
        self._z = zlib.decompressobj(zlib.MAX_WBITS if deflate else 16 + zlib.MAX_WBITS)

    def inflate(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                piece = self._z.decompress(data, PIECE_BYTES)
            except zlib.error as exc:
                if self._deflate and not self._started:
                    # "deflate" is meant to be zlib-wrapped, but many servers send a raw deflate stream.
                    self._started = True
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise DecodingFailed(f"corrupt compressed body: {exc}") from exc
            self._started = True
            if piece:
                yield piece
            data = self._z.unconsumed_tail
            if (not data and len(piece) < PIECE_BYTES) or self._z.eof:
                return


GZIP_MAGIC = b"\x1f\x8b"


class GzipFileRefused(ValueError):
    """A gzip file (a `.xml.gz` sitemap) that inflates past the cap or is corrupt; `reason` says which."""

    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def inflate_gzip_file(body: bytes, cap: int) -> bytes:
    """The contents of a gzip file fetched as bytes (served without Content-Encoding, as `.xml.gz` sitemaps are).

    Inflated in the same 64 kB pieces as a gzip Content-Encoding, so a bomb is refused once the output passes `cap`
    without ever being expanded whole.
    """
    pieces: list[bytes] = []
    size = 0
    try:
        for piece in Inflater(deflate=False).inflate(body):
            size += len(piece)
            if size > cap:
                raise GzipFileRefused(FailureReason.TOO_LARGE, f"gzip file exceeds the {cap:,}-byte cap once inflated")
            pieces.append(piece)
    except DecodingFailed as exc:
        raise GzipFileRefused(FailureReason.FEED_INVALID, f"gzip file: {exc}") from exc
    return b"".join(pieces)
