"""Feed and sitemap fixtures declare their formats' namespaces through here, so tests never spell out an address
beyond loopback: `{atom}`, `{rdf}`, `{rss1}`, `{dc}`, `{sitemap}`, `{news}` and `{jsonfeed}` become the identifiers."""

from __future__ import annotations

from extractors.feeds import FORMAT_NAMESPACES


def with_namespaces(document: str | bytes) -> bytes:
    text = document.decode("utf-8") if isinstance(document, bytes) else document
    for name, identifier in FORMAT_NAMESPACES.items():
        text = text.replace("{" + name + "}", identifier)
    return text.encode("utf-8")
