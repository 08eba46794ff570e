"""Canonical article URLs, so one article is stored once,
and the address guard that keeps fetches off internal networks."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import posixpath
import re
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

from courlan import normalize_url

# Parameters that say only how a reader arrived, matched by whole name: the ad and analytics ones of the ClearURLs
# and Firefox query-stripping lists, and those news sites add themselves. courlan's own filter matches substrings
# (`cid`, `source`, `session` …) and so dropped identifiers too, merging different articles into one URL.
_TRACKING = re.compile(
    r"(utm|mtm|pk|at|itm|stm|wt)[_.].*|_hs(enc|mi)|fbclid|gclid|gclsrc|dclid|msclkid|yclid|twclid|igshid|"
    r"mc_cid|mc_eid|_ga|_gl|ocid|cmpid|cmp|ncid|smid|icid|s_cid|xtor|ito|guccounter|guce_referrer(_sig)?|"
    r"ref_src|ref_url|__twitter_impression|soc_src|soc_trk|fb_action_ids|fb_action_types|fb_source|spm",
    re.IGNORECASE,
)
# Trackers when they carry a word (?ref=rss, ?source=twitter), identifiers when they carry a number (?ref=20251).
_TRACKING_UNLESS_NUMBER = frozenset({"ref", "source", "share", "src"})


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
        normalised = normalize_url(parts._replace(query="", fragment=""))  # case, default port, punycode, path
    except (ValueError, AttributeError) as exc:  # courlan raises on some malformed ports and IPv6 literals
        raise UnsafeURL(f"malformed URL: {absolute[:200]}") from exc
    normal = urlsplit(normalised)
    path = normal.path or "/"
    if "/." in path:
        trailing = path.endswith("/")
        path = posixpath.normpath(path)
        path = path + "/" if trailing and not path.endswith("/") else path
        path = "/" + path.lstrip("/")
    return urlunsplit((normal.scheme, normal.netloc, path, _canonical_query(parts.query), ""))


def _canonical_query(query: str) -> str:
    """The query without tracking parameters, sorted by name, encoded as courlan encoded it before (so canonical
    URLs, and with them article ids, stay what earlier releases stored)."""
    if not query:
        return ""
    kept = {
        name: values
        for name, values in sorted(parse_qs(query).items())
        if not _is_tracking(name.lower(), values)
    }
    return urlencode(kept, doseq=True)


def _is_tracking(name: str, values: list[str]) -> bool:
    if name in _TRACKING_UNLESS_NUMBER:
        return not all(v.isdigit() for v in values)
    return _TRACKING.fullmatch(name) is not None


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
