"""Queries on the metrics table, on the seeded store plus rows a collector might add."""

from __future__ import annotations

import pytest

from trendbot.storage import metrics as m
from trendbot.storage.seed import METRIC_COLUMNS


@pytest.fixture
def collector(store):
    """A second source writing github-stars, as the GitHub collector will."""
    store.db.table("sources").insert({"id": "github-api", "name": "GitHub REST API"})

    def add(framework: str, date: str, value: float, metric: str = "github-stars") -> None:
        store.conn.execute(
            f"INSERT INTO metrics ({METRIC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ("github-api", metric, framework, date, value, "stars", "repos endpoint", date),
        )
        store.conn.commit()

    return add


def test_latest_value_per_framework_prefers_the_catalogue_order_on_a_tie(store):
    latest = {v.framework: v for v in m.latest_values(store, "github-stars")}
    assert set(latest) == {"pytorch", "tensorflow", "jax", "keras", "mxnet", "paddlepaddle"}
    # evanli and the star history both have 2026-08-22; the reported count wins
    assert (latest["pytorch"].date, latest["pytorch"].value) == ("2026-08-22", 102_529)
    assert latest["pytorch"].source_id == "evanli-github-ranking"
    assert latest["pytorch"].unit == "stars" and latest["pytorch"].collected_at == "2026-08-22"
    # jax dropped out of the ranking lists in 2024: its latest is best-of's last week
    assert (latest["jax"].date, latest["jax"].source_id) == ("2025-06-26", "best-of-ml-python")
    mine = m.latest_values(store, "github-stars", ["pytorch"], prefer=["repostory-star-history"])
    assert [(v.source_id, v.value) for v in mine] == [("repostory-star-history", 102_414)]


def test_a_newer_collected_value_becomes_the_latest(store, collector):
    collector("pytorch", "2026-11-25", 103_000)
    [v] = m.latest_values(store, "github-stars", ["pytorch"])
    assert (v.source_id, v.date, v.value) == ("github-api", "2026-11-25", 103_000)


def test_change_over_a_year_compares_one_source_with_itself(store):
    changes = {c.latest.framework: c for c in m.year_changes(store, "hn-hiring")}
    py = changes["pytorch"]
    assert (py.latest.date, py.latest.value) == ("2024-05-01", 4)
    assert (py.before.date, py.before.value, py.before.source_id) == (
        "2023-05-01",
        1,
        "hiringtrends",
    )
    assert py.change == 3 and py.ratio == 4.0 and py.days == 366
    assert changes["keras"].ratio == 0.0 and changes["_all"].latest.value == 409
    stars = {c.latest.framework: c for c in m.year_changes(store, "github-stars")}
    assert stars["pytorch"].before.source_id == "evanli-github-ranking"
    # the ranking has no 2025-08-19 .. 2025-09-05: the nearest day to 2025-08-22 is the 18th
    assert stars["pytorch"].before.date == "2025-08-18" and stars["pytorch"].days == 369
    assert 0 < stars["pytorch"].change < 20_000


def test_no_year_before_means_no_change(store, collector):
    # ClickHouse monthly figures start in June 2025: March 2026 has no March 2025 to compare
    [py] = m.year_changes(store, "pypi-downloads-month", ["pytorch"])
    assert py.latest.date == "2026-03-01" and py.before is None
    assert py.change is None and py.ratio is None and py.days is None
    collector("tensorflow", "2026-11-25", 5.0)
    changes = {c.latest.framework: c for c in m.year_changes(store, "github-stars")}
    assert changes["tensorflow"].latest.source_id == "github-api"
    assert changes["tensorflow"].before is None  # the collector has no history of its own


def test_value_near_takes_the_closest_date_within_the_tolerance(store):
    src = "best-of-ml-python"
    exact = m.value_near(store, "github-stars", "pytorch", src, "2025-06-26")
    assert exact.date == "2025-06-26" and exact.value == 91_042
    near = m.value_near(store, "github-stars", "pytorch", src, "2025-06-24")
    assert near.date == "2025-06-26"
    # 2024-07-20 lies in best-of's summer 2024 gap (2024-06-06 .. 2024-09-05)
    assert (
        m.value_near(store, "github-stars", "pytorch", src, "2024-07-20", tolerance_days=30) is None
    )
    assert m.value_near(store, "github-stars", "pytorch", src, "2024-07-20").date == "2024-06-06"


def test_value_near_prefers_the_earlier_day_on_a_tie(store, collector):
    collector("jax", "2030-01-01", 1.0)
    collector("jax", "2030-01-03", 3.0)
    assert m.value_near(store, "github-stars", "jax", "github-api", "2030-01-02").value == 1.0


def test_year_before_handles_29_february():
    assert m.year_before("2024-02-29") == "2023-02-28"
    assert m.year_before("2026-03-01") == "2025-03-01"


