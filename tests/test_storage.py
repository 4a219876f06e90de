"""The store: schema, migrations from older files, the seed loaded once, and the data version."""

from __future__ import annotations

import csv
import multiprocessing
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.conftest import SHARED
from trendbot.storage import StoreError, open_store
from trendbot.storage.connection import connect as _connect
from trendbot.storage.opening import migrate
from trendbot.storage.schema import MIGRATION_NAMES, PAPER_COUNTS_PK, SCHEMA_VERSION
from trendbot.storage.seed import apply_seed, load_bundle


def test_fresh_store_is_migrated_with_wal_fk_and_busy_timeout(store, db_path):
    assert store.schema_version() == SCHEMA_VERSION == len(MIGRATION_NAMES)
    conn = store.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    tables = set(store.db.table_names())
    assert {"venues", "venue_aliases", "methods", "sources", "paper_counts"} <= tables
    assert {"papers", "paper_mentions", "metrics", "collection_runs", "meta"} <= tables


def test_acceptance_figures_are_in_the_seed(store):
    neurips = store.venue_year("neurips", 2019, "he2019-final")
    assert (neurips.pytorch, neurips.tensorflow, neurips.total_papers) == (182, 104, 1427)
    cvpr = store.venue_year("cvpr", 2019, "he2019-final")
    assert (cvpr.pytorch, cvpr.tensorflow, cvpr.total_papers) == (294, 148, 1294)
    article = store.venue_year("cvpr", 2019, "he2019-article")
    assert (article.pytorch, article.tensorflow) == (280, 125)
    assert store.default_method().id == "he2019-final"
    assert neurips.source_id == "horace-he-2021-10-22" and neurips.collected_at == "2021-10-22"


def test_every_row_has_provenance(store):
    rows = store.db.conn.execute(
        "SELECT count(*) FROM paper_counts WHERE source_id = '' OR collected_at = ''"
        " OR method_id NOT IN (SELECT id FROM methods)"
    ).fetchone()[0]
    assert rows == 0
    assert all(s.url and s.citation for s in store.sources().values())


def test_seed_is_loaded_exactly_once(db_path):
    first = open_store(db_path)
    version = first.data_version()
    assert first.seed_runs() == 1
    first.close()
    for _ in range(3):
        again = open_store(db_path)
        assert again.seed_runs() == 1
        assert again.data_version() == version
        assert again.db.conn.execute("SELECT count(*) FROM paper_counts").fetchone()[0] == 120
        again.close()


def test_changed_seed_is_reapplied_without_duplicates_or_spurious_version_bump(store):
    bundle = load_bundle()
    before = store.data_version()
    # Same numbers under a new digest (a newer trendbot shipping the same figures): applied once
    # more, but no number changed, so the data version must not move.
    assert apply_seed(store.db, replace(bundle, digest="0" * 16)) is True
    assert store.data_version() == before
    assert store.db.conn.execute("SELECT count(*) FROM paper_counts").fetchone()[0] == 120
    # A corrected figure does move it.
    fixed = [dict(r) for r in bundle.paper_counts]
    fixed[0]["papers"] += 1
    assert apply_seed(store.db, replace(bundle, paper_counts=fixed, digest="1" * 16)) is True
    assert store.data_version() == before + 1


def test_data_version_tracks_real_changes_only(store):
    table = store.db.table("paper_counts")
    row = dict(next(iter(table.rows_where("venue_id = 'icml' AND year = 2019"))))
    v0 = store.data_version()
    table.upsert(row, pk=PAPER_COUNTS_PK)
    assert store.data_version() == v0
    table.upsert({**row, "papers": row["papers"] + 5}, pk=PAPER_COUNTS_PK)
    assert store.data_version() == v0 + 1
    store.db.table("metrics").insert(
        {
            "source_id": "horace-he-2021-10-22",
            "metric": "stars",
            "framework": "pytorch",
            "date": "2024-01-01",
            "value": 1.0,
            "collected_at": "2024-01-02",
        }
    )
    assert store.data_version() == v0 + 2


def test_failed_seed_leaves_store_untouched(db_path):
    open_store(db_path, seed=False).close()
    db = Database(_connect(db_path))
    bundle = load_bundle()
    bad = [dict(r) for r in bundle.paper_counts]
    bad[-1]["papers"] = -1  # violates CHECK (papers >= 0) after many good rows went in
    with pytest.raises(sqlite3.IntegrityError):
        apply_seed(db, replace(bundle, paper_counts=bad))
    assert db.conn.execute("SELECT count(*) FROM paper_counts").fetchone()[0] == 0
    assert db.conn.execute("SELECT count(*) FROM venues").fetchone()[0] == 0
    assert db.conn.execute("SELECT value FROM meta WHERE key='data_version'").fetchone()[0] == "0"
    db.conn.close()
    # and the next open loads it properly
    with open_store(db_path) as s:
        assert s.venue_year("neurips", 2019, "he2019-final").pytorch == 182


