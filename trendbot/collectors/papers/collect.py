"""A paper collection: list a venue-year, read every paper's PDF, record what it names, count.

fetch → transform → save, per venue-year:

1. **List** the venue-year from its source (``list_papers``) and record the listing; a listing
   already stored is reused (papers never change after publication), unless it is the current
   year's (proceedings still grow), ``refresh`` is asked for, or there is none yet.
2. **Read** every main paper not yet read with the current rule versions (new, failed before,
   or read under older rules): PDFs are downloaded through the shared ``HttpClient`` (polite per
   source, retried with backoff) a few at a time, and read in ``PaperPool`` worker processes
   (pypdfium2 text + every rule set), never on the event loop. PDFs are not kept, unless
   ``keep_pdfs`` names a folder (where later runs read them from instead of downloading).
3. **Save** results in batches (one transaction each), so a run killed at any point loses at most
   one batch of work and a re-run neither reads a paper twice nor loses one; when no paper is
   left, the last batch and the venue-year's ``paper_counts`` go in one transaction.
4. **Code** (a run with the ``code`` method): the links each paper's text gave are saved with it;
   then the own repositories still to read are read from GitHub (``code_phase``), and the
   venue-year's counts, every method's, are written once with the last of them.

Failures of one paper are recorded (with the reason) and retried on later runs; they count in
the total, as the study's did. A transient fault (5xx after the retries, a timeout, a quota) is
retried on every run; a permanent one (a 404, a file that is not a PDF, no PDF link) at most every
``RETRY_PERMANENT_DAYS`` days or with ``refresh`` (``storage/papers.py``). A paper recovered this
way is counted, and the venue-year's figures are rebuilt with it (``Report.recovered``).
Failures of a venue-year (its listing) are recorded in
``collection_runs`` and the collection moves on to the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trendbot.collectors import codelinks
from trendbot.collectors.code import terms
from trendbot.collectors.http import FetchError, HttpClient
from trendbot.collectors.papers import (
    CollectError,
    Listing,
    canonical_venue,
    code_phase,
    list_papers,
    openreview,
    source_for,
)
from trendbot.collectors.papers.base import QuotaLeft
from trendbot.collectors.pdftext import PoolError
from trendbot.collectors.policy import SourcePolicy
from trendbot.collectors.quota import iso
from trendbot.config import ConfigError, Settings, without_password
from trendbot.storage import Method, Store, paper_queries, runs
from trendbot.storage import code as code_db
from trendbot.storage import papers as db
from trendbot.storage.collectable import COLLECTED_METHODS
from trendbot.storage.files import replace_file

log = logging.getLogger("trendbot.collect.papers")

FLUSH_EVERY = 50  # results per transaction: at most this much work is lost to a kill -9
FLUSH_SECONDS = 5.0

# The ``sources`` rows of collected counts: one per paper source, kind "collection".
SOURCES: dict[str, dict[str, str]] = {
    "neurips": {
        "name": "NeurIPS proceedings (papers.nips.cc), read by trendbot",
        "citation": "Advances in Neural Information Processing Systems, proceedings at "
        "papers.nips.cc; every paper's PDF read and counted by trendbot",
        "setting": "NEURIPS_BASE_URL",
    },
    "pmlr": {
        "name": "PMLR proceedings of ICML (proceedings.mlr.press), read by trendbot",
        "citation": "Proceedings of Machine Learning Research (ICML volumes); every paper's PDF "
        "read and counted by trendbot",
        "setting": "PMLR_BASE_URL",
    },
    "cvf": {
        "name": "CVF Open Access (openaccess.thecvf.com), read by trendbot",
        "citation": "Computer Vision Foundation open access proceedings (CVPR, ICCV, ECCV 2018); "
        "every paper's PDF read and counted by trendbot",
        "setting": "CVF_BASE_URL",
    },
    "ecva": {
        "name": "ECVA proceedings of ECCV (ecva.net), read by trendbot",
        "citation": "European Computer Vision Association, ECCV papers; every paper's PDF read "
        "and counted by trendbot",
        "setting": "ECVA_BASE_URL",
    },
    "acl": {
        "name": "ACL Anthology (aclanthology.org), read by trendbot",
        "citation": "ACL Anthology collection metadata (github.com/acl-org/acl-anthology) and "
        "PDFs; every paper read and counted by trendbot",
        "setting": "ACL_ANTHOLOGY_BASE_URL",
    },
    "openreview": {
        "name": "OpenReview (openreview.net), read by trendbot",
        "citation": "OpenReview API: accepted papers by venue id and their PDFs; every paper "
        "read and counted by trendbot",
        "setting": "OPENREVIEW_BASE_URL",
    },
}


def source_id(source: str) -> str:
    return f"trendbot-{source}"


def _today() -> datetime:
    return datetime.now(UTC)


# -- options and reports -------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    refresh: bool = False  # list again even when a listing is stored; retry every failure now
    all_tracks: bool = False  # also read papers outside the main population
    dry_run: bool = False  # list and say what would be read; download and store nothing
    keep_pdfs: Path | None = None
    rate: float | None = None  # requests per second per source, instead of each one's default
    downloads: int = 4  # PDFs downloading at once
    workers: int | None = None  # PDF reader processes (default: one per core)
    timeout: float | None = None  # seconds per PDF in the reader
    flush_every: int = FLUSH_EVERY
    methods: tuple[str, ...] = COLLECTED_METHODS
    # The code method's repository phase (GitHub): False skips it (``--no-code``); the links
    # are still found and stored, and the counts written with the repositories left unread.
    code_repos: bool = True
    recheck_days: float = code_db.RECHECK_DAYS  # a repository read longer ago is asked again


@dataclass
class Report:
    """One venue-year's outcome: what the ``--json`` line and the run record say."""

    venue: str
    year: int
    source: str = ""
    population: str = ""
    listed: int = 0  # main papers in the listing
    read_now: int = 0  # papers read (or attempted) in this run
    to_read: int = 0
    total: int = 0
    failed: int = 0
    no_text: int = 0
    pending: int = 0
    retried: int = 0  # papers that had failed before and were tried again in this run
    recovered: int = 0  # of those, read now
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    written: bool = False
    error: str | None = None
    quota_resets: float | None = None  # the error is a spent quota (not a fault): when it resets
    quota: bool = False  # the error is a spent quota: the run is ``quota``, not ``failed``
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)
    code: code_phase.CodeFigures | None = None  # the code method's phase (None: not in the run)

    def as_json(self) -> dict[str, Any]:
        if self.error:
            out = {"venue": self.venue, "year": self.year, "error": self.error}
            if self.quota:
                out["quota"] = {"resets_at": iso(self.quota_resets), "left": ["its listing"]}
            return out
        out: dict[str, Any] = {"venue": self.venue, "year": self.year}
        if self.dry_run:
            out.update(source=self.source, listed=self.listed, to_read=self.to_read)
            if self.code is not None:
                out["code"] = self.code.as_json(dry_run=True)
            return out
        out.update(
            total=self.total,
            failed=self.failed,
            no_text=self.no_text,
            counts=self.counts,
            source=self.source,
            population=self.population,
        )
        if self.pending:
            out["pending"] = self.pending
        if self.retried:
            out["recovered"] = self.recovered
            out["still_failing"] = self.still_failing
        if self.code is not None:
            out["code"] = self.code.as_json()
            if self.quota:
                out["code"]["quota"] = {
                    "resets_at": iso(self.quota_resets),
                    "left": [f"{self.code.left} repositories"],
                }
        return out

    @property
    def still_failing(self) -> int:
        return self.retried - self.recovered


