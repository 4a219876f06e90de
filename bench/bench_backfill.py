"""A first backfill over the six paper hosts, side by side against one after another.

Run ``python bench/bench_backfill.py`` (about 4 minutes: the side-by-side run ~1 minute, the
one-after-another baseline ~3). ``--papers`` (700) sets the scaled-down population, ``--floor``
(60 s) the floor it is scaled to.

Six loopback servers (``tests/support/paper_hosts.py``), one per host, each in its real format:
papers.nips.cc (NeurIPS 2023, 2024), PMLR (ICML 2023, 2024), CVF (CVPR 2024, ICCV 2023), ECVA
(ECCV 2024), ACL Anthology (ACL 2024, EMNLP 2024) and OpenReview (ICLR 2024, PDFs in zips of 50).

Populations: papers per host in the proportions of the real 2015→2026 backfill, as trendbot's
own plan estimates it before a run (``collectors.papers.plan.papers_to_read`` over a fresh seeded
store: the 2019 study's totals per venue-year in the seed, and each later year as the venue's
latest known one), scaled to ``--papers``. Rates: each host's real polite rate
(``collectors.policy``: 2 requests/s per paper site, 0.5/s for OpenReview, 1/s for the
Anthology's XML), every one multiplied by the same factor so that the scaled floor is
``--floor`` seconds; bursts and parallel requests as they are.

Floor F: the busiest host's papers divided by its rate (OpenReview: its zips). W: the run's wall
time, from start to the last venue-year's report, the PDF pool's start included. Printed: per
host papers, rate and wall time for both runs, then the estimate for the real populations at the
real rates, and last ``backfill: W s for N papers over H hosts; floor F s; W/F = X`` (goal:
X ≤ 1.15).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.loopback import Loopback  # noqa: E402
from tests.support.paper_hosts import OPENREVIEW_LOGIN, Host, serve  # noqa: E402
from trendbot.collectors.http import HttpClient  # noqa: E402
from trendbot.collectors.papers import VENUES, openreview  # noqa: E402
from trendbot.collectors.papers.collect import Options, PaperCollector, targets  # noqa: E402
from trendbot.collectors.papers.hosts import HOST_NAMES, collect_side_by_side  # noqa: E402
from trendbot.collectors.papers.plan import papers_to_read  # noqa: E402
from trendbot.collectors.policy import DEFAULT_POLICIES  # noqa: E402
from trendbot.config import SOURCE_URLS, Settings  # noqa: E402
from trendbot.storage import open_store  # noqa: E402
from trendbot.storage.collectable import source_for  # noqa: E402

GOAL = 1.15
VENUE_YEARS = {  # what each host serves here (its papers split evenly between them)
    "neurips": (("NeurIPS", 2023), ("NeurIPS", 2024)),
    "pmlr": (("ICML", 2023), ("ICML", 2024)),
    "cvf": (("ICCV", 2023), ("CVPR", 2024)),
    "ecva": (("ECCV", 2024),),
    "acl": (("ACL", 2024), ("EMNLP", 2024)),
    "openreview": (("ICLR", 2024),),
}


def real_populations(tmp: Path) -> dict[str, int]:
    """Papers per host of a first backfill 2015→now, as the plan estimates it on a fresh store."""
    store = open_store(tmp / "plan.db")
    try:
        chosen = targets(store, list(VENUES), None, 2015)
        out: dict[str, int] = {}
        for (venue, year), n in papers_to_read(store, chosen).items():
            source = source_for(venue, year)
            out[source] = out.get(source, 0) + n
        return out
    finally:
        store.close()


def requests_for(source: str, papers: int) -> int:
    """PDF requests a host's papers take (OpenReview sends zips of ``openreview.BATCH``)."""
    return math.ceil(papers / openreview.BATCH) if source == "openreview" else papers


def seconds_at(source: str, papers: int, factor: float = 1.0) -> float:
    return requests_for(source, papers) / (DEFAULT_POLICIES[source].rate * factor)


async def run(hosts: list[Host], factor: float, db: Path, side_by_side: bool) -> tuple:
    """One backfill into a fresh store; (wall, each host's wall time, reports)."""
    urls = dict.fromkeys(SOURCE_URLS, "http://127.0.0.1:9")
    for host in hosts:
        urls.update(host.urls())
    settings = Settings(source_urls=urls)
    policies = {n: replace(p, rate=p.rate * factor) for n, p in DEFAULT_POLICIES.items()}
    chosen = sorted((vy for h in hosts for vy in h.venue_years), key=lambda vy: (vy[1], vy[0]))
    store = open_store(db)
    busy: dict[str, float] = {}  # each host's own wall time (one after another: its turns)
    reports = []
    started = last = time.perf_counter()

    def done(source: str, report) -> None:
        nonlocal last
        now = time.perf_counter()
        if side_by_side:
            busy[source] = now - started
        else:
            busy[source] = busy.get(source, 0.0) + now - last
        last = now
        reports.append(report)
        if report.error:
            print(f"  {report.venue} {report.year}: {report.error}", file=sys.stderr)

    try:
        async with (
            HttpClient(settings, policies, env=dict(OPENREVIEW_LOGIN)) as http,
            PaperCollector(store, settings, Options(), http=http) as lead,
        ):
            if side_by_side:
                await collect_side_by_side(lead, chosen, done)
            else:
                for venue, year in chosen:
                    done(source_for(venue, year), await lead.collect(venue, year))
        return time.perf_counter() - started, busy, reports
    finally:
        store.close()


