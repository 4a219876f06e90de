"""One error policy for prefix and slash commands.

User errors (a cooldown, a busy server, a bad option) get one short sentence, ephemeral for
slash commands. Anything else is a bug: it is logged with its traceback and a short reference id,
and the user sees only the id, so a report can be matched to the log without showing internals.
Bad *arguments* rarely get here: the command layer turns them into friendly replies itself.
"""

from __future__ import annotations

import contextlib
import logging
import math
import secrets

import discord
from discord import app_commands
from discord.ext import commands

from trendbot.bot.limits import ServerBusy
from trendbot.bot.render import send_to_channel, send_to_interaction
from trendbot.commands import Reply, lookup
from trendbot.commands.text import echo

log = logging.getLogger("trendbot.bot.errors")


def cooldown_text(retry_after: float) -> str:
    return f"Easy there: you can ask again in {max(1, math.ceil(retry_after))} s."


def _usage(ctx: commands.Context | None) -> str:
    if ctx is None or ctx.command is None:
        return ""
    spec = lookup(ctx.command.name)
    prefix = "/" if ctx.interaction is not None else (ctx.bot.settings.command_prefix)
    return f" Usage: {spec.usage_line(prefix)}" if spec else ""


def user_message(error: BaseException, ctx: commands.Context | None = None) -> str | None:
    """The sentence to show for a user-side error, or None if this is a bug."""
    if isinstance(error, commands.CommandOnCooldown):
        return cooldown_text(error.retry_after)
    if isinstance(error, ServerBusy):
        return f"{error} Try again in a few seconds."
    if isinstance(error, commands.MaxConcurrencyReached):
        return "I'm busy with that command for this server; try again in a few seconds."
    if isinstance(error, commands.NotOwner):
        return "Only the bot's owner can do that."
    if isinstance(error, commands.NoPrivateMessage | app_commands.NoPrivateMessage):
        return "That only works in a server."
    if isinstance(error, commands.DisabledCommand):
        return "That command is switched off."
    if isinstance(error, commands.CheckFailure | app_commands.CheckFailure):
        return "You can't use that command here."
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't read {echo(str(error.value))} for that option.{_usage(ctx)}"
    if isinstance(error, commands.UserInputError):
        return f"I couldn't read that: {echo(str(error), 200, code=False)}{_usage(ctx)}"
    return None


WRAPPERS = (
    commands.HybridCommandError,
    commands.CommandInvokeError,
    app_commands.CommandInvokeError,
)


def unwrap(error: BaseException) -> BaseException:
    """The error that matters inside discord.py's wrappers."""
    while True:
        if isinstance(error, WRAPPERS):
            error = error.original
        else:
            return error


def bug_reply(error: BaseException, where: str) -> Reply:
    ref = secrets.token_hex(4)
    log.error(
        "error in %s (ref %s)", where, ref, exc_info=(type(error), error, error.__traceback__)
    )
    return Reply(
        f"Sorry, something went wrong on my side (reference `{ref}`). "
        "It has been logged; please try again later.",
        is_error=True,
    )


async def report(ctx: commands.Context, error: BaseException) -> None:
    """Tell the user what went wrong, once, wherever the command came from."""
    error = unwrap(error)
    if isinstance(error, commands.CommandNotFound):
        return
    if isinstance(error, discord.Forbidden):
        log.warning("missing permissions in channel %s: %s", ctx.channel.id, error.text)
        return
    text = user_message(error, ctx)
    if text is None:
        name = ctx.command.qualified_name if ctx.command else "?"
        reply = bug_reply(error, f"command {name}")
    else:
        reply = Reply(text, is_error=True, ephemeral=True)
    try:
        if ctx.interaction is not None:
            await send_to_interaction(ctx.interaction, reply)
        else:
            cooling = isinstance(error, commands.CommandOnCooldown)
            await send_to_channel(
                ctx.channel,
                reply,
                reference=ctx.message,
                delete_after=min(error.retry_after, 15.0) if cooling else None,
            )
    except discord.HTTPException as exc:
        log.warning("could not deliver an error message: %s", exc)


class ErrorHandler(commands.Cog):
    """Receives every prefix and hybrid-command error (slash invocations included)."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_command_error(self, ctx: commands.Context, error: commands.CommandError) -> None:
        await report(ctx, error)


REFUSED = "trendbot_refused"  # Interaction.extras key: already told the user we are stopping


class TrendTree(app_commands.CommandTree):
    """Refuses new slash commands during shutdown; handles errors that never reach a Context
    (autocomplete failures, signature mismatches)."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if getattr(interaction.client, "accepting", True):
            return True
        if interaction.type is discord.InteractionType.application_command:
            interaction.extras[REFUSED] = True
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(
                    "I'm restarting; please try again in a minute.", ephemeral=True
                )
        return False

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if interaction.extras.get(REFUSED):
            return
        error_ = unwrap(error)
        if isinstance(error_, app_commands.CommandNotFound):
            await self._stale_command(interaction, error_)
            return
        if interaction.type is discord.InteractionType.autocomplete:
            log.error("autocomplete failed", exc_info=(type(error_), error_, error_.__traceback__))
            return
        ctx = getattr(interaction, "_baton", None)
        text = user_message(error_, ctx if isinstance(ctx, commands.Context) else None)
        if isinstance(error, app_commands.CommandSignatureMismatch):
            text = "That slash command changed since Discord last saw it; try again in a minute."
            log.warning("%s; the tree will be synced on the next start", error)
        reply = (
            Reply(text, is_error=True, ephemeral=True)
            if text
            else bug_reply(
                error_, f"slash command {interaction.command.name if interaction.command else '?'}"
            )
        )
        try:
            await send_to_interaction(interaction, reply)
        except discord.HTTPException as exc:
            log.warning("could not deliver an error message: %s", exc)

    async def _stale_command(
        self, interaction: discord.Interaction, error: app_commands.CommandNotFound
    ) -> None:
        """A slash command Discord still lists but this bot no longer has (renamed or removed
        while COMMAND_SYNC=never, or a registration from an older version). Not a crash: tell
        the user privately how it gets refreshed, and log one line."""
        name = " ".join([*error.parents, error.name])
        log.warning(
            "slash command /%s is registered with Discord but not in this bot (stale "
            "registration); run `trendbot sync` or the owner's !sync to refresh",
            name,
        )
        try:
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
                return
            prefix = getattr(getattr(interaction.client, "settings", None), "command_prefix", "!")
            text = (
                f"{echo(name, lead='/')} is gone: your Discord shows a list of commands older "
                f"than this bot. The bot's owner can refresh it with `{prefix}sync` (it can take "
                "a minute to show); `/help` lists the commands I answer now."
            )
            await send_to_interaction(interaction, Reply(text, is_error=True, ephemeral=True))
        except discord.HTTPException as exc:
            log.warning("could not answer a stale slash command: %s", exc)
