"""Settings: environment over .env, the token kept out of reprs, bad values as one sentence."""

from __future__ import annotations

import pytest

from trendbot.config import ConfigError, Settings, load_env


def test_environment_wins_over_env_file(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text('COMMAND_PREFIX="?"\nLOG_LEVEL=debug\nDISCORD_TOKEN=from-file\n')
    monkeypatch.setenv("LOG_LEVEL", "warning")
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("COMMAND_PREFIX", raising=False)
    s = Settings.from_env(load_env(env_file))
    assert (s.command_prefix, s.log_level, s.discord_token) == ("?", "WARNING", "from-file")


def test_token_never_in_repr():
    s = Settings.from_env({"DISCORD_TOKEN": "sekrit.token.value"})
    assert "sekrit" not in repr(s) and "sekrit" not in str(s)
    assert "***" in repr(s)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, (None, False, None)),
        ({"SHARD_COUNT": "4", "SHARD_IDS": "0, 1"}, (4, False, (0, 1))),
        ({"SHARD_COUNT": "auto"}, (None, True, None)),
        ({"SHARD_COUNT": " AUTO "}, (None, True, None)),
    ],
)
def test_sharding_settings(env, expected):
    s = Settings.from_env(env)
    assert (s.shard_count, s.auto_shard, s.shard_ids) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHARD_COUNT": "abc"}, "SHARD_COUNT must be a whole number of shards or auto"),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT must be"),
        ({"SHARD_IDS": "x,1"}, "SHARD_IDS must be whole numbers"),
        ({"OWNER_IDS": "me"}, "OWNER_IDS must be whole numbers"),
    ],
)
def test_bad_values_are_one_clear_sentence(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


BAD_URLS = [
    ("DISCORD_API_BASE", "not-a-url"),
    ("DISCORD_API_BASE", "127.0.0.1:8080/api/v10"),
    ("DISCORD_API_BASE", "ftp://example.com/api"),
    ("DISCORD_API_BASE", "http://:8080/api"),
    ("DISCORD_API_BASE", "http://127.0.0.1:99999/api"),
    ("DISCORD_GATEWAY_URL", "http://127.0.0.1:8080/gateway"),
    ("NEURIPS_BASE_URL", "papers.nips.cc"),
    ("NEURIPS_BASE_URL", "not a url"),
    ("NEURIPS_BASE_URL", "http://[::1"),
    ("NEURIPS_BASE_URL", "ftp://x"),
    ("NEURIPS_BASE_URL", "http://exa mple.org"),
    ("GITHUB_BASE_URL", "https://api.github.com/?x=1"),
]


@pytest.mark.parametrize(("name", "raw"), BAD_URLS)
def test_url_settings_are_checked_where_used_not_when_loaded(name, raw):
    """A bad base URL must not stop what never uses it (`ask`, `info`): loading settings takes
    it as it is; the collector's HTTP client (``source_url``) or the bot
    (``with_discord_urls_checked``) says what is wrong, naming the setting."""
    settings = Settings.from_env({name: raw})
    with pytest.raises(ConfigError, match=name):
        if name.startswith("DISCORD_"):
            settings.with_discord_urls_checked()
        else:
            settings.source_url(name)


def test_a_password_in_a_bad_url_is_never_shown():
    settings = Settings.from_env({"GITHUB_BASE_URL": "http://me:sekrit@[::1/x"})
    with pytest.raises(ConfigError) as caught:
        settings.source_url("GITHUB_BASE_URL")
    assert "sekrit" not in str(caught.value) and "me:***@" in str(caught.value)


def test_url_settings_have_real_defaults_and_accept_overrides():
    s = Settings.from_env({"NEURIPS_BASE_URL": "http://127.0.0.1:9999/"})
    assert s.source_url("NEURIPS_BASE_URL") == "http://127.0.0.1:9999"
    assert s.source_url("PMLR_BASE_URL") == "https://proceedings.mlr.press"
    ok = Settings.from_env({"DISCORD_GATEWAY_URL": "wss://gw.example/"})
    assert ok.with_discord_urls_checked().discord_gateway_url == "wss://gw.example"


def test_tilde_in_path_settings_is_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    s = Settings.from_env({"TRENDBOT_DB": "~/data/t.db", "TRENDBOT_OUT": "~/out"})
    assert s.db_path == str(tmp_path / "data" / "t.db")
    assert s.output_dir == str(tmp_path / "out")


def test_env_example_lists_every_variable_trendbot_reads():
    """Operators configure from .env.example: every variable read anywhere in the package (an
    ``env.get("X")``/``environ.get("X")``, a helper called with "X", or a source URL) is there."""
    import re
    from pathlib import Path

    from trendbot.config import SOURCE_URLS

    root = Path(__file__).resolve().parents[1]
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (root / ".env.example").read_text(), re.M))
    read: set[str] = set(SOURCE_URLS)
    pattern = re.compile(
        r"""(?:get|getenv|_flag|_rate|_int|url_setting)\((?:env, )?["']([A-Z][A-Z0-9_]{2,})["']"""
    )
    for path in (root / "trendbot").rglob("*.py"):
        read |= set(pattern.findall(path.read_text()))
    assert "TRENDBOT_DB" in read and "COMMAND_COOLDOWN" in read  # the scan itself works
    assert read - listed == set()


def test_the_manual_names_every_variable_of_env_example():
    """The README or the manual (docs/*.md) says what each setting does: every variable
    .env.example lists is named there (in the configuration tables, or beside its collector)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (root / ".env.example").read_text(), re.M))
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    manual = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    assert len(listed) > 30 and len(pages) > 1
    assert {v for v in listed if f"`{v}`" not in manual} == set()
