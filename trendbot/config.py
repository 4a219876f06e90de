"""Settings from the environment, or from a `.env` file beside where trendbot runs.

The environment wins over `.env`, so a deployment can override a developer's file. The token is
kept out of ``repr`` and logs: ``Settings`` prints it as ``'***'``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# Every public source a collector reads, with its real base URL. Each is a setting so that tests
# (and mirrors) can point a collector at another server; all of them are validated here, once.
SOURCE_URLS: dict[str, str] = {
    # papers
    "NEURIPS_BASE_URL": "https://papers.nips.cc",
    "PMLR_BASE_URL": "https://proceedings.mlr.press",
    "CVF_BASE_URL": "https://openaccess.thecvf.com",
    "ECVA_BASE_URL": "https://www.ecva.net",
    "ACL_ANTHOLOGY_XML_BASE_URL": (
        "https://raw.githubusercontent.com/acl-org/acl-anthology/master/data/xml"
    ),
    "ACL_ANTHOLOGY_BASE_URL": "https://aclanthology.org",
    "OPENREVIEW_BASE_URL": "https://api2.openreview.net",
    "OPENREVIEW_V1_BASE_URL": "https://api.openreview.net",
    # industry
    "GITHUB_BASE_URL": "https://api.github.com",
    "CLICKHOUSE_BASE_URL": "https://sql-clickhouse.clickhouse.com",
    "PYPISTATS_BASE_URL": "https://pypistats.org",
    "HN_ALGOLIA_BASE_URL": "https://hn.algolia.com",
    "STACKEXCHANGE_BASE_URL": "https://api.stackexchange.com",
    "HF_BASE_URL": "https://huggingface.co",
    "ARXIV_BASE_URL": "https://export.arxiv.org",
}
HTTP = ("http", "https")
# `trendbot scan` refuses larger files before reading a byte (papers are a few MB; a book-length
# proceedings PDF with figures is rarely over 50). Megabytes of 1024 × 1024 bytes.
SCAN_MAX_MB_DEFAULT = 100


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


def url_setting(
    env: dict[str, str], name: str, default: str | None = None, *, schemes: tuple[str, ...] = HTTP
) -> str | None:
    """A base URL setting, checked: a scheme from ``schemes``, a host, a valid port.

    Returned without a trailing slash so callers can append paths. Empty → ``default``.
    """
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    example = f"{schemes[0]}://127.0.0.1:8080"
    problem = f"{name} must be a full URL such as {example}, not {raw!r}."
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise ConfigError(problem) from None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise ConfigError(problem)
    if parts.query or parts.fragment:
        raise ConfigError(f"{name} must be a base URL without ?query or #fragment, not {raw!r}.")
    return raw.rstrip("/")


def path_setting(value: str | None) -> str | None:
    """A file or folder setting as the user meant it: ``~`` and ``~user`` expanded."""
    value = (value or "").strip()
    return os.path.expanduser(value) if value else None


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
    source_urls: dict[str, str] = field(default_factory=lambda: dict(SOURCE_URLS))
    extra: dict[str, str] = field(default_factory=dict, repr=False)

    def scan_max_bytes(self) -> int:
        """TRENDBOT_SCAN_MAX_MB in bytes; checked here, where `trendbot scan` asks for it, so
        a bad value stops only the command that uses it."""
        raw = (self.extra.get("TRENDBOT_SCAN_MAX_MB") or "").strip()
        if not raw:
            return SCAN_MAX_MB_DEFAULT * 1024 * 1024
        ok = raw.isascii() and raw.isdigit() and len(raw) <= 7 and 1 <= int(raw) <= 1024 * 1024
        if not ok:
            raise ConfigError(
                f"TRENDBOT_SCAN_MAX_MB must be a whole number of megabytes from 1 to 1048576 "
                f"(default {SCAN_MAX_MB_DEFAULT}), not {raw[:40]!r}."
            )
        return int(raw) * 1024 * 1024

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
            db_path=path_setting(env.get("TRENDBOT_DB")),
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            output_dir=path_setting(env.get("TRENDBOT_OUT")) or "trendbot-out",
            shard_count=shard_count,
            auto_shard=auto_shard,
            shard_ids=_int_list("SHARD_IDS", env.get("SHARD_IDS")),
            owner_ids=_int_list("OWNER_IDS", env.get("OWNER_IDS")) or (),
            discord_api_base=url_setting(env, "DISCORD_API_BASE"),
            discord_gateway_url=url_setting(env, "DISCORD_GATEWAY_URL", schemes=("ws", "wss")),
            source_urls={k: url_setting(env, k, v) or v for k, v in SOURCE_URLS.items()},
            extra=dict(env),
        )
