"""The industry seed: every transcribed figure against its origin, spot checks that need no
origin files, the transcription script, and loading (once, atomically, without spurious
data-version bumps)."""

from __future__ import annotations

import csv
import datetime as dt
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.conftest import SHARED
from trendbot.storage import open_store
from trendbot.storage import seed as seed_module
from trendbot.storage.connection import connect as _connect
from trendbot.storage.seed import SeedError, apply_seed, load_bundle

ROOT = Path(__file__).resolve().parents[1]
INDUSTRY = SHARED / "data" / "industry"
needs_shared = pytest.mark.skipif(not INDUSTRY.is_dir(), reason="../shared not present")
SEED_DIR = ROOT / "trendbot" / "storage" / "seed"

# Spelled out here rather than taken from frameworks.json, so a wrong rename in the table
# cannot make the check agree with itself.
REPO_TO_FRAMEWORK = {
    "pytorch/pytorch": "pytorch",
    "tensorflow/tensorflow": "tensorflow",
    "keras-team/keras": "keras",
    "google/jax": "jax",
    "apache/incubator-mxnet": "mxnet",
    "apache/mxnet": "mxnet",
    "paddlepaddle/paddle": "paddlepaddle",
}
PACKAGE_TO_FRAMEWORK = {
    "torch": "pytorch",
    "tensorflow": "tensorflow",
    "jax": "jax",
    "keras": "keras",
    "mxnet": "mxnet",
    "paddlepaddle": "paddlepaddle",
}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _stored(store, source: str) -> dict[tuple[str, str, str], float]:
    rows = store.conn.execute(
        "SELECT metric, framework, date, value FROM metrics WHERE source_id = ?", (source,)
    ).fetchall()
    return {(m, f, d): v for m, f, d, v in rows}


def _minus_days(iso: str, days: int) -> str:
    return (dt.date.fromisoformat(iso[:10]) - dt.timedelta(days=days)).isoformat()


def _thinned(figures: dict[tuple[str, str, str], float]) -> dict[tuple[str, str, str], float]:
    """The documented thinning of a daily series: per (metric, framework) its first day, every
    day of the last 400 days, and before that the last day of each ISO week."""
    cutoff = _minus_days(max(d for _, _, d in figures), 400)
    series: dict[tuple[str, str], list[str]] = {}
    for metric, fw, date in figures:
        series.setdefault((metric, fw), []).append(date)
    keep = set()
    for (metric, fw), dates in series.items():
        weeks: dict[tuple[int, int], str] = {}
        for d in dates:
            week = tuple(dt.date.fromisoformat(d).isocalendar())[:2]
            weeks[week] = max(weeks.get(week, d), d)
        chosen = {min(dates), *weeks.values(), *(d for d in dates if d >= cutoff)}
        keep |= {(metric, fw, d) for d in chosen}
    return {k: v for k, v in figures.items() if k in keep}


# -- every figure against ../shared -------------------------------------------------------------
@needs_shared
def test_pypi_figures_match_the_origin(store):
    stored = _stored(store, "hugovk-top-pypi-packages")
    expected: dict[tuple[str, str, str], float] = {}
    for rec in _rows(INDUSTRY / "pypi_top_packages_30d.csv"):
        stamp = rec["last_update"] or rec["commit_date"]
        if stamp >= "2025-06-29":  # ClickHouse: the calendar month before the run
            first = dt.date.fromisoformat(stamp[:10]).replace(day=1)
            date, suffix = (first - dt.timedelta(days=1)).replace(day=1).isoformat(), "-month"
        else:  # BigQuery: the window ends the day before the run
            date = _minus_days(stamp, 1)
            suffix = "-window" if stamp >= "2024-12-01" else ""
        for pkg, fw in PACKAGE_TO_FRAMEWORK.items():
            for kind in ("downloads", "rank"):
                if rec[f"{pkg}_{kind}"]:
                    expected[(f"pypi-{kind}{suffix}", fw, date)] = float(rec[f"{pkg}_{kind}"])
    assert stored == expected
    assert len(stored) == 1542


