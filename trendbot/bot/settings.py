"""Bot-only settings, read from the same environment (and `.env`) as ``trendbot.config``.

They live here rather than in ``Settings`` because only the Discord adapter needs them; they are
parsed from ``Settings.extra`` so that one ``Settings.from_env()`` call stays the single place
that reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from trendbot.config import ConfigError, Settings

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


def _flag(env: dict[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}.")


def _rate(env: dict[str, str], name: str, default: tuple[int, float]) -> tuple[int, float]:
    """'5/10' → 5 uses per 10 seconds; '0' or 'off' → no cooldown (0, 0)."""
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in {"0", "off", "none"}:
        return (0, 0.0)
    try:
        uses, _, per = raw.partition("/")
        rate = (int(uses), float(per or 1))
    except ValueError:
        raise ConfigError(f"{name} must look like 5/10 (5 uses per 10 s) or off.") from None
    if rate[0] < 0 or rate[1] <= 0:
        raise ConfigError(f"{name} must look like 5/10 (5 uses per 10 s) or off.")
    return rate


def _int(env: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}.")
    return value


_UNITS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def _interval(env: dict[str, str], name: str, default: float | None) -> float | None:
    """'6h', '30m', '90s', '1d' or plain seconds; 'off' → None (disabled)."""
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in {"off", "0", "never", "none"}:
        return None
    number = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = raw[len(number) :] or "s"
    try:
        seconds = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise ConfigError(f"{name} must look like 6h, 30m or 3600 (seconds), or off.") from None
    if seconds < 60:
        raise ConfigError(f"{name} must be at least one minute (or off).")
    return seconds


def _rate_per_second(env: dict[str, str], name: str, default: float) -> float:
    """Posts per second: above 0 and at most 40, so the poster can never reach Discord's
    global limit of 50 requests a second on its own."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of posts per second, not {raw!r}.") from None
    if not 0 < value <= 40:
        raise ConfigError(f"{name} must be above 0 and at most 40 (posts per second).")
    return value


def _seconds(env: dict[str, str], name: str, default: float, minimum: float) -> float:
    """A number of seconds (fractions allowed, e.g. 0.5 in tests)."""
    raw = (env.get(name) or "").strip().lower().removesuffix("s")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}.") from None
    if not value >= minimum or value == float("inf"):
        raise ConfigError(f"{name} must be a number of seconds, at least {minimum:g}.")
    return value


@dataclass(frozen=True)
class BotConfig:
    """How the bot behaves in Discord; the defaults suit a public bot in a few hundred servers."""

    message_content: bool = True  # prefix commands need it; slash and mentions work without
    cooldown: tuple[int, float] = (5, 10.0)  # per user: 5 commands per 10 s
    chart_cooldown: tuple[int, float] = (2, 20.0)  # per user: 2 charts per 20 s
    chart_concurrency: int = 2  # charts rendering at once per server
    # Render processes; None = the chart service's default (one per core but one, at least one:
    # bench/bench_charts.py measured loop stalls over 10 ms with 2 workers on 2 cores); 0 draws
    # in a thread of the bot process.
    chart_workers: int | None = None
    sync_mode: str = "auto"  # auto: sync the tree when its hash changed; never: only on request
    shutdown_grace: float = 10.0  # seconds to let in-flight replies finish on SIGTERM
    # Industry collection in a child process, when the last one finished longer ago than this
    # (seconds); None: never (run `trendbot collect industry` yourself, e.g. from a timer).
    collect_every: float | None = 6 * 3600.0
    guild_ready_timeout: float = 2.0
    # Update posts (bot/poster.py): how often the store is polled for new update events
    # (collectors are other processes), how long a channel's first owed event waits so that a
    # burst shares one post, how many posts a second at most (Discord allows 50 requests a
    # second in all; commands keep the rest), and how often a digest goes out.
    poster_poll: float = 30.0
    poster_combine: float = 120.0
    poster_rate: float = 20.0
    digest_every: float = 7 * 86400.0

    @classmethod
    def from_settings(cls, settings: Settings) -> BotConfig:
        env = settings.extra
        sync_mode = (env.get("COMMAND_SYNC") or "auto").strip().lower()
        if sync_mode not in {"auto", "never"}:
            raise ConfigError("COMMAND_SYNC must be auto or never.")
        return cls(
            message_content=_flag(env, "MESSAGE_CONTENT_INTENT", True),
            cooldown=_rate(env, "COMMAND_COOLDOWN", cls.cooldown),
            chart_cooldown=_rate(env, "CHART_COOLDOWN", cls.chart_cooldown),
            chart_concurrency=_int(env, "CHART_CONCURRENCY", cls.chart_concurrency, minimum=1),
            chart_workers=(
                None
                if (env.get("CHART_WORKERS") or "auto").strip().lower() == "auto"
                else _int(env, "CHART_WORKERS", 0)
            ),
            sync_mode=sync_mode,
            collect_every=_interval(env, "COLLECT_EVERY", cls.collect_every),
            poster_poll=_seconds(env, "POSTER_POLL_S", cls.poster_poll, 0.05),
            poster_combine=_seconds(env, "POSTER_COMBINE_S", cls.poster_combine, 0.0),
            poster_rate=_rate_per_second(env, "POSTER_RATE", cls.poster_rate),
            digest_every=_interval(env, "DIGEST_EVERY", cls.digest_every) or cls.digest_every,
        )
