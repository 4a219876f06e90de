"""Latency of `!industry` and `!compare` through the command layer, beside a naive pandas baseline.

The store is the bundled seed (16,475 industry rows) plus what a year of collectors adds: daily
GitHub stars and forks and daily 30-day PyPI downloads for six frameworks from sources of their
own (6,570 rows), so the newest figures come from collected rows as they will in production.

Timed in the same run:

- ``run(ctx, "!industry")``, warm: the figures are kept per data version (as charts are), so a
  repeat is parse + format;
- ``run(ctx, "!industry")``, cold: the per-data-version cache dropped before every call, i.e. the
  cost right after a collector wrote (one statement for every series' newest row, one per
  metric for the values a year earlier);
- ``run(ctx, "!compare")``, text-only: the shares are kept per data version like `!industry`'s
  figures, and the chart service already holds the PNG for this data
  version, so the call builds everything (research and industry queries, shares, verdict, spec,
  alt text) and the service answers from its cache instead of drawing. The first, drawing call
  is reported separately;
- baseline: per call, load the whole ``metrics`` table into pandas and compute the same newest
  value per metric and framework (and the same-source value a year before) with groupby; its
  newest values are checked against the command layer's;
- ``trendbot ask "!industry"`` as a fresh process (wall time, imports included).

Targets (issue 9): median ≤ 2 ms text-only for both commands; fresh process ≤ 1 s.
Run: ``python bench/bench_industry_commands.py`` (about 30 s).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trendbot.charts import ChartService
from trendbot.commands import Context, run
from trendbot.storage import figures, open_store
from trendbot.storage.seed import METRIC_COLUMNS

FRAMEWORKS = ("pytorch", "tensorflow", "jax", "keras", "mxnet", "paddlepaddle")
N = 400


def add_collected(store) -> int:
    """A year of daily collector rows from two sources of their own."""
    rows = []
    start = dt.date(2026, 1, 1)
    for i in range(365):
        day = (start + dt.timedelta(days=i)).isoformat()
        for j, fw in enumerate(FRAMEWORKS):
            base = 10 ** (5 - j % 3)
            rows.append(("github-api", "github-stars", fw, day, base + i * (j + 1), "stars"))
            rows.append(("github-api", "github-forks", fw, day, base // 3 + i, "forks"))
            rows.append(("pypistats", "pypi-downloads", fw, day, 1e6 * (6 - j) + i * 1000, "dl"))
    for sid in ("github-api", "pypistats"):
        store.conn.execute(
            "INSERT INTO sources (id, name, kind) VALUES (?, ?, 'industry-collection')",
            (sid, f"{sid} (bench)"),
        )
    store.conn.executemany(
        f"INSERT INTO metrics ({METRIC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'bench', ?)",
        [(*r, r[3]) for r in rows],
    )
    store.conn.commit()
    store.refresh()
    return len(rows)


def timed(fn, n: int = N) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def stats(ms: list[float]) -> str:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"median {statistics.median(ms):8.3f} ms   p99 {p99:8.3f} ms"


def baseline(conn):
    """Naive: the whole table into pandas per call, newest row per (metric, framework) over all
    sources, and the same source's row nearest a year before."""
    import pandas as pd

    df = pd.read_sql_query(
        "SELECT source_id, metric, framework, date, value FROM metrics", conn, parse_dates=["date"]
    )
    newest = df.loc[df.groupby(["metric", "framework"])["date"].idxmax()]
    want = newest.assign(target=newest["date"] - pd.DateOffset(years=1))
    merged = want.merge(df, on=["source_id", "metric", "framework"], suffixes=("", "_b"))
    merged["gap"] = (merged["date_b"] - merged["target"]).abs()
    merged = merged[merged["gap"] <= pd.Timedelta(days=45)]
    before = merged.loc[merged.groupby(["metric", "framework"])["gap"].idxmin()]
    return newest, before


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-industry-"))
    db = tmp / "bench.db"
    store = open_store(db)
    added = add_collected(store)
    rows = store._rows("SELECT count(*) FROM metrics")[0][0]
    print(f"store: {rows:,} metric rows ({added:,} collected on top of the seed)")
    ctx = Context(store=store)

    reply = run(ctx, "!industry")
    assert not reply.is_error and "github-api" in reply.text, reply.text[:300]
    warm = timed(lambda: run(ctx, "!industry"))

    def cold_call():
        store._memo_version = None  # Store.memo: everything kept for this data version goes
        run(ctx, "!industry")

    cold = timed(cold_call, 100)

    service = ChartService(workers=1, mode="thread").start()
    ctx.services["charts"] = service
    t = time.perf_counter()
    first = run(ctx, "!compare")
    first_ms = (time.perf_counter() - t) * 1000
    assert first.image is not None, first.text[:300]
    compare = timed(lambda: run(ctx, "!compare"), 200)

    def compare_cold():
        store._memo_version = None
        run(ctx, "!compare")

    compare_cold_ms = timed(compare_cold, 100)
    st = service.stats
    service.close()

    newest, _ = baseline(store.conn)
    snap = {v.framework: v.value for v in figures.newest_values(store, "pypi-downloads").values()}
    base = newest[newest["metric"] == "pypi-downloads"].set_index("framework")["value"].to_dict()
    assert snap == base, (snap, base)  # the baseline answers the same question
    naive = timed(lambda: baseline(store.conn), 30)

    env = {**os.environ, "TRENDBOT_DB": str(db)}
    walls = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "trendbot", "ask", "!industry"],
            env=env,
            capture_output=True,
            check=True,
        )
        walls.append(time.perf_counter() - t)

    print(f"!industry through run(), warm (per data version)   {stats(warm)}")
    print(f"!industry through run(), cold (cache dropped)      {stats(cold)}")
    print(f"!compare through run(), text-only (PNG cached)     {stats(compare)}")
    print(f"!compare text-only, cold (shares cache dropped)    {stats(compare_cold_ms)}")
    print(f"!compare first call, drawing in the service        {first_ms:8.1f} ms")
    print(f"baseline: whole table in pandas per call           {stats(naive)}")
    med = statistics.median
    print(
        f"speed-up vs baseline: !industry warm {med(naive) / med(warm):,.0f}×, "
        f"cold {med(naive) / med(cold):,.1f}×; !compare {med(naive) / med(compare):,.1f}×"
    )
    print(f"chart service: {st.renders} render(s), {st.cache_hits} cache hits")
    print(
        f"trendbot ask '!industry', fresh process: median {med(walls):.2f} s, "
        f"max {max(walls):.2f} s"
    )
    ok = med(warm) <= 2 and med(compare) <= 2 and med(walls) <= 1
    print("targets (≤ 2 ms text-only, ≤ 1 s fresh process):", "met" if ok else "MISSED")


if __name__ == "__main__":
    main()
