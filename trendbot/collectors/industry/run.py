"""Running the industry collectors: each source on its own, all at once, each saved in one
transaction or not at all.

``collect_industry`` is what the CLI and (later) the bot's scheduler call. Every collector runs
concurrently with the others (each source has its own rate and quota in the shared HTTP
client); every database call happens in one worker thread, never on the event loop, so the bot
can serve commands while a collection runs in the same process.

Per collector: a ``collection_runs`` row (``industry:<name>``) is opened; the collector fetches
and transforms; its rows, their sources' provenance and its ETags are saved in one transaction
(``storage.metrics.save_metrics``: ``data_version`` moves by one if any value changed, not at
all if none did); the run row is closed with what happened. A collector that raises saves
nothing: the store is as it was, and the run row says why. When ClickHouse fails, pypistats
gives the last 180 days instead.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from trendbot.collectors import quota
from trendbot.collectors.http import FetchError, HttpClient, QuotaSpent
from trendbot.collectors.industry import (
    arxiv,
    clickhouse,
    github,
    hn,
    huggingface,
    pypistats,
    stackexchange,
)
from trendbot.collectors.industry.base import Collected, Job, Progress, SourceFault, parse_since
from trendbot.config import ConfigError, Settings, without_password
from trendbot.storage import metrics as db
from trendbot.storage import runs
from trendbot.storage.catalog import load_catalog
from trendbot.storage.frameworks import Framework, load_frameworks

log = logging.getLogger("trendbot.collect.industry")

COLLECTORS: dict[str, ModuleType] = {
    m.NAME: m for m in (github, clickhouse, pypistats, hn, stackexchange, huggingface, arxiv)
}
PRIMARY = ("github", "clickhouse", "hn", "stackexchange", "hf", "arxiv")
FALLBACK = {"clickhouse": "pypistats"}  # used when the first fails
METRICS: tuple[str, ...] = tuple(dict.fromkeys(m for n in PRIMARY for m in COLLECTORS[n].METRICS))


def source_ids() -> frozenset[str]:
    """The ids of every source a collector writes (its ``sources`` row appears with its first
    rows; the metric catalogue may name them before that)."""
    return frozenset(s.id for m in COLLECTORS.values() for s in m.SOURCES)


def http_source(name: str) -> str:
    """The HTTP client policy a collector's requests go through."""
    return getattr(COLLECTORS[name], "HTTP", name)


@dataclass(frozen=True)
class Result:
    """A (metric, framework) after a run: its latest stored date and value, and the outcome of
    the collector that keeps it (``ok``, ``skipped`` with why, or ``failed`` with the reason)."""

    metric: str
    framework: str
    collector: str
    status: str
    source_id: str | None = None
    date: str | None = None
    value: float | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "metric": self.metric,
            "framework": self.framework,
            "date": self.date,
            "value": _number(self.value),
            "source": self.source_id,
            "collector": self.collector,
            "status": self.status,
        }
        if self.error:
            out["error"] = self.error
        return out


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


@dataclass
class RunReport:
    """One collector's run, as its ``collection_runs`` row records it."""

    collector: str
    status: str = "running"
    rows: int = 0
    changed: int = 0
    requests: int = 0
    not_modified: int = 0
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    data_version: int | None = None
    results: list[Result] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # quota: what is left for a later run
    resets_at: float | None = None  # quota: when the source's quota resets (epoch seconds)


class UsageError(ValueError):
    """A metric, framework or date the user named does not exist; one sentence."""


def choose_metrics(names: Iterable[str] | None) -> frozenset[str]:
    if not names:
        return frozenset(METRICS)
    catalog = load_catalog()
    chosen = set()
    for raw in names:
        for name in raw.replace(",", " ").split():
            definition = catalog.get(name)
            if definition is None or definition.name not in METRICS:
                known = ", ".join(METRICS)
                what = "is not collected" if definition else "is not a metric"
                raise UsageError(f"{name!r} {what}; collected metrics: {known}.")
            chosen.add(definition.name)
    return frozenset(chosen)


def choose_frameworks(names: Iterable[str] | None) -> tuple[tuple[Framework, ...], bool]:
    """(frameworks, whether the pseudo-series go too): all of them unless some are named."""
    table = load_frameworks()
    if not names:
        return table.frameworks, True
    chosen: list[Framework] = []
    for raw in names:
        for name in raw.replace(",", " ").split():
            fw = table.get(name)
            if fw is None:
                known = ", ".join(table.ids())
                raise UsageError(f"{name!r} is not a framework trendbot follows ({known}).")
            if fw not in chosen:
                chosen.append(fw)
    return tuple(chosen), False


