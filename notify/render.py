"""Digest and alert bodies from the Jinja2 templates in notify/templates: HTML autoescaped, plain text as is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from notify.chart import CHART_HEIGHT_PX, CHART_WIDTH_PX, TAG_COLOURS
from notify.digest import Alert, Digest

TAG_TITLES = {"isis": "ISIS", "returns": "Returns", "reconciliation": "Reconciliation"}


@dataclass(frozen=True, slots=True)
class Bodies:
    text: str
    html: str


def _is_html(template_name: str | None) -> bool:
    return bool(template_name) and str(template_name).endswith(".html.j2")


@cache
def _environment() -> Environment:
    # Autoescape by file name: article titles, snippets and evidence are untrusted and reach the HTML part only as
    # text; the .txt.j2 templates must not escape, or a plain-text reader would see &amp;.
    environment = Environment(
        loader=PackageLoader("notify", "templates"),
        autoescape=_is_html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["day"] = _day
    environment.filters["moment"] = _moment
    environment.globals["tag_title"] = lambda tag: TAG_TITLES.get(tag, tag)
    environment.globals["tag_colour"] = lambda tag: TAG_COLOURS.get(tag, "#777777")
    return environment


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def _moment(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y %H:%M} UTC"


def render_digest(digest: Digest, chart_cid: str | None) -> Bodies:
    """`chart_cid` is the image part's Content-ID without angle brackets; None leaves the chart out."""
    context = {
        "digest": digest,
        "chart_cid": chart_cid,
        "chart_width": CHART_WIDTH_PX,
        "chart_height": CHART_HEIGHT_PX,
    }
    environment = _environment()
    return Bodies(
        text=environment.get_template("digest.txt.j2").render(context),
        html=environment.get_template("digest.html.j2").render(context),
    )


def render_alert(alert: Alert) -> Bodies:
    environment = _environment()
    context = {"alert": alert}
    return Bodies(
        text=environment.get_template("alert.txt.j2").render(context),
        html=environment.get_template("alert.html.j2").render(context),
    )
