"""The bot's collection schedule: a collector runs as a child process when due, one at a time,
never on the event loop; `!status` reports it. The child here is a stand-in collector that
writes a real `collection_runs` row into the store, as `trendbot collect industry` does."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest

from tests.support.bot_harness import running_bot
from trendbot.bot.schedule import CollectionSchedule
from trendbot.config import ConfigError, Settings
from trendbot.storage import open_store
from trendbot.storage.runs import last_finished, last_runs

STAND_IN = """
import sqlite3, sys, time
time.sleep(float(sys.argv[2]))
conn = sqlite3.connect(sys.argv[1])
now = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime())
conn.execute("INSERT INTO collection_runs (collector, started_at, finished_at, status, items)"
             " VALUES ('industry:test', ?, ?, 'ok', 3)", (now, now))
conn.commit()
print('collected 3 figures', file=sys.stderr)
sys.exit(int(sys.argv[3]))
"""


def schedule_for(store, *, every=3600.0, sleep=0.0, code=0, **kw) -> CollectionSchedule:
    return CollectionSchedule(
        every=every,
        command=[sys.executable, "-c", STAND_IN, str(store.path), str(sleep), str(code)],
        last_finished=lambda: store.read(last_finished, "industry"),
        **kw,
    )


async def test_a_due_collection_runs_in_a_child_and_then_is_not_due(tmp_path):
    store = open_store(tmp_path / "s.db")
    refreshed = []
    schedule = schedule_for(store, on_done=lambda: refreshed.append(True))
    assert schedule.seconds_until_due() == 0.0  # never ran
    record = await schedule.run_once()
    assert record.exit_code == 0 and record.outcome == "ok"
    assert record.tail == ["collected 3 figures"]
    assert refreshed == [True]  # the bot drops its cached reference tables
    (run,) = store.read(last_runs, prefix="industry")
    assert (run.collector, run.status, run.items) == ("industry:test", "ok", 3)
    assert 3500 < schedule.seconds_until_due() <= 3600  # due again in an hour
    store.close()


async def test_a_quota_run_is_no_failure_and_the_next_run_comes_after_the_reset(tmp_path):
    store = open_store(tmp_path / "s.db")
    resets: list[str] = []
    schedule = schedule_for(store, every=6 * 3600.0, quota_resets=lambda: resets)
    record = await schedule.run_once()  # a run that stopped at a quota exits 0
    assert record.outcome == "ok"
    assert 6 * 3600 - 100 < schedule.seconds_until_due() <= 6 * 3600
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 52 * 60))
    resets.append(soon)  # GitHub's hour resets in 52 min: the next run comes a minute later
    assert 52 * 60 < schedule.seconds_until_due() <= 53 * 60 + 5
    resets[:] = ["2000-01-01T00:00:00Z"]  # a reset before the last run: the interval holds
    assert 6 * 3600 - 100 < schedule.seconds_until_due() <= 6 * 3600
    store.close()


def test_quota_resets_are_read_from_the_newest_quota_runs(tmp_path):
    from trendbot.storage.runs import finish_run, quota_resets, start_run

    store = open_store(tmp_path / "s.db")
    quota = {"quota": {"resets_at": "2026-12-05T14:52:00Z", "left": ["star history for 3 repos"]}}
    for name, status, detail in (("industry:github", "quota", quota), ("industry:hn", "ok", {})):
        finish_run(store.conn, start_run(store.conn, name), status, 1, detail)
    assert quota_resets(store.conn, "industry") == ["2026-12-05T14:52:00Z"]
    (gh,) = [r for r in last_runs(store.conn, prefix="industry") if r.status == "quota"]
    assert gh.left == ("star history for 3 repos",)
    finish_run(store.conn, start_run(store.conn, "industry:github"), "ok", 1, {})
    assert quota_resets(store.conn, "industry") == []  # the next run finished the work
    store.close()


async def test_the_loop_never_blocks_and_stop_ends_a_running_collection(tmp_path):
    store = open_store(tmp_path / "s.db")
    schedule = schedule_for(store, sleep=30.0, first_delay=0.0)
    schedule.start()
    lags = []
    for _ in range(20):  # the event loop stays free while the child works
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - t - 0.01)
    for _ in range(100):
        if schedule.last is not None:
            break
        await asyncio.sleep(0.02)
    assert schedule.last is not None and schedule.last.finished is None
    assert "running for" in schedule.status()
    child = schedule._proc
    assert child is not None and child.returncode is None
    started = time.perf_counter()
    await schedule.stop(grace=5.0)
    assert time.perf_counter() - started < 5.0  # SIGTERM ended it, no SIGKILL wait
    assert child.returncode == -15  # the child itself was stopped, not only the loop
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)
    assert max(lags) < 0.1
    assert store.read(last_runs, prefix="industry") == []  # killed before it wrote anything
    store.close()


async def test_a_failing_collector_is_reported_not_raised(tmp_path):
    store = open_store(tmp_path / "s.db")
    schedule = schedule_for(store, code=3)
    record = await schedule.run_once()
    assert record.outcome == "exit status 3"
    assert "last run by this bot 0 s ago: exit status 3" in schedule.status()
    store.close()


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("6h", 21600.0), ("30m", 1800.0), ("90", 90.0), ("1d", 86400.0), ("off", None)],
)
def test_collect_every_setting(raw, seconds):
    from trendbot.bot.settings import BotConfig

    assert (
        BotConfig.from_settings(Settings.from_env({"COLLECT_EVERY": raw})).collect_every == seconds
    )


@pytest.mark.parametrize("raw", ["soon", "6 hours", "10s", "-1h"])
def test_bad_collect_every_is_one_sentence(raw):
    from trendbot.bot.settings import BotConfig

    with pytest.raises(ConfigError, match="COLLECT_EVERY"):
        BotConfig.from_settings(Settings.from_env({"COLLECT_EVERY": raw}))


async def test_status_is_for_the_owner_and_lists_collectors(tmp_path):
    async with running_bot(tmp_path) as r:
        emu = r.emu
        store = r.bot.core.store
        schedule = schedule_for(store)
        await schedule.run_once()
        r.bot.collections = schedule
        denied = await emu.wait_reply(await emu.user_says("!status"))
        ok = await emu.wait_reply(await emu.user_says("!status", user=emu.owner_user))
        r.bot.collections = None
    assert "Only the bot's owner" in denied.content
    text = ok.text()
    assert "industry collection every 60 min" in text and "last run by this bot" in text
    assert "industry:test" in text and "ok (3 items)" in text
    assert "data version" in text and "Papers: nothing collected yet" in text