async def collect_industry(
    store,
    settings: Settings,
    *,
    metrics: Iterable[str] | None = None,
    frameworks: Iterable[str] | None = None,
    since: str | dt.date | None = None,
    progress: Progress | None = None,
    http: HttpClient | None = None,
    today: dt.date | None = None,
    reports: list[RunReport] | None = None,
) -> list[Result]:
    """Collect the industry metrics into ``store``; one ``Result`` per (metric, framework).

    ``metrics`` and ``frameworks`` narrow the run (names as the catalogue and the framework
    table spell them; a framework may be named by an alias); ``since`` (a date, or text such as
    ``2019-05``) is where a first backfill starts for the sources that have history; ``today``
    (UTC) is for tests and benchmarks. ``reports``, when given, receives one ``RunReport`` per
    collector run. Raises ``UsageError`` for an unknown name; never raises for a source fault.
    """
    chosen = choose_metrics(metrics)
    fws, pseudo = choose_frameworks(frameworks)
    start = parse_since(since) if isinstance(since, str) else since
    runner = _Runner(store, settings, chosen, fws, pseudo, start, progress or Progress(), today)
    try:
        done = await runner.run(http)
    finally:
        runner.close()
    if reports is not None:
        reports.extend(done)
    return [r for report in done for r in report.results]


