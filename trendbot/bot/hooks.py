"""Test hooks: point the unmodified discord.py client at a Discord API emulator.

FOR TESTING ONLY. ``DISCORD_API_BASE`` replaces ``discord.http.Route.BASE`` (every REST call,
webhooks and interaction callbacks included) and ``DISCORD_GATEWAY_URL`` replaces
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``. Both are process-wide class attributes,
so they are set once, before the client logs in, and a warning says so in the log. In production
leave both unset.
"""

from __future__ import annotations

import logging

import discord
import yarl

from trendbot.config import Settings

log = logging.getLogger("trendbot.bot")


def apply_test_hooks(settings: Settings) -> list[str]:
    """Redirect discord.py if the variables are set; returns what was redirected (for logs)."""
    changed = []
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
        changed.append(f"REST → {discord.http.Route.BASE}")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
        changed.append(f"gateway → {settings.discord_gateway_url}")
    if changed:
        log.warning("TEST HOOKS ACTIVE, not talking to Discord: %s", "; ".join(changed))
    return changed
