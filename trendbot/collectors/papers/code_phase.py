"""The ``code`` method's phase of a paper collection: read the repositories a venue-year's papers
link as their own, and rebuild its ``code`` counts.

Why a phase of its own, after the papers: a paper's links are found while its PDF is read, but a
repository belongs to no paper (many papers link one) and is read from GitHub under its own
hourly quota. So per venue-year, once its papers are read (also when none were left to read):

1. ``storage.code.repos_to_check``: own GitHub repositories never read, read with another rule,
   or last read more than ``RECHECK_DAYS`` ago (a re-check sends the ETags: one 304 when
   nobody pushed);
2. ``collectors.code.repo.check_repo`` for each, a few at once through the run's HTTP client
   (GitHub's policy paces them), each repository once per run however many papers or
   venue-years link it (``CodeRun``);
3. saved in batches with ``storage.papers.save_repos``, the last one with the venue-year's
   ``code`` counts, so they change once.

A spent quota (``QuotaSpent``) stops the phase, and GitHub is not asked again in the run: what
was read is kept, the counts are written with the rest ``unread``, and the next run goes on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from trendbot.collectors.code import terms
from trendbot.collectors.code.repo import (
    API,
    RAW,
    CodeCheck,
    Evidence,
    api_headers,
    check_repo,
    github_token,
)
from trendbot.collectors.codelinks import CodeLink
from trendbot.collectors.http import FetchError, HttpClient, QuotaSpent, check_json
from trendbot.storage import code as code_db

log = logging.getLogger("trendbot.collect.code")

AT_ONCE = 4  # repositories checked at once; GitHub's policy (1 request/s) paces them anyway
FLUSH_EVERY = 25  # repositories per transaction
FLUSH_SECONDS = 5.0
# Requests per repository, measured by bench/bench_code_repos.py (docs/performance.md): a first
# check asks the API 2.46 times and the raw file host 0.82 times; a re-check of an unchanged
# repository is one request, a 304 that costs no quota with a token.
FIRST_API, FIRST_RAW = 2.46, 0.82
RECHECK_API, RECHECK_QUOTA_WITH_TOKEN = 1.0, 0.02
UNKNOWN_SHARE = 0.5  # papers linking their own code, when no searched paper says otherwise
MIN_SAMPLE = 20  # searched papers a venue-year needs before its own share is used
HOURLY_WITHOUT_TOKEN, HOURLY_WITH_TOKEN = 60, 5000  # GitHub's primary limits (core)

# A framework's display name (what ``check_repo`` says) → its id (what the store keeps).
_IDS = {
    name: name.lower()
    for name in (terms.PYTORCH, terms.TENSORFLOW, terms.JAX, terms.MXNET, terms.PADDLE,
                 terms.MINDSPORE)
}  # fmt: skip
_NAMES = {v: k for k, v in _IDS.items()}


def _id(name: str) -> str:
    return _IDS.get(name, name.lower())


def link_row(link: CodeLink) -> code_db.LinkRow:
    """A worker's ``CodeLink`` as the store keeps it."""
    return code_db.LinkRow(
        link.host, link.repo, link.url, link.kind, link.own, link.tool, link.why,
        tuple(link.pages), link.first_page, link.abstract, link.code_sentence,
    )  # fmt: skip


def repo_row(todo: code_db.RepoTodo, check: CodeCheck) -> code_db.RepoRow:
    """A ``CodeCheck`` as the store keeps it: frameworks and outcome as ids (``pytorch``)."""
    return code_db.RepoRow(
        host=todo.host,
        repo=todo.repo,
        outcome=_id(check.outcome),
        rule=check.rule,
        checked_at=check.checked_at,
        frameworks=tuple(_id(f) for f in check.frameworks),
        evidence=tuple(
            code_db.EvidenceRow(e.file, e.line, e.text, _id(e.framework)) for e in check.evidence
        ),
        decided_by=check.decided_by,
        read=tuple(check.read),
        moved_to=check.moved_to,
        default_branch=check.default_branch,
        etags=dict(check.etags),
        sbom_python=check.sbom_python,
        api_requests=check.api_requests,
        raw_requests=check.raw_requests,
    )


