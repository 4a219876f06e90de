"""PyPI downloads, daily, over the whole history: ClickHouse's public PyPI dataset (ClickPy).

One SQL query over ClickHouse's HTTP interface (the query in the POST body, user ``demo`` with
an empty password by default) gives every framework's main package per day::

    SELECT project, date, sum(count) AS downloads FROM pypi.pypi_downloads_per_day
    WHERE project IN (...) [AND date >= ...] GROUP BY project, date ORDER BY project, date
    FORMAT JSON

``pypi_downloads_per_day`` is a SummingMergeTree: rows of one (project, date) may sit in parts not
merged yet, so the query always sums (as ClickPy's own queries do). ``FORMAT JSON`` ends with a
``rows`` count, so a cut-off answer does not parse and is retried; ClickHouse quotes 64-bit
integers in JSON by default, and both forms are read. The first run reads everything; later runs
read from the month before the last stored day, which covers the 30 days every new window needs
and the whole of the last month, and re-reads late corrections.

From the daily counts trendbot computes, the way the catalogue defines them, ``pypi-downloads``
(the 30 days ending on each date) and ``pypi-downloads-month`` (calendar months), and stores the
days themselves as ``pypi-downloads-day``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import defaultdict
from typing import Any

from trendbot.collectors.industry.base import (
    Collected,
    DownloadMethods,
    Job,
    SourceFault,
    SourceInfo,
    download_rows,
    month_start,
)
from trendbot.storage import metrics as db
from trendbot.storage.frameworks import normalise_package

NAME = "clickhouse"
TABLE = "pypi.pypi_downloads_per_day"
SOURCE = SourceInfo(
    "trendbot-clickpy",
    "ClickHouse public PyPI dataset (ClickPy), read by trendbot",
    "CLICKHOUSE_BASE_URL",
    f"ClickPy's public ClickHouse (user demo): sum(count) from {TABLE} per project and UTC day, "
    "which keeps only downloads with a known Python version and operating system; 30-day "
    "windows and calendar months summed by trendbot from the daily counts",
)
SOURCES = (SOURCE,)
METRICS = ("pypi-downloads-day", "pypi-downloads", "pypi-downloads-month")
METHODS = DownloadMethods(
    day=f"ClickPy {TABLE}, sum(count) for the day",
    window=f"ClickPy {TABLE}, sum(count) over the 30 days ending on the date",
    month=f"ClickPy {TABLE}, sum(count) over the calendar month",
)
DEFAULT_USER = "demo"


def quote(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def build_query(projects: list[str], since: dt.date | None) -> str:
    where = f"project IN ({', '.join(quote(p) for p in sorted(projects))})"
    if since is not None:
        where += f" AND date >= toDate({quote(since.isoformat())})"
    return (
        f"SELECT project, date, sum(count) AS downloads FROM {TABLE} WHERE {where}"
        " GROUP BY project, date ORDER BY project, date FORMAT JSON"
    )


def _count(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError(value)


def parse_result(body: bytes) -> list[tuple[str, dt.date, int]]:
    """A ``FORMAT JSON`` answer → [(project, day, downloads)]; raises SourceFault when it is an
    error, incomplete, or has rows that are not (project, date, count)."""
    try:
        data = json.loads(body)
    except ValueError:
        data = _each_row(body)
    if not isinstance(data, dict):
        raise SourceFault("ClickHouse's answer is not a FORMAT JSON object.")
    if data.get("exception"):
        raise SourceFault(f"ClickHouse stopped the query: {str(data['exception'])[:300]}")
    rows = data.get("data")
    if not isinstance(rows, list):
        raise SourceFault("ClickHouse's answer has no data list.")
    if "rows" in data and data["rows"] != len(rows):
        raise SourceFault(f"ClickHouse announced {data['rows']} rows and sent {len(rows)}.")
    out = []
    for row in rows:
        try:
            project = row["project"]
            day = dt.date.fromisoformat(str(row["date"])[:10])
            downloads = _count(row["downloads"])
        except (KeyError, TypeError, ValueError):
            raise SourceFault(f"ClickHouse sent a row that is not (project, date, downloads): "
                              f"{row!r}.") from None  # fmt: skip
        if not isinstance(project, str) or downloads < 0:
            raise SourceFault(f"ClickHouse sent an impossible row: {row!r}.")
        out.append((project, day, downloads))
    return out


def _each_row(body: bytes) -> dict[str, Any]:
    """A ``JSONEachRow`` answer (a server that ignored ``FORMAT JSON``) in FORMAT JSON's shape;
    a line that is not a JSON object (ClickHouse writes an error that happens mid-answer as text
    after the rows) makes the answer a fault."""
    rows = []
    for line in body.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if not isinstance(row, dict):
            raise SourceFault(f"ClickHouse's answer is not JSON: {line[:200]!r}.")
        rows.append(row)
    return {"data": rows}


def check_result(body: bytes) -> None:
    """For the HTTP client: a body that does not parse as a complete answer is retried."""
    parse_result(body)


def daily_by_framework(
    rows: list[tuple[str, dt.date, int]], frameworks: dict[str, str]
) -> dict[str, dict[dt.date, int]]:
    """Rows → framework → {day: downloads} (``frameworks`` maps normalised package → id)."""
    out: dict[str, dict[dt.date, int]] = defaultdict(dict)
    for project, day, downloads in rows:
        fw = frameworks.get(normalise_package(project))
        if fw is not None:
            out[fw][day] = out[fw].get(day, 0) + downloads
    return dict(out)


async def collect(job: Job) -> Collected:
    out = job.out
    packages = {normalise_package(f.pypi_main): f.id for f in job.frameworks if f.pypi_main}
    job.plan(1)
    spans = {
        fw: await job.read(db.date_span, SOURCE.id, "pypi-downloads-day", fw)
        for fw in packages.values()
    }
    incremental = bool(spans) and all(spans.values())
    if incremental:
        last = min(dt.date.fromisoformat(s[1]) for s in spans.values() if s)
        since: dt.date | None = month_start(last - dt.timedelta(days=31))
    else:
        since = job.since
    user = (job.http.env.get("CLICKHOUSE_USER") or "").strip() or DEFAULT_USER
    auth = base64.b64encode(f"{user}:".encode()).decode()
    fetched = await job.http.request(
        NAME,
        "POST",
        "/",
        data=build_query(sorted(packages), since).encode(),
        headers={"Authorization": f"Basic {auth}", "Content-Type": "text/plain; charset=utf-8"},
        check=check_result,
    )
    rows = parse_result(fetched.body)
    job.advance()
    daily = daily_by_framework(rows, packages)
    for package, fw in packages.items():
        if fw not in daily:
            for metric in METRICS:
                if job.wants(metric):
                    out.skip(metric, fw, f"ClickHouse has no downloads of {package}")
    if not rows:
        return out
    through = max(day for _, day, _ in rows)
    known_from = since if incremental and since else min(day for _, day, _ in rows)
    out.rows = download_rows(SOURCE.id, daily, known_from, through, METHODS, job.metrics)
    out.notes.append(
        f"{len(rows):,} project-days from {min(d for _, d, _ in rows)} to {through}"
        + (" (incremental)" if incremental else "")
    )
    return out
