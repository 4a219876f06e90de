"""Draw a ``ChartSpec`` to PNG bytes with matplotlib's object-oriented API.

Only ``Figure`` + ``FigureCanvasAgg`` are used, never ``pyplot``: pyplot keeps global figure
state that leaks memory in a long-running process and is unsafe across threads. Every figure is
local to one call and dropped when it returns.

Layout is fixed per chart kind (margins tuned once for 1600×900) instead of ``tight_layout``,
which runs an extra full draw per render (about 20 ms). Sizes are in points on an 8×4.5 in
figure at 200 dpi, which is 800×450 at 2×: Discord shows embed images about 400 px wide, and
16 pt ticks with a 20 pt title are what stay legible at that scale. Text that could overflow
(titles, end labels, the footnote) is measured with the canvas's own renderer and shrunk or
wrapped, so nothing is clipped at the edge.

The PNG is written as an 8-bit palette image whose palette is built from the colours the chart
actually uses (each blended toward the background in steps, for anti-aliased edges). That keeps
every framework colour exact, cuts the file to about half, and encodes in a few milliseconds
where zlib on full RGBA took ~45 ms.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import threading
from dataclasses import dataclass
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator, NullLocator
from matplotlib.transforms import blended_transform_factory
from PIL import Image

from trendbot.charts.spec import ChartSpec, Series
from trendbot.charts.style import THEMES, Theme, resolve_colour

# Hinting snaps glyph outlines to the pixel grid, which matters for 9 px text, not for 44 px
# text at 200 dpi; turning it off makes text layout ~40 % cheaper (a third of a render is text).
# This is process-wide, which is fine: charts are the only matplotlib users in trendbot.
matplotlib.rcParams["text.hinting"] = "no_hinting"

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 200
WIDTH_PX, HEIGHT_PX = int(WIDTH_IN * DPI), int(HEIGHT_IN * DPI)  # 1600 × 900
FIG_W_PT, FIG_H_PT = WIDTH_IN * 72, HEIGHT_IN * 72

TITLE_PT, SUBTITLE_PT, TICK_PT, END_LABEL_PT, BAR_LABEL_PT = 20, 13, 16, 15, 13
LEGEND_PT, FOOT_PT, NOTE_PT = 14, 9.5, 12
LINE_PT, MARKER_PT = 2.6, 6.5  # 2.6 pt = 7 px at 1600 wide, 3.6 px at the 800 px design size
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


@dataclass(frozen=True)
class Margins:
    left: float
    right: float
    top: float
    below_footnote: float  # gap between the footnote's top and the axes (room for x labels)


LINE_MARGINS = Margins(left=0.10, right=0.745, top=0.79, below_footnote=0.088)
VBAR_MARGINS = Margins(left=0.10, right=0.975, top=0.77, below_footnote=0.088)
HBAR_MARGINS = Margins(left=0.135, right=0.835, top=0.775, below_footnote=0.035)


def render_png(spec: ChartSpec) -> bytes:
    """The chart as PNG bytes, exactly ``WIDTH_PX`` × ``HEIGHT_PX``."""
    spec.validate()
    theme = THEMES[spec.theme]
    fig, canvas = _blank_figure(theme)
    ink = _Ink(fig, canvas, theme)
    foot_lines = _footnote_lines(ink, spec.footnote)
    foot_top = FOOT_BOTTOM + FOOT_LINE * len(foot_lines)
    if spec.kind == "line":
        m = LINE_MARGINS
    elif spec.horizontal:
        m = HBAR_MARGINS
    else:
        m = VBAR_MARGINS
    bottom = foot_top + m.below_footnote
    if spec.kind == "bars" and not spec.horizontal and spec.category_notes:
        bottom += 0.05
    ax = _axes(fig, (m.left, bottom, m.right - m.left, m.top - bottom), theme)
    if spec.kind == "line":
        _draw_lines(ax, ink, spec, m.right)
    elif spec.horizontal:
        _draw_hbars(ax, ink, spec)
    else:
        _draw_vbars(ax, ink, spec)
    legend_left = _legend(ink, spec) if spec.kind == "bars" else RIGHT_EDGE
    _frame_text(ink, spec, foot_lines, legend_left)
    if spec.is_empty():  # callers say "no data" in text; this only avoids a blank frame
        ink.text(0.5, 0.5, "no data", ax=ax, size=TICK_PT, colour=theme.muted, ha="center")
    canvas.draw()
    return encode_png(canvas, _palette(spec, theme))


# -- drawing helpers ------------------------------------------------------------------------------
_local = threading.local()
_WIDTHS: dict[tuple[str, float, bool], float] = {}  # same font and dpi everywhere: safe to share


def _blank_figure(theme: Theme) -> tuple[Figure, FigureCanvasAgg]:
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


class _Ink:
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


def _axes(fig: Figure, rect: tuple[float, float, float, float], theme: Theme) -> Any:
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


def _y_ticks(ax: Any, ink: _Ink, ticks: list[tuple[float, str]]) -> None:
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


def _x_ticks(ax: Any, ink: _Ink, ticks: list[tuple[float, str]]) -> None:
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


def _footnote_lines(ink: _Ink, footnote: str, max_lines: int = 3) -> list[str]:
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


def _frame_text(ink: _Ink, spec: ChartSpec, foot_lines: list[str], legend_left: float) -> None:
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


def fmt_value(v: float, unit: str, *, precise: bool = False) -> str:
    if unit == "percent":
        return f"{v:.1f}%" if precise else f"{v:.0f}%"
    if unit == "percent_scaled":
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


def _value_ticks(spec: ChartSpec, top_value: float) -> tuple[tuple[float, float], list]:
    """Percent: a fixed 0–100 % scale. Counts and other numbers: from zero to a round top."""
    if spec.y_unit == "percent":
        return (0.0, 100.0), [(v, f"{v:.0f}%") for v in (0.0, 25.0, 50.0, 75.0, 100.0)]
    locator = MaxNLocator(nbins=5, integer=spec.y_unit == "count")
    values = [float(t) for t in locator.tick_values(0, max(top_value, 1.0)) if t >= 0]
    if spec.y_unit == "count":
        fmt = lambda v: f"{v:,.0f}"  # noqa: E731
    elif spec.y_unit == "percent_scaled":
        fmt = lambda v: f"{v:g}%"  # noqa: E731
    else:
        fmt = fmt_si
    top = max(values[-1] if values else 1.0, top_value * 1.02, 1.0)
    return (0.0, top), [(v, fmt(v)) for v in values if v <= top]


# -- lines ----------------------------------------------------------------------------------------
def _draw_lines(ax: Any, ink: _Ink, spec: ChartSpec, axes_right: float) -> None:
    theme = ink.theme
    xs = spec.xs()
    top = max((y for s in spec.series for _, y in s.defined()), default=1.0)
    limits, yticks = _value_ticks(spec, top)
    ax.set_ylim(*limits)
    _y_ticks(ax, ink, yticks)
    if spec.reference_y is not None:
        ax.axhline(
            spec.reference_y, color=theme.reference, linewidth=1.3, linestyle=(0, (3, 3)), zorder=1
        )
    ends: list[tuple[float, str, str]] = []
    last_x = xs[-1] if xs else 0.0
    for s in spec.series:
        pts = s.defined()
        if not pts:
            continue
        colour = resolve_colour(s.colour, theme)
        px, py = zip(*pts, strict=True)
        ax.plot(
            px,
            py,
            color=colour,
            linewidth=LINE_PT,
            linestyle=(0, (3.2, 1.6)) if s.dashed else "-",
            solid_capstyle="round",
            dash_capstyle="round",
            marker="o" if len(pts) <= MAX_MARKED_POINTS else None,
            markersize=MARKER_PT,
            markeredgecolor=theme.background,
            markeredgewidth=1.2,
            zorder=3,
            clip_on=False,
        )
        hollow = [(x, y) for x, y in pts if x in s.hollow]
        if hollow:
            hx, hy = zip(*hollow, strict=True)
            ax.plot(
                hx,
                hy,
                linestyle="none",
                marker="o",
                markersize=MARKER_PT + 1.5,
                markerfacecolor=theme.background,
                markeredgecolor=colour,
                markeredgewidth=2.0,
                zorder=4,
                clip_on=False,
            )
        x_end, y_end = pts[-1]
        text = f"{s.label} {fmt_value(y_end, spec.y_unit)}"
        if x_end < last_x and spec.x_kind == "year":
            text += f" ({int(x_end)})"
        ends.append((y_end, text, colour))
    _x_axis_for_lines(ax, ink, spec, xs)
    _end_labels(ax, ink, ends, axes_right)


def _x_axis_for_lines(ax: Any, ink: _Ink, spec: ChartSpec, xs: list[float]) -> None:
    lo, hi = (xs[0], xs[-1]) if xs else (0.0, 1.0)
    span = hi - lo
    if spec.x_kind == "date":
        pad = max(span * 0.04, 1.0)
        ax.set_xlim(lo - pad, hi + pad)
        _x_ticks(ax, ink, date_ticks(lo, hi))
        return
    pad = max(span * 0.04, 0.3)
    ax.set_xlim(lo - pad, hi + pad)
    if spec.x_kind == "year" and span <= 12:
        values = [float(y) for y in range(int(lo), int(hi) + 1)]
    else:
        values = [float(v) for v in MaxNLocator(nbins=7, integer=True).tick_values(lo, hi)]
        values = [v for v in values if lo - pad <= v <= hi + pad]
    if spec.x_kind == "year" and span > 7:
        # Nine or more full years at 16 pt crowd the axis: '15 … '22 after the first.
        labels = [f"{v:.0f}" if i == 0 else f"’{int(v) % 100:02d}" for i, v in enumerate(values)]
    else:
        labels = [f"{v:.0f}" for v in values]
    _x_ticks(ax, ink, list(zip(values, labels, strict=True)))


def date_ticks(lo: float, hi: float, most: int = 5) -> list[tuple[float, str]]:
    """Ticks for days-since-1970 x values: years, else months, else days; at most ``most``."""
    first, last = _day(lo), _day(hi)
    span = hi - lo
    if span >= 3 * 365:
        years = list(range(first.year + (first > dt.date(first.year, 1, 1)), last.year + 1))
        step = max(1, -(-len(years) // most))
        return [(_days(dt.date(y, 1, 1)), str(y)) for y in years[::step]]
    if span >= 60:
        months = []
        y, m = (first.year, first.month + 1) if first.day > 1 else (first.year, first.month)
        while (y, m) <= (last.year, last.month):
            months.append(dt.date(y + (m - 1) // 12, (m - 1) % 12 + 1, 1))
            y, m = months[-1].year, months[-1].month + 1
        step = max(1, -(-len(months) // most))
        picked = months[::step]
        return [
            (_days(d), d.strftime("%b %Y") if i == 0 or d.month == 1 else d.strftime("%b"))
            for i, d in enumerate(picked)
        ]
    step = max(1, int(-(-span // most)))
    days = [first + dt.timedelta(days=k) for k in range(0, int(span) + 1, step)]
    return [(_days(d), d.strftime("%d %b")) for d in days]


def _day(days: float) -> dt.date:
    return EPOCH + dt.timedelta(days=int(days))


def _days(d: dt.date) -> float:
    return float((d - EPOCH).days)


def _end_labels(ax: Any, ink: _Ink, ends: list[tuple[float, str, str]], axes_right: float) -> None:
    """Direct labels right of the plot at each line's last value, pushed apart when close."""
    if not ends:
        return
    y0, y1 = ax.get_ylim()
    pos = ax.get_position()
    axes_h_pt = pos.height * FIG_H_PT
    room = (0.99 - axes_right) * FIG_W_PT - 0.02 * pos.width * FIG_W_PT
    longest = max((t for _, t, _ in ends), key=len)
    size = ink.fit(longest, END_LABEL_PT, room, bold=True, minimum=9)
    gap = size * 1.3 / axes_h_pt
    wanted = [(y - y0) / (y1 - y0) for y, _, _ in ends]
    placed = nudge(wanted, gap, lo=-0.04, hi=1.06)
    for (_, text, colour), y in zip(ends, placed, strict=True):
        ink.text(1.02, y, text, ax=ax, size=size, colour=colour, bold=True, clip_on=False)


