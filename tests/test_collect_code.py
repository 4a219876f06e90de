"""The code method in a paper collection, on 127.0.0.1: a CVF-format conference of generated papers
whose text links code (two papers one repository, one GitLab, one none, one cited tool only)
and the GitHub stand-in (tests/support/github_code.py). A first run reads every repository once;
a run against changed sources costs 304s, follows a rename and records a deletion; a spent
quota is a ``quota`` run that exits 0, and the next run reads only the rest; a dry run plans
the requests against ``GET /rate_limit`` and asks GitHub nothing else."""

from __future__ import annotations

import asyncio
import functools
import json
from dataclasses import replace

from tests.support import pdfgen
from tests.support.conference import Conference, Paper
from tests.support.github_code import FakeRepo, GitHubCode
from tests.support.loopback import Loopback
from tests.support.papers_support import loopback_client
from tests.test_collect_papers import _collect_cmd, _env, _run
from trendbot.cli.collect import retries
from trendbot.collectors.http import HttpClient
from trendbot.collectors.papers import code_phase
from trendbot.collectors.papers.collect import Options, PaperCollector
from trendbot.collectors.policy import DEFAULT_POLICIES
from trendbot.config import SOURCE_URLS, Settings
from trendbot.storage import code as code_db
from trendbot.storage import open_store

YEAR = 2025
CODE_ID = "code-2026-12"


def _paper(seed: int, pages: int, edits: dict[int, list[tuple[int, str]]]) -> bytes:
    text = pdfgen.paper_text(seed, pages, [], lines_per_page=20)
    for page, inserts in edits.items():
        for line, words in inserts:
            text[page].insert(line, words)
    return pdfgen.paper_pdf(text)


@functools.cache
def papers() -> tuple[Paper, ...]:
    """Eight papers: their own repositories as the first page says (one link broken across a
    line, one repository linked by two papers in two spellings), a GitLab project, none, a
    cited tool only."""
    first = {
        "P0_Shared": [(2, "Our code is available at https://github.com/"),
                      (3, "alice-lab/fast_nets.git. Models at huggingface.co/alice/fast-7b.")],
        "P1_Shared_Again": [(2, "Code: github.com/Alice-Lab/fast_nets")],
        "P2_Jax": [(2, "Our code is available at https://github.com/bob/jax-thing.")],
        "P3_Gitlab": [(2, "Our code is available at https://gitlab.com/carol/proj.")],
        "P4_None": [],
        "P6_Renamed": [(2, "Our code is available at https://github.com/dan/old-name.")],
        "P7_Deleted": [(2, "Our code is available at https://github.com/erin/soon-gone.")],
    }  # fmt: skip
    out = [
        Paper(stem, f"Paper {stem}", ("A. Author",), _paper(40 + i, 2, {0: edits}))
        for i, (stem, edits) in enumerate(first.items())
    ]
    cited = {1: [(3, "All models use PyTorch (github.com/pytorch/pytorch) as in"),
                 (4, "https://github.com/google/flax.")]}  # fmt: skip
    out.append(Paper("P5_Cited_Tool", "Paper P5_Cited_Tool", ("A. Author",), _paper(60, 2, cited)))
    return tuple(out)


def github() -> GitHubCode:
    gh = GitHubCode()
    gh.add(FakeRepo("alice-lab/fast_nets", {"train.py": "import torch\n"},
                    sbom=["pkg:pypi/torch@2.1.0"]))  # fmt: skip
    gh.add(FakeRepo("bob/jax-thing", {"requirements.txt": "jax>=0.4\nnumpy\n"}))
    gh.add(FakeRepo("dan/old-name", {"model.py": "import tensorflow as tf\n"}))
    gh.add(FakeRepo("erin/soon-gone", {"README.md": "# soon\n", "run.py": "import os\n"}))
    return gh


def serve(srv: Loopback, gh: GitHubCode) -> dict[str, str]:
    Conference("CVPR", YEAR, list(papers())).serve(srv)
    return {**{name: srv.base for name in SOURCE_URLS}, **gh.install(srv)}


async def collect(store, urls, **options):
    fast = {
        n: replace(p, rate=1000, burst=1000, backoff=0.01, backoff_max=0.05, attempts=3)
        for n, p in DEFAULT_POLICIES.items()
    }
    settings = Settings(source_urls=urls)
    async with (
        HttpClient(settings, fast, env={"GITHUB_TOKEN": "ghp_test"}) as http,
        PaperCollector(store, settings, Options(workers=2, **options), http=http) as collector,
    ):
        return await collector.collect("CVPR", YEAR)


