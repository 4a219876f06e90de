"""Chart rendering: cold and cached latency, PNG size, event-loop stall, worker memory.

Uses the real seed data and the same ``ChartService`` the bot runs (warmed forkserver worker
processes, the default count: one per core but one), and prints each figure beside its target
(issue 4):

- cold render, median per chart kind: a chart not in the cache, drawn by a warm worker and
  returned through ``service.render`` (IPC included); target ≤ 80 ms;
- cached render, median: the same request again in the same data version; target ≤ 1 ms;
- PNG bytes, largest per kind; target ≤ 150 kB;
- event-loop stall while 8 charts render concurrently: an asyncio loop runs a sleeper that wakes
  every 2 ms and records how late it wakes, while 8 uncached charts go through
  ``asyncio.to_thread(service.render, ...)`` as the bot sends them; the largest lateness over
  all trials; target ≤ 10 ms. For comparison only, the same with a worker on every core and
  with the in-process thread fallback (which holds the GIL while drawing);
- worker RSS before and after 300 uncached renders; target: flat (growth ≤ 5 MB per worker).

Run: ``python bench/bench_charts.py`` (about 40 s on 2 cores). ``--quick`` runs fewer rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from trendbot.charts import ChartService, ChartSpec
from trendbot.charts.metrics import metric_spec
from trendbot.commands.chart import FLAGS, WORDS, plan_chart
from trendbot.commands.parsing import parse_query
from trendbot.storage import open_store

KINDS = {
    "venue shares (line)": "NeurIPS",
    "5 venues (line)": "NeurIPS ICLR ICML EMNLP ECCV",
    "year (grouped bars)": "2019",
    "counts (line)": "counts CVPR",
    "field (line)": "field language",
    "one-year venue (bars)": "ECCV",
    "light mode (line)": "ICLR --light",
}
TARGET_COLD_MS, TARGET_CACHED_MS, TARGET_PNG, TARGET_STALL_MS, TARGET_RSS_MB = 80, 1, 150_000, 10, 5


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def build_specs(db: Path) -> dict[str, ChartSpec]:
    store = open_store(db)
    try:
        specs = {
            name: plan_chart(store, parse_query(store, args, words=WORDS, flags=FLAGS)).spec
            for name, args in KINDS.items()
        }
    finally:
        store.close()
    rows = [
        (fw, f"{2018 + d // 365}-{1 + (d % 365) // 31:02d}-{1 + d % 28:02d}", base + step * d)
        for d in range(0, 2900, 3)
        for fw, base, step in (("pytorch", 20_000, 28), ("tensorflow", 120_000, 25), ("jax", 0, 9))
    ]
    specs["metric time series (date line)"] = metric_spec(
        "GitHub stars (synthetic)", rows, subtitle="Daily values, averaged to 240 points"
    )
    return specs


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def stall_trial(service: ChartService, specs: list[ChartSpec], version: int) -> float:
    """Largest lateness (ms) of a 2 ms sleeper while ``specs`` render concurrently."""
    worst = 0.0
    done = asyncio.Event()

    async def sleeper() -> None:
        nonlocal worst
        while not done.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.002)
            worst = max(worst, (time.perf_counter() - t - 0.002) * 1000)

    probe = asyncio.create_task(sleeper())
    await asyncio.sleep(0.02)  # let the sleeper settle before the burst
    await asyncio.gather(*(asyncio.to_thread(service.render, s, version) for s in specs))
    done.set()
    await probe
    return worst


async def idle_trial(seconds: float) -> float:
    """The same sleeper with nothing rendering: the machine's own noise floor."""
    worst = 0.0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        await asyncio.sleep(0.002)
        worst = max(worst, (time.perf_counter() - t - 0.002) * 1000)
    return worst


