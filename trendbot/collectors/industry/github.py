"""GitHub REST: stars, forks, open issues and contributors of each framework's repository, once a
day, and the weekly star history.

- ``GET /repos/{owner}/{repo}`` gives ``stargazers_count``, ``forks_count`` and
  ``open_issues_count`` (issues and pull requests): one snapshot dated today (UTC).
- ``GET /repos/{owner}/{repo}/contributors?per_page=1&anon=1``: the page number in the ``Link``
  header's ``rel="last"`` is the number of contributors, anonymous ones included.
- ``GET /repos/{owner}/{repo}/stargazers/history`` (2026): weeks of retained stars, newest first,
  30 a page. Summed from the first week it gives the stars at the end of every week; it is kept
  as its own source, because retained stars run below the count GitHub reports.

Every request is conditional: the ETag of the last answer is sent, and a 304 costs no quota. An
unchanged repository therefore costs nothing, and its values are carried to today's date from
the stored ones. Without ``GITHUB_TOKEN`` GitHub allows 60 requests an hour: the snapshot of
every framework fits, and a star-history backfill that would not fit in what is left this hour
is left for a later run instead of being started. When the hour's quota runs out anyway (a 403
or 429 with ``x-ratelimit-remaining: 0``, or a ``0`` on the last good answer), the run stops
asking GitHub, keeps every complete answer it had (``Job.out``) and names what is left and when
the quota resets (``x-ratelimit-reset``): the run is a ``quota`` run, not a failure. The next run
starts again from the first repository; what was stored answers 304 (free), so it pays only for
what is left.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlencode

from trendbot.collectors.http import Fetched, QuotaSpent
from trendbot.collectors.industry.base import (
    Collected,
    Job,
    SourceFault,
    SourceInfo,
    check_json_like,
    load_json,
    page_of,
    parse_links,
)
from trendbot.storage import metrics as db
from trendbot.storage.frameworks import Framework
from trendbot.storage.metrics import MetricRow

NAME = "github"
SNAPSHOT = SourceInfo(
    "trendbot-github",
    "GitHub REST API, repository counts (api.github.com), read by trendbot",
    "GITHUB_BASE_URL",
    "GitHub REST API: GET /repos/{owner}/{repo} (stargazers_count, forks_count, "
    "open_issues_count) and GET /repos/{owner}/{repo}/contributors?per_page=1&anon=1 (page count "
    "of the Link rel=last header), once a day, dated the UTC day of the request; collected by "
    "trendbot",
)
HISTORY = SourceInfo(
    "trendbot-github-star-history",
    "GitHub REST API, star history (stargazers/history), read by trendbot",
    "GITHUB_BASE_URL",
    "GitHub REST API: GET /repos/{owner}/{repo}/stargazers/history, weekly counts of the stars "
    "still present, summed from the repository's first week; one value per complete week, dated "
    "the week's last day; collected by trendbot",
)
SOURCES = (SNAPSHOT, HISTORY)
METRICS = ("github-stars", "github-forks", "github-open-issues", "github-contributors")
REPO_FIELDS = {
    "github-stars": "stargazers_count",
    "github-forks": "forks_count",
    "github-open-issues": "open_issues_count",
}
API_VERSION = "2022-11-28"
HISTORY_API_VERSION = "2026-03-10"  # the version that introduced stargazers/history
HISTORY_PER_PAGE = 30  # documented maximum
HISTORY_MAX_PAGES = 100
RESERVE_PER_REPO = 3  # requests a later framework's snapshot may need
METHOD = {
    "github-stars": "GET /repos stargazers_count, daily snapshot",
    "github-forks": "GET /repos forks_count, daily snapshot",
    "github-open-issues": "GET /repos open_issues_count (issues + pull requests), daily snapshot",
    "github-contributors": "contributors?per_page=1&anon=1, page count of Link rel=last",
}
HISTORY_METHOD = "stargazers/history: weekly retained stars summed from the first week"
TOO_LARGE = "too large to list contributors"


# -- pure parsing ----------------------------------------------------------------------------------
def parse_repo(body: Any, repo: str) -> dict[str, Any]:
    """The counts and creation date of a ``GET /repos`` answer; a missing or negative count is a
    fault of the answer, not a zero."""
    if not isinstance(body, dict):
        raise SourceFault(f"GitHub answered for {repo} with something that is not a repository.")
    out: dict[str, Any] = {}
    for metric, key in REPO_FIELDS.items():
        value = body.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise SourceFault(f"GitHub's answer for {repo} has no usable {key} ({value!r}).")
        out[metric] = value
    out["created_at"] = body.get("created_at")
    out["full_name"] = body.get("full_name") or repo
    return out


def transform_repo(fw: Framework, counts: dict[str, Any], day: dt.date, metrics) -> list[MetricRow]:
    return [
        MetricRow(SNAPSHOT.id, metric, fw.id, day.isoformat(), counts[metric], METHOD[metric])
        for metric in REPO_FIELDS
        if metric in metrics
    ]


def contributors_count(fetched: Fetched) -> int:
    """The number of contributors from a ``per_page=1`` page: the last page's number, or, when
    there is only one page (no Link header), the number of entries on it (0 or 1)."""
    if fetched.status == 204 or not fetched.body.strip():
        return 0
    last = parse_links(fetched.headers.get("Link")).get("last")
    if last is not None:
        page = page_of(last)
        if page is None:
            raise SourceFault(f"GitHub's Link header names no page number: {last!r}.")
        return page
    body = load_json(fetched.body, "GitHub's contributors answer")
    if not isinstance(body, list):
        raise SourceFault("GitHub's contributors answer is not a list.")
    return len(body)


def parse_weeks(body: Any, repo: str) -> list[tuple[int, int]]:
    """A star-history page → [(week start, epoch seconds), stars that week)]."""
    if not isinstance(body, list):
        raise SourceFault(f"GitHub's star history of {repo} is not a list of weeks.")
    out = []
    for item in body:
        week = item.get("week") if isinstance(item, dict) else None
        total = item.get("total") if isinstance(item, dict) else None
        ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (week, total))
        if not ok or total < 0:
            raise SourceFault(f"GitHub's star history of {repo} has a malformed week: {item!r}.")
        out.append((week, total))
    return out


def week_end(week: int) -> dt.date:
    """The last day of the week that starts at ``week`` (epoch seconds, UTC)."""
    return dt.datetime.fromtimestamp(week, dt.UTC).date() + dt.timedelta(days=6)


def transform_history(
    fw: Framework, weeks: list[tuple[int, int]], today: dt.date, start: int = 0
) -> list[MetricRow]:
    """Weeks (any order, repeats allowed) → the stars at the end of each complete week.

    ``start`` is the stored total before the oldest week given (0 for the whole history). The
    week still running is left out: its value is not final until it ends.
    """
    total, rows = start, []
    for week, stars in sorted(dict(weeks).items()):
        total += stars
        end = week_end(week)
        if end < today:
            rows.append(
                MetricRow(HISTORY.id, "github-stars", fw.id, end.isoformat(), total, HISTORY_METHOD)
            )
    return rows


def pages_for(created_at: str | None, today: dt.date) -> int:
    """History pages a repository created at ``created_at`` needs (an estimate for budgeting)."""
    try:
        created = dt.date.fromisoformat(str(created_at)[:10])
    except ValueError:
        return HISTORY_MAX_PAGES
    weeks = max(1, (today - created).days // 7 + 2)
    return math.ceil(weeks / HISTORY_PER_PAGE)


# -- fetching ------------------------------------------------------------------------------------
class _Budget:
    """GitHub's remaining quota as its last answer reported it (None until one did)."""

    def __init__(self) -> None:
        self.remaining: int | None = None
        self.resets_at: float | None = None  # x-ratelimit-reset, epoch seconds
        self.left: list[str] = []  # repositories whose star history waits for a later hour

    def saw(self, fetched: Fetched) -> None:
        raw = fetched.headers.get("x-ratelimit-remaining")
        if raw is not None and raw.strip().isdigit():
            self.remaining = int(raw)
        reset = (fetched.headers.get("x-ratelimit-reset") or "").strip()
        if reset.isdigit():
            self.resets_at = float(reset)


