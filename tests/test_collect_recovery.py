"""Issue 15, item 1: papers that could not be read are recovered by later runs, end to end.

A CVF venue-year on 127.0.0.1 where 8 PDFs answer 503 on run 1; on run 2 the source serves 4 of
them. Run 2 downloads only those 8 (the fake server's request log says so), reads the 4,
rebuilds the venue-year's counts in one transaction, writes one update event, and the real bot's
poster makes one post in the subscribed channel; run 3, with nothing changed, writes no event and
posts nothing. A permanent failure (404, not a PDF) is not downloaded again by the next run, only
after ``RETRY_PERMANENT_DAYS`` or with ``--refresh``. The command line retries failed papers of
years it was not asked for (the daily ``--recent 2`` run) and says what it recovered.
"""

from __future__ import annotations

import functools
import json
import subprocess
from datetime import datetime

from tests.support.bot_harness import running_bot
from tests.support.conference import Conference, Paper
from tests.support.discord_emulator import DiscordEmulator
from tests.support.loopback import Loopback, Reply
from tests.support.pdfgen import MENTIONS, corrupt_pdf, make_paper
from tests.test_cli import TRENDBOT
from tests.test_collect_papers import _env, _run, fast_client, settings_for
from tests.test_subscriptions_bot import FAST, mod_user, say, settle, updates
from trendbot.collectors.papers.collect import Options, PaperCollector
from trendbot.storage import open_store, outbox
from trendbot.storage import papers as papers_db
from trendbot.storage.papers import RETRY_PERMANENT_DAYS

YEAR = 2025
OK_PDF = "application/pdf"


@functools.cache
def good() -> tuple[Paper, ...]:
    """Four papers served on every run."""
    names = ("pytorch", "pytorch", "tensorflow", None)
    return tuple(
        Paper(f"Good_{i}", f"Good {i}", ("A. Good",),
              make_paper(seed=200 + i, pages=1, mentions=[MENTIONS[n]] if n else []),
              frozenset({n} if n else ()))
        for i, n in enumerate(names)
    )  # fmt: skip


@functools.cache
def flaky() -> tuple[Paper, ...]:
    """Eight papers whose PDFs answer 503 on run 1; the first four are served on run 2: two name
    PyTorch, two name nothing."""
    names = ("pytorch", "pytorch", None, None, "pytorch", "tensorflow", None, None)
    return tuple(
        Paper(f"Flaky_{i}", f"Flaky {i}", ("F. Laky",),
              make_paper(seed=300 + i, pages=1, mentions=[MENTIONS[n]] if n else []),
              frozenset({n} if n else ()))
        for i, n in enumerate(names)
    )  # fmt: skip


def serve(srv: Loopback, conf: Conference, served: int) -> None:
    """The conference with the first ``served`` flaky PDFs answering, the rest 503 every time."""
    conf.serve(srv)
    for i, p in enumerate(flaky()):
        reply = Reply(200, p.pdf, content_type=OK_PDF) if i < served else Reply.error(503)
        srv.route(conf.pdf_path(p.stem), reply)


async def collect(db, srv, **options):
    """One run as `trendbot collect papers` makes it: its own store connection and client."""
    with open_store(db) as store:
        async with (
            fast_client(srv) as http,
            PaperCollector(
                store, settings_for(srv), Options(workers=1, **options), http=http
            ) as collector,
        ):
            return await collector.collect("CVPR", YEAR)


def events(db) -> list[outbox.Event]:
    with open_store(db) as store:
        ids = [r[0] for r in store.conn.execute("SELECT id FROM update_events ORDER BY id")]
        return list(store.read(outbox.events, ids).values())


def pdf_paths(srv: Loopback, since: int) -> list[str]:
    return sorted(r.path for r in srv.requests[since:])