def nudge(wanted: list[float], gap: float, *, lo: float, hi: float) -> list[float]:
    """Positions as close to ``wanted`` as possible with at least ``gap`` between neighbours.

    Labels are pushed upward past their lower neighbour, then the stack is pulled back down
    under ``hi`` and up over ``lo``; order is preserved, so each label stays next to its line.
    """
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    pos = [min(max(wanted[i], lo), hi) for i in order]
    for k in range(1, len(pos)):
        pos[k] = max(pos[k], pos[k - 1] + gap)
    if pos and pos[-1] > hi:
        pos[-1] = hi
        for k in range(len(pos) - 2, -1, -1):
            pos[k] = min(pos[k], pos[k + 1] - gap)
    if pos and pos[0] < lo:
        shift = lo - pos[0]
        pos = [p + shift for p in pos]
    out = [0.0] * len(wanted)
    for k, i in enumerate(order):
        out[i] = pos[k]
    return out


# -- bars -----------------------------------------------------------------------------------------
def _bar_values(s: Series) -> dict[int, float]:
    return {int(x): y for x, y in s.defined()}


def _legend(ink: _Ink, spec: ChartSpec) -> float:
    """Colour keys on the subtitle row, right-aligned; returns where they start (fig x)."""
    if len(spec.series) < 2:
        return RIGHT_EDGE
    x = RIGHT_EDGE
    y = SUBTITLE_TOP - 0.025
    box_w, box_h, gap = 10 / FIG_W_PT, 10 / FIG_H_PT, 5 / FIG_W_PT
    for s in reversed(spec.series):
        w = ink.width_pt(s.label, LEGEND_PT) / FIG_W_PT
        x -= w
        ink.text(x, y, s.label, size=LEGEND_PT, colour=ink.theme.text)
        x -= gap + box_w
        ink.fig.patches.append(
            Rectangle(
                (x, y - box_h / 2),
                box_w,
                box_h,
                transform=ink.fig.transFigure,
                facecolor=resolve_colour(s.colour, ink.theme),
                edgecolor="none",
            )
        )
        x -= 16 / FIG_W_PT
    return x