@needs_shared
def test_github_ranking_figures_match_the_origin(store):
    stored = _stored(store, "evanli-github-ranking")
    expected = {}
    for rec in _rows(INDUSTRY / "github_ranking_daily_stars.csv"):
        fw = REPO_TO_FRAMEWORK.get(rec["repo"].lower())
        if fw is None:
            assert rec["repo"] == "huggingface/transformers"  # the one repository left out
            continue
        expected[("github-stars", fw, rec["date"])] = float(rec["stars"])
        expected[("github-forks", fw, rec["date"])] = float(rec["forks"])
    assert stored == _thinned(expected)
    assert len(stored) == 7156 and len(expected) == 24032


@needs_shared
def test_star_history_figures_match_the_origin(store):
    stored = _stored(store, "repostory-star-history")
    expected, running = {}, {}
    for rec in _rows(INDUSTRY / "github_star_history_daily.csv"):
        fw = REPO_TO_FRAMEWORK[rec["repo"].lower()]
        expected[("github-stars", fw, rec["date"])] = float(rec["cumulative_stars"])
        # new_stars is not stored because it is the running total's daily difference:
        running[fw] = running.get(fw, 0) + int(rec["new_stars"])
        assert running[fw] == int(rec["cumulative_stars"])
    assert stored == _thinned(expected)
    assert len(stored) == 2670 and len(expected) == 11595


@needs_shared
def test_best_of_figures_match_the_origin(store):
    stored = _stored(store, "best-of-ml-python")
    expected = {}
    for rec in _rows(INDUSTRY / "best_of_ml_python_weekly.csv"):
        fw = REPO_TO_FRAMEWORK[rec["github_id"].lower()]
        snap = rec["snapshot"]
        for column, metric, date in (
            ("star_count", "github-stars", snap),
            ("pypi_monthly_downloads", "pypi-downloads", _minus_days(snap, 1)),
            ("conda_total_downloads", "conda-downloads-total", snap),
            ("dependent_project_count", "dependents", snap),
        ):
            if rec[column]:
                expected[(metric, fw, date)] = float(rec[column])
    assert stored == expected


@needs_shared
def test_hn_hiring_figures_match_the_origin(store):
    stored = _stored(store, "hiringtrends")
    expected = {}
    for rec in _rows(INDUSTRY / "hn_hiring_monthly.csv"):
        date = dt.datetime.strptime(rec["month"], "%b%y").date().isoformat()
        total = int(rec["num_comments"])
        expected[("hn-hiring", "_all", date)] = total
        expected[("hn-hiring", "_ml", date)] = int(rec["ml_count"])
        for fw in ("pytorch", "tensorflow", "keras"):
            expected[("hn-hiring", fw, date)] = int(rec[f"{fw}_count"])
            # the percentages are not stored because they are count / comments:
            assert float(rec[f"{fw}_pct"]) == pytest.approx(
                round(100 * int(rec[f"{fw}_count"]) / total, 2), abs=0.006
            )
    assert stored == expected


@needs_shared
def test_transcription_is_deterministic_and_matches_the_packaged_seed(tmp_path: Path):
    script = [sys.executable, str(ROOT / "scripts" / "transcribe_industry_seed.py")]
    check = subprocess.run(
        [*script, "--shared", str(SHARED), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    for out in (tmp_path / "a", tmp_path / "b"):
        run = subprocess.run([*script, "--shared", str(SHARED), "--out", str(out)], check=True)
        assert run.returncode == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (SEED_DIR / "industry").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_transcription_without_the_origin_files_is_one_clear_sentence(tmp_path: Path):
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "transcribe_industry_seed.py"),
         "--shared", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "pass --shared DIR" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "out").exists()


# -- spot checks that need no origin files ---------------------------------------------------------
def _value(store, source, metric, framework, date):
    row = store.conn.execute(
        "SELECT value FROM metrics WHERE source_id = ? AND metric = ? AND framework = ?"
        " AND date = ?",
        (source, metric, framework, date),
    ).fetchone()
    return row[0] if row else None


def test_torch_first_passed_tensorflow_in_the_2024_04_pypi_snapshot(store):
    rows = store.conn.execute(
        "SELECT date, framework, value FROM metrics WHERE source_id = 'hugovk-top-pypi-packages'"
        " AND metric = 'pypi-downloads' AND framework IN ('pytorch', 'tensorflow') ORDER BY date"
    ).fetchall()
    by_date: dict[str, dict[str, float]] = {}
    for date, fw, value in rows:
        by_date.setdefault(date, {})[fw] = value
    ahead = [d for d, v in sorted(by_date.items()) if v["pytorch"] > v["tensorflow"]]
    # The snapshot of 2024-04-01 covers the 30 days to 2024-03-31.
    assert ahead[0] == "2024-03-31"
    assert by_date["2024-03-31"] == {"pytorch": 23_190_107, "tensorflow": 22_594_480}
    assert by_date["2024-02-29"]["pytorch"] < by_date["2024-02-29"]["tensorflow"]


