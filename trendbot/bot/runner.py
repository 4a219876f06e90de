"""Running the bot as a process: startup checks, signals, and one-sentence failures.

Operators meet this code when something is wrong (no token, a revoked token, an intent not
enabled in the Developer Portal, no network). Each of those ends the process with one sentence
saying what to do and a distinct exit status, never a traceback. SIGTERM and SIGINT stop the
bot gracefully: no new commands, in-flight replies finish, then the gateway, the chart workers
and the store are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import aiohttp
import discord

from trendbot.config import Settings

log = logging.getLogger("trendbot.bot")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CONFIG = 2
EXIT_TOKEN = 3
EXIT_INTENTS = 4
EXIT_NETWORK = 5


class Fatal(Exception):
    """Stops the bot with ``message`` (one sentence for the operator) and ``status``."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def setup_logging(level: str) -> None:
    """discord.py's handler and format for every logger, at ``LOG_LEVEL``."""
    resolved = logging.getLevelName(level.upper())
    if not isinstance(resolved, int):
        resolved = logging.INFO
    discord.utils.setup_logging(level=resolved, root=True)
    # Voice support is not used; its "PyNaCl/davey is not installed" warnings are noise.
    logging.getLogger("discord.client").addFilter(
        lambda r: "is not installed, voice will NOT be supported" not in r.getMessage()
    )


def _explain(exc: BaseException, settings: Settings) -> Fatal | None:
    """Known failures → one sentence; None for anything unexpected."""
    if isinstance(exc, Fatal):
        return exc
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return Fatal(
            "Discord refused the connection (close code 4014) because the message content intent "
            "is not enabled for this application: enable it under Bot → Privileged Gateway "
            "Intents in the Developer Portal, or set MESSAGE_CONTENT_INTENT=false to run with "
            "slash commands and @mentions only.",
            EXIT_INTENTS,
        )
    if isinstance(exc, discord.LoginFailure):
        return Fatal(
            "Discord rejected DISCORD_TOKEN (401 Unauthorized): copy a fresh token from the "
            "Developer Portal (your application → Bot → Reset Token) into DISCORD_TOKEN.",
            EXIT_TOKEN,
        )
    if isinstance(exc, discord.ConnectionClosed) and exc.code == 4004:
        return Fatal(
            "Discord closed the gateway with 4004 (authentication failed): the token in "
            "DISCORD_TOKEN is not valid any more; reset it in the Developer Portal.",
            EXIT_TOKEN,
        )
    if isinstance(exc, aiohttp.ClientConnectionError | OSError | discord.GatewayNotFound):
        where = settings.discord_api_base or "discord.com"
        return Fatal(
            f"Cannot reach Discord at {where} ({type(exc).__name__}); check the network "
            "connection and try again.",
            EXIT_NETWORK,
        )
    if isinstance(exc, ValueError) and "SHARD" in str(exc):
        return Fatal(str(exc), EXIT_CONFIG)
    return None


async def serve(
    settings: Settings, *, sync_only: bool = False, sync_guild: int | None = None
) -> None:
    """Log in and run until a signal (or, with ``sync_only``, sync the slash commands and stop)."""
    from trendbot.bot.app import create_bot
    from trendbot.bot.hooks import apply_test_hooks
    from trendbot.bot.settings import BotConfig, ConfigError
    from trendbot.commands import Context
    from trendbot.storage import open_store

    if not settings.discord_token:
        raise Fatal(
            "DISCORD_TOKEN is not set: put your bot token in the environment or in a .env file "
            "(see .env.example), then run `trendbot run` again.",
            EXIT_CONFIG,
        )
    try:
        settings = settings.with_discord_urls_checked()
        config = BotConfig.from_settings(settings)
    except ConfigError as exc:
        raise Fatal(str(exc), EXIT_CONFIG) from None
    apply_test_hooks(settings)
    store = open_store(settings.db_path)
    core = Context(store=store, prefix=settings.command_prefix)
    bot = create_bot(settings, core, config=config, start_charts=not sync_only)
    if sync_only:
        bot.force_sync = True
        bot.sync_guild = discord.Object(sync_guild) if sync_guild else None
        async with bot:
            await bot.login(settings.discord_token)  # runs setup_hook, which syncs
        return

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows has no add_signal_handler
            loop.add_signal_handler(sig, stop.set)
    async with bot:
        runner = asyncio.create_task(bot.start(settings.discord_token), name="gateway")
        stopper = asyncio.create_task(stop.wait(), name="signals")
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            log.info("signal received: finishing replies in flight, then stopping")
            await bot.shutdown()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        else:
            stopper.cancel()
            runner.result()  # raises what stopped the bot
    log.info("trendbot stopped")


def main(settings: Settings, *, sync_only: bool = False, sync_guild: int | None = None) -> int:
    """The `trendbot run` / `trendbot sync` entry point; returns the exit status."""
    setup_logging(settings.log_level)
    try:
        asyncio.run(serve(settings, sync_only=sync_only, sync_guild=sync_guild))
    except KeyboardInterrupt:
        return EXIT_OK
    except Exception as exc:
        fatal = _explain(exc, settings)
        if fatal is None:
            log.exception("trendbot stopped because of an unexpected error")
            print(
                "trendbot: stopped because of an unexpected error; see the log above.",
                file=sys.stderr,
            )
            return EXIT_ERROR
        print(f"trendbot: {fatal.message}", file=sys.stderr)
        return fatal.status
    return EXIT_OK
