"""The per-paper reads the commands and `collect --status` make: each venue-year's listing
state, the papers behind a figure (a page at a time), title search, one paper's provenance.

The writes that fill these tables are the collectors' (``storage.papers``); reads never change
them. Each function takes a connection, so callers run it through ``Store.read`` (one lock).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class VenueYearState:
    venue_id: str
    year: int
    source_id: str
    population: str
    fetched_at: str
    main: int
    states: dict[str, int]
    last_run: str | None
    last_status: str | None
    last_error: str | None = None  # the failed last run's one sentence
    last_recovered: int | None = None  # failed papers the last run read (None: it retried none)
    last_still_failing: int | None = None
    last_code_resets: str | None = None  # the last run spent GitHub's quota: when it resets

    @property
    def failed(self) -> int:
        return self.states.get("failed", 0)

    @property
    def no_text(self) -> int:
        return self.states.get("no_text", 0)

    @property
    def pending(self) -> int:
        return self.states.get("pending", 0)

    @property
    def read(self) -> int:
        return self.states.get("ok", 0) + self.no_text


def listing_states(
    conn: sqlite3.Connection, venue_id: str | None = None, year: int | None = None
) -> list[VenueYearState]:
    """Every listed venue-year with its papers per state and its last run."""
    where, params = [], []
    if venue_id is not None:
        where.append("l.venue_id = ?")
        params.append(venue_id)
    if year is not None:
        where.append("l.year = ?")
        params.append(year)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    listings = conn.execute(
        "SELECT l.venue_id, l.year, l.source_id, l.population, l.fetched_at, l.main"
        f" FROM paper_listings l {clause} ORDER BY l.venue_id, l.year",
        params,
    ).fetchall()
    out = []
    for vid, yr, src, pop, fetched, main in listings:
        states = dict(
            conn.execute(
                "SELECT status, count(*) FROM papers WHERE venue_id = ? AND year = ? AND main = 1"
                " GROUP BY status",
                (vid, yr),
            ).fetchall()
        )
        run = conn.execute(
            "SELECT coalesce(finished_at, started_at), status, json_extract(detail, '$.error'),"
            " json_extract(detail, '$.recovered'), json_extract(detail, '$.still_failing'),"
            " json_extract(detail, '$.code.quota.resets_at') FROM collection_runs"
            " WHERE collector = 'papers' AND json_extract(detail, '$.venue_id') = ?"
            " AND json_extract(detail, '$.year') = ? ORDER BY id DESC LIMIT 1",
            (vid, yr),
        ).fetchone()
        last, status, error, recovered, still, resets = run if run else (None,) * 6
        state = (vid, yr, src, pop, fetched, main, states, last, status, error, recovered)
        out.append(VenueYearState(*state, still, resets))
    return out


@dataclass(frozen=True)
class UnlistedRun:
    """A venue-year whose newest paper run stored no listing: it failed to list (a source
    down, OpenReview without credentials) or never finished."""

    venue_id: str
    year: int
    source_id: str
    last_run: str
    status: str
    error: str | None


def unlisted_runs(conn: sqlite3.Connection) -> list[UnlistedRun]:
    """Every venue-year a paper run was started for and no listing is stored, with its newest
    run: `collect --status` shows them beside the listed ones, failure and all."""
    rows = conn.execute(
        "SELECT v, y, json_extract(r.detail, '$.source'), coalesce(r.finished_at, r.started_at),"
        " r.status, json_extract(r.detail, '$.error')"
        " FROM collection_runs r JOIN (SELECT json_extract(detail, '$.venue_id') AS v,"
        " json_extract(detail, '$.year') AS y, max(id) AS id FROM collection_runs"
        " WHERE collector = 'papers' GROUP BY v, y) m ON m.id = r.id"
        " WHERE v IS NOT NULL AND NOT EXISTS (SELECT 1 FROM paper_listings l"
        " WHERE l.venue_id = m.v AND l.year = m.y) ORDER BY v, y"
    ).fetchall()
    return [UnlistedRun(v, int(y), src or "", at or "", st, err) for v, y, src, at, st, err in rows]


def failures(conn: sqlite3.Connection) -> dict[tuple[str, int], tuple[int, int]]:
    """(venue, year) → (failed, no text) main papers, for venue-years that have any."""
    rows = conn.execute(
        "SELECT venue_id, year, sum(status = 'failed'), sum(status = 'no_text') FROM papers"
        " WHERE main = 1 AND status IN ('failed', 'no_text') GROUP BY venue_id, year"
    ).fetchall()
    return {(v, y): (f or 0, n or 0) for v, y, f, n in rows}


@dataclass(frozen=True)
class PaperRow:
    id: str
    venue_id: str
    year: int
    title: str
    authors: tuple[str, ...]
    pdf_url: str | None
    page_url: str | None
    track: str
    main: bool
    status: str
    reason: str
    pages: int | None
    # method id → [(framework, counted, matched terms)]
    mentions: dict[str, list[tuple[str, bool, str]]] = field(default_factory=dict)


_PAPER_COLS = (
    "p.id, p.venue_id, p.year, p.title, p.authors, p.pdf_url, p.page_url, p.track, p.main,"
    " p.status, p.reason, p.pages"
)


def _paper(row: tuple) -> PaperRow:
    pid, vid, yr, title, authors, pdf, page, track, main, status, reason, pages = row
    names = tuple(json.loads(authors or "[]"))
    return PaperRow(pid, vid, yr, title, names, pdf, page, track, bool(main), status, reason, pages)


def _with_mentions(conn: sqlite3.Connection, papers: list[PaperRow]) -> list[PaperRow]:
    if not papers:
        return papers
    by_id = {p.id: p for p in papers}
    rows = conn.execute(
        "SELECT paper_id, method_id, framework, counted, matched_terms FROM paper_mentions"
        f" WHERE paper_id IN ({','.join('?' * len(by_id))}) ORDER BY rowid",
        list(by_id),
    ).fetchall()
    for pid, method_id, fw, counted, terms in rows:
        by_id[pid].mentions.setdefault(method_id, []).append((fw, bool(counted), terms))
    return papers


def papers_behind(
    conn: sqlite3.Connection,
    venue_id: str,
    year: int,
    method_id: str,
    figure: str | None,
    *,
    limit: int = 10,
    offset: int = 0,
    status: str | None = None,
) -> tuple[int, list[PaperRow]]:
    """The main papers a figure counts (all read papers when ``figure`` is None, or only those
    in ``status`` — ``failed``, ``no_text``), a page of them by title, and how many there are.

    One pass: the matching rows in title order (their number is the total), then the page's
    rows by rowid. The join is driven from the venue-year's papers (``CROSS JOIN`` fixes that
    order): left to itself the planner walks the framework's index across every venue-year,
    30-130 ms at 100,000 papers, where this costs what one venue-year's papers cost."""
    if figure is None:
        states = (status,) if status else ("ok", "no_text", "failed")
        sql = (
            "SELECT p.rowid FROM papers p WHERE p.venue_id = ? AND p.year = ? AND p.main = 1"
            f" AND p.status IN ({','.join('?' * len(states))})"
        )
        params: list = [venue_id, year, *states]
    else:
        sql = (
            "SELECT p.rowid FROM papers p CROSS JOIN paper_mentions pm ON pm.paper_id = p.id"
            " WHERE p.venue_id = ? AND p.year = ? AND p.main = 1 AND pm.method_id = ?"
            " AND pm.framework = ? AND pm.counted = 1"
        )
        params = [venue_id, year, method_id, figure]
    # rowid breaks ties, so papers with the same title keep their page from one call to the next.
    ids = [r[0] for r in conn.execute(sql + " ORDER BY p.title COLLATE NOCASE, p.rowid", params)]
    page = ids[max(offset, 0) : max(offset, 0) + max(limit, 0)]
    if not page:
        return len(ids), []
    found = {
        r[0]: _paper(r[1:])
        for r in conn.execute(
            f"SELECT p.rowid, {_PAPER_COLS} FROM papers p"
            f" WHERE p.rowid IN ({','.join('?' * len(page))})",
            page,
        )
    }
    return len(ids), _with_mentions(conn, [found[i] for i in page if i in found])


