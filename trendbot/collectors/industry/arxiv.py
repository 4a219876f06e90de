"""arXiv: new cs.LG / cs.CV / cs.CL submissions per month whose abstract names each framework.

Two queries of the arXiv API (``GET /api/query``, Atom) per month, one request every three
seconds as its terms ask:

- ``_all``: ``(cat:cs.LG OR cat:cs.CV OR cat:cs.CL) AND submittedDate:[…]`` with
  ``max_results=1``; its ``opensearch:totalResults`` is the month's submissions;
- the candidates: the same AND ``(abs:pytorch OR abs:tensorflow OR …)``, up to 2,000 entries a
  page. arXiv's search only finds words, so every candidate's abstract is then matched against
  the framework's text patterns (frameworks.json), which decide; the search words are the
  framework's names and aliases that its own patterns accept (so "torch", "tf" or "paddle" are
  never searched for, and a new framework needs no code).

arXiv answers overload with ``Rate exceeded.``, sometimes with status 200: the shared client
retries it after a pause. When arXiv goes on refusing (or asks for a wait beyond the cap), the
quota is spent: the months read so far are stored, the rest are left for the next run, which
reads only months not stored. An error is an Atom feed with one entry titled "Error"; it fails the
run with arXiv's message. A month is read once it has ended (submissions keep arriving), and a
stored month is never read again.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from trendbot.collectors.http import QuotaSpent, check_xml
from trendbot.collectors.industry.base import (
    Collected,
    Job,
    SourceFault,
    SourceInfo,
    last_complete_month,
    missing_months,
    month_end,
    month_start,
)
from trendbot.storage import metrics as db
from trendbot.storage.frameworks import Framework
from trendbot.storage.metrics import MetricRow

NAME = "arxiv"
SOURCE = SourceInfo(
    "trendbot-arxiv",
    "arXiv API, new cs.LG/cs.CV/cs.CL submissions naming a framework (export.arxiv.org), read by "
    "trendbot",
    "ARXIV_BASE_URL",
    "arXiv API /api/query: submissions of each calendar month (submittedDate) with primary or "
    "cross-listed category cs.LG, cs.CV or cs.CL; a paper counts for a framework when its "
    "abstract matches the framework's patterns in trendbot's frameworks.json (candidates found "
    "by an abs: search for the framework's names); _all = every submission in those categories; "
    "collected by trendbot",
)
SOURCES = (SOURCE,)
METRICS = ("arxiv-mentions",)
CATEGORIES = ("cs.LG", "cs.CV", "cs.CL")
DEFAULT_SINCE = dt.date(2021, 1, 1)
PAGE_SIZE = 2000
MAX_START = 30000  # arXiv serves at most this many results of one query
METHOD = "abstract matches frameworks.json patterns (candidates from an abs: search)"
METHOD_ALL = "opensearch:totalResults of the month's cs.LG/cs.CV/cs.CL submissions"
ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


# -- the query -------------------------------------------------------------------------------------
def search_terms(fw: Framework) -> list[str]:
    """The framework's names that its own text patterns accept ("pytorch", not "torch")."""
    out: list[str] = []
    for name in (fw.id, fw.name.lower(), *fw.aliases):
        if name not in out and fw.mentioned_in(name):
            out.append(name)
    return out


def mentions_clause(frameworks: tuple[Framework, ...]) -> str | None:
    """``(abs:pytorch OR abs:tensorflow OR abs:"tensor flow" …)``; a phrase whose words include
    a word already searched for alone is left out (it cannot add a match)."""
    words = [re.split(r"[\s\-._/]+", t.strip()) for fw in frameworks for t in search_terms(fw)]
    words = [[w for w in ws if w] for ws in words]
    singles = {ws[0] for ws in words if len(ws) == 1 and _plain(ws[0])}
    parts: list[str] = [f"abs:{w}" for w in sorted(singles)]
    for ws in words:
        if len(ws) > 1 and not singles & set(ws) and all(_plain(w) for w in ws):
            phrase = f'abs:"{" ".join(ws)}"'
            if phrase not in parts:
                parts.append(phrase)
    return f"({' OR '.join(parts)})" if parts else None


def _plain(word: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9]+", word))


def month_query(month: dt.date, clause: str | None = None) -> str:
    cats = " OR ".join(f"cat:{c}" for c in CATEGORIES)
    days = f"[{month:%Y%m%d}0000 TO {month_end(month):%Y%m%d}2359]"
    query = f"({cats}) AND submittedDate:{days}"
    return f"{query} AND {clause}" if clause else query


