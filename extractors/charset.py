"""Bytes we fetched → text: the header's charset, then the page's own <meta>, then detection."""

from __future__ import annotations

import codecs
import functools
import re

import charset_normalizer

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def decode_html(body: bytes, header_charset: str | None) -> str:
    """Decode bytes we fetched: the header charset, then a <meta> charset, then detection.

    A charset that cannot decode the bytes strictly is a lie (servers often claim ISO-8859-1 for UTF-8 Arabic
    pages), so it is skipped rather than trusted.
    """
    candidates: list[str] = []
    if body.startswith(b"\xef\xbb\xbf"):
        candidates.append("utf-8-sig")
    elif body.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates.append("utf-16")
    if header_charset:
        candidates.append(header_charset)
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "replace"))
    candidates.append("utf-8")
    for charset in candidates:
        try:
            decoded = body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
        # Single-byte charsets (ISO-8859-*, windows-125x, KOI8 …) decode almost any bytes, so a wrong label still
        # "works". Text in them is practically never valid UTF-8 with multi-byte sequences, so such bytes are UTF-8.
        if _is_single_byte(charset) and not body.isascii():
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                return decoded
        return decoded
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


@functools.cache
def _is_single_byte(charset: str) -> bool:
    """True for charsets that map each byte to one character: any bytes at all decode in them."""
    try:
        decoded = bytes(range(256)).decode(charset, errors="replace")
    except LookupError:
        return False
    return len(decoded) == 256 and not codecs.lookup(charset).name.startswith("utf")
