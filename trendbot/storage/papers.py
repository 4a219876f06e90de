"""Per-paper collection state, and the counts built from it (the SQL of the paper collectors).

A collection keeps, for every paper a source lists, its state (pending, then ok / no_text /
failed with the reason) and, per counting method, every framework it names with the matched
terms and whether it counts. ``paper_counts`` rows of a collected venue-year are never written
paper by paper: ``save_results(..., aggregate=…)`` recomputes them from the per-paper rows in the
same transaction as the last batch of results, so a reader sees a venue-year's numbers change
once, completely, and a crash leaves either all of it or none of it. Papers never change after
publication, so a paper read with the current rule versions is never fetched again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from trendbot.storage.data_version import one_step
from trendbot.storage.data_version import read as read_version
from trendbot.storage.models import Method
from trendbot.storage.version import PAPER_COUNTS_PK

DONE = ("ok", "no_text")  # a paper in one of these states is not read again (same rules)
STATUSES = ("pending", "ok", "no_text", "failed", "listed")  # listed: another track, not read


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# -- writing --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ListedPaper:
    """A paper as a listing gives it (the storage side of ``collectors.papers.PaperRef``)."""

    id: str
    title: str
    authors: tuple[str, ...]
    pdf_url: str | None
    track: str
    main: bool
    page_url: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Mention:
    framework: str  # a framework id, or a pair figure such as "pytorch+tensorflow"
    counted: bool  # adds one to the figure under this method
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaperResult:
    """What reading one paper found. ``mentions`` is keyed by method id; ``rules`` records the
    method versions it was read with (a paper read with older rules is read again)."""

    id: str
    status: str  # ok | no_text | failed
    reason: str = ""
    pages: int | None = None
    mentions: Mapping[str, Sequence[Mention]] = field(default_factory=dict)
    rules: Mapping[str, str] = field(default_factory=dict)


def ensure_source(conn: sqlite3.Connection, source: Mapping[str, str]) -> None:
    """Create or refresh a collector's ``sources`` row (id, name, url, citation, kind)."""
    conn.execute(
        "INSERT INTO sources (id, name, url, citation, kind, collected_at)"
        " VALUES (:id, :name, :url, :citation, :kind, :collected_at)"
        " ON CONFLICT(id) DO UPDATE SET name = excluded.name, url = excluded.url,"
        " citation = excluded.citation, kind = excluded.kind,"
        " collected_at = coalesce(excluded.collected_at, sources.collected_at)",
        {"collected_at": None, **source},
    )