# -- the answer ------------------------------------------------------------------------------------
def parse_feed(body: bytes) -> tuple[int, list[dict[str, str]]]:
    """An Atom answer → (totalResults, [{id, summary}]); raises SourceFault for arXiv's error
    feed or an answer without a total."""
    from defusedxml import ElementTree

    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise SourceFault(f"arXiv's answer is not XML ({exc}).") from None
    entries = []
    for entry in root.iter(f"{ATOM}entry"):
        item = {
            "id": (entry.findtext(f"{ATOM}id") or "").strip(),
            "title": (entry.findtext(f"{ATOM}title") or "").strip(),
            "summary": entry.findtext(f"{ATOM}summary") or "",
        }
        if "/api/errors" in item["id"] or item["title"] == "Error":
            raise SourceFault(f"arXiv refused the query: {' '.join(item['summary'].split())}.")
        entries.append(item)
    total = root.findtext(f".//{OPENSEARCH}totalResults")
    if total is None or not total.strip().isdigit():
        raise SourceFault("arXiv's answer has no opensearch:totalResults.")
    return int(total), entries


def count_mentions(entries: list[dict[str, str]], frameworks: tuple[Framework, ...]) -> dict:
    """Entries → papers per framework whose abstract names it (each paper once)."""
    seen = {e["id"] or e["summary"]: e for e in entries}
    counts = {fw.id: 0 for fw in frameworks}
    for entry in seen.values():
        text = " ".join(entry["summary"].split())
        for fw in frameworks:
            if fw.mentioned_in(text):
                counts[fw.id] += 1
    return counts


# -- fetching ----------------------------------------------------------------------------------
async def _query(job: Job, query: str, start: int, size: int) -> tuple[int, list[dict]]:
    params: dict[str, Any] = {"search_query": query, "start": start, "max_results": size}
    # A refused query is a 400 whose body is an Atom error feed: parse_feed says what arXiv said.
    fetched = await job.http.get(
        NAME, "/api/query", params=params, check=_check_feed, ok_statuses=(400,)
    )
    return parse_feed(fetched.body)


def _check_feed(body: bytes) -> None:
    """Retry a body that does not parse (cut off); let arXiv's error feed through to parse."""
    check_xml(body)


async def _candidates(job: Job, query: str) -> list[dict[str, str]]:
    total, entries = await _query(job, query, 0, PAGE_SIZE)
    out = list(entries)
    while entries and len(out) < total and len(out) < MAX_START:
        _, entries = await _query(job, query, len(out), PAGE_SIZE)
        out += entries
    return out


async def collect(job: Job) -> Collected:
    out = job.out
    if not job.wants("arxiv-mentions"):
        return out
    fws = tuple(job.frameworks)
    series = [f.id for f in fws] + (["_all"] if job.pseudo else [])
    first = month_start(job.since or DEFAULT_SINCE)
    last = last_complete_month(job.today)
    stored = await job.read(db.stored_dates, SOURCE.id, "arxiv-mentions", series)
    needed = missing_months(stored, first, last)
    job.plan(len(needed))
    clause = mentions_clause(fws)
    for i, month in enumerate(needed):
        try:
            await _month(job, month, series, stored, fws, clause, out)
        except QuotaSpent:
            n = len(needed) - i
            out.leave(f"{n} month{'s' if n > 1 else ''} of submissions")
            raise
        job.advance()
    return out


async def _month(
    job: Job,
    month: dt.date,
    series: list[str],
    stored: dict[str, set[str]],
    fws: tuple[Framework, ...],
    clause: str | None,
    out: Collected,
) -> None:
    day = month.isoformat()
    if "_all" in series and day not in stored["_all"]:
        total, _ = await _query(job, month_query(month), 0, 1)
        out.rows.append(MetricRow(SOURCE.id, "arxiv-mentions", "_all", day, total, METHOD_ALL))
    wanted = tuple(f for f in fws if day not in stored[f.id])
    if wanted and clause is not None:
        counts = count_mentions(await _candidates(job, month_query(month, clause)), wanted)
        out.rows += [
            MetricRow(SOURCE.id, "arxiv-mentions", fw, day, n, METHOD) for fw, n in counts.items()
        ]
