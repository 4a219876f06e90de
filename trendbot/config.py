"""Settings from the environment, or from a `.env` file beside where trendbot runs.

The environment wins over `.env`, so a deployment can override a developer's file. The token is
kept out of ``repr`` and logs: ``Settings`` prints it as ``'***'``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def load_env(path: str | Path | None = None) -> dict[str, str]:
    """Environment merged over `.env` (found in the working directory unless a path is given)."""
    values: dict[str, str] = {}
    env_file = Path(path) if path else Path(os.environ.get("TRENDBOT_ENV_FILE", ".env"))
    if env_file.is_file():
        from dotenv import dotenv_values

        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ)
    return values


class ConfigError(ValueError):
    """A setting has a value trendbot cannot use; the message says which and how to fix it."""


def _int_list(name: str, raw: str | None) -> tuple[int, ...] | None:
    if not raw or not raw.strip():
        return None
    try:
        return tuple(int(x) for x in raw.replace(" ", "").split(",") if x)
    except ValueError:
        raise ConfigError(
            f"{name} must be whole numbers separated by commas (e.g. 0,1), not {raw!r}."
        ) from None


def _shard_count(raw: str | None) -> tuple[int | None, bool]:
    """SHARD_COUNT: unset → no sharding; ``auto`` → Discord's recommendation; or a number."""
    value = (raw or "").strip().lower()
    if not value:
        return None, False
    if value == "auto":
        return None, True
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"SHARD_COUNT must be a whole number of shards or auto, not {raw!r}.")
    return int(value), False


@dataclass(frozen=True)
class Settings:
    discord_token: str = field(default="", repr=False)
    command_prefix: str = "!"
    db_path: str | None = None
    log_level: str = "INFO"
    output_dir: str = "trendbot-out"
    shard_count: int | None = None
    auto_shard: bool = False  # SHARD_COUNT=auto: as many shards as Discord recommends
    shard_ids: tuple[int, ...] | None = None
    owner_ids: tuple[int, ...] = ()
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:  # never show the token, even by accident
        token = "***" if self.discord_token else "(unset)"
        return (
            f"Settings(discord_token={token!r}, command_prefix={self.command_prefix!r}, "
            f"db_path={self.db_path!r}, log_level={self.log_level!r})"
        )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Raises ``ConfigError`` (one sentence, no traceback) for a value it cannot use."""
        env = load_env() if env is None else env
        shard_count, auto_shard = _shard_count(env.get("SHARD_COUNT"))
        return cls(
            discord_token=env.get("DISCORD_TOKEN", "").strip(),
            command_prefix=env.get("COMMAND_PREFIX", "!") or "!",
            db_path=env.get("TRENDBOT_DB") or None,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            output_dir=env.get("TRENDBOT_OUT") or "trendbot-out",
            shard_count=shard_count,
            auto_shard=auto_shard,
            shard_ids=_int_list("SHARD_IDS", env.get("SHARD_IDS")),
            owner_ids=_int_list("OWNER_IDS", env.get("OWNER_IDS")) or (),
            discord_api_base=env.get("DISCORD_API_BASE") or None,
            discord_gateway_url=env.get("DISCORD_GATEWAY_URL") or None,
            extra=dict(env),
        )
