"""The SQL of the ``code`` method: links found in papers, the repositories they name, and the
counts built from both.

Why two tables: links belong to a paper (found once, when its text is read), a repository's
framework belongs to the repository (read once from GitHub however many papers link it, and
re-checked with its ETags). The method's counts join them: a main paper whose text was searched
counts under its **own** repository's outcome. ``paper_counts`` rows of the method are rebuilt from
these tables in the transaction that changes them (``storage.papers.save_results`` for links,
``storage.papers.save_repos`` for repositories), so a reader never sees a figure the tables
do not back.

Figures (see ``models.CODE_OUTCOMES`` and ``CODE_COVERAGE``): per framework, ``several`` and
``none`` (their sum is ``total_papers``, the share's denominator: papers whose own repository was
read); and the population around them: ``accepted`` (main papers), ``searched`` (their text was
searched for links), ``linked`` (they link their own code), and of those ``gone`` (404),
``empty``, ``elsewhere`` (GitLab: not read by this rule) and ``unread`` (not read yet: a spent
quota leaves them for a later run).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from trendbot.storage.models import CODE_OUTCOMES, Method

GITHUB = "github.com"
GONE, EMPTY, ELSEWHERE, UNREAD = "gone", "empty", "elsewhere", "unread"
# A repository read more than this long ago is asked again (one 304 if nobody pushed to it).
RECHECK_DAYS = 30


@dataclass(frozen=True)
class LinkRow:
    """One repository or model link in a paper (``collectors.codelinks.CodeLink`` as stored)."""

    host: str
    repo: str
    url: str
    kind: str  # code | model | dataset | space
    own: bool
    tool: bool = False
    why: str = ""
    pages: tuple[int, ...] = ()
    first_page: bool = False
    abstract: bool = False
    code_sentence: bool = False

    @property
    def key(self) -> str:
        return repo_key(self.host, self.repo)


@dataclass(frozen=True)
class EvidenceRow:
    file: str
    line: int
    text: str
    framework: str  # a framework id

    def __str__(self) -> str:
        return f"{self.file}: {self.text}"


@dataclass(frozen=True)
class RepoRow:
    """What one check of a repository found (``collectors.code.repo.CodeCheck`` as stored).

    ``outcome``: a framework id (``pytorch``), ``several``, ``none``, ``gone`` or ``empty``."""

    host: str
    repo: str
    outcome: str
    rule: str
    checked_at: str
    frameworks: tuple[str, ...] = ()
    evidence: tuple[EvidenceRow, ...] = ()
    decided_by: str | None = None
    read: tuple[str, ...] = ()
    moved_to: str | None = None
    default_branch: str | None = None
    etags: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    sbom_python: bool = False
    api_requests: int = 0
    raw_requests: int = 0

    @property
    def key(self) -> str:
        return repo_key(self.host, self.repo)


def repo_key(host: str, repo: str) -> str:
    """``github.com/owner/name`` in lower case: GitHub's names are case-insensitive, so two
    papers linking ``Alice/Net`` and ``alice/net`` link one repository."""
    return f"{host}/{repo}".lower()


# -- writing ---------------------------------------------------------------------------------------
def write_links(
    conn: sqlite3.Connection, paper_id: str, links: Sequence[LinkRow], rule: str, stamp: str
) -> None:
    """Replace a paper's links (inside the caller's transaction) and record the link rule its
    text was searched with (an empty list is a real answer: searched, none found)."""
    conn.execute("DELETE FROM paper_links WHERE paper_id = ?", (paper_id,))
    conn.executemany(
        "INSERT OR REPLACE INTO paper_links (paper_id, host, repo, url, kind, own, tool, why,"
        " pages, first_page, abstract, code_sentence, repo_key, rule, found_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                paper_id,
                link.host,
                link.repo,
                link.url,
                link.kind,
                int(link.own),
                int(link.tool),
                link.why,
                json.dumps(list(link.pages)),
                int(link.first_page),
                int(link.abstract),
                int(link.code_sentence),
                link.key,
                rule,
                stamp,
            )
            for link in links
        ],
    )
    conn.execute("UPDATE papers SET links_rule = ? WHERE id = ?", (rule, paper_id))


def upsert_repos(conn: sqlite3.Connection, rows: Iterable[RepoRow]) -> None:
    """Store repository checks inside the caller's transaction (``storage.papers.save_repos``
    wraps this with the rebuild of the counts)."""
    conn.executemany(
        "INSERT INTO code_repos (repo_key, host, repo, outcome, frameworks, evidence,"
        " decided_by, read, moved_to, default_branch, rule, checked_at, etags, sbom_python,"
        " api_requests, raw_requests) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(repo_key) DO UPDATE SET repo = excluded.repo,"
        " outcome = excluded.outcome, frameworks = excluded.frameworks,"
        " evidence = excluded.evidence, decided_by = excluded.decided_by,"
        " read = excluded.read, moved_to = excluded.moved_to,"
        " default_branch = excluded.default_branch, rule = excluded.rule,"
        " checked_at = excluded.checked_at, etags = excluded.etags,"
        " sbom_python = excluded.sbom_python, api_requests = excluded.api_requests,"
        " raw_requests = excluded.raw_requests",
        [_repo_params(r) for r in rows],
    )


def _repo_params(r: RepoRow) -> tuple:
    return (
        r.key,
        r.host,
        r.repo,
        r.outcome,
        json.dumps(list(r.frameworks)),
        json.dumps([[e.file, e.line, e.text, e.framework] for e in r.evidence], ensure_ascii=False),
        r.decided_by,
        json.dumps(list(r.read), ensure_ascii=False),
        r.moved_to,
        r.default_branch,
        r.rule,
        r.checked_at,
        json.dumps(dict(r.etags)),
        int(r.sbom_python),
        r.api_requests,
        r.raw_requests,
    )


def _repo(row: Sequence) -> RepoRow:
    (host, repo, outcome, fws, evidence, by, read, moved, branch, rule, checked, etags, sbom,
     api, raw) = row  # fmt: skip
    return RepoRow(
        host=host,
        repo=repo,
        outcome=outcome,
        rule=rule,
        checked_at=checked,
        frameworks=tuple(json.loads(fws)),
        evidence=tuple(EvidenceRow(*e) for e in json.loads(evidence)),
        decided_by=by,
        read=tuple(json.loads(read)),
        moved_to=moved,
        default_branch=branch,
        etags=json.loads(etags),
        sbom_python=bool(sbom),
        api_requests=api,
        raw_requests=raw,
    )


_REPO_COLS = (
    "r.host, r.repo, r.outcome, r.frameworks, r.evidence, r.decided_by, r.read, r.moved_to,"
    " r.default_branch, r.rule, r.checked_at, r.etags, r.sbom_python, r.api_requests,"
    " r.raw_requests"
)


# -- the counts ------------------------------------------------------------------------------------
def counts(
    conn: sqlite3.Connection, venue_id: str, year: int, method: Method
) -> tuple[dict[str, int], int]:
    """(figure → papers, total): the method's figures for a venue-year from its main papers,
    and the share's denominator (papers whose own repository was read and decided)."""
    key = (venue_id, year)
    accepted = conn.execute(
        "SELECT count(*) FROM papers WHERE venue_id = ? AND year = ? AND main = 1", key
    ).fetchone()[0]
    searched = conn.execute(
        "SELECT count(*) FROM papers WHERE venue_id = ? AND year = ? AND main = 1"
        " AND status = 'ok' AND links_rule IS NOT NULL",
        key,
    ).fetchone()[0]
    rows = conn.execute(
        "SELECT l.host, r.outcome FROM papers p"
        " JOIN paper_links l ON l.paper_id = p.id AND l.own = 1"
        " LEFT JOIN code_repos r ON r.repo_key = l.repo_key"
        " WHERE p.venue_id = ? AND p.year = ? AND p.main = 1 AND p.status = 'ok'"
        " AND p.links_rule IS NOT NULL",
        key,
    ).fetchall()
    figures = dict.fromkeys((*method.figures,), 0)
    coverage = {"accepted": accepted, "searched": searched, "linked": len(rows)}
    coverage.update(dict.fromkeys((GONE, EMPTY, ELSEWHERE, UNREAD), 0))
    for host, outcome in rows:
        if host != GITHUB:
            coverage[ELSEWHERE] += 1
        elif outcome is None:
            coverage[UNREAD] += 1
        elif outcome in (GONE, EMPTY):
            coverage[outcome] += 1
        elif outcome in figures:
            figures[outcome] += 1
        else:  # a framework this method version does not report: several's cousin, kept visible
            figures[CODE_OUTCOMES[0]] += 1
    total = sum(figures.values())
    return {**figures, **coverage}, total