async def test_failed_papers_are_recovered_counted_and_posted_once(tmp_path):
    conf = Conference("CVPR", YEAR, [*good(), *flaky()])
    emu = DiscordEmulator()
    mod = mod_user(emu)
    channel = emu.add_channel("cvpr")
    db = tmp_path / "bot.db"
    async with (
        Loopback() as srv,
        running_bot(tmp_path, env=FAST, emulator=emu, start_charts=False) as r,
    ):
        subscribed = await say(emu, f"!subscribe CVPR <#{channel}>", user=mod)
        assert "Subscribed" in subscribed.content
        serve(srv, conf, served=0)
        first = await collect(db, srv)
        assert (first.total, first.failed, first.retried) == (12, 8, 0)
        assert first.counts["final"] == {"pytorch": 2, "tensorflow": 1}
        await emu.wait_for(lambda: len(updates(emu, channel)) == 1)

        serve(srv, conf, served=4)
        with open_store(db) as store:
            version = store.data_version()
        before = len(srv.requests)
        second = await collect(db, srv)
        # Only the failed papers were downloaded again: no listing, no paper read before.
        assert pdf_paths(srv, before) == sorted(
            path
            for p in flaky()
            for path in [conf.pdf_path(p.stem)]
            * (1 if p in flaky()[:4] else 3)  # a 503 is retried (3 attempts) within the run
        )
        assert (second.total, second.failed, second.retried, second.recovered) == (12, 4, 8, 4)
        assert second.still_failing == 4 and second.written
        assert second.counts["final"] == {"pytorch": 4, "tensorflow": 1}
        assert second.as_json()["recovered"] == 4 and second.as_json()["still_failing"] == 4
        # Every method's figures were rebuilt (modern too), in one step of the data version.
        assert second.counts["modern"]["pytorch"] == 4
        with open_store(db) as store:
            states = dict(store.conn.execute("SELECT status, count(*) FROM papers GROUP BY 1"))
            assert store.data_version() == version + 1  # every figure moved at once
        assert states == {"ok": 8, "failed": 4}
        *_, event = events(db)
        assert len(events(db)) == 2 and event.title == f"CVPR {YEAR}"
        moved = {(c.group, c.figure): (c.old, c.new) for c in event.changes}
        assert moved[("final", "pytorch")] == (2, 4)
        assert moved[("modern", "pytorch")] == (2, 4)
        assert moved[("", "unread")] == (8, 4)
        await emu.wait_for(lambda: len(updates(emu, channel)) == 2)
        post = updates(emu, channel)[1].embeds[0]["description"]
        assert "PyTorch 2 → 4 (+2)" in post and "could not be read 8 → 4 (−4)" in post

        # Run 3: the same 4 still fail, nothing else changed: no event, no post.
        before = len(srv.requests)
        third = await collect(db, srv)
        assert pdf_paths(srv, before) == sorted(
            conf.pdf_path(p.stem) for p in flaky()[4:] for _ in range(3)
        )
        assert (third.failed, third.retried, third.recovered) == (4, 4, 0)
        assert len(events(db)) == 2
        await settle(r)
        assert len(updates(emu, channel)) == 2
        assert r.bot.updates.stats.errors == 0


async def test_recovered_papers_that_name_nothing_still_change_the_reply(tmp_path):
    """The served papers name no framework: no count moves, but "could not be read" does."""
    conf = Conference("CVPR", YEAR, [*good(), *flaky()[2:4]])
    db = tmp_path / "t.db"
    async with Loopback() as srv:
        conf.serve(srv)
        for p in flaky()[2:4]:
            srv.route(conf.pdf_path(p.stem), Reply.error(503))
        await collect(db, srv)
        for p in flaky()[2:4]:
            srv.route(conf.pdf_path(p.stem), Reply(200, p.pdf, content_type=OK_PDF))
        again = await collect(db, srv)
    assert (again.failed, again.recovered) == (0, 2)
    first, second = events(db)
    # (The code method's coverage moves too: two more papers' text was searched for links.)
    text = [c for c in second.changes if c.group != "code"]
    assert [(c.figure, c.old, c.new) for c in text] == [("unread", 2, 0)]
    assert {(c.figure, c.new - c.old) for c in second.changes if c.group == "code"} == {
        ("searched", 2)
    }
    # A first collection: no "old" (the code method's "unread" counts repositories, not papers)
    assert not any(c.figure == "unread" and c.group != "code" for c in first.changes)


