"""Settings from the environment, or from a `.env` file beside where trendbot runs.

The environment wins over `.env`, so a deployment can override a developer's file. The token is
kept out of ``repr`` and logs: ``Settings`` prints it as ``'***'``.

A `.env` file trendbot cannot use (not UTF-8, a folder, unreadable, binary, huge, or a
``TRENDBOT_ENV_FILE`` that does not exist) never stops a command: it gets one warning line on
stderr, naming the file but never a value from it, and the environment alone is used. Base URLs
are checked only where they are used (a collector, the bot), so a bad one never stops `ask`.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger("trendbot.config")

# Every public source a collector reads, with its real base URL. Each is a setting so that tests
# (and mirrors) can point a collector at another server; each is checked by ``check_url`` where
# a collector first uses it, so a bad one stops only what needs it.
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
    # the code of papers: repository files read from GitHub's raw host (no API quota spent)
    "GITHUB_RAW_BASE_URL": "https://raw.githubusercontent.com",
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

# -- the .env file --------------------------------------------------------------------------------
ENV_FILE_LIMIT = 64 * 1024  # a settings file is a few kB (.env.example: 6); past this, not one
ENV_VALUE_LIMIT = 64 * 1024  # one setting's value after ${VAR} expansion
_BOMS = (  # UTF-32's little-endian mark starts with UTF-16's: look for it first
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_warned: set[str] = set()


@dataclass(frozen=True)
class EnvFile:
    """What a `.env` file gave: its settings, and at most one sentence about a problem with it."""

    values: dict[str, str]
    warning: str | None = None


def env_file_path(env: dict[str, str] | os._Environ | None = None) -> tuple[Path | None, bool]:
    """(the settings file to read, whether it was named by TRENDBOT_ENV_FILE). An empty
    TRENDBOT_ENV_FILE or the null device reads no file at all."""
    env = os.environ if env is None else env
    named = env.get("TRENDBOT_ENV_FILE")
    if named is None:
        return Path(".env"), False
    named = named.strip()
    if not named or named == os.devnull:
        return None, True
    return Path(os.path.expanduser(named)), True


def decode_env_text(data: bytes) -> tuple[str | None, str | None]:
    """(text, problem): UTF-8 (with or without a BOM) and UTF-16/32 with a BOM, as Notepad saves
    them, are read as they are; other bytes are read as Latin-1 and named as a problem; text
    holding NUL bytes is no settings file (None)."""
    text: str | None = None
    problem: str | None = None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                return None, f"it is not valid {codec.split('-sig')[0].upper()} text"
            break
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            text = data.decode("latin-1")
            problem = f"line {line} is not UTF-8, so it was read as Latin-1; save it as UTF-8"
    if "\x00" in text:
        return None, "it holds NUL bytes, so it is not a text file"
    return text, problem


def read_env_file(path: Path, *, named: bool = False) -> EnvFile:
    """The settings in ``path``. A missing file is normal unless it was ``named``; every other
    problem is one sentence in ``warning`` (naming the file, never a value) and no settings."""
    where = f"TRENDBOT_ENV_FILE {path}" if named else f"the settings file {path}"
    ignored = "; it was ignored, the environment alone is used."
    try:
        if not path.exists():
            return EnvFile({}, f"{where} does not exist{ignored}" if named else None)
        if path.is_dir():
            return EnvFile({}, f"{where} is a folder, not a file{ignored}")
        if not path.is_file():  # a FIFO or a device: opening it could wait for ever
            return EnvFile({}, f"{where} is not a regular file{ignored}")
        with path.open("rb") as f:
            data = f.read(ENV_FILE_LIMIT + 1)
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        return EnvFile({}, f"{where} cannot be read ({reason}){ignored}")
    if len(data) > ENV_FILE_LIMIT:
        limit = ENV_FILE_LIMIT // 1024
        return EnvFile({}, f"{where} is larger than {limit} kB, too large for settings{ignored}")
    text, problem = decode_env_text(data)
    if text is None:
        return EnvFile({}, f"{where} cannot be used: {problem}{ignored}")
    try:
        values, skipped = parse_env_text(text)
    except ValueError as exc:
        return EnvFile({}, f"{where} cannot be used: {exc}{ignored}")
    problems = [problem] if problem else []
    if skipped:
        lines = ", ".join(map(str, skipped[:5])) + (", …" if len(skipped) > 5 else "")
        one = len(skipped) == 1
        problems.append(
            f"line {lines} is not NAME=value, so it was skipped"
            if one
            else f"lines {lines} are not NAME=value, so they were skipped"
        )
    return EnvFile(values, f"{where}: {'; '.join(problems)}." if problems else None)


def parse_env_text(text: str) -> tuple[dict[str, str], list[int]]:
    """(settings, numbers of the lines that are no setting), parsed by python-dotenv's parser
    and ``${VAR}``-expanded as ``dotenv_values`` does (earlier lines, then the environment),
    but with the bad lines returned, to say once with the file's name, and each expanded value
    held to ``ENV_VALUE_LIMIT``: ``A=${B}${B}`` thirty lines deep would be gigabytes."""
    from collections import ChainMap
    from io import StringIO

    from dotenv.parser import parse_stream
    from dotenv.variables import parse_variables

    values: dict[str, str] = {}
    scope = ChainMap(values, os.environ)  # type: ignore[arg-type]
    skipped: list[int] = []
    for binding in parse_stream(StringIO(text)):
        if binding.error:
            skipped.append(binding.original.line)
            continue
        if binding.key is None:  # a comment or a blank line
            continue
        if binding.value is None:  # a bare word: a pasted value, or a NAME without =value
            skipped.append(binding.original.line)
            continue
        parts = [atom.resolve(scope) for atom in parse_variables(binding.value)]
        if sum(map(len, parts)) > ENV_VALUE_LIMIT:
            raise ValueError(
                f"line {binding.original.line} expands to more than "
                f"{ENV_VALUE_LIMIT // 1024} kB, so it is not a settings file"
            )
        values[binding.key] = "".join(parts)
    return values, skipped


def warn_once(message: str) -> None:
    """One line on stderr (the ``trendbot.config`` log), once per process however many times
    settings are loaded."""
    if message not in _warned:
        _warned.add(message)
        log.warning("trendbot: warning: %s", message)


def load_env(path: str | Path | None = None) -> dict[str, str]:
    """Environment merged over `.env` (found in the working directory unless a path is given
    or TRENDBOT_ENV_FILE names one); a problem with the file is one warning line, never a stop."""
    values: dict[str, str] = {}
    env_file, named = (Path(path), True) if path else env_file_path()
    if env_file is not None:
        got = read_env_file(env_file, named=named)
        if got.warning:
            warn_once(got.warning)
        values.update(got.values)
    values.update(os.environ)
    return values


class ConfigError(ValueError):
    """A setting has a value trendbot cannot use; the message says which and how to fix it."""


def without_password(url: str) -> str:
    """``url`` with a password in it (``//user:secret@``) as ``***``: for messages, logs and
    the provenance a reply shows."""
    return re.sub(r"(//[^/@:\s]*:)[^/@\s]*@", r"\1***@", url)


def shown(raw: str) -> str:
    """A setting's value fit for a message: no password, at most 80 characters, quoted."""
    masked = without_password(raw)
    return repr(masked if len(masked) <= 80 else masked[:77] + "...")


def check_url(name: str, raw: str, *, schemes: tuple[str, ...] = HTTP) -> str:
    """A base URL setting, checked: a scheme from ``schemes``, a host, a valid port; returned
    without a trailing slash so callers can append paths. ``ConfigError`` names the setting."""
    raw = raw.strip()
    example = f"{schemes[0]}://127.0.0.1:8080"
    problem = f"{name} must be a full URL such as {example}, not {shown(raw)}."
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise ConfigError(problem) from None
    if parts.scheme.lower() not in schemes or not parts.hostname or any(c.isspace() for c in raw):
        raise ConfigError(problem)
    if parts.query or parts.fragment:
        raise ConfigError(
            f"{name} must be a base URL without ?query or #fragment, not {shown(raw)}."
        )
    return raw.rstrip("/")


def _raw_url(env: dict[str, str], name: str, default: str | None = None) -> str | None:
    """A URL setting as given, without a trailing slash (checked later, where it is used);
    empty → ``default``."""
    return (env.get(name) or "").strip().rstrip("/") or default


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

    def source_url(self, name: str) -> str:
        """The base URL setting ``name``, checked now: ``ConfigError`` names it if unusable."""
        return check_url(name, self.source_urls.get(name) or SOURCE_URLS[name])

    def with_discord_urls_checked(self) -> Settings:
        """These settings with DISCORD_API_BASE / DISCORD_GATEWAY_URL checked (the bot's test
        hooks); ``ConfigError`` names the one that is unusable."""
        import dataclasses

        api, gateway = self.discord_api_base, self.discord_gateway_url
        return dataclasses.replace(
            self,
            discord_api_base=check_url("DISCORD_API_BASE", api) if api else None,
            discord_gateway_url=(
                check_url("DISCORD_GATEWAY_URL", gateway, schemes=("ws", "wss"))
                if gateway
                else None
            ),
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
            discord_api_base=_raw_url(env, "DISCORD_API_BASE"),
            discord_gateway_url=_raw_url(env, "DISCORD_GATEWAY_URL"),
            source_urls={k: _raw_url(env, k, v) or v for k, v in SOURCE_URLS.items()},
            extra=dict(env),
        )