def save_listing(
    conn: sqlite3.Connection,
    *,
    venue_id: str,
    year: int,
    source_id: str,
    population: str,
    papers: Sequence[ListedPaper],
    urls: Sequence[str] = (),
    notes: Sequence[str] = (),
    tracks: Mapping[str, int] | None = None,
    fetched_at: str | None = None,
) -> int:
    """Record a venue-year's listing in one transaction; returns how many papers are new.

    Known papers keep their state and results (a title fixed on the site is updated); new main
    papers start ``pending``; papers of other tracks are ``listed`` (recorded, not read)."""
    fetched_at = fetched_at or now_iso()
    with conn:
        before = conn.execute(
            "SELECT count(*) FROM papers WHERE venue_id = ? AND year = ?", (venue_id, year)
        ).fetchone()[0]
        conn.executemany(
            "INSERT INTO papers (id, venue_id, year, title, authors, pdf_url, source_id,"
            " collected_at, track, main, page_url, note, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET title = excluded.title, authors = excluded.authors,"
            " pdf_url = excluded.pdf_url, track = excluded.track, main = excluded.main,"
            " page_url = excluded.page_url, note = excluded.note,"
            " status = CASE WHEN papers.status = 'listed' AND excluded.main = 1 THEN 'pending'"
            " WHEN excluded.main = 0 AND papers.status = 'pending' THEN 'listed'"
            " ELSE papers.status END",
            [
                (
                    p.id,
                    venue_id,
                    year,
                    p.title,
                    json.dumps(list(p.authors), ensure_ascii=False),
                    p.pdf_url,
                    source_id,
                    fetched_at,
                    p.track,
                    int(p.main),
                    p.page_url,
                    p.note,
                    "pending" if p.main else "listed",
                )
                for p in papers
            ],
        )
        after = conn.execute(
            "SELECT count(*) FROM papers WHERE venue_id = ? AND year = ?", (venue_id, year)
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO paper_listings (venue_id, year, source_id, population, papers, main,"
            " tracks, urls, notes, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(venue_id, year) DO UPDATE SET source_id = excluded.source_id,"
            " population = excluded.population, papers = excluded.papers, main = excluded.main,"
            " tracks = excluded.tracks, urls = excluded.urls, notes = excluded.notes,"
            " fetched_at = excluded.fetched_at",
            (
                venue_id,
                year,
                source_id,
                population,
                len(papers),
                sum(1 for p in papers if p.main),
                json.dumps(dict(tracks or {})),
                json.dumps(list(urls)),
                json.dumps(list(notes), ensure_ascii=False),
                fetched_at,
            ),
        )
    return after - before


@dataclass(frozen=True)
class Todo:
    id: str
    title: str
    pdf_url: str | None
    main: bool
    attempts: int
    status: str


def todo(
    conn: sqlite3.Connection,
    venue_id: str,
    year: int,
    rules: Mapping[str, str],
    *,
    all_tracks: bool = False,
) -> list[Todo]:
    """Papers of a venue-year still to read: never read, failed before (retried on every run,
    as the study counted failures in the total), or read with other rule versions."""
    current = json.dumps(dict(sorted(rules.items())))
    rows = conn.execute(
        "SELECT id, title, pdf_url, main, attempts, status, rules FROM papers"
        " WHERE venue_id = ? AND year = ? AND (main = 1 OR ?) ORDER BY rowid",
        (venue_id, year, int(all_tracks)),
    ).fetchall()
    out = []
    for pid, title, url, main, attempts, status, done_rules in rows:
        if status == "no_text":
            continue
        if status == "ok" and done_rules == current:
            continue
        out.append(Todo(pid, title, url, bool(main), attempts, status))
    return out


@dataclass(frozen=True)
class Aggregate:
    """A venue-year's counts recomputed from its papers, for one source."""

    venue_id: str
    year: int
    source_id: str
    methods: Sequence[Method]
    population: str = "accepted"  # what the total counts (the `population` column)
    note: str = ""  # in words, e.g. "accepted main-conference papers (long + short)"


@dataclass(frozen=True)
class Totals:
    total: int
    pending: int
    failed: int
    no_text: int
    counts: dict[str, dict[str, int]]  # method name → figure → papers
    written: bool  # False while papers are pending: the counts were not published
    data_version: int


def save_results(
    conn: sqlite3.Connection, results: Iterable[PaperResult], *, aggregate: Aggregate | None = None
) -> Totals | None:
    """Store a batch of per-paper results in one transaction, and with ``aggregate`` rebuild that
    venue-year's ``paper_counts`` from all its papers in the same transaction."""
    stamp = now_iso()
    with conn:
        for r in results:
            if r.status == "failed":
                # A paper that was read before keeps what was found (a later download failure
                # does not erase a result); one never read records why it could not be.
                conn.execute(
                    "UPDATE papers SET status = CASE WHEN status IN ('ok', 'no_text') THEN status"
                    " ELSE 'failed' END, reason = ?, attempts = attempts + 1, checked_at = ?"
                    " WHERE id = ?",
                    (r.reason, stamp, r.id),
                )
                continue
            conn.execute(
                "UPDATE papers SET status = ?, reason = ?, pages = ?, attempts = attempts + 1,"
                " checked_at = ?, rules = ? WHERE id = ?",
                (
                    r.status,
                    r.reason,
                    r.pages,
                    stamp,
                    json.dumps(dict(sorted(r.rules.items()))),
                    r.id,
                ),
            )
            conn.execute("DELETE FROM paper_mentions WHERE paper_id = ?", (r.id,))
            conn.executemany(
                "INSERT INTO paper_mentions (paper_id, method_id, framework, matched_terms,"
                " collected_at, counted) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (r.id, method_id, m.framework, ", ".join(m.terms), stamp, int(m.counted))
                    for method_id, mentions in r.mentions.items()
                    for m in mentions
                ],
            )
        return _aggregate(conn, aggregate, stamp) if aggregate is not None else None


def _aggregate(conn: sqlite3.Connection, agg: Aggregate, stamp: str) -> Totals:
    key = (agg.venue_id, agg.year)
    states = dict(
        conn.execute(
            "SELECT status, count(*) FROM papers WHERE venue_id = ? AND year = ? AND main = 1"
            " GROUP BY status",
            key,
        ).fetchall()
    )
    total = sum(states.values())
    pending = states.get("pending", 0)
    counts: dict[str, dict[str, int]] = {}
    for method in agg.methods:
        found = dict(
            conn.execute(
                "SELECT pm.framework, count(*) FROM paper_mentions pm"
                " JOIN papers p ON p.id = pm.paper_id"
                " WHERE p.venue_id = ? AND p.year = ? AND p.main = 1 AND pm.method_id = ?"
                " AND pm.counted = 1 GROUP BY pm.framework",
                (*key, method.id),
            ).fetchall()
        )
        counts[method.name] = {fig: found.get(fig, 0) for fig in method.figures}
    written = pending == 0 and total > 0
    if written:
        _write_counts(conn, agg, key, counts, total, stamp)
    return Totals(
        total=total,
        pending=pending,
        failed=states.get("failed", 0),
        no_text=states.get("no_text", 0),
        counts=counts,
        written=written,
        data_version=read_version(conn),
    )