def code_counts(store) -> dict[str, tuple[int, int]]:
    rows = store.conn.execute(
        "SELECT framework, papers, total_papers FROM paper_counts WHERE method_id = ?"
        " AND venue_id = 'cvpr' AND year = ?",
        (CODE_ID, YEAR),
    ).fetchall()
    return {fig: (n, total) for fig, n, total in rows}


def paper(store, stem: str):
    """The paper's code as stored (by the title the conference gave it)."""
    (pid,) = store.conn.execute("SELECT id FROM papers WHERE title = ?", (f"Paper {stem}",))
    return code_db.paper_code(store.conn, pid[0])


def asked(gh: GitHubCode, since: int = 0) -> list[tuple[str, int]]:
    """(path, status) of the repository endpoint asked (one per check), in order."""
    return [(p.lower(), st) for p, st in gh.answered[since:] if p.lower() in REPO_PATHS]


REPO_PATHS = {
    "/api/repos/alice-lab/fast_nets",
    "/api/repos/bob/jax-thing",
    "/api/repos/dan/old-name",
    "/api/repos/erin/soon-gone",
}


def answered_from_the_collection(store) -> None:
    """What chat answers from a store this collection wrote (not from written-in test data)."""
    from trendbot.commands import run
    from trendbot.commands.registry import Context

    store.refresh()
    ctx = Context(store=store, prefix="!")
    ratio = run(ctx, "!ratio CVPR 2025 --method code")
    assert not ratio.is_error, ratio.text
    assert "of 8 accepted main-conference papers, " in ratio.text
    assert "6 link their own code; the repositories of 5 were read; 1 is on GitLab" in ratio.text
    assert "PyTorch **40.0 %** (2)" in ratio.text and "JAX 20.0 % (1)" in ratio.text
    assert "Repositories: GitHub, read 20" in ratio.footer and "code-1" in ratio.footer
    jax = run(ctx, "!papers CVPR 2025 jax --method code")
    assert "Paper P2\\_Jax" in jax.text and "requirements.txt: jax>=0.4" in jax.text, jax.text
    one = run(ctx, "!paper P1 Shared Again")
    assert "fast_nets" in one.text.lower() and "SBOM: pkg:pypi/torch@2.1.0" in one.text, one.text


async def test_a_first_run_reads_each_repository_once_and_a_later_run_costs_304s(tmp_path):
    store = open_store(tmp_path / "t.db")
    gh = github()
    async with Loopback() as srv:
        urls = serve(srv, gh)
        v0 = store.data_version()
        report = await collect(store, urls)
        assert report.error is None and report.written and not report.quota
        # Each repository once, though two papers link alice-lab/fast_nets (in two spellings).
        assert sorted(p for p, _ in asked(gh)) == sorted(REPO_PATHS)
        figures = report.code
        assert (figures.read, figures.left, figures.unchanged) == (4, 0, 0)
        api = [r for r in srv.requests if r.path.startswith("/api/")]
        assert figures.api_requests == len(api)
        assert all(r.headers["Authorization"] == "Bearer ghp_test" for r in api)
        counts = code_counts(store)
        assert {k: v[0] for k, v in counts.items() if v[0]} == {
            "accepted": 8, "searched": 8, "linked": 6, "elsewhere": 1,
            "pytorch": 2, "jax": 1, "tensorflow": 1, "none": 1,
        }  # fmt: skip
        assert {v[1] for v in counts.values()} == {5}  # the share's denominator
        assert report.counts["code"]["pytorch"] == 2
        # The venue-year is published once: every method, with the last repositories (nothing
        # is written half-way).
        assert store.data_version() == v0 + 1
        own = paper(store, "P1_Shared_Again")
        assert own.own.repo.lower() == "alice-lab/fast_nets" and own.repo.outcome == "pytorch"
        assert str(own.repo.evidence[0]) == "SBOM: pkg:pypi/torch@2.1.0"
        cited = paper(store, "P5_Cited_Tool")
        assert cited.own is None and {x.repo for x in cited.links} >= {"pytorch/pytorch"}
        answered_from_the_collection(store)

        # The same day: nothing is due, nothing is asked (papers nor repositories).
        before = len(srv.requests)
        again = await collect(store, urls)
        assert again.read_now == 0 and again.code.read == 0 and srv.requests[before:] == []

        # A month later the sources changed: dan/old-name was renamed, erin/soon-gone deleted;
        # the other two nobody pushed to.
        store.conn.execute("UPDATE code_repos SET checked_at = '2026-01-01T00:00:00+00:00'")
        store.conn.commit()
        gh.rename("dan/old-name", "dan/new-name")
        gh.repos.pop("erin/soon-gone")
        before, seen = len(srv.requests), len(gh.answered)
        later = await collect(store, urls)
        sent = srv.requests[before:]
    assert later.error is None and later.read_now == 0
    assert not [r for r in sent if r.path.endswith(".pdf")]  # no paper read again
    assert sorted(asked(gh, seen)) == [
        ("/api/repos/alice-lab/fast_nets", 304), ("/api/repos/bob/jax-thing", 304),
        ("/api/repos/dan/old-name", 301), ("/api/repos/erin/soon-gone", 404),
    ]  # fmt: skip
    unchanged = [r for r in sent if "alice-lab" in r.path.lower() or "bob/" in r.path]
    assert len(unchanged) == 2  # one 304 each: nothing re-read
    assert (later.code.read, later.code.unchanged, later.code.moved, later.code.gone) == (
        4,
        2,
        1,
        1,
    )
    counts = code_counts(store)
    assert (counts["tensorflow"][0], counts["none"][0], counts["gone"][0]) == (1, 0, 1)
    assert counts["pytorch"] == (2, 4)
    moved = paper(store, "P6_Renamed").repo
    assert moved.moved_to == "dan/new-name" and moved.outcome == "tensorflow"
    store.close()


