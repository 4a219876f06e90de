"""Back-pressure: per-user budgets, a per-server cap on charts, and in-flight tracking.

A user's budget is shared by every command and by @mention questions (spamming `!venues` and
`!ratio` alternately is still spam), and by prefix and slash invocations alike; charts have a
second, stricter budget. The chart cap is ours rather than ``commands.max_concurrency`` because
charts are also reached from @mention questions, which do not go through discord.py's command
machinery. The in-flight counter is what lets SIGTERM wait for replies being written.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from discord.ext import commands


class ServerBusy(commands.CommandError):
    """A server already has as many charts rendering as it may."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"{limit} charts are already being drawn for this server.")
        self.limit = limit


class GuildSlots:
    """At most ``limit`` concurrent slow commands per server (direct messages share one slot)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._busy: Counter[int] = Counter()

    @asynccontextmanager
    async def claim(self, guild_id: int | None) -> AsyncIterator[None]:
        key = guild_id or 0
        if self._busy[key] >= self.limit:
            raise ServerBusy(self.limit)
        self._busy[key] += 1
        try:
            yield
        finally:
            self._busy[key] -= 1
            if self._busy[key] <= 0:
                del self._busy[key]

    def in_use(self, guild_id: int | None) -> int:
        return self._busy.get(guild_id or 0, 0)


class InFlight:
    """Counts replies being worked on, so shutdown can wait until the count reaches zero."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        self.count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """True if everything finished within ``timeout`` seconds."""
        if self.count == 0:
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


class UserBudget:
    """``uses`` per ``per`` seconds per user, on discord.py's cooldown buckets."""

    def __init__(self, rate: tuple[int, float]) -> None:
        uses, per = rate
        self.cooldown = commands.Cooldown(uses, per) if uses > 0 else None
        self._mapping = (
            commands.CooldownMapping(self.cooldown, commands.BucketType.user)
            if self.cooldown
            else None
        )

    def spend(self, origin: Any) -> float | None:
        """Spend one unit for ``origin``'s author (Message or Context); the wait, or None."""
        if self._mapping is None:
            return None
        bucket = self._mapping.get_bucket(origin)
        return bucket.update_rate_limit() if bucket is not None else None

    def check(self, origin: Any) -> None:
        """Raise ``CommandOnCooldown`` (handled like any cooldown) when the budget is spent."""
        retry = self.spend(origin)
        if retry and self.cooldown is not None:
            raise commands.CommandOnCooldown(self.cooldown, retry, commands.BucketType.user)