class _Runner:
    def __init__(
        self,
        store,
        settings: Settings,
        metrics: frozenset[str],
        frameworks: tuple[Framework, ...],
        pseudo: bool,
        since: dt.date | None,
        progress: Progress,
        today: dt.date | None,
    ) -> None:
        self.store, self.settings = store, settings
        self.metrics, self.frameworks, self.pseudo = metrics, frameworks, pseudo
        self.since, self.progress = since, progress
        self.today = today or dt.datetime.now(dt.UTC).date()
        # One thread does every database call: the event loop never waits on SQLite.
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trendbot-industry-db")

    def close(self) -> None:
        self._db.shutdown(wait=True)

    async def db(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in the database thread, holding the store's lock: a command served
        from the same store in this process never reads half of a transaction."""

        def call() -> Any:
            with self.store._lock:
                return fn(*args)

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db, call)

    async def read(self, fn: Callable[..., Any], store, *args: Any) -> Any:
        return await self.db(fn, store, *args)

    async def run(self, http: HttpClient | None) -> list[RunReport]:
        own = http is None
        if http is None:
            http = HttpClient(self.settings, env=self.settings.extra or None)
            await http.__aenter__()
        try:
            names = [n for n in PRIMARY if set(COLLECTORS[n].METRICS) & self.metrics]
            done: list[RunReport] = []

            async def one(name: str) -> None:
                report = await self.collector(name, http)
                done.append(report)
                fallback = FALLBACK.get(name)
                if report.status == "failed" and fallback:
                    log.info("%s failed (%s); trying %s", name, report.error, fallback)
                    done.append(await self.collector(fallback, http))
                    report.results = []  # the fallback's results stand for these metrics

            async with asyncio.TaskGroup() as tg:
                for name in names:
                    tg.create_task(one(name))
            order = {n: i for i, n in enumerate(COLLECTORS)}
            return sorted(done, key=lambda r: order[r.collector])
        finally:
            if own:
                await http.close()

    async def collector(self, name: str, http: HttpClient) -> RunReport:
        module = COLLECTORS[name]
        report = RunReport(name)
        metrics = frozenset(self.metrics & set(module.METRICS))
        stats = http.stats.per_source.get(http_source(name), {})
        before = (stats.get("requests", 0), stats.get("not_modified", 0))
        run_id = await self.db(
            runs.start_run,
            self.store.conn,
            f"industry:{name}",
            {"metrics": sorted(metrics), "frameworks": [f.id for f in self.frameworks]},
        )
        last = await self.db(runs.last_detail, self.store.conn, f"industry:{name}")
        resume = None
        if last is not None and last[0] == "quota":
            resume = last[1].get("resume") if isinstance(last[1].get("resume"), dict) else {}
        job = Job(
            name=name,
            http=http,
            store=self.store,
            today=self.today,
            metrics=metrics,
            frameworks=self.frameworks,
            since=self.since,
            pseudo=self.pseudo,
            progress=self.progress,
            reader=self.read,
            resume=resume,
        )
        collected = job.out
        try:
            spent: QuotaSpent | None = None
            try:
                collected = await module.collect(job)
            except QuotaSpent as exc:  # not a fault: keep what was fetched, leave the rest
                spent, collected = exc, job.out
                log.info("%s: quota spent: %s", name, exc.reason)
            sources = [
                s.row({k: without_password(v) for k, v in self.settings.source_urls.items()})
                for s in module.SOURCES
                if any(r.source_id == s.id for r in collected.rows)
            ]
            save = functools.partial(db.save_metrics, etags=collected.etags)
            outcome = await asyncio.shield(self.db(save, self.store, sources, collected.rows))
            report.status = "ok"
            report.rows, report.changed = outcome.rows, outcome.changed
            report.data_version = outcome.data_version
            if spent is not None or collected.later:
                report.status = "quota"
                report.left = list(collected.later) or ["the rest"]
                # The collector's own reading (GitHub's x-ratelimit-reset) is exact.
                report.resets_at = collected.resets_at
                if report.resets_at is None and spent is not None:
                    report.resets_at = spent.resets_at
                if spent is not None:
                    report.error = spent.reason
        except FetchError as exc:
            report.status, report.error = "failed", exc.reason
        except (SourceFault, ConfigError) as exc:  # ConfigError: a base URL setting, named
            report.status, report.error = "failed", str(exc)
        except asyncio.CancelledError:
            report.status, report.error = "failed", "interrupted"
            raise
        except Exception as exc:  # a bug: the log has the traceback, the other collectors go on
            log.exception("industry collector %s failed", name)
            report.status, report.error = "failed", f"{type(exc).__name__} (see the log)"
        finally:
            stats = http.stats.per_source.get(http_source(name), {})
            report.requests = stats.get("requests", 0) - before[0]
            report.not_modified = stats.get("not_modified", 0) - before[1]
            report.notes = list(collected.notes)
            await asyncio.shield(self._finish(run_id, report, http, collected.resume))
            self.progress.done(name, report.status)
        report.results = await self.db(self._results, module, report, collected)
        return report

    async def _finish(
        self, run_id: int, report: RunReport, http: HttpClient, resume: dict[str, Any]
    ) -> None:
        detail = {
            "status": report.status,
            "rows": report.rows,
            "changed": report.changed,
            "requests": report.requests,
            "not_modified": report.not_modified,
            "notes": report.notes[:50],
            "error": report.error,
            "data_version": report.data_version,
            "http": dict(http.stats.per_source.get(http_source(report.collector), {})),
        }
        if report.status == "quota":
            detail["quota"] = {"resets_at": quota.iso(report.resets_at), "left": report.left}
            detail["resume"] = resume
        await self.db(runs.finish_run, self.store.conn, run_id, report.status, report.rows, detail)

    def _results(self, module: ModuleType, report: RunReport, collected: Collected) -> list[Result]:
        """The latest stored value of each (metric, framework) this collector keeps."""
        catalog = load_catalog()
        skipped = {(s.metric, s.framework): s.why for s in collected.skipped}
        out = []
        for metric in module.METRICS:
            if metric not in self.metrics:
                continue
            definition = catalog.get(metric)
            series = [f.id for f in self.frameworks]
            if self.pseudo and definition is not None:
                series += sorted(definition.pseudo_series)
            for fw in series:
                latest = _latest(self.store, [s.id for s in module.SOURCES], metric, fw)
                status, error = report.status, report.error
                if status in ("ok", "quota") and (metric, fw) in skipped:
                    status, error = "skipped", skipped[(metric, fw)]
                out.append(
                    Result(
                        metric, fw, report.collector, status,
                        latest.source_id if latest else None,
                        latest.date if latest else None,
                        latest.value if latest else None,
                        error,
                    )
                )  # fmt: skip
        return out


def _latest(store, sources: Sequence[str], metric: str, framework: str) -> db.MetricValue | None:
    best = None
    for source in sources:  # in the collector's order of preference
        value = db.value_at(store, source, metric, framework)
        if value is not None and (best is None or value.date > best.date):
            best = value
    return best
