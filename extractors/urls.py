"""Canonical article URLs, so one article is stored once,
and the address guard that keeps fetches off internal networks."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import posixpath
import re
from urllib.parse import urljoin, urlsplit, urlunsplit

from courlan import normalize_url

# Beyond courlan's list (utm_*, fbclid, gclid …): parameters news sites add for their own tracking.
_EXTRA_TRACKING = re.compile(
    r"^(utm_.*|mc_[ce]id|ocid|cmpid|ito|at_.*|__twitter_impression|_ga|ref|ref_src|share)$", re.I
)


class UnsafeURL(ValueError):
    """A link newsmon refuses to fetch: not http(s), or aimed at an address it must not reach."""


def canonical_url(url: str, base: str | None = None) -> str:
    """Normalise a URL so the same article found under several URLs gets one key.

    Lower-cases scheme and host, drops default ports, tracking parameters and the fragment, resolves
    `.` and `..` segments and sorts the query. Raises UnsafeURL for anything but http(s).
    """
    absolute = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(absolute)
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeURL(f"not an http(s) URL: {absolute[:200]}")
    if not parts.hostname:
        raise UnsafeURL(f"no host in URL: {absolute[:200]}")
    try:
        normalised = normalize_url(absolute)
    except (ValueError, AttributeError) as exc:  # courlan raises on some malformed ports and IPv6 literals
        raise UnsafeURL(f"malformed URL: {absolute[:200]}") from exc
    parts = urlsplit(normalised)
    path = parts.path or "/"
    if "/." in path:
        trailing = path.endswith("/")
        path = posixpath.normpath(path)
        path = path + "/" if trailing and not path.endswith("/") else path
        path = "/" + path.lstrip("/")
    query = "&".join(p for p in parts.query.split("&") if p and not _EXTRA_TRACKING.match(p.split("=", 1)[0]))
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def article_id_for(url: str) -> str:
    """The stable key of an article: the first 16 hex digits of the SHA-1 of its canonical URL."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


# Cloud metadata services outside link-local space (Alibaba: 100.100.100.200; AWS over IPv6: fd00:ec2::254).
_METADATA_ADDRESSES = {ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")}


def _unwrap(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The IPv4 address inside IPv4-mapped (::ffff:a.b.c.d) and 6to4 (2002:aabb:ccdd::) forms, else the address."""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour or address
    return address


def is_forbidden_address(ip: str) -> bool:
    """True for addresses never fetched, whatever the source.

    That is 0.0.0.0/8, link-local (cloud metadata at 169.254.169.254), multicast, reserved ranges and the other
    metadata addresses, also when written in IPv4-mapped or 6to4 form.
    """
    address = _unwrap(ip)
    if address.is_loopback:  # ::1 lies in the reserved ::/8, but it is loopback: "localhost" resolves to it
        return False
    if isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network("0.0.0.0/8"):
        return True
    return (
        address.is_unspecified
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address in _METADATA_ADDRESSES
    )


def is_private_address(ip: str) -> bool:
    """True for every address that is not on the public internet (loopback, private, shared, documentation …)."""
    return not _unwrap(ip).is_global


def check_resolved_addresses(url: str, addresses: list[str], allow_private: bool) -> None:
    """Raise UnsafeURL if any address the host resolved to may not be fetched.

    A public source may reach only public (global) addresses; a source on a private network may also reach
    private ones, never the forbidden ones.
    """
    for ip in addresses:
        if is_forbidden_address(ip):
            raise UnsafeURL(f"{host_of(url)} resolves to {ip}, an address newsmon never fetches")
        if is_private_address(ip) and not allow_private:
            raise UnsafeURL(
                f"{host_of(url)} resolves to private address {ip}, and the source is not on a private network"
            )


async def host_is_private(url: str) -> bool:
    """True when the URL's host resolves only to non-public addresses (a test site on loopback, an intranet feed).

    Such a source may be fetched, and so may links on the same kind of network; a public source never reaches one.
    """
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(is_private_address(a) and not is_forbidden_address(a) for a in addresses)
