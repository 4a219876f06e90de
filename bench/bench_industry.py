"""Industry collection: what a first backfill and a daily run cost, against a loopback server.

Section "collection". A fake of every industry source answers in the real formats on 127.0.0.1
(tests/support/industry_fakes.py; ClickHouse's SQL runs in chDB when it is installed) with a world
the size of the real one (tests/support/industry_world.py, scale "real"): the seven repositories
with their real ages, so their star histories have as many weekly pages as on GitHub; an HN "Who is
hiring?" thread of 300 to 1,100 ads (and replies) for every month since 2017; Stack Overflow and
arXiv months since 2021 with hundreds of questions or candidates each; ten years of daily downloads.
These are the collectors' default first-backfill ranges.

It times, on a new store:

1. the first backfill (all metrics, all frameworks), with the sources' pacing switched off so the
   wall clock measures trendbot's own work; the time the real pacing implies (each source's
   requests at its policy's rate, the sources in parallel) is printed beside it;
2. the next day's run: at most one request per metric per framework, and no GitHub quota for
   repositories that did not change (every GitHub answer a 304);
3. a run just after a month ends: one request per monthly series.

Run: ``python bench/bench_industry.py`` (about a minute on 2 cores). More sections (command
latency over collected data) are to be added beside ``collection`` in ``SECTIONS``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the fakes live in tests/

from tests.support.industry_support import HAVE_CHDB, fast_client, settings_for  # noqa: E402
from tests.support.industry_world import FRAMEWORKS, World  # noqa: E402
from tests.support.loopback import Loopback  # noqa: E402
from trendbot.collectors.industry import collect_industry  # noqa: E402
from trendbot.collectors.industry.run import PRIMARY, http_source  # noqa: E402
from trendbot.collectors.policy import DEFAULT_POLICIES  # noqa: E402
from trendbot.storage import open_store  # noqa: E402
from trendbot.storage.catalog import load_catalog  # noqa: E402

FIRST_TARGET = 750  # requests for the whole first backfill ("a few hundred")


def series_count() -> int:
    """(metric, framework) series the collectors keep, pseudo-series included."""
    from trendbot.collectors.industry.run import METRICS

    catalog = load_catalog()
    return sum(len(FRAMEWORKS) + len(catalog.get(m).pseudo_series) for m in METRICS)


async def _collect(store, srv, today):
    reports: list = []
    async with fast_client(srv) as http:
        start = time.perf_counter()
        await collect_industry(store, settings_for(srv), http=http, today=today, reports=reports)
        wall = time.perf_counter() - start
    return wall, {r.collector: r for r in reports}


def _paced(reports) -> float:
    """Seconds the sources' own rates would take: each source's requests at its rate, in
    parallel (a source's concurrency does not beat its rate)."""
    return max(
        (r.requests / DEFAULT_POLICIES[http_source(name)].rate for name, r in reports.items()),
        default=0.0,
    )


def _table(title: str, wall: float, reports, extra: str = "") -> int:
    total = sum(r.requests for r in reports.values())
    print(f"\n{title}: {total:,} requests, {wall:.2f} s wall{extra}")
    print(f"  {'collector':<14}{'status':<8}{'requests':>9}{'304':>6}{'values':>9}{'changed':>9}")
    for name, r in reports.items():
        print(f"  {name:<14}{r.status:<8}{r.requests:>9,}{r.not_modified:>6,}{r.rows:>9,}"
              f"{r.changed:>9,}")  # fmt: skip
        if r.error:
            print(f"    error: {r.error}")
    return total


def section_collection(args: argparse.Namespace) -> bool:
    world = World(scale="real", today=dt.date.fromisoformat(args.today))
    if not HAVE_CHDB:
        print("chdb is not installed (pip install chdb-core-lite): ClickHouse is not served, "
              "and the PyPI numbers come from the pypistats fallback.")  # fmt: skip

    async def main() -> bool:
        ok = True
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(Path(tmp) / "bench.db")
            fake = world.fake(clickhouse=HAVE_CHDB)
            async with Loopback() as srv:
                fake.attach(srv)
                wall, first = await _collect(store, srv, world.today)
                paced = _paced(first)
                note = f" (at the sources' own rates: about {paced / 60:.0f} min)"
                total = _table("first backfill", wall, first, note)
                ok &= total <= FIRST_TARGET and all(r.status == "ok" for r in first.values())
                quota = fake.github.quota_used
                day = world.today + dt.timedelta(days=1)
                wall, daily = await _collect(store, srv, day)
                total = _table("next day", wall, daily)
                used = fake.github.quota_used - quota
                bound = series_count()
                gh = daily["github"]
                print(
                    f"  bound: at most one request per metric per framework = {bound:,}; "
                    f"GitHub quota used: {used} ({gh.not_modified} of {gh.requests} answers "
                    "were 304s)"
                )
                ok &= total <= bound and used == 0
                month = (world.today.replace(day=1) + dt.timedelta(days=32)).replace(day=3)
                wall, monthly = await _collect(store, srv, month)
                total = _table(f"after a month ends ({month})", wall, monthly)
                ok &= total <= bound
            rows = store.conn.execute(
                "SELECT count(*) FROM metrics WHERE source_id LIKE 'trendbot-%'"
            ).fetchone()[0]
            size = (Path(tmp) / "bench.db").stat().st_size
            print(f"\nstored: {rows:,} collected rows; store {size / 1e6:.1f} MB")
            store.close()
        names = ", ".join(PRIMARY)
        print(f"collectors: {names}; targets: first backfill ≤ {FIRST_TARGET} requests, daily "
              f"runs ≤ {series_count()} and no GitHub quota for unchanged repositories: "
              + ("met" if ok else "MISSED"))  # fmt: skip
        return ok

    return asyncio.run(main())


SECTIONS = {"collection": section_collection}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--today", default="2026-11-20", help="the day the runs happen (UTC)")
    parser.add_argument(
        "--section", choices=sorted(SECTIONS), action="append", help="run only these sections"
    )
    args = parser.parse_args()
    results = [SECTIONS[name](args) for name in args.section or SECTIONS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
