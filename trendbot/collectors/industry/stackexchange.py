"""Stack Overflow questions per framework tag per month: the Stack Exchange API 2.3.

``GET /2.3/questions?tagged={tag}&fromdate=…&todate=…&site=stackoverflow&filter=total`` answers
``{"total": N}``: the questions created in that span that carry the tag now. One request per tag
per month (the catalogue counts the framework's main tag only: the API ANDs several tags), and
one per month without a tag for ``_all``.

A backfill is planned to cost little:

- ``/2.3/tags/{tags}/info`` first (one request): each tag's all-time question count, and the
  quota left today. A tag with fewer questions than months to fill is read by listing its
  questions (100 a page, ``sort=creation``) and counting them by month instead.
- Without ``STACKEXCHANGE_KEY`` the API allows 300 requests a day per address. A plan larger than
  the quota left keeps the newest months and leaves the rest for the next runs (with a note):
  a missing month is filled whenever a run has quota for it.

The API's ``backoff`` field and its ``throttle_violation`` error are obeyed by the shared HTTP
client (``stackexchange_backoff``). A daily run after a month ends makes one request per series.

A quota that runs out mid-run (``throttle_violation`` "more requests available in N seconds", or
``quota_remaining: 0`` on the last answer) stops the run: the months it counted are stored, the
rest are left for later with the time the quota comes back, and the run is a ``quota`` run. The
tag sizes it asked for travel to the next run (``Collected.resume``), which asks for nothing
again: stored months are never asked for.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

from trendbot.collectors.http import QuotaSpent
from trendbot.collectors.industry.base import (
    Collected,
    Job,
    SourceFault,
    SourceInfo,
    check_json_like,
    last_complete_month,
    load_json,
    month_start,
    months,
    next_month,
    unix,
)
from trendbot.storage import metrics as db
from trendbot.storage.metrics import MetricRow

NAME = "stackexchange"
SOURCE = SourceInfo(
    "trendbot-stackexchange",
    "Stack Exchange API 2.3, Stack Overflow questions per tag (api.stackexchange.com), read by "
    "trendbot",
    "STACKEXCHANGE_BASE_URL",
    "Stack Exchange API 2.3 /questions?tagged={tag}&fromdate&todate&site=stackoverflow"
    "&filter=total: questions created in each calendar month (UTC) that carry the framework's "
    "main tag (frameworks.json stackoverflow.tags[0]), as the API counted them when collected; "
    "_all without a tag; collected by trendbot",
)
SOURCES = (SOURCE,)
METRICS = ("stackoverflow-questions",)
SITE = "stackoverflow"
DEFAULT_SINCE = dt.date(2021, 1, 1)
PAGE_SIZE = 100
RESERVE = 5  # requests kept back from the day's quota
METHOD = "filter=total, questions created in the month carrying the main tag"
METHOD_ALL = "filter=total, all questions created in the month"
METHOD_LISTED = "questions carrying the main tag listed by creation date, counted by month"


# -- pure parsing ----------------------------------------------------------------------------------
def parse_total(body: Any, what: str) -> int:
    total = body.get("total") if isinstance(body, dict) else None
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise SourceFault(f"Stack Exchange's answer for {what} has no usable total: {body!r:.120}")
    return total


def parse_tag_info(body: Any) -> tuple[dict[str, int], int | None]:
    """``/tags/{tags}/info`` → ({tag: questions}, quota_remaining)."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise SourceFault("Stack Exchange's tag info has no items list.")
    counts = {
        str(i["name"]).lower(): int(i["count"])
        for i in items
        if isinstance(i, dict) and isinstance(i.get("count"), int) and i.get("name")
    }
    quota = body.get("quota_remaining")
    return counts, quota if isinstance(quota, int) else None


