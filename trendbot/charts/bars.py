"""Bar charts: grouped vertical bars per category, horizontal bars (with panels when the
categories fall in two groups), value labels and the legend above the axes.

Value labels are measured before they are drawn: flat when each fits over its bar, upright when
they would overlap their neighbours, and left out when even upright they would touch (the
numbers are always in the reply's text). Bars whose figure rests on few papers are striped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matplotlib.patches import Rectangle
from matplotlib.transforms import blended_transform_factory

from trendbot.charts.canvas import (
    BAR_LABEL_PT,
    FIG_H_PT,
    FIG_W_PT,
    LEFT_EDGE,
    LEGEND_PT,
    NOTE_PT,
    RIGHT_EDGE,
    SUBTITLE_TOP,
    TICK_PT,
    Ink,
    fmt_value,
    is_share,
    value_ticks,
    y_ticks,
)
from trendbot.charts.spec import ChartSpec, Series
from trendbot.charts.style import resolve_colour


def _draw_bars(
    draw: Any,
    offset: float,
    values: dict[int, float],
    thin: set[int],
    colour: str,
    background: str,
    **size: float,
) -> None:
    """One series' bars through ``draw`` (``ax.bar`` or ``ax.barh``, ``size`` its width or
    height): solid, except those with few papers behind them, drawn as an outline with stripes
    (the key says so)."""
    idx = sorted(values)
    solid = [i for i in idx if i not in thin]
    draw([i + offset for i in solid], [values[i] for i in solid], color=colour, zorder=3,
         linewidth=0, **size)  # fmt: skip
    hatched = [i for i in idx if i in thin]
    if hatched:
        draw([i + offset for i in hatched], [values[i] for i in hatched], color=background,
             edgecolor=colour, hatch="///", linewidth=1.6, zorder=3, **size)  # fmt: skip


def _bar_values(s: Series) -> dict[int, float]:
    return {int(x): y for x, y in s.defined()}


def bar_legend(ink: Ink, spec: ChartSpec) -> float:
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


@dataclass(frozen=True)
class BarLabel:
    """A value label over one bar, in data x and y, with its measured size in points."""

    x: float
    y: float
    text: str
    width_pt: float  # along the text
    height_pt: float  # across it


@dataclass(frozen=True)
class LabelPlan:
    """How a chart's value labels are set: their size, whether upright, which are shown."""

    size: float
    upright: bool
    shown: tuple[BarLabel, ...]
    top: float  # the y limit that leaves room for every shown label


def plan_bar_labels(
    labels: list[BarLabel],
    *,
    upright: bool,
    unit_pt: float,
    axes_h_pt: float,
    hi: float,
    size: float,
) -> LabelPlan:
    """Measured labels, flat or upright (a label's width is then its text height), laid out over
    their bars: the y limit grows until the longest fits under it, and a label that would touch
    a larger value's label is left out (the numbers are all in the reply's text and fields)."""
    pad = 0.012
    top = hi
    for b in labels:  # room above the tallest label: its length along y in data units
        along = b.width_pt if upright else b.height_pt
        top = max(top, b.y / max(1 - pad - along / axes_h_pt, 0.2))
    per_pt = top / axes_h_pt  # data units per point on the y axis (the axis starts at 0)
    x_per_pt = 1.0 / max(unit_pt, 1e-6)  # and on the x axis (one category per unit)
    boxes: list[tuple[float, float, float, float]] = []
    shown = []
    for b in sorted(labels, key=lambda b: -b.y):  # the larger values keep their labels
        w_pt, h_pt = (b.height_pt, b.width_pt) if upright else (b.width_pt, b.height_pt)
        half = w_pt / 2 * x_per_pt
        y0 = b.y + top * pad
        box = (b.x - half, b.x + half, y0, y0 + h_pt * per_pt)
        if any(box[0] < o[1] and o[0] < box[1] and box[2] < o[3] and o[2] < box[3] for o in boxes):
            continue
        boxes.append(box)
        shown.append(b)
    return LabelPlan(size, upright, tuple(shown), top)