def _key(job: Job, path: str, params: dict[str, Any]) -> str:
    """The URL an ETag is stored under (the query string in a fixed order)."""
    return f"{job.http.url(NAME, path)}?{urlencode(sorted(params.items()))}"


async def _get(
    job: Job,
    path: str,
    params: dict[str, Any],
    headers: dict[str, str],
    etag: str | None,
    budget: _Budget,
    ok: tuple[int, ...] = (404,),
) -> Fetched:
    fetched = await job.http.get(
        NAME, path, params=params, headers=headers, etag=etag, ok_statuses=ok,
        check=check_json_like,
    )  # fmt: skip
    budget.saw(fetched)
    return fetched


async def collect(job: Job) -> Collected:
    token = job.secret(
        "GITHUB_TOKEN",
        "GitHub allows 60 requests an hour without a token; a star-history backfill that does "
        "not fit is left for later runs",
    )
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    out = job.out
    budget = _Budget()
    frameworks = list(job.frameworks)
    job.plan(len(frameworks))
    for i, fw in enumerate(frameworks):
        later = len(frameworks) - i - 1
        try:
            await _framework(job, fw, headers, budget, later, out)
        except QuotaSpent:
            _leave(job, out, budget, frameworks[i:])
            raise
        job.advance()
    _leave(job, out, budget, [])
    return out