def previous_check(row: code_db.RepoRow) -> CodeCheck:
    """A stored check as ``check_repo``'s ``previous`` (its ETags make the next one a re-check)."""
    return CodeCheck(
        repo=row.repo,
        outcome=_NAMES.get(row.outcome, row.outcome),
        frameworks=tuple(_NAMES.get(f, f) for f in row.frameworks),
        evidence=tuple(
            Evidence(e.file, e.line, e.text, _NAMES.get(e.framework, e.framework))
            for e in row.evidence
        ),
        moved_to=row.moved_to,
        decided_by=row.decided_by,
        read=row.read,
        sbom_python=row.sbom_python,
        full_name=row.moved_to or row.repo,
        default_branch=row.default_branch,
        rule=row.rule,
        checked_at=row.checked_at,
        etags=dict(row.etags),
    )


# -- what a venue-year's phase did ----------------------------------------------------------------
@dataclass
class CodeFigures:
    """The code phase of one venue-year (``Report.code``): repositories read now (``unchanged``
    of them answered 304), read earlier in this run for another venue-year (``shared``), left
    for a later run, and the GitHub requests it cost (API and raw file host). A dry run fills
    the plan instead: ``known`` repositories to read, ``estimated`` more for papers not read
    yet (``share`` of them linking their own code), and the requests that takes."""

    read: int = 0
    unchanged: int = 0
    moved: int = 0
    gone: int = 0
    shared: int = 0
    failed: int = 0  # a fault that survived the retries (5xx, timeouts): read by the next run
    left: int = 0
    api_requests: int = 0
    raw_requests: int = 0
    skipped: str = ""  # why the phase read nothing ("--no-code", "GitHub's quota is spent")
    quota_resets: float | None = None  # the quota ran out in this phase (or before, this run)
    # a dry run's plan
    known: int = 0
    rechecks: int = 0  # of the known ones, re-checks (ETags: a 304 if nothing changed)
    estimated: int = 0
    share: float | None = None
    share_from: str = ""

    @property
    def requests(self) -> int:
        return self.api_requests + self.raw_requests

    @property
    def first_checks(self) -> int:
        """Repositories the plan reads for the first time (known or estimated)."""
        return self.known - self.rechecks + self.estimated

    def planned_api(self, per_recheck: float = RECHECK_API) -> float:
        return self.first_checks * FIRST_API + self.rechecks * per_recheck

    def planned_quota(self, token: bool) -> float:
        """The API requests the hourly quota counts: with a token a re-check's 304 is free."""
        return self.planned_api(RECHECK_QUOTA_WITH_TOKEN if token else RECHECK_API)

    def planned_raw(self) -> float:
        return self.first_checks * FIRST_RAW

    def as_json(self, dry_run: bool = False) -> dict[str, Any]:
        if dry_run:
            return {
                "repos_known": self.known,
                "rechecks": self.rechecks,
                "repos_estimated": self.estimated,
                "share": None if self.share is None else round(self.share, 3),
                "share_from": self.share_from,
                "api_requests": round(self.planned_api()),
                "raw_requests": round(self.planned_raw()),
            }
        out: dict[str, Any] = {
            "read": self.read,
            "unchanged": self.unchanged,
            "left": self.left,
            "api_requests": self.api_requests,
            "raw_requests": self.raw_requests,
        }
        if self.shared:
            out["shared"] = self.shared
        if self.failed:
            out["failed"] = self.failed
        if self.moved or self.gone:
            out.update(moved=self.moved, gone=self.gone)
        if self.skipped:
            out["skipped"] = self.skipped
        return out


# -- the run's shared state ---------------------------------------------------------------------
@dataclass(frozen=True)
class RateLimit:
    """GitHub's ``GET /rate_limit`` ``resources.core``: requests an hour, left, reset (epoch)."""

    limit: int
    remaining: int
    reset: float | None
    token: bool
    answered: bool = True  # False: GitHub did not answer; the documented limit is assumed