def parse_questions(body: Any) -> tuple[dict[int, int], bool, int | None]:
    """A page of questions → ({question_id: creation_date}, has_more, quota_remaining)."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise SourceFault("Stack Exchange's list of questions has no items list.")
    found = {}
    for item in items:
        qid, created = (item.get("question_id"), item.get("creation_date")) if isinstance(
            item, dict
        ) else (None, None)  # fmt: skip
        if not isinstance(qid, int) or not isinstance(created, int):
            raise SourceFault(f"Stack Exchange sent a question without id or date: {item!r:.120}.")
        found[qid] = created
    quota = body.get("quota_remaining")
    return found, bool(body.get("has_more")), quota if isinstance(quota, int) else None


def by_month(created: dict[int, int], wanted: list[dt.date]) -> dict[dt.date, int]:
    """Creation dates (epoch seconds) → questions per wanted month (0 where none)."""
    counts = dict.fromkeys(wanted, 0)
    for ts in created.values():
        month = month_start(dt.datetime.fromtimestamp(ts, dt.UTC).date())
        if month in counts:
            counts[month] += 1
    return counts


def span(month: dt.date) -> dict[str, int]:
    """fromdate/todate of a calendar month (UTC, both inclusive)."""
    return {"fromdate": unix(month), "todate": unix(next_month(month)) - 1}


# -- the plan --------------------------------------------------------------------------------------
class _Plan:
    """Requests to make, cheapest first, trimmed to the day's quota."""

    def __init__(self) -> None:
        self.listed: list[tuple[str, str, list[dt.date], int]] = []  # series, tag, months, cost
        self.monthly: list[tuple[str, str | None, dt.date]] = []  # series, tag, month
        self.left: dict[str, int] = {}

    def cost(self) -> int:
        return sum(c for *_, c in self.listed) + len(self.monthly)

    def trim(self, budget: int) -> None:
        """Keep what fits in ``budget``: listed tags (cheap, whole), then the newest months."""
        keep_listed, spent = [], 0
        for item in self.listed:
            if spent + item[3] <= budget:
                keep_listed.append(item)
                spent += item[3]
            else:
                self.left[item[0]] = self.left.get(item[0], 0) + len(item[2])
        newest = sorted(self.monthly, key=lambda t: t[2], reverse=True)
        keep = newest[: max(0, budget - spent)]
        for series, _, _ in newest[len(keep) :]:
            self.left[series] = self.left.get(series, 0) + 1
        self.listed, self.monthly = keep_listed, keep


async def _get(
    job: Job, path: str, params: dict[str, Any], what: str, absent_ok: bool = False
) -> Any:
    ok = (404,) if absent_ok else ()
    fetched = await job.http.get(NAME, path, params=params, check=check_json_like, ok_statuses=ok)
    if fetched.status == 404:
        return None
    return load_json(fetched.body, f"Stack Exchange's answer for {what}")