def test_known_figures_are_in_the_seed(store):
    ranking, history = "evanli-github-ranking", "repostory-star-history"
    assert _value(store, ranking, "github-stars", "pytorch", "2018-12-18") == 22_867  # first day
    assert _value(store, ranking, "github-stars", "pytorch", "2018-12-23") == 23_019
    assert _value(store, history, "github-stars", "pytorch", "2018-12-23") == 20_986
    assert _value(store, history, "github-stars", "pytorch", "2016-08-15") == 2  # first star
    # MXNet's repository was renamed between these two Sundays; both land on one series.
    assert _value(store, ranking, "github-stars", "mxnet", "2022-10-30") == 20_131
    assert _value(store, ranking, "github-stars", "mxnet", "2022-11-06") == 20_138
    assert _value(store, "hiringtrends", "hn-hiring", "pytorch", "2024-05-01") == 4
    assert _value(store, "hiringtrends", "hn-hiring", "_all", "2024-05-01") == 409
    # The ClickHouse era is a calendar month: the 2026-04-01 dump is March 2026.
    month = _value(
        store, "hugovk-top-pypi-packages", "pypi-downloads-month", "pytorch", "2026-03-01"
    )
    assert month == 87_347_847
    assert _value(store, "best-of-ml-python", "dependents", "pytorch", "2025-06-26") == 839_406


def test_daily_series_keep_their_last_400_days_and_a_point_every_week(store):
    rows = store.conn.execute(
        "SELECT source_id, metric, framework, date FROM metrics"
        " WHERE source_id IN ('evanli-github-ranking', 'repostory-star-history')"
        " AND framework = 'pytorch' ORDER BY source_id, metric, date"
    ).fetchall()
    series: dict[tuple[str, str], list[dt.date]] = {}
    for source, metric, _, date in rows:
        series.setdefault((source, metric), []).append(dt.date.fromisoformat(date))
    assert len(series) == 3
    for dates in series.values():
        recent = [d for d in dates if d >= dates[-1] - dt.timedelta(days=400)]
        assert len(recent) > 330  # every day the origin has (it has a few gaps)
        old = [d for d in dates if d < dates[-1] - dt.timedelta(days=400)]
        weeks = [tuple(d.isocalendar())[:2] for d in old]
        assert len(weeks) - len(set(weeks)) <= 1  # one per week (plus the series' first day)


def test_every_metric_row_has_provenance(store):
    bad = store.conn.execute(
        "SELECT count(*) FROM metrics WHERE source_id NOT IN (SELECT id FROM sources)"
        " OR collected_at = '' OR method = '' OR unit = ''"
    ).fetchone()[0]
    assert bad == 0
    sources = store.sources()
    for sid in ("hugovk-top-pypi-packages", "evanli-github-ranking", "repostory-star-history",
                "best-of-ml-python", "hiringtrends"):  # fmt: skip
        s = sources[sid]
        assert s.kind == "industry-dataset"  # so paper-only replies can leave them out
        assert s.url.startswith("https://github.com/") and "/tree/" in s.url
        assert "commit" in s.citation and "licence" in s.citation and "extracted" in s.citation


def test_packaged_seed_files_stay_modest():
    files = [p for p in SEED_DIR.rglob("*") if p.is_file()]
    assert files and all(p.stat().st_size < 1_500_000 for p in files)


# -- loading -------------------------------------------------------------------------------------
def _count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_industry_seed_loads_once_with_the_paper_seed(db_path):
    bundle = load_bundle()
    assert len(bundle.metrics) == 16_475
    with open_store(db_path) as first:
        assert first.seed_runs() == 1
        assert _count(first.conn, "metrics") == len(bundle.metrics)
        version = first.data_version()
    for _ in range(2):
        with open_store(db_path) as again:
            assert again.seed_runs() == 1
            assert _count(again.conn, "metrics") == len(bundle.metrics)
            assert again.data_version() == version