def measure_stall(
    service: ChartService, specs: list[ChartSpec], trials: int
) -> tuple[list[float], list[float]]:
    """Per burst of 8 uncached charts: the loop's largest lateness, and the burst's wall time."""
    burst = list(itertools.islice(itertools.cycle(specs), 8))

    async def main() -> tuple[list[float], list[float]]:
        stalls, walls = [], []
        for t in range(trials):
            started = time.perf_counter()
            stalls.append(await stall_trial(service, burst, version=10_000 + t))
            walls.append((time.perf_counter() - started) * 1000)
        return stalls, walls

    return asyncio.run(main())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (for a smoke run)")
    args = parser.parse_args()
    rounds, cached_rounds, trials, memory_renders = (
        (5, 200, 5, 60) if args.quick else (21, 2000, 30, 300)
    )
    with tempfile.TemporaryDirectory() as tmp:
        specs = build_specs(Path(tmp) / "bench.db")
    kinds = list(specs.values())
    results: list[tuple[str, str, str, bool]] = []

    def report(name: str, value: str, target: str, ok: bool) -> None:
        results.append((name, value, target, ok))

    t0 = time.perf_counter()
    service = ChartService(mode="process", timeout=30).start()  # default size, as the bot
    print(
        f"ChartService: {service.mode} mode, {service.workers} worker(s) on {os.cpu_count()} "
        f"cores, started and warmed in {time.perf_counter() - t0:.2f} s"
    )
    version = itertools.count(1)
    try:
        # Cold: every render in a new data version, so the cache cannot answer.
        print(f"\n{'chart kind':32} {'cold median':>12} {'(draw)':>8} {'max':>8} {'PNG bytes':>10}")
        cold, sizes = [], []
        for name, spec in specs.items():
            service.render(spec, next(version))  # first sight of this kind in the worker
            runs = [service.render(spec, next(version)) for _ in range(rounds)]
            wall = statistics.median(r.wall_ms for r in runs)
            draw = statistics.median(r.render_ms for r in runs)
            cold.append(wall)
            sizes.append(max(len(r.png) for r in runs))
            print(
                f"{name:32} {wall:9.1f} ms {draw:5.1f} ms {max(r.wall_ms for r in runs):5.1f} ms"
                f" {sizes[-1]:10,}"
            )
        report(
            "cold render, median (slowest kind)",
            f"{max(cold):.1f} ms",
            f"≤ {TARGET_COLD_MS} ms",
            max(cold) <= TARGET_COLD_MS,
        )

        spec, v = specs["venue shares (line)"], next(version)
        service.render(spec, v)
        cached = statistics.median(service.render(spec, v).wall_ms for _ in range(cached_rounds))
        report(
            "cached render, median",
            f"{cached * 1000:.0f} µs",
            f"≤ {TARGET_CACHED_MS} ms",
            cached <= TARGET_CACHED_MS,
        )
        report(
            "PNG bytes (largest)", f"{max(sizes):,}", f"≤ {TARGET_PNG:,}", max(sizes) <= TARGET_PNG
        )

        stalls, bursts = measure_stall(service, kinds, trials)
        floor = asyncio.run(idle_trial(statistics.median(bursts) / 1000 * trials))
        report(
            f"loop stall, 8 concurrent ({trials} bursts)",
            f"{max(stalls):.1f} ms (median {statistics.median(stalls):.1f})",
            f"≤ {TARGET_STALL_MS} ms",
            max(stalls) <= TARGET_STALL_MS,
        )

        # Memory: uncached renders over every kind; each worker's RSS before and after.
        for s in kinds:
            service.render(s, next(version))
        pids = service.worker_pids()
        before = {p: rss_mb(p) for p in pids}
        for i in range(memory_renders):
            service.render(kinds[i % len(kinds)], next(version))
        after = {p: rss_mb(p) for p in pids}
        growth = max(after[p] - before[p] for p in pids)
        report(
            f"worker RSS over {memory_renders} renders",
            ", ".join(f"{before[p]:.1f} → {after[p]:.1f} MB" for p in pids),
            f"growth ≤ {TARGET_RSS_MB} MB",
            growth <= TARGET_RSS_MB,
        )
        stats = service.stats
    finally:
        service.close()

    # For comparison only: a worker on every core, and the in-process thread fallback.
    compare = []
    for label, options, n in (
        (f"{os.cpu_count()} workers (every core)", {"workers": os.cpu_count()}, trials),
        ("thread fallback (2 threads)", {"workers": 2, "mode": "thread"}, max(3, trials // 5)),
    ):
        other = ChartService(timeout=30, **options).start()
        try:
            compare.append((label, *measure_stall(other, kinds, n)))
        finally:
            other.close()

    print(f"\n{'figure':40} {'measured':>34} {'target':>16}  verdict")
    for name, value, target, ok in results:
        print(f"{name:40} {value:>34} {target:>16}  {verdict(ok)}")
    print(
        f"\nburst of 8 uncached charts, {stats.workers} worker(s): last PNG after "
        f"{statistics.median(bursts):.0f} ms (median of {trials})"
    )
    print(
        f"noise floor: the same sleeper with nothing rendering, for as long, was late by up to "
        f"{floor:.1f} ms (other processes on the machine)"
    )
    for label, other_stalls, other_bursts in compare:
        print(
            f"(for comparison) {label}: loop stall largest {max(other_stalls):.1f} ms, "
            f"median {statistics.median(other_stalls):.1f} ms; "
            f"burst {statistics.median(other_bursts):.0f} ms"
        )
    print(
        f"service stats: renders={stats.renders} cache_hits={stats.cache_hits} "
        f"timeouts={stats.timeouts} errors={stats.errors}"
    )
    return 0 if all(ok for *_, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
