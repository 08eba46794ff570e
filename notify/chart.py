"""The digest's chart: weekly article counts per tag, as a small PNG for an inline (Content-ID) image part."""

from __future__ import annotations

import io

from notify.digest import WeeklyCounts

CHART_WIDTH_PX = 600
CHART_HEIGHT_PX = 220
_DPI = 100
TAG_COLOURS = {"isis": "#b03a2e", "returns": "#1f6f8b", "reconciliation": "#3c8d2f"}
_FALLBACK_COLOURS = ("#7d3c98", "#b9770e", "#5d6d7e")


def weekly_chart_png(weekly: WeeklyCounts) -> bytes:
    """A 600×220 px line chart, one line per tag, weeks on the x axis labelled by their Monday."""
    # Imported here: matplotlib takes a second to import, and every process that imports the engine (the pass's
    # extraction workers among them) would pay it. The Figure API, not pyplot: no global figure registry, so it
    # is safe in Prefect's worker threads and needs no display (a Figure without a canvas renders PNG with Agg).
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(CHART_WIDTH_PX / _DPI, CHART_HEIGHT_PX / _DPI), dpi=_DPI)
    axes = figure.subplots()
    positions = list(range(len(weekly.weeks)))
    for index, (tag, counts) in enumerate(weekly.counts.items()):
        colour = TAG_COLOURS.get(tag, _FALLBACK_COLOURS[index % len(_FALLBACK_COLOURS)])
        axes.plot(positions, counts, label=tag, color=colour, linewidth=1.8, marker="o", markersize=3)
    # Every other week is labelled, or twelve dates overlap at this width.
    axes.set_xticks(positions[::2], [f"{w:%d %b}" for w in weekly.weeks][::2], fontsize=7)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    axes.tick_params(axis="y", labelsize=7)
    axes.set_ylim(bottom=0)
    axes.set_title("Articles per week", fontsize=8, loc="left")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    if weekly.counts:
        axes.legend(fontsize=7, frameon=False, loc="upper left", ncols=len(weekly.counts), bbox_to_anchor=(0.3, 1.18))
    figure.subplots_adjust(left=0.06, right=0.99, top=0.84, bottom=0.14)
    rendered = io.BytesIO()
    # Fixed size on purpose: no bbox_inches="tight", so the HTML's width/height attributes stay true.
    figure.savefig(rendered, format="png", dpi=_DPI, metadata={"Software": None})
    return _palette_png(rendered.getvalue())


def _palette_png(png: bytes) -> bytes:
    # A line chart has few colours: a 64-colour palette looks the same and is about a third of the bytes,
    # which matters in a mail sent every day. Pillow is already installed as a matplotlib dependency.
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        palette = image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
        smaller = io.BytesIO()
        palette.save(smaller, format="PNG", optimize=True)
    return smaller.getvalue()
