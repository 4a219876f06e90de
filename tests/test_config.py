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
