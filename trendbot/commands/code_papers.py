"""`!papers <venue> <year> <figure> --method code`: the papers behind a ``code`` figure, each
with its own repository and the evidence that decided it (`requirements.txt: torch>=2.1`); and
the lines `!paper` shows about one paper's code.

A code figure is only as good as the repository files behind it, so each entry names the file
and line that decided it, and links the repository to check it against. Pages are sized like
`!papers`' other lists: one size for every page of a list (from the venue-year's longest own
repository link), entries squeezed until the page fits one message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from trendbot.commands import code_text
from trendbot.commands.coverage import not_covered
from trendbot.commands.parsing import UsageError
from trendbot.commands.reply import MAX_CONTENT, Reply
from trendbot.commands.text import count_of, echo, figure_name, fmt_int, safe_link
from trendbot.storage import Store, VenueYear, code
from trendbot.storage.code import CodePaper, LinkRow, PaperCode, RepoRow

if TYPE_CHECKING:
    from trendbot.commands.papers import PapersQuery

LineOf = Callable[..., str]  # papers.papers_line(store, q, page)

# What people type after `--method code` → the figure (frameworks come from ``papers``).
CODE_WORDS: dict[str, str] = {
    "several": "several",
    "none": "none",
    "gone": "gone",
    "deleted": "gone",
    "empty": "empty",
    "unread": "unread",
    "gitlab": "elsewhere",
    "elsewhere": "elsewhere",
}
LABELS = {
    "several": "repositories using several frameworks",
    "none": "repositories using none of the frameworks",
    "gone": "repositories gone (deleted, or private)",
    "empty": "empty repositories",
    "unread": "repositories not read yet",
    "elsewhere": "own code on GitLab (not read by this rule)",
}
MAX_PAGE_SIZE = 10
ENTRY_BASE = 150  # number, title, evidence and markup beside the link, when squeezed
SQUEEZE = ((100, 70), (80, 50), (60, 40), (40, 30), (24, 0))  # (title, evidence) limits


def label(figure: str) -> str:
    if figure in LABELS:
        return LABELS[figure]
    return f"papers whose own code uses {figure_name(figure)}"


def evidence_text(repo: RepoRow | None, limit: int = 80) -> str:
    """Why a repository counts where it does, in a few words: the files and lines that decided
    it, or its state (gone, empty, not read yet)."""
    if repo is None:
        return "not read yet"
    when = f"read {repo.checked_at[:10]}"
    if repo.outcome == "gone":
        return f"gone when {when} (GitHub answered 404)"
    if repo.outcome == "empty":
        return f"empty when {when}"
    moved = f"moved to {repo.moved_to}; " if repo.moved_to else ""
    if repo.evidence:
        shown = "; ".join(str(e) for e in repo.evidence[:3])
        return f"{moved}{echo(shown, limit) if limit else ''} ({when})".strip()
    files = ", ".join(repo.read[:3]) or "its files"
    return f"{moved}no framework in {echo(files, max(limit, 20))} ({when})"


def _link(own: LinkRow) -> str:
    return safe_link(own.url) or f"{own.host}/{own.repo}"


def entry(n: int, paper: CodePaper, title_limit: int, evidence_limit: int) -> str:
    line = f"{n}. **{echo(paper.title, title_limit, code=False)}**"
    if evidence_limit:
        if paper.own.host != code.GITHUB:
            line += f" · on {paper.own.host}"
        else:
            line += f" · {evidence_text(paper.repo, evidence_limit)}"
    return f"{line}\n{_link(paper.own)}"


def papers_reply(store: Store, q: PapersQuery, papers_line: LineOf, *, prefix: str = "!") -> Reply:
    """The page of papers behind one code figure; ``papers_line`` writes the command line
    that asks for a page of ``q`` (``commands.papers`` owns it)."""
    venue = store.venues()[q.venue_id]
    where = f"{venue.name} {q.year}"
    row = store.venue_year(q.venue_id, q.year, q.method.id)
    if row is None:
        raise not_covered(store, q.method, venue_id=q.venue_id, year=q.year)
    if q.figure is None:
        return _figures_reply(store, q, row, papers_line, prefix)
    foot_rule = code_text.footer(store, q.method, [row])
    head_max = f"**{where}**, {label(q.figure)}: {fmt_int(10**6)} of {fmt_int(10**6)} · page 999"
    frame = len(head_max) + len(foot_rule) + 160
    width = store.read(code.own_link_width, q.venue_id, q.year)
    size = max(1, min(MAX_PAGE_SIZE, (MAX_CONTENT - frame) // (ENTRY_BASE + width + 3)))
    offset = (q.page - 1) * size
    total, rows = store.read(
        code.papers_behind, q.venue_id, q.year, q.figure, offset=offset, limit=size
    )
    linked = row.counts.get("linked", 0)
    pages = max(1, -(-total // size))
    if total == 0:
        return Reply(
            f"**{where}**: none of the {count_of(linked, 'paper')} linking their own code is "
            f"among the {label(q.figure)}.\n{foot_rule}",
            command=papers_line(store, q, 1),
            data_version=store.data_version(),
        )
    if q.page > pages:
        raise UsageError(
            f"{where} has {count_of(total, 'paper')} among the {label(q.figure)}, on "
            f"{count_of(pages, 'page')}; the last is `{prefix}{papers_line(store, q, pages)}`.",
            usage="",
        )
    head = (
        f"**{where}**, {label(q.figure)}: {fmt_int(total)} of the {fmt_int(linked)} papers "
        f"linking their own code · page {fmt_int(q.page)} of {fmt_int(pages)}"
    )
    nav = (
        f"Next: `{prefix}{papers_line(store, q, q.page + 1)}` (of {pages})"
        if q.page < pages
        else f"one paper in full: `{prefix}paper <title words>`"
    )
    numbered = [(offset + i + 1, r) for i, r in enumerate(rows)]
    text = ""
    for title_limit, evidence_limit in SQUEEZE:
        body = [entry(n, r, title_limit, evidence_limit) for n, r in numbered]
        text = "\n".join([head, *body, nav, foot_rule])
        if len(text) <= MAX_CONTENT:
            break
    return Reply(text, command=papers_line(store, q), data_version=store.data_version())


def _figures_reply(
    store: Store, q: PapersQuery, row: VenueYear, papers_line: LineOf, prefix: str
) -> Reply:
    """Without a figure: how many papers each code figure has, and the command listing them."""
    venue = store.venues()[q.venue_id]
    figures = [f for f in (*q.method.figures, *LABELS) if row.counts.get(f)]
    lines = [
        f"**{venue.name} {q.year}**, by the papers' own code: "
        f"{code_text.population_sentence(store, row)}."
    ]
    for f in dict.fromkeys(figures):
        word = f if f != "elsewhere" else "gitlab"
        lines.append(
            f"- {label(f)}: {fmt_int(row.counts[f])} · "
            f"`{prefix}papers {venue.name} {q.year} {word} --method code`"
        )
    lines.append(code_text.footer(store, q.method, [row]))
    return Reply("\n".join(lines), command=papers_line(store, q), data_version=store.data_version())


# -- `!paper`: one paper's code --------------------------------------------------------------------
def _link_place(link: LinkRow) -> str:
    if link.code_sentence:
        return "an 'our code' sentence"
    if link.first_page:
        return "the first page"
    pages = ", ".join(str(p) for p in link.pages[:3])
    return f"page {pages}" if pages else "its text"


def paper_code_lines(found: PaperCode | None, status: str) -> list[str]:
    """What `!paper` says about a paper's code: its links, which is its own and why, and what
    that repository uses and why; or why there is nothing to say yet."""
    if found is None or status != "ok":
        return []
    if found.links_rule is None:
        return ["code: its text has not been searched for links yet"]
    code_links = [link for link in found.links if link.kind == "code"]
    if not found.links:
        return [f"code: links no code (searched with rule {found.links_rule})"]
    lines = []
    if found.own is None:
        shown = ", ".join(f"{link.host}/{link.repo}" for link in code_links[:4]) or "none"
        lines.append(
            f"code: links {count_of(len(found.links), 'repository', 'repositories')} "
            f"({echo(shown, 160, code=False)}), none of them its own (rule {found.links_rule})"
        )
        return lines
    own = found.own
    why = echo(own.why, 120, code=False) if own.why else f"found on {_link_place(own)}"
    lines.append(f"code: own repository {_link(own)}: {why} (rule {found.links_rule})")
    others = [link for link in found.links if not link.own]
    if others:
        shown = ", ".join(
            f"{link.host}/{link.repo}" + (" (a cited tool)" if link.tool else "")
            for link in others[:4]
        )
        more = f" and {len(others) - 4} more" if len(others) > 4 else ""
        lines.append(f"also links: {echo(shown, 200, code=False)}{more}")
    lines.append(_repo_line(own, found.repo))
    return lines


def _repo_line(own: LinkRow, repo: RepoRow | None) -> str:
    if own.host != code.GITHUB:
        return f"its code is on {own.host}, which rule code-1 does not read: not counted"
    if repo is None:
        return "repository not read yet: counted as not read yet (a later collection reads it)"
    if repo.outcome in ("gone", "empty"):
        return f"repository {evidence_text(repo)}: not in the shares ({repo.rule})"
    what = (
        figure_name(repo.outcome)
        if repo.outcome not in ("several", "none")
        else {"several": "several frameworks", "none": "none of the frameworks"}[repo.outcome]
    )
    return f"its code uses {what}: {evidence_text(repo, 160)}, rule {repo.rule}"