@dataclass(frozen=True)
class RepoTodo:
    """A repository a code run should read: never read, read with another rule, or due for a
    re-check (``previous`` carries the ETags)."""

    host: str
    repo: str
    papers: int
    previous: RepoRow | None = None

    @property
    def key(self) -> str:
        return repo_key(self.host, self.repo)


def repos_to_check(
    conn: sqlite3.Connection,
    venue_id: str,
    year: int,
    *,
    rule: str,
    recheck_before: str | None = None,
) -> list[RepoTodo]:
    """The own GitHub repositories of a venue-year's main papers still to read: never read, read
    with another rule version, or (with ``recheck_before``) last read before that moment. The
    most-linked first, so a quota spent half-way has read the repositories that count most."""
    rows = conn.execute(
        f"SELECT min(l.repo), count(DISTINCT l.paper_id), r.repo_key, {_REPO_COLS}"
        " FROM paper_links l JOIN papers p ON p.id = l.paper_id"
        " LEFT JOIN code_repos r ON r.repo_key = l.repo_key"
        " WHERE p.venue_id = ? AND p.year = ? AND p.main = 1 AND l.own = 1 AND l.host = ?"
        " GROUP BY l.repo_key ORDER BY count(DISTINCT l.paper_id) DESC, l.repo_key",
        (venue_id, year, GITHUB),
    ).fetchall()
    out = []
    for repo, n, stored, *columns in rows:
        previous = _repo(columns) if stored is not None else None
        fresh = recheck_before is None or (previous and previous.checked_at >= recheck_before)
        if previous is not None and previous.rule == rule and fresh:
            continue
        out.append(RepoTodo(GITHUB, repo, n, previous))
    return out