def _write_counts(
    conn: sqlite3.Connection,
    agg: Aggregate,
    key: tuple[str, int],
    counts: dict[str, dict[str, int]],
    total: int,
    stamp: str,
) -> None:
    """The venue-year's ``paper_counts`` rows for its source, as one step of the data version:
    row triggers bump it per changed row, readers see the venue-year change once. When a
    figure changed, an update event (old → new per figure) goes into the outbox in the same
    transaction, so subscribed channels hear of exactly what was committed."""
    cols = ", ".join(PAPER_COUNTS_PK)
    old = _stored_figures(conn, key, agg.source_id)
    with one_step(conn):
        for method in agg.methods:
            figures = counts[method.name]
            conn.execute(
                "DELETE FROM paper_counts WHERE venue_id = ? AND year = ? AND method_id = ?"
                f" AND source_id = ? AND framework NOT IN ({','.join('?' * len(figures))})",
                (*key, method.id, agg.source_id, *figures),
            )
            conn.executemany(
                "INSERT INTO paper_counts (venue_id, year, method_id, framework, source_id,"
                " papers, total_papers, population, note, collected_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                f" ON CONFLICT({cols}) DO UPDATE SET papers = excluded.papers,"
                " total_papers = excluded.total_papers, population = excluded.population,"
                " note = excluded.note, collected_at = CASE WHEN paper_counts.papers"
                " IS excluded.papers AND paper_counts.total_papers IS excluded.total_papers"
                " THEN paper_counts.collected_at ELSE excluded.collected_at END",
                [
                    (*key, method.id, fig, agg.source_id, n, total, agg.population, agg.note, stamp)
                    for fig, n in figures.items()
                ],
            )
    conn.execute("UPDATE sources SET collected_at = ? WHERE id = ?", (stamp[:10], agg.source_id))
    _record_update(conn, agg, key, old, counts, total)


def _stored_figures(
    conn: sqlite3.Connection, key: tuple[str, int], source_id: str
) -> dict[str, dict[str, int]]:
    """method id → figure → papers (and ``total``) as stored for a venue-year and source."""
    out: dict[str, dict[str, int]] = {}
    for method_id, fig, papers, total in conn.execute(
        "SELECT method_id, framework, papers, total_papers FROM paper_counts"
        " WHERE venue_id = ? AND year = ? AND source_id = ?",
        (*key, source_id),
    ):
        figures = out.setdefault(method_id, {})
        figures[fig] = papers
        figures["total"] = total
    return out


def _record_update(
    conn: sqlite3.Connection,
    agg: Aggregate,
    key: tuple[str, int],
    old: dict[str, dict[str, int]],
    counts: dict[str, dict[str, int]],
    total: int,
) -> None:
    """The outbox event for a venue-year whose figures changed (none if nothing did)."""
    from trendbot.storage import outbox

    changes: list[outbox.Change] = []
    for method in agg.methods:
        new = {**counts[method.name], "total": total}
        changes += outbox.changes_between(old.get(method.id, {}), new, group=method.name)
    if not changes:
        return
    row = conn.execute("SELECT name FROM venues WHERE id = ?", (key[0],)).fetchone()
    name = row[0] if row else key[0]
    source = conn.execute("SELECT name FROM sources WHERE id = ?", (agg.source_id,)).fetchone()
    outbox.record(
        conn,
        outbox.paper_topics(key[0]),
        changes,
        kind=outbox.PAPERS,
        title=f"{name} {key[1]}",
        detail={
            "venue_id": key[0],
            "venue": name,
            "year": key[1],
            "source_id": agg.source_id,
            "source": source[0] if source else agg.source_id,
            "population": agg.note or agg.population,
            "methods": [m.name for m in agg.methods],
            "chart": f"chart {name}",
        },
    )


def start_run(conn: sqlite3.Connection, collector: str, detail: Mapping | None = None) -> int:
    with conn:
        cur = conn.execute(
            "INSERT INTO collection_runs (collector, started_at, status, detail)"
            " VALUES (?, ?, 'running', ?)",
            (collector, now_iso(), json.dumps(dict(detail or {}), ensure_ascii=False)),
        )
    return int(cur.lastrowid or 0)


def finish_run(
    conn: sqlite3.Connection, run_id: int, status: str, items: int, detail: Mapping
) -> None:
    with conn:
        conn.execute(
            "UPDATE collection_runs SET finished_at = ?, status = ?, items = ?, detail = ?"
            " WHERE id = ?",
            (now_iso(), status, items, json.dumps(dict(detail), ensure_ascii=False), run_id),
        )


# -- reading --------------------------------------------------------------------------------------
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
            "SELECT coalesce(finished_at, started_at), status FROM collection_runs"
            " WHERE collector = 'papers' AND json_extract(detail, '$.venue_id') = ?"
            " AND json_extract(detail, '$.year') = ? ORDER BY id DESC LIMIT 1",
            (vid, yr),
        ).fetchone()
        last, status = run if run else (None, None)
        out.append(VenueYearState(vid, yr, src, pop, fetched, main, states, last, status))
    return out


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
