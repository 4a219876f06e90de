"""What every reply of the ``code`` method says beside its shares: how many of the venue-year's
papers the shares rest on, and where the numbers come from (the papers' listing, GitHub and
when the repositories were read, the link and repository rules).

Why its own module: the ``code`` method counts repositories, not text, so its population is not
the venue-year's papers but those linking their own code whose repository was read; a reply
that gave only the shares would read as "87 % of NeurIPS papers use PyTorch". Every command
(`!ratio`, `!chart`, `!papers`, `!compare`, `!source`) takes its sentences from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trendbot.charts.papers import THIN_PAPERS
from trendbot.commands.tables import share_of_papers
from trendbot.commands.text import count_of, figure_name, fmt_int, fmt_pct
from trendbot.storage import Method, Store, VenueYear, code

# The figures beside the shares (``storage.models.CODE_COVERAGE``), in words.
COVERAGE_WORDS = {
    "gone": "gone",
    "empty": "empty",
    "elsewhere": "on GitLab, which this rule does not read",
    "unread": "not read yet",
}


def code_figures(rows: Sequence[VenueYear], method: Method) -> list[str]:
    """The figures a code table shows: the frameworks some repository uses (PyTorch and
    TensorFlow always), then several and none."""
    return [
        f
        for f in method.figures
        if f in ("pytorch", "tensorflow", "several", "none") or any(r.counts.get(f) for r in rows)
    ]


def decided(row: VenueYear) -> int:
    """Papers whose own repository was read and decided: the shares' denominator."""
    return row.total_papers


def shares_line(row: VenueYear, method: Method) -> str:
    """'PyTorch **68.8 %** (11) · JAX 12.5 % (2) · … · none 6.2 % (1)', largest first, several
    and none last; the leader in bold."""
    frameworks = sorted(
        (f for f in method.frameworks if row.counts.get(f)), key=lambda f: -row.counts[f]
    )
    parts = []
    for i, f in enumerate([*frameworks, "several", "none"]):
        pct = fmt_pct(share_of_papers(row, f))
        parts.append(
            f"{figure_name(f)} {f'**{pct}**' if i == 0 else pct} ({fmt_int(row.counts.get(f, 0))})"
        )
    return " · ".join(parts)


def accepted_label(store: Store, row: VenueYear) -> str:
    listing = store.listing(row.venue_id, row.year)
    population = listing.population if listing is not None else "accepted"
    if population == "accepted":
        return "accepted papers"
    # "accepted main-conference papers (every paper on the CVF Open Access listing)": its head
    # reads on its own ("of 8 accepted main-conference papers"); the detail is in `!source`
    head = population.split(" (", 1)[0].strip()
    return head if head.endswith("papers") else f"papers ({population})"


def population_sentence(store: Store, row: VenueYear) -> str:
    """'Of 23 accepted papers, 20 link their own code; the repositories of 18 were read (1 gone,
    1 empty), 1 is not on GitHub, 1 is not read yet.'"""
    c = row.counts
    accepted, linked = c.get("accepted", 0), c.get("linked", 0)
    read = decided(row) + c.get("gone", 0) + c.get("empty", 0)
    gone_empty = [f"{fmt_int(c[k])} {COVERAGE_WORDS[k]}" for k in ("gone", "empty") if c.get(k)]
    text = (
        f"of {fmt_int(accepted)} {accepted_label(store, row)}, {fmt_int(linked)} link their own "
        f"code; the repositories of {fmt_int(read)} were read"
        + (f" ({', '.join(gone_empty)})" if gone_empty else "")
    )
    rest = [
        f"{fmt_int(c[k])} {'is' if c[k] == 1 else 'are'} {COVERAGE_WORDS[k]}"
        for k in ("elsewhere", "unread")
        if c.get(k)
    ]
    return text + ("; " + "; ".join(rest) if rest else "")


def base_sentence(row: VenueYear) -> str:
    """'shares of the 16 papers whose own repository was read and decided, 70 % of the 23
    accepted'."""
    accepted = row.counts.get("accepted", 0)
    of_all = f", {fmt_pct(decided(row) / accepted)} of all {fmt_int(accepted)}" if accepted else ""
    return (
        f"shares of the {count_of(decided(row), 'paper')} whose own repository was read and "
        f"decided{of_all}"
    )


def notes(row: VenueYear) -> list[str]:
    """Caveats: papers not searched for links yet, repositories not read yet, a thin base."""
    c, out = row.counts, []
    unsearched = c.get("accepted", 0) - c.get("searched", 0)
    if unsearched > 0:
        one = unsearched == 1
        out.append(
            f"{fmt_int(unsearched)} of the {fmt_int(c.get('accepted', 0))} papers "
            f"{'has' if one else 'have'} not been searched for links (not read yet, or could "
            "not be read)"
        )
    if c.get("unread"):
        one = c["unread"] == 1
        out.append(
            f"{count_of(c['unread'], 'repository', 'repositories')} {'is' if one else 'are'} not "
            f"read yet (a spent GitHub quota leaves {'it' if one else 'them'} for a later "
            "collection), so these shares can still move"
        )
    if 0 < decided(row) < THIN_PAPERS:
        out.append(f"a share of fewer than {THIN_PAPERS} papers (a hint, not a trend)")
    return out


def _span(dates: Iterable[str]) -> str:
    days = sorted({d[:10] for d in dates if d})
    if not days:
        return "never"
    return days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"


@dataclass(frozen=True)
class Provenance:
    """Where a set of venue-years' code figures come from, gathered once for a footer."""

    sources: tuple[str, ...]
    listed: str  # "2026-12-01" or "2026-12-01 to 2026-12-03"
    read: str  # when the repositories were read, the same way; "never"
    rules: str  # "links links-1; repositories code-1"


def provenance(store: Store, rows: Sequence[VenueYear]) -> Provenance:
    sources = store.sources()
    names: list[str] = []
    listed: list[str] = []
    read: list[str] = []
    links_rules: set[str] = set()
    repo_rules: set[str] = set()
    for r in rows:
        src = sources.get(r.source_id)
        name = src.name if src else r.source_id
        if name not in names:
            names.append(name)
        listing = store.listing(r.venue_id, r.year)
        listed.append(listing.fetched_at if listing is not None else r.collected_at)
        prov = store.read(code.provenance, r.venue_id, r.year)
        links_rules.update(prov.links_rules)
        repo_rules.update(prov.repo_rules)
        if prov.read_span:
            read += list(prov.read_span)
    rules = []
    if links_rules:
        rules.append("links " + ", ".join(sorted(links_rules)))
    if repo_rules:
        rules.append("repositories " + ", ".join(sorted(repo_rules)))
    return Provenance(tuple(names), _span(listed), _span(read), "; ".join(rules))


def footer(store: Store, method: Method, rows: Sequence[VenueYear]) -> str:
    """'Method: code rule (2026-12; links links-1; repositories code-1) · Papers: NeurIPS
    proceedings, listed 2026-12-01 · Repositories: GitHub, read 2026-12-02 to 2026-12-03'."""
    p = provenance(store, rows)
    version = "; ".join(x for x in (method.version, p.rules) if x)
    return (
        f"Method: {method.name} rule ({version}) · Papers: {'; '.join(p.sources) or 'none'}, "
        f"listed {p.listed} · Repositories: GitHub, read {p.read}"
    )


def coverage_cells(row: VenueYear) -> str:
    """'16 of 23' : decided of accepted, for the tables' last column."""
    return f"{fmt_int(decided(row))} of {fmt_int(row.counts.get('accepted', 0))}"