def unread_years(
    conn: sqlite3.Connection, venue_ids: Iterable[str], *, rule: str
) -> list[tuple[str, int, int]]:
    """(venue id, year, repositories) of every stored venue-year of ``venue_ids`` whose main
    papers link an own GitHub repository not read yet with ``rule`` (a spent quota left it):
    what a run naming other years of the venue reads too, as it retries failed papers."""
    wanted = list(venue_ids)
    if not wanted:
        return []
    rows = conn.execute(
        "SELECT p.venue_id, p.year, count(DISTINCT l.repo_key) FROM paper_links l"
        " JOIN papers p ON p.id = l.paper_id"
        " LEFT JOIN code_repos r ON r.repo_key = l.repo_key"
        " WHERE p.main = 1 AND l.own = 1 AND l.host = ? AND (r.rule IS NULL OR r.rule != ?)"
        f" AND p.venue_id IN ({','.join('?' * len(wanted))})"
        " GROUP BY p.venue_id, p.year ORDER BY p.year, p.venue_id",
        (GITHUB, rule, *wanted),
    ).fetchall()
    return [(v, y, n) for v, y, n in rows]


def link_share(
    conn: sqlite3.Connection, venue_id: str | None = None, year: int | None = None
) -> tuple[int, int]:
    """(searched, linked): main papers whose text was searched for links, and of those the ones
    linking their own code; of one venue-year, or of the whole store (a plan's estimate)."""
    where, params = "", []
    if venue_id is not None and year is not None:
        where, params = " AND p.venue_id = ? AND p.year = ?", [venue_id, year]
    row = conn.execute(
        "SELECT count(*), coalesce(sum(EXISTS (SELECT 1 FROM paper_links l"
        " WHERE l.paper_id = p.id AND l.own = 1)), 0) FROM papers p"
        f" WHERE p.main = 1 AND p.status = 'ok' AND p.links_rule IS NOT NULL{where}",
        params,
    ).fetchone()
    return int(row[0]), int(row[1])


