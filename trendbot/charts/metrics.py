"""Chart specs for industry time series (the store's ``metrics`` table), ready for a later
``!chart <metric> [frameworks…]``.

Rows look like the table: (framework, ISO date, value). Daily series are long, so each line is
averaged into at most ``max_points`` equal time buckets before it becomes a spec: the renderer
then never sees more than a few hundred points however much history a collector stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from itertools import pairwise

from trendbot.charts.spec import (
    MAX_SERIES,
    ChartSpec,
    Series,
    YUnit,
    clip_label,
    has_gap,
    line_chart,
)
from trendbot.charts.style import FRAMEWORK_COLOURS, framework_key, framework_name

EPOCH = dt.date(1970, 1, 1)
DEFAULT_MAX_POINTS = 240  # 20 years of monthly values
# A stretch with no values longer than this many times the series' usual spacing breaks the line
# (two missing months in a monthly series, a week's outage in a daily one): a straight line
# across it would draw figures nobody collected.
GAP_FACTOR = 2.5
GAP_KEY = "A break in a line: a stretch with no figures collected"


def to_days(iso: str) -> float:
    """'2024-05-01' (or a longer ISO timestamp) → days since 1970-01-01, matplotlib's date unit."""
    return float((dt.date.fromisoformat(iso[:10]) - EPOCH).days)


def downsample(points: list[tuple[float, float]], max_points: int) -> list[tuple[float, float]]:
    """Average sorted ``(x, y)`` points into at most ``max_points`` equal-width x buckets."""
    if len(points) <= max_points:
        return points
    lo, hi = points[0][0], points[-1][0]
    width = (hi - lo) / max_points or 1.0
    sums: dict[int, list[float]] = {}
    for x, y in points:
        b = min(int((x - lo) / width), max_points - 1)
        acc = sums.setdefault(b, [0.0, 0.0, 0.0])
        acc[0] += x
        acc[1] += y
        acc[2] += 1
    return [(sx / n, sy / n) for _, (sx, sy, n) in sorted(sums.items())]


def with_date_gaps(
    points: list[tuple[float, float]], factor: float = GAP_FACTOR
) -> tuple[tuple[float, float | None], ...]:
    """Sorted ``(day, value)`` points with a ``None`` after each gap wider than ``factor`` times
    the median spacing, so the renderer breaks the line there."""
    if len(points) < 3:
        return tuple(points)
    steps = sorted(b[0] - a[0] for a, b in pairwise(points))
    usual = steps[len(steps) // 2] or 1.0
    out: list[tuple[float, float | None]] = [points[0]]
    for (x0, _), (x1, y1) in pairwise(points):
        if x1 - x0 > factor * usual:
            out.append(((x0 + x1) / 2, None))
        out.append((x1, y1))
    return tuple(out)


def metric_spec(
    title: str,
    rows: Iterable[tuple[str, str, float]],
    *,
    unit: YUnit = "number",
    frameworks: Sequence[str] = (),
    subtitle: str = "",
    y_label: str = "",
    footer: str = "",
    theme: str = "dark",
    max_points: int = DEFAULT_MAX_POINTS,
) -> ChartSpec:
    """One line per framework over dates; largest latest value first (so labels read in order)."""
    wanted = {framework_key(f) for f in frameworks}
    by_fw: dict[str, list[tuple[float, float]]] = {}
    for fw, date, value in rows:
        key = framework_key(fw)
        if wanted and key not in wanted:
            continue
        by_fw.setdefault(key, []).append((to_days(date), float(value)))
    lines = {fw: downsample(sorted(pts), max_points) for fw, pts in by_fw.items() if pts}
    order = sorted(lines, key=lambda fw: -lines[fw][-1][1])[:MAX_SERIES]
    series = [
        Series(
            clip_label(framework_name(fw), 16),
            fw if fw in FRAMEWORK_COLOURS else f"palette:{i}",
            with_date_gaps(lines[fw]),
            dashed=fw == "tensorflow",  # as on paper charts: the line, not only its colour
        )
        for i, fw in enumerate(order)
    ]
    return line_chart(
        clip_label(title, 90),
        series,
        x_kind="date",
        y_unit=unit,
        y_label=clip_label(y_label),
        subtitle=clip_label(subtitle, 120),
        footnote=footer,
        key=GAP_KEY if has_gap(series) else "",
        theme=theme,
    )
