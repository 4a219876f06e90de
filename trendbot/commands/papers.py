"""`!papers`: the papers behind every collected number (`!paper`, one paper by title, is in
``commands.paper`` and shares this module's links and entries).

A collected count is only as good as the papers behind it, so every one of them can be opened:
`!papers NeurIPS 2024 jax` pages through the papers the JAX figure counts, each with the terms
that matched and a link to check them against. Venue-years that only
the 2019 study's published counts cover have no papers to list, and the reply says so and how to
collect them.

A page always fits one Discord message (2,000 characters): the page size follows the
venue-year's longest link (one size for every page, so page N always holds the same papers) and
titles are shortened to what is left. Titles, authors and reasons come from the sources' pages,
so they are echoed like user text: markdown escaped, mentions broken.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from trendbot.commands import code_papers
from trendbot.commands.code_papers import CODE_WORDS
from trendbot.commands.collect_hint import no_such, venue_year_hint
from trendbot.commands.parsing import MAX_ARG_CHARS, Query, UsageError, parse_query
from trendbot.commands.registry import Context, command
from trendbot.commands.reply import MAX_CONTENT, Reply
from trendbot.commands.text import count_of, echo, figure_name, fmt_int, safe_link
from trendbot.storage import Method, Store, paper_queries

PAPERS_USAGE = (
    "<venue> <year> [framework|failed|no-text] [--method final|modern] [page N] | "
    "<venue> <year> <framework|several|none|gone|unread> --method code"
)
PAIR = "pytorch+tensorflow"
# What people type → a figure id. `both` (and `pytorch tensorflow`) is the pair figure.
FRAMEWORK_WORDS: dict[str, str] = {
    "pytorch": "pytorch",
    "torch": "pytorch",
    "tensorflow": "tensorflow",
    "tf": "tensorflow",
    "jax": "jax",
    "flax": "jax",
    "haiku": "jax",
    "optax": "jax",
    "keras": "keras",
    "mxnet": "mxnet",
    "gluon": "mxnet",
    "paddle": "paddlepaddle",
    "paddlepaddle": "paddlepaddle",
    "mindspore": "mindspore",
    "both": PAIR,
}
# Papers that count for no framework: read but unreadable, or scans without a text layer.
STATE_WORDS: dict[str, str] = {
    "failed": "failed",
    "unreadable": "failed",
    "errors": "failed",
    "no-text": "no_text",
    "notext": "no_text",
    "scans": "no_text",
    "scan": "no_text",
}
STATE_LABELS = {"failed": "could not be read", "no_text": "no text layer (scans)"}
STATE_WORD = {"failed": "failed", "no_text": "no-text"}
WORDS_HINT = (
    "a framework ("
    + ", ".join(f"`{w}`" for w in ("pytorch", "tensorflow", "jax", "keras", "mxnet", "paddle"))
    + ", `mindspore`, `both`"
    + "), `failed` or `no-text`; with `--method code` also `several`, `none`, `gone`, "
    "`empty`, `unread`, `gitlab`"
)

MAX_PAGE_SIZE = 10
# What an entry needs besides its link when titles are short (number, title, one author, the
# matched terms, markup): pages are sized with it, and the last two steps of ``SQUEEZE`` (a
# short title alone, at most 40 characters with markdown escapes) always fit in it.
ENTRY_BASE = 95
# (title, detail, authors shown) from roomy to tight: a page is drawn with the first that fits.
SQUEEZE = (
    (110, 70, 2),
    (90, 60, 2),
    (72, 50, 2),
    (56, 40, 1),
    (42, 32, 1),
    (30, 24, 1),
    (24, 0, 0),
    (12, 0, 0),
)

_PAGE = re.compile(r"(?<![\w-])(?:--?)?(?:page|pg)(?=[\s:=\d]|$)\s*[:=]?\s*(\S*)", re.IGNORECASE)
_NO_TEXT = re.compile(r"(?<![\w-])no\s+text(?![\w-])", re.IGNORECASE)

T = TypeVar("T")


def _names(figures: Sequence[str]) -> str:
    names = [figure_name(f) for f in figures]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# -- `!papers`: parsing ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PapersQuery:
    venue_id: str
    year: int
    method: Method
    figure: str | None = None  # a figure of ``method`` ("jax", "pytorch+tensorflow"), or None
    state: str | None = None  # "failed" / "no_text": the papers that count for no framework
    page: int = 1
    word: str = ""  # the framework or state as the canonical command line writes it
    switched: bool = False  # ``method`` was chosen because the framework is only its figure
    method_shown: bool = False  # the canonical line needs `--method` to ask the same


def _take_page(args: str, usage: str, prefix: str) -> tuple[str, int]:
    """`page 2`, `page:2`, `--page 2`, `page2` → (the rest, 2). Taken out before the shared
    parser, which would read a bare `2` as a year."""
    pages: list[int] = []

    def take(m: re.Match[str]) -> str:
        value = m.group(1)
        if not value.isdigit():
            shown = echo(value) if value else "nothing"
            raise UsageError(
                f"`page` needs a page number, e.g. `{prefix}papers NeurIPS 2024 jax page 2` "
                f"(got {shown}).",
                usage=usage,
            )
        pages.append(int(value))
        return " "

    rest = _PAGE.sub(take, args)
    if len(set(pages)) > 1:
        raise UsageError(
            f"`page {pages[0]}` and `page {pages[1]}` contradict each other; give one of them.",
            usage=usage,
        )
    page = pages[0] if pages else 1
    if page < 1:
        raise UsageError("Pages start at 1.", usage=usage)
    return rest, page


def parse_papers(ctx: Context, args: str) -> PapersQuery:
    """Arguments of `!papers` → what to list (raises ``UsageError`` with a friendly sentence)."""
    store, p = ctx.store, ctx.prefix
    usage = f"`{p}papers {PAPERS_USAGE}`"
    if len(args) > MAX_ARG_CHARS:
        parse_query(store, args, usage=usage)  # the shared parser says how long is too long
    rest, page = _take_page(args, usage, p)
    rest = _NO_TEXT.sub(" no-text ", rest)
    q = parse_query(
        store,
        rest,
        words=set(FRAMEWORK_WORDS) | set(STATE_WORDS) | set(CODE_WORDS),
        usage=usage,
        words_hint=WORDS_HINT,
    )
    if len(q.venues) != 1 or len(q.years) != 1:
        venues = store.venues()
        if len(q.venues) > 1 or len(q.years) > 1:
            what = "One venue and one year at a time"
        elif q.venues:
            name = venues[q.venues[0]].name
            listed = [
                y for v, y in store.read(paper_queries.listed_venue_years) if v == q.venues[0]
            ]
            years = ", ".join(map(str, listed)) or "none collected yet"
            what = f"Which year of {name}? (years with papers: {years})"
        else:
            what = "Which venue and year?"
        stop = "" if what.endswith("?") else "."
        raise UsageError(f"{what}{stop} For example `{p}papers NeurIPS 2024 jax`.", usage=usage)
    figures = list(dict.fromkeys(FRAMEWORK_WORDS[w] for w in q.words if w in FRAMEWORK_WORDS))
    figures += [f for f in dict.fromkeys(CODE_WORDS[w] for w in q.words if w in CODE_WORDS)]
    if set(figures) == {"pytorch", "tensorflow"}:  # `pytorch+tensorflow`, `pytorch & tf`
        figures = [PAIR]
    states = list(dict.fromkeys(STATE_WORDS[w] for w in q.words if w in STATE_WORDS))
    if len(figures) + len(states) > 1:
        shown = ", ".join(echo(w) for w in dict.fromkeys(q.words))
        raise UsageError(
            f"One framework (or `failed`, or `no-text`) at a time, please; you gave {shown}. "
            f"`both` lists the papers naming PyTorch and TensorFlow.",
            usage=usage,
        )
    default = store.default_method()
    method = q.method or default
    figure = figures[0] if figures else None
    code_only = figure in CODE_WORDS.values() and not any(
        figure in m.figures for m in store.methods().values() if not m.is_code
    )
    if code_only or (method.is_code and (figure is not None or states)):
        return _code_query(store, q, method, figure, states, page, usage)
    # The rule this asks for without `--method`: the default, or the first that has the figure.
    auto = default
    if figure is not None and figure not in default.figures:
        auto = next((m for m in store.methods().values() if figure in m.figures), default)
    if figure is not None and figure not in method.figures:
        if q.method_explicit or figure not in auto.figures:
            other = f" Use `--method {auto.name}`." if figure in auto.figures else ""
            raise UsageError(
                f"The {method.name} rule has no {figure_name(figure)} figure (it counts "
                f"{_names([f for f in method.figures if '+' not in f])}).{other}",
                usage=usage,
            )
        method = auto
    word = ""
    if figure is not None:
        word = "both" if figure == PAIR else figure
    elif states:
        word = STATE_WORD[states[0]]
    return PapersQuery(
        venue_id=q.venues[0],
        year=q.years[0],
        method=method,
        figure=figure,
        state=states[0] if states else None,
        page=page,
        word=word,
        switched=method.id != default.id and method.id == auto.id,
        method_shown=method.id != auto.id,
    )


def _code_query(
    store: Store,
    q: Query,
    method: Method,
    figure: str | None,
    states: list[str],
    page: int,
    usage: str,
) -> PapersQuery:
    """`!papers … --method code` (or a figure only the code method has: `gone`, `several`):
    frameworks, several, none, gone, empty, unread or gitlab."""
    code_method = next(m for m in store.methods().values() if m.is_code)
    word = next((w for w in q.words if w in CODE_WORDS or w in FRAMEWORK_WORDS), "")
    if q.method_explicit and not method.is_code:
        raise UsageError(
            f"{echo(word)} is a figure of the code method, not of the {method.name} rule: add "
            "`--method code`.",
            usage=usage,
        )
    if states:
        raise UsageError(
            "`failed` and `no-text` list papers that could not be read; the code method counts "
            "repositories: `several`, `none`, `gone`, `empty`, `unread` or `gitlab` (or a "
            "framework).",
            usage=usage,
        )
    allowed = (*code_method.figures, *CODE_WORDS.values())
    if figure is not None and figure not in allowed:
        raise UsageError(
            f"The code method has no {figure_name(figure)} figure (it counts "
            f"{_names([f for f in code_method.frameworks])}, several and none; Keras counts as "
            "TensorFlow).",
            usage=usage,
        )
    auto_code = figure is not None and not any(
        figure in m.figures for m in store.methods().values() if not m.is_code
    )
    shown = "gitlab" if figure == "elsewhere" else "both" if figure == PAIR else figure or ""
    return PapersQuery(
        venue_id=q.venues[0],
        year=q.years[0],
        method=code_method,
        figure=figure,
        page=page,
        word=shown,
        switched=auto_code and not q.method_explicit,
        method_shown=not auto_code,
    )


def papers_line(store: Store, q: PapersQuery, page: int | None = None) -> str:
    """The canonical command line (without prefix) that asks for ``q`` (at ``page``)."""
    parts = ["papers", store.venues()[q.venue_id].name, str(q.year)]
    if q.word:
        parts.append(q.word)
    if q.method_shown:
        parts.append(f"--method {q.method.name}")
    page = q.page if page is None else page
    if page > 1:
        parts.append(f"page {page}")
    return " ".join(parts)


# -- `!papers`: answering -------------------------------------------------------------------------
@command(
    "papers",
    usage=PAPERS_USAGE,
    summary="The papers behind a collected count: titles, authors, matched terms and links.",
    examples=(
        "!papers NeurIPS 2024 jax",
        "!papers NeurIPS 2024 pytorch page 2",
        "!papers CVPR 2024 both",
        "!papers ICLR 2024 failed",
        "!papers ACL 2024 --method modern",
    ),
    details=(
        "A page of the papers one figure counts, sorted by title, each with its first authors, "
        "the terms that matched under the counting method, and a link to the PDF or its page. "
        "Frameworks: pytorch, tensorflow, jax, keras, mxnet, paddle, mindspore, and `both` "
        "(papers naming PyTorch and TensorFlow). A framework the default rule does not count "
        "(JAX, Keras…) uses the modern rule. Without a framework: every paper of the "
        "venue-year; `failed` and `no-text` list the papers that could not be read or are "
        "scans. With `--method code`: each paper's own repository and the file that decided "
        "it; also `several`, `none`, `gone`, `empty`, `unread` and `gitlab`. Only venue-years "
        "trendbot collected itself have papers to list."
    ),
    parse=parse_papers,
)
def papers_command(ctx: Context, args: str) -> Reply:
    return papers_reply(ctx.store, parse_papers(ctx, args), prefix=ctx.prefix)


def papers_reply(store: Store, q: PapersQuery, *, prefix: str = "!") -> Reply:
    if q.method.is_code:
        return code_papers.papers_reply(store, q, papers_line, prefix=prefix)
    venue = store.venues()[q.venue_id]
    where = f"{venue.name} {q.year}"
    listing = store.read(paper_queries.listing_states, q.venue_id, q.year)
    if not listing:
        return _not_collected(store, q, prefix)
    state = listing[0]
    main_total = sum(state.states.values())
    collect = f"`trendbot collect papers --venue {venue.name} --year {q.year}`"
    if state.read + state.failed == 0:
        return Reply(
            f"trendbot has listed {count_of(main_total, 'paper')} of {where} "
            f"({state.fetched_at[:10]}) but has not read any of them yet: {collect} reads them.",
            command=papers_line(store, q),
        )
    if q.state is None:
        _check_method_was_applied(store, q, where, prefix)
    notes = [*_notes(store, q, state, prefix), _provenance(store, state)]
    label = _label(q)

    def head(total: int, page: int, pages: int) -> str:
        return (
            f"**{where}**, {label}: {fmt_int(total)} of {count_of(main_total, 'paper')} · "
            f"page {fmt_int(page)} of {fmt_int(pages)}"
        )

    # The frame around the entries, measured with the largest numbers it can show, sizes the
    # pages: one size for every page of this list, so page N always holds the same papers.
    frame = "\n".join([head(main_total, main_total, main_total), *notes])
    frame += "\n" + _footer(store, q, main_total + 1, prefix, page=main_total)
    width = store.read(paper_queries.link_width, q.venue_id, q.year)
    size = page_size(width, len(frame))
    offset = (q.page - 1) * size
    total, rows = store.read(
        paper_queries.papers_behind,
        q.venue_id,
        q.year,
        q.method.id,
        q.figure,
        limit=size,
        offset=offset,
        status=q.state,
    )
    pages = max(1, -(-total // size))
    if total == 0:
        return Reply(
            "\n".join(
                [
                    f"**{where}**: no paper {_none_label(q)} "
                    f"(0 of {count_of(main_total, 'paper')}).",
                    *notes,
                ]
            ),
            command=papers_line(store, q, 1),
            data_version=store.data_version(),
        )
    if q.page > pages:
        last = f"{prefix}{papers_line(store, q, pages)}"
        raise UsageError(
            f"{where} has {_counted(q, total)}, on {count_of(pages, 'page')}; "
            f"the last is `{last}`.",
            usage="",
        )
    header = [head(total, q.page, pages), *notes]
    footer = _footer(store, q, pages, prefix)
    text = fit_page(header, [(offset + i + 1, r) for i, r in enumerate(rows)], footer, q)
    return Reply(text, command=papers_line(store, q), data_version=store.data_version())


def page_size(link_width: int, frame: int = 0) -> int:
    """Papers per page when the longest link is ``link_width`` characters and header and footer
    take ``frame``: ten with short links (OpenReview, ACL), fewer with the long proceedings
    links (NeurIPS, CVF), one when a link is absurdly long."""
    fits = (MAX_CONTENT - frame) // (ENTRY_BASE + link_width + 1)
    return max(1, min(MAX_PAGE_SIZE, fits))


def _label(q: PapersQuery) -> str:
    if q.state is not None:
        return STATE_LABELS[q.state]
    if q.figure is None:
        return f"every paper ({q.method.name} rule)"
    return f"{figure_name(q.figure)} ({q.method.name} rule)"


def _counted(q: PapersQuery, n: int) -> str:
    """``n`` of the papers ``q`` lists, as a noun phrase: "28 papers (final rule)", "1 paper
    with no text layer (a scan)", "12 JAX papers (modern rule)"."""
    if q.state == "failed":
        return f"{count_of(n, 'paper')} that could not be read"
    if q.state == "no_text":
        return f"{count_of(n, 'paper')} with no text layer ({'a scan' if n == 1 else 'scans'})"
    if q.figure is None:
        return f"{count_of(n, 'paper')} ({q.method.name} rule)"
    return f"{count_of(n, figure_name(q.figure) + ' paper')} ({q.method.name} rule)"