def test_series_filters_and_orders(store):
    rows = m.series(store, "pypi-downloads", ["pytorch", "jax"], since="2025-06-01")
    assert {r.framework for r in rows} == {"jax", "pytorch"}
    assert all(r.date >= "2025-06-01" for r in rows)
    assert rows == sorted(rows, key=lambda r: (r.framework, r.date, r.source_id))
    assert {r.source_id for r in rows} == {"best-of-ml-python"}
    bounded = m.series(store, "github-stars", ["keras"], since="2016-01-01", until="2016-01-31",
                       sources=["repostory-star-history"])  # fmt: skip
    assert bounded[0].date >= "2016-01-01" and bounded[-1].date <= "2016-01-31"
    # 2016 is in the thinned part of the history: one point per week, on its last day
    assert [r.date for r in bounded] == [
        "2016-01-03", "2016-01-10", "2016-01-17", "2016-01-24", "2016-01-31"
    ]  # fmt: skip
    assert bounded[-1].value > bounded[0].value
    everything = m.series(store, "hn-hiring")
    assert len(everything) == 785 and everything[0].framework == "_all"


def test_series_refuses_a_bad_date_in_one_sentence(store):
    with pytest.raises(ValueError, match="since must be a date like 2024-05-01"):
        m.series(store, "github-stars", since="last year")
    assert m.series(store, "no-such-metric") == []


def test_coverage_lists_range_sources_and_last_collection(store, collector):
    collector("pytorch", "2026-11-25", 103_000)
    cov = {c.metric: c for c in m.coverage(store)}
    stars = cov["github-stars"]
    assert (stars.first_date, stars.last_date) == ("2015-03-28", "2026-11-25")
    assert [s.source_id for s in stars.sources] == [
        "best-of-ml-python", "evanli-github-ranking", "github-api", "repostory-star-history"
    ]  # fmt: skip
    assert stars.last_collected_at == "2026-11-25"
    assert m.source_ids(store) == [
        "best-of-ml-python", "evanli-github-ranking", "github-api", "hiringtrends",
        "hugovk-top-pypi-packages", "repostory-star-history",
    ]  # fmt: skip
    assert stars.rows == sum(s.rows for s in stars.sources)
    history = next(s for s in stars.sources if s.source_id == "repostory-star-history")
    assert history.frameworks == ("keras", "pytorch", "tensorflow") and history.rows == 2_670
    [hn] = m.coverage(store, "hn-hiring")
    assert (hn.first_date, hn.last_date, hn.rows) == ("2011-04-01", "2024-05-01", 785)
    assert hn.frameworks == ("_all", "_ml", "keras", "pytorch", "tensorflow")
    assert m.coverage(store, "no-such-metric") == []


def test_one_statement_answers_as_one_query_per_series_does(store, collector):
    """newest_per_series and values_near (one statement each, what !industry runs) against the
    per-series queries they replace, on the seed plus collected rows: every series, several
    cut-off dates, and dates with ties, gaps and nothing within the tolerance."""
    for day, value in (("2026-11-22", 102_900), ("2026-11-24", 103_000), ("2026-11-25", 103_050)):
        collector("pytorch", day, value)
    collector("jax", "2026-11-25", 33_000)
    collector("zz-newframework", "2026-01-01", 5, metric="a-new-metric")
    triples = store.conn.execute(
        "SELECT DISTINCT source_id, metric, framework FROM metrics ORDER BY 1, 2, 3"
    ).fetchall()
    assert len(triples) > 50

    def newest_of(source: str, metric: str, fw: str, until: str | None) -> m.MetricValue | None:
        rows = store.conn.execute(
            f"SELECT {m._COLS} FROM metrics WHERE source_id = ? AND metric = ?"
            " AND framework = ? AND date <= ? ORDER BY date DESC LIMIT 1",
            (source, metric, fw, until or "9999-12-31"),
        ).fetchall()
        return m._value(rows[0]) if rows else None

    for until in (None, "2026-11-24", "2024-06-30", "2019-01-01", "1990-01-01"):
        got = m.newest_per_series(store, until)
        want = [v for t in triples if (v := newest_of(*t, until)) is not None]
        assert got == want, until
    layout = m.layout_of(m.newest_per_series(store))
    assert layout["a-new-metric"] == {"github-api": ("zz-newframework",)}
    assert sum(len(fws) for by_src in layout.values() for fws in by_src.values()) == len(triples)
    wanted = [
        (s, metric, fw, day)
        for s, metric, fw in triples
        for day in ("2025-08-22", "2024-02-29", "2026-11-23", "2026-11-26", "2000-01-01")
    ]
    for tolerance in (0, 3, 45):
        got = m.values_near(store, wanted, tolerance_days=tolerance)
        want = [
            m.value_near(store, mt, fw, s, d, tolerance_days=tolerance) for s, mt, fw, d in wanted
        ]
        assert got == want, tolerance
        assert sum(v is not None for v in got) > (10 if tolerance else 0)
    # 2026-11-23 lies between the 22nd and the 24th: the earlier wins, as value_near's does
    [tie] = m.values_near(store, [("github-api", "github-stars", "pytorch", "2026-11-23")])
    assert (tie.date, tie.value) == ("2026-11-22", 102_900)
    assert m.values_near(store, []) == []
