"""One update event fanned out to 1,000 subscribed channels, through the Discord API emulator.

The bot runs in its own process (`trendbot run`, pointed at the emulator by the test hooks) with
1,000 channels subscribed to `papers` in 10 servers. This process plays Discord (the emulator
enforces the global rate limit: more than 50 requests in a second get a 429 with ``global``)
and a collector (it commits one NeurIPS update event into the store from another connection).

Phases:
1. warm-up: a few replies, and the update's chart drawn once by the chart service;
2. idle: users send `!ratio <venue> <year>` at a steady rate; each reply is timed from the
   emulator's MESSAGE_CREATE to the reply's POST (the idle p95);
3. fan-out: the event is committed and the same users keep asking while the poster delivers
   1,000 posts; the replies to messages sent during the fan-out give the p95 beside the idle one.

Printed: posts/s (first to last post), the time from the commit to the last post, the 429s, the
peak requests per second the emulator saw from the bot, and both p95s. Targets (issue 10): no
429 storm (zero 429s) and the peak under 50 requests/s; p95 during the fan-out ≤ 2 × idle.
POSTER_POLL_S is 1 s here (30 s by default), so the wait for the first poll does not dominate
the time to the last post; POSTER_COMBINE_S is 0 (a single event has nothing to combine).

Run: ``python bench/bench_fanout.py`` (about 90 s); ``--help`` for the knobs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the emulator lives in tests/

GLOBAL_LIMIT = 50


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[int(0.95 * (len(values) - 1))]


def subscribe_all(db: Path, channels: list[tuple[int, int]]) -> None:
    from trendbot.storage import open_store
    from trendbot.storage import subscriptions as subs

    with open_store(db) as store:
        for guild_id, channel_id in channels:
            subs.subscribe(
                store.conn, guild_id=guild_id, channel_id=channel_id, topic="papers", user_id=1
            )


def commit_event(db: Path) -> float:
    """One NeurIPS update, written as a collector writes it (its own connection and
    transaction); the time of the commit."""
    from trendbot.storage import open_store, outbox
    from trendbot.storage import subscriptions as subs

    with open_store(db) as store, subs.immediate(store.conn):
        outbox.record(
            store.conn,
            outbox.paper_topics("neurips"),
            [
                outbox.Change("pytorch", 1810, 1874, "final"),
                outbox.Change("tensorflow", 402, 388, "final"),
                outbox.Change("total", 3540, 3584, "final"),
            ],
            kind="papers",
            title="NeurIPS 2023",
            detail={
                "venue": "NeurIPS",
                "venue_id": "neurips",
                "year": 2023,
                "source": "NeurIPS proceedings (papers.nips.cc), read by trendbot",
                "population": "accepted main-track papers",
                "methods": ["final"],
                "chart": "chart NeurIPS",
            },
        )
    return time.perf_counter()


class Asker:
    """Users asking `!ratio` at a steady (Poisson) rate in #general, replies timed."""

    def __init__(self, emu, users: int, rate: float, seed: int) -> None:
        self.emu = emu
        self.rate = rate
        self.rng = random.Random(seed)
        self.users = [emu.make_user(f"user{i:02d}") for i in range(users)]
        self.lines = [f"!ratio {v} {y}" for v in ("NeurIPS", "ICML", "CVPR") for y in (2018, 2019)]

    async def ask(self, until) -> list[tuple[float, float]]:
        """Ask until ``until()`` is true; (sent at, latency ms) per reply."""
        sent: list[int] = []
        next_at = time.perf_counter()
        while not until():
            next_at += self.rng.expovariate(self.rate)
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            line = self.rng.choice(self.lines)
            sent.append(await self.emu.user_says(line, user=self.rng.choice(self.users)))
        out = []
        for mid in sent:
            reply = await self.emu.wait_reply(mid, timeout=60)
            at = self.emu.dispatched_at[mid]
            out.append((at, (reply.received_at - at) * 1000))
        return out


