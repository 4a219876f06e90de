"""Turning a ``Reply`` into a Discord message, and sending it to a channel or an interaction.

Numbers go out as an embed (title, fields, a footer naming method, source and collection date)
when the channel lets the bot embed links; otherwise, or if Discord rejects the embed, the same
reply goes out as plain text, so a missing permission degrades the look, never the answer. A
chart is attached and shown inside the embed through ``attachment://``. Every send passes
``AllowedMentions.none()``: replies quote user text, and quoting must never ping anyone.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

import discord
from discord.ext import commands

from trendbot.commands import Attachment, Reply
from trendbot.commands.reply import fit_text, safe_filename

log = logging.getLogger("trendbot.bot.render")

NO_MENTIONS = discord.AllowedMentions.none()
EMBED_COLOUR = discord.Colour(0x5865F2)
DEFERRED = "trendbot_deferred"  # Interaction.extras key: we deferred and owe the first answer


@dataclass
class Outgoing:
    """One message ready to send; ``files()`` builds fresh ``discord.File`` objects per attempt."""

    content: str | None
    embed: discord.Embed | None
    attachments: list[Attachment] = field(default_factory=list)

    def files(self) -> list[discord.File]:
        return [
            discord.File(io.BytesIO(a.data), filename=a.filename, description=a.description or None)
            for a in self.attachments
        ]

    def kwargs(self) -> dict:
        """Keyword arguments for ``send`` that leave out what is empty (discord.py's MISSING)."""
        out: dict = {"allowed_mentions": NO_MENTIONS}
        if self.content:
            out["content"] = self.content
        if self.embed is not None:
            out["embed"] = self.embed
        if self.attachments:
            out["files"] = self.files()
        return out


def build(
    reply: Reply,
    *,
    embeds: bool = True,
    files: bool = True,
    note: str | None = None,
    size_limit: int = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES,
) -> Outgoing:
    """Lay out a reply for one channel: an embed where allowed, else the plain-text version."""
    attachments: list[Attachment] = []
    notes: list[str] = [note] if note else []
    for a in reply.files:
        if not files:
            notes.append(f"(I need the Attach Files permission here to send `{a.filename}`.)")
            continue
        if len(a.data) > size_limit:
            notes.append(f"(`{a.filename}` is too large to upload here.)")
            continue
        name = safe_filename(a.filename)
        attachments.append(Attachment(name, a.data, a.description, a.content_type))
    if embeds and reply.has_embed():
        embed = discord.Embed(
            title=reply.title or None,
            description=reply.description or None,
            colour=EMBED_COLOUR,
        )
        for f in reply.fields:
            embed.add_field(name=f.name, value=f.value, inline=f.inline)
        if reply.footer:
            embed.set_footer(text=reply.footer)
        image = next((a for a in attachments if a.is_image), None)
        if image is not None:
            embed.set_image(url=f"attachment://{image.filename}")
        content = "\n".join(notes) or None
        return Outgoing(fit_text(content, attachments) if content else None, embed, attachments)
    text = "\n".join([*notes, reply.as_plain_text()]).strip()
    return Outgoing(fit_text(text, attachments), None, attachments)


def channel_allows(channel: discord.abc.Messageable) -> tuple[bool, bool]:
    """(may embed links, may attach files) for the bot in ``channel``; DMs allow both."""
    guild = getattr(channel, "guild", None)
    me = guild.me if guild is not None else None
    if me is None or not hasattr(channel, "permissions_for"):
        return True, True
    perms = channel.permissions_for(me)
    return perms.embed_links, perms.attach_files


async def send_to_channel(
    channel: discord.abc.Messageable,
    reply: Reply,
    *,
    reference: discord.Message | None = None,
    note: str | None = None,
    delete_after: float | None = None,
) -> discord.Message:
    """Send as a reply to ``reference`` (without pinging its author)."""
    embeds_ok, files_ok = channel_allows(channel)
    out = build(reply, embeds=embeds_ok, files=files_ok, note=note, size_limit=_limit(channel))
    ref = reference.to_reference(fail_if_not_exists=False) if reference else None
    extra: dict = {"reference": ref} if ref else {}
    if delete_after:
        extra["delete_after"] = delete_after
    try:
        return await channel.send(**out.kwargs(), **extra)
    except discord.HTTPException as exc:
        if out.embed is None or exc.status != 400:
            raise
        log.warning("embed rejected (%s); sending the plain-text version", exc.text[:200])
        plain = build(reply, embeds=False, files=files_ok, note=note, size_limit=_limit(channel))
        return await channel.send(**plain.kwargs(), **extra)


def _limit(channel: discord.abc.Messageable) -> int:
    guild = getattr(channel, "guild", None)
    return (
        guild.filesize_limit if guild is not None else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
    )


async def send_to_interaction(
    interaction: discord.Interaction, reply: Reply, *, note: str | None = None
) -> None:
    """Answer a slash command: directly, or as the follow-up a defer promised.

    A user error is ephemeral. If we had already deferred publicly, the "thinking…" message is
    deleted first, because Discord makes the first follow-up inherit the defer's visibility.
    """
    perms = interaction.app_permissions
    out = build(
        reply,
        embeds=perms.embed_links,
        files=perms.attach_files,
        note=note,
        size_limit=interaction.filesize_limit,
    )
    ephemeral = reply.ephemeral and reply.is_error
    if not interaction.response.is_done():
        await interaction.response.send_message(**out.kwargs(), ephemeral=ephemeral)
        return
    if interaction.extras.pop(DEFERRED, False) and ephemeral:
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            ephemeral = False  # the thinking message stays; answer in its place
    try:
        await interaction.followup.send(**out.kwargs(), ephemeral=ephemeral, wait=True)
    except discord.HTTPException as exc:
        if out.embed is None or exc.status != 400:
            raise
        log.warning("embed rejected (%s); sending the plain-text version", exc.text[:200])
        plain = build(reply, embeds=False, files=perms.attach_files, note=note)
        await interaction.followup.send(**plain.kwargs(), ephemeral=ephemeral, wait=True)


async def defer(interaction: discord.Interaction) -> None:
    """Acknowledge now ("trendbot is thinking…") so a slow answer cannot miss the 3 s window."""
    if not interaction.response.is_done():
        await interaction.response.defer(thinking=True)
        interaction.extras[DEFERRED] = True


async def send_reply(ctx: commands.Context, reply: Reply, *, note: str | None = None) -> None:
    """The one send path for commands, whichever way they were invoked."""
    if ctx.interaction is not None:
        await send_to_interaction(ctx.interaction, reply, note=note)
    else:
        await send_to_channel(ctx.channel, reply, reference=ctx.message, note=note)
