"""Chart specs from paper counts: a venue's shares, several venues, one year, raw counts, a field.

Pure functions of ``VenueYear`` rows (no store, no matplotlib), so the chart command can build a
spec, show the same numbers as text, and hand the spec to a worker process. "Share" is always a
framework's papers over the papers that name exactly one counted framework, the 2019 study's
headline figure; with only PyTorch and TensorFlow counted it equals ``VenueYear.pytorch_share``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace

from trendbot.charts.spec import MAX_KEY, ChartSpec, Series, clip_label, has_gap, line_chart
from trendbot.charts.style import framework_name
from trendbot.storage import VenueYear

FRAMEWORK_ORDER = ("pytorch", "tensorflow", "jax", "keras", "mxnet", "paddlepaddle")
SHARE_SUBTITLE = "Share of papers that name one framework and not the other, by year"
# A share that rests on fewer papers than this is marked: out of 30 papers a share's 95 %
# interval is still about ±18 points (1.96 · √(0.25/30)), so a 2017 point of 2 papers is a hint,
# not a trend. Shares only: a count is exactly what it says.
THIN_PAPERS = 30
CAVEAT_NOTE = "○ counts over all submissions or a partial list, not accepted papers"
BAR_CAVEAT_NOTE = "* counts over all submissions or a partial list, not accepted papers"
THIN_NOTE = f"× a share of fewer than {THIN_PAPERS} papers (a hint, not a trend)"
BAR_THIN_NOTE = f"striped bars: a share of fewer than {THIN_PAPERS} papers (a hint, not a trend)"
GAP_NOTE = "a break in a line: a year with no counts"


def cadence(years: Collection[int]) -> int:
    """Years between a venue's editions: 2 when every year known for it has the same parity
    (ICCV in odd years, ECCV in even ones), else 1. Only missing editions are gaps."""
    parities = {y % 2 for y in years}
    return 2 if len(years) >= 2 and len(parities) == 1 else 1


def with_gaps(
    points: Sequence[tuple[float, float | None]], step: int = 1
) -> tuple[tuple[float, float | None], ...]:
    """``points`` with a ``None`` wherever an edition is missing between two of them, so the
    line breaks there instead of running straight across years nobody counted."""
    out: list[tuple[float, float | None]] = []
    for x, y in sorted(points, key=lambda p: p[0]):
        if out and x - out[-1][0] > step:
            out.append((out[-1][0] + step, None))
        out.append((x, y))
    return tuple(out)


def marker_key(series: Sequence[Series], *, bars: bool = False) -> str:
    """The key line: what the open circles (or stars), the crosses (or stripes) and the breaks
    on this chart mean; only the ones the chart actually shows."""
    notes = []
    if any(s.hollow for s in series):
        notes.append(BAR_CAVEAT_NOTE if bars else CAVEAT_NOTE)
    if any(s.thin for s in series):
        notes.append(BAR_THIN_NOTE if bars else THIN_NOTE)
    if not bars and has_gap(series):
        notes.append(GAP_NOTE)
    text = " · ".join(notes)
    return clip_label(text[:1].upper() + text[1:], MAX_KEY)


def _keyed(spec: ChartSpec) -> ChartSpec:
    """The spec with its key written from the markers it ended up with (after ``line_chart``
    may have turned a one-year line into bars)."""
    return replace(spec, key=marker_key(spec.series, bars=spec.kind == "bars"))


def frameworks_in(rows: Iterable[VenueYear]) -> list[str]:
    """Frameworks counted in any row, PyTorch and TensorFlow first."""
    return _ordered({fw for r in rows for fw in r.counts})


def _ordered(seen: set[str]) -> list[str]:
    return [fw for fw in FRAMEWORK_ORDER if fw in seen] + sorted(seen - set(FRAMEWORK_ORDER))


def _share_lines(
    points: Sequence[tuple[int, dict[str, int], bool]], step: int = 1
) -> tuple[list[Series], tuple[float, ...]]:
    """One line per framework: its share of the papers naming one, per (year, counts, caveat).

    Years with a caveat (submissions, partial lists) are drawn as open circles, years whose
    share rests on fewer than ``THIN_PAPERS`` papers with a cross, and missing years break it.
    """
    fws = _ordered({fw for _, counts, _ in points for fw in counts})
    hollow = tuple(float(year) for year, _, caveat in points if caveat)
    thin = tuple(
        float(year)
        for year, counts, _ in points
        if 0 < sum(counts.get(fw, 0) for fw in fws) < THIN_PAPERS
    )
    series = [
        Series(
            framework_name(fw),
            fw,
            with_gaps(
                [(float(year), _pct(share(counts, fw, fws))) for year, counts, _ in points], step
            ),
            dashed=fw == "tensorflow",
            hollow=hollow,
            thin=thin,
        )
        for fw in fws
    ]
    return series, hollow


def share(counts: dict[str, int], framework: str, frameworks: Sequence[str]) -> float | None:
    total = sum(counts.get(fw, 0) for fw in frameworks)
    return counts.get(framework, 0) / total if total else None


@dataclass(frozen=True)
class YearTotal:
    """One year of a field: counts summed over the venues that have that year."""

    year: int
    counts: dict[str, int]
    venues: tuple[str, ...]  # venue ids included
    caveat: bool  # some included venue counted submissions or a partial list


def aggregate(rows: Iterable[VenueYear]) -> list[YearTotal]:
    by_year: dict[int, list[VenueYear]] = {}
    for r in rows:
        by_year.setdefault(r.year, []).append(r)
    out = []
    for year in sorted(by_year):
        group = by_year[year]
        counts: dict[str, int] = {}
        for r in group:
            for fw, n in r.counts.items():
                counts[fw] = counts.get(fw, 0) + n
        out.append(
            YearTotal(
                year,
                counts,
                tuple(r.venue_id for r in group),
                any(r.population not in WHOLE_POPULATIONS for r in group),
            )
        )
    return out


def venue_share_spec(
    name: str, rows: Sequence[VenueYear], *, footer: str, theme: str, step: int = 1
) -> ChartSpec:
    """Each framework's share at one venue per year (bars when the venue has one year)."""
    series, _ = _share_lines([(r.year, r.counts, r.population != "accepted") for r in rows], step)
    return _keyed(
        line_chart(
            clip_label(f"{name}: PyTorch vs TensorFlow", 90),
            series,
            subtitle=SHARE_SUBTITLE,
            footnote=clip_label(footer, 300),
            y_unit="percent",
            y_label="share of papers",
            reference_y=50.0,
            theme=theme,
        )
    )