def _draw_vbars(ax: Any, ink: _Ink, spec: ChartSpec) -> None:
    theme = ink.theme
    n_cat, n_ser = len(spec.categories), len(spec.series)
    width = 0.8 / n_ser if n_cat > 1 else min(0.8 / n_ser, 0.3)
    values = [_bar_values(s) for s in spec.series]
    top = max((v for vs in values for v in vs.values()), default=1.0)
    (lo, hi), yticks = _value_ticks(spec, top)
    hi = hi * 1.08  # room for the value label over the tallest bar
    ax.set_ylim(lo, hi)
    _y_ticks(ax, ink, yticks)
    group_pt = ax.get_position().width * FIG_W_PT / max(n_cat, 1)
    label_pt = max(9.0, min(BAR_LABEL_PT + 2, group_pt * width / 2.6))
    for j, (s, vs) in enumerate(zip(spec.series, values, strict=True)):
        colour = resolve_colour(s.colour, theme)
        offset = (j - (n_ser - 1) / 2) * width
        idx = sorted(vs)
        starred = {int(x) for x in s.hollow}
        ax.bar(
            [i + offset for i in idx],
            [vs[i] for i in idx],
            width=width * 0.92,
            color=colour,
            zorder=3,
            linewidth=0,
        )
        for i in idx:
            text = fmt_value(vs[i], spec.y_unit, precise=spec.y_unit == "percent" and n_cat == 1)
            ink.text(
                i + offset,
                vs[i] + hi * 0.012,
                text + ("*" if i in starred else ""),
                ax=ax,
                transform=ax.transData,
                size=label_pt,
                colour=theme.text,
                bold=True,
                ha="center",
                va="bottom",
            )
    pad = 0.6 if n_cat == 1 else 0.0
    ax.set_xlim(-0.5 - pad, n_cat - 0.5 + pad)
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    _panels(ax, ink, spec, trans)
    name_pt = ink.fit(
        max(spec.categories, key=len), TICK_PT, group_pt * 0.95, bold=False, minimum=9
    )
    for i, name in enumerate(spec.categories):
        ink.text(
            i,
            -0.035,
            name,
            ax=ax,
            transform=trans,
            size=name_pt,
            colour=theme.text,
            ha="center",
            va="top",
        )
        if spec.category_notes:
            ink.text(
                i,
                -0.15,
                spec.category_notes[i],
                ax=ax,
                transform=trans,
                size=NOTE_PT,
                colour=theme.muted,
                ha="center",
                va="top",
            )