def test_reloading_the_same_figures_does_not_move_the_data_version(store):
    bundle = load_bundle()
    before = store.data_version()
    assert apply_seed(store.db, replace(bundle, digest="0" * 16)) is True
    assert store.data_version() == before
    assert _count(store.conn, "metrics") == len(bundle.metrics)


def test_a_corrected_figure_and_a_withdrawn_row_move_the_data_version(store):
    bundle = load_bundle()
    store.db.table("sources").insert({"id": "github-api", "name": "a collector"})
    collector_row = ("github-api", "github-stars", "pytorch", "2030-01-01", 1.0, "stars", "x", "y")
    store.conn.execute(f"INSERT INTO metrics ({seed_module.METRIC_COLUMNS}) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?, ?)", collector_row)  # fmt: skip
    store.conn.commit()
    before = store.data_version()
    rows = list(bundle.metrics)
    fixed = list(rows[0])
    fixed[4] += 1
    withdrawn = rows[-1]
    changed = [tuple(fixed), *rows[1:-1]]
    assert apply_seed(store.db, replace(bundle, metrics=changed, digest="1" * 16)) is True
    assert store.data_version() == before + 1  # one update and one delete: one new seed, one step
    key = rows[0][:4]
    assert _value(store, *key) == fixed[4]
    assert _value(store, *withdrawn[:4]) is None
    # rows of sources the seed does not own are left alone
    assert _value(store, *collector_row[:4]) == 1.0


def test_a_failed_load_leaves_the_store_untouched(db_path):
    open_store(db_path, seed=False).close()
    db = Database(_connect(db_path))
    bundle = load_bundle()
    bad = list(bundle.metrics)
    bad[-1] = (*bad[-1][:4], None, *bad[-1][5:])  # NOT NULL value, after 16,000 good rows
    with pytest.raises(sqlite3.IntegrityError):
        apply_seed(db, replace(bundle, metrics=bad))
    for table in ("metrics", "paper_counts", "sources", "collection_runs"):
        assert _count(db.conn, table) == 0
    assert db.conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0] == "0"
    db.conn.close()
    with open_store(db_path) as s:
        assert _count(s.conn, "metrics") == len(bundle.metrics)


def _texts_with(name: str, text: str) -> dict[str, str]:
    texts = {n: seed_module._read(n) for n in seed_module._seed_names()}
    texts[name] = text
    return texts


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("hiringtrends,hn-hires,2030-01-01,m,c,1,2,3,4,5", "not in the catalogue"),
        ("nobody,hn-hiring,2030-01-01,m,c,1,2,3,4,5", "no provenance entry"),
        ("hiringtrends,hn-hiring,2030-01-01,m,c,1,2,3", "cells, header has"),
        ("hiringtrends,hn-hiring,2030-01-01,m,c,1,2,3,4,five", "'five' is not a number"),
    ],
)
def test_a_malformed_seed_file_is_refused_with_its_name(line, message):
    name = "industry/hn_hiringtrends.csv"
    text = seed_module._read(name) + line + "\n"
    sources = tuple(s["id"] for s in load_bundle().sources)
    with pytest.raises(SeedError, match=message) as err:
        seed_module._metric_rows(_texts_with(name, text), sources)
    assert name in str(err.value)


def test_a_column_that_is_neither_framework_nor_series_is_refused():
    name = "industry/hn_hiringtrends.csv"
    text = seed_module._read(name).replace(",_ml\n", ",_jobs\n", 1)
    sources = tuple(s["id"] for s in load_bundle().sources)
    with pytest.raises(SeedError, match="_jobs"):
        seed_module._metric_rows(_texts_with(name, text), sources)


def test_the_digest_covers_the_industry_files():
    texts = {n: seed_module._read(n) for n in seed_module._seed_names()}
    assert "industry/github_evanli.csv" in texts and "metrics.json" in texts
    base = seed_module._digest(texts)
    assert seed_module.seed_digest() == base
    changed = dict(texts)
    changed["industry/hn_hiringtrends.csv"] += "\n"
    assert seed_module._digest(changed) != base
    renamed = {("industry/x.csv" if k.endswith("hn_hiringtrends.csv") else k): v
               for k, v in texts.items()}  # fmt: skip
    assert seed_module._digest(renamed) != base