def venues_share_spec(
    named: Sequence[tuple[str, Sequence[VenueYear]]],
    *,
    footer: str,
    theme: str,
    steps: Sequence[int] = (),
) -> ChartSpec:
    """PyTorch's share at several venues, one line per venue (venue colours, not frameworks);
    ``steps`` gives each venue's cadence (``cadence``), annual when left out."""
    series = []
    for slot, (name, rows) in enumerate(named):
        fws = frameworks_in(rows) or ["pytorch", "tensorflow"]
        hollow = tuple(float(r.year) for r in rows if r.population != "accepted")
        denominators = [(r.year, sum(r.counts.get(fw, 0) for fw in fws)) for r in rows]
        series.append(
            Series(
                clip_label(name, 16),
                f"palette:{slot}",
                with_gaps(
                    [(float(r.year), _pct(share(r.counts, "pytorch", fws))) for r in rows],
                    steps[slot] if slot < len(steps) else 1,
                ),
                hollow=hollow,
                thin=tuple(float(y) for y, n in denominators if 0 < n < THIN_PAPERS),
            )
        )
    names = ", ".join(n for n, _ in named)
    return _keyed(
        line_chart(
            clip_label(f"PyTorch's share: {names}", 90),
            series,
            subtitle="PyTorch papers / papers naming one framework, by year; 50% = parity",
            footnote=clip_label(footer, 300),
            y_unit="percent",
            y_label="PyTorch's share",
            reference_y=50.0,
            theme=theme,
        )
    )


def counts_spec(
    title: str,
    totals: Sequence[tuple[int, dict[str, int], bool]],
    *,
    footer: str,
    theme: str,
    step: int = 1,
) -> ChartSpec:
    """Raw paper counts per framework per year; ``totals`` is (year, counts, caveat). Counts
    are never thin (a count is exactly what it says); missing years still break the lines."""
    fws = [fw for fw in FRAMEWORK_ORDER if any(fw in c for _, c, _ in totals)]
    hollow = tuple(float(y) for y, _, caveat in totals if caveat)
    series = [
        Series(
            framework_name(fw),
            fw,
            with_gaps([(float(y), float(c.get(fw, 0))) for y, c, _ in totals], step),
            dashed=fw == "tensorflow",
            hollow=hollow,
        )
        for fw in fws
    ]
    return _keyed(
        line_chart(
            clip_label(title, 90),
            series,
            subtitle="Papers that name one framework and not the other, by year",
            footnote=clip_label(footer, 300),
            y_unit="count",
            y_label="papers",
            theme=theme,
        )
    )


def field_share_spec(
    title: str, totals: Sequence[YearTotal], *, subtitle: str, footer: str, theme: str
) -> ChartSpec:
    series, _ = _share_lines([(t.year, t.counts, t.caveat) for t in totals])
    return _keyed(
        line_chart(
            clip_label(title, 90),
            series,
            subtitle=clip_label(subtitle, 120),
            footnote=clip_label(footer, 300),
            y_unit="percent",
            y_label="share of papers",
            reference_y=50.0,
            theme=theme,
        )
    )


