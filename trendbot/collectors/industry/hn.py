"""Job ads on Hacker News: each month's "Ask HN: Who is hiring?" thread, through HN Algolia search.

1. The threads: ``GET /api/v1/search_by_date?tags=story,author_whoishiring&hitsPerPage=1000``
   (from the first month needed on, by ``numericFilters=created_at_i>=…``). The account also
   posts "Who wants to be hired?" and freelancer threads; the month comes from the title
   ("Ask HN: Who is hiring? (September 2026)").
2. A thread's comments: ``GET /api/v1/search_by_date?tags=comment,story_<id>&hitsPerPage=1000``;
   the top-level ones (``parent_id`` = the story) are the ads. Algolia returns at most 1,000 hits
   per query: a larger thread is read on, newest first, by asking for what is older than the
   oldest hit (``numericFilters=created_at_i<=…``).
3. Each ad's text (HTML → text) is matched against every framework's text patterns
   (frameworks.json), ``_all`` counts the ads and ``_ml`` those saying "machine learning".

A month is read once it is over (ads keep arriving during the month); a month already stored is
not read again, so a daily run makes no request at all until a new month is complete.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from trendbot.collectors.industry.base import (
    Collected,
    Job,
    SourceFault,
    SourceInfo,
    check_json_like,
    last_complete_month,
    load_json,
    missing_months,
    month_start,
    unix,
)
from trendbot.storage import metrics as db
from trendbot.storage.frameworks import Framework
from trendbot.storage.metrics import MetricRow

NAME = "hn"
HTTP = "hn_algolia"  # the HTTP client's policy for hn.algolia.com
SOURCE = SourceInfo(
    "trendbot-hn",
    "Hacker News 'Ask HN: Who is hiring?' threads (HN Algolia search), read by trendbot",
    "HN_ALGOLIA_BASE_URL",
    "HN Algolia search API: each month's 'Ask HN: Who is hiring?' story by whoishiring and its "
    "top-level comments (one job ad each); an ad counts for a framework when its text matches "
    "the framework's patterns in trendbot's frameworks.json; collected by trendbot",
)
SOURCES = (SOURCE,)
METRICS = ("hn-hiring",)
PSEUDO = ("_all", "_ml")
FIRST_THREAD = dt.date(2011, 4, 1)  # the whoishiring account's first thread
DEFAULT_SINCE = dt.date(2017, 1, 1)  # the seed (hiringtrends) has 2011-04 to 2024-05
HITS = 1000  # Algolia's most hits per query
METHOD = "top-level comments of the month's 'Who is hiring?' thread; frameworks.json patterns"
ML = re.compile(r"machine[\s\-]+learning", re.IGNORECASE)
_TITLE = re.compile(r"who\s+is\s+hiring\??\s*\(\s*([a-z]+)\.?\s+(\d{4})\s*\)", re.IGNORECASE)
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})


# -- pure parsing ----------------------------------------------------------------------------------
def thread_month(title: str) -> dt.date | None:
    """The month of a "Who is hiring?" thread from its title; None for the account's other
    threads ("Who wants to be hired?", "Freelancer? Seeking freelancer?")."""
    match = _TITLE.search(title or "")
    if match is None:
        return None
    month = _MONTHS.get(match.group(1).lower())
    if month is None:
        return None
    return dt.date(int(match.group(2)), month, 1)


def envelope(body: Any, what: str) -> tuple[list[dict], int, int]:
    """A search answer → (hits, nbHits, nbPages), checked."""
    if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
        raise SourceFault(f"HN search's answer for {what} has no hits list.")
    hits = [h for h in body["hits"] if isinstance(h, dict)]
    nb_hits = body.get("nbHits", len(hits))
    nb_pages = body.get("nbPages", 1)
    if not isinstance(nb_hits, int) or not isinstance(nb_pages, int):
        raise SourceFault(f"HN search's answer for {what} has no usable nbHits/nbPages.")
    return hits, nb_hits, nb_pages


def threads(hits: list[dict]) -> dict[dt.date, dict]:
    """Story hits → month → the month's "Who is hiring?" story (the one with the most comments
    when a month has two)."""
    out: dict[dt.date, dict] = {}
    for hit in hits:
        month = thread_month(str(hit.get("title") or ""))
        if month is None or not str(hit.get("objectID", "")).isdigit():
            continue
        best = out.get(month)
        if best is None or (hit.get("num_comments") or 0) > (best.get("num_comments") or 0):
            out[month] = hit
    return out


def ad_text(html: str) -> str:
    """A comment's HTML as plain text (tags dropped, entities decoded)."""
    if not html:
        return ""
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(html).text(separator=" ")


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def count_thread(
    hits: list[dict], story_id: int, frameworks: tuple[Framework, ...]
) -> dict[str, int]:
    """Comment hits of a thread → ads per framework, ``_all`` (ads) and ``_ml``."""
    ads: dict[str, dict] = {}
    for hit in hits:
        if _int(hit.get("parent_id")) == story_id:
            ads[str(hit.get("objectID"))] = hit
    counts = {fw.id: 0 for fw in frameworks}
    counts["_all"], counts["_ml"] = len(ads), 0
    for hit in ads.values():
        text = ad_text(str(hit.get("comment_text") or ""))
        for fw in frameworks:
            if fw.mentioned_in(text):
                counts[fw.id] += 1
        if ML.search(text):
            counts["_ml"] += 1
    return counts