def _none_label(q: PapersQuery) -> str:
    if q.state == "failed":
        return "failed to be read"
    if q.state == "no_text":
        return "lacks a text layer"
    if q.figure is None:
        return "has been read yet"
    return f"counts for {figure_name(q.figure)} under the {q.method.name} rule"


def _notes(
    store: Store, q: PapersQuery, state: paper_queries.VenueYearState, prefix: str
) -> list[str]:
    notes = []
    default = store.default_method()
    if q.switched and q.figure == PAIR:
        notes.append(
            f"These papers name both PyTorch and TensorFlow: the {q.method.name} rule counts "
            f"them as their own figure, where the {default.name} rule counts them for neither."
        )
    elif q.switched and q.figure is not None:
        name = figure_name(q.figure)
        folded = next(
            (
                fw
                for fw, terms in default.terms.items()
                if q.figure in (t.lower() for t in terms) and fw != q.figure
            ),
            None,
        )
        if folded is not None:
            notes.append(
                f"The {default.name} rule counts {name} as {figure_name(folded)}; {name} on its "
                f"own is a figure of the {q.method.name} rule, used here."
            )
        else:
            notes.append(
                f"{name} is not a figure of the {default.name} rule "
                f"({_names([f for f in default.figures if '+' not in f])} only), so this uses "
                f"the {q.method.name} rule."
            )
    elif q.figure == PAIR:
        notes.append("These papers name both PyTorch and TensorFlow.")
    if state.pending:
        notes.append(
            f"Collection in progress: {count_of(state.pending, 'paper')} "
            f"{'is' if state.pending == 1 else 'are'} not read yet, so this count is not final."
        )
    if q.state is None and (state.failed or state.no_text):
        venue = store.venues()[q.venue_id].name
        parts = []
        if state.failed:
            parts.append(f"{fmt_int(state.failed)} could not be read")
        if state.no_text:
            parts.append(
                f"{fmt_int(state.no_text)} {'has' if state.no_text == 1 else 'have'} no text layer"
            )
        see = f"{prefix}papers {venue} {q.year} {'failed' if state.failed else 'no-text'}"
        notes.append(
            f"Of all {fmt_int(sum(state.states.values()))}, {' and '.join(parts)}; they count "
            f"in the total (`{see}`)."
        )
    return notes