async def test_a_spent_quota_is_a_quota_run_and_the_next_run_reads_only_the_rest(tmp_path):
    gh = github()
    gh.remaining = 5  # each check costs 2 (the rest are 404s, 304s or raw files): 1 or 2 fit
    async with Loopback() as srv:
        env = {**_env(tmp_path, srv), **serve(srv, gh), "GITHUB_TOKEN": "ghp_test"}
        code, out, err = await _run(_collect_cmd("--json"), env)
        assert code == 0 and "Traceback" not in err, err
        assert "ghp_test" not in out + err
        (line,) = out.splitlines()
        got = json.loads(line)
        assert got.get("error") is None and got["total"] == 8
        assert got["code"]["read"] >= 1 and got["code"]["left"] >= 1
        assert got["code"]["read"] + got["code"]["left"] == 4
        assert got["code"]["quota"]["resets_at"].endswith("Z")
        left = got["code"]["left"]

        store = open_store(tmp_path / "collect.db")
        first = {
            f"/api/repos/{r}".lower() for (r,) in store.conn.execute("SELECT repo FROM code_repos")
        }
        assert len(first) == 4 - left
        status = store.conn.execute(
            "SELECT status FROM collection_runs WHERE collector = 'papers' ORDER BY id DESC"
        ).fetchone()[0]
        assert status == "quota"
        counts = code_counts(store)
        assert counts["unread"][0] >= 1 and counts["accepted"][0] == 8
        # A run naming another year of CVPR reads these too, as it retries failed papers.
        assert retries(store, ["CVPR"], [("CVPR", 2024)]) == [("CVPR", YEAR)]
        store.close()

        code, status_out, err = await _run([*_collect_cmd()[:2], "--status"], env)
        assert code == 0, err
        [row] = [x for x in status_out.splitlines() if x.startswith("  code:")]
        assert f"4 own repositories on GitHub, {4 - left} read, {left} left" in row
        assert "GitHub's quota resets at" in row

        gh.new_hour()
        before, seen = len(srv.requests), len(gh.answered)
        code, out, err = await _run(_collect_cmd(), env)
        sent = srv.requests[before:]
    assert code == 0, err
    assert f"code: {left} repositories read, 0 left" in out, out
    # Only the rest was asked: no repository read in the first run is asked again.
    second = [p for p, _ in asked(gh, seen)]
    assert sorted(second) == sorted(REPO_PATHS - first)
    assert not [r for r in sent if r.path.endswith(".pdf")]
    store = open_store(tmp_path / "collect.db")
    assert code_counts(store)["unread"][0] == 0 and code_counts(store)["pytorch"][0] == 2
    store.close()


