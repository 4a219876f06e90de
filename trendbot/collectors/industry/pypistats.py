"""PyPI downloads from pypistats.org: the fallback when ClickHouse cannot answer.

``GET /api/packages/{package}/overall?mirrors=false`` gives one row per day for the last 180
days (``{"data": [{"category": "without_mirrors", "date": ..., "downloads": N}], ...}``), the
downloads that are not by mirroring tools. The same daily → 30-day → month computation as for
ClickHouse runs on them, under a source of their own: the two count different downloads and are
never blended. An unknown package is a plain-text ``404``: that framework is skipped. pypistats
allows 30 requests a minute per address and answers more with an HTML 429; one request per
package stays far below it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from trendbot.collectors.industry.base import (
    Collected,
    DownloadMethods,
    Job,
    SourceFault,
    SourceInfo,
    check_json_like,
    download_rows,
    load_json,
)

NAME = "pypistats"
SOURCE = SourceInfo(
    "trendbot-pypistats",
    "pypistats.org daily downloads (without mirrors), read by trendbot",
    "PYPISTATS_BASE_URL",
    "pypistats.org API /api/packages/{package}/overall?mirrors=false: downloads per UTC day, "
    "mirroring tools left out, last 180 days; 30-day windows and calendar months summed by "
    "trendbot from the daily counts",
)
SOURCES = (SOURCE,)
METRICS = ("pypi-downloads-day", "pypi-downloads", "pypi-downloads-month")
METHODS = DownloadMethods(
    day="pypistats overall, without mirrors, the day",
    window="pypistats overall, without mirrors, sum of the 30 days ending on the date",
    month="pypistats overall, without mirrors, sum over the calendar month",
)


def parse_overall(body: Any, package: str) -> dict[dt.date, int]:
    """An ``overall`` answer → {day: downloads without mirrors}."""
    rows = body.get("data") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise SourceFault(f"pypistats' answer for {package} has no data list.")
    out: dict[dt.date, int] = {}
    for row in rows:
        if not isinstance(row, dict) or row.get("category") != "without_mirrors":
            continue
        try:
            day = dt.date.fromisoformat(str(row["date"]))
            n = row["downloads"]
        except (KeyError, ValueError):
            raise SourceFault(f"pypistats sent a malformed row for {package}: {row!r}.") from None
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise SourceFault(f"pypistats sent an impossible count for {package}: {row!r}.")
        out[day] = out.get(day, 0) + n
    return out


async def collect(job: Job) -> Collected:
    out = job.out
    frameworks = [f for f in job.frameworks if f.pypi_main]
    job.plan(len(frameworks))
    daily: dict[str, dict[dt.date, int]] = {}
    for fw in frameworks:
        fetched = await job.http.get(
            NAME,
            f"/api/packages/{fw.pypi_main}/overall",
            params={"mirrors": "false"},
            check=check_json_like,
            ok_statuses=(404,),
        )
        job.advance()
        if fetched.status == 404:
            for metric in METRICS:
                if job.wants(metric):
                    out.skip(metric, fw.id, f"pypistats does not know {fw.pypi_main}")
            continue
        body = load_json(fetched.body, f"pypistats' answer for {fw.pypi_main}")
        days = parse_overall(body, fw.pypi_main)
        if days:
            daily[fw.id] = days
    if not daily:
        return out
    known_from = min(min(d) for d in daily.values())
    through = max(max(d) for d in daily.values())
    out.rows = download_rows(SOURCE.id, daily, known_from, through, METHODS, job.metrics)
    return out