class Progress:
    """What a collection tells whoever watches it; the CLI draws a bar, tests record."""

    def start(self, venue: str, year: int, todo: int) -> None: ...

    def advance(self, ok: bool) -> None: ...

    def finish(self, report: Report) -> None: ...


# -- the collector --------------------------------------------------------------------------------
class PaperCollector:
    """Collects venue-years into ``store``. One per run; use as an async context manager."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        options: Options | None = None,
        *,
        progress: Progress | None = None,
        http: HttpClient | None = None,
        pool: Any = None,
        writer: ThreadPoolExecutor | None = None,
        code_run: code_phase.CodeRun | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.options = options or Options()
        self.progress = progress or Progress()
        self._http = http
        self._own_http = http is None
        self._pool = pool
        self._own_pool = pool is None
        # One thread does every database call: the store's connection is used by one thread
        # at a time, and the event loop never waits on SQLite. Collectors of one run (one per
        # host, see ``hosts``) share it: one writer.
        self._own_db = writer is None
        self._db = writer or ThreadPoolExecutor(max_workers=1, thread_name_prefix="trendbot-db")
        self.code_run = code_run or code_phase.CodeRun()  # shared by the run's siblings

    async def __aenter__(self) -> PaperCollector:
        if self._http is None:
            policies = None
            if self.options.rate:
                from trendbot.collectors.policy import DEFAULT_POLICIES

                policies = {
                    name: replace(p, rate=self.options.rate, burst=max(1, int(self.options.rate)))
                    for name, p in DEFAULT_POLICIES.items()
                }
            self._http = HttpClient(self.settings, policies=policies, env=self.settings.extra)
            await self._http.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pool is not None and self._own_pool:
            await self._pool.aclose()
        if self._http is not None and self._own_http:
            await self._http.close()
        if self._own_db:
            self._db.shutdown(wait=True)

    def sibling(self, progress: Progress) -> PaperCollector:
        """A collector for the same run that shares this one's HTTP client (every source's rate
        and concurrency limits stay the run's, however many collectors ask it), PDF pool (made
        now, started by the first PDF) and database thread (one writer). This one, as the
        context manager, closes them; a sibling needs no ``async with``."""
        assert self._http is not None, "use PaperCollector as an async context manager"
        if self._pool is None:
            self._pool = self._make_pool()
        return PaperCollector(
            self.store, self.settings, self.options, progress=progress, http=self._http,
            pool=self._pool, writer=self._db, code_run=self.code_run,
        )  # fmt: skip

    async def _in_db(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, lambda: fn(*args, **kwargs))

    @property
    def http(self) -> HttpClient:
        assert self._http is not None, "use PaperCollector as an async context manager"
        return self._http

    async def _reader(self) -> Any:
        if self._pool is None:
            self._pool = self._make_pool()
            await self._pool.start()
        return self._pool

    def _make_pool(self) -> Any:
        """The run's ``PaperPool``, not started yet (its first ``analyse`` starts it)."""
        from trendbot.collectors.pdftext import PaperPool

        kwargs: dict[str, Any] = {"rulesets": self.rulesets()}
        if self.options.workers:
            kwargs["workers"] = self.options.workers
        if self.options.timeout:
            kwargs["timeout"] = self.options.timeout
        return PaperPool(**kwargs)

    def _reader_count(self) -> int:
        """How many reader processes there are (or will be, once ``_reader`` starts them)."""
        if self._pool is not None:
            return max(1, getattr(self._pool, "workers", 2))
        from trendbot.collectors.pdftext import default_workers

        return max(1, self.options.workers or default_workers())

    def methods(self) -> list[Method]:
        by_name = {m.name: m for m in self.store.methods().values()}
        missing = [n for n in self.options.methods if n not in by_name]
        if missing:
            raise CollectError(f"The store has no counting method {', '.join(missing)}.")
        return [by_name[n] for n in self.options.methods]

    def rulesets(self) -> tuple:
        from trendbot.collectors.detect import RuleSet

        return tuple(RuleSet.from_record(m) for m in self.methods() if not m.is_code)

    # -- one venue-year ---------------------------------------------------------------------------
    async def collect(self, venue: str, year: int) -> Report:
        """Collect one venue-year; never raises for a source fault (the report says what)."""
        try:
            venue = canonical_venue(venue)
            source = source_for(venue, year)
        except CollectError as exc:
            return Report(venue, year, error=str(exc))
        report = Report(venue, year, source=source, dry_run=self.options.dry_run)
        venue_id = self.store.aliases().get(venue.lower())
        if venue_id is None:
            report.error = f"The store has no venue {venue}."
            return report
        methods = self.methods()
        rules = {m.id: m.version for m in methods}
        run_id = None
        if not self.options.dry_run:
            run_id = await self._in_db(
                runs.start_run,
                self.store.conn,
                "papers",
                {"venue_id": venue_id, "year": year, "source": source},
            )
        try:
            listing = await self._listing(venue, venue_id, year, source, report)
            if self.options.dry_run:
                await self._plan_code(venue_id, year, methods, report)
                return report
            todo = await self._in_db(
                db.todo, self.store.conn, venue_id, year, rules,
                all_tracks=self.options.all_tracks, retry_permanent=self.options.refresh,
            )  # fmt: skip
            report.to_read = len(todo)
            report.retried = sum(1 for t in todo if t.status == "failed")
            agg = db.Aggregate(
                venue_id,
                year,
                source_id(source),
                methods,
                population="accepted",
                note=report.population,
            )
            # With the code method, the venue-year's counts (every method's) are written by its
            # repository phase, once the repositories are read: they change once, in one
            # transaction, and subscribers hear of the venue-year once.
            has_code = any(m.is_code for m in methods)
            totals = await self._read_all(
                source, venue, year, todo, methods, None if has_code else agg, report
            )
            if has_code:
                totals = await self._code(agg, report)
            report.total, report.failed, report.no_text = (
                totals.total,
                totals.failed,
                totals.no_text,
            )
            report.pending, report.counts, report.written = (
                totals.pending,
                totals.counts,
                totals.written,
            )
            if listing is not None and listing.missing_pdfs():
                report.notes.append(f"{listing.missing_pdfs()} main papers have no PDF link")
        except QuotaLeft as exc:  # not a fault: the venue-year waits for the reset
            report.error, report.quota, report.quota_resets = str(exc), True, exc.resets_at
        except (CollectError, ConfigError) as exc:  # ConfigError: a base URL setting, named
            report.error = str(exc)
        except FetchError as exc:
            report.error = f"Could not collect {venue} {year}: {exc.reason}"
        except PoolError as exc:
            report.error = f"Could not read the PDFs of {venue} {year}: {exc}"
        except Exception as exc:  # a bug: the log has the traceback, the run goes on
            log.exception("collecting %s %s failed", venue, year)
            report.error = f"Could not collect {venue} {year}: {type(exc).__name__} (see the log)"
        finally:
            if run_id is not None:
                status = (
                    "quota" if report.quota
                    else "failed" if report.error
                    else "ok" if report.written and not report.failed
                    else "partial"
                )  # fmt: skip
                await asyncio.shield(
                    self._in_db(
                        runs.finish_run,
                        self.store.conn,
                        run_id,
                        status,
                        report.read_now,
                        {
                            "venue_id": venue_id,
                            "year": year,
                            "source": source,
                            **report.as_json(),
                            "http": self.http.stats.as_dict(),
                        },
                    )
                )
        return report

    # -- the code method: its repositories ---------------------------------------------------------
    async def _code(self, agg: db.Aggregate, report: Report) -> db.Totals:
        """Read the venue-year's own repositories still to read (``code_phase``), then write
        the venue-year's counts (``agg``: every method's) in one transaction, also when the
        phase stopped early; a spent quota makes the run ``quota``."""
        figures = report.code = code_phase.CodeFigures()
        todo = await self._in_db(
            code_db.repos_to_check, self.store.conn, agg.venue_id, agg.year,
            rule=terms.RULE_VERSION,
            recheck_before=code_phase.recheck_before(self.options.recheck_days),
        )  # fmt: skip

        async def save(rows: list[code_db.RepoRow]) -> None:
            await self._in_db(db.save_repos, self.store.conn, rows)

        try:
            if not self.options.code_repos:
                figures.left, figures.skipped = len(todo), "--no-code"
            elif todo:
                log.info("%s %s: %d repositories to read", report.venue, report.year, len(todo))
                await code_phase.read_repos(self.code_run, self.http, todo, figures, save)
        finally:  # the papers read are counted even when the phase stops (Ctrl-C, a bug)
            totals = await asyncio.shield(
                self._in_db(db.save_repos, self.store.conn, [], aggregate=agg)
            )
        if figures.quota_resets is not None or (figures.left and self.code_run.spent):
            report.quota, report.quota_resets = True, figures.quota_resets
        return totals

    async def _plan_code(
        self, venue_id: str, year: int, methods: Sequence[Method], report: Report
    ) -> None:
        """A dry run's plan of the code phase (``Report.code``): no GitHub request here."""
        if not any(m.is_code for m in methods) or not self.options.code_repos:
            return
        report.code = code_phase.CodeFigures()

        def read() -> tuple:
            conn = self.store.conn
            todo = code_db.repos_to_check(
                conn, venue_id, year, rule=terms.RULE_VERSION,
                recheck_before=code_phase.recheck_before(self.options.recheck_days),
            )  # fmt: skip
            return todo, code_db.link_share(conn, venue_id, year), code_db.link_share(conn)

        todo, share, store_share = await self._in_db(read)
        code_phase.plan(report.code, todo, terms.RULE_VERSION, report.to_read, share, store_share)

    async def code_plan(self, reports: Sequence[Report]) -> code_phase.CodePlan | None:
        """A dry run's code plan over its venue-years, against GitHub's quota (``GET
        /rate_limit``, which costs none, asked once); None when there is nothing to read."""
        planned = [r.code for r in reports if r.code is not None and not r.error]
        if not planned or not any(f.known or f.estimated for f in planned):
            return None
        if self.code_run.rate_limit is None:
            self.code_run.rate_limit = await code_phase.rate_limit(self.http)
        rate = self.http.policy(code_phase.API).rate
        return code_phase.CodePlan.of(planned, self.code_run.rate_limit, rate)

    async def _listing(
        self, venue: str, venue_id: str, year: int, source: str, report: Report
    ) -> Listing | None:
        """Fetch and record the listing when needed; fills the report's listing figures."""
        stored = await self._in_db(paper_queries.listing_states, self.store.conn, venue_id, year)
        current = stored[0] if stored else None
        fresh_enough = current is not None and (
            year < _today().year or current.fetched_at[:10] == _today().date().isoformat()
        )
        if current is not None and fresh_enough and not self.options.refresh:
            report.population, report.listed = current.population, current.main
            if self.options.dry_run:  # what a run would read: failures not due yet excluded
                rules = {m.id: m.version for m in self.methods()}
                todo = await self._in_db(
                    db.todo, self.store.conn, venue_id, year, rules,
                    all_tracks=self.options.all_tracks,
                )  # fmt: skip
                report.to_read = len(todo)
            return None
        listing = await list_papers(self.http, venue, year, source=source)
        report.population, report.listed = listing.population, listing.main_count
        report.notes.extend(listing.notes)
        if self.options.dry_run:
            done = await self._in_db(self._done_ids, venue_id, year)
            report.to_read = sum(1 for p in listing.main if p.key not in done)
            return listing
        await self._in_db(self._save_listing, venue_id, source, listing)
        return listing

    def _done_ids(self, venue_id: str, year: int) -> set[str]:
        rows = self.store.conn.execute(
            "SELECT id FROM papers WHERE venue_id = ? AND year = ? AND status IN ('ok','no_text')",
            (venue_id, year),
        ).fetchall()
        return {r[0] for r in rows}

    def _save_listing(self, venue_id: str, source: str, listing: Listing) -> int:
        info = SOURCES[source]
        db.ensure_source(
            self.store.conn,
            {
                "id": source_id(source),
                "name": info["name"],
                "url": without_password(self.settings.source_urls.get(info["setting"], "")),
                "citation": info["citation"],
                "kind": "collection",
            },
        )
        self.store.conn.commit()
        self.store.refresh()
        return db.save_listing(
            self.store.conn,
            venue_id=venue_id,
            year=listing.year,
            source_id=source_id(source),
            population=listing.population,
            papers=[
                db.ListedPaper(
                    p.key, p.title, p.authors, p.pdf_url, p.track, p.main, p.page_url, p.note
                )
                for p in listing.papers
            ],
            urls=listing.urls,
            notes=listing.notes,
            tracks=listing.tracks(),
            fetched_at=listing.fetched_at,
        )

    async def _read_all(
        self,
        source: str,
        venue: str,
        year: int,
        todo: Sequence[db.Todo],
        methods: Sequence[Method],
        agg: db.Aggregate | None,
        report: Report,
    ) -> db.Totals | None:
        """Download → read → save, as three stages joined by bounded queues: a few downloads,
        one reader task per reader process, and one writer that saves results in batches."""
        self.progress.start(venue, year, len(todo))
        failed_before = {t.id for t in todo if t.status == "failed"}
        batch: list[db.PaperResult] = []
        try:
            if todo:
                pdfs: asyncio.Queue = asyncio.Queue(maxsize=self.options.downloads * 2)
                results: asyncio.Queue = asyncio.Queue()

                async def read(reader: Any) -> None:
                    while (item := await pdfs.get()) is not None:
                        paper, data, problem = item
                        if problem is not None:
                            reason, permanent = problem
                            result = db.PaperResult(
                                paper.id, "failed", reason=reason, permanent=permanent
                            )
                        else:
                            result = to_result(paper.id, await reader.analyse(data), methods)
                            if result.status == "failed" and not _looks_like_html(data):
                                # Damaged, not a PDF, hung the reader: the same bytes next time.
                                result = replace(result, permanent=True)
                        await results.put(result)

                readers = self._reader_count() + 1
                async with _first_error(), asyncio.TaskGroup() as tg:
                    # The first PDFs download while the reader processes start (~0.2 s).
                    tg.create_task(self._download_all(source, venue, year, todo, pdfs, readers))
                    reader = await self._reader()
                    for _ in range(readers):
                        tg.create_task(read(reader))
                    last_flush = asyncio.get_running_loop().time()
                    for _ in range(len(todo)):
                        result = await results.get()
                        batch.append(result)
                        report.read_now += 1
                        if result.id in failed_before and result.status != "failed":
                            report.recovered += 1
                        self.progress.advance(result.status != "failed")
                        now = asyncio.get_running_loop().time()
                        if (
                            len(batch) >= self.options.flush_every
                            or now - last_flush > FLUSH_SECONDS
                        ):
                            done, batch = batch, []
                            await asyncio.shield(
                                self._in_db(db.save_results, self.store.conn, done)
                            )
                            last_flush = now
            totals = await asyncio.shield(
                self._in_db(db.save_results, self.store.conn, batch, aggregate=agg)
            )
            batch = []
            return totals
        finally:
            if batch:  # interrupted (Ctrl-C, SIGTERM): keep what was read
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._in_db(db.save_results, self.store.conn, batch))

    async def _download_all(
        self,
        source: str,
        venue: str,
        year: int,
        todo: Sequence[db.Todo],
        out: asyncio.Queue,
        readers: int,
    ) -> None:
        """Put (paper, PDF bytes, problem) for every paper on ``out``, ``downloads`` at a time,
        then one ``None`` per reader. The queue's bound keeps memory flat: downloads wait while
        the readers are behind."""
        try:
            if source == "openreview":
                await self._openreview_batches(venue, year, todo, out)
            else:
                papers = iter(todo)

                async def download() -> None:
                    for paper in papers:  # shared iterator: each paper goes to one downloader
                        await out.put((paper, *await self._pdf(source, venue, year, paper)))

                async with asyncio.TaskGroup() as tg:
                    for _ in range(max(1, self.options.downloads)):
                        tg.create_task(download())
        finally:
            for _ in range(readers):
                await out.put(None)

    async def _pdf(
        self,
        source: str,
        venue: str,
        year: int,
        paper: db.Todo,
        headers: dict[str, str] | None = None,
    ) -> tuple[bytes, tuple[str, bool] | None]:
        """The PDF's bytes, or a problem: (reason, permanent)."""
        kept = self._kept_path(venue, year, paper.id)
        if kept is not None and kept.is_file():
            return await asyncio.to_thread(kept.read_bytes), None
        if not paper.pdf_url:
            return b"", ("the listing gives no PDF for this paper", True)
        try:
            got = await self.http.get(source, paper.pdf_url, headers=headers)
        except FetchError as exc:
            return b"", (exc.reason, permanent_fault(exc))
        await self._keep(kept, got.body)
        return got.body, None

    def _kept_path(self, venue: str, year: int, paper_id: str) -> Path | None:
        if self.options.keep_pdfs is None:
            return None
        from trendbot.commands.reply import safe_filename

        return self.options.keep_pdfs / venue / str(year) / f"{safe_filename(paper_id)}.pdf"

    async def _keep(self, path: Path | None, data: bytes) -> None:
        if path is None or not data.startswith(b"%PDF"):
            return

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            replace_file(path.parent, path.name, data)  # never through a link at the name

        try:
            await asyncio.to_thread(write)
        except OSError as exc:
            log.warning("could not keep %s (%s)", path, exc.strerror)

    async def _openreview_batches(
        self, venue: str, year: int, todo: Sequence[db.Todo], queue: asyncio.Queue
    ) -> None:
        """OpenReview: PDFs in zips of up to 50 (one request instead of 50 against its tight
        limits); a paper a zip does not hold, or a zip that fails, falls back to its own URL."""
        headers = await openreview.login_headers(self.http)
        api = openreview.api_version(venue, year)
        src = openreview.SOURCE_V2 if api == 2 else openreview.SOURCE_V1
        base = self.http.base_url(src)
        waiting = []
        for paper in todo:
            kept = self._kept_path(venue, year, paper.id)
            if kept is not None and kept.is_file():
                await queue.put((paper, await asyncio.to_thread(kept.read_bytes), None))
            else:
                waiting.append(paper)
        by_id = {p.id.rsplit(":", 1)[-1]: p for p in waiting}
        for url in openreview.attachment_batches(base, list(by_id)):
            ids = url.split("ids=", 1)[1].split("&", 1)[0].split(",")
            found: dict[str, bytes] = {}
            try:
                got = await self.http.get(src, url, headers=headers)
                found = _unzip_pdfs(got.body, ids)
            except FetchError as exc:
                log.info("OpenReview zip of %d PDFs failed (%s); one by one", len(ids), exc.reason)
            except zipfile.BadZipFile:
                log.info("OpenReview sent no zip for %d PDFs; one by one", len(ids))
            for note_id in ids:
                paper = by_id[note_id]
                if note_id in found:
                    await self._keep(self._kept_path(venue, year, paper.id), found[note_id])
                    await queue.put((paper, found[note_id], None))
                else:
                    one = await self._pdf(src, venue, year, paper, headers)
                    await queue.put((paper, *one))


