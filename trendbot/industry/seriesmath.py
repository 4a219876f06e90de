"""Series math for `!trend` with pandas: monthly resampling, rolling means, yearly summaries,
year-over-year change and crossover dates.

pandas is imported by this module only, and this module only by the commands that draw a
history, so `trendbot ask "!ratio …"` or `!industry` never pay its import (~0.3 s).
Inputs and outputs are plain tuples and frozen dataclasses: no DataFrame leaves this module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

ROLLING_MONTHS = 3  # flows are noisy month to month (and job-ad counts are single digits)


@dataclass(frozen=True)
class YearRow:
    year: int
    values: dict[str, float | None]  # framework → the year's summary
    partial: bool  # the year is not over in the data (its last month is before December)


@dataclass(frozen=True)
class Crossover:
    """``leader`` went past ``other`` in ``month`` (and has stayed ahead since)."""

    leader: str
    other: str
    month: str  # ISO date of the month's first day
    crossings: int  # how many times the two swapped places in the range


@dataclass(frozen=True)
class Summary:
    first: tuple[str, float]  # (date, value) of the first figure in the range
    last: tuple[str, float]
    year_ago: tuple[str, float] | None  # the monthly mean 12 months before the last month
    peak: tuple[str, float]  # the best month (highest; lowest for ranks)


def frame(rows: Iterable[tuple[str, str, float]]) -> pd.DataFrame:
    """(framework, ISO date, value) rows → a date-indexed frame, one column per framework."""
    data = pd.DataFrame(list(rows), columns=["framework", "date", "value"])
    if data.empty:
        return pd.DataFrame()
    data["date"] = pd.to_datetime(data["date"].str.slice(0, 10))
    return data.pivot_table(index="date", columns="framework", values="value", aggfunc="mean")


def monthly(wide: pd.DataFrame, *, rolling: int = 1) -> pd.DataFrame:
    """Month-start means per framework; with ``rolling`` > 1, a trailing rolling mean over that
    many months (a month needs all of them)."""
    if wide.empty:
        return wide
    out = wide.resample("MS").mean()
    if rolling > 1:
        out = out.rolling(rolling, min_periods=rolling).mean()
    return out


def yearly(wide: pd.DataFrame, how: str) -> list[YearRow]:
    """Per calendar year: ``mean`` of the year's figures (30-day flows), their ``sum`` (monthly
    flows: ads in the year), or its ``last`` value (levels and ranks)."""
    if wide.empty:
        return []
    grouped = wide.groupby(wide.index.year)
    if how == "sum":
        table = grouped.sum(min_count=1)
    else:
        table = grouped.mean() if how == "mean" else grouped.last()
    last_month = wide.index.max().month
    last_year = int(wide.index.max().year)
    out = []
    for year, row in table.iterrows():
        values = {fw: (None if pd.isna(v) else float(v)) for fw, v in row.items()}
        out.append(YearRow(int(year), values, int(year) == last_year and last_month < 12))
    return out


def summaries(wide: pd.DataFrame, *, lower_is_better: bool = False) -> dict[str, Summary]:
    out: dict[str, Summary] = {}
    months = monthly(wide)
    for fw in wide.columns:
        s = wide[fw].dropna()
        if s.empty:
            continue
        m = months[fw].dropna()
        last_month = m.index[-1]
        ago = m.get(last_month - pd.DateOffset(months=12))
        peak_at = m.idxmin() if lower_is_better else m.idxmax()
        out[fw] = Summary(
            first=(_iso(s.index[0]), float(s.iloc[0])),
            last=(_iso(s.index[-1]), float(s.iloc[-1])),
            year_ago=None
            if ago is None or pd.isna(ago)
            else (_iso(last_month - pd.DateOffset(months=12)), float(ago)),
            peak=(_iso(peak_at), float(m[peak_at])),
        )
    return out


def crossovers(
    months: pd.DataFrame, pairs: Iterable[tuple[str, str]], *, lower_is_better: bool = False
) -> list[Crossover]:
    """For each pair, the month the one ahead at the end last went past the other (on months
    where both have a value); pairs that never swapped places are left out."""
    out = []
    for a, b in pairs:
        if a not in months or b not in months:
            continue
        both = months[[a, b]].dropna()
        if len(both) < 2:
            continue
        diff = both[a] - both[b]
        if lower_is_better:
            diff = -diff
        sign = diff.apply(lambda d: 1 if d > 0 else -1 if d < 0 else 0)
        sign = sign[sign != 0]
        if sign.empty:
            continue
        changes = sign.ne(sign.shift()).iloc[1:]
        n = int(changes.sum())
        if n == 0:
            continue
        leader, other = (a, b) if sign.iloc[-1] > 0 else (b, a)
        month = changes[changes].index[-1]
        out.append(Crossover(leader, other, _iso(month), n))
    out.sort(key=lambda c: c.month, reverse=True)
    return out


def _iso(ts: pd.Timestamp) -> str:
    return dt.date(ts.year, ts.month, ts.day).isoformat()
