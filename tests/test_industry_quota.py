"""A spent quota is not a failure (issue 15, item 2), against the fake sources on 127.0.0.1.

Every quota-limited source runs out mid-run, each in its own real way: GitHub's 403 with
``x-ratelimit-remaining: 0`` (after a good answer that already said 0), Stack Exchange's 400
``throttle_violation`` "more requests available in N seconds", the Hub's ``RateLimit: r=0;t=…``
then 429, arXiv's ``Rate exceeded.`` as a 503 with ``Retry-After``. The run keeps what each
fetched, records ``quota`` runs naming what is left and when each quota resets, and exits 0;
the next run, after the resets (the fakes' clocks are set, nobody sleeps), finishes the work
without repeating one request that had succeeded.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from tests.support.industry_support import last_run, run, series, value
from tests.support.industry_world import FRAMEWORKS, World
from tests.support.loopback import Loopback, Reply
from trendbot.cli import main
from trendbot.cli.collect_industry import exit_status, summary
from trendbot.collectors.http import HttpClient, QuotaSpent
from trendbot.collectors.policy import DEFAULT_POLICIES
from trendbot.collectors.quota import relative, resets_phrase

SINCE = "2026-06"
QUOTA_SOURCES = ("github", "stackexchange", "hf", "arxiv")
METRICS = ["github-stars", "github-forks", "github-open-issues", "github-contributors",
           "stackoverflow-questions", "hf-models", "arxiv-mentions"]  # fmt: skip
# The sources' real caps, except the Hub's: its window (t=120 s here) would be waited for under
# the real 300 s cap; 60 s makes it a spent quota without sleeping.
POLICY = {"max_wait": 60.0}


class Logged:
    """The fake behind the server, with every answer's status logged per run."""

    def __init__(self, fake) -> None:
        self.fake = fake
        self.run = 1
        self.log: list[tuple[int, str, int]] = []  # (run, path?query, status)

    async def __call__(self, request):
        reply = await self.fake.handle(request)
        self.log.append((self.run, request.path_qs, reply.status))
        return reply

    def answered(self, run: int, status: int) -> list[str]:
        return [p for r, p, s in self.log if r == run and s == status]


@pytest.fixture(scope="module")
def world() -> World:
    return World()


async def test_a_spent_quota_keeps_what_was_fetched_and_the_next_run_finishes(store, world):
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False, github_limit=9)
        fake.attach(srv)
        logged = Logged(fake)
        srv.fallback(logged)
        now = time.time()
        fake.github.reset = int(now) + 52 * 60 + 30  # the hour resets in 52 minutes
        fake.se.address_left = 3
        fake.hf.remaining = 2
        fake.arxiv.answers_left = 3
        _, reports = await run(store, srv, world.today, since=SINCE, metrics=METRICS,
                               policy=POLICY)  # fmt: skip
        first = {name: reports[name] for name in QUOTA_SOURCES}

        # -- the first run: a quota run for every source, what each fetched is stored
        for name, report in first.items():
            assert report.status == "quota", (name, report.error)
            assert report.rows > 0 and report.left, name
            assert report.resets_at is not None and report.resets_at > now, name
            status, detail = last_run(store, name)
            assert status == "quota"
            assert json.loads(detail)["quota"]["left"] == report.left
        gh = first["github"]
        assert gh.resets_at == fake.github.reset
        assert abs(first["stackexchange"].resets_at - now - 19564) < 60
        assert abs(first["hf"].resets_at - now - 120) < 60
        assert abs(first["arxiv"].resets_at - now - 600) < 60
        # each source was stopped at its first refusal and not asked again; GitHub not even
        # refused: its last good answer said "remaining: 0"
        assert logged.answered(1, 403) == [] and fake.github.quota_used == 9
        assert len(logged.answered(1, 429)) <= 1 and len(logged.answered(1, 503)) == 1
        assert len([p for p in logged.answered(1, 400) if p.startswith("/2.3/")]) == 1
        # what GitHub answered before the hour ran out is stored, the last good answer too
        day = world.today.isoformat()
        have = [f for f in FRAMEWORKS if value(store, "trendbot-github", "github-stars", f.id, day)]
        assert 0 < len(have) < len(FRAMEWORKS)
        for fw in have:
            assert value(store, "trendbot-github", "github-stars", fw.id, day) == (
                world.repos[fw.id].stars
            )
        # what a user sees: one line per source, exit status 0
        lines = {name: summary(r) for name, r in first.items()}
        assert exit_status(list(reports.values())) == 0
        assert lines["github"].startswith("github: ")
        assert "left for later; GitHub's quota resets at " in lines["github"]
        assert ", in 53 min" in lines["github"] or ", in 52 min" in lines["github"]
        assert "Stack Exchange's quota resets at" in lines["stackexchange"]
        assert "Hugging Face's quota resets at" in lines["hf"]
        assert "arXiv's quota resets at" in lines["arxiv"]

        # -- after the resets: every source answers again
        fake.github.remaining = fake.github.limit = 5000
        fake.github.reset = int(time.time()) + 3600
        fake.se.address_left = None
        fake.hf.remaining = 500
        fake.arxiv.answers_left = None
        logged.run = 2
        _, again = await run(store, srv, world.today, since=SINCE, metrics=METRICS,
                             policy=POLICY)  # fmt: skip
    for name in QUOTA_SOURCES:
        assert again[name].status == "ok", (name, again[name].error)
    # nothing that had succeeded was asked again (a 304 is free, and allowed)
    succeeded = set(logged.answered(1, 200))
    repeated = [p for p in logged.answered(2, 200) if p in succeeded]
    assert repeated == []
    assert logged.answered(2, 200)  # the rest was fetched
    # ... and everything is there, as a run with no quota would have stored it
    for fw in FRAMEWORKS:
        repo = world.repos[fw.id]
        assert value(store, "trendbot-github", "github-stars", fw.id, day) == repo.stars
        assert value(store, "trendbot-github", "github-contributors", fw.id, day) == (
            repo.contributors
        )
        assert series(store, "trendbot-github-star-history", "github-stars", fw.id) == (
            world.week_totals(fw.id)
        )
        assert value(store, "trendbot-hf", "hf-models", fw.id, day) == world.hub_expected(fw.id)
    for (fw, month), n in world.so.items():
        got = value(store, "trendbot-stackexchange", "stackoverflow-questions", fw,
                    month.isoformat())  # fmt: skip
        assert got == n, (fw, month)
    for (fw, month), n in world.arxiv.items():
        assert value(store, "trendbot-arxiv", "arxiv-mentions", fw, month.isoformat()) == n


