"""Per-paper collection state, and the counts built from it (the SQL of the paper collectors).

A collection keeps, for every paper a source lists, its state (pending, then ok / no_text /
failed with the reason) and, per counting method, every framework it names with the matched
terms and whether it counts. ``paper_counts`` rows of a collected venue-year are never written
paper by paper: ``save_results(..., aggregate=…)`` recomputes them from the per-paper rows in the
same transaction as the last batch of results, so a reader sees a venue-year's numbers change
once, completely, and a crash leaves either all of it or none of it. Papers never change after
publication, so a paper read with the current rule versions is never fetched again.

A paper that could not be read is retried by later runs at a cost that fits why it failed: a
transient fault (5xx after the retries, a timeout, a quota) on every run, a permanent one (a 404,
a file that is not a PDF, no PDF link) at most every ``RETRY_PERMANENT_DAYS`` days, or at once
when asked (``--refresh``) or when the listing gives it a new PDF link.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from trendbot.storage import code, outbox
from trendbot.storage.clock import now_iso
from trendbot.storage.data_version import one_step
from trendbot.storage.data_version import read as read_version
from trendbot.storage.models import Method
from trendbot.storage.version import PAPER_COUNTS_PK

UNREAD = "unread"  # the outbox figure: main papers that could not be read
DONE = ("ok", "no_text")  # a paper in one of these states is not read again (same rules)
STATUSES = ("pending", "ok", "no_text", "failed", "listed")  # listed: another track, not read
# A permanent failure (404, not a PDF) is not worth a download on every daily run: the file will
# not appear by itself. A month is short enough to catch a fixed link, long enough to cost little.
RETRY_PERMANENT_DAYS = 30


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
    permanent: bool = False  # failed for a reason a retry tomorrow will not fix (404, not a PDF)
    # The repository links its text gives, and the link rule's version (None: not searched,
    # e.g. a run without the code method; its stored links are then left as they were).
    links: Sequence[code.LinkRow] = ()
    links_rule: str | None = None


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
            " retry_at = CASE WHEN excluded.pdf_url IS NOT papers.pdf_url THEN NULL"
            " ELSE papers.retry_at END,"
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
    retry_permanent: bool = False,
    now: str | None = None,
) -> list[Todo]:
    """Papers of a venue-year still to read: never read, failed before and due for a retry (a
    transient failure on every run; a permanent one once its ``retry_at`` has passed, or with
    ``retry_permanent``), or read with other rule versions."""
    current = json.dumps(dict(sorted(rules.items())))
    now = now or now_iso()
    rows = conn.execute(
        "SELECT id, title, pdf_url, main, attempts, status, rules, retry_at FROM papers"
        " WHERE venue_id = ? AND year = ? AND (main = 1 OR ?) ORDER BY rowid",
        (venue_id, year, int(all_tracks)),
    ).fetchall()
    out = []
    for pid, title, url, main, attempts, status, done_rules, retry_at in rows:
        if status == "no_text":
            continue
        if status == "ok" and done_rules == current:
            continue
        if status == "failed" and retry_at and retry_at > now and not retry_permanent:
            continue
        out.append(Todo(pid, title, url, bool(main), attempts, status))
    return out


def retry_due(
    conn: sqlite3.Connection, venue_ids: Iterable[str] | None = None, *, now: str | None = None
) -> list[tuple[str, int, int]]:
    """(venue id, year, papers) of every listed venue-year with failed main papers due for a
    retry now: what a run that names other years still retries ("retried on every later run")."""
    now = now or now_iso()
    rows = conn.execute(
        "SELECT p.venue_id, p.year, count(*) FROM papers p JOIN paper_listings l"
        " ON l.venue_id = p.venue_id AND l.year = p.year"
        " WHERE p.status = 'failed' AND p.main = 1 AND (p.retry_at IS NULL OR p.retry_at <= ?)"
        " GROUP BY p.venue_id, p.year ORDER BY p.year, p.venue_id",
        (now,),
    ).fetchall()
    wanted = None if venue_ids is None else set(venue_ids)
    return [(v, y, n) for v, y, n in rows if wanted is None or v in wanted]


def _retry_at(stamp: str, permanent: bool) -> str | None:
    if not permanent:
        return None
    when = datetime.fromisoformat(stamp) + timedelta(days=RETRY_PERMANENT_DAYS)
    return when.isoformat(timespec="seconds")


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
                    " ELSE 'failed' END, reason = ?, attempts = attempts + 1, checked_at = ?,"
                    " retry_at = ? WHERE id = ?",
                    (r.reason, stamp, _retry_at(stamp, r.permanent), r.id),
                )
                continue
            conn.execute(
                "UPDATE papers SET status = ?, reason = ?, pages = ?, attempts = attempts + 1,"
                " checked_at = ?, rules = ?, retry_at = NULL WHERE id = ?",
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
            if r.links_rule is not None and r.status == "ok":
                code.write_links(conn, r.id, r.links, r.links_rule, stamp)
        return _aggregate(conn, aggregate, stamp) if aggregate is not None else None


def save_repos(
    conn: sqlite3.Connection, rows: Iterable[code.RepoRow], *, aggregate: Aggregate | None = None
) -> Totals | None:
    """Store repository checks (the ``code`` method) in one transaction; with ``aggregate``
    (naming the code method) rebuild that venue-year's counts in the same transaction."""
    stamp = now_iso()
    with conn:
        code.upsert_repos(conn, rows)
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
    totals: dict[str, int] = {}
    for method in agg.methods:
        if method.is_code:  # figures of repositories, over the papers that link their own
            counts[method.name], totals[method.name] = code.counts(conn, *key, method)
            continue
        totals[method.name] = total
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
        _write_counts(conn, agg, key, counts, totals, states.get("failed", 0), stamp)
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
    totals: dict[str, int],
    failed: int,
    stamp: str,
) -> None:
    """The venue-year's ``paper_counts`` rows for its source, as one step of the data version:
    row triggers bump it per changed row, readers see the venue-year change once. When a
    figure changed, an update event (old → new per figure) goes into the outbox in the same
    transaction, so subscribed channels hear of exactly what was committed. How many papers
    could not be read is one of those figures once published (replies say it): a later run
    that recovers failed papers is news even when they name no framework."""
    cols = ", ".join(PAPER_COUNTS_PK)
    old = _stored_figures(conn, key, agg.source_id)
    row = conn.execute(
        "SELECT published_failed FROM paper_listings WHERE venue_id = ? AND year = ?", key
    ).fetchone()
    old_failed = row[0] if row else None
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
                    (
                        *key,
                        method.id,
                        fig,
                        agg.source_id,
                        n,
                        totals[method.name],
                        *_who(method, agg),
                        stamp,
                    )
                    for fig, n in figures.items()
                ],
            )
    conn.execute("UPDATE sources SET collected_at = ? WHERE id = ?", (stamp[:10], agg.source_id))
    conn.execute(
        "UPDATE paper_listings SET published_failed = ? WHERE venue_id = ? AND year = ?",
        (failed, *key),
    )
    unread = [] if not old or old_failed in (None, failed) else [
        outbox.Change(UNREAD, old_failed, failed)
    ]  # fmt: skip
    _record_update(conn, agg, key, old, counts, totals, unread)


# The ``code`` method's population, as ``paper_counts.population`` and ``note`` say it.
CODE_POPULATION = "own code"
CODE_NOTE = "papers that link their own code, whose repository was read"


def _who(method: Method, agg: Aggregate) -> tuple[str, str]:
    """(population, note) of a method's rows: the venue-year's, or the code method's own."""
    if method.is_code:
        return CODE_POPULATION, CODE_NOTE
    return agg.population, agg.note


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
    totals: dict[str, int],
    extra: Sequence[outbox.Change] = (),
) -> None:
    """The outbox event for a venue-year whose figures changed (none if nothing did)."""
    changes: list[outbox.Change] = []
    for method in agg.methods:
        new = {**counts[method.name], "total": totals[method.name]}
        changes += outbox.changes_between(old.get(method.id, {}), new, group=method.name)
    changes += extra
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
