"""Hosts side by side: `trendbot collect papers` over two paper hosts on 127.0.0.1 (a CVF Open
Access site and the NeurIPS proceedings, each its own server, real formats) works both hosts'
queues at once, never faster than each host's rate, and stores exactly what one venue-year
after another stores."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import time
from dataclasses import replace

from tests.support.conference import Conference, Paper
from tests.support.loopback import Loopback, Recorded, Reply
from tests.support.proceedings import _hash, paper_pdf, year_page
from tests.test_cli import TRENDBOT
from trendbot.collectors.http import HttpClient
from trendbot.collectors.papers.collect import Options, PaperCollector
from trendbot.collectors.papers.hosts import host_queues
from trendbot.collectors.policy import DEFAULT_POLICIES
from trendbot.config import SOURCE_URLS, Settings
from trendbot.storage import open_store

RATE = 8.0  # --rate: requests a second per source (burst: 8)
PER_YEAR = 14  # papers per venue-year
YEARS = (2023, 2024)
FRAMEWORKS = (("pytorch",), ("tensorflow",), ("jax",), ("pytorch", "tensorflow"), ())


@functools.cache
def cvf_papers(year: int) -> tuple[Paper, ...]:
    return tuple(
        Paper(f"Author{i}_Paper_{year}_{i}", f"Paper {i} of {year}", ("A. Author",),
              paper_pdf(i % 5, FRAMEWORKS[i % 5]))
        for i in range(PER_YEAR)
    )  # fmt: skip


def neurips_papers() -> list[tuple[str, tuple[str, ...]]]:
    return [(f"NeurIPS paper {i}", FRAMEWORKS[i % 5]) for i in range(PER_YEAR)]


def serve(cvf: Loopback, nips: Loopback, delay: float = 0.0) -> None:
    for year in YEARS:
        Conference("CVPR", year, list(cvf_papers(year))).serve(cvf, delay=delay)
        # NeurIPS year pages in the real shape; the same five PDFs as the CVF site's (fast).
        nips.route(f"/paper_files/paper/{year}", Reply.html(year_page(year, neurips_papers())))
        for i in range(PER_YEAR):
            path = f"/paper_files/paper/{year}/file/{_hash(year, i)}-Paper-Conference.pdf"
            nips.route(path, Reply.binary(paper_pdf(i % 5, FRAMEWORKS[i % 5]), delay=delay))


def urls(cvf: Loopback, nips: Loopback) -> dict[str, str]:
    out = dict.fromkeys(SOURCE_URLS, "http://127.0.0.1:9")  # anything else: closed
    out.update(CVF_BASE_URL=cvf.base, NEURIPS_BASE_URL=nips.base)
    return out


def chosen() -> list[tuple[str, int]]:
    return [(venue, year) for year in YEARS for venue in ("CVPR", "NeurIPS")]


def within_rate(requests: list[Recorded], rate: float, burst: int) -> bool:
    """No stretch of requests came faster than the limiter allows: ``burst`` at once, then
    ``rate`` a second (a little slack for the server's clock reading)."""
    at = sorted(r.at for r in requests)
    return all(
        j - i + 1 <= burst + rate * (at[j] - at[i]) + 1
        for i in range(len(at))
        for j in range(i + 1, len(at))
    )


def stored(db) -> dict:
    store = open_store(db)
    try:
        conn = store.conn
        return {
            "papers": sorted(conn.execute("SELECT id, status FROM papers")),
            "mentions": sorted(
                conn.execute(
                    "SELECT paper_id, method_id, framework, matched_terms FROM paper_mentions"
                )
            ),
            "counts": sorted(
                conn.execute(
                    "SELECT venue_id, year, method_id, framework, papers, total_papers "
                    "FROM paper_counts WHERE source_id LIKE 'trendbot-%'"
                )
            ),
            "runs": sorted(
                conn.execute("SELECT status, items FROM collection_runs WHERE collector = 'papers'")
            ),
        }
    finally:
        store.close()


async def sequential(db, cvf: Loopback, nips: Loopback) -> list[dict]:
    """The same venue-years one after another, as `collect papers` ran them before."""
    store = open_store(db)
    settings = Settings(source_urls=urls(cvf, nips))
    fast = {n: replace(p, rate=RATE, burst=int(RATE)) for n, p in DEFAULT_POLICIES.items()}
    try:
        async with (
            HttpClient(settings, fast, env={}) as http,
            PaperCollector(store, settings, Options(workers=2), http=http) as collector,
        ):
            return [(await collector.collect(v, y)).as_json() for v, y in chosen()]
    finally:
        store.close()


def test_host_queues_keep_each_hosts_order():
    queues = host_queues([("CVPR", 2023), ("NeurIPS", 2023), ("ICCV", 2023), ("ACL", 2024)])
    assert [(q.source, q.venue_years) for q in queues] == [
        ("cvf", (("CVPR", 2023), ("ICCV", 2023))),
        ("neurips", (("NeurIPS", 2023),)),
        ("acl", (("ACL", 2024),)),
    ]


def cli_env(cvf: Loopback, nips: Loopback, db) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TRENDBOT_"))}
    env.update(urls(cvf, nips), TRENDBOT_DB=str(db), TRENDBOT_ENV_FILE=os.devnull)
    return env


CMD = [TRENDBOT, "collect", "papers", "--venue", "CVPR,NeurIPS", "--year", "2023", "--year",
       "2024", "--workers", "2", "--rate", str(RATE)]  # fmt: skip


async def test_two_hosts_run_side_by_side_at_their_own_rates(tmp_path):
    async with Loopback() as cvf, Loopback() as nips:
        serve(cvf, nips)
        env = cli_env(cvf, nips, tmp_path / "side.db")
        cmd = [*CMD, "--json", "--progress"]
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *cmd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        wall = time.monotonic() - started
        assert proc.returncode == 0, err.decode()
        side = {"cvf": list(cvf.requests), "neurips": list(nips.requests)}
        cvf.requests.clear()
        nips.requests.clear()
        seq_reports = await sequential(tmp_path / "seq.db", cvf, nips)
        seq = {"cvf": list(cvf.requests), "neurips": list(nips.requests)}

    # Both hosts worked at once: in time order their requests interleave all along (one
    # venue-year after another, they come in one block per venue-year: 3 switches).
    merged = sorted((r.at, host) for host, rs in side.items() for r in rs)
    switches = sum(a[1] != b[1] for a, b in itertools.pairwise(merged))
    assert switches >= 10, switches
    a, b = side["cvf"], side["neurips"]
    assert a[0].at < b[-1].at and b[0].at < a[-1].at
    # Neither host was asked faster than its rate, side by side or not.
    for host in ("cvf", "neurips"):
        assert within_rate(side[host], RATE, int(RATE)), host
        assert len(side[host]) == len(seq[host]) == len(YEARS) * (PER_YEAR + 1)
    # Each host's floor is its requests at its rate; side by side the run is near the busiest.
    floor = len(YEARS) * (PER_YEAR + 1) / RATE
    print(f"side by side: {wall:.1f} s; floor {floor:.1f} s")
    assert wall < 2 * floor + 8  # the process start and PDF pool are in it (~2-4 s)
    # The same result as one venue-year after another: reports, papers, mentions, counts, runs.
    lines = [json.loads(line) for line in out.decode().splitlines()]
    key = lambda r: (r["venue"], r["year"])  # noqa: E731
    assert sorted(lines, key=key) == sorted(seq_reports, key=key)
    assert stored(tmp_path / "side.db") == stored(tmp_path / "seq.db")
    # Every host has its line on the progress display.
    text = err.decode()
    assert "CVF" in text and "papers.nips.cc" in text and "Traceback" not in text


async def test_kill_9_with_both_hosts_mid_run_then_a_rerun_finishes_with_nothing_twice(tmp_path):
    async with Loopback() as cvf, Loopback() as nips:
        serve(cvf, nips, delay=0.1)  # slow PDFs: the kill lands with both hosts mid-run
        env = cli_env(cvf, nips, tmp_path / "side.db")
        proc = subprocess.Popen([*CMD, "--batch", "2"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)  # fmt: skip
        done: dict[str, int] = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and min(done.values(), default=0) < 4:
            await asyncio.sleep(0.1)
            try:
                with sqlite3.connect(tmp_path / "side.db") as conn:
                    done = dict(conn.execute(
                        "SELECT source_id, count(*) FROM papers WHERE status != 'pending' "
                        "GROUP BY source_id"
                    ))  # fmt: skip
            except sqlite3.Error:
                continue
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert len(done) == 2 and sum(done.values()) < 4 * PER_YEAR, done  # both mid-run
        before = {"cvf": len(cvf.requests), "neurips": len(nips.requests)}
        rerun = await asyncio.create_subprocess_exec(
            *CMD, "--json", env=env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await asyncio.wait_for(rerun.communicate(), 60)
        pdfs = [r for r in (*cvf.requests[before["cvf"] :], *nips.requests[before["neurips"] :])
                if r.path.endswith(".pdf")]  # fmt: skip
        cvf.requests.clear()
        nips.requests.clear()
        await sequential(tmp_path / "seq.db", cvf, nips)
    assert rerun.returncode == 0, err.decode()
    with sqlite3.connect(tmp_path / "side.db") as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM papers")]
        pending = conn.execute("SELECT count(*) FROM papers WHERE status = 'pending'").fetchone()
    assert len(ids) == len(set(ids)) == 4 * PER_YEAR and pending == (0,)  # none twice, none lost
    # What was stored before the kill is not fetched again.
    assert len(pdfs) <= 4 * PER_YEAR - sum(done.values()), (len(pdfs), done)
    got = stored(tmp_path / "side.db")
    want = stored(tmp_path / "seq.db")
    for what in ("papers", "mentions", "counts"):
        assert got[what] == want[what], what
