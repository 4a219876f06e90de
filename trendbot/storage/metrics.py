"""Read queries on the ``metrics`` table (industry time series): latest values, the value about a
year before, series for charts, and coverage.

Every answer carries its source, method and collection time, so a reply can cite each number.
Two sources may give the same metric for the same framework (GitHub stars from a daily ranking and
from a star history); they are never blended: a latest value comes from one source, and a change
over a year compares two rows of that same source, since sources differ in level (stars counted
from stargazer dates run below the count GitHub reports).

Every query is served by the table's own primary key ``(source_id, metric, framework, date)``,
so no further index is needed: the few source ids are found by a skip scan (``min(source_id)``
above the last one, one index seek each), and each (source, metric, framework) is then a range of
that key. The latest value of a framework is one seek, not a scan of its history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trendbot.storage.store import Store

_COLS = "metric, framework, date, value, unit, source_id, method, collected_at"
DEFAULT_TOLERANCE_DAYS = 45


@dataclass(frozen=True)
class MetricValue:
    """One stored figure with its provenance."""

    metric: str
    framework: str
    date: str
    value: float
    unit: str
    source_id: str
    method: str
    collected_at: str


@dataclass(frozen=True)
class YearChange:
    """A framework's latest value and the same source's value about a year earlier."""

    latest: MetricValue
    before: MetricValue | None

    @property
    def change(self) -> float | None:
        return None if self.before is None else self.latest.value - self.before.value

    @property
    def ratio(self) -> float | None:
        """latest / before (1.25 = up 25 %); None without a comparable non-zero earlier value."""
        if self.before is None or self.before.value == 0:
            return None
        return self.latest.value / self.before.value

    @property
    def days(self) -> int | None:
        """Days between the two figures (about 365; months and snapshots do not align exactly)."""
        if self.before is None:
            return None
        return (_day(self.latest.date) - _day(self.before.date)).days


@dataclass(frozen=True)
class SourceSpan:
    source_id: str
    first_date: str
    last_date: str
    rows: int
    frameworks: tuple[str, ...]
    last_collected_at: str


@dataclass(frozen=True)
class MetricCoverage:
    """What the store holds for one metric: date range, frameworks, and each source's share."""

    metric: str
    first_date: str
    last_date: str
    rows: int
    frameworks: tuple[str, ...]
    sources: tuple[SourceSpan, ...]

    @property
    def last_collected_at(self) -> str:
        return max(s.last_collected_at for s in self.sources)


def _day(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso[:10])