def find_papers(conn: sqlite3.Connection, words: Sequence[str], limit: int = 5) -> list[PaperRow]:
    """Papers whose title has all ``words`` (full-text search, best match first)."""
    return search_titles(conn, words, limit)[1]


# bm25 costs about 2 µs per matching title: one common word over 100,000 titles (tens of
# thousands of matches) took 60-110 ms to rank in full. Past this many matches the words are
# too vague to have a best match anyway (a reply asks for more of the title).
RANKED_AT_MOST = 2_000


def search_titles(
    conn: sqlite3.Connection, words: Sequence[str], limit: int = 5
) -> tuple[int, list[PaperRow]]:
    """How many titles have all ``words`` (any order; case and accents ignored), and the best
    ``limit`` of them by bm25, ranked among the first ``RANKED_AT_MOST`` matches."""
    terms = [w.replace('"', "") for w in words if w.replace('"', "").strip()]
    if not terms:
        return 0, []
    query = " ".join(f'"{t}"' for t in terms)
    try:
        total = conn.execute(
            "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?", (query,)
        ).fetchone()[0]
        rows = conn.execute(
            f"SELECT {_PAPER_COLS} FROM (SELECT rowid, rank FROM papers_fts"
            " WHERE papers_fts MATCH ? LIMIT ?) AS hit JOIN papers p ON p.rowid = hit.rowid"
            " ORDER BY hit.rank LIMIT ?",
            (query, RANKED_AT_MOST, limit),
        ).fetchall()
    except sqlite3.OperationalError:  # a query FTS cannot parse finds nothing
        return 0, []
    return total, _with_mentions(conn, [_paper(r) for r in rows])