def _provenance(store: Store, state: paper_queries.VenueYearState) -> str:
    src = store.sources().get(state.source_id)
    name = src.name if src else state.source_id
    population = state.population if len(state.population) <= 90 else state.population[:89] + "…"
    when = f"listed {state.fetched_at[:10]}"
    if state.last_run:
        when += f", last read {state.last_run[:10]}"
    return f"Population: {population} · source: {name} · {when}"


def _footer(store: Store, q: PapersQuery, pages: int, prefix: str, page: int | None = None) -> str:
    page = q.page if page is None else page
    parts = []
    if page < pages:
        parts.append(f"Next: `{prefix}{papers_line(store, q, page + 1)}` (of {pages})")
    elif pages > 1:
        parts.append(f"Last page; the first is `{prefix}{papers_line(store, q, 1)}`")
    parts.append(f"one paper in full: `{prefix}paper <title words>`")
    text = " · ".join(parts)
    return text[0].upper() + text[1:]


def fit_page(
    header: Sequence[str],
    entries: Sequence[tuple[int, paper_queries.PaperRow]],
    footer: str,
    q: PapersQuery,
) -> str:
    """The page as text, with titles (then details, then authors) shortened until it fits one
    message. Links are never shortened: they must work."""
    text = ""
    for title_limit, detail_limit, authors in SQUEEZE:
        body = [
            entry(
                n,
                row,
                paper_detail(row, q, detail_limit) if detail_limit else "",
                title_limit,
                authors,
            )
            for n, row in entries
        ]
        text = "\n".join([*header, *body, footer])
        if len(text) <= MAX_CONTENT:
            break
    return text


