"""Per-paper collection state and the counts built from it (storage/papers.py)."""

from __future__ import annotations

import sqlite3

import pytest

from trendbot.storage import open_store, paper_queries
from trendbot.storage import papers as db


def listed(n: int, *, start: int = 0, main: bool = True) -> list[db.ListedPaper]:
    return [
        db.ListedPaper(
            f"cvf:CVPR2031:p{i}",
            f"Paper {i} on things",
            ("A. Author",),
            f"http://x/p{i}.pdf",
            "main" if main else "workshop",
            main,
        )
        for i in range(start, start + n)
    ]


@pytest.fixture
def collecting(store):
    db.ensure_source(
        store.conn,
        {
            "id": "trendbot-cvf",
            "name": "CVF",
            "url": "http://x",
            "citation": "c",
            "kind": "collection",
        },
    )
    store.conn.commit()
    store.refresh()
    return store


def methods(store):
    by_name = {m.name: m for m in store.methods().values()}
    return [by_name["final"], by_name["modern"]]


def mention(store, *fws, both=False):
    final, modern = methods(store)
    named = set(fws)
    excl = {"pytorch", "tensorflow"} <= named
    out = {
        final.id: [db.Mention(f, not excl, (f,)) for f in fws if f in ("pytorch", "tensorflow")],
        modern.id: [db.Mention(f, True, (f,)) for f in fws],
    }
    if both:
        out[modern.id].append(db.Mention("pytorch+tensorflow", True))
    return out


def ok(store, pid, *fws, both=False, pages=None):
    """An "ok" result naming ``fws``, read with the current rules."""
    return db.PaperResult(
        pid, "ok", pages=pages, mentions=mention(store, *fws, both=both), rules=rules(store)
    )


def rules(store):
    return {m.id: m.version for m in methods(store)}


def agg(store, note="accepted papers (test)"):
    return db.Aggregate("cvpr", 2031, "trendbot-cvf", methods(store), note=note)


def test_listing_then_results_then_counts_move_the_data_version_once(collecting):
    store = collecting
    conn = store.conn
    new = db.save_listing(
        conn, venue_id="cvpr", year=2031, source_id="trendbot-cvf", population="accepted",
        papers=listed(5) + listed(2, start=5, main=False),
    )  # fmt: skip
    assert new == 7
    todo = db.todo(conn, "cvpr", 2031, rules(store))
    assert [t.id for t in todo] == [f"cvf:CVPR2031:p{i}" for i in range(5)]  # main papers only
    v0 = store.data_version()
    first = [
        ok(store, todo[0].id, "pytorch", pages=9),
        ok(store, todo[1].id, "pytorch", "tensorflow", both=True, pages=9),
    ]
    assert db.save_results(conn, first) is None
    assert store.data_version() == v0  # per-paper rows alone publish nothing
    rest = [
        ok(store, todo[2].id, "jax", pages=3),
        db.PaperResult(todo[3].id, "no_text", "a scan", pages=4, rules=rules(store)),
        db.PaperResult(todo[4].id, "failed", "HTTP 500 three times"),
    ]  # fmt: skip
    totals = db.save_results(conn, rest, aggregate=agg(store))
    assert totals.written and totals.total == 5 and totals.failed == 1 and totals.no_text == 1
    assert totals.counts["final"] == {"pytorch": 1, "tensorflow": 0}
    modern = totals.counts["modern"]
    assert modern["pytorch"] == 2 and modern["tensorflow"] == 1 and modern["jax"] == 1
    assert modern["pytorch+tensorflow"] == 1 and modern["keras"] == 0
    assert store.data_version() == v0 + 1  # once per venue-year, however many rows changed
    row = store.venue_year("cvpr", 2031, "he2019-final")
    assert (row.pytorch, row.tensorflow, row.total_papers) == (1, 0, 5)
    assert row.source_id == "trendbot-cvf" and row.note == "accepted papers (test)"
    # Done papers are not read again; the failed one is retried on the next run.
    assert [t.id for t in db.todo(conn, "cvpr", 2031, rules(store))] == [todo[4].id]
    # The same results again change nothing and do not move the version.
    db.save_results(conn, [], aggregate=agg(store))
    assert store.data_version() == v0 + 1


def test_counts_wait_until_no_paper_is_pending(collecting):
    store = collecting
    db.save_listing(store.conn, venue_id="cvpr", year=2031, source_id="trendbot-cvf",
                    population="accepted", papers=listed(3))  # fmt: skip
    totals = db.save_results(
        store.conn,
        [ok(store, "cvf:CVPR2031:p0", "pytorch")],
        aggregate=agg(store),
    )  # fmt: skip
    assert not totals.written and totals.pending == 2
    assert store.venue_year("cvpr", 2031, "he2019-final") is None