def _leave(job: Job, out: Collected, budget: _Budget, stopped: list[Framework]) -> None:
    """Name what the hour's quota leaves for later: the star histories not collected and the
    repositories whose counts were not reached."""
    got = {(r.source_id, r.framework) for r in out.rows}
    history = list(budget.left)
    if job.wants("github-stars"):
        history += [f.id for f in stopped if (HISTORY.id, f.id) not in got]
    counts = [f.id for f in stopped if (SNAPSHOT.id, f.id) not in got]
    if counts and any(job.wants(m) for m in METRICS):
        out.leave(f"counts for {_repos(len(counts))}", budget.resets_at)
    if history:
        out.leave(f"star history for {_repos(len(set(history)))}", budget.resets_at)


def _repos(n: int) -> str:
    return f"{n} repo" if n == 1 else f"{n} repos"


async def _framework(
    job: Job, fw: Framework, headers: dict[str, str], budget: _Budget, later: int, out: Collected
) -> None:
    repo = fw.github_repo
    history = job.wants("github-stars")
    counts = None
    if history or any(job.wants(m) for m in REPO_FIELDS):
        # Always conditional: a run after a spent quota repeats nothing that had succeeded (a
        # 304 is free); a star-history backfill is budgeted from its first page's Link header.
        counts = await _repo(job, fw, headers, budget, out)
        if counts is None:
            return  # the repository is gone: nothing else to ask about it
    if job.wants("github-contributors"):
        await _contributors(job, fw, headers, budget, out)
    if history:
        reserve = RESERVE_PER_REPO * later + 1
        await _history(job, fw, repo, headers, budget, counts.get("created_at"), reserve, out)


async def _repo(
    job: Job,
    fw: Framework,
    headers: dict[str, str],
    budget: _Budget,
    out: Collected,
    *,
    conditional: bool = True,
) -> dict[str, Any] | None:
    repo = fw.github_repo
    path = f"/repos/{repo}"
    key = _key(job, path, {})
    stored = (await job.read(db.etags, [key])).get(key) if conditional else None
    fetched = await _get(job, path, {}, headers, stored, budget, ok=(404, 451))
    if fetched.not_modified:
        carried = await _carry(job, fw, list(REPO_FIELDS))
        if carried is not None:
            out.rows += [r for r in carried if job.wants(r.metric)]
            return {"created_at": None}
        fetched = await _get(job, path, {}, headers, None, budget, ok=(404, 451))
    if fetched.status in (404, 451):
        for metric in METRICS:
            if job.wants(metric):
                out.skip(metric, fw.id, f"GitHub does not know the repository {repo} "
                                        f"(HTTP {fetched.status})")  # fmt: skip
        return None
    counts = parse_repo(load_json(fetched.body, f"GitHub's answer for {repo}"), repo)
    if counts["full_name"].lower() != repo.lower():
        out.notes.append(f"{repo} answers as {counts['full_name']} (renamed)")
    out.rows += transform_repo(fw, counts, job.today, job.metrics)
    # The ETag stands for all three counts: kept only when all three are stored with it, so a
    # later 304 never carries forward a count older than the answer it validates.
    if fetched.etag and all(job.wants(m) for m in REPO_FIELDS):
        out.etags[key] = fetched.etag
    return counts


async def _carry(job: Job, fw: Framework, metrics: list[str]) -> list[MetricRow] | None:
    """A 304: the values are those stored last, carried to today. None when one is missing (the
    ETag then stands for numbers the store lost, and the resource is fetched again)."""
    rows = []
    for metric in metrics:
        last = await job.read(db.value_at, SNAPSHOT.id, metric, fw.id, None)
        if last is None:
            return None
        rows.append(
            MetricRow(SNAPSHOT.id, metric, fw.id, job.today.isoformat(), last.value, METHOD[metric])
        )
    return rows


async def _contributors(
    job: Job, fw: Framework, headers: dict[str, str], budget: _Budget, out: Collected
) -> None:
    repo = fw.github_repo
    path, params = f"/repos/{repo}/contributors", {"per_page": 1, "anon": 1}
    key = _key(job, path, params)
    stored = (await job.read(db.etags, [key])).get(key)
    ok = (403, 404, 451)
    fetched = await _get(job, path, params, headers, stored, budget, ok=ok)
    if fetched.not_modified:
        carried = await _carry(job, fw, ["github-contributors"])
        if carried is not None:
            out.rows += carried
            return
        fetched = await _get(job, path, params, headers, None, budget, ok=ok)
    if fetched.status in (404, 451):
        out.skip("github-contributors", fw.id, f"GitHub does not know {repo} (HTTP 404)")
        return
    if fetched.status == 403:
        message = _message(fetched)
        if TOO_LARGE in message.lower():
            out.skip("github-contributors", fw.id, "GitHub says the contributor list is too large")
            return
        raise SourceFault(f"GitHub refused the contributors of {repo} (HTTP 403: {message}).")
    count = contributors_count(fetched)
    out.rows.append(
        MetricRow(
            SNAPSHOT.id, "github-contributors", fw.id, job.today.isoformat(), count,
            METHOD["github-contributors"],
        )
    )  # fmt: skip
    if fetched.etag:
        out.etags[key] = fetched.etag


