"""A small Discord API emulator for end-to-end tests: REST under ``/api/v10`` plus the gateway.

The real, unpatched discord.py client talks to it over 127.0.0.1 once two class attributes point
here (``discord.http.Route.BASE`` and ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``; the
bot sets them from ``DISCORD_API_BASE`` / ``DISCORD_GATEWAY_URL``). It emulates only what trendbot
uses, but it emulates it the way Discord does, so a test fails where Discord would fail:

* REST answers carry ``Content-Type: application/json`` exactly (discord.py only decodes that);
  unknown routes answer 501 so a gap fails loudly instead of silently.
* Server-side rules: a bad token is 401 (REST) or close 4004 (gateway); a privileged intent the
  application lacks is close 4014; content over 2000 characters, empty messages and embeds over
  the limits are 400/50035 (or 50006); uploads over the limit are 413/40005; a second
  interaction ACK is 400/40060; without the message-content intent, guild message content is
  blanked unless the bot is mentioned; a channel that denies Embed Links drops a bot's embeds.
* Gateway: HELLO → IDENTIFY → READY + GUILD_CREATE, heartbeats, RESUME with replay of missed
  events, op 7 RECONNECT, dropped TCP connections, sharding (``GET /gateway/bot``).
* Fault injection: any status for the next N requests on a route (a 429 carries ``Via`` and
  ``retry_after`` so discord.py retries it, as it does against Discord); a channel that answers
  every request with a status (``fail_channel``); responses held back after the request was
  processed (``hold``), to kill a client between a post and its answer.
* Servers, roles and channels: any number of guilds (spread over shards by Discord's rule), roles
  with permission bits, channel overwrites for roles and members. Permissions are computed as
  Discord documents them (owner and Administrator get all; @everyone, then the member's roles,
  then the channel's @everyone, role and member overwrites, deny before allow; no View Channel
  means nothing, no Send Messages drops what depends on it) and enforced: a bot that cannot see
  a channel gets 403/50001, one that cannot post 403/50013, history without Read Message History
  is empty. Changes are dispatched (CHANNEL_CREATE/UPDATE/DELETE, GUILD_ROLE_UPDATE,
  GUILD_DELETE), so the client's cache follows, as with Discord.
* The global rate limit: more than ``global_limit`` (50) bot-token requests in a second get a 429
  with ``global: true``; interaction callbacks and follow-ups do not count (Discord exempts
  them). ``rate_limited`` counts the 429s, ``request_times`` allows a requests-per-second check.

Everything the bot sends is recorded (``messages``, ``requests``, ``identifies``, ``resumes``,
``commands``, ``interactions``) and tests wait on it with ``wait_for`` rather than sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000

INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

PERM_ADMINISTRATOR = 1 << 3
PERM_MANAGE_CHANNELS = 1 << 4
PERM_MANAGE_GUILD = 1 << 5
PERM_VIEW_CHANNEL = 1 << 10
PERM_SEND_MESSAGES = 1 << 11
PERM_EMBED_LINKS = 1 << 14
PERM_ATTACH_FILES = 1 << 15
PERM_READ_HISTORY = 1 << 16
PERM_USE_APP_COMMANDS = 1 << 31
PERM_ALL = (1 << 53) - 1
PERM_SEND_TTS = 1 << 12
PERM_MENTION_EVERYONE = 1 << 17
# What a member without Send Messages also cannot do in a text channel (Discord's implicit rule).
SEND_DEPENDENT = PERM_SEND_TTS | PERM_EMBED_LINKS | PERM_ATTACH_FILES | PERM_MENTION_EVERYONE
BOT_PERMISSIONS = (
    PERM_VIEW_CHANNEL
    | PERM_SEND_MESSAGES
    | PERM_EMBED_LINKS
    | PERM_ATTACH_FILES
    | PERM_READ_HISTORY
    | PERM_USE_APP_COMMANDS
)
EPHEMERAL_FLAG = 1 << 6
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024

OPTION_TYPES = {3: str, 4: int, 5: bool, 7: str, 10: float}
GLOBAL_LIMIT = 50  # requests per second per bot (Discord's global rate limit)


def _snowflakes() -> Callable[[], int]:
    counter = itertools.count(1)

    def next_id() -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(counter) & 0x3FFFFF)

    return next_id


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00", time.gmtime())


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None):
    """JSON with ``Content-Type`` exactly ``application/json`` (discord.py compares the string)."""
    merged = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(data).encode(), headers=merged)


def error_response(status: int, code: int, message: str, **extra: Any) -> web.Response:
    return json_response({"code": code, "message": message, **extra}, status=status)


class APIError(Exception):
    """Raised inside a handler to answer with a Discord-style error body."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class SentFile:
    filename: str
    data: bytes
    content_type: str
    description: str = ""


@dataclass
class BotMessage:
    """One message as the bot sent (or edited) it, with what Discord would store."""

    id: int
    channel_id: int
    content: str
    embeds: list[dict]
    files: list[SentFile]
    allowed_mentions: dict | None
    message_reference: dict | None
    flags: int
    via: str  # "channel", "interaction" (initial response), "followup"
    interaction_id: int | None = None
    received_at: float = 0.0
    deleted: bool = False
    embeds_suppressed: bool = False
    payload: dict = field(default_factory=dict)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL_FLAG)

    @property
    def reply_to(self) -> int | None:
        ref = self.message_reference or {}
        return int(ref["message_id"]) if ref.get("message_id") else None

    def text(self) -> str:
        """Everything a person would read: content and every embed part."""
        parts = [self.content or ""]
        for e in self.embeds:
            parts += [e.get("title", ""), e.get("description", "")]
            for f in e.get("fields", []):
                parts += [f.get("name", ""), f.get("value", "")]
            parts.append((e.get("footer") or {}).get("text", ""))
            parts.append((e.get("author") or {}).get("name", ""))
        return "\n".join(p for p in parts if p)

    def file(self, suffix: str) -> SentFile | None:
        return next((f for f in self.files if f.filename.endswith(suffix)), None)

    def to_api(self, guild_id: int | None, bot_user: dict) -> dict:
        return {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            **({"guild_id": str(guild_id)} if guild_id else {}),
            "author": bot_user,
            "content": self.content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": str(self.id + i + 1),
                    "filename": f.filename,
                    "size": len(f.data),
                    "url": f"https://cdn.invalid/{self.id}/{f.filename}",
                    "proxy_url": f"https://cdn.invalid/{self.id}/{f.filename}",
                    "content_type": f.content_type,
                }
                for i, f in enumerate(self.files)
            ],
            "embeds": [] if self.embeds_suppressed else self.embeds,
            "pinned": False,
            "type": 0,
            "flags": self.flags,
            "components": [],
            **({"message_reference": self.message_reference} if self.message_reference else {}),
        }


