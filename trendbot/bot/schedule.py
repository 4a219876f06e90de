"""Collections on a schedule, inside the bot's lifetime but outside its process.

Every ``COLLECT_EVERY`` (default 6 h) the bot runs ``trendbot collect industry`` as a child
process, one run at a time: the collection's downloads, parsing and database writes never touch
the bot's event loop or its memory, a crash in a collector cannot take the bot down, and the
store (WAL, short transactions) lets the bot keep answering meanwhile. A run is due when the last
one finished (whatever its outcome) longer than the interval ago, so restarts do not re-run a
collection that just finished, and a source that is down is not retried more often than the
schedule says. A source stopped by a spent quota (GitHub's hour, Stack Exchange's day) is not a
failure: the run exits 0, and the next run comes when that quota resets, if that is sooner than
the interval (``quota_resets``), so that a backfill spread over quotas goes on as soon as it can,
never before. Papers are collected by ``trendbot collect papers`` on its own timer
(``deploy/trendbot-collect.timer``): reading thousands of PDFs is not a job for the bot's host
process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("trendbot.bot.schedule")

FIRST_DELAY = 60.0  # after startup: let the gateway and the first commands settle
TAIL_LINES = 5
QUOTA_MARGIN = 60.0  # after a quota's reset time, before the next run (clocks differ)


@dataclass
class RunRecord:
    started: float
    finished: float | None = None
    exit_code: int | None = None
    tail: list[str] = field(default_factory=list)  # the last lines it printed on stderr

    @property
    def outcome(self) -> str:
        if self.finished is None:
            return "running"
        known = {0: "ok", 1: "some sources failed"}
        return known.get(self.exit_code or 0, f"exit status {self.exit_code}")


class CollectionSchedule:
    """Runs ``command`` (a collector process) when due; ``status()`` says what it is doing."""

    def __init__(
        self,
        *,
        every: float,
        command: Sequence[str],
        last_finished: Callable[[], str | None],
        on_done: Callable[[], None] = lambda: None,
        first_delay: float = FIRST_DELAY,
        max_runtime: float | None = None,
        quota_resets: Callable[[], Sequence[str]] = lambda: (),
    ) -> None:
        self.every = every
        self.quota_resets = quota_resets  # ISO instants (UTC) when spent quotas reset
        self.command = list(command)
        self.last_finished = last_finished
        self.on_done = on_done
        self.first_delay = first_delay
        self.max_runtime = max_runtime or max(600.0, every)
        self.last: RunRecord | None = None
        self.next_due: float | None = None  # time.time() of the next run
        self._task: asyncio.Task | None = None
        self._proc: asyncio.subprocess.Process | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="collections")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop the schedule; a running collection gets SIGTERM (it keeps what it committed),
        then SIGKILL after ``grace`` seconds."""
        await self._terminate(grace)  # first the child, while we still know it
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _terminate(self, grace: float) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    # -- the loop -------------------------------------------------------------------------------
    def seconds_until_due(self, now: float | None = None) -> float:
        now = time.time() if now is None else now
        last = self.last_finished()
        if not last:
            return 0.0
        try:
            finished = datetime.fromisoformat(last).replace(tzinfo=UTC).timestamp()
        except ValueError:
            return 0.0
        due = finished + self.every
        for text in self.quota_resets():  # a quota that resets sooner: go on then
            with contextlib.suppress(ValueError):
                reset = datetime.fromisoformat(text.replace("Z", "+00:00"))
                reset = reset if reset.tzinfo else reset.replace(tzinfo=UTC)
                if reset.timestamp() > finished:  # a reset already past says nothing new
                    due = min(due, reset.timestamp() + QUOTA_MARGIN)
        return max(0.0, due - now)

    async def _loop(self) -> None:
        await asyncio.sleep(self.first_delay)
        while True:
            try:
                wait = await asyncio.to_thread(self.seconds_until_due)
            except Exception:  # the store is busy or gone: try again later, never die
                log.exception("could not read the collection log; retrying in 5 minutes")
                wait = 300.0
            self.next_due = time.time() + wait
            if wait > 0:
                await asyncio.sleep(min(wait, 3600.0))  # re-check hourly (a CLI run counts too)
                continue
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the scheduled collection could not run")
                await asyncio.sleep(300.0)

    async def run_once(self) -> RunRecord:
        """Run the collector now and wait for it (bounded by ``max_runtime``)."""
        record = RunRecord(started=time.time())
        self.last = record
        log.info("scheduled collection started: %s", " ".join(self.command[-3:]))
        self._proc = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=_lower_priority if os.name == "posix" else None,
        )
        try:
            assert self._proc.stderr is not None
            reader = asyncio.create_task(self._tail(self._proc.stderr, record))
            try:
                await asyncio.wait_for(self._proc.wait(), self.max_runtime)
            except TimeoutError:
                log.warning("scheduled collection ran over %.0f s; stopping it", self.max_runtime)
                await self._terminate(10.0)
            except asyncio.CancelledError:  # the bot is stopping: the child goes with it
                await asyncio.shield(self._terminate(10.0))
                raise
            await reader
        finally:
            record.finished = time.time()
            record.exit_code = self._proc.returncode
            self._proc = None
        took = record.finished - record.started
        if record.exit_code in (0, 1):
            log.info("scheduled collection finished in %.0f s: %s", took, record.outcome)
        else:
            log.warning(
                "scheduled collection ended with %s after %.0f s: %s",
                record.outcome,
                took,
                " | ".join(record.tail) or "no message",
            )
        self.on_done()
        return record

    @staticmethod
    async def _tail(stream: asyncio.StreamReader, record: RunRecord) -> None:
        async for raw in stream:
            line = raw.decode("utf-8", "replace").strip()
            if line and "\r" not in line and "it/s" not in line:  # skip progress-bar frames
                record.tail = [*record.tail[-(TAIL_LINES - 1) :], line[:300]]

    def status(self) -> str:
        """One line for `!status`."""
        every = f"every {_duration(self.every)}"
        if self.last is not None and self.last.finished is None:
            running = _duration(time.time() - self.last.started)
            return f"industry collection {every}: running for {running}"
        parts = [f"industry collection {every}"]
        if self.last is not None:
            ago = _duration(time.time() - (self.last.finished or self.last.started))
            parts.append(f"last run by this bot {ago} ago: {self.last.outcome}")
        if self.next_due is not None:
            parts.append(f"next in {_duration(max(0.0, self.next_due - time.time()))}")
        return "; ".join(parts)


def _lower_priority() -> None:
    """In the child: collections yield the CPU to the bot."""
    with contextlib.suppress(OSError):
        os.nice(10)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def collector_command(db_path: Path | str, *args: str) -> list[str]:
    """``trendbot --db <the bot's store> collect …`` with this interpreter."""
    return [sys.executable, "-m", "trendbot", "--db", str(db_path), "collect", *args]