@dataclass(frozen=True)
class CodeProgress:
    """A venue-year's repositories for ``collect --status``: own GitHub repositories its papers
    link, how many are read with the current rule, and the rest (left for a later run)."""

    repos: int
    read: int

    @property
    def left(self) -> int:
        return self.repos - self.read


def progress(conn: sqlite3.Connection, *, rule: str) -> dict[tuple[str, int], CodeProgress]:
    """(venue id, year) → its repositories read and left, for every venue-year with links."""
    rows = conn.execute(
        "SELECT p.venue_id, p.year, count(DISTINCT l.repo_key),"
        " count(DISTINCT CASE WHEN r.rule = ? THEN l.repo_key END) FROM paper_links l"
        " JOIN papers p ON p.id = l.paper_id LEFT JOIN code_repos r ON r.repo_key = l.repo_key"
        " WHERE p.main = 1 AND l.own = 1 AND l.host = ? GROUP BY p.venue_id, p.year",
        (rule, GITHUB),
    ).fetchall()
    return {(v, y): CodeProgress(n, read) for v, y, n, read in rows}


# -- reading (commands) ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PaperCode:
    """One paper's links, its own repository and what reading that repository found."""

    paper_id: str
    links_rule: str | None  # None: its text was not searched for links (yet)
    links: tuple[LinkRow, ...]
    own: LinkRow | None
    repo: RepoRow | None


def _link(row: Sequence) -> LinkRow:
    host, repo, url, kind, own, tool, why, pages, first, abstract, sentence = row
    return LinkRow(
        host, repo, url, kind, bool(own), bool(tool), why, tuple(json.loads(pages)),
        bool(first), bool(abstract), bool(sentence),
    )  # fmt: skip


_LINK_COLS = "host, repo, url, kind, own, tool, why, pages, first_page, abstract, code_sentence"
_OWN_LINK_COLS = ", ".join(f"l.{c}" for c in _LINK_COLS.split(", "))


def paper_code(conn: sqlite3.Connection, paper_id: str) -> PaperCode | None:
    """A paper's code as stored (None for an unknown paper)."""
    row = conn.execute("SELECT links_rule FROM papers WHERE id = ?", (paper_id,)).fetchone()
    if row is None:
        return None
    links = tuple(
        _link(r)
        for r in conn.execute(
            f"SELECT {_LINK_COLS} FROM paper_links WHERE paper_id = ? ORDER BY own DESC, rowid",
            (paper_id,),
        )
    )
    own = next((link for link in links if link.own), None)
    found = (
        own
        and conn.execute(
            f"SELECT {_REPO_COLS} FROM code_repos r WHERE r.repo_key = ?", (own.key,)
        ).fetchone()
    )
    repo = _repo(found) if found else None
    return PaperCode(paper_id, row[0], links, own, repo)


@dataclass(frozen=True)
class CodePaper:
    """A paper behind a ``code`` figure: its title, own repository and what decided it."""

    paper_id: str
    title: str
    own: LinkRow
    repo: RepoRow | None