async def collect(job: Job) -> Collected:
    out = job.out
    if not job.wants("stackoverflow-questions"):
        return out
    tags: dict[str, str | None] = {}
    for fw in job.frameworks:
        if fw.stackoverflow_tag:
            tags[fw.id] = fw.stackoverflow_tag
        else:
            out.skip("stackoverflow-questions", fw.id, "frameworks.json names no tag")
    if job.pseudo:
        tags["_all"] = None
    first = month_start(job.since or DEFAULT_SINCE)
    last = last_complete_month(job.today)
    stored = await job.read(db.stored_dates, SOURCE.id, "stackoverflow-questions", list(tags))
    needed = {s: [m for m in months(first, last) if m.isoformat() not in stored[s]] for s in tags}
    needed = {s: ms for s, ms in needed.items() if ms}
    if not needed:
        job.plan(0)
        return out
    key = job.secret(
        "STACKEXCHANGE_KEY",
        "Stack Exchange allows 300 requests a day per address without a key; a long backfill "
        "is spread over several days",
    )
    base = {"site": SITE, **({"key": key} if key else {})}
    plan, quota, sizes = _Plan(), None, {}
    kept = (job.resume or {}).get("sizes")
    if isinstance(kept, dict):  # after a spent quota: the sizes the last run asked for
        sizes = {str(t): int(n) for t, n in kept.items() if isinstance(n, int)}
    elif any(len(ms) > 1 for ms in needed.values()):
        wanted = sorted({t for s, t in tags.items() if t and s in needed})
        if wanted:
            path = f"/2.3/tags/{';'.join(wanted)}/info"
            info = await _get(job, path, base, "the tag info", absent_ok=True)
            sizes, quota = parse_tag_info(info) if info is not None else ({}, None)
            for s in list(needed) if info is not None else ():
                tag = tags[s]
                if tag and tag.lower() not in sizes:
                    out.notes.append(f"stackoverflow-questions {s}: no tag {tag} on {SITE}: 0")
                    out.rows += [_row(s, m, 0, METHOD) for m in needed.pop(s)]
    for s, ms in needed.items():
        tag = tags[s]
        size = sizes.get(tag.lower()) if tag else None
        listed_cost = math.ceil(size / PAGE_SIZE) if size is not None else None
        if tag and listed_cost is not None and max(1, listed_cost) < len(ms):
            plan.listed.append((s, tag, ms, max(1, listed_cost)))
        else:
            plan.monthly += [(s, tag, m) for m in ms]
    if quota is not None and plan.cost() > quota - RESERVE:
        plan.trim(max(0, quota - RESERVE))
    out.resume = {"sizes": sizes}
    job.plan(plan.cost())
    try:
        for s, tag, ms, _ in plan.listed:
            counts = await _listed(job, base, tag, ms)
            out.rows += [_row(s, m, n, METHOD_LISTED) for m, n in counts.items()]
        await _monthly(job, base, plan.monthly, out)
    except QuotaSpent:
        _leave(out, needed, None)
        raise
    for s, n in plan.left.items():
        out.notes.append(
            f"stackoverflow-questions {s}: {n} older months left for a later run (the day's "
            "Stack Exchange quota)"
        )
    if plan.left:
        _leave(out, needed, _next_midnight(time.time()))
    return out


def _next_midnight(now: float) -> float:
    """The next 00:00 UTC (epoch seconds), when Stack Exchange renews a day's quota."""
    return float((int(now) // 86400 + 1) * 86400)


def _leave(out: Collected, needed: dict[str, list[dt.date]], resets: float | None) -> None:
    """Name the months a spent quota leaves: those neither stored nor counted this run."""
    got = {(r.framework, r.date) for r in out.rows}
    left = sum(1 for s, ms in needed.items() for m in ms if (s, m.isoformat()) not in got)
    series = sum(1 for s, ms in needed.items() if any((s, m.isoformat()) not in got for m in ms))
    if left:
        months_ = "1 month" if left == 1 else f"{left} months"
        out.leave(f"{months_} of questions over {series} series", resets)


def _row(series: str, month: dt.date, value: int, method: str) -> MetricRow:
    return MetricRow(SOURCE.id, "stackoverflow-questions", series, month.isoformat(), value, method)


async def _listed(
    job: Job, base: dict[str, Any], tag: str, wanted: list[dt.date]
) -> dict[dt.date, int]:
    params = {
        **base,
        "tagged": tag,
        "fromdate": unix(min(wanted)),
        "todate": unix(next_month(max(wanted))) - 1,
        "sort": "creation",
        "order": "asc",
        "pagesize": PAGE_SIZE,
    }
    created: dict[int, int] = {}
    page = 1
    while True:
        body = await _get(job, "/2.3/questions", {**params, "page": page}, f"questions of {tag}")
        job.advance()
        found, more, _ = parse_questions(body)
        created.update(found)
        if not more or not found:
            return by_month(created, wanted)
        page += 1


async def _monthly(
    job: Job, base: dict[str, Any], todo: list[tuple[str, str | None, dt.date]], out: Collected
) -> None:
    for s, tag, month in sorted(todo, key=lambda t: (t[0], t[2])):
        params = {**base, **span(month), "filter": "total"}
        if tag:
            params["tagged"] = tag
        what = f"{tag or 'all questions'} in {month:%Y-%m}"
        total = parse_total(await _get(job, "/2.3/questions", params, what), what)
        out.rows.append(_row(s, month, total, METHOD if tag else METHOD_ALL))
        job.advance()