def panel_split(spec: ChartSpec) -> tuple[int, str, str] | None:
    """Two panels on one bar chart: ``extra`` ``("split", "k")`` puts categories before k in the
    left panel, titled ``left_title`` / ``right_title`` (e.g. research beside industry)."""
    extra = dict(spec.extra)
    try:
        k = int(extra.get("split", "0"))
    except ValueError:
        return None
    if not 0 < k < len(spec.categories):
        return None
    return k, extra.get("left_title", "")[:40], extra.get("right_title", "")[:40]


def _panels(ax: Any, ink: _Ink, spec: ChartSpec, trans: Any) -> None:
    split = panel_split(spec)
    if split is None:
        return
    k, left, right = split
    theme = ink.theme
    ax.axvline(k - 0.5, color=theme.muted, linewidth=1.4, linestyle=(0, (4, 3)), zorder=2)
    n = len(spec.categories)
    for centre, title in (((k - 1) / 2, left), ((k + n - 1) / 2, right)):
        if title:
            ink.text(
                centre,
                1.0,
                title,
                ax=ax,
                transform=trans,
                size=NOTE_PT + 1,
                colour=theme.muted,
                bold=True,
                ha="center",
                va="bottom",
            )


def _draw_hbars(ax: Any, ink: _Ink, spec: ChartSpec) -> None:
    theme = ink.theme
    n_cat, n_ser = len(spec.categories), len(spec.series)
    height = 0.82 / n_ser
    values = [_bar_values(s) for s in spec.series]
    top = max((v for vs in values for v in vs.values()), default=1.0)
    x_max = 112.0 if spec.y_unit == "percent" else max(top * 1.16, 1.0)
    ax.set_xlim(0, x_max)
    ax.set_ylim(n_cat - 0.5, -0.5)  # first category at the top
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(True)
    ax.spines["left"].set_color(theme.grid)
    ax.spines["left"].set_linewidth(1.2)
    pos = ax.get_position()
    row_pt = pos.height * FIG_H_PT / max(n_cat, 1)
    label_pt = max(8.5, min(BAR_LABEL_PT, row_pt * height * 0.95))
    for j, (s, vs) in enumerate(zip(spec.series, values, strict=True)):
        colour = resolve_colour(s.colour, theme)
        offset = (j - (n_ser - 1) / 2) * height
        idx = sorted(vs)
        starred = {int(x) for x in s.hollow}
        ax.barh(
            [i + offset for i in idx],
            [vs[i] for i in idx],
            height=height * 0.9,
            color=colour,
            zorder=3,
            linewidth=0,
        )
        for i in idx:
            text = fmt_value(vs[i], spec.y_unit) + ("*" if i in starred else "")
            ink.text(
                vs[i] + x_max * 0.008,
                i + offset,
                text,
                ax=ax,
                transform=ax.transData,
                size=label_pt,
                colour=theme.text,
                bold=True,
            )
    trans = blended_transform_factory(ax.transAxes, ax.transData)
    name_room = (pos.x0 - LEFT_EDGE) * FIG_W_PT - 0.02 * pos.width * FIG_W_PT
    name_pt = min(
        ink.fit(max(spec.categories, key=len), TICK_PT, name_room, bold=False, minimum=9),
        max(10.0, row_pt * 0.62),
    )
    for i, name in enumerate(spec.categories):
        ink.text(
            -0.02, i, name, ax=ax, transform=trans, size=name_pt, colour=theme.text, ha="right"
        )
        if spec.category_notes:
            ink.text(
                1.03,
                i,
                spec.category_notes[i],
                ax=ax,
                transform=trans,
                size=name_pt,
                colour=theme.text,
                bold=True,
            )
    if spec.notes_title:
        ink.text(1.03, 1.01, spec.notes_title, ax=ax, size=11, colour=theme.muted, va="bottom")


