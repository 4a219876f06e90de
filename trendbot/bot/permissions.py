"""Permission checks for subscriptions, computed by discord.py from roles and overwrites.

``channel.permissions_for(member)`` applies Discord's documented algorithm (the server owner and
Administrator get everything; then @everyone, the member's roles, and the channel's overwrites
for @everyone, roles and the member, deny before allow), from the guild and channel data the
gateway sent. No request is made.
"""

from __future__ import annotations

import discord

# What the poster needs in a channel (Read Message History: to find its own post again after a
# crash, instead of posting twice).
POSTING = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    ("attach_files", "Attach Files"),
    ("read_message_history", "Read Message History"),
)
# Without these a post cannot be made at all (Discord answers 403); the others degrade it.
ESSENTIAL = ("view_channel", "send_messages")


def missing(perms: discord.Permissions, needed=POSTING) -> list[str]:
    """Names of the permissions in ``needed`` that ``perms`` lacks."""
    return [label for attr, label in needed if not getattr(perms, attr)]


def bot_missing(channel: discord.abc.GuildChannel) -> list[str] | None:
    """What the bot lacks to post updates in ``channel``; None if it cannot tell (the bot's
    own member is not in the cache)."""
    me = channel.guild.me
    if me is None:
        return None
    return missing(channel.permissions_for(me))


def may_manage(member: discord.abc.User, channel: discord.abc.GuildChannel) -> bool:
    """Manage Channels (in that channel), Manage Server, or the server's owner."""
    if not isinstance(member, discord.Member):
        return False
    if channel.guild.owner_id == member.id:
        return True
    if member.guild_permissions.manage_guild:
        return True
    return channel.permissions_for(member).manage_channels


def human_join(names: list[str]) -> str:
    names = [f"**{n}**" for n in names]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
