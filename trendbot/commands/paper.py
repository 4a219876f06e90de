"""`!paper <title words>`: one paper found by title, what it names under every counting method
and which figures it adds one to, with its links.

Words match in any order, ignoring case and accents; several matches give the best in full and up
to four more titles. Titles and authors come from the sources' pages, so they are echoed like
user text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from trendbot.commands.code_papers import paper_code_lines
from trendbot.commands.collect_hint import any_venue_year
from trendbot.commands.papers import author_list, safe_link, terms_text
from trendbot.commands.parsing import MAX_ARG_CHARS, UsageError, is_option, unknown_option
from trendbot.commands.registry import Context, command
from trendbot.commands.reply import Reply
from trendbot.commands.text import count_of, echo, figure_name, fmt_int
from trendbot.storage import Method, Store, code, paper_queries

PAPER_USAGE = "<title words>"
TITLE_MATCHES = 5  # the best match in full, then up to four more titles
SMALL_WORDS = frozenset(
    {"a", "an", "the", "of", "for", "on", "in", "and", "with", "to", "via", "by", "from", "at"}
)


def title_words(text: str) -> tuple[str, ...]:
    """The words of ``text``: runs of letters and digits, each with the combining marks that
    follow its letters (an accent without a precomposed form, a Devanagari vowel sign), which
    Python's ``\\w`` would split off: `किताब` is one word, as the title index reads it."""
    words: list[str] = []
    current: list[str] = []
    for char in text:
        if char.isalnum() or (current and unicodedata.category(char).startswith("M")):
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return tuple(words)


def parse_paper(ctx: Context, args: str) -> tuple[str, ...]:
    """The title words of `!paper` (any order; case and accents do not matter)."""
    usage = f"`{ctx.prefix}paper {PAPER_USAGE}`"
    if len(args) > MAX_ARG_CHARS:
        raise UsageError(
            f"That is {len(args):,} characters; a few words of the title are enough.", usage=usage
        )
    if option := next((w for w in args.split() if is_option(w)), None):
        raise unknown_option(option, usage=usage, command=f"{ctx.prefix}paper")
    words = title_words(args)
    if not words:
        raise UsageError(
            f"Which paper? Give words of its title, e.g. `{ctx.prefix}paper attention is all you "
            "need`.",
            usage=usage,
        )
    return words


@command(
    "paper",
    usage=PAPER_USAGE,
    summary="Find a paper by title: what it names, its own code, what it counts for, its link.",
    examples=("!paper attention is all you need", "!paper deep residual learning"),
    details=(
        "Searches the titles of every collected paper (words in any order; case and accents "
        "ignored). The best match comes in full: venue, year, track, whether it could be read, "
        "and per counting method the frameworks it names with the matched terms and the "
        "figures it counts for; its repository links, which one is its own and why, and what "
        "that repository uses and why (the code method). Further matches are listed by title."
    ),
    parse=parse_paper,
)
def paper_command(ctx: Context, args: str) -> Reply:
    return paper_reply(ctx.store, parse_paper(ctx, args), prefix=ctx.prefix)


def paper_reply(store: Store, words: Sequence[str], *, prefix: str = "!") -> Reply:
    matches, found = store.read(paper_queries.search_titles, list(words), TITLE_MATCHES)
    dropped: tuple[str, ...] = ()
    if not found:
        content = [w for w in words if w.lower() not in SMALL_WORDS]
        if content and len(content) < len(words):
            matches, found = store.read(paper_queries.search_titles, content, TITLE_MATCHES)
            dropped = tuple(w for w in words if w.lower() in SMALL_WORDS)
    asked = echo(" ".join(words), 60)
    if not found:
        listed = store.read(paper_queries.listed_venue_years)
        venue_id, year = named_venue_year(store, words)
        if not listed:
            hint = (
                "trendbot has not collected any papers yet, so there are no titles to search. "
                + any_venue_year(store, venue_id, year)
            )
        else:
            names = store.venues()
            have = ", ".join(f"{names[v].name} {y}" for v, y in listed[:8])
            more = ", …" if len(listed) > 8 else ""
            hint = (
                f"Titles are searched word by word, in any order; try fewer or other words. "
                f"I know the papers of {have}{more} (`{prefix}papers <venue> <year>` lists them)."
            )
            if (venue_id or year) and not any(
                venue_id in (None, v) and year in (None, y) for v, y in listed
            ):
                hint += " " + any_venue_year(store, venue_id, year)
        raise UsageError(f"No paper title I know has all of {asked}. {hint}", usage="")
    best, *others = found
    lines = paper_lines(store, best)
    if dropped:
        lines.insert(0, f"No title has all of {asked}; without {echo(' '.join(dropped))}:")
    if others:
        venues = store.venues()
        also = "; ".join(
            f"**{echo(p.title, 70, code=False)}** ({venues[p.venue_id].name} {p.year})"
            for p in others
        )
        more = matches - 1 - len(others)
        tail = f"; and {count_of(more, 'other title')}" if more > 0 else ""
        vague = (
            " (ranked among the first " + fmt_int(paper_queries.RANKED_AT_MOST) + ")"
            if (matches > paper_queries.RANKED_AT_MOST)
            else ""
        )
        lines.append(f"Also matching: {also}{tail}{vague}. Add title words to pick one.")
    return Reply(
        "\n".join(lines), command="paper " + " ".join(words), data_version=store.data_version()
    )


