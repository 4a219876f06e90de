"""The store meets files that are not its own, busy writers and read-only places (issue 7)."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.support.unprivileged import as_nobody
from tests.test_cli import TRENDBOT
from trendbot.commands import Context, run
from trendbot.storage import Store, StoreError, open_store
from trendbot.storage import connection as store_module
from trendbot.storage.connection import connect as _connect
from trendbot.storage.opening import migrate
from trendbot.storage.schema import MIGRATION_NAMES
from trendbot.storage.version import APPLICATION_ID, SCHEMA_VERSION


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def foreign(path: Path, kind: str) -> None:
    conn = sqlite3.connect(path)
    if kind == "notes":
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('mine')")
    elif kind == "venues":  # a table trendbot also has
        conn.execute("CREATE TABLE venues (id TEXT, city TEXT)")
        conn.execute("INSERT INTO venues VALUES ('x', 'Paris')")
    elif kind == "user_version":  # no tables at all, but a version of its own
        conn.execute("PRAGMA user_version = 3")
    elif kind == "application_id":
        conn.execute("PRAGMA application_id = 1234")
        conn.execute("CREATE TABLE t (x)")
    elif kind == "wal":
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('data_version', '7')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("kind", ["notes", "venues", "user_version", "application_id", "wal"])
def test_another_applications_sqlite_file_is_refused_byte_for_byte_untouched(tmp_path, kind):
    folder = tmp_path / "app"
    folder.mkdir()
    path = folder / "app.db"
    foreign(path, kind)
    before = snapshot(folder)
    with pytest.raises(StoreError, match="another application") as err:
        open_store(path)
    assert "left it untouched" in str(err.value) and "\n" not in str(err.value)
    assert snapshot(folder) == before  # no byte changed, no -wal/-shm/-journal left beside it


def test_the_cli_refuses_a_foreign_file_in_one_sentence(cli_env, tmp_path):
    path = tmp_path / "other.db"
    foreign(path, "venues")
    before = path.read_bytes()
    proc = subprocess.run(
        [TRENDBOT, "ask", "!ratio NeurIPS 2019"],
        env={**cli_env, "TRENDBOT_DB": str(path)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "another application" in proc.stderr
    assert path.read_bytes() == before


def test_new_and_empty_files_become_stores_stamped_as_trendbots(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    for path in (empty, tmp_path / "new.db"):
        with open_store(path) as store:
            assert store.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
            assert store.venue_year("neurips", 2019, "he2019-final").pytorch == 182


def test_a_store_from_before_the_stamp_is_still_recognised_and_stamped(tmp_path):
    path = tmp_path / "v3.db"
    db = Database(_connect(path))
    migrate(db, stop_before="0004_application_id")
    assert db.conn.execute("PRAGMA application_id").fetchone()[0] == 0
    db.conn.close()
    with open_store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION == len(MIGRATION_NAMES)
        assert store.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


# -- busy ----------------------------------------------------------------------------------------
@pytest.fixture
def short_busy_timeout(monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 200)


def test_a_store_that_needs_migrating_while_another_writer_holds_it_is_busy(
    tmp_path, short_busy_timeout
):
    path = tmp_path / "old.db"
    db = Database(_connect(path))
    migrate(db, stop_before=MIGRATION_NAMES[1])
    db.conn.close()
    writer = sqlite3.connect(path)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="is busy: another trendbot process") as err:
            open_store(path)
        assert "writable" not in str(err.value)
    finally:
        writer.rollback()
        writer.close()
    with open_store(path) as store:  # and once the writer is done, it opens
        assert store.schema_version() == SCHEMA_VERSION


def test_a_locked_rollback_journal_store_is_busy_not_unwritable(tmp_path, short_busy_timeout):
    path = tmp_path / "journal.db"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    writer = sqlite3.connect(path)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="is busy") as err:
            open_store(path)
        assert "writable" not in str(err.value)
    finally:
        writer.rollback()
        writer.close()


def test_a_command_reading_while_a_writer_holds_the_lock_says_busy(tmp_path, short_busy_timeout):
    """On media where WAL is impossible, the store keeps a rollback journal, and there a
    writer's exclusive lock blocks readers too."""
    path = tmp_path / "journal.db"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    store = Store(_connect(path), path)
    writer = sqlite3.connect(path)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        reply = run(Context(store), "!ratio CVPR 2019")
    finally:
        writer.rollback()
        writer.close()
        store.close()
    assert reply.is_error and "is busy" in reply.text and "reference" not in reply.text


def test_the_cli_on_a_busy_store_is_one_sentence(cli_env, tmp_path):
    path = tmp_path / "busy.db"
    env = {**cli_env, "TRENDBOT_DB": str(path)}
    subprocess.run([TRENDBOT, "ask", "!venues"], env=env, check=True, capture_output=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("BEGIN EXCLUSIVE")
    try:
        proc = subprocess.run(
            [TRENDBOT, "ask", "!ratio NeurIPS 2019"], env=env, capture_output=True, text=True
        )
    finally:
        conn.rollback()
        conn.close()
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "is busy: another trendbot process" in proc.stderr


# -- read-only places ------------------------------------------------------------------------
def test_a_wal_store_in_a_read_only_folder_opens_read_only_and_says_so(cli_env, public_dir):
    folder = public_dir / "data"
    folder.mkdir()
    db = folder / "trendbot.db"
    env = {**cli_env, "TRENDBOT_DB": str(db), "TRENDBOT_OUT": str(public_dir / "out")}
    env.pop("TRENDBOT_ENV_FILE")
    made = subprocess.run([TRENDBOT, "ask", "!venues"], env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    for p in folder.iterdir():
        p.chmod(0o644)
    folder.chmod(0o555)
    (public_dir / "out").mkdir(mode=0o777)
    (public_dir / "out").chmod(0o777)
    before = snapshot(folder)
    ask = as_nobody([TRENDBOT, "ask", "!ratio NeurIPS 2019"], env, cwd=public_dir)
    assert ask.returncode == 0, ask.stderr
    assert "PyTorch 182" in ask.stdout
    info = as_nobody([TRENDBOT, "info"], env, cwd=public_dir)
    assert info.returncode == 0, info.stderr
    assert "mode: opened read-only" in info.stdout
    assert snapshot(folder) == before


def test_the_docker_image_writes_its_output_inside_its_writable_volume():
    dockerfile = (Path(__file__).parents[1] / "deploy" / "Dockerfile").read_text()
    assert "TRENDBOT_OUT=/data/out" in dockerfile
    assert 'VOLUME ["/data"]' in dockerfile and "chown trendbot:trendbot /data" in dockerfile
    assert "USER trendbot" in dockerfile