def entry(
    n: int, paper: paper_queries.PaperRow, detail: str, title_limit: int, authors: int = 2
) -> str:
    """`3. **Title** — A. Author, B. Author et al. · detail` and the link on its own line."""
    line = f"{n}. **{echo(paper.title, title_limit, code=False)}**"
    who = author_list(paper.authors, authors) if authors else ""
    if who:
        line += f" — {who}"
    if detail:
        line += f" · {detail}"
    link = best_link(paper)
    return f"{line}\n{link}" if link else f"{line}\n(the listing gives no link)"


def author_list(authors: Sequence[str], shown: int = 2) -> str:
    names = [echo(a, 28, code=False) for a in authors[:shown] if a.strip()]
    if not names:
        return ""
    return ", ".join(names) + (" et al." if len(authors) > shown else "")


def best_link(paper: paper_queries.PaperRow) -> str | None:
    """The PDF (what was read, so where a matched term can be checked), else the landing page.
    ``paper_queries.link_width`` measures the same choice."""
    return safe_link(paper.pdf_url) or safe_link(paper.page_url)


def terms_text(terms: str, limit: int) -> str:
    shown = ", ".join(_term_label(t) for t in terms.split(", ") if t)
    return echo(shown, limit) if shown else ""


def _term_label(term: str) -> str:
    """A rule's term as people read it: regex terms (`re:\\bjax\\b`) without their markup."""
    if term.startswith("re:"):
        return term[3:].replace("\\b", "").replace("(?:", "(")
    return term