@contextlib.asynccontextmanager
async def _first_error():
    """A TaskGroup's failure as its first exception, not an ExceptionGroup: callers handle
    source and reader faults by type."""
    try:
        yield
    except BaseExceptionGroup as group:
        first = group.exceptions[0]
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None


# A download that failed with one of these will fail the same way tomorrow: the file is gone
# (404, 410), the request is wrong for it (400, 405, 414), withheld for legal reasons (451), or
# over the body limit. Everything else (5xx, timeouts, 403/429 quotas, resets) may pass tomorrow.
PERMANENT_STATUSES = frozenset({400, 404, 405, 410, 414, 451})


def permanent_fault(exc: FetchError) -> bool:
    """Whether a failed download is worth retrying on the next run (False) or only after
    ``RETRY_PERMANENT_DAYS`` (True)."""
    return exc.kind == "too_large" or (
        exc.kind.startswith("http_") and exc.status in PERMANENT_STATUSES
    )


def _looks_like_html(data: bytes) -> bool:
    """A web page where a PDF was expected: a maintenance or challenge page, worth a retry."""
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml"))


def _unzip_pdfs(body: bytes, ids: Sequence[str]) -> dict[str, bytes]:
    """note id → PDF bytes from an /attachment zip, matching each member to the id its name
    contains (the members' exact naming is not documented; anything unmatched is skipped)."""
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        for info in zf.infolist():
            if info.is_dir() or info.file_size > 128 * 1024 * 1024:
                continue
            name = Path(info.filename).name
            match = next((i for i in ids if i in name), None)
            if match is not None and match not in out:
                out[match] = zf.read(info)
    return out


