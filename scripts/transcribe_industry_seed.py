#!/usr/bin/env python3
"""Transcribe the industry reference data in ``../shared/data/industry`` into trendbot's seed.

Re-runnable and deterministic: the same input files always give byte-identical output, so a
reviewer can regenerate the seed and ``git diff`` it, and ``--check`` tells whether the packaged
seed still matches its origin. The project's own layout (not a copy of the origin files):

- ``trendbot/storage/seed/industry/<origin>.csv``: one row per (source, metric, date), one column
  per framework (ids from ``frameworks.json``; ``_all``/``_ml`` are a metric's pseudo-series).
  Each row names its source, its method and when the origin collected it.
- ``trendbot/storage/seed/industry/sources.json``: one entry per origin with repository, commit,
  path, licence, date of extraction and what the series is.

What is dropped, and why (nothing a user would see): derived columns (per-day new stars, which
are differences of the running total; HN percentages, which are count / comments; best-of's
``monthly_downloads``, a sum of a 30-day PyPI figure and a lifetime-average conda figure; the
ranking list names), the rows of huggingface/transformers (a library, not a framework in the
table), and four repeated 2018-02-25 PyPI dumps identical to a fifth. Conventions that turn
origin fields into dates are spelled out next to each reader below.

Thinned: the two daily GitHub series (stars and forks from the ranking, the star history) keep
every day of their last 400 days, the first day of each series, and before that one day per ISO
week (the last one the origin has). Charts average years of history into at most 240 points, a
latest value and the value a year earlier fall in the daily part, and the running totals move
smoothly, so a weekly point loses nothing a reply shows; it cuts the seed from 42,276 to 16,475
rows, and inserting rows is what a new store's first open spends most of its seed time on.

Usage: python scripts/transcribe_industry_seed.py [--shared DIR] [--out DIR] [--check]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trendbot.storage.files import replace_file  # noqa: E402
from trendbot.storage.frameworks import FrameworkTable, load_frameworks  # noqa: E402

DEFAULT_SHARED = ROOT.parent / "shared"
DEFAULT_OUT = ROOT / "trendbot" / "storage" / "seed" / "industry"
EXTRACTED = "2026-11-26"  # when ../shared/data/industry was extracted from the origins
HEADER = ("source", "metric", "date", "method", "collected_at")


@dataclass(frozen=True)
class Row:
    source: str
    metric: str
    date: str
    method: str
    collected_at: str
    values: tuple[tuple[str, int], ...]  # (framework, value), only the frameworks with a value


class TranscriptionError(Exception):
    pass


def _int(text: str) -> int | None:
    """'150975.0' → 150975; '' → None. Refuses fractions: every origin figure is a count."""
    if text.strip() == "":
        return None
    value = float(text)
    if value != int(value):
        raise TranscriptionError(f"not a whole number: {text!r}")
    return int(value)


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# -- hugovk/top-pypi-packages ---------------------------------------------------------------
PYPI_SOURCE = "hugovk-top-pypi-packages"
# How each dump was made, from the history of generate.sh / clickhouse.py in the origin
# repository (commit, date): the dump's ``last_update`` (UTC) decides its era. pypinfo's default
# window is ``timestamp BETWEEN now-(days+1) AND now-1 day``, so a dump made at T covers the
# ``days`` days ending at T - 1 day; that end day is the row's date.
PYPI_ERAS = (
    # (first last_update of the era, origin, installers, days or None for a calendar month)
    ("2018-01-01", "BigQuery via pypinfo", "pip only", 30),  # 34e563f, 2018-02-07
    ("2024-11-10", "BigQuery via pypinfo", "all installers", 30),  # 6bac6cd, 2024-11-10
    ("2024-12-01", "BigQuery via pypinfo", "all installers", 29),  # df77635, 2024-12-01
    ("2025-03-01", "BigQuery via pypinfo", "all installers", 28),  # 2b23a40, 2025-03-01
    ("2025-04-01", "BigQuery via pypinfo", "all installers", 27),  # 11c4291, 2025-04-01
    ("2025-04-29", "BigQuery via pypinfo", "all installers", 24),  # 4dcb0fe, 2025-04-29
    ("2025-05-31", "BigQuery via pypinfo", "all installers", 22),  # bfe5731, 2025-05-31
    ("2025-06-29", "ClickHouse pypi_downloads_per_month", "all installers", None),  # 14dc8ec
)
PYPI_PACKAGES = ("torch", "tensorflow", "jax", "keras", "mxnet", "paddlepaddle")


def _pypi_era(last_update: str) -> tuple[str, str, int | None]:
    era = PYPI_ERAS[0]
    for candidate in PYPI_ERAS:
        if last_update >= candidate[0]:
            era = candidate
    return era[1], era[2], era[3]


def transcribe_pypi(path: Path, table: FrameworkTable) -> list[Row]:
    by_key: dict[tuple[str, str], tuple[str, Row]] = {}
    for rec in _read(path):
        # One dump (2018-02-07) has no last_update: pypinfo then did not write it, and the
        # commit time stands in for the run time.
        stamp = rec["last_update"] or rec["commit_date"]
        when = dt.datetime.fromisoformat(stamp if " " in stamp else f"{stamp} 00:00:00")
        origin, installers, days = _pypi_era(stamp)
        listed = f"{int(rec['n_rows']):,}"
        if days is None:
            # clickhouse.py sums pypi_downloads_per_month for the month before the run.
            first_of_month = when.date().replace(day=1)
            date = (first_of_month - dt.timedelta(days=1)).replace(day=1).isoformat()
            suffix, method = "-month", f"{origin}, calendar month; top {listed} list"
        else:
            date = (when - dt.timedelta(days=1)).date().isoformat()
            suffix = "" if days == 30 else "-window"
            method = f"{origin}, {installers}, {days} days; top {listed} list"
        for kind in ("downloads", "rank"):
            values = []
            for pkg in PYPI_PACKAGES:
                v = _int(rec[f"{pkg}_{kind}"])
                if v is not None:
                    fw = table.by_package(pkg)
                    if fw is None:
                        raise TranscriptionError(f"package {pkg} is not in frameworks.json")
                    values.append((fw.id, v))
            collected = f"{when:%Y-%m-%dT%H:%M:%SZ}" if rec["last_update"] else stamp
            row = Row(PYPI_SOURCE, f"pypi-{kind}{suffix}", date, method, collected, tuple(values))
            key = (row.metric, row.date)
            if key in by_key:
                # Repeated runs on one day (2018-02-25: five dumps) must agree; keep the last.
                if by_key[key][1].values != row.values:
                    raise TranscriptionError(f"two different PyPI dumps for {key}")
                if by_key[key][0] > stamp:
                    continue
            by_key[key] = (stamp, row)
    return [r for _, r in by_key.values()]


# -- EvanLi/Github-Ranking ----------------------------------------------------------------------
RANKING_SOURCE = "evanli-github-ranking"


def transcribe_ranking(path: Path, table: FrameworkTable) -> tuple[list[Row], set[str]]:
    per_date: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    skipped: set[str] = set()
    for rec in _read(path):
        fw = table.by_repo(rec["repo"])
        if fw is None:
            skipped.add(rec["repo"])
            continue
        cells = per_date[rec["date"]]
        for metric, col in (("github-stars", "stars"), ("github-forks", "forks")):
            if fw.id in cells[metric]:
                raise TranscriptionError(f"{rec['date']}: two repositories for {fw.id}")
            cells[metric][fw.id] = int(rec[col])
    rows = [
        Row(RANKING_SOURCE, metric, date, "daily snapshot", date,
            tuple(values.items()))
        for date, metrics in per_date.items()
        for metric, values in metrics.items()
    ]  # fmt: skip
    return rows, skipped


# -- 0x0w1/repostory ------------------------------------------------------------------------------
HISTORY_SOURCE = "repostory-star-history"
# The origin built each repository's history from stargazer dates once (2025-08-06/07, commits
# daff5c1 and 2d0ddbb) and from then on adds the daily change of GitHub's reported count
# (fetcher.py, ~01:40 UTC). Rows up to the first differently-made day are the former.
HISTORY_FETCHER_FROM = "2025-08-09"
HISTORY_INIT_COLLECTED = "2025-08-09"


def transcribe_history(path: Path, table: FrameworkTable) -> list[Row]:
    per_date: dict[str, dict[str, int]] = defaultdict(dict)
    for rec in _read(path):
        fw = table.by_repo(rec["repo"])
        if fw is None:
            raise TranscriptionError(f"unknown repository {rec['repo']}")
        per_date[rec["date"]][fw.id] = int(rec["cumulative_stars"])
    rows = []
    for date, values in per_date.items():
        if date < HISTORY_FETCHER_FROM:
            method, collected = "stargazer dates", HISTORY_INIT_COLLECTED
        else:
            method, collected = "reported count, daily", date
        rows.append(Row(HISTORY_SOURCE, "github-stars", date, method, collected,
                        tuple(values.items())))  # fmt: skip
    return rows


# -- ml-tooling/best-of-ml-python ------------------------------------------------------------------
BEST_OF_SOURCE = "best-of-ml-python"
BEST_OF_COLUMNS = (
    # (origin column, metric, method, days between the snapshot and the row's date)
    ("star_count", "github-stars", "GitHub API via best-of-generator", 0),
    # pypistats.org's "last_month" is the 30 days ending on its latest complete day, the day
    # before best-of-generator ran.
    ("pypi_monthly_downloads", "pypi-downloads", "pypistats.org recent, without mirrors", 1),
    ("conda_total_downloads", "conda-downloads-total", "api.anaconda.org file totals", 0),
    ("dependent_project_count", "dependents", "best-of-generator dependent projects", 0),
)


def transcribe_best_of(path: Path, table: FrameworkTable) -> list[Row]:
    cells: dict[tuple[str, str, str, int, str], dict[str, int]] = defaultdict(dict)
    for rec in _read(path):
        fw = table.by_repo(rec["github_id"])
        if fw is None:
            raise TranscriptionError(f"unknown repository {rec['github_id']}")
        snapshot = rec["snapshot"]
        for column, metric, method, lag in BEST_OF_COLUMNS:
            v = _int(rec[column])
            if v is not None:
                cells[(metric, snapshot, method, lag, snapshot)][fw.id] = v
    rows = []
    for (metric, snapshot, method, lag, collected), values in cells.items():
        date = (_day(snapshot) - dt.timedelta(days=lag)).isoformat()
        rows.append(Row(BEST_OF_SOURCE, metric, date, method, collected, tuple(values.items())))
    return rows


# -- ryanwi/hiringtrends ---------------------------------------------------------------------------
HN_SOURCE = "hiringtrends"
HN_COLLECTED = "2024-05-01"  # web/data/data-20240501.js
HN_COLUMNS = (
    ("pytorch_count", "pytorch"),
    ("tensorflow_count", "tensorflow"),
    ("keras_count", "keras"),
    ("num_comments", "_all"),
    ("ml_count", "_ml"),
)


def transcribe_hn(path: Path, table: FrameworkTable) -> list[Row]:
    rows = []
    for rec in _read(path):
        # 'May24' = the thread "Ask HN: Who is hiring? (May 2024)"; a calendar month is dated by
        # its first day.
        date = dt.datetime.strptime(rec["month"], "%b%y").date().isoformat()
        values = []
        for column, fw in HN_COLUMNS:
            if not fw.startswith("_") and table.get(fw) is None:
                raise TranscriptionError(f"{fw} is not in frameworks.json")
            values.append((fw, int(rec[column])))
        rows.append(Row(HN_SOURCE, "hn-hiring", date, "whole-word match, top-level comments",
                        HN_COLLECTED, tuple(values)))  # fmt: skip
    return rows


# -- thinning -------------------------------------------------------------------------------------
KEEP_DAILY_DAYS = 400


def thin_to_weeks(rows: list[Row], keep_daily_days: int = KEEP_DAILY_DAYS) -> list[Row]:
    """Keep, per (metric, framework) series: its first day, every day of the last
    ``keep_daily_days`` before the source's last date, and before that the last day the origin
    has in each ISO week."""
    last = max(r.date for r in rows)
    cutoff = (_day(last) - dt.timedelta(days=keep_daily_days)).isoformat()
    first: dict[tuple[str, str], str] = {}
    week_last: dict[tuple[str, str, int, int], str] = {}
    for r in rows:
        iso = _day(r.date).isocalendar()
        for fw, _ in r.values:
            key = (r.metric, fw)
            first[key] = min(first.get(key, r.date), r.date)
            wk = (r.metric, fw, iso.year, iso.week)
            week_last[wk] = max(week_last.get(wk, r.date), r.date)
    out = []
    for r in rows:
        iso = _day(r.date).isocalendar()
        kept = tuple(
            (fw, v)
            for fw, v in r.values
            if r.date >= cutoff
            or r.date == first[(r.metric, fw)]
            or r.date == week_last[(r.metric, fw, iso.year, iso.week)]
        )
        if kept:
            out.append(Row(r.source, r.metric, r.date, r.method, r.collected_at, kept))
    return out


# -- provenance -----------------------------------------------------------------------------------
SOURCES = [
    {
        "id": PYPI_SOURCE,
        "name": "Top PyPI Packages (hugovk/top-pypi-packages), download dumps 2018-2026",
        "repository": "https://github.com/hugovk/top-pypi-packages",
        "commit": "5501c5c934df26d6f01fb1ca810845db02111c7d",
        "path": "top-pypi-packages-30-days.json, at each commit that changed it",
        "licence": "no licence file (the README cites a Zenodo DOI); figures quoted as facts",
        "series": (
            "Downloads of torch, tensorflow, jax, keras, mxnet and paddlepaddle, and their rank "
            "among all PyPI projects, in roughly monthly dumps of the most-downloaded projects. "
            "Until 2024-11-01 a 30-day window of pip downloads (BigQuery, pypinfo's default); "
            "2024-11-26 all installers; 2024-12 to 2025-06 shorter windows (29 to 22 days, to "
            "stay within the BigQuery quota); from 2025-07 the previous calendar month from "
            "ClickHouse (ClickPy)."
        ),
        "kind": "industry-dataset",
    },
    {
        "id": RANKING_SOURCE,
        "name": "GitHub Ranking (EvanLi/Github-Ranking), daily top-100 lists",
        "repository": "https://github.com/EvanLi/Github-Ranking",
        "commit": "1f3e1701525143b5ac563105153e380610d1ad53",
        "path": "Data/github-ranking-YYYY-MM-DD.csv",
        "licence": "MIT",
        "series": (
            "Stars and forks of each framework's repository, as the GitHub search API reported "
            "them in that day's run, on the days it appeared in one of the top-100 lists "
            "(by stars, by forks, or per language)."
        ),
        "kind": "industry-dataset",
    },
    {
        "id": HISTORY_SOURCE,
        "name": "repostory (0x0w1/repostory), star history of pytorch, tensorflow, keras",
        "repository": "https://github.com/0x0w1/repostory",
        "commit": "66e97a67d283cbb44b0ea2b1feb334242c17eac0",
        "path": (
            "repo_data/pytorch_pytorch.json, repo_data/tensorflow_tensorflow.json, "
            "repo_data/keras-team_keras.json (stars_by_date)"
        ),
        "licence": "no licence file; figures quoted as facts",
        "series": (
            "Running total of stars by day since each repository's first star. Up to "
            "2025-08-07 it counts the stars still present in August 2025 by the day they were "
            "given (stargazer dates); from 2025-08-09 it moves by the daily change of GitHub's "
            "reported count (fetched about 01:40 UTC)."
        ),
        "kind": "industry-dataset",
    },
    {
        "id": BEST_OF_SOURCE,
        "name": "best-of-ml-python (ml-tooling/best-of-ml-python), weekly project metrics",
        "repository": "https://github.com/ml-tooling/best-of-ml-python",
        "commit": "edd2a131e1dad5bdfc0b05081fe3d366a6967db4",
        "path": "history/YYYY-MM-DD_projects.csv",
        "licence": "CC BY-SA 4.0",
        "series": (
            "Weekly metrics that best-of-generator collected for the six frameworks: GitHub "
            "stars, PyPI downloads over 30 days (pypistats.org, without mirrors), total conda "
            "downloads on anaconda.org (conda-forge/tensorflow, pytorch/pytorch, "
            "conda-forge/keras, anaconda/mxnet, conda-forge/jaxlib; none for paddlepaddle) and "
            "dependent projects."
        ),
        "kind": "industry-dataset",
    },
    {
        "id": HN_SOURCE,
        "name": "Hiring Trends (ryanwi/hiringtrends), HN 'Who is hiring?' term counts",
        "repository": "https://github.com/ryanwi/hiringtrends",
        "commit": "b300bbc31637e7037e953148b56eff021808aaaf",
        "path": "web/data/data-20240501.js",
        "licence": "MIT",
        "series": (
            "Per monthly 'Ask HN: Who is hiring?' thread: the number of top-level comments, and "
            "how many of them name PyTorch, TensorFlow, Keras or 'machine learning' (lower-cased "
            "text split into words; a phrase is matched as a substring)."
        ),
        "kind": "industry-dataset",
    },
]


def sources_json(rows: Iterable[Row]) -> str:
    last: dict[str, str] = {}
    for r in rows:
        last[r.source] = max(last.get(r.source, ""), r.collected_at[:10])
    out = []
    for s in SOURCES:
        short = s["commit"][:7]
        out.append(
            {
                **s,
                "url": f"{s['repository']}/tree/{s['commit']}",
                "extracted": EXTRACTED,
                "collected_at": last[s["id"]],
                "citation": (
                    f"{s['series']} Transcribed from {s['repository']} at commit {short}, "
                    f"{s['path']}; licence: {s['licence']}; extracted {EXTRACTED}."
                ),
            }
        )
    return json.dumps({"sources": out}, indent=2, ensure_ascii=False) + "\n"


# -- writing --------------------------------------------------------------------------------------
FILES = {
    PYPI_SOURCE: "pypi_hugovk.csv",
    RANKING_SOURCE: "github_evanli.csv",
    HISTORY_SOURCE: "github_repostory.csv",
    BEST_OF_SOURCE: "best_of_ml_python.csv",
    HN_SOURCE: "hn_hiringtrends.csv",
}


def to_csv(rows: list[Row], framework_order: tuple[str, ...]) -> str:
    present = {fw for r in rows for fw, _ in r.values}
    columns = [f for f in framework_order if f in present]
    columns += sorted(present - set(columns))  # pseudo-series (_all, _ml) last
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*HEADER, *columns])
    for r in sorted(rows, key=lambda r: (r.metric, r.date)):
        values = dict(r.values)
        cells = [str(values[c]) if c in values else "" for c in columns]
        w.writerow([r.source, r.metric, r.date, r.method, r.collected_at, *cells])
    return buf.getvalue()


def build(shared: Path) -> tuple[dict[str, str], list[str]]:
    """All output files as {name: text}, plus notes about what was left out."""
    table = load_frameworks()
    folder = shared / "data" / "industry"
    if not folder.is_dir():
        raise TranscriptionError(f"{folder} not found; pass --shared DIR")
    ranking, skipped = transcribe_ranking(folder / "github_ranking_daily_stars.csv", table)
    by_source = {
        PYPI_SOURCE: transcribe_pypi(folder / "pypi_top_packages_30d.csv", table),
        RANKING_SOURCE: thin_to_weeks(ranking),
        HISTORY_SOURCE: thin_to_weeks(
            transcribe_history(folder / "github_star_history_daily.csv", table)
        ),
        BEST_OF_SOURCE: transcribe_best_of(folder / "best_of_ml_python_weekly.csv", table),
        HN_SOURCE: transcribe_hn(folder / "hn_hiring_monthly.csv", table),
    }
    files = {FILES[s]: to_csv(rows, table.ids()) for s, rows in by_source.items()}
    files["sources.json"] = sources_json(r for rows in by_source.values() for r in rows)
    notes = [f"left out {repo} (not a framework in frameworks.json)" for repo in sorted(skipped)]
    return files, notes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared/ folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the seed files go")
    ap.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    args = ap.parse_args(argv)
    try:
        files, notes = build(args.shared)
    except (OSError, KeyError, ValueError, TranscriptionError) as exc:
        print(f"transcription failed: {exc}", file=sys.stderr)
        return 2
    for note in notes:
        print(note)
    if args.check:
        stale = [n for n, text in files.items() if not (args.out / n).is_file()
                 or (args.out / n).read_text("utf-8") != text]  # fmt: skip
        for name in stale:
            print(f"differs: {args.out / name}")
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(files.items()):
        # A new file renamed into place: never half-written, never written through a link.
        replace_file(args.out, name, text.encode("utf-8"))
        print(f"wrote {args.out / name} ({len(text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
