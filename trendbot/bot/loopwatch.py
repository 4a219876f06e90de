"""Notices when the event loop stalls: the symptom of blocking work on the gateway's thread.

A task sleeps for ``interval`` and measures how late it wakes up. Lateness is time during which
nothing else on the loop could run (no heartbeats, no replies). The bot logs stalls over
``warn_after``; the benchmark samples finely and reports the largest one.
"""

from __future__ import annotations

import asyncio
import logging
import time

log = logging.getLogger("trendbot.bot.loop")


class LoopWatch:
    def __init__(self, interval: float = 0.1, warn_after: float = 0.25) -> None:
        self.interval = interval
        self.warn_after = warn_after
        self.max_stall = 0.0
        self.samples = 0
        self.stalls: list[float] = []  # the ones over 2 ms, for a distribution (bounded)
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="loopwatch")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def reset(self) -> None:
        self.max_stall = 0.0
        self.samples = 0
        self.stalls = []

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.interval)
            stall = time.perf_counter() - start - self.interval
            self.samples += 1
            if stall > self.max_stall:
                self.max_stall = stall
            if stall > 0.002 and len(self.stalls) < 100_000:
                self.stalls.append(stall)
            if stall > self.warn_after:
                log.warning("event loop stalled for %.0f ms", stall * 1000)
