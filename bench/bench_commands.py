"""Latency of `!ratio NeurIPS 2019` through the command layer, against naive pandas baselines.

Builds a store that also holds 200,000 synthetic per-paper rows (papers + their framework
mentions), consistent with the seed for every real venue-year so that the baseline computing the
answer from per-paper rows must arrive at the same 182 / 104 / 1,427, and padded with synthetic
later years. Then it times, in the same run:

- trendbot: ``run(ctx, "!ratio NeurIPS 2019")`` (parse, indexed rollup query, format, finish);
- baseline A: per call, load the per-paper table into pandas and count exclusive mentions;
- baseline B: per call, load the ``paper_counts`` rollup into pandas and filter it;
- a fresh process running ``trendbot ask "!ratio NeurIPS 2019"`` (wall time, import included).

Targets (issue 2): median ≤ 1 ms, ≥ 20× faster than baseline A; fresh process ≤ 1 s.
Run: ``python bench/bench_commands.py`` (about 30 s).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from trendbot.commands import Context, run
from trendbot.storage import open_store

TARGET_PAPERS = 200_000
QUESTION = "!ratio NeurIPS 2019"


def build_store(path: Path) -> tuple[int, int]:
    """Seed a store and add per-paper rows; returns (papers, mention rows)."""
    store = open_store(path)
    rng = random.Random(2019)
    papers: list[dict] = []
    mentions: list[dict] = []
    now = "2026-11-24T00:00:00+00:00"

    def add(venue: str, year: int, frameworks: tuple[str, ...]) -> None:
        pid = f"p{len(papers):07d}"
        papers.append(
            {
                "id": pid,
                "venue_id": venue,
                "year": year,
                "title": f"Synthetic paper {pid}",
                "authors": "[]",
                "pdf_url": None,
                "source_id": "horace-he-2021-10-22",
                "collected_at": now,
            }
        )
        for fw in frameworks:
            mentions.append(
                {
                    "paper_id": pid,
                    "method_id": "he2019-final",
                    "framework": fw,
                    "matched_terms": fw,
                    "collected_at": now,
                }
            )

    venues = list(store.venues())
    for venue in venues:
        for vy in store.venue_series(venue, "he2019-final"):
            both = min(vy.total_papers - vy.pytorch - vy.tensorflow, vy.classified // 10)
            kinds = (
                [("pytorch",)] * vy.pytorch
                + [("tensorflow",)] * vy.tensorflow
                + [("pytorch", "tensorflow")] * both
            )
            kinds += [()] * (vy.total_papers - len(kinds))
            rng.shuffle(kinds)
            for k in kinds:
                add(venue, vy.year, k)
    while len(papers) < TARGET_PAPERS:  # synthetic later years, so real venue-years stay exact
        r = rng.random()
        fws = (
            ("pytorch",)
            if r < 0.25
            else ("tensorflow",)
            if r < 0.3
            else ("jax",)
            if r < 0.33
            else ()
        )
        add(rng.choice(venues), rng.randint(2023, 2026), fws)
    rng.shuffle(papers)  # collectors do not write in venue order
    with store.db.atomic():
        store.db.table("papers").insert_all(papers, batch_size=5000)
        store.db.table("paper_mentions").insert_all(mentions, batch_size=5000)
    store.close()
    return len(papers), len(mentions)


def timeit(fn, n: int, warmup: int = 20) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


def main() -> int:
    import pandas as pd

    tmp = Path(tempfile.mkdtemp(prefix="trendbot-bench-"))
    try:
        db = tmp / "bench.db"
        t0 = time.perf_counter()
        n_papers, n_mentions = build_store(db)
        print(
            f"store: {n_papers:,} papers + {n_mentions:,} mention rows "
            f"built in {time.perf_counter() - t0:.1f} s ({db.stat().st_size / 1e6:.1f} MB)"
        )

        store = open_store(db)
        ctx = Context(store)
        reply = run(ctx, QUESTION)
        assert "PyTorch 182" in reply.text and "1,427" in reply.text, reply.text

        conn = store.conn

        def baseline_per_paper() -> tuple[int, int, int]:
            papers = pd.read_sql("SELECT id, venue_id, year FROM papers", conn)
            m = pd.read_sql(
                "SELECT paper_id, framework FROM paper_mentions WHERE method_id = 'he2019-final'",
                conn,
            )
            sel = papers[(papers.venue_id == "neurips") & (papers.year == 2019)]
            hits = m[m.paper_id.isin(sel.id)]
            pt = set(hits.paper_id[hits.framework == "pytorch"])
            tf = set(hits.paper_id[hits.framework == "tensorflow"])
            return len(pt - tf), len(tf - pt), len(sel)

        def baseline_rollup() -> tuple[int, int, int]:
            df = pd.read_sql("SELECT * FROM paper_counts", conn)
            sel = df[
                (df.venue_id == "neurips") & (df.year == 2019) & (df.method_id == "he2019-final")
            ]
            counts = dict(zip(sel.framework, sel.papers, strict=True))
            return counts["pytorch"], counts["tensorflow"], int(sel.total_papers.iloc[0])

        assert baseline_per_paper() == (182, 104, 1427), baseline_per_paper()
        assert baseline_rollup() == (182, 104, 1427)

        ours = timeit(lambda: run(ctx, QUESTION), 5000, warmup=200)
        base_a = timeit(baseline_per_paper, 15, warmup=2)
        base_b = timeit(baseline_rollup, 500, warmup=20)
        store.close()

        med = statistics.median(ours)
        print(f"\n{QUESTION!r} through the command layer ({len(ours)} calls):")
        print(
            f"  trendbot                       median {med * 1e3:8.3f} ms   "
            f"p99 {pct(ours, 0.99) * 1e3:8.3f} ms"
        )
        ma, mb = statistics.median(base_a), statistics.median(base_b)
        print(
            f"  baseline A: pandas, per-paper  median {ma * 1e3:8.3f} ms   "
            f"p99 {pct(base_a, 0.99) * 1e3:8.3f} ms   ({ma / med:,.0f}x slower)"
        )
        print(
            f"  baseline B: pandas, rollup     median {mb * 1e3:8.3f} ms   "
            f"p99 {pct(base_b, 0.99) * 1e3:8.3f} ms   ({mb / med:,.0f}x slower)"
        )

        exe = shutil.which("trendbot", path=str(Path(sys.executable).parent))
        cmd = [exe, "ask", QUESTION] if exe else [sys.executable, "-m", "trendbot", "ask", QUESTION]
        env = {**os.environ, "TRENDBOT_DB": str(db), "TRENDBOT_ENV_FILE": os.devnull}
        walls = []
        for _ in range(11):
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            walls.append(time.perf_counter() - t0)
            assert "PyTorch 182" in proc.stdout
        wall = statistics.median(walls)
        print(
            f'\nfresh process `trendbot ask "{QUESTION}"` (11 runs): median {wall:.3f} s, '
            f"max {max(walls):.3f} s"
        )

        checks = [
            ("median ≤ 1 ms", med <= 1e-3),
            ("≥ 20x faster than baseline A", ma / med >= 20),
            ("fresh process ≤ 1 s", wall <= 1.0),
        ]
        print()
        for name, ok in checks:
            print(f"  {'PASS' if ok else 'MISS'}  {name}")
        return 0 if all(ok for _, ok in checks) else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
