"""SVG output: the trend chart of a `trend` document (buildprof.render.trend draws it)."""

from __future__ import annotations

from buildprof.model.history_documents import TrendDocument
from buildprof.render import RenderOptions


def render(doc: TrendDocument, options: RenderOptions) -> str:
    """The registry's entry point (buildprof.render.FORMATS)."""
    from buildprof.render.trend import draw_trend

    return draw_trend(doc.series, "svg", title=f"Build cost over commits: {doc.label}").decode("utf-8")