def _check_date(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return _day(value).isoformat()
    except ValueError:
        raise ValueError(f"{name} must be a date like 2024-05-01, not {value!r}") from None


def _value(row: tuple) -> MetricValue:
    metric, framework, date, value, unit, source_id, method, collected_at = row
    return MetricValue(metric, framework, date, value, unit, source_id, method, collected_at)


def _in(column: str, values: Sequence[str]) -> tuple[str, list[str]]:
    if not values:
        return "", []
    return f" AND {column} IN ({', '.join('?' for _ in values)})", list(values)


def _preference(metric: str, prefer: Sequence[str] | None) -> tuple[str, ...]:
    if prefer is not None:
        return tuple(prefer)
    from trendbot.storage.catalog import load_catalog

    definition = load_catalog().get(metric)
    return definition.sources if definition else ()


def source_ids(store: Store) -> list[str]:
    """The sources that have metric rows (a skip scan: one index seek per source)."""
    out: list[str] = []
    while True:
        after = out[-1] if out else ""
        row = store.rows("SELECT min(source_id) FROM metrics WHERE source_id > ?", (after,))
        if row[0][0] is None:
            return out
        out.append(row[0][0])


def _frameworks_of(store: Store, source_id: str, metric: str) -> list[str]:
    out: list[str] = []
    while True:
        row = store.rows(
            "SELECT min(framework) FROM metrics WHERE source_id = ? AND metric = ?"
            " AND framework > ?",
            (source_id, metric, out[-1] if out else ""),
        )
        if row[0][0] is None:
            return out
        out.append(row[0][0])


def latest_values(
    store: Store,
    metric: str,
    frameworks: Sequence[str] = (),
    *,
    prefer: Sequence[str] | None = None,
) -> list[MetricValue]:
    """Each framework's most recent value of ``metric``, one per framework, by framework id.

    When two sources have a value on the latest date, ``prefer`` (by default the catalogue's
    source order for the metric) decides, then the later collection, then the source id.
    Pseudo-series (``_all``) are returned like frameworks; pass ``frameworks`` to choose.
    """
    rank = {s: i for i, s in enumerate(_preference(metric, prefer))}
    best: dict[str, MetricValue] = {}
    for source in source_ids(store):
        for framework in frameworks or _frameworks_of(store, source, metric):
            rows = store.rows(
                f"SELECT {_COLS} FROM metrics WHERE source_id = ? AND metric = ?"
                " AND framework = ? ORDER BY date DESC LIMIT 1",
                (source, metric, framework),
            )
            if rows:
                v = _value(rows[0])
                cur = best.get(framework)
                if cur is None or newer(v, cur, rank):
                    best[framework] = v
    return [best[f] for f in sorted(best)]


def newer(a: MetricValue, b: MetricValue, rank: dict[str, int]) -> bool:
    """Whether ``a`` beats ``b`` as the newest figure: the later date; on a tie the source the
    catalogue ranks first, then the later collection."""
    if a.date != b.date:
        return a.date > b.date
    ra, rb = rank.get(a.source_id, len(rank)), rank.get(b.source_id, len(rank))
    if ra != rb:
        return ra < rb
    if a.collected_at != b.collected_at:
        return a.collected_at > b.collected_at
    return a.source_id < b.source_id


def value_near(
    store: Store,
    metric: str,
    framework: str,
    source_id: str,
    date: str,
    *,
    tolerance_days: int = DEFAULT_TOLERANCE_DAYS,
) -> MetricValue | None:
    """The source's value of ``metric`` closest to ``date`` (within the tolerance; the earlier
    one on a tie), or None. Served by the table's primary key."""
    day = _day(_check_date(date, "date") or date)
    lo = (day - dt.timedelta(days=tolerance_days)).isoformat()
    hi = (day + dt.timedelta(days=tolerance_days)).isoformat()
    rows = store.rows(
        f"SELECT {_COLS} FROM metrics"
        " WHERE source_id = ? AND metric = ? AND framework = ? AND date BETWEEN ? AND ?"
        " ORDER BY abs(julianday(date) - julianday(?)), date LIMIT 1",
        (source_id, metric, framework, lo, hi, day.isoformat()),
    )
    return _value(rows[0]) if rows else None


def year_before(iso: str) -> str:
    """The same calendar day a year earlier (29 February → 28 February)."""
    day = _day(iso)
    try:
        return day.replace(year=day.year - 1).isoformat()
    except ValueError:
        return day.replace(year=day.year - 1, day=28).isoformat()


def year_changes(
    store: Store,
    metric: str,
    frameworks: Sequence[str] = (),
    *,
    prefer: Sequence[str] | None = None,
    tolerance_days: int = DEFAULT_TOLERANCE_DAYS,
) -> list[YearChange]:
    """Latest value per framework, with the same source's value nearest to one year earlier."""
    out = []
    for latest in latest_values(store, metric, frameworks, prefer=prefer):
        before = value_near(
            store,
            metric,
            latest.framework,
            latest.source_id,
            year_before(latest.date),
            tolerance_days=tolerance_days,
        )
        out.append(YearChange(latest, before))
    return out


def series(
    store: Store,
    metric: str,
    frameworks: Sequence[str] = (),
    *,
    since: str | None = None,
    until: str | None = None,
    sources: Sequence[str] = (),
) -> list[MetricValue]:
    """All values of ``metric`` for the frameworks (all when empty) from ``since`` to ``until``
    (inclusive ISO dates), ordered by framework, date, source. Rows of every source are
    returned; group by ``source_id`` to draw one line per source."""
    since, until = _check_date(since, "since"), _check_date(until, "until")
    fw_where, fw_params = _in("framework", frameworks)
    # One primary-key range per source: (source_id, metric[, framework], date).
    sql = f"SELECT {_COLS} FROM metrics WHERE source_id = ? AND metric = ?{fw_where}"
    bounds: list[str] = []
    if since:
        sql += " AND date >= ?"
        bounds.append(since)
    if until:
        sql += " AND date <= ?"
        bounds.append(until)
    out: list[MetricValue] = []
    for source in sources or source_ids(store):
        out += [_value(r) for r in store.rows(sql, [source, metric, *fw_params, *bounds])]
    out.sort(key=lambda v: (v.framework, v.date, v.source_id))
    return out


def coverage(store: Store, metric: str | None = None) -> list[MetricCoverage]:
    """Per metric (or just ``metric``): date range, row count, frameworks, and per source the
    same plus when it was last collected; ordered by metric name."""
    where, params = ("WHERE metric = ?", [metric]) if metric else ("", [])
    # GROUP BY in primary-key order (source_id, metric) needs no sorting pass.
    rows = store.rows(
        "SELECT metric, source_id, min(date), max(date), count(*),"
        " group_concat(DISTINCT framework), max(collected_at)"
        f" FROM metrics {where} GROUP BY source_id, metric",
        params,
    )
    spans: dict[str, list[SourceSpan]] = {}
    for name, source, first, last, n, fws, collected in sorted(rows):
        span = SourceSpan(source, first, last, n, tuple(sorted(fws.split(","))), collected)
        spans.setdefault(name, []).append(span)
    return [
        MetricCoverage(
            metric=name,
            first_date=min(s.first_date for s in ss),
            last_date=max(s.last_date for s in ss),
            rows=sum(s.rows for s in ss),
            frameworks=tuple(sorted({f for s in ss for f in s.frameworks})),
            sources=tuple(ss),
        )
        for name, ss in spans.items()
    ]


# -- the queries behind the industry answers (trendbot.storage.figures) -----------------------
# Every series (source, metric, framework) the store holds and its newest row on or before a
# date, in one statement: a recursive skip scan over the primary key steps from one series to
# the next with three index seeks at most (next framework of the metric, next metric of the
# source, next source), and one backward seek per series finds its newest date. A statement per
# seek cost ~20 µs of Python each (~100 series: 5-7 ms); this is ~0.4 ms for all of them.
# (A row-value comparison ``(source_id, metric, framework) > (...)`` would be shorter, but
# SQLite 3.40 seeks on its first column only and scans the rest.)
_NEWEST_SQL = f"""
WITH RECURSIVE series(r) AS (
  SELECT (SELECT rowid FROM metrics ORDER BY source_id, metric, framework LIMIT 1)
  UNION ALL
  SELECT coalesce(
    (SELECT n.rowid FROM metrics n WHERE n.source_id = m.source_id AND n.metric = m.metric
       AND n.framework > m.framework ORDER BY n.framework LIMIT 1),
    (SELECT n.rowid FROM metrics n WHERE n.source_id = m.source_id AND n.metric > m.metric
       ORDER BY n.metric, n.framework LIMIT 1),
    (SELECT n.rowid FROM metrics n WHERE n.source_id > m.source_id
       ORDER BY n.source_id, n.metric, n.framework LIMIT 1))
  FROM series JOIN metrics m ON m.rowid = series.r
),
newest(r) AS (
  SELECT (SELECT x.rowid FROM metrics x WHERE x.source_id = m.source_id
            AND x.metric = m.metric AND x.framework = m.framework AND x.date <= ?
          ORDER BY x.date DESC LIMIT 1)
  FROM series JOIN metrics m ON m.rowid = series.r
)
SELECT {_COLS} FROM newest JOIN metrics ON metrics.rowid = newest.r
ORDER BY source_id, metric, framework
"""


def newest_per_series(store: Store, until: str | None = None) -> list[MetricValue]:
    """The newest value of every series the store holds (one per source, metric and
    framework), on or before ``until`` (ISO date; a series with nothing that early is left
    out); ordered by source, metric, framework. One statement (``_NEWEST_SQL``)."""
    bound = _check_date(until, "until") or "9999-12-31"
    return [_value(r) for r in store.rows(_NEWEST_SQL, (bound,))]


def layout_of(newest: Sequence[MetricValue]) -> dict[str, dict[str, tuple[str, ...]]]:
    """metric → source → frameworks of ``newest_per_series``' values, in its order."""
    by_metric: dict[str, dict[str, list[str]]] = {}
    for v in sorted(newest, key=lambda v: (v.source_id, v.metric, v.framework)):
        by_metric.setdefault(v.metric, {}).setdefault(v.source_id, []).append(v.framework)
    return {m: {s: tuple(f) for s, f in by_src.items()} for m, by_src in by_metric.items()}


# Rows per statement for values_near: 7 parameters a row stays far below SQLite's oldest
# parameter limit (999).
_NEAR_CHUNK = 100


def values_near(
    store: Store,
    wanted: Sequence[tuple[str, str, str, str]],
    *,
    tolerance_days: int = DEFAULT_TOLERANCE_DAYS,
) -> list[MetricValue | None]:
    """``value_near`` for many (source, metric, framework, date) at once, in that order, by the
    same rule (nearest within the tolerance, the earlier on a tie): one statement per hundred,
    which finds for each the last row on or before the date and the first after it (two
    primary-key seeks) and lets Python pick the nearer."""
    out: list[MetricValue | None] = []
    cols = ", ".join("metrics." + c.strip() for c in _COLS.split(","))
    for start in range(0, len(wanted), _NEAR_CHUNK):
        chunk = wanted[start : start + _NEAR_CHUNK]
        params: list[object] = []
        days: list[dt.date] = []
        for i, (source, metric, framework, date) in enumerate(chunk):
            day = _day(_check_date(date, "date") or date)
            lo = (day - dt.timedelta(days=tolerance_days)).isoformat()
            hi = (day + dt.timedelta(days=tolerance_days)).isoformat()
            params += [i, source, metric, framework, lo, day.isoformat(), hi]
            days.append(day)
        rows = ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in chunk)
        sql = (
            f"WITH wanted(i, s, m, f, lo, d, hi) AS (VALUES {rows}),"
            " found(i, r) AS ("
            " SELECT i, (SELECT x.rowid FROM metrics x WHERE x.source_id = s AND x.metric = m"
            " AND x.framework = f AND x.date BETWEEN lo AND d ORDER BY x.date DESC LIMIT 1)"
            " FROM wanted UNION ALL"
            " SELECT i, (SELECT x.rowid FROM metrics x WHERE x.source_id = s AND x.metric = m"
            " AND x.framework = f AND x.date > d AND x.date <= hi ORDER BY x.date LIMIT 1)"
            " FROM wanted)"
            f" SELECT found.i, {cols} FROM found JOIN metrics ON metrics.rowid = found.r"
        )
        best: dict[int, tuple[int, str, MetricValue]] = {}
        for row in store.rows(sql, params):
            v = _value(row[1:])
            key = (abs((_day(v.date) - days[row[0]]).days), v.date, v)
            if row[0] not in best or key[:2] < best[row[0]][:2]:
                best[row[0]] = key
        out += [best[i][2] if i in best else None for i in range(len(chunk))]
    return out


