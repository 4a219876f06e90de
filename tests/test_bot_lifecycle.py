"""Graceful shutdown, sharding, and charts: the bot's lifecycle against the emulator."""

from __future__ import annotations

import asyncio
import sqlite3
import struct
import threading

import pytest

from tests.support.bot_harness import running_bot
from tests.support.discord_emulator import DiscordEmulator
from trendbot.commands import REGISTRY

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_dimensions(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC, data[:16]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


async def test_shutdown_finishes_replies_in_flight_then_closes_the_store(tmp_path):
    async with running_bot(tmp_path) as r:
        bot, emu, store = r.bot, r.emu, r.bot.core.store
        taken, release = threading.Event(), threading.Event()

        def writer() -> None:
            with store._lock:
                taken.set()
                release.wait(10)

        holder = asyncio.create_task(asyncio.to_thread(writer))
        assert await asyncio.to_thread(taken.wait, 5)
        rec = await emu.slash("ratio", {"venue": "ACL", "year": 2019})
        await emu.wait_for(lambda: rec.deferred)
        assert bot.inflight.count == 1

        stopping = asyncio.create_task(bot.shutdown(grace=10))
        while bot.accepting:  # yield until the shutdown task has started (no timed sleep)
            await asyncio.sleep(0)
        late = await emu.user_says("!ratio NeurIPS 2019")  # arrives while shutting down
        refused = await emu.wait_interaction(await emu.slash("ratio", {"venue": "ICML"}))
        assert refused.ephemeral and "restarting" in refused.content
        assert not stopping.done() and not bot.is_closed()

        release.set()
        await holder
        msg = await emu.wait_interaction(rec)
        await asyncio.wait_for(stopping, 10)
        assert bot.is_closed()
    assert "ACL 2019" in msg.text()  # the reply in flight was finished, not dropped
    assert not [m for m in emu.messages if m.reply_to == late]  # new work was refused
    with pytest.raises(sqlite3.ProgrammingError):
        store.conn.execute("SELECT 1")  # the store was closed


@pytest.mark.parametrize("shard_count", ["2", "auto"])  # auto: GET /gateway/bot recommends 2
async def test_sharded_bot_identifies_each_shard_and_answers(tmp_path, shard_count):
    emu = DiscordEmulator(shards=2)
    await emu.start()
    env = {"SHARD_COUNT": shard_count}
    async with running_bot(tmp_path, emulator=emu, env=env, wait=False) as r:

        async def no_wait(shard_id, *, initial=False):  # Discord's 5 s identify spacing
            return None

        r.bot.before_identify_hook = no_wait
        await emu.wait_ready(shards=2)
        assert sorted(tuple(i["shard"]) for i in emu.identifies) == [(0, 2), (1, 2)]
        msg = await emu.wait_reply(await emu.user_says("!ratio NeurIPS 2019"))
        assert r.bot.shard_count == 2
    assert "182" in msg.text()


async def test_chart_request_gets_a_png_shown_in_the_embed(tmp_path):
    """Last on purpose: it needs the chart command, built beside the bot, and its workers."""
    if "chart" not in REGISTRY:
        pytest.skip("the chart command (trendbot/commands/chart.py) is not in this tree")
    async with running_bot(tmp_path, start_charts=True) as r:
        service = r.bot.core.services.get("charts")
        assert service is not None and service.mode in {"process", "thread"}
        msg = await r.emu.wait_reply(await r.emu.user_says("!chart NeurIPS"), timeout=30)
        rec = await r.emu.slash("chart", {"venues": "NeurIPS CVPR", "kind": "share"})
        slash = await r.emu.wait_interaction(rec, timeout=30)
    (png,) = [f for f in msg.files if f.filename.endswith(".png")]
    width, height = png_dimensions(png.data)
    assert width >= 800 and height >= 400
    assert png.description  # alt text travels with the image
    (embed,) = msg.embeds
    assert embed["image"]["url"] == f"attachment://{png.filename}"
    assert "NeurIPS" in embed["title"] and "Method:" in embed["footer"]["text"]
    assert rec.response_types == [5]  # charts always defer first
    (png2,) = [f for f in slash.files if f.filename.endswith(".png")]
    assert png_dimensions(png2.data)[0] >= 800
    assert slash.embeds[0]["image"]["url"] == f"attachment://{png2.filename}"
    assert service.closed  # closed with the bot