@dataclass(frozen=True)
class PaperProvenance:
    """Where one paper's row came from and when it was read (for `!paper`)."""

    source_id: str
    listed_at: str  # when a listing named it
    checked_at: str | None  # when it was last read (None: never)
    attempts: int
    rules: dict[str, str]  # method id → the rule version it was read with


def paper_provenance(conn: sqlite3.Connection, paper_id: str) -> PaperProvenance | None:
    row = conn.execute(
        "SELECT source_id, collected_at, checked_at, attempts, rules FROM papers WHERE id = ?",
        (paper_id,),
    ).fetchone()
    if row is None:
        return None
    src, listed, checked, attempts, rules = row
    return PaperProvenance(src, listed, checked, attempts, dict(json.loads(rules or "{}")))


def link_width(conn: sqlite3.Connection, venue_id: str, year: int) -> int:
    """The longest link a page of this venue-year may have to show (each paper's PDF, else its
    landing page): a reply sizes its pages by it, the same for every page, so page N always
    holds the same papers. One indexed pass over the venue-year."""
    row = conn.execute(
        "SELECT max(length(coalesce(pdf_url, page_url))) FROM papers"
        " WHERE venue_id = ? AND year = ? AND main = 1",
        (venue_id, year),
    ).fetchone()
    return int(row[0] or 0)


def read_with(conn: sqlite3.Connection, venue_id: str, year: int, method_id: str) -> bool:
    """Whether any paper of the venue-year was read with ``method_id``'s rules (a method that
    was never applied has no per-paper results, only, perhaps, a study's published counts)."""
    row = conn.execute(
        "SELECT 1 FROM papers WHERE venue_id = ? AND year = ? AND main = 1 AND status = 'ok'"
        " AND json_type(rules, '$.\"' || ? || '\"') IS NOT NULL LIMIT 1",
        (venue_id, year, method_id),
    ).fetchone()
    return row is not None


def listed_venue_years(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Every venue-year with a stored listing, by venue then year."""
    rows = conn.execute("SELECT venue_id, year FROM paper_listings ORDER BY venue_id, year")
    return [(v, y) for v, y in rows]
