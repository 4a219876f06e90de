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


def _int_list(raw: str | None) -> tuple[int, ...] | None:
    if not raw or not raw.strip():
        return None
    return tuple(int(x) for x in raw.replace(" ", "").split(",") if x)


@dataclass(frozen=True)
class Settings:
    discord_token: str = field(default="", repr=False)
    command_prefix: str = "!"
    db_path: str | None = None
    log_level: str = "INFO"
    output_dir: str = "trendbot-out"
    shard_count: int | None = None
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
        env = load_env() if env is None else env
        shard_count = env.get("SHARD_COUNT", "").strip()
        return cls(
            discord_token=env.get("DISCORD_TOKEN", "").strip(),
            command_prefix=env.get("COMMAND_PREFIX", "!") or "!",
            db_path=env.get("TRENDBOT_DB") or None,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            output_dir=env.get("TRENDBOT_OUT") or "trendbot-out",
            shard_count=int(shard_count) if shard_count else None,
            shard_ids=_int_list(env.get("SHARD_IDS")),
            owner_ids=_int_list(env.get("OWNER_IDS")) or (),
            discord_api_base=env.get("DISCORD_API_BASE") or None,
            discord_gateway_url=env.get("DISCORD_GATEWAY_URL") or None,
            extra=dict(env),
        )