def test_a_collected_figure_sits_beside_the_studys_and_never_replaces_it(collecting):
    store = collecting
    paper = db.ListedPaper("cvf:CVPR2019:x", "X", (), "http://x/x.pdf", "main", True)
    db.save_listing(store.conn, venue_id="cvpr", year=2019, source_id="trendbot-cvf",
                    population="accepted", papers=[paper])  # fmt: skip
    db.save_results(
        store.conn,
        [db.PaperResult(paper.id, "ok", mentions=mention(store, "tensorflow"), rules=rules(store))],
        aggregate=db.Aggregate("cvpr", 2019, "trendbot-cvf", methods(store)),
    )
    row = store.venue_year("cvpr", 2019, "he2019-final")
    assert (row.pytorch, row.tensorflow, row.total_papers) == (294, 148, 1294)  # the study's
    (collected,) = row.others
    assert collected.source_id == "trendbot-cvf" and (
        collected.tensorflow,
        collected.total_papers,
    ) == (1, 1)


def test_a_later_failure_never_erases_a_result(collecting):
    store = collecting
    db.save_listing(store.conn, venue_id="cvpr", year=2031, source_id="trendbot-cvf",
                    population="accepted", papers=listed(1))  # fmt: skip
    pid = "cvf:CVPR2031:p0"
    db.save_results(
        store.conn,
        [db.PaperResult(pid, "ok", mentions=mention(store, "pytorch"), rules=rules(store))],
    )
    db.save_results(store.conn, [db.PaperResult(pid, "failed", "timeout")])
    status, attempts = store.conn.execute(
        "SELECT status, attempts FROM papers WHERE id = ?", (pid,)
    ).fetchone()
    assert (status, attempts) == ("ok", 2)
    assert (
        store.conn.execute(
            "SELECT count(*) FROM paper_mentions WHERE paper_id = ?", (pid,)
        ).fetchone()[0]
        == 2  # pytorch under final and under modern
    )


def test_a_failed_batch_leaves_nothing_half_written(collecting):
    store = collecting
    db.save_listing(store.conn, venue_id="cvpr", year=2031, source_id="trendbot-cvf",
                    population="accepted", papers=listed(2))  # fmt: skip
    bad = db.PaperResult(
        "cvf:CVPR2031:p1", "ok", rules=rules(store),
        mentions={"no-such-method": [db.Mention("pytorch", True)]},  # violates the foreign key
    )  # fmt: skip
    good = db.PaperResult(
        "cvf:CVPR2031:p0", "ok", mentions=mention(store, "pytorch"), rules=rules(store)
    )
    with pytest.raises(sqlite3.IntegrityError):
        db.save_results(store.conn, [good, bad])
    assert store.conn.execute("SELECT count(*) FROM papers WHERE status = 'ok'").fetchone()[0] == 0


def test_titles_are_searchable_and_figures_list_their_papers(collecting):
    store = collecting
    titles = ["Deep Residual Learning for Image Recognition", "Attention Is All You Need"]
    papers = [
        db.ListedPaper(f"cvf:CVPR2031:{i}", t, (f"Author {i}",), "u", "main", True)
        for i, t in enumerate(titles)
    ]
    db.save_listing(store.conn, venue_id="cvpr", year=2031, source_id="trendbot-cvf",
                    population="accepted", papers=papers)  # fmt: skip
    db.save_results(store.conn, [
        db.PaperResult(papers[0].id, "ok", mentions=mention(store, "pytorch"), rules=rules(store)),
        db.PaperResult(papers[1].id, "ok", mentions=mention(store, "jax"), rules=rules(store)),
    ], aggregate=agg(store))  # fmt: skip
    (hit,) = paper_queries.find_papers(store.conn, ["residual", "image"])
    assert hit.title.startswith("Deep Residual") and hit.authors == ("Author 0",)
    final_id = methods(store)[0].id
    assert hit.mentions[final_id] == [("pytorch", True, "pytorch")]
    modern_id = methods(store)[1].id
    total, rows = paper_queries.papers_behind(store.conn, "cvpr", 2031, modern_id, "jax")
    assert total == 1 and rows[0].title == "Attention Is All You Need"
    assert paper_queries.find_papers(store.conn, ['"attention', "NEED)"])[0].id == papers[1].id
    assert (
        paper_queries.find_papers(store.conn, ["AND", "OR", "*"]) == []
    )  # FTS syntax never raises
    assert paper_queries.find_papers(store.conn, ["nothing-like-this"]) == []


def test_migration_keeps_the_seed_and_generalises_terms(tmp_path):
    from sqlite_utils import Database

    from trendbot.storage.connection import connect as _connect
    from trendbot.storage.opening import migrate
    from trendbot.storage.schema import MIGRATION_NAMES

    path = tmp_path / "v4.db"
    open_store(path).close()  # a current store, then rebuild a v4 one from scratch
    path.unlink()
    v4 = Database(_connect(path))
    migrate(v4, stop_before="0005_paper_collection")
    v4.conn.close()
    with open_store(path) as store:
        assert store.schema_version() == len(MIGRATION_NAMES)
        final = store.methods()["he2019-final"]
        assert final.terms["tensorflow"] == ("tensorflow", "keras", "opennmt-tf")
        assert store.venue_year("neurips", 2019, "he2019-final").pytorch == 182
        modern = next(m for m in store.methods().values() if m.name == "modern")
        assert "jax" in modern.terms and modern.both == ("pytorch", "tensorflow")