@dataclass
class CodeRun:
    """What every venue-year of one run shares: each repository's check (read once however
    many venue-years link it), the spent quota (GitHub is not asked again), the rate limit."""

    checks: dict[str, asyncio.Task] = field(default_factory=dict)
    spent: QuotaSpent | None = None
    rate_limit: RateLimit | None = None

    async def check(self, http: HttpClient, todo: code_db.RepoTodo) -> tuple[CodeCheck, bool]:
        """(the check, whether this run had already read it for another venue-year)."""
        task = self.checks.get(todo.key)
        shared = task is not None
        if task is None:
            previous = previous_check(todo.previous) if todo.previous else None
            task = asyncio.ensure_future(check_repo(http, todo.repo, previous))
            self.checks[todo.key] = task
        try:
            return await asyncio.shield(task), shared
        except QuotaSpent as exc:
            self.spent = self.spent or exc
            raise


def has_token(http: HttpClient) -> bool:
    return bool(github_token(http))


async def rate_limit(http: HttpClient) -> RateLimit:
    """GitHub's ``GET /rate_limit`` (it costs no quota): the core limit, what is left of it and
    when it resets. When GitHub does not answer, the documented limit (60 an hour without a
    token, 5,000 with one) with ``answered`` False."""
    token = has_token(http)
    try:
        got = await asyncio.wait_for(
            http.get(API, "/rate_limit", headers=api_headers(http), check=check_json, timeout=10),
            20,
        )
        core = (got.json().get("resources") or {}).get("core") or got.json().get("rate") or {}
        return RateLimit(int(core["limit"]), int(core["remaining"]), float(core["reset"]), token)
    except (FetchError, TimeoutError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.info("GitHub's /rate_limit did not answer (%s)", type(exc).__name__)
        hourly = HOURLY_WITH_TOKEN if token else HOURLY_WITHOUT_TOKEN
        return RateLimit(hourly, hourly, None, token, answered=False)


@dataclass(frozen=True)
class CodePlan:
    """A dry run's code phase over all its venue-years, against GitHub's quota: repositories
    known and estimated, the requests they take (``FIRST_API`` … measured), and how long that
    is at the quota and at trendbot's own pacing of GitHub (the longer one binds)."""

    known: int
    rechecks: int
    estimated: int
    api_requests: int
    raw_requests: int
    quota_requests: int  # of the API requests, the ones the quota counts (304s with a token not)
    rate_limit: RateLimit
    pacing: float  # trendbot's GitHub requests a second (its policy)

    @classmethod
    def of(cls, planned: Sequence[CodeFigures], limit: RateLimit, pacing: float) -> CodePlan:
        return cls(
            known=sum(f.known for f in planned),
            rechecks=sum(f.rechecks for f in planned),
            estimated=sum(f.estimated for f in planned),
            api_requests=round(sum(f.planned_api() for f in planned)),
            raw_requests=round(sum(f.planned_raw() for f in planned)),
            quota_requests=round(sum(f.planned_quota(limit.token) for f in planned)),
            rate_limit=limit,
            pacing=pacing,
        )

    def quota_seconds(self, now: float) -> float:
        """How long the quota makes it take: nothing while it lasts; past what is left, a full
        hour's limit per hour after the next reset."""
        over = self.quota_requests - self.rate_limit.remaining
        if over <= 0:
            return 0.0
        first = max(0.0, (self.rate_limit.reset or now + 3600) - now)
        return first + 3600 * (math.ceil(over / max(1, self.rate_limit.limit)) - 1)

    def pacing_seconds(self) -> float:
        return self.api_requests / self.pacing if self.pacing > 0 else 0.0

    def as_json(self, now: float) -> dict[str, Any]:
        lim = self.rate_limit
        return {
            "repos_known": self.known,
            "rechecks": self.rechecks,
            "repos_estimated": self.estimated,
            "api_requests": self.api_requests,
            "quota_requests": self.quota_requests,
            "raw_requests": self.raw_requests,
            "rate_limit": {
                "limit": lim.limit,
                "remaining": lim.remaining,
                "reset": None if lim.reset is None else int(lim.reset),
                "token": lim.token,
                "answered": lim.answered,
            },
            "seconds_at_quota": round(self.quota_seconds(now)),
            "seconds_at_pacing": round(self.pacing_seconds()),
        }


def plan(
    figures: CodeFigures,
    todo: Sequence[code_db.RepoTodo],
    rule: str,
    papers_to_read: int,
    share: tuple[int, int],
    store_share: tuple[int, int],
) -> None:
    """A dry run's plan of one venue-year into ``figures``: the known repositories (``todo``),
    and for ``papers_to_read`` an estimate from the share of searched papers linking their
    own code (the venue-year's with ``MIN_SAMPLE`` papers, else the store's, else ~50 %)."""
    figures.known = len(todo)
    figures.rechecks = sum(1 for t in todo if t.previous is not None and t.previous.rule == rule)
    (searched, linked), (all_searched, all_linked) = share, store_share
    if searched >= MIN_SAMPLE:
        figures.share, figures.share_from = linked / searched, "this venue-year's papers"
    elif all_searched >= MIN_SAMPLE:
        figures.share, figures.share_from = all_linked / all_searched, "the papers read so far"
    else:
        figures.share, figures.share_from = UNKNOWN_SHARE, "no papers read yet: ~50 %"
    figures.estimated = math.ceil(papers_to_read * figures.share) if papers_to_read else 0


def recheck_before(days: float) -> str:
    """The moment before which a repository's last check is due again (checked_at's format)."""
    when = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=days)
    return when.isoformat()