def value_on(
    store: Store, metric: str, framework: str, source: str, date: str
) -> MetricValue | None:
    rows = store.rows(
        f"SELECT {_COLS} FROM metrics WHERE source_id = ? AND metric = ? AND framework = ?"
        " AND date = ?",
        (source, metric, framework, date),
    )
    return _value(rows[0]) if rows else None


def year_sum(
    store: Store, source: str, metric: str, framework: str, year: int
) -> tuple[float, int]:
    """(sum of one source's values in a calendar year, how many rows) for monthly flows."""
    total, n = store.rows(
        "SELECT coalesce(sum(value), 0), count(*) FROM metrics WHERE source_id = ?"
        " AND metric = ? AND framework = ? AND date BETWEEN ? AND ?",
        (source, metric, framework, f"{year}-01-01", f"{year}-12-31"),
    )[0]
    return float(total), int(n)


# -- writing (the industry collectors) ------------------------------------------------------------
# Collected rows are written here, never by the collectors themselves: one transaction per
# collector run, so a reader sees a run's numbers change once, completely, and a failed run
# changes nothing.

INDUSTRY_COLLECTION = "industry-collection"  # the ``sources.kind`` of a collector's source


@dataclass(frozen=True)
class MetricRow:
    """One figure a collector found; the unit comes from the metric catalogue."""

    source_id: str
    metric: str
    framework: str
    date: str
    value: float
    method: str