@dataclass
class Interaction:
    """One slash command or autocomplete request sent to the bot, and how it was answered."""

    id: int
    token: str
    name: str
    type: int  # 2 command, 4 autocomplete
    channel_id: int
    dispatched_at: float
    responses: list[tuple[int, dict]] = field(default_factory=list)  # (callback type, data)
    original: BotMessage | None = None
    loading: bool = False  # deferred, and the first follow-up has not arrived yet
    defer_flags: int = 0
    followups: list[BotMessage] = field(default_factory=list)
    choices: list[dict] | None = None

    @property
    def response_types(self) -> list[int]:
        return [t for t, _ in self.responses]

    @property
    def deferred(self) -> bool:
        return 5 in self.response_types

    def visible_messages(self) -> list[BotMessage]:
        msgs = [self.original] if self.original else []
        return [m for m in (*msgs, *self.followups) if m is not None and not m.deleted]


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int
    body: dict
    headers: dict[str, str]
    remaining: int


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int = 1
    managed: bool = False

    def to_api(self) -> dict:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "hoist": False,
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class Channel:
    id: int
    guild_id: int
    name: str
    position: int = 0
    overwrites: list[dict] = field(default_factory=list)  # Discord's permission_overwrites
    type: int = 0
    fault: tuple[int, int, str] | None = None  # every request answered with this

    def to_api(self) -> dict:
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": self.overwrites,
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)  # the @everyone role has the guild's id
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, list[int]] = field(default_factory=dict)  # user id → role ids
    bot_role_id: int = 0
    joined: bool = True  # False once the bot was removed


@dataclass
class Hold:
    method: str
    path: re.Pattern[str]
    seconds: float
    before: bool  # hold before processing (a request lost if the client goes away)
    remaining: int


@dataclass
class Session:
    session_id: str
    shard: tuple[int, int]
    intents: int
    ws: web.WebSocketResponse | None = None
    request: web.Request | None = None
    seq: int = 0
    sent: list[dict] = field(default_factory=list)  # dispatches, for replay on RESUME


