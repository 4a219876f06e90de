"""Charts: specs (what to draw), a renderer (how it looks), and a service (where it is drawn).

``ChartSpec`` is plain data; ``render_png`` turns one into 1600×900 PNG bytes with matplotlib's
object-oriented API; ``ChartService`` runs that in warmed worker processes with a timeout and a
cache keyed by (spec, data version). Importing this package does not import matplotlib: only
the renderer does, in whichever process draws.
"""

from trendbot.charts.service import (
    ChartError,
    ChartService,
    ChartStats,
    ChartTimeout,
    RenderResult,
    default_service,
    png_size,
)
from trendbot.charts.spec import ChartSpec, ChartSpecError, Series, line_chart

__all__ = [
    "ChartError",
    "ChartService",
    "ChartSpec",
    "ChartSpecError",
    "ChartStats",
    "ChartTimeout",
    "RenderResult",
    "Series",
    "default_service",
    "line_chart",
    "png_size",
]
