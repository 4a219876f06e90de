"""`!ratio … --method code`: which framework the papers' own code uses, for a venue-year, a
venue's years, or every venue of a year.

Its own replies rather than the every-framework ones (``commands.ratio``): a share here is of the
papers whose own repository was read, not of all papers, and each repository counts for one
framework, several or none, so the shares add up to 100 %. Every reply says how many of the
venue-year's papers that base is (``code_text``).
"""

from __future__ import annotations

from trendbot.commands import code_text
from trendbot.commands.coverage import not_covered, venues_of_year
from trendbot.commands.reply import EmbedField, Reply
from trendbot.commands.tables import pooled_share, share_cells, share_of_papers
from trendbot.commands.text import figure_name, fmt_int, fmt_pct, with_method, year_ranges
from trendbot.storage import Method, Store, VenueYear


def venue_year_reply(store: Store, venue_id: str, year: int, method: Method) -> Reply:
    row = store.venue_year(venue_id, year, method.id)
    if row is None:
        raise not_covered(store, method, venue_id=venue_id, year=year)
    venue = store.venues()[venue_id]
    head = (
        f"**{venue.name} {year}**, by the papers' own code: "
        f"{code_text.population_sentence(store, row)}."
    )
    if row.total_papers:
        shares = f"{code_text.shares_line(row, method)}: {code_text.base_sentence(row)}."
    else:
        shares = "No paper's own repository has been read and decided yet, so there is no share."
    notes = code_text.notes(row)
    foot = code_text.footer(store, method, [row])
    lines = [head, shares, *(f"Note: {n}." for n in notes), foot]
    fields = [
        EmbedField(
            figure_name(f),
            f"{fmt_pct(share_of_papers(row, f))} ({fmt_int(row.counts.get(f, 0))})",
        )
        for f in code_text.code_figures([row], method)
    ]
    fields.append(
        EmbedField("Repositories read", code_text.coverage_cells(row) + " papers", inline=False)
    )
    fields += [EmbedField("Note", n, inline=False) for n in notes]
    return Reply(
        "\n".join(lines),
        command=with_method(f"ratio {venue.name} {year}", method),
        title=f"{venue.name} {year}: the framework of the papers' own code",
        description=shares,
        fields=fields,
        footer=foot,
        data_version=store.data_version(),
    )


def table(label: str, rows: list[tuple[str, VenueYear]], figures: list[str]) -> list[str]:
    """Each figure's share of the repositories read, and 'read of accepted' papers per row."""
    width = max(len(label), *(len(name) for name, _ in rows)) if rows else len(label)
    heads = [figure_name(f)[:10] for f in figures]
    out = [f"{label:<{width}}  " + "  ".join(f"{h:>10}" for h in heads) + "   read of papers"]
    for name, r in rows:
        cells = "  ".join(f"{fmt_pct(share_of_papers(r, f)):>10}" for f in figures)
        out.append(f"{name:<{width}}  {cells}  {code_text.coverage_cells(r):>15}")
    return out


def row_notes(rows: list[tuple[str, VenueYear]]) -> list[str]:
    return [f"{name}: {'; '.join(ns)}" for name, r in rows if (ns := code_text.notes(r))]


def trend_reply(store: Store, venue_id: str, method: Method) -> Reply:
    rows = store.venue_series(venue_id, method.id)
    if not rows:
        raise not_covered(store, method, venue_id=venue_id)
    venue = store.venues()[venue_id]
    figures = code_text.code_figures(rows, method)
    labelled = [(str(r.year), r) for r in rows]
    first, last = rows[0], rows[-1]
    if len(rows) > 1:
        moves = "; ".join(
            f"{figure_name(f)} {fmt_pct(share_of_papers(first, f))} → "
            f"{fmt_pct(share_of_papers(last, f))}"
            for f in figures
            if first.counts.get(f) or last.counts.get(f)
        )
        sentence = (
            f"share of the papers' own repositories using each framework, {first.year} → "
            f"{last.year}: {moves or 'none decided'}."
        )
    else:
        sentence = f"only {first.year} has code counts: {share_cells(first, figures)}."
    text = [f"**{venue.name}**, {year_ranges([r.year for r in rows])}, by the papers' own code: "
            + sentence]  # fmt: skip
    text += ["```", *table("year", labelled, figures), "```"]
    text += [f"* {n}." for n in row_notes(labelled)]
    text.append(
        'Shares are of the papers whose own repository was read ("read of papers": of all '
        "the year's papers); papers without code are not counted."
    )
    foot = code_text.footer(store, method, rows)
    text.append(foot)
    return Reply(
        "\n".join(text),
        command=with_method(f"ratio {venue.name}", method),
        title=f"{venue.name}: the framework of the papers' own code by year",
        description=sentence,
        fields=[EmbedField(str(r.year), share_cells(r, figures)) for r in rows],
        footer=foot,
        data_version=store.data_version(),
    )


def year_reply(store: Store, year: int, method: Method) -> Reply:
    labelled = venues_of_year(store, year, method)
    rows = [r for _, r in labelled]
    figures = code_text.code_figures(rows, method)
    read = sum(r.total_papers for r in rows)
    accepted = sum(r.counts.get("accepted", 0) for r in rows)
    overall = " · ".join(f"{figure_name(f)} {fmt_pct(pooled_share(rows, f))}" for f in figures)
    head = (
        f"**{year}**, {len(rows)} venue{'s' if len(rows) > 1 else ''}, by the papers' own code: "
        f"{overall}, of the {fmt_int(read)} papers whose repository was read "
        f"({fmt_pct(read / accepted if accepted else None)} of {fmt_int(accepted)})."
    )
    text = [head, "```", *table("venue", labelled, figures), "```"]
    text += [f"* {n}." for n in row_notes(labelled)]
    foot = code_text.footer(store, method, rows)
    text.append(foot)
    return Reply(
        "\n".join(text),
        command=with_method(f"ratio {year}", method),
        title=f"{year}: the framework of the papers' own code by venue",
        description=head.replace("**", ""),
        fields=[EmbedField(name, share_cells(r, figures)) for name, r in labelled],
        footer=foot,
        data_version=store.data_version(),
    )