@dataclass(frozen=True)
class SaveOutcome:
    rows: int  # rows offered
    changed: int  # rows inserted or whose value, unit or method changed
    data_version: int  # after the save


# A new row is inserted; a stored row is rewritten only when its number, unit or method changed,
# and keeps its collected_at otherwise: re-collecting an unchanged day writes nothing at all.
_UPSERT = """
    INSERT INTO metrics (source_id, metric, framework, date, value, unit, method, collected_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (source_id, metric, framework, date) DO UPDATE SET
        value = excluded.value, unit = excluded.unit, method = excluded.method,
        collected_at = excluded.collected_at
    WHERE metrics.value IS NOT excluded.value OR metrics.unit IS NOT excluded.unit
       OR metrics.method IS NOT excluded.method
"""


def _units(rows: Sequence[MetricRow]) -> dict[str, str]:
    from trendbot.storage.catalog import load_catalog

    catalog = load_catalog()
    units: dict[str, str] = {}
    for name in {r.metric for r in rows}:
        definition = catalog.get(name)
        if definition is None:
            raise ValueError(f"metric {name!r} is not in the metric catalogue")
        units[name] = definition.unit
    return units


def save_metrics(
    store: Store,
    sources: Sequence[dict[str, str]],
    rows: Sequence[MetricRow],
    *,
    etags: dict[str, str] | None = None,
    collected_at: str | None = None,
) -> SaveOutcome:
    """Store one collector run's rows, its sources' provenance and its ETags in one transaction.

    ``sources`` are ``sources`` rows (id, name, url, citation), one for every source a row
    names; their kind is set to ``industry-collection`` and their collected_at to the run's
    date. ``data_version`` moves by exactly one when any value changed (the row triggers would
    move it once per row) and not at all when nothing did.
    """
    from trendbot.storage import outbox
    from trendbot.storage.clock import now_iso
    from trendbot.storage.papers import ensure_source

    stamp = collected_at or now_iso()
    units = _units(rows)
    known = {s["id"] for s in sources}
    stray = sorted({r.source_id for r in rows} - known)
    if stray:
        raise ValueError(f"rows name source {stray[0]!r}, which has no provenance row")
    conn = store.conn
    with store._lock, conn:
        before = _version(conn)
        for source in sources:
            row = {**source, "kind": INDUSTRY_COLLECTION, "collected_at": stamp[:10]}
            ensure_source(conn, row)
        # What the rows change in the answers (each series' newest figure), read before they
        # are written; the update event goes into the outbox in this same transaction.
        news = outbox.metric_changes(
            conn, [(r.source_id, r.metric, r.framework, r.date, r.value) for r in rows]
        )
        params = [_params(r, units[r.metric], stamp) for r in rows]
        cur = conn.executemany(_UPSERT, params)
        changed = max(cur.rowcount, 0) if rows else 0  # rows written; trigger writes not counted
        conn.executemany(
            "INSERT INTO http_etags (url, etag, fetched_at) VALUES (?, ?, ?) ON CONFLICT(url)"
            " DO UPDATE SET etag = excluded.etag, fetched_at = excluded.fetched_at",
            [(url, tag, stamp) for url, tag in (etags or {}).items()],
        )
        version = before
        if _version(conn) != before:
            version = before + 1
            conn.execute("UPDATE meta SET value = ? WHERE key = 'data_version'", (str(version),))
        if news:
            names = [s.get("name") or s["id"] for s in sources]
            outbox.record_metrics(
                conn,
                news,
                source="; ".join(dict.fromkeys(names)),
                rows=len(rows),
                dates=(min(r.date for r in rows), max(r.date for r in rows)),
            )
    store.refresh()
    return SaveOutcome(len(rows), changed, version)