async def run(args: argparse.Namespace) -> int:
    from tests.support.discord_emulator import DiscordEmulator

    tmp = Path(tempfile.mkdtemp(prefix="trendbot-fanout-"))
    db = tmp / "fanout.db"
    emu = DiscordEmulator(global_limit=GLOBAL_LIMIT)
    per_guild = max(1, args.channels // args.servers)
    guilds = [emu.add_guild(f"server {i}", channels=per_guild) for i in range(args.servers)]
    channels = [(g, c) for g in guilds for c in emu.guilds[g].channels]
    await asyncio.to_thread(subscribe_all, db, channels)
    async with emu:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TRENDBOT_"))},
            "DISCORD_TOKEN": emu.token,
            "DISCORD_API_BASE": emu.api_base,
            "DISCORD_GATEWAY_URL": emu.gateway_url,
            "TRENDBOT_DB": str(db),
            "TRENDBOT_ENV_FILE": os.devnull,
            "COMMAND_COOLDOWN": "off",
            "COLLECT_EVERY": "off",
            "POSTER_POLL_S": str(args.poll),
            "POSTER_COMBINE_S": "0",
            **({"POSTER_RATE": str(args.poster_rate)} if args.poster_rate else {}),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        log = (tmp / "bot.log").open("wb")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "trendbot", "run", env=env, stderr=log
        )
        try:
            await emu.wait_ready(timeout=60)
            for line in ("!ratio NeurIPS 2019", "!chart NeurIPS", "!ratio CVPR 2019"):
                await emu.wait_reply(await emu.user_says(line), timeout=60)
            asker = Asker(emu, args.users, args.rate, args.seed)
            idle_end = time.perf_counter() + args.idle
            idle = await asker.ask(lambda: time.perf_counter() > idle_end)
            targets = {c for _, c in channels}

            def posts():
                return [m for m in emu.messages if m.channel_id in targets]

            requests_before = len(emu.requests)
            start = await asyncio.to_thread(commit_event, db)
            asking = asyncio.create_task(asker.ask(lambda: len(posts()) >= len(targets)))
            await emu.wait_for(lambda: len(posts()) >= len(targets), timeout=600)
            during_all = await asking
        except BaseException:
            print((tmp / "bot.log").read_text(errors="replace")[-4000:], file=sys.stderr)
            raise
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 60)
            log.close()
        made = posts()
        first = min(m.received_at for m in made)
        last = max(m.received_at for m in made)
        during = [ms for at, ms in during_all if first <= at <= last]
        per_channel = {}
        for m in made:
            per_channel[m.channel_id] = per_channel.get(m.channel_id, 0) + 1
        statuses = [st for _, _, st in emu.requests[requests_before:]]
        peak = emu.peak_rate(since=time.monotonic() - (time.perf_counter() - start) - 1)
    shutil.rmtree(tmp, ignore_errors=True)

    idle_ms = [ms for _, ms in idle]
    too_many = sum(st == 429 for st in statuses)
    duplicates = sum(n - 1 for n in per_channel.values() if n > 1)
    print(
        f"trendbot fan-out benchmark: 1 update event to {len(targets):,} channels in "
        f"{args.servers} servers through the Discord emulator (global limit {GLOBAL_LIMIT}/s); "
        f"{os.cpu_count()} cores; POSTER_POLL_S={args.poll}"
    )
    print(
        f"posts: {len(made):,} ({len(per_channel):,} channels, {duplicates} duplicates) in "
        f"{last - first:.1f} s first to last = {(len(made) - 1) / max(last - first, 1e-9):.1f} "
        f"posts/s; commit → first post {first - start:.2f} s, commit → last post "
        f"{last - start:.1f} s"
    )
    print(
        f"Discord: {too_many} responses 429 ({emu.rate_limited} global) of "
        f"{len(statuses):,} requests; peak {peak} requests in one second"
    )
    print(
        f"!ratio at {args.rate:.0f} msg/s: idle p95 {p95(idle_ms):.1f} ms (median "
        f"{statistics.median(idle_ms):.1f}, n={len(idle_ms)}); during the fan-out p95 "
        f"{p95(during):.1f} ms (median {statistics.median(during):.1f}, n={len(during)}) = "
        f"{p95(during) / p95(idle_ms):.2f} × idle"
    )
    ok_rate = too_many == 0 and peak < GLOBAL_LIMIT
    ok_latency = p95(during) <= 2 * p95(idle_ms)
    verdict = {True: "PASS", False: "MISS"}
    print(
        f"targets: no 429s and peak < {GLOBAL_LIMIT}/s: {verdict[ok_rate]}; p95 during ≤ 2 × "
        f"idle: {verdict[ok_latency]}; every channel exactly once: "
        f"{verdict[len(per_channel) == len(targets) and not duplicates]}"
    )
    return 0 if ok_rate and ok_latency and not duplicates else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=10)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--rate", type=float, default=10.0, help="!ratio messages/s")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of the idle phase")
    parser.add_argument("--poll", type=float, default=1.0, help="POSTER_POLL_S for the bot")
    parser.add_argument("--poster-rate", type=float, default=0, help="POSTER_RATE (0: default)")
    parser.add_argument("--seed", type=int, default=2019)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