def draw_vbars(ax: Any, ink: Ink, spec: ChartSpec) -> None:
    theme = ink.theme
    n_cat, n_ser = len(spec.categories), len(spec.series)
    width = 0.8 / n_ser if n_cat > 1 else min(0.8 / n_ser, 0.3)
    values = [_bar_values(s) for s in spec.series]
    top = max((v for vs in values for v in vs.values()), default=1.0)
    (lo, hi), yticks = value_ticks(spec, top)
    hi = hi * 1.08  # room for the value label over the tallest bar
    pos = ax.get_position()
    pad = 0.6 if n_cat == 1 else 0.0
    group_pt = pos.width * FIG_W_PT / (n_cat + 2 * pad)  # points per category (x data unit)
    slot_pt = group_pt * width  # one bar's share of its group, in points
    size = max(9.0, min(BAR_LABEL_PT + 2, slot_pt / 2.6))
    labels: list[BarLabel] = []
    for j, (s, vs) in enumerate(zip(spec.series, values, strict=True)):
        colour = resolve_colour(s.colour, theme)
        offset = (j - (n_ser - 1) / 2) * width
        idx = sorted(vs)
        starred = {int(x) for x in s.hollow}
        thin = {int(x) for x in s.thin}
        _draw_bars(ax.bar, offset, vs, thin, colour, theme.background, width=width * 0.92)
        for i in idx:
            text = fmt_value(vs[i], spec.y_unit, precise=spec.y_unit == "percent" and n_cat == 1)
            text += "*" if i in starred else ""
            labels.append(
                BarLabel(i + offset, vs[i], text, ink.width_pt(text, size, True), size * 1.2)
            )
    widest = max((b.width_pt for b in labels), default=0.0)
    if widest > slot_pt * 0.98:  # a smaller size may be enough to keep them flat
        size = max(9.0, size * slot_pt * 0.98 / widest)
        labels = [
            BarLabel(b.x, b.y, b.text, ink.width_pt(b.text, size, True), size * 1.2) for b in labels
        ]
    axes_h_pt = pos.height * FIG_H_PT
    plan = plan_bar_labels(
        labels, upright=False, unit_pt=group_pt, axes_h_pt=axes_h_pt, hi=hi, size=size
    )
    if len(plan.shown) < len(labels):  # flat ones would overlap: turn them upright
        size = max(9.0, min(BAR_LABEL_PT, slot_pt * 0.85))  # text height fits the slot
        labels = [
            BarLabel(b.x, b.y, b.text, ink.width_pt(b.text, size, True), size * 1.05)
            for b in labels
        ]
        plan = plan_bar_labels(
            labels, upright=True, unit_pt=group_pt, axes_h_pt=axes_h_pt, hi=hi, size=size
        )
    ax.set_ylim(lo, plan.top)
    y_ticks(ax, ink, yticks)
    for b in plan.shown:
        ink.text(
            b.x,
            b.y + plan.top * 0.012,
            b.text,
            ax=ax,
            transform=ax.transData,
            size=plan.size,
            colour=theme.text,
            bold=True,
            ha="left" if plan.upright else "center",
            va="center" if plan.upright else "bottom",
            rotation=90 if plan.upright else 0,
            rotation_mode="anchor",
        )
    ax.set_xlim(-0.5 - pad, n_cat - 0.5 + pad)
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    _panels(ax, ink, spec, trans)
    name_pt = ink.fit(
        max(spec.categories, key=len), TICK_PT, group_pt * 0.95, bold=False, minimum=9
    )
    note_pt = (
        ink.fit(max(spec.category_notes, key=len), NOTE_PT, group_pt * 0.95, bold=False, minimum=8)
        if spec.category_notes
        else NOTE_PT
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
                size=note_pt,
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


def _panels(ax: Any, ink: Ink, spec: ChartSpec, trans: Any) -> None:
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


def draw_hbars(ax: Any, ink: Ink, spec: ChartSpec) -> None:
    theme = ink.theme
    n_cat, n_ser = len(spec.categories), len(spec.series)
    height = 0.82 / n_ser
    values = [_bar_values(s) for s in spec.series]
    top = max((v for vs in values for v in vs.values()), default=1.0)
    x_max = 112.0 if is_share(spec.y_unit) else max(top * 1.16, 1.0)
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
        thin = {int(x) for x in s.thin}
        _draw_bars(ax.barh, offset, vs, thin, colour, theme.background, height=height * 0.9)
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