# -- PNG encoding ---------------------------------------------------------------------------------
def _hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _palette(spec: ChartSpec, theme: Theme) -> Image.Image:
    """Every colour the chart uses, with shades toward the background for anti-aliasing."""
    series = tuple(dict.fromkeys(resolve_colour(s.colour, theme) for s in spec.series))
    return _palette_for(theme, series)


@functools.lru_cache(maxsize=64)
def _palette_for(theme: Theme, series: tuple[str, ...]) -> Image.Image:
    bg = _hex_rgb(theme.background)
    used = [theme.text, theme.muted, theme.grid, theme.reference, *series]
    exact = list(dict.fromkeys([bg, *(_hex_rgb(c) for c in used)]))
    shades = []
    for rgb in exact[1:]:
        for step in range(1, BLEND_STEPS):
            a = step / BLEND_STEPS
            shade = tuple(round(b + (c - b) * a) for b, c in zip(bg, rgb, strict=True))
            # Pillow maps pixels through a cache of 8×4×8-value cells, so a shade that close
            # to an exact colour could capture that colour's pixels; leave those out.
            if all(sum((p - q) ** 2 for p, q in zip(shade, e, strict=True)) > 144 for e in exact):
                shades.append(shade)
    entries = list(dict.fromkeys(exact + shades))[:256]
    flat = [v for rgb in entries for v in rgb]
    image = Image.new("P", (1, 1))
    image.putpalette(flat + flat[:3] * (256 - len(entries)))
    return image


def encode_png(canvas: FigureCanvasAgg, palette: Image.Image) -> bytes:
    width, height = canvas.get_width_height(physical=True)
    rgba = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    indexed = rgba.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    indexed.save(buf, format="PNG", compress_level=PNG_LEVEL)
    return buf.getvalue()
