"""Shared fixtures: a fresh store per test (file-backed, seeded) and a command context."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import tempfile
from pathlib import Path

import pytest

from trendbot.commands import Context
from trendbot.storage import Store, open_store

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

# No test talks to the internet: every peer is a server on 127.0.0.1. A collector left pointing at
# a real host (a generated paper that links github.com, with GITHUB_BASE_URL not set to a
# stand-in) fails to resolve it here instead of dialling out (tests/test_collect_code.py checks).
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", ""})
_getaddrinfo = socket.getaddrinfo


def _loopback_only(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else str(host or "")
    if name not in LOOPBACK_NAMES and not name.startswith("127."):
        raise socket.gaierror(socket.EAI_NONAME, f"tests resolve no internet name ({name})")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _loopback_only


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "trendbot.db"


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store opened once per session: migrated and holding the whole bundled seed.

    Loading the seed (paper counts and about 16,500 industry metric rows, through sqlite-utils)
    takes a few tenths of a second; copying a loaded store takes milliseconds. First opens
    themselves are tested in test_storage.py and test_industry_seed.py, on paths of their own.
    """
    path = tmp_path_factory.mktemp("template") / "seeded.db"
    open_store(path).close()
    return path


@pytest.fixture
def store(db_path: Path, seeded_template: Path):
    src, dst = sqlite3.connect(seeded_template), sqlite3.connect(db_path)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
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
        TRENDBOT_ENV_FILE=os.devnull,  # read no .env
    )
    return env


@pytest.fixture
def public_dir():
    """A folder other users can enter (pytest's own temp folders are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="trendbot-ro-"))
    path.chmod(0o755)
    yield path
    for p in [path, *path.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(path)