def test_old_version_file_is_migrated_and_keeps_its_data(tmp_path: Path):
    path = tmp_path / "old.db"
    db = Database(_connect(path))
    migrate(db, stop_before=MIGRATION_NAMES[1])  # a file written by the first release
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == 1
    db.table("venues").insert({"id": "neurips", "name": "NeurIPS", "full_name": "x", "field": "ml"})
    db.table("sources").insert({"id": "mine", "name": "hand count"})
    db.table("methods").insert(
        {
            "id": "he2019-final",
            "name": "final",
            "version": "0",
            "title": "t",
            "description": "d",
            "pytorch_terms": "[]",
            "tensorflow_terms": "[]",
        }
    )
    db.table("paper_counts").insert(
        {
            "venue_id": "neurips",
            "year": 2030,
            "method_id": "he2019-final",
            "framework": "jax",
            "papers": 7,
            "total_papers": 100,
            "source_id": "mine",
            "collected_at": "2030-12-01",
        }
    )
    assert "metrics" not in db.table_names()
    db.conn.close()

    with open_store(path) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert {"metrics", "papers", "collection_runs"} <= set(store.db.table_names())
        mine = store.venue_year("neurips", 2030, "he2019-final")
        assert mine.counts == {"jax": 7} and mine.source_id == "mine"
        assert store.venue_year("neurips", 2019, "he2019-final").pytorch == 182
        # triggers from the later migration are live on the upgraded file
        v = store.data_version()
        store.db.execute("UPDATE paper_counts SET papers = 8 WHERE year = 2030")
        assert store.data_version() == v + 1


def test_file_from_a_newer_trendbot_is_refused(db_path):
    open_store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="newer trendbot"):
        open_store(db_path)


def test_non_sqlite_file_is_refused_and_left_alone(tmp_path: Path):
    path = tmp_path / "notes.db"
    payload = b"these are my notes, not a database\n" * 100
    path.write_bytes(payload)
    with pytest.raises(StoreError, match="not a trendbot database"):
        open_store(path)
    assert path.read_bytes() == payload


def _open_in_child(args: tuple[str, float]) -> int:
    path, start_at = args
    while time.time() < start_at:  # line the processes up so their opens really collide
        pass
    with open_store(path) as s:
        return s.seed_runs()


def test_concurrent_first_opens_migrate_and_seed_once(tmp_path: Path):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        pool.map(_open_in_child, [(str(tmp_path / "warm.db"), 0.0)] * 4)  # workers up
        for round_ in range(5):
            path = str(tmp_path / f"race{round_}.db")
            start_at = time.time() + 0.2
            pool.map(_open_in_child, [(path, start_at)] * 4, chunksize=1)
            with open_store(path) as s:
                assert s.seed_runs() == 1
                assert s.conn.execute("SELECT count(*) FROM paper_counts").fetchone()[0] == 120
                assert s.schema_version() == SCHEMA_VERSION


@pytest.mark.skipif(not (SHARED / "data" / "horace_he").is_dir(), reason="../shared not present")
def test_seed_matches_the_published_study_files(store):
    """Every transcribed figure equals the study's own files (final and article-era)."""
    names = {"nips": "neurips"}
    files = {
        "he2019-final": SHARED / "data/horace_he/data.csv",
        "he2019-article": SHARED
        / "data/horace_he/history/2019-10-10_037347d_data_analysis_data.csv",
    }
    for method, path in files.items():
        rows = [r for r in csv.reader(path.open(newline="")) if r]
        for conf, mmyy, pt, tf, total in rows:
            venue = names.get(conf.lower(), conf.lower())
            got = store.venue_year(venue, 2000 + int(mmyy[-2:]), method)
            assert got is not None, (method, conf, mmyy)
            assert (got.pytorch, got.tensorflow, got.total_papers) == (int(pt), int(tf), int(total))
        n = store.db.conn.execute(
            "SELECT count(*) FROM paper_counts WHERE method_id = ?", (method,)
        ).fetchone()[0]
        assert n == 2 * len(rows)


def test_meta_settings_round_trip_without_touching_data_version(store):
    v = store.data_version()
    assert store.get_meta("discord_tree_hash:1:global") is None
    store.set_meta("discord_tree_hash:1:global", "abc")
    store.set_meta("discord_tree_hash:1:global", "def")
    assert store.get_meta("discord_tree_hash:1:global") == "def"
    assert store.data_version() == v


def test_unopenable_paths_are_one_clear_error(tmp_path: Path):
    with pytest.raises(StoreError, match="cannot open the database"):
        open_store(tmp_path)  # a directory, not a file
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder"):
        open_store(blocker / "sub" / "trendbot.db")


def test_a_new_store_starts_at_data_version_one(store):
    """Loading the seed (tens of thousands of rows) is one change for every cache keyed on it."""
    assert store.data_version() == 1