def papers_behind(
    conn: sqlite3.Connection,
    venue_id: str,
    year: int,
    figure: str,
    *,
    offset: int = 0,
    limit: int = 10,
) -> tuple[int, list[CodePaper]]:
    """(how many, a page of them): the main papers counted under one ``code`` figure (a
    framework id, ``several``, ``none``, ``gone``, ``empty``, ``elsewhere`` or ``unread``),
    by title."""
    if figure == ELSEWHERE:
        cond, params = "l.host != ?", [GITHUB]
    elif figure == UNREAD:
        cond, params = "l.host = ? AND r.outcome IS NULL", [GITHUB]
    else:
        cond, params = "l.host = ? AND r.outcome = ?", [GITHUB, figure]
    base = (
        " FROM papers p JOIN paper_links l ON l.paper_id = p.id AND l.own = 1"
        " LEFT JOIN code_repos r ON r.repo_key = l.repo_key"
        " WHERE p.venue_id = ? AND p.year = ? AND p.main = 1 AND p.status = 'ok'"
        f" AND p.links_rule IS NOT NULL AND {cond}"
    )
    args = [venue_id, year, *params]
    total = conn.execute(f"SELECT count(*){base}", args).fetchone()[0]
    rows = conn.execute(
        f"SELECT p.id, p.title, {_OWN_LINK_COLS}, r.repo_key, {_REPO_COLS}{base}"
        " ORDER BY p.title COLLATE NOCASE, p.id LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()
    width = len(_LINK_COLS.split(", "))
    return total, [
        CodePaper(
            pid,
            title,
            _link(rest[:width]),
            _repo(rest[width + 1 :]) if rest[width] is not None else None,
        )
        for pid, title, *rest in rows
    ]


def read_span(conn: sqlite3.Connection, venue_id: str, year: int) -> tuple[str, str] | None:
    """(first, last) moment a repository of the venue-year's own links was read: the "when"
    of the code method's provenance (None when none was)."""
    row = conn.execute(
        "SELECT min(r.checked_at), max(r.checked_at) FROM papers p"
        " JOIN paper_links l ON l.paper_id = p.id AND l.own = 1"
        " JOIN code_repos r ON r.repo_key = l.repo_key"
        " WHERE p.venue_id = ? AND p.year = ? AND p.main = 1",
        (venue_id, year),
    ).fetchone()
    return (row[0], row[1]) if row and row[0] else None


@dataclass(frozen=True)
class CodeProvenance:
    """Where a venue-year's ``code`` figures come from beyond the listing: the link rules its
    papers' text was searched with, the repository rules their own repositories were read with,
    and when (first and last) those repositories were read. Several versions side by side
    mean a collection is moving the venue-year to a new rule."""

    links_rules: tuple[str, ...]
    repo_rules: tuple[str, ...]
    read_span: tuple[str, str] | None


def provenance(conn: sqlite3.Connection, venue_id: str, year: int) -> CodeProvenance:
    key = (venue_id, year)
    links = conn.execute(
        "SELECT DISTINCT links_rule FROM papers WHERE venue_id = ? AND year = ? AND main = 1"
        " AND links_rule IS NOT NULL ORDER BY links_rule",
        key,
    ).fetchall()
    repos = conn.execute(
        "SELECT DISTINCT r.rule FROM papers p"
        " JOIN paper_links l ON l.paper_id = p.id AND l.own = 1"
        " JOIN code_repos r ON r.repo_key = l.repo_key"
        " WHERE p.venue_id = ? AND p.year = ? AND p.main = 1 ORDER BY r.rule",
        key,
    ).fetchall()
    return CodeProvenance(
        tuple(r[0] for r in links), tuple(r[0] for r in repos), read_span(conn, venue_id, year)
    )


def own_link_width(conn: sqlite3.Connection, venue_id: str, year: int) -> int:
    """The longest own-repository URL of a venue-year's main papers: `!papers … --method code`
    sizes its pages with it, one size for every page (as ``paper_queries.link_width``)."""
    row = conn.execute(
        "SELECT max(length(l.url)) FROM papers p JOIN paper_links l ON l.paper_id = p.id"
        " AND l.own = 1 WHERE p.venue_id = ? AND p.year = ? AND p.main = 1",
        (venue_id, year),
    ).fetchone()
    return row[0] or 0
