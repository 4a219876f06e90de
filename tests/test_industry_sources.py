"""Each industry source's own behaviour against its fake on 127.0.0.1 (GitHub's quota, renames,
404s and star-history paging; Algolia's 1,000-hit limit; Stack Exchange's backoff, quota and
errors; the Hub without a count; arXiv's error feed; pypistats' plain-text 404), the pure parsers
on recorded answers, and ``trendbot collect industry`` as a process."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import os
import subprocess
import time
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.industry_fakes import FIXTURES, FakeAlgolia, FakeIndustry, Thread, week_start
from tests.support.industry_support import HAVE_CHDB, dump, last_run, run, series, value
from tests.support.industry_world import FRAMEWORKS, World
from tests.support.loopback import Loopback, Reply
from tests.test_cli import TRENDBOT
from trendbot.collectors.http import Fetched
from trendbot.collectors.industry import arxiv, github, hn, stackexchange
from trendbot.collectors.industry.base import (
    DownloadMethods,
    SourceFault,
    last_complete_month,
    page_of,
    parse_links,
    parse_since,
)
from trendbot.collectors.industry.base import download_rows as rows_of
from trendbot.config import SOURCE_URLS
from trendbot.storage.frameworks import load_frameworks

SINCE = "2026-06"
TABLE = load_frameworks()


# -- GitHub ----------------------------------------------------------------------------------------
async def test_github_without_a_token_leaves_what_does_not_fit_for_a_later_run(store):
    world = World()
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False, github_limit=22)
        fake.attach(srv)
        _, reports = await run(store, srv, world.today, metrics=["github-stars"])
        used = fake.github.quota_used
    gh = reports["github"]
    assert gh.status == "quota" and used <= 22  # never ran into the limit
    skipped = [n for n in gh.notes if "GITHUB_TOKEN" in n]
    assert skipped
    assert gh.left == [f"star history for {len(skipped)} repo{'s' if len(skipped) > 1 else ''}"]
    assert gh.resets_at == fake.github.reset  # x-ratelimit-reset
    stored = {fw.id for fw in FRAMEWORKS if series(store, "trendbot-github-star-history",
                                                   "github-stars", fw.id)}  # fmt: skip
    for fw in stored:
        assert series(store, "trendbot-github-star-history", "github-stars", fw) == (
            world.week_totals(fw)
        )
    assert len(stored) + len(skipped) == len(FRAMEWORKS)
    # the next run (a new hour, a full quota) collects what was left
    async with Loopback() as srv:
        world.fake(clickhouse=False).attach(srv)
        _, reports = await run(store, srv, world.today, metrics=["github-stars"])
    for fw in FRAMEWORKS:
        got = series(store, "trendbot-github-star-history", "github-stars", fw.id)
        assert got == world.week_totals(fw.id)


async def test_github_renamed_missing_and_too_large(store):
    world = World()
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False)
        fake.github.repos["jax-ml/jax"].full_name = "jax-ml/jax-next"
        del fake.github.repos["apache/mxnet"]
        fake.github.repos["paddlepaddle/paddle"].too_large = True
        fake.attach(srv)
        results, reports = await run(
            store, srv, world.today, metrics=["github-stars", "github-contributors"]
        )
    gh = reports["github"]
    assert gh.status == "ok"
    assert any("answers as jax-ml/jax-next" in n for n in gh.notes)
    status = {(r.metric, r.framework): r for r in results}
    assert status[("github-stars", "mxnet")].status == "skipped"
    assert "HTTP 404" in status[("github-stars", "mxnet")].error
    assert status[("github-contributors", "paddlepaddle")].status == "skipped"
    assert "too large" in status[("github-contributors", "paddlepaddle")].error
    today = world.today.isoformat()
    assert value(store, "trendbot-github", "github-stars", "paddlepaddle", today) == (
        world.repos["paddlepaddle"].stars
    )
    assert value(store, "trendbot-github", "github-stars", "mxnet", today) is None


async def test_github_star_history_a_week_later_reads_one_anchored_page(store):
    world = World()
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False)
        fake.attach(srv)
        await run(store, srv, world.today, metrics=["github-stars"])
        week = world.today + dt.timedelta(days=7)
        for repo in world.repos.values():
            repo.weekly.append(123)  # the new running week
        world.today = week
        before = len(srv.requests)
        _, reports = await run(store, srv, week, metrics=["github-stars"])
        history = [r for r in srv.requests[before:] if r.path.endswith("/history")]
    assert reports["github"].status == "ok"
    assert len(history) == len(FRAMEWORKS)  # one page each: the store anchors it
    for fw in FRAMEWORKS:
        assert series(store, "trendbot-github-star-history", "github-stars", fw.id) == (
            world.week_totals(fw.id)
        )


def test_github_link_headers_and_pages():
    header = ('<https://api.github.com/repositories/65600975/contributors?per_page=1&anon=1'
              '&page=2>; rel="next", <https://api.github.com/repositories/65600975/contributors'
              '?per_page=1&anon=1&page=4321>; rel="last"')  # fmt: skip
    links = parse_links(header)
    assert page_of(links["last"]) == 4321 and page_of(links["next"]) == 2
    recorded = json.loads((FIXTURES / "github_repo.json").read_text())
    assert parse_links(None) == {}
    one = Fetched("u", 200, {}, json.dumps([{"login": "a"}]).encode())
    assert github.contributors_count(one) == 1
    assert github.contributors_count(Fetched("u", 204, {}, b"")) == 0
    counts = github.parse_repo(recorded["body"], "octokit-fixture-org/hello-world")
    assert counts["github-stars"] == recorded["body"]["stargazers_count"]
    with pytest.raises(SourceFault):
        github.parse_repo({"stargazers_count": -1}, "x/y")


def test_star_history_sums_weeks_in_any_order_and_leaves_the_running_week_out():
    fw = TABLE.get("pytorch")
    today = dt.date(2026, 11, 20)  # a Friday
    first = week_start(dt.date(2026, 10, 1))
    weeks = [(int(dt.datetime(first.year, first.month, first.day, tzinfo=dt.UTC).timestamp())
              + 7 * 86400 * i, 10 + i) for i in range(8)]  # fmt: skip
    rows = github.transform_history(fw, list(reversed(weeks)) + weeks[:2], today)
    totals = [r.value for r in rows]
    assert totals == [sum(10 + j for j in range(i + 1)) for i in range(len(rows))]
    assert all(dt.date.fromisoformat(r.date) < today for r in rows)
    assert len(rows) == 7  # the eighth week is still running


# -- HN --------------------------------------------------------------------------------------------
async def test_hn_a_thread_beyond_algolias_1000_hits_is_read_whole(store):
    month = dt.date(2026, 9, 1)
    ads = []
    for i in range(1150):
        named = [n for n, k in (("PyTorch", 5), ("JAX", 7), ("Jax the CTO", 3)) if i % k == 0]
        ads.append(f"<p>Role {i}: {', '.join(named) or 'Go'} &#x2F; machine learning</p>")
    thread = Thread(48_000_000, month, ads, replies=300)
    fake = FakeIndustry(hn=FakeAlgolia([thread]))
    async with Loopback() as srv:
        fake.attach(srv)
        _, reports = await run(store, srv, dt.date(2026, 11, 20), metrics=["hn-hiring"],
                               since="2026-09")  # fmt: skip
        comments = [r for r in srv.requests if r.query.get("tags", "").startswith("comment")]
    assert "numericFilters" not in comments[0].query
    assert comments[1].query["numericFilters"].startswith("created_at_i<=")
    assert reports["hn"].status == "ok"
    day = month.isoformat()
    assert value(store, "trendbot-hn", "hn-hiring", "_all", day) == 1150
    assert value(store, "trendbot-hn", "hn-hiring", "pytorch", day) == len(range(0, 1150, 5))
    assert value(store, "trendbot-hn", "hn-hiring", "jax", day) == len(range(0, 1150, 7))
    assert value(store, "trendbot-hn", "hn-hiring", "_ml", day) == 1150
    # the story list, the newest 1,000 comments, then everything older than the oldest of them
    assert reports["hn"].requests == 3


def test_hn_thread_titles():
    assert hn.thread_month("Ask HN: Who is hiring? (September 2026)") == dt.date(2026, 9, 1)
    assert hn.thread_month("Ask HN: Who is Hiring? (Jan 2019)") == dt.date(2019, 1, 1)
    assert hn.thread_month("Ask HN: Who wants to be hired? (September 2026)") is None
    assert hn.thread_month("Ask HN: Freelancer? Seeking freelancer? (May 2024)") is None
    assert hn.thread_month("Show HN: a hiring board") is None


# -- Stack Exchange --------------------------------------------------------------------------------
async def test_stackexchange_backoff_is_obeyed(store):
    world = World()
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False)
        fake.se.backoff_next = 1
        fake.attach(srv)
        _, reports = await run(store, srv, world.today, metrics=["stackoverflow-questions"],
                               since=SINCE)  # fmt: skip
    assert reports["stackexchange"].status == "ok"
    times = fake.se.answered_at
    assert len(times) > 2 and times[1] - times[0] >= 0.95  # the first answer said "backoff: 1"


async def test_stackexchange_without_a_key_spreads_a_backfill_over_days(store):
    world = World()
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False, se_quota=14)
        fake.attach(srv)
        _, reports = await run(store, srv, world.today, metrics=["stackoverflow-questions"],
                               since=SINCE)  # fmt: skip
        se = reports["stackexchange"]
        assert se.status == "quota" and fake.se.quota_remaining >= 0
        assert se.resets_at is not None and se.resets_at % 86400 == 0  # midnight UTC
        assert any("left for a later run" in n for n in se.notes)
        stored = series(store, "trendbot-stackexchange", "stackoverflow-questions", "_all")
        newest = world.last_month.isoformat()
        assert newest in stored and len(stored) < 5  # the newest months first
        fake.se.quota_remaining = 10_000  # the next day
        await run(store, srv, world.today, metrics=["stackoverflow-questions"], since=SINCE)
    for (fw, month), n in world.so.items():
        got = value(store, "trendbot-stackexchange", "stackoverflow-questions", fw,
                    month.isoformat())  # fmt: skip
        assert got == n


async def test_stackexchange_throttle_violation_beyond_the_cap_is_a_spent_quota(store):
    world = World()
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False)
        fake.attach(srv)
        fake.fault(
            "/2.3/",
            fake.se.error(
                502,
                "throttle_violation",
                "too many requests from this IP, more requests available in 19564 seconds",
            ),
        )
        before = dump(store.conn)
        _, reports = await run(store, srv, world.today, metrics=["stackoverflow-questions"],
                               since=SINCE)  # fmt: skip
    se = reports["stackexchange"]
    assert se.status == "quota" and "5 h 26 min" in se.error and "\n" not in se.error
    assert dump(store.conn) == before  # refused at the first request: nothing to store
    assert last_run(store, "stackexchange")[0] == "quota"
    assert abs(se.resets_at - time.time() - 19564) < 60


def test_stackexchange_months_from_listed_questions():
    months = [dt.date(2026, 6, 1), dt.date(2026, 7, 1)]
    created = {1: 1780300800, 2: 1780300801, 3: 1782979199, 4: 1790000000}
    assert stackexchange.by_month(created, months) == {months[0]: 2, months[1]: 1}
    with pytest.raises(SourceFault):
        stackexchange.parse_total({"items": []}, "x")
    wrapper = json.loads('{"items": [{"count": 5, "name": "pytorch"}], "quota_remaining": 9}')
    assert stackexchange.parse_tag_info(wrapper) == ({"pytorch": 5}, 9)


# -- Hugging Face ----------------------------------------------------------------------------------
async def test_hub_counts_by_paging_when_there_is_no_count(store):
    world = World()
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False, models_json=False)
        limited = (("ratelimit", '"api";r=0;t=0'),
                   ("ratelimit-policy", '"fixed window";"api";q=500;w=300'))  # fmt: skip
        fake.fault("/api/models", Reply(429, b"Too Many Requests", limited))
        fake.attach(srv)
        _, reports = await run(store, srv, world.today, metrics=["hf-models"])
        pages = [r for r in srv.requests if r.path == "/api/models"]
    assert reports["hf"].status == "ok"
    for fw in FRAMEWORKS:
        assert value(store, "trendbot-hf", "hf-models", fw.id, world.today.isoformat()) == (
            world.hub_expected(fw.id)
        )
    paged = sum(max(1, -(-n // 1000)) for n in world.hub.values())
    assert len(pages) == paged + 1  # every page once, and the one 429 again


# -- arXiv -----------------------------------------------------------------------------------------
def test_arxiv_reads_both_feed_formats_and_the_error_feed():
    total, entries = arxiv.parse_feed((FIXTURES / "arxiv_2026_excerpt.xml").read_bytes())
    assert total == 58344 and len(entries) == 1 and "warehouse" in entries[0]["summary"]
    total, entries = arxiv.parse_feed((FIXTURES / "arxiv_classic_format.xml").read_bytes())
    assert total == 1000 and entries[0]["id"].endswith("hep-ex/0307015")
    with pytest.raises(SourceFault, match=r"incorrect id format for 1234\.12345"):
        arxiv.parse_feed((FIXTURES / "arxiv_error_feed.xml").read_bytes())


def test_arxiv_searches_only_names_the_patterns_accept():
    assert arxiv.search_terms(TABLE.get("pytorch")) == ["pytorch"]
    assert "tensor-flow" in arxiv.search_terms(TABLE.get("tensorflow"))
    clause = arxiv.mentions_clause(TABLE.frameworks)
    assert 'abs:"tensor flow"' in clause and "abs:jax" in clause and "abs:keras" in clause
    for noise in ("abs:torch ", "abs:tf ", "abs:paddle ", "abs:flax", "abs:gluon"):
        assert noise not in clause + " "
    assert 'abs:"tf keras"' not in clause  # keras alone already finds it
    query = arxiv.month_query(dt.date(2024, 2, 1))
    assert "submittedDate:[202402010000 TO 202402292359]" in query


async def test_arxiv_refusing_a_query_fails_with_its_own_words(store):
    world = World()
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False)
        fake.fault("/api/query", fake.arxiv.error("unknown field: abs"))
        fake.attach(srv)
        _, reports = await run(store, srv, world.today, metrics=["arxiv-mentions"], since=SINCE)
    assert reports["arxiv"].status == "failed"
    assert "arXiv refused the query: unknown field: abs" in reports["arxiv"].error


# -- PyPI ------------------------------------------------------------------------------------------
async def test_pypistats_fallback_skips_a_package_it_does_not_know(store):
    world = World()
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False)  # no ClickHouse here: the fallback answers
        del fake.pypistats.daily["mindspore"]
        fake.attach(srv)
        results, reports = await run(store, srv, world.today, metrics=["pypi-downloads"])
    assert reports["clickhouse"].status == "failed"
    assert reports["pypistats"].status == "ok"
    by = {(r.metric, r.framework): r for r in results}
    assert by[("pypi-downloads", "mindspore")].status == "skipped"
    torch = by[("pypi-downloads", "pytorch")]
    assert torch.source_id == "trendbot-pypistats" and torch.date == world.data_end.isoformat()
    assert torch.value == world.window("torch", world.data_end)
    assert not any(r.collector == "clickhouse" for r in results)  # the fallback's stand


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=95),
       st.integers(min_value=0, max_value=40))  # fmt: skip
def test_download_windows_and_months_match_brute_force(counts, skip):
    start = dt.date(2024, 1, 17)
    daily = {start + dt.timedelta(days=i): n for i, n in enumerate(counts) if i != skip}
    through = start + dt.timedelta(days=len(counts) - 1)
    methods = DownloadMethods("d", "w", "m")
    rows = rows_of("s", {"pytorch": daily}, start, through, methods)
    windows = {r.date: r.value for r in rows if r.metric == "pypi-downloads"}
    months = {r.date: r.value for r in rows if r.metric == "pypi-downloads-month"}
    for day, n in windows.items():
        end = dt.date.fromisoformat(day)
        assert n == sum(daily.get(end - dt.timedelta(days=i), 0) for i in range(30))
        assert end - dt.timedelta(days=29) >= start
    for day, n in months.items():
        m = dt.date.fromisoformat(day)
        assert n == sum(v for d, v in daily.items() if d.replace(day=1) == m)
    if any(daily.values()):
        assert set(months) <= {"2024-02-01", "2024-03-01"}


def test_months_are_collected_once_they_are_over():
    assert last_complete_month(dt.date(2026, 12, 2)) == dt.date(2026, 10, 1)
    assert last_complete_month(dt.date(2026, 12, 3)) == dt.date(2026, 11, 1)
    assert parse_since("2019") == dt.date(2019, 1, 1)
    assert parse_since("2019-05") == dt.date(2019, 5, 1)
    with pytest.raises(ValueError, match="--since must be"):
        parse_since("2019-13")


# -- ClickHouse (chDB) -----------------------------------------------------------------------------
needs_chdb = pytest.mark.skipif(not HAVE_CHDB, reason="chdb is not installed (test extra)")


@needs_chdb
async def test_clickhouse_later_runs_read_from_the_month_before_and_take_corrections(store):
    world = World()
    async with Loopback() as srv:
        fake = world.fake()
        fake.attach(srv)
        await run(store, srv, world.today, metrics=["pypi-downloads-day"])
        # a correction on a recent day, and a new day, on the server
        day = world.data_end - dt.timedelta(days=3)
        from tests.support.clickhouse_chdb import ChdbClickHouse

        world.downloads["torch"][day] += 1000
        new_day = world.data_end + dt.timedelta(days=1)
        world.downloads["torch"][new_day] = 4242
        fake.clickhouse = ChdbClickHouse(world.clickhouse_parts())
        version = store.data_version()
        _, reports = await run(store, srv, world.today, metrics=["pypi-downloads-day"])
    query = fake.clickhouse.queries[-1]
    assert "date >= toDate('2026-10-01')" in query and "sum(count)" in query
    assert reports["clickhouse"].requests == 1
    assert (
        value(store, "trendbot-clickpy", "pypi-downloads-day", "pytorch", day.isoformat())
        == (world.downloads["torch"][day])
    )
    assert value(store, "trendbot-clickpy", "pypi-downloads-day", "pytorch",
                 new_day.isoformat()) == 4242  # fmt: skip
    assert store.data_version() == version + 1


@needs_chdb
async def test_clickhouse_answers_as_the_real_interface(store):
    """Int64 arrives quoted, the headers are ClickHouse's, a bad user is refused as text."""
    import aiohttp

    world = World()
    async with Loopback() as srv:
        world.fake().attach(srv)
        sql = "SELECT project, sum(count) AS n FROM pypi.pypi_downloads_per_day GROUP BY project"
        async with aiohttp.ClientSession() as session:
            async with session.post(srv.base + "/", data=sql + " FORMAT JSONEachRow",
                                    headers=_basic("demo")) as resp:  # fmt: skip
                body = await resp.text()
                assert resp.headers["X-ClickHouse-Format"] == "JSONEachRow"
                assert "X-ClickHouse-Query-Id" in resp.headers
            row = json.loads(body.splitlines()[0])
            assert isinstance(row["n"], str) and int(row["n"]) == sum(
                world.downloads[row["project"]].values()
            )
            async with session.post(srv.base + "/", data=sql,
                                    headers=_basic("root")) as resp:  # fmt: skip
                assert resp.status == 403 and (await resp.text()).startswith("Code: 516.")
            async with session.get(srv.base + "/", params={"query": "SELEC 1"},
                                   headers=_basic("demo")) as resp:  # fmt: skip
                assert resp.status == 400 and "Syntax error" in await resp.text()
        env = {"CLICKHOUSE_USER": "root"}
        _, reports = await run(store, srv, world.today, env=env, metrics=["pypi-downloads"])
    assert reports["clickhouse"].status == "failed" and "HTTP 403" in reports["clickhouse"].error
    assert reports["pypistats"].status == "ok"