def year_spec(
    year: int, named: Sequence[tuple[str, VenueYear]], *, footer: str, theme: str
) -> ChartSpec:
    """Grouped bars of counts per venue in one year, sorted by PyTorch's share (highest first).

    Horizontal when there are more than four venues: names stay on one line at 16 pt instead
    of colliding under narrow groups.
    """
    ordered = sorted(
        named,
        key=lambda nr: (-(_pct(nr[1].pytorch_share) or -1.0), nr[0]),
    )
    fws = frameworks_in(r for _, r in ordered)
    series = [
        Series(
            framework_name(fw),
            fw,
            tuple((float(i), float(r.counts.get(fw, 0))) for i, (_, r) in enumerate(ordered)),
            hollow=tuple(
                float(i) for i, (_, r) in enumerate(ordered) if r.population != "accepted"
            ),
        )
        for fw in fws
    ]
    horizontal = len(ordered) > 4
    notes = tuple(
        "—" if r.pytorch_share is None else f"{r.pytorch_share * 100:.0f}%" for _, r in ordered
    )
    if not horizontal:  # no column heading under vertical bars: say what the note is
        notes = tuple(f"PyTorch {n}" for n in notes)
    return _keyed(
        ChartSpec(
            kind="bars",
            title=f"{year}: papers naming PyTorch or TensorFlow",
            subtitle="Papers that name one framework and not the other",
            series=tuple(series),
            categories=tuple(clip_label(n, 16) for n, _ in ordered),
            category_notes=notes,
            notes_title="PyTorch share",
            horizontal=horizontal,
            x_kind="category",
            y_unit="count",
            y_label="papers",
            footnote=clip_label(footer, 300),
            theme=theme,
        )
    )


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)


# -- every framework (methods that count each framework a paper names) ----------------------------
# Populations drawn solid: a venue-year's accepted papers, and the ``code`` method's own one (the
# papers linking their own code, whose repository was read: the method's whole population, not a
# partial list). Submissions and partial lists are drawn hollow.
WHOLE_POPULATIONS = frozenset({"accepted", "own code"})
CODE_SUBTITLE = "Share of the papers' own repositories using each framework (one each), by year"
CODE_Y_LABEL = "share of repositories read"

MENTION_SUBTITLE = "Share of all papers naming each framework (a paper can name several), by year"


def _of_papers(counts: dict[str, int], total: int, figure: str) -> float | None:
    return round(100 * counts.get(figure, 0) / total, 2) if total else None


def mention_lines(
    points: Sequence[tuple[int, dict[str, int], int, bool]],
    figures: Sequence[str],
    step: int = 1,
) -> list[Series]:
    """One line per framework: its share of all papers per (year, counts, total, caveat)."""
    hollow = tuple(float(year) for year, _, _, caveat in points if caveat)
    thin = tuple(float(year) for year, _, total, _ in points if 0 < total < THIN_PAPERS)
    return [
        Series(
            framework_name(fw),
            fw,
            with_gaps(
                [(float(year), _of_papers(c, total, fw)) for year, c, total, _ in points], step
            ),
            dashed=fw == "tensorflow",
            hollow=hollow,
            thin=thin,
        )
        for fw in figures
    ]


def venue_mentions_spec(
    title: str,
    points: Sequence[tuple[int, dict[str, int], int, bool]],
    figures: Sequence[str],
    *,
    footer: str,
    theme: str,
    step: int = 1,
    subtitle: str = MENTION_SUBTITLE,
    y_label: str = "share of all papers",
) -> ChartSpec:
    """Each framework's share of a venue's (or a field's) papers per year, on the same 0–100 %
    axis as every share (a paper can name several, so the lines need not add up to 100 %).
    The ``code`` method passes its own subtitle and axis: shares of repositories read."""
    series = mention_lines(points, figures, step)
    return _keyed(
        line_chart(
            clip_label(title, 90),
            series,
            subtitle=clip_label(subtitle, 120),
            footnote=clip_label(footer, 300),
            y_unit="percent_fine",
            y_label=y_label,
            theme=theme,
        )
    )


def year_mentions_spec(
    year: int, named: Sequence[tuple[str, VenueYear]], figures: Sequence[str], *, footer: str,
    theme: str, title: str = "", subtitle: str = "A paper can name several",
    y_label: str = "share of all papers",
) -> ChartSpec:  # fmt: skip
    """Grouped bars: each framework's share of each venue's papers in one year, sorted by
    PyTorch's share."""
    ordered = sorted(
        named,
        key=lambda nr: (-(_of_papers(nr[1].counts, nr[1].total_papers, "pytorch") or 0), nr[0]),
    )
    series = [
        Series(
            framework_name(fw),
            fw,
            tuple(
                (float(i), _of_papers(r.counts, r.total_papers, fw))
                for i, (_, r) in enumerate(ordered)
            ),
            hollow=tuple(
                float(i)
                for i, (_, r) in enumerate(ordered)
                if r.population not in WHOLE_POPULATIONS
            ),
            thin=tuple(
                float(i) for i, (_, r) in enumerate(ordered) if 0 < r.total_papers < THIN_PAPERS
            ),
        )
        for fw in figures
    ]
    return _keyed(
        ChartSpec(
            kind="bars",
            title=clip_label(title or f"{year}: share of papers naming each framework", 90),
            subtitle=clip_label(subtitle, 120),
            series=tuple(series),
            categories=tuple(clip_label(n, 16) for n, _ in ordered),
            horizontal=len(ordered) > 4,
            x_kind="category",
            y_unit="percent_fine",
            y_label=y_label,
            footnote=clip_label(footer, 300),
            theme=theme,
        )
    )