def named_venue_year(store: Store, words: Sequence[str]) -> tuple[str | None, int | None]:
    """The venue and year among a title search's words ("attention is all you need neurips
    2017"), so a search that finds nothing can name the venue-year that could hold the paper
    rather than one picked at random."""
    aliases = store.aliases()
    venue_id = next((aliases[w.lower()] for w in words if w.lower() in aliases), None)
    years = [int(w) for w in words if w.isdigit() and len(w) == 4 and 1980 <= int(w) <= 2100]
    return venue_id, (years[-1] if years else None)


def paper_lines(store: Store, paper: paper_queries.PaperRow) -> list[str]:
    """One paper in full: title and authors, where and how it was read, what it names under
    every method it was read with, and its links."""
    venues, methods = store.venues(), store.methods()
    prov = store.read(paper_queries.paper_provenance, paper.id)
    who = author_list(paper.authors, 3)
    lines = [f"**{echo(paper.title, 250, code=False)}**" + (f" — {who}" if who else "")]
    where = [
        f"{venues[paper.venue_id].name} {paper.year}",
        f"{echo(paper.track, 40, code=False)} track",
    ]
    where.append(_status(paper, prov))
    if prov is not None:
        src = store.sources().get(prov.source_id)
        where.append(f"listed by {src.name if src else prov.source_id}")
    lines.append(" · ".join(where))
    if paper.status == "ok" and paper.main:
        read_with = set(prov.rules) if prov else set()
        for m in methods.values():
            if m.is_code:
                found = store.read(code.paper_code, paper.id)
                lines += paper_code_lines(found, paper.status)
            elif m.id in read_with or m.id in paper.mentions:
                lines.append(method_line(m, paper.mentions.get(m.id, [])))
    links = [
        f"{label}: {link}"
        for label, url in (("PDF", paper.pdf_url), ("page", paper.page_url))
        if (link := safe_link(url))
    ]
    if links:
        lines.append(" · ".join(links))
    return lines


def _status(paper: paper_queries.PaperRow, prov: paper_queries.PaperProvenance | None) -> str:
    if not paper.main or paper.status == "listed":
        return "outside the main population, so not read or counted"
    if paper.status == "ok":
        when = f" {prov.checked_at[:10]}" if prov and prov.checked_at else ""
        pages = f" ({paper.pages} pages)" if paper.pages else ""
        return f"read{when}{pages}"
    if paper.status == "no_text":
        return "no text layer (a scan): counts in the total, for no framework"
    if paper.status == "failed":
        why = f" ({echo(paper.reason, 80, code=False)})" if paper.reason else ""
        return f"could not be read{why}: counts in the total, for no framework"
    return "listed, not read yet"


def method_line(method: Method, mentions: Sequence[tuple[str, bool, str]]) -> str:
    """'final: counts for PyTorch (`pytorch, torchvision`)'; 'modern: PyTorch (`pytorch`),
    JAX (`jax`)'; 'final: names both PyTorch (…) and TensorFlow (…), so it counts for
    neither'."""
    named = [(fw, counted, terms) for fw, counted, terms in mentions if "+" not in fw]
    pairs = [fw for fw, counted, _ in mentions if "+" in fw and counted]
    if not named:
        if len(method.frameworks) == 2:
            a, b = (figure_name(f) for f in method.frameworks)
            return f"{method.name}: names neither {a} nor {b}"
        return f"{method.name}: names none of its frameworks"

    def shown(fw: str, terms: str) -> str:
        t = terms_text(terms, 60)
        return f"{figure_name(fw)} ({t})" if t else figure_name(fw)

    counted = [shown(fw, terms) for fw, c, terms in named if c]
    uncounted = [(fw, terms) for fw, c, terms in named if not c]
    pair = set(method.frameworks) >= {"pytorch", "tensorflow"}
    if method.exclusive and uncounted and not counted and pair and len(uncounted) == 2:
        both = " and ".join(shown(fw, t) for fw, t in uncounted)
        return f"{method.name}: names both {both}, so it counts for neither"
    parts = []
    if counted:
        parts.append(("counts for " if method.exclusive else "") + ", ".join(counted))
    if uncounted:
        parts.append("names " + ", ".join(shown(fw, t) for fw, t in uncounted) + " (not counted)")
    text = f"{method.name}: " + "; ".join(parts)
    if pairs:
        text += ", and " + ", ".join(f"{figure_name(f)} together" for f in pairs)
    return text