def _params(r: MetricRow, unit: str, stamp: str) -> tuple:
    return (r.source_id, r.metric, r.framework, r.date, float(r.value), unit, r.method, stamp)


def _version(conn) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    return int(row[0]) if row else 0


# -- what a collector has stored already (to plan an incremental run) ------------------------------
def stored_dates(
    store: Store, source_id: str, metric: str, frameworks: Sequence[str]
) -> dict[str, set[str]]:
    """framework → the dates it has rows for, from this source (one key range each)."""
    out: dict[str, set[str]] = {}
    for framework in frameworks:
        rows = store._rows(
            "SELECT date FROM metrics WHERE source_id = ? AND metric = ? AND framework = ?",
            (source_id, metric, framework),
        )
        out[framework] = {r[0] for r in rows}
    return out


def date_span(store: Store, source_id: str, metric: str, framework: str) -> tuple[str, str] | None:
    """(first, last) date of a source's series, or None when it has no rows."""
    row = store._rows(
        "SELECT min(date), max(date) FROM metrics WHERE source_id = ? AND metric = ?"
        " AND framework = ?",
        (source_id, metric, framework),
    )
    return (row[0][0], row[0][1]) if row and row[0][0] is not None else None


def value_at(
    store: Store, source_id: str, metric: str, framework: str, date: str | None = None
) -> MetricValue | None:
    """The source's value on ``date`` exactly, or its latest value when ``date`` is None."""
    if date is None:
        rows = store._rows(
            f"SELECT {_COLS} FROM metrics WHERE source_id = ? AND metric = ? AND framework = ?"
            " ORDER BY date DESC LIMIT 1",
            (source_id, metric, framework),
        )
    else:
        rows = store._rows(
            f"SELECT {_COLS} FROM metrics WHERE source_id = ? AND metric = ? AND framework = ?"
            " AND date = ?",
            (source_id, metric, framework, date),
        )
    return _value(rows[0]) if rows else None


def etags(store: Store, urls: Sequence[str]) -> dict[str, str]:
    """The stored ETag of each URL that has one (validators for conditional requests)."""
    out: dict[str, str] = {}
    for url in urls:
        row = store._rows("SELECT etag FROM http_etags WHERE url = ?", (url,))
        if row:
            out[url] = row[0][0]
    return out
