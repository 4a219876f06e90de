"""The discord.py bot: one process-wide command context, cogs per command family, and lifecycle.

Everything a command means lives in ``trendbot.commands``; this class only decides *how* a reply
reaches Discord: which commands run in a worker thread (``slow`` ones, i.e. charts, so rendering
never stalls the gateway), when a slash command defers, how many charts a server may draw at
once, what an @mention question maps to, and how the process shuts down without dropping the
replies it is writing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import re
import secrets
import time
from typing import Any

import discord
from discord.ext import commands

from trendbot.bot.context import TrendContext
from trendbot.bot.errors import TrendTree, bug_reply, cooldown_text
from trendbot.bot.limits import GuildSlots, InFlight, ServerBusy, UserBudget
from trendbot.bot.loopwatch import LoopWatch
from trendbot.bot.render import defer, send_reply, send_to_channel
from trendbot.bot.settings import BotConfig
from trendbot.bot.treesync import sync_tree
from trendbot.commands import REGISTRY, CommandSpec, Context, Reply, invoke, lookup
from trendbot.commands.ask import MentionAnswer, answer_mention, read_mention
from trendbot.commands.registry import closest_command, unknown_command_reply
from trendbot.config import ConfigError, Settings

log = logging.getLogger("trendbot.bot")
# Stricter than the console's: in a server with several bots, `!play` is someone else's command.
UNKNOWN_COMMAND_CUTOFF = 0.75

# What the bot needs in a channel; the invite link asks for exactly these.
INVITE_PERMISSIONS = discord.Permissions(
    send_messages=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    use_application_commands=True,
)


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
    )


class TrendBotMixin:
    """What trendbot adds to ``commands.Bot`` / ``commands.AutoShardedBot``."""

    def __init__(
        self,
        *,
        settings: Settings,
        config: BotConfig,
        core: Context,
        start_charts: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.config = config
        self.core = core
        # Slash users see usage lines written with "/", text users with their prefix.
        self.slash_core = dataclasses.replace(core, prefix="/")
        self.inflight = InFlight()
        self.chart_slots = GuildSlots(config.chart_concurrency)
        self.accepting = True
        self.start_charts = start_charts
        self.force_sync = False  # `trendbot sync` sets it: sync even if the hash is unchanged
        self.sync_guild: discord.abc.Snowflake | None = None
        self.loopwatch = LoopWatch()
        self.command_budget = UserBudget(config.cooldown)
        self.chart_budget = UserBudget(config.chart_cooldown)
        self.add_check(self._within_budget)  # type: ignore[attr-defined]
        self._resources_closed = False
        self.collections = None  # a CollectionSchedule once started (see _start_collections)
        self.started_at = time.time()
        from trendbot.bot.poster import Poster

        # Update posts to subscribed channels; started in setup_hook, polls once logged in.
        self.updates = Poster(
            self,
            poll_s=config.poster_poll,
            combine_s=config.poster_combine,
            rate=config.poster_rate,
            digest_s=config.digest_every,
        )

    # -- startup ------------------------------------------------------------------------------
    async def setup_hook(self) -> None:
        from trendbot.bot.cogs import load_cogs

        await load_cogs(self)  # type: ignore[arg-type]
        # Reference tables are cached on first read; read them now, so autocomplete and the
        # first command never wait on the database.
        store = self.core.store
        for warm in (store.venues, store.aliases, store.methods, store.sources):
            warm()
        await self._start_chart_service()
        self.loopwatch.start()
        self._start_collections()
        if store.read_only:
            log.warning("the store is %s: no update posts from this bot", store.read_only)
        else:
            self.updates.start()
        if self.force_sync or self.config.sync_mode == "auto":
            try:
                await sync_tree(
                    self.tree,  # type: ignore[attr-defined]
                    self.core.store,
                    self.application_id,  # type: ignore[attr-defined]
                    force=self.force_sync,
                    guild=self.sync_guild,
                )
            except discord.HTTPException as exc:
                log.warning("could not sync slash commands (%s); the old ones stay", exc)
        self._log_intents()
        freeze_startup_objects(collect=True)

    def _start_collections(self) -> None:
        """Industry collections every COLLECT_EVERY, in a child process. With shards split
        over several processes only the one running shard 0 schedules them."""
        import importlib.util

        every = self.config.collect_every
        shard_ids = self.settings.shard_ids
        if every is None or (shard_ids is not None and 0 not in shard_ids):
            return
        if self.core.store.read_only:  # each run would only fail: it cannot write either
            log.warning(
                "the store is %s: no scheduled collections from this bot",
                self.core.store.read_only,
            )
            return
        try:  # find_spec raises, rather than answering None, when the package is missing
            found = importlib.util.find_spec("trendbot.collectors.industry.run")
        except ModuleNotFoundError:
            found = None
        if found is None:
            log.info("no industry collector in this installation; COLLECT_EVERY is ignored")
            return
        from trendbot.bot.schedule import CollectionSchedule, collector_command
        from trendbot.storage.runs import last_finished, quota_resets

        store = self.core.store
        self.collections = CollectionSchedule(
            every=every,
            command=collector_command(store.path, "industry", "--no-progress"),
            last_finished=lambda: store.read(last_finished, "industry"),
            on_done=store.refresh,
            quota_resets=lambda: store.read(quota_resets, "industry"),
        )
        self.collections.start()
        log.info("industry collections scheduled every %.1f h", every / 3600)

    def _log_intents(self) -> None:
        if self.config.message_content:
            log.info(
                "message content intent on: `%s` commands, @mentions and slash commands all work",
                self.settings.command_prefix,
            )
        else:
            log.info(
                "message content intent is off (MESSAGE_CONTENT_INTENT=false): `%s` commands are "
                "not visible to the bot; slash commands and @mentions (e.g. `@trendbot ratio "
                "NeurIPS 2019`) still work",
                self.settings.command_prefix,
            )

    async def _start_chart_service(self) -> None:
        workers = self.config.chart_workers
        if (
            not self.start_charts
            or (workers is not None and workers <= 0)
            or "chart" not in REGISTRY
        ):
            return
        try:
            from trendbot.charts import ChartService
        except ImportError:  # charts are optional: the bot still answers everything else
            log.info("charts are not available in this installation")
            return
        service = ChartService(workers=self.config.chart_workers)
        try:
            # start() spawns and warms the render processes (about a second): off the loop.
            await asyncio.to_thread(service.start)
        except Exception:
            log.exception("the chart service could not start; charts render in a thread")
            return
        self.core.services["charts"] = service
        log.info("chart service started (%s, %d workers)", service.mode, service.workers)

    async def on_ready(self) -> None:
        freeze_startup_objects(collect=False)  # the guild cache is long-lived too
        user = self.user  # type: ignore[attr-defined]
        guilds = len(self.guilds)  # type: ignore[attr-defined]
        log.info("logged in as %s (id %s) in %d servers", user, user.id if user else "?", guilds)
        if self.application_id:  # type: ignore[attr-defined]
            log.info("invite link: %s", invite_url(self.application_id))  # type: ignore[attr-defined]

    async def on_resumed(self) -> None:
        log.info("gateway session resumed")

    # -- commands -----------------------------------------------------------------------------
    async def _within_budget(self, ctx: commands.Context) -> bool:
        """A global check: runs once per prefix or slash invocation, before the command."""
        spec = lookup(ctx.command.name) if ctx.command else None
        if spec is None:
            return True  # owner maintenance (`!sync`) is not rationed
        (self.chart_budget if spec.slow else self.command_budget).check(ctx)
        return True

    async def get_context(self, origin, /, *, cls=TrendContext):  # type: ignore[override]
        ctx = await super().get_context(origin, cls=cls)  # type: ignore[misc]
        if isinstance(ctx, TrendContext) and ctx.interaction is None:
            # Everything after the command word, untouched by discord.py's quote parsing: the
            # core parser is the one that knows `neurips'19` and `--method article`.
            ctx.raw_args = ctx.view.buffer[ctx.view.index :].strip()
        return ctx

    async def answer(
        self,
        spec: CommandSpec,
        args: str,
        *,
        guild_id: int | None,
        slash: bool = False,
        offload: bool = False,
    ) -> Reply:
        """Run one command the way its cost requires; slow ones in a thread, capped per server.

        Quick commands cost well under a millisecond and run inline. ``offload`` moves one to a
        thread anyway: a deferred slash command loses nothing visible by it, and the loop stays
        free should the store be waiting on a writer's lock.
        """
        core = self.slash_core if slash else self.core
        if spec.slow:
            async with self.chart_slots.claim(guild_id):
                return await asyncio.to_thread(invoke, core, spec, args)
        if offload:
            return await asyncio.to_thread(invoke, core, spec, args)
        return invoke(core, spec, args)

    async def respond(self, ctx: commands.Context, name: str, slash_args: str = "") -> None:
        """What every cog command does: answer ``name`` and send the reply where it was asked."""
        spec = lookup(name)
        if spec is None:  # the command table changed under a running bot
            raise commands.DisabledCommand(f"{name} is not available")
        guild_id = ctx.guild.id if ctx.guild else None
        async with self.inflight.track():
            if ctx.interaction is not None:
                deferred = bool(ctx.command and ctx.command.extras.get("defer")) or spec.slow
                if deferred:
                    await defer(ctx.interaction)
                reply = await self.answer(
                    spec, slash_args, guild_id=guild_id, slash=True, offload=deferred
                )
            else:
                raw = ctx.raw_args if isinstance(ctx, TrendContext) else slash_args
                reply = await self.answer(spec, raw, guild_id=guild_id)
            await send_reply(ctx, reply)

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or not self.accepting:
            return
        ctx = await self.get_context(message)
        mentioned = self._is_question(message, ctx)
        # A registered command after an @mention goes through the mention reader, which can
        # tell `@trendbot ratio NeurIPS 2019` from `@trendbot pytorch vs tensorflow at …`;
        # other commands (the owner's `sync`) and `!` commands go to discord.py as usual.
        if ctx.command is not None and not (mentioned and lookup(ctx.command.name)):
            async with self.inflight.track():
                await self.invoke(ctx)  # type: ignore[attr-defined]
            return
        if mentioned:
            async with self.inflight.track():
                await self.answer_question(message)
            return
        if ctx.prefix and ctx.invoked_with:
            await self._maybe_unknown_command(ctx)

    def _is_question(self, message: discord.Message, ctx: commands.Context) -> bool:
        """Mentioned anywhere in the message, or written in a DM without the prefix."""
        user = self.user  # type: ignore[attr-defined]
        if user is not None and user.id in message.raw_mentions:
            return True
        return message.guild is None and not ctx.prefix

    def question_text(self, message: discord.Message) -> str:
        user = self.user  # type: ignore[attr-defined]
        return re.sub(rf"<@!?{user.id}>", " ", message.content).strip()

    def _taught_prefix(self) -> str:
        """How to write the short form: the text prefix if the bot can read it, else a mention."""
        if self.config.message_content:
            return self.settings.command_prefix
        return f"@{self.user.name} "  # type: ignore[attr-defined]

    async def answer_question(self, message: discord.Message) -> None:
        """An @mention in plain words: map it to a command, answer, and say what ran."""
        try:
            await self._answer_question(message)
        except discord.HTTPException as exc:
            log.warning("could not answer a question in channel %s: %s", message.channel.id, exc)
        except Exception as exc:  # a bug: log it with a reference the user can quote
            reply = bug_reply(exc, "an @mention question")
            with contextlib.suppress(discord.HTTPException):
                await send_to_channel(message.channel, reply, reference=message)

    async def _answer_question(self, message: discord.Message) -> None:
        retry = self.command_budget.spend(message)
        if retry:
            await send_to_channel(
                message.channel,
                Reply(cooldown_text(retry), is_error=True),
                reference=message,
                delete_after=min(retry, 15.0),
            )
            return
        guild_id = message.guild.id if message.guild else None
        core = dataclasses.replace(self.core, prefix=self._taught_prefix())
        readings = read_mention(core, self.question_text(message))
        slow = any(r.spec.slow for r in readings)
        retry = self.chart_budget.spend(message) if slow else None
        if retry:
            result = MentionAnswer(Reply(cooldown_text(retry), is_error=True), None, None)
        elif slow:
            try:
                async with self.chart_slots.claim(guild_id):
                    result = await asyncio.to_thread(answer_mention, core, readings)
            except ServerBusy as exc:
                busy = Reply(f"{exc} Try again in a few seconds.", is_error=True)
                result = MentionAnswer(busy, None, None)
        else:
            result = answer_mention(core, readings)
        await send_to_channel(message.channel, result.reply, reference=message, note=result.note)

    async def _maybe_unknown_command(self, ctx: commands.Context) -> None:
        """`!raito` gets a suggestion; `!play` (another bot's command) gets silence."""
        if ctx.prefix != self.settings.command_prefix or not ctx.invoked_with:
            return
        if closest_command(ctx.invoked_with, cutoff=UNKNOWN_COMMAND_CUTOFF) is None:
            return
        reply = unknown_command_reply(
            ctx.invoked_with, ctx.prefix, cutoff=UNKNOWN_COMMAND_CUTOFF
        ).finish()
        async with self.inflight.track():
            try:
                await send_to_channel(ctx.channel, reply, reference=ctx.message)
            except discord.HTTPException as exc:
                log.warning("could not send a suggestion: %s", exc)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        ref = secrets.token_hex(4)
        log.exception("unhandled error in %s (ref %s)", event_method, ref)

    # -- shutdown -----------------------------------------------------------------------------
    async def shutdown(self, grace: float | None = None) -> None:
        """Stop taking new work, let in-flight replies finish, then close everything."""
        self.accepting = False
        grace = self.config.shutdown_grace if grace is None else grace
        if self.inflight.count:
            log.info("waiting up to %.0f s for %d replies in flight", grace, self.inflight.count)
            if not await self.inflight.wait_idle(grace):
                log.warning("%d replies still running at shutdown", self.inflight.count)
        await self.close()  # type: ignore[attr-defined]

    async def close(self) -> None:
        self.accepting = False
        if self.collections is not None:
            schedule, self.collections = self.collections, None
            await schedule.stop()
        await self.updates.stop()
        await super().close()  # type: ignore[misc]
        self.close_resources()

    def close_resources(self) -> None:
        """Chart workers and the store, once, after the gateway and HTTP session are closed."""
        if self._resources_closed:
            return
        self._resources_closed = True
        gc.unfreeze()  # what was frozen at startup may be garbage now (e.g. in a test run)
        self.loopwatch.stop()
        service = self.core.services.pop("charts", None)
        if service is not None:
            try:
                service.close()
            except Exception:
                log.exception("closing the chart service failed")
        try:
            self.core.store.close()
        except Exception:
            log.exception("closing the store failed")


def freeze_startup_objects(*, collect: bool) -> None:
    """Keep the garbage collector's full passes short once the bot is up.

    A full (generation 2) collection walks every tracked object; with discord.py, aiohttp and
    the command layer loaded that took 15-60 ms here, a stall in which the gateway and every
    reply wait (bench/bench_bot.py measured it). Objects alive after startup live as long as
    the process, so ``gc.freeze()`` moves them out of the collector's way: later full passes
    only walk what was allocated since. ``collect`` first so no garbage is frozen with them.
    """
    if collect:
        gc.collect()
    gc.freeze()


class TrendBot(TrendBotMixin, commands.Bot):
    """One gateway connection: right for up to a couple of thousand servers."""


class ShardedTrendBot(TrendBotMixin, commands.AutoShardedBot):
    """Several gateway connections in one process, when SHARD_COUNT / SHARD_IDS are set."""


def intents_for(config: BotConfig) -> discord.Intents:
    """Guilds, guild and DM messages; message content only if configured (it is privileged)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = config.message_content
    return intents


def create_bot(
    settings: Settings,
    core: Context,
    *,
    config: BotConfig | None = None,
    start_charts: bool = True,
    **overrides: Any,
) -> TrendBot | ShardedTrendBot:
    """The bot as ``trendbot run`` builds it; tests pass ``guild_ready_timeout`` and the like."""
    config = config or BotConfig.from_settings(settings)
    kwargs: dict[str, Any] = {
        "command_prefix": commands.when_mentioned_or(settings.command_prefix),
        "intents": intents_for(config),
        "help_command": None,  # `help` is one of ours, generated from the command table
        "case_insensitive": True,
        "strip_after_prefix": True,
        "allowed_mentions": discord.AllowedMentions.none(),
        "tree_cls": TrendTree,
        "chunk_guilds_at_startup": False,
        "member_cache_flags": discord.MemberCacheFlags.none(),
        "max_messages": None,
        "guild_ready_timeout": config.guild_ready_timeout,
        "activity": discord.Activity(
            type=discord.ActivityType.watching, name=f"ML papers · {settings.command_prefix}help"
        ),
    }
    if settings.owner_ids:
        kwargs["owner_ids"] = set(settings.owner_ids)
    kwargs.update(overrides)
    common = {"settings": settings, "config": config, "core": core, "start_charts": start_charts}
    if settings.shard_count or settings.shard_ids or settings.auto_shard:
        if settings.shard_ids and not settings.shard_count:
            raise ConfigError("SHARD_IDS needs SHARD_COUNT (the total number of shards) as well.")
        kwargs["shard_count"] = settings.shard_count  # None: discord.py asks Discord how many
        if settings.shard_ids:
            kwargs["shard_ids"] = list(settings.shard_ids)
        return ShardedTrendBot(**common, **kwargs)
    return TrendBot(**common, **kwargs)


__all__ = ["ShardedTrendBot", "TrendBot", "create_bot", "intents_for"]
