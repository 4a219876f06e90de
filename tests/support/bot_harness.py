"""Starting the real bot against the emulator, in this test's event loop.

The bot is built exactly as ``trendbot run`` builds it (``create_bot`` with settings from an
environment mapping); only ``guild_ready_timeout`` is shortened so ``on_ready`` does not wait 2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import discord

from tests.support.discord_emulator import DiscordEmulator
from trendbot.bot.app import TrendBot, create_bot
from trendbot.bot.hooks import apply_test_hooks
from trendbot.bot.settings import BotConfig
from trendbot.commands import Context
from trendbot.config import Settings
from trendbot.storage import open_store


@dataclass
class Running:
    emu: DiscordEmulator
    bot: TrendBot
    task: asyncio.Task


def bot_env(emu: DiscordEmulator, db: Path, **extra: str) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": emu.token,
        "DISCORD_API_BASE": emu.api_base,
        "DISCORD_GATEWAY_URL": emu.gateway_url,
        "TRENDBOT_DB": str(db),
        "LOG_LEVEL": "INFO",
        **extra,
    }


async def _until_ready(emu: DiscordEmulator, bot: TrendBot, task: asyncio.Task) -> None:
    """Wait for READY, but surface the bot's own exception if it dies first."""
    ready = asyncio.ensure_future(
        asyncio.gather(emu.wait_ready(), asyncio.wait_for(bot.wait_until_ready(), 10))
    )
    done, _ = await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        task.result()  # raises why the bot stopped
        raise AssertionError("the bot stopped before it was ready")
    ready.result()


@contextlib.asynccontextmanager
async def running_bot(
    tmp_path: Path,
    *,
    env: dict[str, str] | None = None,
    emulator: DiscordEmulator | None = None,
    start_charts: bool = False,
    wait: bool = True,
    **config_overrides,
) -> AsyncIterator[Running]:
    emu = emulator or DiscordEmulator()
    if emu.port == 0:
        await emu.start()
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    settings = Settings.from_env(bot_env(emu, tmp_path / "bot.db", **(env or {})))
    apply_test_hooks(settings)
    store = open_store(settings.db_path)
    core = Context(store=store, prefix=settings.command_prefix)
    config = dataclasses.replace(
        BotConfig.from_settings(settings),
        guild_ready_timeout=0.05,
        **{"collect_every": None, **config_overrides},  # a test starts collections itself
    )
    bot = create_bot(settings, core, config=config, start_charts=start_charts)
    task = asyncio.create_task(bot.start(settings.discord_token))
    try:
        if wait:
            await _until_ready(emu, bot, task)
        yield Running(emu, bot, task)
    finally:
        await bot.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        await emu.close()
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved
