"""The ``code`` method's tables and counts (storage/code.py, storage/papers.py): links per paper,
repositories once however many papers link them, counts rebuilt in the transaction that changes
either, and the reads the commands make."""

from __future__ import annotations

import pytest

from trendbot.storage import code
from trendbot.storage import papers as db
from trendbot.storage.models import CODE_COVERAGE

from .test_storage_papers import collecting, listed  # noqa: F401 (a fixture)

RULE = "links-1"


def code_method(store):
    return next(m for m in store.methods().values() if m.is_code)


def agg(store):
    return db.Aggregate("cvpr", 2031, "trendbot-cvf", [code_method(store)], note="test")


def link(repo, *, own=True, host="github.com", why="first page"):
    return code.LinkRow(host, repo, f"https://{host}/{repo}", "code", own, why=why, pages=(1,))


def read(store, pid, *links):
    m = code_method(store)
    return db.PaperResult(pid, "ok", pages=8, rules={m.id: m.version}, links=links, links_rule=RULE)


def repo(name, outcome, *fws, when="2026-12-05T10:00:00+00:00", etag='"e1"'):
    evidence = tuple(code.EvidenceRow("requirements.txt", 1, f"{fw}>=1", fw) for fw in fws)
    return code.RepoRow(
        "github.com",
        name,
        outcome,
        "code-1",
        when,
        frameworks=fws,
        evidence=evidence,
        decided_by="manifests",
        etags={"repo": etag},
    )


@pytest.fixture
def venue_year(collecting):  # noqa: F811
    store = collecting
    db.save_listing(
        store.conn,
        venue_id="cvpr",
        year=2031,
        source_id="trendbot-cvf",
        population="accepted",
        papers=listed(6),
    )
    return store


def test_counts_follow_the_own_repository_and_wait_for_every_paper(venue_year):
    store, conn = venue_year, venue_year.conn
    results = [
        read(store, "cvf:CVPR2031:p0", link("Alice/Net"), link("pytorch/vision", own=False)),
        read(store, "cvf:CVPR2031:p1", link("alice/net")),  # the same repository, other case
        read(store, "cvf:CVPR2031:p2", link("bob/jaxy")),
        read(store, "cvf:CVPR2031:p3", link("carol/code", host="gitlab.com")),
        read(store, "cvf:CVPR2031:p4"),  # searched, no link
    ]
    totals = db.save_results(conn, results, aggregate=agg(store))
    assert totals is not None and not totals.written  # p5 is still pending
    assert (
        conn.execute("SELECT count(*) FROM paper_counts WHERE method_id LIKE 'code%'").fetchone()[0]
        == 0
    )

    totals = db.save_results(
        conn, [read(store, "cvf:CVPR2031:p5", link("dan/gone"))], aggregate=agg(store)
    )
    assert totals.written
    figures = totals.counts["code"]
    assert figures["accepted"] == 6 and figures["searched"] == 6 and figures["linked"] == 5
    assert figures["unread"] == 4 and figures["elsewhere"] == 1 and figures["pytorch"] == 0

    todo = code.repos_to_check(conn, "cvpr", 2031, rule="code-1")
    assert [(t.repo, t.papers) for t in todo] == [
        ("Alice/Net", 2),
        ("bob/jaxy", 1),
        ("dan/gone", 1),
    ]

    version = store.data_version()
    totals = db.save_repos(
        conn,
        [repo("Alice/Net", "pytorch", "pytorch"), repo("bob/jaxy", "several", "jax", "pytorch"),
         repo("dan/gone", "gone")],
        aggregate=agg(store),
    )  # fmt: skip
    figures = totals.counts["code"]
    assert (figures["pytorch"], figures["several"], figures["gone"], figures["unread"]) == (
        2,
        1,
        1,
        0,
    )
    rows = dict(
        conn.execute(
            "SELECT framework, papers FROM paper_counts WHERE method_id = ? AND venue_id = 'cvpr'",
            (code_method(store).id,),
        ).fetchall()
    )
    assert set(rows) == set(code_method(store).figures) | set(CODE_COVERAGE)
    total, population = conn.execute(
        "SELECT DISTINCT total_papers, population FROM paper_counts WHERE method_id = ?",
        (code_method(store).id,),
    ).fetchone()
    assert (total, population) == (3, "own code")  # two PyTorch papers and one several
    assert store.data_version() == version + 1  # the whole rebuild is one step
    assert code.repos_to_check(conn, "cvpr", 2031, rule="code-1") == []

    changes = conn.execute("SELECT changes FROM update_events ORDER BY id DESC").fetchone()[0]
    assert '"pytorch"' in changes and '"unread"' in changes, changes


def test_a_new_rule_or_an_old_check_makes_a_repository_due_again(venue_year):
    store, conn = venue_year, venue_year.conn
    db.save_results(conn, [read(store, "cvf:CVPR2031:p0", link("alice/net"))])
    db.save_repos(conn, [repo("alice/net", "pytorch", "pytorch", when="2026-10-01T00:00:00+00:00")])
    assert code.repos_to_check(conn, "cvpr", 2031, rule="code-1") == []
    due = code.repos_to_check(conn, "cvpr", 2031, rule="code-2")
    assert len(due) == 1 and due[0].previous.etags == {"repo": '"e1"'}
    due = code.repos_to_check(conn, "cvpr", 2031, rule="code-1", recheck_before="2026-11-01")
    assert [t.repo for t in due] == ["alice/net"]
    assert due[0].previous.evidence[0].text == "pytorch>=1"


def test_the_reads_give_a_papers_repository_and_the_papers_behind_a_figure(venue_year):
    store, conn = venue_year, venue_year.conn
    db.save_results(
        conn,
        [
            read(store, "cvf:CVPR2031:p0", link("alice/net", why="first page: 'Code: …'"),
                 link("pytorch/vision", own=False, why="cited tool")),
            read(store, "cvf:CVPR2031:p1", link("bob/tf")),
        ],
    )  # fmt: skip
    db.save_repos(
        conn, [repo("alice/net", "pytorch", "pytorch"), repo("bob/tf", "tensorflow", "tensorflow")]
    )
    found = code.paper_code(conn, "cvf:CVPR2031:p0")
    assert found.own.repo == "alice/net" and found.own.why.startswith("first page")
    assert [x.repo for x in found.links] == ["alice/net", "pytorch/vision"]
    assert (
        found.repo.outcome == "pytorch"
        and str(found.repo.evidence[0]) == "requirements.txt: pytorch>=1"
    )
    assert code.paper_code(conn, "cvf:CVPR2031:p5").links_rule is None  # never searched
    assert code.paper_code(conn, "nope") is None
    n, rows = code.papers_behind(conn, "cvpr", 2031, "tensorflow")
    assert n == 1 and rows[0].paper_id == "cvf:CVPR2031:p1" and rows[0].repo.repo == "bob/tf"
    assert code.read_span(conn, "cvpr", 2031) == ("2026-12-05T10:00:00+00:00",) * 2


def test_a_failed_repository_batch_leaves_nothing_half_written(venue_year):
    store, conn = venue_year, venue_year.conn
    db.save_results(conn, [read(store, "cvf:CVPR2031:p0", link("alice/net"))])
    bad = repo("x/y", "pytorch")
    bad = code.RepoRow(bad.host, bad.repo, bad.outcome, bad.rule, None)  # checked_at NOT NULL
    with pytest.raises(Exception):  # noqa: B017 (sqlite3.IntegrityError)
        db.save_repos(conn, [repo("alice/net", "pytorch", "pytorch"), bad], aggregate=agg(store))
    assert conn.execute("SELECT count(*) FROM code_repos").fetchone()[0] == 0


def test_a_run_without_the_code_method_keeps_a_papers_links(venue_year):
    store, conn = venue_year, venue_year.conn
    db.save_results(conn, [read(store, "cvf:CVPR2031:p0", link("alice/net"))])
    again = db.PaperResult("cvf:CVPR2031:p0", "ok", pages=8, rules={})  # links_rule None
    db.save_results(conn, [again])
    assert code.paper_code(conn, "cvf:CVPR2031:p0").own.repo == "alice/net"
