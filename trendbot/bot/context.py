"""The command context the bot hands to its commands."""

from __future__ import annotations

from discord.ext import commands


class TrendContext(commands.Context):
    """A context that remembers the raw text after the command word.

    discord.py splits prefix arguments on spaces and treats quotes as delimiters, which would
    reject `!ratio neurips'19`. trendbot's own parser is forgiving, so the cogs hand it the line
    exactly as typed; ``raw_args`` is filled in by ``TrendBot.get_context``.
    """

    raw_args: str = ""
