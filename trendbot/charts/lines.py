"""Line charts: one line per series over years or dates, broken where a year has no value,
markers on short series, crosses on figures that rest on few papers, each line's name and last
value at its end (with its year or date when it ends before the others; nudged apart so labels
never overlap), date ticks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from matplotlib.ticker import MaxNLocator

from trendbot.charts.canvas import (
    END_LABEL_PT,
    EPOCH,
    FIG_H_PT,
    FIG_W_PT,
    LINE_PT,
    MARKER_PT,
    MAX_MARKED_POINTS,
    THIN_MARKER_PT,
    Ink,
    fmt_value,
    value_ticks,
    x_ticks,
    y_ticks,
)
from trendbot.charts.spec import ChartSpec, Series
from trendbot.charts.style import resolve_colour


def draw_lines(ax: Any, ink: Ink, spec: ChartSpec, axes_right: float) -> None:
    theme = ink.theme
    xs = spec.xs()
    top = max((y for s in spec.series for _, y in s.defined()), default=1.0)
    limits, yticks = value_ticks(spec, top)
    ax.set_ylim(*limits)
    y_ticks(ax, ink, yticks)
    if spec.reference_y is not None:
        ax.axhline(
            spec.reference_y, color=theme.reference, linewidth=1.3, linestyle=(0, (3, 3)), zorder=1
        )
    ends: list[tuple[float, str, str]] = []
    thin: list[tuple[float, float, str]] = []  # drawn together: two scatters, not two per line
    for s in spec.series:
        pts = s.defined()
        if not pts:
            continue
        colour = resolve_colour(s.colour, theme)
        marked = len(pts) <= MAX_MARKED_POINTS
        for run in s.segments():  # a gap (a year with no value) ends one line, starts another
            rx, ry = zip(*run, strict=True)
            ax.plot(
                rx,
                ry,
                color=colour,
                linewidth=LINE_PT,
                linestyle=(0, (3.2, 1.6)) if s.dashed else "-",
                solid_capstyle="round",
                dash_capstyle="round",
                # A point alone between gaps is always marked, or it would be invisible.
                marker="o" if marked or len(run) == 1 else None,
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
        thin += [(x, y, colour) for x, y in pts if x in s.thin]
        ends.append((pts[-1][1], end_label(s, spec), colour))
    if thin:
        _thin_markers(ax, thin, theme.background)
    _x_axis_for_lines(ax, ink, spec, xs)
    _end_labels(ax, ink, ends, axes_right)


def end_label(s: Series, spec: ChartSpec) -> str:
    """'PyTorch 77%', and its year or month when the line stops before the chart's last x
    ('ACL 83% (2020)', 'JAX 32.6k (Jun 2025)'), so an old value is never read as today's."""
    x_end, y_end = s.defined()[-1]
    xs = spec.xs()
    last_x, span = xs[-1], xs[-1] - xs[0]
    text = f"{s.label} {fmt_value(y_end, spec.y_unit)}"
    if spec.x_kind == "year" and x_end < last_x:
        text += f" ({int(x_end)})"
    elif spec.x_kind == "date" and last_x - x_end > max(1.0, span * 0.01):
        text += f" ({_day(x_end).strftime('%b %Y')})"
    return text


def _thin_markers(ax: Any, points: list[tuple[float, float, str]], background: str) -> None:
    """A cross in a gap cut out of the line: this figure rests on few papers (see the key)."""
    tx, ty, colours = zip(*points, strict=True)
    ax.scatter(
        tx,
        ty,
        s=(THIN_MARKER_PT + 3.5) ** 2,
        marker="o",
        c=background,
        linewidths=0,
        zorder=5,
        clip_on=False,
    )
    ax.scatter(
        tx,
        ty,
        s=THIN_MARKER_PT**2,
        marker="x",
        c=list(colours),
        linewidths=2.4,
        zorder=6,
        clip_on=False,
    )


def _x_axis_for_lines(ax: Any, ink: Ink, spec: ChartSpec, xs: list[float]) -> None:
    lo, hi = (xs[0], xs[-1]) if xs else (0.0, 1.0)
    span = hi - lo
    if spec.x_kind == "date":
        pad = max(span * 0.04, 1.0)
        ax.set_xlim(lo - pad, hi + pad)
        x_ticks(ax, ink, date_ticks(lo, hi))
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
    x_ticks(ax, ink, list(zip(values, labels, strict=True)))


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


def _end_labels(ax: Any, ink: Ink, ends: list[tuple[float, str, str]], axes_right: float) -> None:
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