async def test_a_permanent_failure_waits_days_or_refresh_a_transient_one_is_retried(tmp_path):
    conf = Conference(
        "CVPR", YEAR,
        [*good(), Paper("Gone_404", "Gone", ("G. One",), make_paper(seed=9, pages=1)),
         Paper("Not_A_Pdf", "Broken", ("B. Roken",), corrupt_pdf()), flaky()[0]],
    )  # fmt: skip
    db = tmp_path / "t.db"
    gone, broken, busy = (conf.pdf_path(s) for s in ("Gone_404", "Not_A_Pdf", "Flaky_0"))
    async with Loopback() as srv:
        conf.serve(srv)
        srv.route(gone, Reply.error(404, "Not Found"))
        srv.route(busy, Reply.error(503))
        first = await collect(db, srv)
        assert first.failed == 3
        with open_store(db) as store:
            rows = dict(
                store.conn.execute("SELECT id, retry_at FROM papers WHERE status = 'failed'")
            )
            checked = store.conn.execute("SELECT max(checked_at) FROM papers").fetchone()[0]
        waits = sorted(
            (datetime.fromisoformat(at) - datetime.fromisoformat(checked)).days
            for at in rows.values()
            if at
        )
        assert waits == [RETRY_PERMANENT_DAYS] * 2  # the 404 and the broken file; 503: None
        # A dry run says so, and the next run retries only the transient failure.
        assert (await collect(db, srv, dry_run=True)).to_read == 1
        before = len(srv.requests)
        await collect(db, srv)
        assert pdf_paths(srv, before) == [busy] * 3
        # --refresh retries everything that failed (and lists again).
        before = len(srv.requests)
        await collect(db, srv, refresh=True)
        assert set(pdf_paths(srv, before)) == {conf.listing_path, gone, broken, busy}
        # Once the days have passed, the next run tries the permanent ones again.
        with open_store(db) as store, store.conn:
            store.conn.execute(
                "UPDATE papers SET retry_at = '2000-01-01T00:00:00+00:00' WHERE retry_at"
                " IS NOT NULL"
            )
        before = len(srv.requests)
        await collect(db, srv)
        assert set(pdf_paths(srv, before)) == {gone, broken, busy}
    # A listing that gives the 404's paper a new PDF link makes it due at once.
    with open_store(db) as store:
        rows = store.conn.execute(
            "SELECT id, title, authors, pdf_url, track, main FROM papers ORDER BY rowid"
        ).fetchall()
        listed = [
            papers_db.ListedPaper(pid, title, tuple(json.loads(authors)),
                                  url + "?v=2" if url.endswith(gone) else url, track, bool(main))
            for pid, title, authors, url, track, main in rows
        ]  # fmt: skip
        papers_db.save_listing(
            store.conn, venue_id="cvpr", year=YEAR, source_id="trendbot-cvf",
            population="accepted", papers=listed,
        )  # fmt: skip
        due = store.read(papers_db.todo, "cvpr", YEAR, {"x": "y"})
        failed = {t.id: t for t in due if t.status == "failed"}
    assert len(failed) == 2 and any(t.pdf_url.endswith("?v=2") for t in failed.values())


async def test_the_cli_retries_other_years_and_reports_the_recovered(tmp_path):
    """`trendbot collect papers --year 2024` (a run naming another year, as the daily
    `--recent 2` does) retries CVPR 2025's failed papers; its summary line and `collect
    --status` say how many were recovered."""
    conf = Conference("CVPR", YEAR, [*good()[:2], *flaky()[:2]])
    other = Conference("CVPR", 2024, list(good()[2:]))
    async with Loopback() as srv:
        env = _env(tmp_path, srv)
        conf.serve(srv)
        other.serve(srv)
        for p in flaky()[:2]:  # a CDN's 403: transient, and not retried within the run
            srv.route(conf.pdf_path(p.stem), Reply.error(403, "Forbidden"))
        base = [TRENDBOT, "collect", "papers", "--venue", "CVPR", "--rate", "1000",
                "--workers", "1", "--no-progress"]  # fmt: skip
        code, out, err = await _run([*base, "--year", str(YEAR)], env)
        assert code == 0, err
        assert out.startswith(f"CVPR {YEAR}: 4 papers, 2 could not be read;")
        srv.route(conf.pdf_path(flaky()[0].stem), Reply(200, flaky()[0].pdf, content_type=OK_PDF))
        code, out, err = await _run([*base, "--year", "2024", "--json"], env)
        assert code == 0, err
        lines = [json.loads(line) for line in out.splitlines()]
        assert [(x["venue"], x["year"]) for x in lines] == [("CVPR", 2024), ("CVPR", YEAR)]
        assert (lines[1]["failed"], lines[1]["recovered"], lines[1]["still_failing"]) == (1, 1, 1)
        assert "recovered" not in lines[0]  # the --json shape of a run that retried nothing
        code, out, err = await _run([*base, "--year", "2024"], env)
        assert code == 0, err
        assert f"CVPR {YEAR}: 4 papers, 1 could not be read, 0 recovered, 1 still failing;" in out
    status = subprocess.run(
        [TRENDBOT, "collect", "--status"], env=env, capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in status.splitlines() if x.startswith(f"CVPR {YEAR}"))
    assert line.split()[3:6] == ["4", "3", "1"]  # papers, read, failed
    assert line.endswith("partial: 0 recovered, 1 still failing")