def table(hosts: list[Host], factor: float, finished: dict[str, float], title: str) -> None:
    print(title)
    print(
        f"  {'host':<15} {'papers':>7} {'requests':>8} {'rate/s':>7} {'papers/s':>8} {'wall s':>7}"
    )
    for h in hosts:
        papers = sum(h.venue_years.values())
        wall = finished.get(h.source, float("nan"))
        rate = DEFAULT_POLICIES[h.source].rate * factor
        print(
            f"  {HOST_NAMES[h.source]:<15} {papers:>7,} {requests_for(h.source, papers):>8,} "
            f"{rate:>7.2f} {papers / wall:>8.2f} {wall:>7.1f}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=700, help="papers over the six hosts")
    parser.add_argument("--floor", type=float, default=60.0, help="the scaled floor, seconds")
    parser.add_argument("--no-baseline", action="store_true", help="skip one-after-another")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        real = real_populations(Path(tmp))
        total_real = sum(real.values())
        floor_real = max(seconds_at(s, n) for s, n in real.items())
        serial_real = sum(seconds_at(s, n) for s, n in real.items())
        print(
            "Real populations, 2015→now (trendbot's plan over the seed: the 2019 study's totals "
            "per venue-year, later years as the venue's latest known):"
        )
        for source, n in sorted(real.items(), key=lambda kv: -kv[1]):
            print(
                f"  {HOST_NAMES[source]:<15} {n:>7,} papers ({n / total_real:5.1%}), "
                f"{seconds_at(source, n) / 3600:5.2f} h at {DEFAULT_POLICIES[source].rate:g} "
                "requests/s"
            )
        scale = args.papers / total_real
        factor = scale * floor_real / args.floor  # every rate × factor: the floor is --floor
        print(
            f"Scaled: {args.papers:,} papers ({scale:.3%} of {total_real:,}), every polite rate "
            f"× {factor:.2f}\n"
        )
        results: dict[str, tuple] = {}
        async with (
            Loopback() as s1, Loopback() as s2, Loopback() as s3, Loopback() as s4,
            Loopback() as s5, Loopback() as s6,
        ):  # fmt: skip
            hosts = []
            for source, srv in zip(VENUE_YEARS, (s1, s2, s3, s4, s5, s6), strict=True):
                n = max(1, round(real.get(source, 0) * scale))
                vys = VENUE_YEARS[source]
                split = [n // len(vys) + (i < n % len(vys)) for i in range(len(vys))]
                host = Host(source, srv, dict(zip(vys, split, strict=True)))
                serve(host)
                hosts.append(host)
            papers = sum(sum(h.venue_years.values()) for h in hosts)
            floor = max(seconds_at(h.source, sum(h.venue_years.values()), factor) for h in hosts)
            modes: list[tuple[str, bool]] = [("side by side", True)]
            if not args.no_baseline:
                modes.append(("one host after another", False))
            for name, side in modes:
                wall, finished, reports = await run(hosts, factor, Path(tmp) / f"{side}.db", side)
                read = sum(r.total for r in reports if not r.error)
                failed = sum(bool(r.error) for r in reports)
                results[name] = (wall, finished)
                table(hosts, factor, finished, f"{name}: {wall:.1f} s, {read:,} papers stored, "
                      f"{failed} venue-years failed")  # fmt: skip
                print()
        wall = results["side by side"][0]
        ratio = wall / floor
        if "one host after another" in results:
            serial = results["one host after another"][0]
            print(f"one host after another: {serial:.1f} s ({serial / wall:.2f}× side by side)")
        print(
            f"Real populations at the real rates: floor {floor_real / 3600:.1f} h (the busiest "
            f"host); side by side about {floor_real * ratio / 3600:.1f} h at this run's W/F; one "
            f"host after another {serial_real / 3600:.1f} h ({total_real:,} papers)"
        )
        print(f"goal W/F ≤ {GOAL}: {'PASS' if ratio <= GOAL else 'MISS'}")
        print(
            f"backfill: {wall:.1f} s for {papers:,} papers over {len(hosts)} hosts; "
            f"floor {floor:.1f} s; W/F = {ratio:.2f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