class DiscordEmulator:
    """Discord's REST API and gateway on 127.0.0.1, for one bot application and one guild."""

    def __init__(
        self,
        *,
        token: str = "emulator-token",
        approved_intents: int = PRIVILEGED_INTENTS,
        upload_limit: int = DEFAULT_UPLOAD_LIMIT,
        shards: int = 1,
        heartbeat_interval_ms: int = 41250,
        global_limit: int | None = GLOBAL_LIMIT,
    ) -> None:
        self.token = token
        self.approved_intents = approved_intents
        self.upload_limit = upload_limit
        self.recommended_shards = shards
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.next_id = _snowflakes()
        self.app_id = self.next_id()
        self.owner_id = self.next_id()
        self.bot_user = {
            "id": str(self.app_id),
            "username": "trendbot",
            "discriminator": "0",
            "global_name": "trendbot",
            "avatar": None,
            "bot": True,
            "flags": 0,
        }
        self.users: dict[int, dict] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.global_limit = global_limit
        self.default_user = self.make_user("alice")
        self.owner_user = self.make_user("owner", uid=self.owner_id)
        self.guild_id = self.add_guild("Emulated ML Reading Group", owner_id=self.owner_id)
        self.bot_role_id = self.guilds[self.guild_id].bot_role_id
        self.channel_id = self.add_channel("general")  # everything allowed
        deny_embeds = {
            "id": str(self.guild_id),
            "type": 0,
            "allow": "0",
            "deny": str(PERM_EMBED_LINKS),
        }
        # #plain: Embed Links denied to @everyone
        self.no_embed_channel_id = self.add_channel("plain", overwrites=[deny_embeds])
        self.join(self.default_user)
        # Recorded state.
        self.requests: list[tuple[str, str, int]] = []
        self.messages: list[BotMessage] = []
        self.identifies: list[dict] = []
        self.resumes: list[dict] = []
        self.commands: list[dict] = []  # global application commands, as last synced
        self.guild_commands: dict[int, list[dict]] = {}
        self.command_syncs = 0
        self.interactions: dict[int, Interaction] = {}
        self.typing: list[int] = []
        self.dispatched_at: dict[int, float] = {}  # user message id → when it was dispatched
        self.user_messages: dict[int, list[dict]] = {}  # channel id → messages users wrote
        self.rate_limited = 0  # global 429s sent
        self.request_times: list[float] = []  # bot-token requests (time.monotonic())
        self._recent: list[float] = []  # the last second's bot-token requests
        self._holds: list[Hold] = []
        self.dm_channels: dict[int, int] = {}  # user id → DM channel id
        self.sessions: dict[str, Session] = {}
        self._faults: list[Fault] = []
        self._waiters: list[tuple[Callable[[], Any], asyncio.Future]] = []
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> DiscordEmulator:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001)
        if self._runner:
            await self._runner.cleanup()
        for _, fut in self._waiters:
            if not fut.done():
                fut.cancel()

    async def __aenter__(self) -> DiscordEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- waiting --------------------------------------------------------------------------------
    def _notify(self) -> None:
        for entry in list(self._waiters):
            check, fut = entry
            if fut.done():
                self._waiters.remove(entry)
                continue
            result = check()
            if result:
                fut.set_result(result)
                self._waiters.remove(entry)

    async def wait_for(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``check()`` returns something truthy (re-checked on every recorded event)."""
        result = check()
        if result:
            return result
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._waiters.append((check, fut))
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise AssertionError(
                f"emulator: condition not met within {timeout}s; last requests: "
                f"{self.requests[-8:]}"
            ) from None

    async def wait_ready(self, shards: int = 1, timeout: float = 10.0) -> None:
        """Until ``shards`` sessions have identified and received their guilds."""

        def ready() -> bool:
            live = [s for s in self.sessions.values() if s.ws is not None and s.seq >= 2]
            return len(live) >= shards

        await self.wait_for(ready, timeout)

    async def wait_reply(self, message_id: int, timeout: float = 10.0) -> BotMessage:
        """The bot's message that replies to the user message ``message_id``."""
        return await self.wait_for(
            lambda: next((m for m in self.messages if m.reply_to == message_id), None), timeout
        )

    async def wait_interaction(self, interaction: Interaction, timeout: float = 10.0):
        """Until the interaction has a visible message (initial response or follow-up)."""

        def done() -> BotMessage | None:
            if interaction.loading:
                return None
            msgs = interaction.visible_messages()
            return msgs[-1] if msgs else None

        return await self.wait_for(done, timeout)

    # -- fault injection ------------------------------------------------------------------------
    def inject(
        self,
        method: str,
        path: str,
        status: int,
        *,
        body: dict | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests matching ``METHOD path-regex`` with ``status``."""
        self._faults.append(
            Fault(
                method.upper(),
                re.compile(path),
                status,
                body or {"code": 0, "message": f"injected {status}"},
                headers or {},
                times,
            )
        )

    def ratelimit_next(self, method: str, path: str, retry_after: float = 0.05) -> None:
        """One 429 as Discord's edge sends it (``Via`` header, JSON ``retry_after``)."""
        self.inject(
            method,
            path,
            429,
            body={
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": False,
            },
            headers={"Via": "1.1 google", "Retry-After": str(max(1, round(retry_after)))},
        )

    async def drop_connections(self) -> None:
        """Cut every gateway TCP connection without a close frame (a network blip)."""
        for s in self.sessions.values():
            if s.ws is not None and s.request is not None and s.request.transport is not None:
                s.request.transport.abort()
                s.ws = None

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT on every live session, as Discord does before maintenance."""
        for s in self.sessions.values():
            if s.ws is not None:
                await s.ws.send_str(json.dumps({"op": 7, "d": None}))

    # -- users, guild -----------------------------------------------------------------------------
    def make_user(self, name: str, *, uid: int | None = None) -> dict:
        uid = uid or self.next_id()
        user = {
            "id": str(uid),
            "username": name,
            "discriminator": "0",
            "global_name": name.title(),
            "avatar": None,
            "bot": False,
        }
        self.users[uid] = user
        return user

    def _member(self, user: dict, roles: list[str] | None = None) -> dict:
        return {
            "user": user,
            "roles": roles or [],
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }

    def _guild_member(self, guild: Guild, user: dict) -> dict:
        roles = guild.members.get(int(user["id"]), [])
        return self._member(user, [str(r) for r in roles])

    # -- servers, roles, channels (dispatched like Discord once the bot is connected) ------------
    def add_guild(
        self, name: str, *, owner_id: int | None = None, channels: int = 0, shard: int | None = None
    ) -> int:
        """A server the bot is in, with @everyone (the usual member permissions) and the bot's
        managed role; ``channels`` text channels named news-0, news-1, … With ``shard`` (and
        ``shards`` > 1), an id that Discord's rule puts on that shard."""
        gid = self.next_id()
        if shard is not None and self.recommended_shards > 1:
            while self._shard_of(gid, self.recommended_shards) != shard:
                gid += 1 << 22  # the next millisecond: another shard
        guild = Guild(gid, name, owner_id or self.owner_id)
        guild.roles[gid] = Role(gid, "@everyone", BOT_PERMISSIONS, position=0)
        guild.bot_role_id = self.next_id()
        guild.roles[guild.bot_role_id] = Role(
            guild.bot_role_id, "trendbot", BOT_PERMISSIONS, position=1, managed=True
        )
        guild.members[int(self.bot_user["id"])] = [guild.bot_role_id]
        guild.members[guild.owner_id] = []
        self.guilds[gid] = guild
        for i in range(channels):
            self.add_channel(f"news-{i}", guild_id=gid)
        if self._live():
            self._later(self._dispatch("GUILD_CREATE", self.guild_payload(gid), guild_id=gid))
        return gid

    def add_channel(
        self, name: str, *, guild_id: int | None = None, overwrites: list[dict] | None = None
    ) -> int:
        guild = self.guilds[guild_id or self.guild_id]
        cid = self.next_id()
        channel = Channel(cid, guild.id, name, len(guild.channels), list(overwrites or []))
        guild.channels[cid] = channel
        self.channels[cid] = channel
        if self._live() and guild.joined:
            self._later(self._dispatch("CHANNEL_CREATE", channel.to_api(), guild_id=guild.id))
        return cid

    def add_role(self, name: str, permissions: int, *, guild_id: int | None = None) -> int:
        guild = self.guilds[guild_id or self.guild_id]
        rid = self.next_id()
        guild.roles[rid] = Role(rid, name, permissions, position=len(guild.roles))
        if self._live():
            payload = {"guild_id": str(guild.id), "role": guild.roles[rid].to_api()}
            self._later(self._dispatch("GUILD_ROLE_CREATE", payload, guild_id=guild.id))
        return rid

    def join(self, user: dict, *, roles: tuple[int, ...] = (), guild_id: int | None = None) -> None:
        """Make ``user`` a member of a server, with these roles."""
        self.guilds[guild_id or self.guild_id].members[int(user["id"])] = list(roles)

    async def set_role_permissions(self, role_id: int, permissions: int) -> None:
        guild = next(g for g in self.guilds.values() if role_id in g.roles)
        guild.roles[role_id].permissions = permissions
        payload = {"guild_id": str(guild.id), "role": guild.roles[role_id].to_api()}
        await self._dispatch("GUILD_ROLE_UPDATE", payload, guild_id=guild.id)

    async def set_overwrite(
        self,
        channel_id: int,
        target_id: int,
        *,
        member: bool = False,
        allow: int = 0,
        deny: int = 0,
    ) -> None:
        """Set (replace) a channel's overwrite for a role (or a member), and dispatch
        CHANNEL_UPDATE as Discord does."""
        channel = self.channels[channel_id]
        channel.overwrites = [o for o in channel.overwrites if int(o["id"]) != target_id]
        channel.overwrites.append(
            {"id": str(target_id), "type": 1 if member else 0, "allow": str(allow),
             "deny": str(deny)}
        )  # fmt: skip
        await self._dispatch("CHANNEL_UPDATE", channel.to_api(), guild_id=channel.guild_id)

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a channel: CHANNEL_DELETE to the bot, 404 Unknown Channel from then on."""
        channel = self.channels.pop(channel_id)
        del self.guilds[channel.guild_id].channels[channel_id]
        await self._dispatch("CHANNEL_DELETE", channel.to_api(), guild_id=channel.guild_id)

    async def remove_bot(self, guild_id: int) -> None:
        """The bot is kicked: GUILD_DELETE (not unavailable), 403 Missing Access from then on."""
        self.guilds[guild_id].joined = False
        await self._dispatch("GUILD_DELETE", {"id": str(guild_id)}, guild_id=guild_id)

    def fail_channel(self, channel_id: int, status: int, code: int, message: str) -> None:
        """Every request about this channel is answered with this error until ``heal``."""
        self.channels[channel_id].fault = (status, code, message)

    def heal_channel(self, channel_id: int) -> None:
        self.channels[channel_id].fault = None

    def hold(
        self, method: str, path: str, seconds: float, *, before: bool = False, times: int = 1
    ) -> None:
        """Hold the next ``times`` matching requests for ``seconds``: after processing them
        (the message exists, the client has no answer yet) or, with ``before``, before (a client
        that goes away meanwhile loses the request, as a dropped connection does)."""
        self._holds.append(Hold(method.upper(), re.compile(path), seconds, before, times))

    def _live(self) -> bool:
        return any(s.ws is not None for s in getattr(self, "sessions", {}).values())

    def _later(self, coro) -> None:
        try:
            asyncio.get_running_loop().create_task(coro)
        except RuntimeError:  # no loop: nothing is connected to tell
            coro.close()

    def permissions(self, guild_id: int, user_id: int, channel_id: int | None = None) -> int:
        """A member's permissions, computed as Discord documents it."""
        guild = self.guilds[guild_id]
        if user_id == guild.owner_id:
            return PERM_ALL
        roles = guild.members.get(user_id, [])
        perms = guild.roles[guild.id].permissions
        for rid in roles:
            if rid in guild.roles:
                perms |= guild.roles[rid].permissions
        if perms & PERM_ADMINISTRATOR:
            return PERM_ALL
        if channel_id is None:
            return perms
        overwrites = {int(o["id"]): o for o in self.channels[channel_id].overwrites}
        everyone = overwrites.get(guild.id)
        if everyone is not None:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for rid in roles:
            o = overwrites.get(rid)
            if o is not None and o["type"] == 0:
                allow |= int(o["allow"])
                deny |= int(o["deny"])
        perms = (perms & ~deny) | allow
        mine = overwrites.get(user_id)
        if mine is not None and mine["type"] == 1:
            perms = (perms & ~int(mine["deny"])) | int(mine["allow"])
        if not perms & PERM_VIEW_CHANNEL:
            return 0
        if not perms & PERM_SEND_MESSAGES:
            perms &= ~SEND_DEPENDENT
        return perms

    def bot_permissions(self, channel_id: int) -> int:
        channel = self.channels[channel_id]
        return self.permissions(channel.guild_id, int(self.bot_user["id"]), channel_id)

    def guild_of(self, channel_id: int) -> int:
        channel = self.channels.get(channel_id)
        return channel.guild_id if channel else self.guild_id

    def channel_messages(self, channel_id: int) -> list[BotMessage]:
        """What the bot posted in a channel (not deleted), oldest first."""
        return [m for m in self.messages if m.channel_id == channel_id and not m.deleted]

    def guild_payload(self, guild_id: int | None = None) -> dict:
        guild = self.guilds[guild_id or self.guild_id]
        members = [self._guild_member(guild, self.bot_user)]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [r.to_api() for r in guild.roles.values()],
            "channels": [c.to_api() for c in guild.channels.values()],
            "threads": [],
            "members": members,
            "member_count": len(guild.members) + 1,
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "large": False,
            "unavailable": False,
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "system_channel_id": None,
            "rules_channel_id": None,
            "max_members": 500000,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }

    def _shard_of(self, guild_id: int, count: int) -> int:
        return (guild_id >> 22) % count

    # -- things users do ------------------------------------------------------------------------
    async def user_says(
        self,
        content: str,
        *,
        user: dict | None = None,
        channel_id: int | None = None,
    ) -> int:
        """Post a message as a user; returns its id (the bot's reply references it)."""
        user = user or self.default_user
        channel_id = channel_id or self.channel_id
        guild = self.guilds[self.guild_of(channel_id)]
        mid = self.next_id()
        mentioned = [
            self.bot_user if uid == str(self.app_id) else self.users.get(int(uid))
            for uid in re.findall(r"<@!?(\d+)>", content)
        ]
        payload = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "guild_id": str(guild.id),
            "author": user,
            "member": {k: v for k, v in self._guild_member(guild, user).items() if k != "user"},
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": "@everyone" in content or "@here" in content,
            "mentions": [m for m in mentioned if m],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }
        self.dispatched_at[mid] = time.perf_counter()
        self.user_messages.setdefault(channel_id, []).append(payload)
        await self._dispatch("MESSAGE_CREATE", payload, guild_id=guild.id)
        return mid

    async def user_says_dm(self, content: str, *, user: dict | None = None) -> int:
        """A direct message to the bot (no server); returns its id."""
        user = user or self.default_user
        mid = self.next_id()
        channel_id = self.dm_channel_id(user)
        payload = {
            "id": str(mid), "channel_id": str(channel_id), "author": user, "content": content,
            "timestamp": _now_iso(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": [], "pinned": False, "type": 0, "flags": 0, "components": [],
        }  # fmt: skip
        self.dispatched_at[mid] = time.perf_counter()
        for sess in list(self.sessions.values()):
            if sess.shard[0] == 0 and sess.intents & INTENT_DIRECT_MESSAGES:
                await self._dispatch_to(sess, "MESSAGE_CREATE", payload)
        return mid

    def dm_channel_id(self, user: dict) -> int:
        """A stable DM channel id per user."""
        return self.dm_channels.setdefault(int(user["id"]), self.next_id())

    def mention(self) -> str:
        return f"<@{self.app_id}>"

    def _find_command(self, name: str) -> dict:
        for cmd in [*self.commands, *self.guild_commands.get(self.guild_id, [])]:
            if cmd["name"] == name:
                return cmd
        raise LookupError(
            f"/{name} was never synced (synced: {[c['name'] for c in self.commands]})"
        )

    def add_stale_command(self, name: str, options: list[dict] | None = None) -> None:
        """A global command Discord still lists although the bot has no such command (synced
        by an older version, or renamed while the bot runs with COMMAND_SYNC=never)."""
        self.commands.append(
            {
                "id": str(self.next_id()),
                "application_id": str(self.app_id),
                "name": name,
                "description": "an old command",
                "type": 1,
                "options": options or [],
                "version": str(self.next_id()),
            }
        )

    def _options(self, cmd: dict, values: dict[str, Any], focused: str | None) -> list[dict]:
        """Option values as Discord sends them (a channel option: the channel's id)."""
        defined = {o["name"]: o for o in cmd.get("options", [])}
        out = []
        for name, value in values.items():
            if name not in defined:
                raise ValueError(f"/{cmd['name']} has no option {name!r}; it has {list(defined)}")
            opt_type = defined[name]["type"]
            if name == focused:  # what the user is typing is always a string so far
                out.append({"name": name, "type": opt_type, "value": str(value), "focused": True})
            else:
                out.append({"name": name, "type": opt_type, "value": OPTION_TYPES[opt_type](value)})
        return out

    def _resolved(self, cmd: dict, options: dict[str, Any]) -> dict:
        """``data.resolved`` for channel options: each channel with the user's permissions."""
        defined = {o["name"]: o for o in cmd.get("options", [])}
        channels = {}
        for name, value in options.items():
            if defined.get(name, {}).get("type") == 7:
                ch = self.channels[int(value)]
                channels[str(ch.id)] = {
                    **ch.to_api(),
                    "permissions": str(self.bot_permissions(ch.id)),
                }
        return {"channels": channels} if channels else {}

    async def _interaction(
        self,
        itype: int,
        name: str,
        options: dict[str, Any],
        focused: str | None,
        user: dict | None,
        channel_id: int | None = None,
    ) -> Interaction:
        cmd = self._find_command(name)
        user = user or self.default_user
        channel_id = channel_id or self.channel_id
        guild = self.guilds[self.guild_of(channel_id)]
        iid = self.next_id()
        token = f"itoken-{iid}"
        rec = Interaction(iid, token, name, itype, channel_id, time.perf_counter())
        self.interactions[iid] = rec
        member = self._guild_member(guild, user)
        member["permissions"] = str(self.permissions(guild.id, int(user["id"]), channel_id))
        bot_perms = str(self.bot_permissions(channel_id))
        payload = {
            "id": str(iid),
            "application_id": str(self.app_id),
            "type": itype,
            "token": token,
            "version": 1,
            "data": {
                "id": cmd["id"],
                "name": name,
                "type": 1,
                "options": self._options(cmd, options, focused),
                "guild_id": str(guild.id),
                **({"resolved": r} if (r := self._resolved(cmd, options)) else {}),
            },
            "guild_id": str(guild.id),
            "channel_id": str(channel_id),
            "channel": {**self.channels[channel_id].to_api(), "permissions": bot_perms},
            "member": member,
            "app_permissions": bot_perms,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "locale": "en-US",
            "guild_locale": "en-US",
            # discord.py reads this key without .get(): leaving it out drops the interaction.
            "attachment_size_limit": self.upload_limit,
        }
        await self._dispatch("INTERACTION_CREATE", payload, guild_id=guild.id)
        return rec

    async def slash(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user: dict | None = None,
        channel_id: int | None = None,
    ) -> Interaction:
        """Invoke a synced slash command; returns the record that fills in as the bot answers."""
        return await self._interaction(2, name, options or {}, None, user, channel_id)

    async def autocomplete(
        self, name: str, options: dict[str, Any], focused: str, timeout: float = 10.0
    ) -> list[dict]:
        """What the bot suggests for option ``focused`` while the user types; the choices."""
        rec = await self._interaction(4, name, options, focused, None)
        await self.wait_for(lambda: rec.choices is not None, timeout)
        return rec.choices or []

    # -- gateway ----------------------------------------------------------------------------------
    async def _send(self, ws: web.WebSocketResponse, payload: dict) -> None:
        await ws.send_str(json.dumps(payload))

    async def _dispatch(self, event: str, data: dict, *, guild_id: int | None = None) -> None:
        guild = self.guilds.get(guild_id) if guild_id is not None else None
        if guild is not None and not guild.joined and event != "GUILD_DELETE":
            return  # Discord tells a bot nothing about a server it is not in
        for s in list(self.sessions.values()):
            if guild_id is not None and self._shard_of(guild_id, s.shard[1]) != s.shard[0]:
                continue
            if event == "MESSAGE_CREATE":
                data = self._gate_content(s, data)
                if data is None:
                    continue
            await self._dispatch_to(s, event, data)

    def _gate_content(self, s: Session, data: dict) -> dict | None:
        """What a session may see of a message, by its intents (Discord's server-side rule)."""
        if not s.intents & INTENT_GUILD_MESSAGES:
            return None
        if s.intents & INTENT_MESSAGE_CONTENT:
            return data
        if any(m.get("id") == str(self.app_id) for m in data.get("mentions", [])):
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}

    async def _dispatch_to(self, s: Session, event: str, data: dict) -> None:
        s.seq += 1
        payload = {"op": 0, "t": event, "s": s.seq, "d": data}
        s.sent.append(payload)
        if s.ws is not None and not s.ws.closed:
            try:
                await self._send(s.ws, payload)
            except (ConnectionError, RuntimeError):
                s.ws = None  # delivered on RESUME

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        session: Session | None = None
        try:
            await self._send(
                ws, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
            )
            async for msg in ws:
                if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                payload = json.loads(msg.data)
                op, d = payload.get("op"), payload.get("d")
                if op == 1:
                    await self._send(ws, {"op": 11})
                elif op == 2:
                    session = await self._identify(ws, request, d)
                    if session is None:
                        break
                elif op == 6:
                    session = await self._resume(ws, request, d)
                elif op in (3, 4, 8):
                    continue  # presence / voice / member requests: not used by trendbot
                self._notify()
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
        return ws

    async def _identify(self, ws, request, d: dict) -> Session | None:
        self.identifies.append(d)
        self._notify()
        if d.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(d.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.approved_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard = tuple(d.get("shard") or (0, 1))
        session = Session(f"session-{self.next_id()}", (int(shard[0]), int(shard[1])), intents)
        session.ws, session.request = ws, request
        self.sessions[session.session_id] = session
        here = [
            g
            for g in self.guilds.values()
            if g.joined and self._shard_of(g.id, session.shard[1]) == session.shard[0]
        ]
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in here],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "shard": list(session.shard),
        }
        await self._dispatch_to(session, "READY", ready)
        for g in here:
            await self._dispatch_to(session, "GUILD_CREATE", self.guild_payload(g.id))
        if not here:
            session.seq += 1  # counted as "ready" by wait_ready
        return session

    async def _resume(self, ws, request, d: dict) -> Session | None:
        self.resumes.append(d)
        session = self.sessions.get(d.get("session_id", ""))
        if session is None or d.get("token") != self.token:
            await self._send(ws, {"op": 9, "d": False})
            return None
        session.ws, session.request = ws, request
        missed = [p for p in session.sent if p["s"] > int(d.get("seq") or 0)]
        for p in missed:
            await self._send(ws, p)
        await self._dispatch_to(session, "RESUMED", {})
        return session

    # -- REST -------------------------------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(API_PREFIX) :]
        method = request.method
        hold = self._hold_for(method, path)
        if hold is not None and hold.before:
            await asyncio.sleep(hold.seconds)
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)  # the client went away: nothing happened
        response = self._global_limited(request, path) or self._injected(method, path)
        if response is None:
            try:
                response = await self._route(request, method, path)
            except APIError as err:
                response = error_response(err.status, err.code, err.message)
        self.requests.append((method, request.path, response.status))
        self._notify()
        if hold is not None and not hold.before:
            await asyncio.sleep(hold.seconds)  # done, but the client hears of it only later
        return response

    def _hold_for(self, method: str, path: str) -> Hold | None:
        for h in self._holds:
            if h.remaining > 0 and h.method == method and h.path.search(path):
                h.remaining -= 1
                return h
        return None

    def _global_limited(self, request: web.Request, path: str) -> web.Response | None:
        """Discord's global limit: ``global_limit`` requests a second per bot token, not
        counting interaction callbacks and follow-ups (which Discord exempts)."""
        if path.startswith(("/interactions/", "/webhooks/")):
            return None
        if request.headers.get("Authorization") != f"Bot {self.token}":
            return None
        now = time.monotonic()
        self.request_times.append(now)
        self._recent = [t for t in self._recent if now - t < 1.0]
        if self.global_limit is None or len(self._recent) < self.global_limit:
            self._recent.append(now)
            return None
        self.rate_limited += 1
        retry = round(1.0 - (now - self._recent[0]), 3)
        return json_response(
            {"message": "You are being rate limited.", "retry_after": retry, "global": True},
            429,
            {
                "Via": "1.1 google",
                "Retry-After": str(max(1, round(retry))),
                "X-RateLimit-Global": "true",
                "X-RateLimit-Scope": "global",
            },
        )

    def peak_rate(self, since: float = 0.0) -> int:
        """The most bot-token requests in any one-second window after ``since``."""
        times = [t for t in self.request_times if t >= since]
        best, j = 0, 0
        for i, t in enumerate(times):
            while t - times[j] >= 1.0:
                j += 1
            best = max(best, i - j + 1)
        return best

    def _injected(self, method: str, path: str) -> web.Response | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.method == method and fault.path.search(path):
                fault.remaining -= 1
                return json_response(fault.body, fault.status, fault.headers)
        return None

    def _check_auth(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise APIError(401, 0, "401: Unauthorized")

    async def _route(self, request: web.Request, method: str, path: str) -> web.StreamResponse:
        parts = [p for p in path.split("/") if p]
        # Interaction callbacks and webhooks are authorised by their token, not the bot token.
        if parts[:1] == ["interactions"] and len(parts) == 4 and method == "POST":
            return await self._interaction_callback(request, int(parts[1]), parts[2])
        if parts[:1] == ["webhooks"] and len(parts) >= 3:
            return await self._webhook(request, method, parts)
        self._check_auth(request)
        if method == "GET" and parts == ["users", "@me"]:
            return json_response(self.bot_user)
        if method == "GET" and parts == ["oauth2", "applications", "@me"]:
            return json_response(self._app_info())
        if method == "GET" and parts in (["gateway", "bot"], ["gateway"]):
            return json_response(
                {
                    "url": self.gateway_url,
                    "shards": self.recommended_shards,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            )
        if parts[:1] == ["channels"] and len(parts) >= 2:
            return await self._channel_route(request, method, int(parts[1]), parts[2:])
        if parts[:1] == ["applications"] and parts[-1:] == ["commands"]:
            return await self._commands_route(request, method, parts)
        return error_response(501, 0, f"emulator: no route for {method} {path}")

    def _app_info(self) -> dict:
        return {
            "id": str(self.app_id),
            "name": "trendbot",
            "icon": None,
            "description": "emulated application",
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": {
                "id": str(self.owner_id),
                "username": "owner",
                "discriminator": "0",
                "avatar": None,
                "global_name": "Owner",
            },
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
        }

    async def _channel_route(self, request, method: str, cid: int, rest: list[str]):
        if cid in self.dm_channels.values():
            return await self._dm_route(request, method, cid, rest)
        channel = self.channels.get(cid)
        if channel is None:
            raise APIError(404, 10003, "Unknown Channel")
        if channel.fault is not None:
            raise APIError(*channel.fault)
        guild = self.guilds[channel.guild_id]
        if not guild.joined:
            raise APIError(403, 50001, "Missing Access")
        perms = self.bot_permissions(cid)
        if not perms & PERM_VIEW_CHANNEL:
            raise APIError(403, 50001, "Missing Access")
        if method == "POST" and rest == ["messages"]:
            payload, files = await self._read_message_body(request)
            if not perms & PERM_SEND_MESSAGES or (files and not perms & PERM_ATTACH_FILES):
                raise APIError(403, 50013, "Missing Permissions")
            msg = self._new_message(payload, files, cid, via="channel")
            if msg.embeds and not perms & PERM_EMBED_LINKS:
                msg.embeds_suppressed = True  # Discord drops embeds without Embed Links
            self._record(msg)
            return json_response(msg.to_api(guild.id, self.bot_user))
        if method == "GET" and rest == ["messages"]:
            return json_response(self._history(cid, perms, request.query))
        if method == "POST" and rest == ["typing"]:
            self.typing.append(cid)
            return web.Response(status=204)
        if method == "DELETE" and len(rest) == 2 and rest[0] == "messages":
            msg = self._message(int(rest[1]))
            msg.deleted = True
            self._notify()
            return web.Response(status=204)
        if method == "GET" and not rest:
            return json_response(channel.to_api())
        return error_response(501, 0, f"emulator: no route for {method} channels/{cid}/{rest}")

    def _history(self, cid: int, perms: int, query) -> list[dict]:
        """GET /channels/{id}/messages: newest first, ``limit`` 1-100 (default 50), ``before``
        and ``after``; empty without Read Message History, as Discord documents."""
        try:
            limit = int(query.get("limit", 50))
        except ValueError:
            raise APIError(400, 50035, "Invalid Form Body (limit)") from None
        if not 1 <= limit <= 100:
            raise APIError(400, 50035, "Invalid Form Body (limit: 1 to 100)")
        if not perms & PERM_READ_HISTORY:
            return []
        guild_id = self.channels[cid].guild_id
        found = [m.to_api(guild_id, self.bot_user) for m in self.channel_messages(cid)]
        found += self.user_messages.get(cid, [])
        before, after = query.get("before"), query.get("after")
        if before:
            found = [m for m in found if int(m["id"]) < int(before)]
        if after:
            found = [m for m in found if int(m["id"]) > int(after)]
        found.sort(key=lambda m: int(m["id"]), reverse=True)
        return found[:limit]

    async def _dm_route(self, request, method: str, cid: int, rest: list[str]):
        if method == "POST" and rest == ["messages"]:
            payload, files = await self._read_message_body(request)
            msg = self._new_message(payload, files, cid, via="channel")
            self._record(msg)
            return json_response(msg.to_api(None, self.bot_user))
        if method == "POST" and rest == ["typing"]:
            return web.Response(status=204)
        if method == "GET" and not rest:
            user = next(u for u, c in self.dm_channels.items() if c == cid)
            return json_response(
                {"id": str(cid), "type": 1, "recipients": [self.users[user]],
                 "last_message_id": None}
            )  # fmt: skip
        return error_response(501, 0, f"emulator: no DM route for {method} {rest}")

    async def _commands_route(self, request, method: str, parts: list[str]):
        if parts[1] != str(self.app_id):
            raise APIError(403, 50001, "Missing Access")
        guild = int(parts[3]) if len(parts) == 5 and parts[2] == "guilds" else None
        if method == "PUT":
            body = await request.json()
            synced = []
            for cmd in body:
                synced.append(
                    {
                        **cmd,
                        "id": str(self.next_id()),
                        "application_id": str(self.app_id),
                        "version": str(self.next_id()),
                        **({"guild_id": str(guild)} if guild else {}),
                    }
                )
            if guild is None:
                self.commands = synced
            else:
                self.guild_commands[guild] = synced
            self.command_syncs += 1
            return json_response(synced)
        if method == "GET":
            return json_response(self.commands if guild is None else self.guild_commands[guild])
        return error_response(501, 0, "emulator: command route not emulated")

    async def _read_message_body(self, request: web.Request) -> tuple[dict, list[SentFile]]:
        """JSON, or multipart with ``payload_json`` and ``files[n]`` as discord.py sends them."""
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            payload: dict = {}
            files: list[SentFile] = []
            async for part in reader:
                if part.name == "payload_json":
                    payload = json.loads(await part.text())
                elif part.name and part.name.startswith("files["):
                    data = bytes(await part.read())
                    files.append(
                        SentFile(
                            part.filename or "file", data, part.headers.get("Content-Type", "")
                        )
                    )
            for meta, f in zip(payload.get("attachments", []), files, strict=False):
                f.description = meta.get("description") or ""
            return payload, files
        if request.can_read_body:
            return await request.json(), []
        return {}, []

    def _validate(self, payload: dict, files: list[SentFile]) -> None:
        content = payload.get("content") or ""
        embeds = payload.get("embeds") or []
        if len(content) > 2000:
            raise APIError(
                400, 50035, "Invalid Form Body (content: Must be 2000 or fewer in length.)"
            )
        if not content and not embeds and not files and not payload.get("sticker_ids"):
            raise APIError(400, 50006, "Cannot send an empty message")
        if len(embeds) > 10 or len(files) > 10:
            raise APIError(400, 50035, "Invalid Form Body (too many embeds or files)")
        total = 0
        for e in embeds:
            limits = {"title": 256, "description": 4096}
            for key, limit in limits.items():
                if len(e.get(key) or "") > limit:
                    raise APIError(400, 50035, f"Invalid Form Body (embed {key} too long)")
            fields = e.get("fields") or []
            if len(fields) > 25:
                raise APIError(400, 50035, "Invalid Form Body (more than 25 fields)")
            for f in fields:
                if len(f.get("name", "")) > 256 or len(f.get("value", "")) > 1024:
                    raise APIError(400, 50035, "Invalid Form Body (embed field too long)")
                if not f.get("name") or not f.get("value"):
                    raise APIError(400, 50035, "Invalid Form Body (empty embed field)")
            footer = (e.get("footer") or {}).get("text", "")
            if len(footer) > 2048:
                raise APIError(400, 50035, "Invalid Form Body (footer too long)")
            total += len(e.get("title") or "") + len(e.get("description") or "") + len(footer)
            total += sum(len(f.get("name", "")) + len(f.get("value", "")) for f in fields)
            total += len((e.get("author") or {}).get("name", ""))
        if total > 6000:
            raise APIError(400, 50035, "Invalid Form Body (embeds exceed 6000 characters)")
        if sum(len(f.data) for f in files) > self.upload_limit:
            raise APIError(413, 40005, "Request entity too large")

    def _new_message(
        self, payload: dict, files: list[SentFile], cid: int, *, via: str, iid: int | None = None
    ) -> BotMessage:
        self._validate(payload, files)
        return BotMessage(
            id=self.next_id(),
            channel_id=cid,
            content=payload.get("content") or "",
            embeds=payload.get("embeds") or [],
            files=files,
            allowed_mentions=payload.get("allowed_mentions"),
            message_reference=payload.get("message_reference"),
            flags=int(payload.get("flags") or 0),
            via=via,
            interaction_id=iid,
            received_at=time.perf_counter(),
            payload=payload,
        )

    def _record(self, msg: BotMessage) -> None:
        self.messages.append(msg)
        self._notify()

    def _message(self, mid: int) -> BotMessage:
        for m in self.messages:
            if m.id == mid:
                return m
        raise APIError(404, 10008, "Unknown Message")

    # -- interactions -----------------------------------------------------------------------------
    def _interaction_by_token(self, token: str) -> Interaction:
        for rec in self.interactions.values():
            if rec.token == token:
                return rec
        raise APIError(404, 10015, "Unknown Webhook")

    async def _interaction_callback(self, request: web.Request, iid: int, token: str):
        rec = self.interactions.get(iid)
        if rec is None or rec.token != token:
            raise APIError(404, 10062, "Unknown interaction")
        if rec.responses:
            raise APIError(400, 40060, "Interaction has already been acknowledged.")
        body, files = await self._read_message_body(request)
        ctype, data = int(body.get("type", 0)), body.get("data") or {}
        message = None
        if ctype == 4:
            msg = self._new_message(data, files, rec.channel_id, via="interaction", iid=iid)
            rec.original = msg
            self._record(msg)
            message = msg.to_api(self.guild_of(msg.channel_id), self.bot_user)
        elif ctype == 5:
            rec.loading = True
            rec.defer_flags = int(data.get("flags") or 0)
        elif ctype == 8:
            choices = data.get("choices") or []
            if len(choices) > 25:
                raise APIError(400, 50035, "Invalid Form Body (more than 25 choices)")
            rec.choices = choices
        else:
            raise APIError(400, 50035, f"emulator: callback type {ctype} not emulated")
        rec.responses.append((ctype, data))
        self._notify()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        resource: dict[str, Any] = {"type": ctype}
        if message is not None:
            resource["message"] = message
        return json_response(
            {
                "interaction": {
                    "id": str(iid),
                    "type": rec.type,
                    "response_message_id": str(rec.original.id) if rec.original else None,
                    "response_message_loading": ctype == 5,
                    "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL_FLAG),
                },
                "resource": resource,
            }
        )

    async def _webhook(self, request: web.Request, method: str, parts: list[str]):
        if parts[1] != str(self.app_id):
            raise APIError(404, 10015, "Unknown Webhook")
        rec = self._interaction_by_token(parts[2])
        rest = parts[3:]
        if method == "POST" and not rest:
            if not rec.responses:
                raise APIError(404, 10015, "Unknown Webhook")  # follow-ups need an ACK first
            payload, files = await self._read_message_body(request)
            if rec.loading:
                # The first follow-up after a defer fills in the "thinking…" message and keeps
                # the defer's visibility, whatever flags it asks for.
                payload = {**payload, "flags": rec.defer_flags}
                msg = self._new_message(payload, files, rec.channel_id, via="followup", iid=rec.id)
                rec.loading = False
                rec.original = msg
            else:
                msg = self._new_message(payload, files, rec.channel_id, via="followup", iid=rec.id)
                rec.followups.append(msg)
            self._record(msg)
            return json_response(msg.to_api(self.guild_of(msg.channel_id), self.bot_user))
        if rest[:1] == ["messages"] and len(rest) == 2:
            target = rest[1]
            if target == "@original":
                if rec.original is None and not rec.loading:
                    raise APIError(404, 10008, "Unknown Message")
                msg = rec.original
            else:
                msg = next((m for m in rec.followups if str(m.id) == target), None)
                if msg is None:
                    raise APIError(404, 10008, "Unknown Message")
            if method == "DELETE":
                if msg is not None:
                    msg.deleted = True
                rec.loading = False
                if target == "@original":
                    rec.original = msg  # keeps the record; deleted flag hides it
                self._notify()
                return web.Response(status=204)
            if method == "PATCH":
                payload, files = await self._read_message_body(request)
                if msg is None:  # editing the "thinking…" message fills it in
                    msg = self._new_message(
                        {**payload, "flags": rec.defer_flags},
                        files,
                        rec.channel_id,
                        via="interaction",
                        iid=rec.id,
                    )
                    rec.original = msg
                    rec.loading = False
                else:
                    merged = {**msg.payload, **payload}
                    new = self._new_message(
                        merged, files or msg.files, rec.channel_id, via=msg.via, iid=rec.id
                    )
                    msg.content, msg.embeds, msg.files = new.content, new.embeds, new.files
                    msg.payload = merged
                self._record(msg) if msg not in self.messages else self._notify()
                return json_response(msg.to_api(self.guild_of(msg.channel_id), self.bot_user))
            if method == "GET":
                if msg is None:
                    raise APIError(404, 10008, "Unknown Message")
                return json_response(msg.to_api(self.guild_of(msg.channel_id), self.bot_user))
        return error_response(501, 0, f"emulator: no webhook route for {method} {rest}")