async def read_repos(
    run: CodeRun,
    http: HttpClient,
    todo: Sequence[code_db.RepoTodo],
    figures: CodeFigures,
    save: Callable[[list[code_db.RepoRow]], Awaitable[Any]],
) -> None:
    """Check ``todo`` (``AT_ONCE`` at a time) and ``save`` the rows in batches (the caller saves
    the last batch with the counts). Stops at a spent quota, leaving the rest in ``left``."""
    if run.spent is not None:
        figures.left = len(todo)
        figures.skipped = "GitHub's quota is spent"
        figures.quota_resets = run.spent.resets_at
        return
    pending = list(reversed(todo))  # most-linked first (repos_to_check's order)
    batch: list[code_db.RepoRow] = []
    loop = asyncio.get_running_loop()
    last_flush = loop.time()
    done = 0

    async def flush() -> None:
        nonlocal batch, last_flush
        rows, batch = batch, []
        last_flush = loop.time()
        if rows:
            await asyncio.shield(save(rows))

    async def worker() -> None:
        nonlocal done
        while pending and run.spent is None:
            item = pending.pop()
            try:
                check, shared = await run.check(http, item)
            except QuotaSpent:
                pending.append(item)
                return
            except (FetchError, ValueError) as exc:  # this repository only: the next run retries
                reason = exc.reason if isinstance(exc, FetchError) else str(exc)
                log.warning("could not read %s (%s); left for the next run", item.repo, reason)
                figures.failed += 1
                continue
            done += 1
            batch.append(repo_row(item, check))
            if shared:
                figures.shared += 1
            else:
                figures.read += 1
                figures.unchanged += check.unchanged
                figures.api_requests += check.api_requests
                figures.raw_requests += check.raw_requests
            figures.moved += check.moved_to is not None and not check.unchanged
            figures.gone += check.outcome == code_db.GONE
            if len(batch) >= FLUSH_EVERY or loop.time() - last_flush > FLUSH_SECONDS:
                await flush()

    try:
        async with asyncio.TaskGroup() as tg:
            for _ in range(min(AT_ONCE, len(todo))):
                tg.create_task(worker())
    finally:
        await flush()  # what was read stays, also when interrupted
    figures.left = len(todo) - done  # failed ones included: unread until a later run
    if run.spent is not None:
        figures.quota_resets = run.spent.resets_at
        log.info("GitHub's quota is spent: %d repositories left for a later run", figures.left)


__all__ = [
    "API",
    "RAW",
    "CodeFigures",
    "CodePlan",
    "CodeRun",
    "RateLimit",
    "link_row",
    "plan",
    "rate_limit",
    "read_repos",
    "recheck_before",
    "repo_row",
]
