"""The canvas every chart is drawn on: the fixed 1600×900 figure, its sizes and positions, text
measured with the canvas's own renderer (and shrunk or wrapped to fit), axes, ticks, the title
and footnote, and number formats. ``lines`` and ``bars`` draw on it; ``render`` puts it together.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator, NullLocator

from trendbot.charts.spec import ChartSpec
from trendbot.charts.style import Theme

# Hinting snaps glyph outlines to the pixel grid, which matters for 9 px text, not for 44 px
# text at 200 dpi; turning it off makes text layout ~40 % cheaper (a third of a render is text).
# This is process-wide, which is fine: charts are the only matplotlib users in trendbot.
matplotlib.rcParams["text.hinting"] = "no_hinting"

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 200
WIDTH_PX, HEIGHT_PX = int(WIDTH_IN * DPI), int(HEIGHT_IN * DPI)  # 1600 × 900
FIG_W_PT, FIG_H_PT = WIDTH_IN * 72, HEIGHT_IN * 72

TITLE_PT, SUBTITLE_PT, TICK_PT, END_LABEL_PT, BAR_LABEL_PT = 20, 13, 16, 15, 13
LEGEND_PT, FOOT_PT, NOTE_PT, Y_LABEL_PT = 14, 9.5, 12, 13
Y_LABEL_ROOM = 0.032  # figure width kept left of the y ticks for an upright y label
LINE_PT, MARKER_PT = 2.6, 6.5  # 2.6 pt = 7 px at 1600 wide, 3.6 px at the 800 px design size
THIN_MARKER_PT = 9.0  # the cross on a figure that rests on few papers
MAX_MARKED_POINTS = 12  # more points than this per line and markers become noise
FONT = "DejaVu Sans"  # shipped with matplotlib, so every machine draws the same image
PNG_LEVEL = 3  # zlib level for the palette PNG: ~5 ms; level 6 saves 20 % for twice the time
BLEND_STEPS = 10  # palette shades per colour, from background to full colour

# Vertical positions in figure fractions (0 = bottom). Title and subtitle sit above the axes;
# the footnote grows upward one line at a time and the axes start above it.
TITLE_TOP, SUBTITLE_TOP, FOOT_BOTTOM = 0.965, 0.878, 0.018
FOOT_LINE = FOOT_PT * 1.25 / FIG_H_PT
LEFT_EDGE, RIGHT_EDGE = 0.025, 0.985
EPOCH = dt.date(1970, 1, 1)  # x values of date charts are days since then (matplotlib's unit)


_local = threading.local()
_WIDTHS: dict[tuple[str, float, bool], float] = {}  # same font and dpi everywhere: safe to share


def blank_figure(theme: Theme) -> tuple[Figure, FigureCanvasAgg]:
    """This thread's figure, cleared: one per thread, reused render after render.

    Reusing the canvas keeps its Agg renderer, and matplotlib caches text measurements per
    renderer, so labels that recur ('2019', '100%', 'PyTorch') are laid out once per worker
    instead of once per chart (~10 ms a chart). A figure is never shared between threads.
    """
    pair = getattr(_local, "figure", None)
    if pair is None:
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        pair = _local.figure = (fig, FigureCanvasAgg(fig))
    fig, canvas = pair
    fig.clear()
    fig.set_facecolor(theme.background)
    return fig, canvas


class Ink:
    """Text drawing and measuring with one set of defaults (font, no mathtext)."""

    def __init__(self, fig: Figure, canvas: FigureCanvasAgg, theme: Theme) -> None:
        self.fig = fig
        self.theme = theme
        self._renderer = canvas.get_renderer()
        self._props: dict[tuple[float, bool], FontProperties] = {}

    def props(self, size: float, bold: bool = False) -> FontProperties:
        key = (size, bold)
        if key not in self._props:
            weight = "bold" if bold else "normal"
            self._props[key] = FontProperties(family=FONT, size=size, weight=weight)
        return self._props[key]

    def width_pt(self, text: str, size: float, bold: bool = False) -> float:
        """Rendered width of ``text`` in points (exact: the same font and renderer draw it)."""
        key = (text, size, bold)
        width = _WIDTHS.get(key)
        if width is None:
            w, _, _ = self._renderer.get_text_width_height_descent(
                text, self.props(size, bold), ismath=False
            )
            if len(_WIDTHS) > 4096:  # bounded: recurring labels stay, one-offs are dropped
                _WIDTHS.clear()
            width = _WIDTHS[key] = w * 72 / DPI
        return width

    def fit(self, text: str, size: float, width_pt: float, *, bold: bool, minimum: float) -> float:
        """Largest size ≤ ``size`` (and ≥ ``minimum``) at which ``text`` fits ``width_pt``."""
        needed = self.width_pt(text, size, bold)
        return size if needed <= width_pt else max(minimum, size * width_pt / needed)

    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        size: float,
        colour: str,
        bold: bool = False,
        ha: str = "left",
        va: str = "center",
        ax: Any = None,
        transform: Any = None,
        **kw: Any,
    ) -> None:
        target = ax if ax is not None else self.fig
        if transform is None:
            transform = ax.transAxes if ax is not None else self.fig.transFigure
        target.text(
            x,
            y,
            s,
            transform=transform,
            fontproperties=self.props(size, bold),
            color=colour,
            ha=ha,
            va=va,
            parse_math=False,  # a '$' in a label is a dollar sign, not mathtext to parse
            **kw,
        )


def new_axes(fig: Figure, rect: tuple[float, float, float, float], theme: Theme) -> Any:
    """An axes with no matplotlib ticks: ticks, grid and labels are drawn by ``_ticks``.

    Matplotlib builds a Tick object (three lines, two texts) per tick and measures every label
    before drawing it; for a dozen ticks that was ~10 ms of a 60 ms chart.
    """
    ax = fig.add_axes(rect)
    ax.set_facecolor(theme.background)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(theme.grid)
    ax.spines["bottom"].set_linewidth(1.2)
    ax.xaxis.set_major_locator(NullLocator())
    ax.yaxis.set_major_locator(NullLocator())
    ax.set_axisbelow(True)
    return ax


def y_ticks(ax: Any, ink: Ink, ticks: list[tuple[float, str]]) -> None:
    """Horizontal grid lines with their labels left of the axes."""
    if not ticks:
        return
    trans = ax.get_yaxis_transform()  # x in axes fraction, y in data
    ax.hlines(
        [v for v, _ in ticks],
        0,
        1,
        transform=trans,
        colors=ink.theme.grid,
        linewidth=1.0,
        zorder=0.5,
    )
    for v, label in ticks:
        ink.text(
            -0.018,
            v,
            label,
            ax=ax,
            transform=trans,
            size=TICK_PT,
            colour=ink.theme.muted,
            ha="right",
            clip_on=False,
        )


def x_ticks(ax: Any, ink: Ink, ticks: list[tuple[float, str]]) -> None:
    trans = ax.get_xaxis_transform()  # x in data, y in axes fraction
    for v, label in ticks:
        ink.text(
            v,
            -0.035,
            label,
            ax=ax,
            transform=trans,
            size=TICK_PT,
            colour=ink.theme.muted,
            ha="center",
            va="top",
            clip_on=False,
        )


def footnote_lines(ink: Ink, footnote: str, max_lines: int = 3) -> list[str]:
    """Wrap at ' · ' and sentence breaks, so a date or a name is never split across lines."""
    if not footnote:
        return []
    width = (RIGHT_EDGE - LEFT_EDGE) * FIG_W_PT
    pieces: list[str] = []
    for part in footnote.replace(". ", ".\x00").split("\x00"):
        chunks = part.split(" · ")
        pieces += [c + (" · " if i < len(chunks) - 1 else " ") for i, c in enumerate(chunks)]
    # One measurement for all: widths are near enough additive at a single size.
    per_char = ink.width_pt(footnote, FOOT_PT) / max(len(footnote), 1)
    lines: list[str] = []
    current = ""
    for piece in pieces:
        if current and len((current + piece).rstrip()) * per_char > width:
            lines.append(current.rstrip(" ·"))
            current = ""
        current += piece
        while len(current.rstrip()) * per_char > width:  # a single piece wider than a line
            cut = current[: int(width / per_char)].rsplit(" ", 1)[0] or current[:80]
            lines.append(cut)
            current = current[len(cut) :].lstrip()
    if current.strip():
        lines.append(current.rstrip(" ·"))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-2] + " …"
    return lines


def frame_text(
    ink: Ink,
    spec: ChartSpec,
    foot_lines: list[str],
    legend_left: float,
    key_lines: list[str] | None = None,
) -> None:
    theme = ink.theme
    full = (RIGHT_EDGE - LEFT_EDGE) * FIG_W_PT
    size = ink.fit(spec.title, TITLE_PT, full, bold=True, minimum=13)
    ink.text(LEFT_EDGE, TITLE_TOP, spec.title, size=size, colour=theme.text, bold=True, va="top")
    if spec.subtitle:
        room = (legend_left - 0.02 - LEFT_EDGE) * FIG_W_PT
        size = ink.fit(spec.subtitle, SUBTITLE_PT, room, bold=False, minimum=10)
        subtitle = spec.subtitle
        while ink.width_pt(subtitle, size) > room and len(subtitle) > 12:
            subtitle = subtitle[: int(len(subtitle) * 0.9)].rstrip() + "…"
        ink.text(LEFT_EDGE, SUBTITLE_TOP, subtitle, size=size, colour=theme.muted, va="top")
    if foot_lines:
        ink.text(
            LEFT_EDGE,
            FOOT_BOTTOM,
            "\n".join(foot_lines),
            size=FOOT_PT,
            colour=theme.muted,
            va="bottom",
            linespacing=1.25,
        )
    if key_lines:  # what the markers mean, in the text colour, right above the footnote
        ink.text(
            LEFT_EDGE,
            FOOT_BOTTOM + FOOT_LINE * len(foot_lines),
            "\n".join(key_lines),
            size=FOOT_PT,
            colour=theme.text,
            va="bottom",
            linespacing=1.25,
        )


def y_label(ink: Ink, ax: Any, text: str) -> None:
    """The y axis's name, turned upright along the left edge and centred on the axes."""
    pos = ax.get_position()
    room = pos.height * FIG_H_PT
    size = ink.fit(text, Y_LABEL_PT, room, bold=False, minimum=9)
    ink.text(
        0.008,
        pos.y0 + pos.height / 2,
        text,
        size=size,
        colour=ink.theme.muted,
        ha="center",
        va="top",
        rotation=90,
        rotation_mode="anchor",
    )