def paper_detail(paper: paper_queries.PaperRow, q: PapersQuery, limit: int) -> str:
    """What a list entry says about its paper: the matched terms of the listed figure, the
    paper's state, or (listing every paper) what it names under the method."""
    if paper.status == "failed":
        return "could not be read" + (
            f": {echo(paper.reason, limit, code=False)}" if paper.reason else ""
        )
    if paper.status == "no_text":
        pages = f", {paper.pages} pages" if paper.pages else ""
        return f"no text layer (a scan{pages})"
    mentions = paper.mentions.get(q.method.id, [])
    if q.figure is not None:
        parts = q.figure.split("+")
        found = {fw: terms for fw, _, terms in mentions}
        return " + ".join(terms_text(found.get(fw, ""), limit // len(parts)) for fw in parts)
    named = [(fw, counted, terms) for fw, counted, terms in mentions if "+" not in fw]
    if not named:
        return "names no framework"
    if q.method.exclusive and not any(counted for _, counted, _ in named):
        return (
            "names " + " and ".join(figure_name(fw) for fw, _, _ in named) + ": counts for neither"
        )
    each = max(12, limit // len(named))
    return ", ".join(f"{figure_name(fw)} {terms_text(terms, each)}" for fw, _, terms in named)


def _not_collected(store: Store, q: PapersQuery, prefix: str) -> Reply:
    venue = store.venues()[q.venue_id]
    where = f"{venue.name} {q.year}"
    hint = venue_year_hint(store, q.venue_id, q.year, store.default_method())
    published = next(
        (
            row
            for m in (q.method, *store.methods().values())
            if (row := store.venue_year(q.venue_id, q.year, m.id)) is not None
            and store.is_published(row.source_id)
        ),
        None,
    )
    if published is not None:
        return Reply(
            f"The numbers for {where} come from the study's published counts, which list no "
            f"papers; trendbot has not collected {where} itself yet. {hint} "
            f"The counts themselves: `{prefix}ratio {where}`.",
            command=papers_line(store, q),
        )
    listed = store.read(paper_queries.listed_venue_years)
    names = store.venues()
    have = ", ".join(f"{names[v].name} {y}" for v, y in listed[:12]) if listed else ""
    known = f" Venue-years with papers: {have}." if have else " No papers are collected yet."
    if (why := no_such(store, q.venue_id, q.year)) is not None:
        raise UsageError(f"I have no papers for {where}: {why}{known}", usage="")
    raise UsageError(
        f"I have no papers for {where}: trendbot has not collected it, and the 2019 study does "
        f"not cover it. {hint}{known}",
        usage="",
    )


def _check_method_was_applied(store: Store, q: PapersQuery, where: str, prefix: str) -> None:
    if store.read(paper_queries.read_with, q.venue_id, q.year, q.method.id):
        return
    applied = [
        m.name
        for m in store.methods().values()
        if store.read(paper_queries.read_with, q.venue_id, q.year, m.id)
    ]
    if not applied:
        return  # nothing read with any rule: every read paper failed or is a scan
    rules = " and ".join(applied)
    raise UsageError(
        f"The papers of {where} were read with the {rules} rule{'s' if len(applied) > 1 else ''}; "
        f"the {q.method.name} rule was not applied to them, so it has no papers to list. "
        f"Try `{prefix}papers {where} --method {applied[0]}`.",
        usage="",
    )
