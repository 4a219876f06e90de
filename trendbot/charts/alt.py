"""One-line alt text for a chart, written from the spec so it always matches the image."""

from __future__ import annotations

from itertools import pairwise

from trendbot.charts.spec import ChartSpec

MAX_ALT = 1000  # Discord allows 1024 characters of attachment description


def _fmt(v: float, unit: str) -> str:
    if unit == "percent":
        return f"{v:.0f}%"
    if unit == "percent_fine":
        return f"{v:.1f}%"
    if unit == "count":
        return f"{round(v):,}"
    return f"{v:,.3g}"


def _x(x: float, spec: ChartSpec) -> str:
    if spec.x_kind == "date":
        from trendbot.charts.spec import _date_label

        return _date_label(x)
    return f"{x:.0f}"


def _gaps(spec: ChartSpec) -> str:
    """' No figures between 2020 and 2024.': what a break in a line shows, said in words."""
    pairs = []
    for s in spec.series:
        runs = s.segments()
        pairs += [(a[-1][0], b[0][0]) for a, b in pairwise(runs)]
    if not pairs:
        return ""
    spans = ", ".join(f"{_x(a, spec)} and {_x(b, spec)}" for a, b in sorted(set(pairs))[:4])
    return f" No figures between {spans}."


def alt_text(spec: ChartSpec) -> str:
    """E.g. 'Line chart, NeurIPS: PyTorch vs TensorFlow, 2016–2020: PyTorch 0% → 77%; …'."""
    if spec.is_empty():
        return f"Empty chart: {spec.title} (no data)."
    if spec.kind == "line":
        xs = spec.xs()
        span = _x(xs[0], spec) + ("" if len(xs) == 1 else f"–{_x(xs[-1], spec)}")
        parts = []
        for s in spec.series:
            pts = s.defined()
            if not pts:
                continue
            (x0, y0), (x1, y1) = pts[0], pts[-1]
            if len(pts) == 1:
                parts.append(f"{s.label} {_fmt(y0, spec.y_unit)} in {_x(x0, spec)}")
            else:
                parts.append(
                    f"{s.label} {_fmt(y0, spec.y_unit)} in {_x(x0, spec)} to "
                    f"{_fmt(y1, spec.y_unit)} in {_x(x1, spec)}"
                )
        text = f"Line chart, {spec.title}, {span}: " + "; ".join(parts) + "." + _gaps(spec)
    else:
        groups = []
        for i, cat in enumerate(spec.categories):
            vals = []
            for s in spec.series:
                v = dict(s.defined()).get(float(i))
                if v is not None:
                    vals.append(f"{s.label} {_fmt(v, spec.y_unit)}")
            if vals:
                groups.append(f"{cat}: " + ", ".join(vals) if cat else ", ".join(vals))
        text = f"Bar chart, {spec.title}: " + "; ".join(groups) + "."
    text = " ".join(text.split())
    return text if len(text) <= MAX_ALT else text[: MAX_ALT - 1] + "…"