async def test_a_dry_run_plans_the_requests_against_the_quota_and_asks_nothing_else(tmp_path):
    gh = github()
    gh.remaining = 4000
    async with Loopback() as srv:
        env = {**_env(tmp_path, srv), **serve(srv, gh)}  # no token: 60 an hour
        gh.limit = 60
        gh.remaining = 60
        dry_run = [*_collect_cmd()[:7], "--dry-run"]  # GitHub at trendbot's own pacing
        code, out, err = await _run(dry_run, env)
        github_asked = [r.path for r in srv.requests if r.path.startswith(("/api", "/raw"))]
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0] == (
            f"CVPR {YEAR}: 8 papers listed (accepted main-conference papers (every paper on the "
            "CVF Open Access listing)); 8 would be read; code: 0 repositories to read, about 4 "
            "more estimated."
        ), lines[0]
        assert lines[1].startswith(
            "Code: 4 repositories to read (0 known from the papers' links; about 4 more "
            "estimated for the papers not read yet), about 10 GitHub API requests (10 counted "
            "by the quota) and 3 raw files. Quota: 60 of 60 an hour without a token left, "
            "resets at "
        ), lines[1]
        assert lines[1].endswith(
            "At the quota: within what is left; at trendbot's pacing of 1 request a second: "
            "about 1 minute."
        ), lines[1]
        assert github_asked == ["/api/rate_limit"]

        # After a run that read the papers (and the repositories), a plan knows them.
        code, out, err = await _run(_collect_cmd("--no-code"), env)
        assert code == 0 and "code: 0 repositories read, 4 left" in out and "--no-code" in out, out
        before = len(srv.requests)
        code, out, err = await _run([*dry_run, "--json"], env)
        asked_now = [r.path for r in srv.requests[before:]]
    assert code == 0, err
    venue_year, plan = (json.loads(x) for x in out.splitlines())
    assert venue_year["code"]["repos_known"] == 4 and venue_year["code"]["repos_estimated"] == 0
    assert plan["code_plan"]["repos_known"] == 4
    assert plan["code_plan"]["rate_limit"] == {
        "limit": 60, "remaining": 60, "reset": gh.reset_at(), "token": False, "answered": True,
    }  # fmt: skip
    assert asked_now == ["/api/rate_limit"]


async def test_a_paper_linking_github_without_a_stand_in_never_dials_github(tmp_path):
    """The default GITHUB_BASE_URL is api.github.com: the suite's resolver guard
    (tests/conftest.py) refuses it, so the repository is left unread, not fetched."""
    store = open_store(tmp_path / "t.db")
    gh = github()
    async with Loopback() as srv:
        urls = serve(srv, gh)
        real = {**urls, "GITHUB_BASE_URL": SOURCE_URLS["GITHUB_BASE_URL"]}
        report = await collect(store, real)
    assert report.error is None and report.code.read == 0 and report.code.failed == 4
    assert gh.answered == [] and code_counts(store)["unread"][0] == 5
    store.close()


def test_an_update_post_says_what_the_code_methods_figures_are():
    from trendbot.storage.outbox import Change
    from trendbot.subscriptions.format import fmt_change

    assert (
        fmt_change(Change("unread", 0, 3, "code"), "papers") == "own code not read yet 0 → 3 (+3)"
    )
    assert fmt_change(Change("unread", 2, 0, "final"), "papers").startswith("could not be read")
    assert fmt_change(Change("total", 4, 5, "code"), "papers").startswith("papers whose code was")


async def test_venue_years_running_side_by_side_read_a_shared_repository_once():
    """Two venue-years of one run (hosts side by side) whose papers link the same repositories:
    the run's ``CodeRun`` asks GitHub once per repository, and both save what it found."""
    gh = github()
    todo = [code_db.RepoTodo("github.com", name, 1) for name in sorted(gh.repos)]
    run, saved = code_phase.CodeRun(), []

    async def save(rows):
        saved.extend(rows)

    async with Loopback() as srv:
        urls = gh.install(srv)
        async with loopback_client(srv, env={"GITHUB_TOKEN": "t"}, **urls) as http:
            one, two = code_phase.CodeFigures(), code_phase.CodeFigures()
            await asyncio.gather(
                code_phase.read_repos(run, http, todo, one, save),
                code_phase.read_repos(run, http, todo, two, save),
            )
    assert sorted(p for p, _ in asked(gh)) == sorted(REPO_PATHS)  # each once
    assert (one.read + two.read, one.shared + two.shared) == (4, 4)
    assert one.requests + two.requests == len(srv.requests)  # API and raw, nothing twice
    assert len(saved) == 8 and {r.outcome for r in saved} == {
        "pytorch",
        "jax",
        "tensorflow",
        "none",
    }
