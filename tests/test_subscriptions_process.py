"""The issue's acceptance, across processes: the bot (`trendbot run`) and the paper collector
(`trendbot collect papers`) as separate processes on one store, the bot talking to the Discord
emulator and the collector to NeurIPS proceedings on 127.0.0.1.

Subscribe with and without permission; a collected NeurIPS 2023 → exactly one post in each
channel subscribed to `papers` or `NeurIPS`, none elsewhere; the bot killed (SIGKILL) after
Discord made its post but before the bot recorded it, then restarted → still one post; a channel
that starts answering 403 → its subscription switched off with the reason while the others keep
receiving; `!unsubscribe` stops posts.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys

import pytest

from tests.support.discord_emulator import PERM_ATTACH_FILES, DiscordEmulator
from tests.support.loopback import Loopback
from tests.support.proceedings import serve_year
from tests.test_bot_process import bot_env, finish, start
from tests.test_cli import TRENDBOT
from trendbot.config import SOURCE_URLS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

PAPERS = {
    2023: [("Torch A", ("pytorch",)), ("Torch B", ("pytorch",)), ("Flow A", ("tensorflow",))],
    2022: [("Torch C", ("pytorch",)), ("Flow B", ("tensorflow",))],
    2021: [("Torch D", ("pytorch",)), ("Torch E", ("pytorch",))],
    2020: [("Flow C", ("tensorflow",))],
}


def updates(emu: DiscordEmulator, channel_id: int):
    return [m for m in emu.channel_messages(channel_id) if m.reply_to is None]


def db_rows(db, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


async def eventually(check, timeout: float = 30.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        await asyncio.sleep(0.1)
    return result


async def collect(env: dict[str, str], year: int) -> None:
    proc = await asyncio.create_subprocess_exec(
        TRENDBOT, "collect", "papers", "--venue", "NeurIPS", "--year", str(year),
        "--rate", "1000", "--workers", "1", "--no-progress",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()


async def test_subscriptions_with_a_collector_process_a_kill_9_and_a_403(tmp_path, cli_env):
    db = tmp_path / "shared.db"
    emu = DiscordEmulator()
    papers_ch, neurips_ch, icml_ch, locked_ch, later_ch = (
        emu.add_channel(n) for n in ("papers", "neurips", "icml", "locked", "later")
    )
    # The bot's role may not attach files in #locked: subscribing there is refused.
    lock = {"id": str(emu.bot_role_id), "type": 0, "allow": "0", "deny": str(PERM_ATTACH_FILES)}
    emu.channels[locked_ch].overwrites.append(lock)
    owner = emu.owner_user

    async def say(text: str, user=None) -> str:
        mid = await emu.user_says(text, user=user or owner)
        return (await emu.wait_reply(mid, timeout=15)).content

    async with emu, Loopback() as srv:
        for year, papers in PAPERS.items():
            serve_year(srv, year, papers)
        run_env = bot_env(
            {**cli_env, "TRENDBOT_DB": str(db)}, emu,
            POSTER_POLL_S="0.2", POSTER_COMBINE_S="0", COMMAND_COOLDOWN="off",
            COLLECT_EVERY="off",
        )  # fmt: skip
        collect_env = {**cli_env, "TRENDBOT_DB": str(db)}
        collect_env.update({name: srv.base for name in SOURCE_URLS})
        bot = await start(["run"], run_env)
        try:
            await emu.wait_ready(timeout=30)
            assert "Manage Channels" in await say("!subscribe papers", user=emu.default_user)
            for topic, ch in (("papers", papers_ch), ("NeurIPS", neurips_ch), ("ICML", icml_ch)):
                assert "Subscribed" in await say(f"!subscribe {topic} <#{ch}>")
            refused = await say(f"!subscribe papers <#{locked_ch}>")
            assert "Attach Files" in refused and "Subscribed" not in refused

            # A collector process stores NeurIPS 2023: one post per subscribed channel.
            await collect(collect_env, 2023)
            await emu.wait_for(lambda: updates(emu, papers_ch) and updates(emu, neurips_ch), 30)
            await asyncio.sleep(1.0)  # five more polls: nothing else may arrive
            counts = [len(updates(emu, c)) for c in (papers_ch, neurips_ch, icml_ch, locked_ch)]
            assert counts == [1, 1, 0, 0]
            assert "NeurIPS 2023" in updates(emu, papers_ch)[0].embeds[0]["title"]

            # Discord makes the next post in #papers but its answer is held; the bot is killed.
            emu.hold("POST", rf"/channels/{papers_ch}/messages$", 8)
            await collect(collect_env, 2022)
            await emu.wait_for(lambda: len(updates(emu, papers_ch)) == 2, 30)
            bot.send_signal(signal.SIGKILL)
            await bot.communicate()  # reaped, and its pipes closed
            open_posts = db_rows(db, "SELECT channel_id FROM update_posts WHERE state = 'intent'")
            assert (papers_ch,) in open_posts  # posted, but not recorded as posted
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.communicate()

        identified = len(emu.identifies)
        bot = await start(["run"], run_env)
        try:
            await emu.wait_for(lambda: len(emu.identifies) > identified, 30)
            await eventually(
                lambda: not db_rows(db, "SELECT 1 FROM update_posts WHERE state = 'intent'")
            )
            await emu.wait_for(lambda: len(updates(emu, neurips_ch)) == 2, 30)
            await asyncio.sleep(1.0)
            assert len(updates(emu, papers_ch)) == 2  # found in the channel, not sent again
            ((state, message_id),) = db_rows(
                db,
                "SELECT state, message_id FROM update_posts WHERE channel_id = ? AND id ="
                " (SELECT max(id) FROM update_posts WHERE channel_id = ?)",
                (papers_ch, papers_ch),
            )
            assert (state, message_id) == ("posted", updates(emu, papers_ch)[1].id)

            # #neurips starts answering 403: switched off with its reason; #papers goes on.
            emu.fail_channel(neurips_ch, 403, 50001, "Missing Access")
            await collect(collect_env, 2021)
            await emu.wait_for(lambda: len(updates(emu, papers_ch)) == 3, 30)
            reason = await eventually(
                lambda: db_rows(
                    db,
                    "SELECT disabled_reason FROM subscriptions WHERE channel_id = ?"
                    " AND disabled_at IS NOT NULL",
                    (neurips_ch,),
                )
            )
            assert reason[0][0].startswith("missing_access") and "50001" in reason[0][0]
            listing = await say("!subscriptions")
            assert "switched off" in listing and "Missing Access" in listing

            # Unsubscribed: #papers gets nothing more; #later (subscribed now) gets the next.
            assert "no longer" in await say(f"!unsubscribe papers <#{papers_ch}>")
            assert "Subscribed" in await say(f"!subscribe papers <#{later_ch}>")
            await collect(collect_env, 2020)
            await emu.wait_for(lambda: updates(emu, later_ch), 30)
            await asyncio.sleep(1.0)
            assert [len(updates(emu, c)) for c in (papers_ch, later_ch, icml_ch)] == [3, 1, 0]
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
            code, _, err = await finish(bot)
    assert code == 0, err[-3000:]
    assert "Traceback" not in err
    assert emu.token not in err
    dupes = db_rows(
        db, "SELECT subscription_id, event_id, count(*) FROM deliveries GROUP BY 1, 2 HAVING"
        " count(*) > 1"
    )  # fmt: skip
    assert dupes == []