def transform(month: dt.date, counts: dict[str, int], series: list[str]) -> list[MetricRow]:
    return [
        MetricRow(SOURCE.id, "hn-hiring", s, month.isoformat(), counts[s], METHOD)
        for s in series
        if s in counts
    ]


# -- fetching --------------------------------------------------------------------------------------
async def _search(job: Job, endpoint: str, params: dict[str, Any], what: str) -> tuple:
    fetched = await job.http.get(
        HTTP, f"/api/v1/{endpoint}", params=params, check=check_json_like, ok_statuses=(404,)
    )
    if fetched.status == 404 and endpoint == "search_by_date":
        # Both endpoints take the same parameters; only the order differs, which the cursor
        # on created_at_i does not need (it takes the oldest hit of whatever came back).
        return await _search(job, "search", params, what)
    if fetched.status == 404:
        raise SourceFault(f"HN search has no /api/v1/{endpoint} (HTTP 404).")
    return envelope(load_json(fetched.body, f"HN search's answer for {what}"), what)


async def _all_pages(
    job: Job, endpoint: str, params: dict[str, Any], what: str
) -> tuple[dict[str, dict], int]:
    """Every page of a query (a server may page below ``hitsPerPage``): hits by id, nbHits."""
    hits, nb_hits, nb_pages = await _search(job, endpoint, params, what)
    found = {str(h.get("objectID")): h for h in hits}
    for page in range(1, min(nb_pages, HITS)):
        more, _, _ = await _search(job, endpoint, {**params, "page": page}, what)
        if not more:
            break
        found.update((str(h.get("objectID")), h) for h in more)
    return found, nb_hits


async def _stories(job: Job, first: dt.date) -> dict[dt.date, dict]:
    params = {
        "tags": "story,author_whoishiring",
        "hitsPerPage": HITS,
        "numericFilters": f"created_at_i>={unix(first) - 7 * 86400}",
    }
    found, _ = await _all_pages(job, "search_by_date", params, "the whoishiring threads")
    return threads(list(found.values()))


async def _comments(job: Job, story: dict) -> list[dict]:
    """Every comment of a thread. Newest first (``search_by_date``), 1,000 at a time: when
    Algolia's limit cuts an answer, the next query asks for what is older than the oldest hit
    (``numericFilters=created_at_i<=…``; a hit seen twice counts once)."""
    story_id = str(story["objectID"])
    what = f"the comments of story {story_id}"
    params: dict[str, Any] = {"tags": f"comment,story_{story_id}", "hitsPerPage": HITS}
    found: dict[str, dict] = {}
    query = params
    while True:
        hits, nb_hits = await _all_pages(job, "search_by_date", query, what)
        new = hits.keys() - found.keys()
        found.update(hits)
        if not new or not _capped(hits, nb_hits):
            return list(found.values())
        oldest = min(_int(h.get("created_at_i")) or 0 for h in hits.values())
        query = {**params, "numericFilters": f"created_at_i<={oldest}"}


def _capped(found: dict[str, dict], nb_hits: int) -> bool:
    """Did Algolia's 1,000-hit limit cut this answer? (Not merely an estimated nbHits above
    what came back: that alone must not set off more queries.)"""
    return len(found) < nb_hits and len(found) >= HITS


async def collect(job: Job) -> Collected:
    out = job.out
    if not job.wants("hn-hiring"):
        return out
    series = [f.id for f in job.frameworks] + (list(PSEUDO) if job.pseudo else [])
    first = max(month_start(job.since or DEFAULT_SINCE), FIRST_THREAD)
    last = last_complete_month(job.today)
    stored = await job.read(db.stored_dates, SOURCE.id, "hn-hiring", series)
    needed = missing_months(stored, first, last)
    job.plan(len(needed))
    if not needed:
        return out
    stories = await _stories(job, needed[0])
    for month in needed:
        story = stories.get(month)
        if story is None:
            out.notes.append(f"hn-hiring: no 'Who is hiring?' thread found for {month:%Y-%m}")
        else:
            hits = await _comments(job, story)
            counts = count_thread(hits, int(story["objectID"]), job.frameworks)
            out.rows += transform(month, counts, series)
        job.advance()
    return out