async def test_github_next_run_in_the_same_hour_keeps_its_304s_and_leaves_the_history(store):
    """The issue's case: a first run without a token spends the hour; the next run, in the same
    hour, gets its counts as free 304s, stores them, and leaves the star history for later."""
    world = World()
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False, github_limit=22)
        fake.attach(srv)
        fake.github.reset = int(time.time()) + 52 * 60 + 30
        await run(store, srv, world.today, metrics=METRICS[:4])
        fake.github.remaining = 0  # the hour is spent
        tomorrow = world.today + dt.timedelta(days=1)
        fake.github.today = tomorrow
        hits = len(srv.requests)
        _, reports = await run(store, srv, tomorrow, metrics=METRICS[:4])
        asked = srv.requests[hits:]
    gh = reports["github"]
    assert gh.status == "quota" and gh.requests == gh.not_modified == len(asked)
    left = [f for f in FRAMEWORKS if not series(store, "trendbot-github-star-history",
                                                "github-stars", f.id)]  # fmt: skip
    assert left and gh.left == [f"star history for {len(left)} repo{'s' * (len(left) > 1)}"]
    for fw in FRAMEWORKS:  # every count carried to the new day by a 304
        assert value(store, "trendbot-github", "github-stars", fw.id, tomorrow.isoformat()) == (
            world.repos[fw.id].stars
        )
    line = summary(gh)
    assert line.startswith(f"github: star history for {len(left)} repo")
    assert "left for later; GitHub's quota resets at " in line
    assert line.split(", in ")[1].startswith(("52 min", "53 min"))
    assert exit_status(list(reports.values())) == 0


async def test_a_real_fault_still_fails_and_keeps_what_other_sources_stored(store, world):
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False, github_limit=6)
        fake.attach(srv)
        fake.github.reset = int(time.time()) + 3000
        fake.fault("/2.3/", *[Reply.error(503, "Service Unavailable")] * 3)
        _, reports = await run(
            store, srv, world.today, since=SINCE,
            metrics=["github-stars", "stackoverflow-questions"],
            policy={"attempts": 2},
        )  # fmt: skip
    assert reports["stackexchange"].status == "failed"
    assert "503" in reports["stackexchange"].error
    assert reports["github"].status == "quota" and reports["github"].rows > 0
    assert exit_status(list(reports.values())) == 1


async def test_arxiv_rate_exceeded_that_outlasts_the_retries_is_a_quota():
    """The bare ``Rate exceeded.`` body (no Retry-After, sometimes with status 200): after the
    retries it is a spent quota with the time of the next polite request, not a fault."""
    from dataclasses import replace

    arxiv = replace(DEFAULT_POLICIES["arxiv"], rate=1000, burst=1000, attempts=1)
    async with Loopback() as srv:
        srv.route("/api/query", Reply.rate_exceeded_200(), Reply.xml("<feed/>"))
        settings_urls = {"ARXIV_BASE_URL": srv.base}
        from trendbot.config import Settings

        async with HttpClient(Settings(source_urls=settings_urls), {"arxiv": arxiv}) as http:
            with pytest.raises(QuotaSpent) as err:
                await http.get("arxiv", "/api/query")
            with pytest.raises(QuotaSpent):  # not asked again this run
                await http.get("arxiv", "/api/query")
    assert len(srv.requests) == 1
    assert err.value.kind == "quota" and "Rate exceeded" in err.value.reason
    assert err.value.resets_at is not None


def test_reset_phrases():
    now = 1_800_000_000.0
    assert relative(52 * 60 - 5) == "in 52 min"
    assert relative(19564) == "in 5 h 27 min"
    assert relative(40) == "in 40 s"
    assert resets_phrase(None) == "did not say when it resets"
    phrase = resets_phrase(now + 3120, now)
    assert phrase.startswith("resets at ") and phrase.endswith(", in 52 min")


async def test_collect_status_shows_a_quota_run_with_its_reset_time(store, world, db_path, capsys):
    async with Loopback() as srv:
        fake = world.fake(clickhouse=False)
        fake.attach(srv)
        fake.hf.remaining = 1
        await run(store, srv, world.today, metrics=["hf-models"], policy=POLICY)
    store.close()
    assert main(["--db", str(db_path), "collect", "--status"]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("industry:hf")]
    assert "quota" in line and "Hugging Face's quota resets at" in line
    assert "model counts for" in line and "left for later" in line