def fmt_value(v: float, unit: str, *, precise: bool = False) -> str:
    if unit == "percent":
        return f"{v:.1f}%" if precise else f"{v:.0f}%"
    if unit == "percent_fine":
        return f"{v:.1f}%" if precise or abs(v) < 10 else f"{v:.0f}%"
    if unit == "count":
        return f"{round(v):,}"
    return fmt_si(v)


def fmt_si(v: float) -> str:
    """12 → '12', 1234 → '1.2k', 5_600_000 → '5.6M'."""
    a = abs(v)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= limit:
            scaled = round(v / limit, 1)
            if scaled == int(scaled) or abs(scaled) >= 100:
                return f"{scaled:.0f}{suffix}"
            return f"{scaled:.1f}{suffix}"
    return f"{v:.0f}" if a >= 10 or v == int(v) else f"{v:.2g}"


def _fmt_count(v: float) -> str:
    return f"{v:,.0f}"


SHARE_UNITS = frozenset({"percent", "percent_fine"})


def is_share(unit: str) -> bool:
    """Shares of every kind are drawn on the same fixed 0–100 % axis."""
    return unit in SHARE_UNITS


def value_ticks(spec: ChartSpec, top_value: float) -> tuple[tuple[float, float], list]:
    """Shares: a fixed 0–100 % scale. Counts and other numbers: from zero to a round top."""
    if is_share(spec.y_unit):
        return (0.0, 100.0), [(v, f"{v:.0f}%") for v in (0.0, 25.0, 50.0, 75.0, 100.0)]
    locator = MaxNLocator(nbins=5, integer=spec.y_unit == "count")
    values = [float(t) for t in locator.tick_values(0, max(top_value, 1.0)) if t >= 0]
    fmt = _fmt_count if spec.y_unit == "count" else fmt_si
    top = max(values[-1] if values else 1.0, top_value * 1.02, 1.0)
    return (0.0, top), [(v, fmt(v)) for v in values if v <= top]
