"""Slash-command sync without hammering Discord: only when the command tree really changed.

Discord rate-limits command registration tightly, and syncing on every start is the classic way
to hit it (a crash loop syncs every few seconds). So the bot hashes the tree it would register,
keeps the hash in the store's ``meta`` table per application, and syncs only when the hash
differs, or when an operator asks (``trendbot sync``, or ``!sync`` from the bot's owner).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3

import discord
from discord import app_commands

from trendbot.storage import Store, StoreError

log = logging.getLogger("trendbot.bot.sync")


def tree_payload(tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None = None):
    """What ``tree.sync()`` would send, in a stable order."""
    commands = tree.get_commands(guild=guild)
    return sorted((c.to_dict(tree) for c in commands), key=lambda c: (c.get("type", 1), c["name"]))


def tree_hash(tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None = None) -> str:
    blob = json.dumps(tree_payload(tree, guild), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _key(application_id: int | None, guild_id: int | None) -> str:
    scope = f"guild:{guild_id}" if guild_id else "global"
    return f"discord_tree_hash:{application_id}:{scope}"


def stored_hash(store: Store, application_id: int | None, guild_id: int | None = None) -> str:
    try:
        return store.get_meta(_key(application_id, guild_id)) or ""
    except (sqlite3.Error, StoreError):
        return ""


def remember_hash(
    store: Store, application_id: int | None, value: str, guild_id: int | None = None
) -> None:
    """Record what was synced; a read-only database only costs a resync at the next start."""
    try:
        store.set_meta(_key(application_id, guild_id), value)
    except (sqlite3.Error, StoreError) as exc:
        log.warning("could not record the command tree hash (%s); will sync again next start", exc)


async def sync_tree(
    tree: app_commands.CommandTree,
    store: Store,
    application_id: int | None,
    *,
    force: bool = False,
    guild: discord.abc.Snowflake | None = None,
) -> bool:
    """Sync if the tree changed since the last sync (or if forced); True if it synced."""
    if guild is not None:
        tree.copy_global_to(guild=guild)
    current = tree_hash(tree, guild)
    guild_id = guild.id if guild is not None else None
    if not force and stored_hash(store, application_id, guild_id) == current:
        log.info("slash commands unchanged (tree %s); not syncing", current)
        return False
    synced = await tree.sync(guild=guild)
    remember_hash(store, application_id, current, guild_id)
    where = f"guild {guild_id}" if guild_id else "globally"
    log.info("synced %d slash commands %s (tree %s)", len(synced), where, current)
    return True