def to_result(paper_id: str, text: Any, methods: Sequence[Method]) -> db.PaperResult:
    """A reader's ``PaperText`` → what the store keeps: per method, every framework named (with
    the terms that matched) and whether it counts; pair figures ("pytorch+tensorflow") too."""
    if text.status != "ok":
        return db.PaperResult(paper_id, text.status, text.reason, text.pages or None, {}, {
            m.id: m.version for m in methods
        })  # fmt: skip
    links, links_rule = (), None
    if any(m.is_code for m in methods):  # the code method: the links the same pass found
        links = tuple(code_phase.link_row(link) for link in text.code)
        links_rule = codelinks.RULE_VERSION
    mentions: dict[str, list[db.Mention]] = {}
    for m in methods:
        d = text.detections.get(m.name)
        if d is None:
            continue
        rows = [db.Mention(fw, fw in d.counts, tuple(terms)) for fw, terms in d.terms.items()]
        rows += [db.Mention(fig, True) for fig in d.counts if fig not in d.terms]
        mentions[m.id] = rows
    return db.PaperResult(
        paper_id,
        "ok",
        text.reason,
        text.pages,
        mentions,
        {m.id: m.version for m in methods},
        links=links,
        links_rule=links_rule,
    )


# -- many venue-years -----------------------------------------------------------------------------
def targets(
    store: Store, venues: Sequence[str], years: Sequence[int] | None, since: int | None
) -> list[tuple[str, int]]:
    """Venue-years to collect: each venue's years its source covers, from ``since`` (or the
    given years) up to this year (a later year has no listing yet), oldest first."""
    from trendbot.collectors.papers import SOURCES as MODULES

    this_year = _today().year
    chosen = []
    names = [canonical_venue(v) for v in venues]
    wanted = list(years) if years else list(range(since or 2015, this_year + 1))
    for year in wanted:
        if year > this_year:
            continue
        for venue in names:
            try:
                module = MODULES[source_for(venue, year)]
            except CollectError:
                continue
            if module.covers(venue, year):
                chosen.append((venue, year))
    return chosen


__all__ = [
    "COLLECTED_METHODS",
    "SOURCES",
    "Options",
    "PaperCollector",
    "Progress",
    "Report",
    "SourcePolicy",
    "targets",
    "to_result",
]
