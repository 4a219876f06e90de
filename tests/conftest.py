"""Shared fixtures: a fresh store per test (file-backed, seeded) and a command context."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trendbot.commands import Context
from trendbot.storage import Store, open_store

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "trendbot.db"


@pytest.fixture
def store(db_path: Path):
    s = open_store(db_path)
    yield s
    s.close()


@pytest.fixture
def ctx(store: Store) -> Context:
    return Context(store=store, prefix="!")


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running `trendbot` as a subprocess against a private store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TRENDBOT_"))}
    env.update(
        TRENDBOT_DB=str(tmp_path / "cli.db"),
        TRENDBOT_OUT=str(tmp_path / "out"),
        TRENDBOT_ENV_FILE=str(tmp_path / "no.env"),
    )
    return env
