"""A paper collection end to end on 127.0.0.1: the real CVF source lists a generated conference,
PDFs are downloaded through the shared HTTP client (with faults), read in the PDF pool, and the
store gets per-paper results and counts, incrementally and resumably."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from tests.support.conference import Conference, Paper
from tests.support.loopback import Loopback, Reply
from tests.support.pdfgen import (
    HYPHENATED_PYTORCH,
    LIGATURE_TENSORFLOW,
    MENTIONS,
    corrupt_pdf,
    make_paper,
    scan_pdf,
)
from tests.test_cli import TRENDBOT
from trendbot.collectors.papers.collect import Options, PaperCollector
from trendbot.collectors.policy import DEFAULT_POLICIES
from trendbot.config import SOURCE_URLS, Settings
from trendbot.storage import open_store

YEAR = 2025


@functools.cache
def papers() -> tuple[Paper, ...]:
    """A dozen papers whose mentions are known; typeset mentions included."""
    specs = [
        ("pytorch",),
        ("pytorch", "torchvision"),
        ("tensorflow",),
        ("keras",),  # TensorFlow under the study's rule, its own framework under modern
        ("pytorch", "tensorflow"),  # counts for neither under final; both under modern
        ("jax",),
        ("pytorch", "jax"),
        (),
        (HYPHENATED_PYTORCH,),
        (LIGATURE_TENSORFLOW,),
        ("decoys",),  # flax fields, a quark-gluon plasma, an Ajax request: nothing
    ]
    named = [
        {"pytorch"}, {"pytorch"}, {"tensorflow"}, {"keras"}, {"pytorch", "tensorflow"}, {"jax"},
        {"pytorch", "jax"}, set(), {"pytorch"}, {"tensorflow"}, set(),
    ]  # fmt: skip
    out = []
    for i, (spec, fws) in enumerate(zip(specs, named, strict=True)):
        mentions = [MENTIONS[s] if isinstance(s, str) and s in MENTIONS else s for s in spec]
        pdf = make_paper(seed=i, pages=2, mentions=mentions)
        out.append(
            Paper(
                f"Author{i}_Paper_{i}",
                f"Paper {i}: on things",
                (f"A. Author{i}", "B. Coauthor"),
                pdf,
                frozenset(fws),
            )
        )
    out.append(Paper("Scan_Only", "A scanned paper", ("C. Scan",), scan_pdf(2)))
    out.append(Paper("Broken_File", "A broken file", ("D. Broken",), corrupt_pdf()))
    out.append(Paper("No_Pdf_Here", "A paper without a PDF", ("E. Missing",), None))
    return tuple(out)


def expected(ps) -> dict[str, dict[str, int]]:
    read = [p for p in ps if p.pdf is not None]
    final = {"pytorch": 0, "tensorflow": 0}
    for p in read:
        tf = {"tensorflow", "keras"} & p.named
        if "pytorch" in p.named and not tf:
            final["pytorch"] += 1
        elif tf and "pytorch" not in p.named:
            final["tensorflow"] += 1
    modern = {fw: sum(fw in p.named for p in read) for fw in ("pytorch", "tensorflow", "jax")}
    modern["keras"] = sum("keras" in p.named for p in read)
    modern["pytorch+tensorflow"] = sum({"pytorch", "tensorflow"} <= p.named for p in read)
    return {"final": final, "modern": modern}


def conference(**faults) -> Conference:
    conf = Conference("CVPR", YEAR, list(papers()))
    conf.pdf_replies.update(faults)
    return conf


def settings_for(srv: Loopback) -> Settings:
    return Settings(source_urls={name: srv.base for name in SOURCE_URLS})


def fast_client(srv: Loopback):
    from trendbot.collectors.http import HttpClient

    fast = {
        n: replace(p, rate=1000, burst=1000, backoff=0.01, backoff_max=0.05, attempts=3)
        for n, p in DEFAULT_POLICIES.items()
    }
    return HttpClient(settings_for(srv), fast, env={})


async def collect(store, srv, **options):
    async with (
        fast_client(srv) as http,
        PaperCollector(
            store, settings_for(srv), Options(workers=2, **options), http=http
        ) as collector,
    ):
        return await collector.collect("CVPR", YEAR)


async def test_a_venue_year_is_listed_read_and_counted(tmp_path):
    store = open_store(tmp_path / "t.db")
    conf = conference(
        Author0_Paper_0=[Reply.error(500), Reply.error(503)],  # retried, then served
        Author2_Paper_2=[Reply.rate_limited(0.2)],  # 429 with Retry-After
        Author3_Paper_3=[Reply.truncated(papers()[3].pdf)],  # cut short: retried
    )
    v0 = store.data_version()
    async with Loopback() as srv:
        conf.serve(srv)
        report = await collect(store, srv)
    assert report.error is None and report.written
    assert report.total == len(papers())  # every listed paper counts in the total
    assert (report.failed, report.no_text) == (2, 1)  # broken file and missing PDF; the scan
    want = expected(papers())
    assert report.counts["final"] == want["final"]
    for fw, n in want["modern"].items():
        assert report.counts["modern"][fw] == n, fw
    assert store.data_version() == v0 + 1  # the venue-year was published once
    store.refresh()
    row = store.venue_year("cvpr", YEAR, "he2019-final")
    assert (row.pytorch, row.tensorflow, row.total_papers) == (
        want["final"]["pytorch"], want["final"]["tensorflow"], len(papers()),
    )  # fmt: skip
    assert row.source_id == "trendbot-cvf" and "trendbot" in store.sources()[row.source_id].name
    reasons = dict(store.conn.execute("SELECT id, reason FROM papers WHERE status = 'failed'"))
    assert any("no PDF" in r for r in reasons.values())
    assert any("not a PDF" in r or "damaged" in r for r in reasons.values())
    run = store.conn.execute(
        "SELECT status, items, detail FROM collection_runs WHERE collector = 'papers'"
    ).fetchone()
    assert run[0] == "partial" and run[1] == len(papers())
    assert json.loads(run[2])["http"]["retries"] >= 3
    store.close()


async def test_a_second_run_fetches_nothing_done_nor_permanent_failures(tmp_path):
    store = open_store(tmp_path / "t.db")
    async with Loopback() as srv:
        conference().serve(srv)
        await collect(store, srv)
        before = len(srv.requests)
        v1 = store.data_version()
        again = await collect(store, srv)
        second = srv.requests[before:]
    # The listing is stored (a past year does not change) and read papers are done; the broken
    # PDF and the paper without one failed for good: retried in RETRY_PERMANENT_DAYS, not daily
    # (tests/test_collect_recovery.py retries transient failures).
    assert second == []
    assert again.read_now == 0 and again.counts == (await _counts(store))
    assert (again.failed, again.retried) == (2, 0)
    assert store.data_version() == v1  # nothing changed, nothing moved
    store.close()


async def _counts(store):
    rows = store.conn.execute(
        "SELECT m.name, pc.framework, pc.papers FROM paper_counts pc JOIN methods m"
        " ON m.id = pc.method_id WHERE pc.source_id = 'trendbot-cvf'"
    ).fetchall()
    out: dict[str, dict[str, int]] = {}
    for method, fw, n in rows:
        out.setdefault(method, {})[fw] = n
    return out


async def test_a_dry_run_lists_and_writes_nothing(tmp_path):
    store = open_store(tmp_path / "t.db")
    v0 = store.data_version()
    async with Loopback() as srv:
        conference().serve(srv)
        report = await collect(store, srv, dry_run=True)
        paths = [r.path for r in srv.requests]
    assert report.listed == len(papers()) and report.to_read == len(papers())
    assert paths == [conference().listing_path]  # no PDF downloaded
    assert store.conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 0
    runs = store.conn.execute("SELECT count(*) FROM collection_runs WHERE collector = 'papers'")
    assert runs.fetchone()[0] == 0
    assert store.data_version() == v0
    store.close()


async def test_a_listing_that_keeps_failing_is_one_sentence_and_changes_nothing(tmp_path):
    store = open_store(tmp_path / "t.db")
    v0 = store.data_version()
    async with Loopback() as srv:
        srv.route(f"/CVPR{YEAR}", Reply.error(502))
        report = await collect(store, srv)
    assert report.error and report.error.startswith(f"Could not list CVPR {YEAR}")
    assert "\n" not in report.error
    assert store.data_version() == v0
    assert store.conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 0
    status = store.conn.execute("SELECT status FROM collection_runs WHERE collector='papers'")
    assert [r[0] for r in status] == ["failed"]
    store.close()


# -- as a process: the CLI, kill -9 and resume --------------------------------------------------
def _env(tmp_path, srv: Loopback) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TRENDBOT_"))}
    env.update({name: srv.base for name in SOURCE_URLS})
    env.update(
        TRENDBOT_DB=str(tmp_path / "collect.db"),
        TRENDBOT_ENV_FILE=os.devnull,
    )
    return env


def _collect_cmd(*extra: str) -> list[str]:
    return [TRENDBOT, "collect", "papers", "--venue", "CVPR", "--year", str(YEAR), "--rate",
            "1000", "--workers", "2", *extra]  # fmt: skip


async def _run(cmd, env, timeout=120):
    proc = await asyncio.create_subprocess_exec(
        *cmd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


async def test_the_cli_prints_one_json_line_per_venue_year(tmp_path):
    async with Loopback() as srv:
        conference().serve(srv)
        code, out, err = await _run(_collect_cmd("--json", "--progress"), _env(tmp_path, srv))
    assert code == 0, err
    (line,) = out.splitlines()
    got = json.loads(line)
    assert (got["venue"], got["year"], got["total"]) == ("CVPR", YEAR, len(papers()))
    assert (got["failed"], got["no_text"]) == (2, 1)
    assert got["counts"]["final"] == expected(papers())["final"]
    assert "paper/s" in err or "paper" in err  # the progress bar went to stderr
    assert "Traceback" not in err


async def test_kill_9_in_the_middle_then_a_rerun_finishes_with_nothing_twice_or_lost(tmp_path):
    async with Loopback() as srv:
        conference().serve(srv, delay=0.15)  # slow PDFs: the kill lands mid-run
        env = _env(tmp_path, srv)
        proc = subprocess.Popen(
            _collect_cmd("--batch", "2", "--downloads", "2"), env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        db = tmp_path / "collect.db"
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            try:
                with sqlite3.connect(db) as conn:
                    done = conn.execute(
                        "SELECT count(*) FROM papers WHERE status != 'pending'"
                    ).fetchone()[0]
            except sqlite3.Error:
                continue
            if done >= 4:
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert 4 <= done < len(papers()), "the kill must land in the middle of the run"
        first_run = len([r for r in srv.requests if r.path.endswith(".pdf")])
        code, out, err = await _run(_collect_cmd("--json"), env)
        second_run = [r.path for r in srv.requests if r.path.endswith(".pdf")][first_run:]
    assert code == 0, err
    with sqlite3.connect(db) as conn:
        states = dict(conn.execute("SELECT status, count(*) FROM papers GROUP BY status"))
        ids = [r[0] for r in conn.execute("SELECT id FROM papers")]
        runs = conn.execute("SELECT count(*) FROM collection_runs WHERE collector = 'papers'")
        assert runs.fetchone()[0] == 2
    assert len(ids) == len(set(ids)) == len(papers())  # no duplicate, none lost
    assert "pending" not in states
    got = json.loads(out)
    assert got["counts"]["final"] == expected(papers())["final"]
    # Papers stored before the kill were not downloaded again.
    stored_before = done
    assert len(second_run) <= len(papers()) - stored_before + 1  # + the broken one, retried


def test_collect_rejects_bad_input_in_one_sentence(cli_env):
    for args in (["--venue", "NIPZ"], ["--venue", "CVPR", "--year", "1999"]):
        proc = subprocess.run(
            [TRENDBOT, "collect", "papers", *args], env=cli_env, capture_output=True, text=True
        )
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


if sys.platform == "win32":  # pragma: no cover
    pytest.skip("signals", allow_module_level=True)


# -- OpenReview: a login, PDFs in zips of up to 50, a paper the zip lacks fetched on its own ------
async def test_an_openreview_venue_year_reads_pdfs_from_zips_with_the_login(tmp_path):
    import io
    import zipfile

    from aiohttp import web

    from tests.test_papers_openreview import CREDS, ERRORS, login_ok, v2_notes

    pdfs = {f"note{n:05d}": p.pdf for n, p in enumerate(papers()[:6])}

    def attachment(request: web.Request) -> Reply:
        assert request.headers["Authorization"].startswith("Bearer ")
        ids = request.query["ids"].split(",")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for note_id in ids[:-1]:  # the zip lacks the last paper of the batch
                zf.writestr(f"{note_id}.pdf", pdfs[note_id])
        return Reply(200, buf.getvalue(), content_type="application/zip")

    def single(request: web.Request) -> Reply:
        assert request.headers["Authorization"].startswith("Bearer ")
        return Reply(200, pdfs[request.query["id"]], content_type="application/pdf")

    store = open_store(tmp_path / "t.db")
    async with Loopback() as srv:
        srv.handler("/login", login_ok)
        srv.handler("/notes", v2_notes(6, "ICLR.cc/2024/Conference"))
        srv.handler("/attachment", attachment)
        srv.handler("/pdf", single)
        http = fast_client(srv)
        http.env.update(CREDS)
        async with (
            http,
            PaperCollector(store, settings_for(srv), Options(workers=2), http=http) as collector,
        ):
            report = await collector.collect("ICLR", 2024)
        zips, singles = srv.hits("/attachment"), srv.hits("/pdf")
    assert report.error is None and report.written, report.error
    assert (report.total, report.failed) == (6, 0)
    assert len(zips) == 1 and len(singles) == 1  # one zip for six, and the one it lacked
    assert singles[0].query["id"] == "note00005"
    assert report.counts["final"] == expected(papers()[:6])["final"]
    assert ERRORS["login_ok"]["token"] in zips[0].headers["Authorization"]
    store.close()


async def test_a_spent_openreview_quota_is_a_quota_run_and_the_next_run_collects(tmp_path):
    """Issue 15: OpenReview's 429 (the hour's allowance spent) is not a failure of the run: the
    venue-year's run is `quota` with the reset time, the command exits 0, `collect --status`
    says so, and a run after the reset lists and reads the venue-year."""
    import copy
    import io
    import zipfile

    from aiohttp import web

    from tests.test_papers_openreview import CREDS, ERRORS, login_ok, v2_notes

    pdfs = {f"note{n:05d}": p.pdf for n, p in enumerate(papers()[:3])}
    body = copy.deepcopy(ERRORS["rate_limit_429"])
    reset = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 3613))
    body["details"]["resetTime"] = reset + ".000Z"
    spent = {"now": True}
    listing = v2_notes(3, "ICLR.cc/2024/Conference")

    def notes(request: web.Request) -> Reply:
        return Reply.json(body, 429) if spent["now"] else listing(request)

    def single(request: web.Request) -> Reply:
        return Reply(200, pdfs[request.query["id"]], content_type="application/pdf")

    def zipped(request: web.Request) -> Reply:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for note_id in request.query["ids"].split(","):
                zf.writestr(f"{note_id}.pdf", pdfs[note_id])
        return Reply(200, buf.getvalue(), content_type="application/zip")

    cmd = [TRENDBOT, "collect", "papers", "--venue", "ICLR", "--year", "2024", "--rate", "1000",
           "--workers", "1", "--json"]  # fmt: skip
    async with Loopback() as srv:
        srv.handler("/login", login_ok)
        srv.handler("/notes", notes)
        srv.handler("/pdf", single)  # none is asked for: the zip holds every PDF
        srv.handler("/attachment", zipped)
        env = {**_env(tmp_path, srv), **CREDS}
        code, out, err = await _run(cmd, env)
        assert code == 0 and "Traceback" not in err, err
        (line,) = out.splitlines()
        got = json.loads(line)
        assert "quota is spent (listing ICLR 2024)" in got["error"]
        assert got["quota"]["resets_at"] == reset + "Z" and len(srv.hits("/notes")) == 1
        code, status, err = await _run([TRENDBOT, "collect", "--status"], env)
        assert code == 0, err
        (row,) = [r for r in status.splitlines() if r.startswith("ICLR 2024")]
        assert "not listed" in row and " quota: OpenReview's request quota is spent" in row
        spent["now"] = False  # the hour has passed
        code, out, err = await _run(cmd, env)
        zips, singles = srv.hits("/attachment"), srv.hits("/pdf")
    assert code == 0, err
    got = json.loads(out.splitlines()[0])
    assert (got["total"], got["failed"], got.get("error")) == (3, 0, None), got
    assert (len(zips), len(singles)) == (1, 0)
    store = open_store(tmp_path / "collect.db")
    try:
        status = store.conn.execute(
            "SELECT status FROM collection_runs WHERE collector = 'papers' ORDER BY id"
        ).fetchall()
    finally:
        store.close()
    assert [s for (s,) in status] == ["quota", "ok"]