def _basic(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:".encode()).decode()}


# -- the command -----------------------------------------------------------------------------------
def _env(tmp_path, srv) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TRENDBOT_"))}
    env = {k: v for k, v in env.items() if k not in ("GITHUB_TOKEN", "HF_TOKEN")}
    env.update({name: srv.base for name in SOURCE_URLS})
    env.update(TRENDBOT_DB=str(tmp_path / "collect.db"),
               TRENDBOT_ENV_FILE=os.devnull)  # fmt: skip
    return env


async def _trendbot(*args, env):
    proc = await asyncio.create_subprocess_exec(
        TRENDBOT, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.skipif(TRENDBOT is None, reason="the trendbot script is not installed")
async def test_the_command_prints_one_json_line_per_metric_and_framework(tmp_path):
    world = World()
    async with Loopback() as srv:
        world.fake(clickhouse=False).attach(srv)
        env = _env(tmp_path, srv)
        # the real policies pace requests (GitHub and the Hub: one a second): a few frameworks
        only = ["--framework", "keras,mxnet"]
        code, out, err = await _trendbot("collect", "industry", "--metric", "hf-models",
                                         "--metric", "github-forks", "--json", "--no-progress",
                                         *only, env=env)  # fmt: skip
        assert code == 0, err
        lines = [json.loads(line) for line in out.splitlines()]
        assert Counter(line["metric"] for line in lines) == {"hf-models": 2, "github-forks": 2}
        forks = {x["framework"]: x for x in lines if x["metric"] == "github-forks"}
        assert forks["keras"]["value"] == world.repos["keras"].forks
        assert forks["keras"]["date"] == dt.datetime.now(dt.UTC).date().isoformat()
        hub = {x["framework"]: x for x in lines if x["metric"] == "hf-models"}
        assert hub["keras"]["value"] == world.hub["keras"] + world.hub["tf-keras"]
        assert hub["mxnet"]["status"] == "skipped"
        code, out, _ = await _trendbot("collect", "--status", env=env)
        assert code == 0 and "industry:hf: last run" in out and "industry:github" in out
        code, out, err = await _trendbot("collect", "industry", "--metric", "hf-models",
                                         "--progress", *only, env=env)  # fmt: skip
        assert "hf" in err  # the bar
        assert code == 0 and out.startswith("hf: ok, 1 value (0 new or changed), 2 requests"), out


@pytest.mark.skipif(TRENDBOT is None, reason="the trendbot script is not installed")
@pytest.mark.parametrize(
    "args",
    [
        ["--metric", "github-stargazers"],
        ["--metric", "dependents"],
        ["--framework", "theano"],
        ["--since", "2019-13"],
    ],
)
def test_the_command_refuses_bad_arguments_in_one_sentence(args, cli_env):
    proc = subprocess.run([TRENDBOT, "collect", "industry", *args], env=cli_env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_clickhouse_answers_are_read_whole_or_refused():
    from trendbot.collectors.industry.clickhouse import build_query, parse_result

    each_row = (b'{"project":"torch","date":"2026-01-01","downloads":"5"}\n'
                b'{"project":"torch","date":"2026-01-02","downloads":7}\n')  # fmt: skip
    day = dt.date(2026, 1, 1)
    assert parse_result(each_row) == [("torch", day, 5), ("torch", day.replace(day=2), 7)]
    late_error = each_row + b"Code: 241. DB::Exception: Memory limit (total) exceeded\n"
    with pytest.raises(SourceFault, match="Code: 241"):
        parse_result(late_error)
    envelope = {"meta": [], "data": [{"project": "jax", "date": "2026-01-01", "downloads": "3"}],
                "rows": 2}  # fmt: skip
    with pytest.raises(SourceFault, match="announced 2 rows and sent 1"):
        parse_result(json.dumps(envelope).encode())
    with pytest.raises(SourceFault, match="stopped the query"):
        parse_result(json.dumps({"exception": "Code: 159. Timeout exceeded"}).encode())
    sql = build_query(["torch", "it's"], dt.date(2026, 10, 1))
    assert "'it\\'s'" in sql and "sum(count)" in sql and sql.endswith("FORMAT JSON")


async def test_empty_answers_are_zeros_not_faults(store):
    """A thread without ads, a repository without stars, a tag without models, a month with
    no questions or submissions: stored as 0 (or nothing, for a history with no week)."""
    world = World()
    world.threads[0][0].ads.clear()
    world.threads[0][0].replies = 0
    world.repos["mindspore"].weekly = []
    world.repos["mindspore"].contributors = 0
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False)
        fake.hf.counts["tf"] = 0
        fake.attach(srv)
        _, reports = await run(store, srv, world.today, since=SINCE, metrics=[
            "hn-hiring", "github-stars", "github-contributors", "hf-models"])  # fmt: skip
    assert {r.status for r in reports.values()} == {"ok"}
    first = world.threads[0][0].month.isoformat()
    assert value(store, "trendbot-hn", "hn-hiring", "_all", first) == 0
    assert value(store, "trendbot-hn", "hn-hiring", "pytorch", first) == 0
    assert series(store, "trendbot-github-star-history", "github-stars", "mindspore") == {}
    today = world.today.isoformat()
    assert value(store, "trendbot-github", "github-contributors", "mindspore", today) == 0
    assert value(store, "trendbot-hf", "hf-models", "tensorflow", today) == 0


async def test_a_304_never_carries_a_count_older_than_the_answer_it_validates(store):
    world = World()
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False)
        fake.attach(srv)
        await run(store, srv, world.today, metrics=["github-stars", "github-open-issues"])
        world.repos["keras"].stars += 50  # stars change; then only forks are collected
        await run(store, srv, world.today + dt.timedelta(days=1), metrics=["github-forks"])
        day = world.today + dt.timedelta(days=2)
        both = ["github-stars", "github-forks", "github-open-issues"]
        _, reports = await run(store, srv, day, metrics=both)
    assert reports["github"].status == "ok"
    got = value(store, "trendbot-github", "github-stars", "keras", day.isoformat())
    assert got == world.repos["keras"].stars


async def test_star_history_pages_on_without_a_link_header(store):
    world = World()
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False)
        fake.github.send_links = False
        fake.attach(srv)
        _, reports = await run(store, srv, world.today, metrics=["github-stars"])
    assert reports["github"].status == "ok"
    for fw in FRAMEWORKS:
        got = series(store, "trendbot-github-star-history", "github-stars", fw.id)
        assert got == world.week_totals(fw.id)