def _message(fetched: Fetched) -> str:
    try:
        body = fetched.json()
    except ValueError:
        return fetched.text()[:200]
    return str(body.get("message", "")) if isinstance(body, dict) else ""


async def _history(
    job: Job,
    fw: Framework,
    repo: str,
    headers: dict[str, str],
    budget: _Budget,
    created_at: str | None,
    reserve: int,
    out: Collected,
) -> None:
    """The newest page, conditionally; older pages only when the store cannot anchor it."""
    path = f"/repos/{repo}/stargazers/history"
    hist_headers = {**headers, "X-GitHub-Api-Version": HISTORY_API_VERSION}
    first = {"per_page": HISTORY_PER_PAGE, "page": 1}
    key = _key(job, path, first)
    stored_span = await job.read(db.date_span, HISTORY.id, "github-stars", fw.id)
    etag = (await job.read(db.etags, [key])).get(key) if stored_span else None
    pages = pages_for(created_at, job.today) if created_at else 1
    if stored_span is None and not _fits(budget, pages, reserve):
        _later(out, budget, fw, repo, pages)  # a backfill that does not fit: not even one page
        return
    fetched = await _get(job, path, first, hist_headers, etag, budget)
    if fetched.not_modified:
        return
    if fetched.status == 404:
        out.notes.append(f"github-stars {fw.id}: GitHub has no star history for {repo} (HTTP 404)")
        return
    weeks = parse_weeks(load_json(fetched.body, f"GitHub's star history of {repo}"), repo)
    links = parse_links(fetched.headers.get("Link"))
    if not weeks:
        return
    nxt = _next_page(links, path, weeks, 1)
    if nxt is None:  # the whole history on one page
        out.rows += transform_history(fw, weeks, job.today)
        _keep(out, key, fetched)
        return
    oldest = min(w for w, _ in weeks)
    anchor_day = week_end(oldest) - dt.timedelta(days=7)
    anchor = await job.read(db.value_at, HISTORY.id, "github-stars", fw.id, anchor_day.isoformat())
    if anchor is not None:
        out.rows += transform_history(fw, weeks, job.today, start=int(anchor.value))
        _keep(out, key, fetched)
        return
    # A backfill: every page back to the first week (the Link header names the last).
    last = page_of(links.get("last", "")) if "last" in links else None
    need = (last or pages_for(created_at, job.today)) - 1
    if not _fits(budget, need, reserve):
        _later(out, budget, fw, repo, need + 1)
        return
    everything = list(weeks)
    url: str | None = nxt
    pages = 1
    while url is not None:
        pages += 1
        if pages > HISTORY_MAX_PAGES:
            raise SourceFault(f"GitHub's star history of {repo} runs past {pages - 1} pages.")
        page = await job.http.get(NAME, url, headers=hist_headers, check=check_json_like)
        budget.saw(page)
        chunk = parse_weeks(load_json(page.body, f"GitHub's star history of {repo}"), repo)
        if not chunk:
            break
        everything += chunk
        url = _next_page(parse_links(page.headers.get("Link")), path, chunk, pages)
    out.rows += transform_history(fw, everything, job.today)
    _keep(out, key, fetched)


def _fits(budget: _Budget, requests: int, reserve: int) -> bool:
    return budget.remaining is None or requests <= budget.remaining - reserve


def _later(out: Collected, budget: _Budget, fw: Framework, repo: str, requests: int) -> None:
    """A star-history backfill that does not fit in what is left of the hour: a later run's."""
    out.notes.append(
        f"github-stars {fw.id}: the star history of {repo} needs about {requests} requests and "
        f"GitHub allows {budget.remaining} more this hour; set GITHUB_TOKEN, or a later run "
        "collects it"
    )
    budget.left.append(fw.id)


def _next_page(links: dict[str, str], path: str, chunk: list, page: int) -> str | None:
    """The next page: the ``Link`` header's, or, from a server that pages without one, the
    following page number while pages come back full."""
    if "next" in links:
        return links["next"]
    if links or len(chunk) < HISTORY_PER_PAGE:
        return None  # a Link header without "next" (the last page), or a short page
    return f"{path}?{urlencode({'per_page': HISTORY_PER_PAGE, 'page': page + 1})}"


def _keep(out: Collected, key: str, fetched: Fetched) -> None:
    if fetched.etag:
        out.etags[key] = fetched.etag
