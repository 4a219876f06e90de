"""Every industry collector end to end against fake sources on 127.0.0.1 that answer in the real
formats: the first run stores what each source holds (checked against a world built from
labels, not against the collectors' own matching), later runs are incremental (GitHub 304s cost
no quota, stored months are not asked for again), re-collecting a day does not move
``data_version``, and a collector that fails leaves the store byte for byte as it was."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from tests.support.industry_fakes import FIXTURES
from tests.support.industry_support import HAVE_CHDB, dump, last_run, run, series, value
from tests.support.industry_world import FRAMEWORKS, IDS, World, months
from tests.support.loopback import Loopback, Reply
from trendbot.collectors.industry.base import last_complete_month

SINCE = "2026-06"
PSEUDO = {"hn-hiring": ("_all", "_ml"), "stackoverflow-questions": ("_all",),
          "arxiv-mentions": ("_all",)}  # fmt: skip


@pytest.fixture(scope="module")
def world() -> World:
    return World()


async def first_run(store, world, srv, **kw):
    fake = world.fake(clickhouse=HAVE_CHDB, **kw)
    fake.attach(srv)
    results, reports = await run(store, srv, world.today, since=SINCE)
    return fake, results, reports


async def test_a_first_run_stores_what_every_source_holds(store, world):
    version = store.data_version()
    async with Loopback() as srv:
        fake, results, reports = await first_run(store, world, srv)
    pypi = "clickhouse" if HAVE_CHDB else "pypistats"
    for name in ("github", pypi, "hn", "stackexchange", "hf", "arxiv"):
        assert reports[name].status == "ok", (name, reports[name].error)
    # one transaction per collector that wrote: the version moves once for each
    assert store.data_version() == version + 6
    today = world.today.isoformat()

    for fw in FRAMEWORKS:
        repo = world.repos[fw.id]
        assert value(store, "trendbot-github", "github-stars", fw.id, today) == repo.stars
        assert value(store, "trendbot-github", "github-forks", fw.id, today) == repo.forks
        assert value(store, "trendbot-github", "github-open-issues", fw.id, today) == repo.issues
        assert value(store, "trendbot-github", "github-contributors", fw.id, today) == (
            repo.contributors
        )
        history = series(store, "trendbot-github-star-history", "github-stars", fw.id)
        assert history == world.week_totals(fw.id)

    if HAVE_CHDB:
        for fw in FRAMEWORKS:
            days = world.downloads[fw.pypi_main]
            daily = series(store, "trendbot-clickpy", "pypi-downloads-day", fw.id)
            first = min(d for d in days if d >= dt.date(2026, 6, 1))
            assert min(daily) == first.isoformat() and max(daily) == world.data_end.isoformat()
            for day, n in daily.items():  # a day without a row had no downloads
                assert n == days.get(dt.date.fromisoformat(day), 0)
            windows = series(store, "trendbot-clickpy", "pypi-downloads", fw.id)
            assert min(windows) == (first + dt.timedelta(days=29)).isoformat()
            for day, n in windows.items():
                assert n == world.window(fw.pypi_main, dt.date.fromisoformat(day)), day
            monthly = series(store, "trendbot-clickpy", "pypi-downloads-month", fw.id)
            assert sorted(monthly) == ["2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01"]
            for month, n in monthly.items():
                assert n == world.month_total(fw.pypi_main, dt.date.fromisoformat(month))
        # the real engine ran the collector's SQL: every day was summed over unmerged parts
        assert any("sum(count)" in q for q in fake.clickhouse.queries)

    for thread, counts in world.threads:
        for fw, n in counts.items():
            assert value(store, "trendbot-hn", "hn-hiring", fw, thread.month.isoformat()) == n

    for (fw, month), n in world.so.items():
        got = value(store, "trendbot-stackexchange", "stackoverflow-questions", fw,
                    month.isoformat())  # fmt: skip
        assert got == n, (fw, month)

    for fw in FRAMEWORKS:
        expected = world.hub_expected(fw.id)
        assert value(store, "trendbot-hf", "hf-models", fw.id, today) == expected

    for (fw, month), n in world.arxiv.items():
        assert value(store, "trendbot-arxiv", "arxiv-mentions", fw, month.isoformat()) == n

    kinds = dict(store.conn.execute("SELECT id, kind FROM sources WHERE id LIKE 'trendbot-%'"))
    assert {kinds[s] for s in kinds if s != "trendbot-github-star-history"} == {
        "industry-collection"
    }
    assert store.sources()["trendbot-hn"].url.startswith("http://127.0.0.1")

    # one result per (metric, framework), with the latest stored date and value
    seen = {(r.metric, r.framework) for r in results}
    assert len(seen) == len(results)
    stars = next(r for r in results if (r.metric, r.framework) == ("github-stars", "pytorch"))
    assert (stars.date, stars.value, stars.source_id) == (
        today, world.repos["pytorch"].stars, "trendbot-github")  # fmt: skip
    hiring = next(r for r in results if (r.metric, r.framework) == ("hn-hiring", "_ml"))
    assert hiring.date == last_complete_month(world.today).isoformat()
    mx = next(r for r in results if (r.metric, r.framework) == ("hf-models", "mxnet"))
    assert mx.status == "skipped" and "no Hub tag" in mx.error
    line = json.loads(json.dumps(stars.as_json()))
    assert line["value"] == world.repos["pytorch"].stars and line["status"] == "ok"


async def test_later_runs_are_incremental_and_unchanged_repositories_cost_no_quota(store, world):
    async with Loopback() as srv:
        fake, _, _ = await first_run(store, world, srv)
        used = fake.github.quota_used
        version = store.data_version()
        # the same day again: nothing changed, so nothing is written
        _, again = await run(store, srv, world.today, since=SINCE)
        assert store.data_version() == version
        assert again["github"].not_modified == again["github"].requests
        assert again["hn"].requests == again["stackexchange"].requests == 0
        assert again["arxiv"].requests == 0
        # the next day: 304s carry GitHub's values to the new day at no quota
        tomorrow = world.today + dt.timedelta(days=1)
        results, later = await run(store, srv, tomorrow, since=SINCE)
    assert fake.github.quota_used == used
    gh = later["github"]
    assert gh.requests == gh.not_modified == 3 * len(FRAMEWORKS)
    assert value(store, "trendbot-github", "github-stars", "jax", tomorrow.isoformat()) == (
        world.repos["jax"].stars
    )
    series_count = sum(len(FRAMEWORKS) + len(PSEUDO.get(m, ())) for m in (
        "github-stars", "github-forks", "github-open-issues", "github-contributors",
        "pypi-downloads-day", "pypi-downloads", "pypi-downloads-month", "hn-hiring",
        "stackoverflow-questions", "hf-models", "arxiv-mentions"))  # fmt: skip
    assert sum(r.requests for r in later.values()) <= series_count
    for name in ("hn", "stackexchange", "arxiv"):
        assert later[name].requests == 0, name  # no new month yet
    # new rows for the new day (GitHub, the Hub), nothing else changed
    assert store.data_version() == version + 2
    assert all(r.status in ("ok", "skipped") for r in results)


async def test_a_new_month_costs_one_request_per_series(store, world):
    async with Loopback() as srv:
        await first_run(store, world, srv)
        later_day = world.today + dt.timedelta(days=14)  # 2026-12-04: November is complete
        _, reports = await run(store, srv, later_day, since=SINCE)
    assert reports["stackexchange"].requests == len(FRAMEWORKS) + 1
    assert reports["arxiv"].requests == 2
    # no thread for November in this world: one request finds that out, and says so
    assert reports["hn"].requests == 1
    assert any("no 'Who is hiring?' thread" in n for n in reports["hn"].notes)
    november = "2026-11-01"
    assert value(store, "trendbot-arxiv", "arxiv-mentions", "_all", november) == 0
    assert value(store, "trendbot-stackexchange", "stackoverflow-questions", "_all",
                 november) == 0  # fmt: skip


PERSISTENT = {
    "github": ("/repos/", Reply.error(502, "Bad Gateway")),
    "clickhouse": ("/", Reply.error(500, "Code: 241. DB::Exception: Memory limit exceeded")),
    "hn": ("/api/v1/search_by_date", Reply.malformed_json()),
    "stackexchange": ("/2.3/", Reply.error(503, "Service Unavailable")),
    "hf": ("/api/models", Reply.error(503)),
    "arxiv": ("/api/query", Reply.truncated(b"<?xml version='1.0'?><feed>" + b"x" * 500)),
}  # real faults; a source that keeps refusing for its rate is a spent quota (test_quota.py)


@pytest.mark.parametrize("collector", sorted(PERSISTENT))
async def test_a_failed_collector_leaves_the_store_as_it_was(store, world, collector):
    if collector == "clickhouse" and not HAVE_CHDB:
        pytest.skip("chdb is not installed")
    async with Loopback() as srv:
        fake = world.fake(clickhouse=HAVE_CHDB, models_json=False)
        fake.attach(srv)
        prefix, reply = PERSISTENT[collector]
        fake.fault(prefix, *[reply] * 3)
        if collector == "clickhouse":
            fake.pypistats.daily.clear()  # the fallback finds nothing either
        metric = {"github": "github-stars", "clickhouse": "pypi-downloads",
                  "hn": "hn-hiring", "stackexchange": "stackoverflow-questions",
                  "hf": "hf-models", "arxiv": "arxiv-mentions"}[collector]  # fmt: skip
        before, version = dump(store.conn), store.data_version()
        results, reports = await run(store, srv, world.today, since=SINCE, metrics=[metric],
                                     policy={"max_wait": 4, "attempts": 2})  # fmt: skip
    report = reports[collector]
    assert report.status == "failed" and report.error
    assert dump(store.conn) == before
    assert store.data_version() == version
    status, detail = last_run(store, collector)
    assert status == "failed" and json.loads(detail)["error"] == report.error
    assert all(r.status == "failed" or r.collector != collector for r in results)
    assert "Traceback" not in report.error


async def test_transient_faults_are_retried_and_the_run_succeeds(store, world):
    async with Loopback() as srv:
        fake = world.fake(clickhouse=HAVE_CHDB)
        fake.attach(srv)
        secondary = json.loads((FIXTURES / "github_secondary_403.json").read_text())
        headers = tuple((k, "0" if k == "retry-after" else v) for k, v in secondary["headers"])
        fake.fault(
            "/repos/pytorch/pytorch",
            Reply(403, json.dumps(secondary["body"]).encode(), headers, "application/json"),
        )
        fake.fault("/api/v1/search", Reply.error(502))
        fake.fault("/2.3/questions", Reply.malformed_json())
        fake.fault("/models-json", Reply.rate_limited(retry_after=0))
        fake.fault("/api/query", Reply.rate_exceeded_200())
        fake.fault("/api/packages/", Reply.html('<a href="/api/#etiquette">429 RATE LIMIT '
                                                'EXCEEDED</a>', status=429))  # fmt: skip
        _, reports = await run(store, srv, world.today, since=SINCE)
    for name in ("github", "hn", "stackexchange", "hf", "arxiv"):
        assert reports[name].status == "ok", (name, reports[name].error)
        assert reports[name].requests > 0
    assert value(store, "trendbot-github", "github-stars", "pytorch", world.today.isoformat()) == (
        world.repos["pytorch"].stars
    )


async def test_missing_tokens_cost_one_log_line_each_and_tokens_are_never_logged(
    store, world, caplog
):
    secret = "ghp_0123456789abcdefSECRET"
    with caplog.at_level(logging.DEBUG):
        async with Loopback() as srv:
            fake = world.fake(clickhouse=False)
            fake.attach(srv)
            await run(store, srv, world.today, since=SINCE, env={"GITHUB_TOKEN": secret})
            await run(store, srv, world.today, since=SINCE, env={"GITHUB_TOKEN": secret})
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    # one line per run that needs the source; the second run asks Stack Exchange nothing
    assert sum("HF_TOKEN is not set" in w for w in warnings) == 2
    assert sum("STACKEXCHANGE_KEY is not set" in w for w in warnings) == 1
    assert not any("GITHUB_TOKEN" in w for w in warnings)
    assert set(fake.github.auth_seen) == {f"Bearer {secret}"}
    assert secret not in caplog.text
    runs = store.conn.execute("SELECT detail FROM collection_runs").fetchall()
    assert not any(secret in d for (d,) in runs)


def test_the_world_is_what_the_tests_think():
    """The expectations above are only as good as the world: check it is not degenerate."""
    w = World()
    assert any(counts["jax"] for _, counts in w.threads)
    assert all(counts["_all"] > counts["pytorch"] for _, counts in w.threads)
    assert len(months(w.hn_first, w.last_month)) == len(w.threads) == 5
    assert all(w.so[(fw, m)] >= 0 for fw in IDS for m in months(w.so_first, w.last_month))
