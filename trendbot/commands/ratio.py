"""`!ratio`: PyTorch vs TensorFlow paper counts for a venue-year, a venue's trend, or a year."""

from __future__ import annotations

from trendbot.commands import code_ratio
from trendbot.commands.coverage import not_covered, venues_of_year
from trendbot.commands.parsing import Query, UsageError, parse_query
from trendbot.commands.provenance import (
    alternative_lines,
    footer,
    method_label,
    population_label,
    population_warning,
    unread,
)
from trendbot.commands.registry import Context, command
from trendbot.commands.reply import EmbedField, Reply
from trendbot.commands.tables import (
    caveats,
    count_fields,
    count_table,
    mention_figures,
    mention_table,
    pooled_share,
    share_cells,
    share_of_papers,
)
from trendbot.commands.text import (
    and_list,
    count_of,
    figure_name,
    fmt_int,
    fmt_pct,
    fmt_ratio,
    with_method,
    year_ranges,
)
from trendbot.storage import Method, Store, VenueYear

USAGE = "<venue> [year] | <year> [--method article]"


def parse(ctx: Context, args: str) -> Query:
    return parse_query(ctx.store, args, usage=f"`{ctx.prefix}ratio {USAGE}`")


@command(
    "ratio",
    usage=USAGE,
    summary="PyTorch vs TensorFlow: papers mentioning each, for a venue-year, a venue, or a year.",
    examples=(
        "!ratio NeurIPS 2019",
        "!ratio nips 19",
        "!ratio CVPR",
        "!ratio 2019",
        "!ratio CVPR 2019 --method article",
    ),
    aliases=("share", "r", "pytorch", "tensorflow"),
    details=(
        "With a venue and a year: the two counts, PyTorch's share of the papers that mention "
        "exactly one of them, and the total papers. With only a venue: every year, and the "
        "trend. With only a year: every venue that year, sorted by PyTorch's share. With "
        "`--method code`: which framework the papers' own code uses, as a share of the papers "
        "whose repository was read, and how many of the venue-year's papers that is."
    ),
    parse=parse,
)
def ratiowith_method(ctx: Context, args: str) -> Reply:
    return answer(ctx.store, parse(ctx, args), prefix=ctx.prefix)


def answer(store: Store, q: Query, *, prefix: str = "!") -> Reply:
    """Dispatch on what was given; shared with the bot's `/ratio venue: year:` form."""
    usage = f"`{prefix}ratio {USAGE}`"
    if len(q.venues) > 1:
        names = and_list([store.venues()[v].name for v in q.venues])
        raise UsageError(
            f"One venue at a time, please. To compare {names}, try "
            f"`{prefix}ratio {q.years[0] if q.years else 2019}` (every venue that year).",
            usage=usage,
        )
    if len(q.years) > 1:
        years = and_list([str(y) for y in q.years])
        venue = store.venues()[q.venues[0]].name if q.venues else "<venue>"
        raise UsageError(
            f"One year at a time, please; you gave {years}. `{prefix}chart {venue}` draws "
            "every year of a venue.",
            usage=usage,
        )
    method = q.method or store.default_method()
    if method.is_code:
        if q.venues and q.years:
            return code_ratio.venue_year_reply(store, q.venues[0], q.years[0], method)
        if q.venues:
            return code_ratio.trend_reply(store, q.venues[0], method)
        if q.years:
            return code_ratio.year_reply(store, q.years[0], method)
    elif not method.two_way:
        if q.venues and q.years:
            return mentions_venue_year_reply(store, q.venues[0], q.years[0], method)
        if q.venues:
            return mentions_trend_reply(store, q.venues[0], method)
        if q.years:
            return mentions_year_reply(store, q.years[0], method)
    elif q.venues and q.years:
        return venue_year_reply(store, q.venues[0], q.years[0], method)
    elif q.venues:
        return venue_trend_reply(store, q.venues[0], method)
    elif q.years:
        return year_reply(store, q.years[0], method)
    raise UsageError(f"Which venue or year? For example `{prefix}ratio NeurIPS 2019`.", usage=usage)


def venue_year_reply(store: Store, venue_id: str, year: int, method: Method) -> Reply:
    row = store.venue_year(venue_id, year, method.id)
    if row is None:
        raise not_covered(store, method, venue_id=venue_id, year=year)
    venue = store.venues()[venue_id]
    pt, tf, total = row.pytorch, row.tensorflow, row.total_papers
    share = row.pytorch_share
    counted = population_label(store, row)
    if row.classified:
        one = row.classified == 1
        verdict = (
            f"PyTorch share **{fmt_pct(share)}** ({fmt_ratio(pt, tf)}) of the "
            f"{count_of(row.classified, 'paper')} that mention{'s' if one else ''} exactly one "
            f"of the two, out of {fmt_int(total)} {counted}."
        )
    else:
        # ``counted`` is a description ("accepted ICML papers: every paper of the year's PMLR
        # volume"), so it stands after the number in brackets, not inside the sentence.
        verdict = (
            f"No paper mentions exactly one of the two ({fmt_int(total)} {counted})."
            if total
            else f"No papers are counted ({counted})."
        )
    lines = [f"**{venue.name} {year}**: PyTorch {fmt_int(pt)}, TensorFlow {fmt_int(tf)}.", verdict]
    notes = [n for n in (population_warning(row), unread(store, row)) if n]
    lines += [f"Note: {n}." for n in notes]
    also = alternative_lines(store, method, row)
    lines += also
    foot = footer(store, method, [row, *row.others])
    lines.append(foot)
    fields = [
        EmbedField(
            "PyTorch", f"{fmt_int(pt)} ({fmt_pct(pt / total if total else None)} of papers)"
        ),
        EmbedField(
            "TensorFlow", f"{fmt_int(tf)} ({fmt_pct(tf / total if total else None)} of papers)"
        ),
        EmbedField("PyTorch share", f"{fmt_pct(share)} ({fmt_ratio(pt, tf)})"),
        EmbedField(
            "Papers", fmt_int(total) + (" (submissions)" if row.population == "submissions" else "")
        ),
    ]
    fields += [EmbedField("Note", n, inline=False) for n in notes]
    fields += [EmbedField("Also counted", a, inline=False) for a in also]
    return Reply(
        "\n".join(lines),
        command=with_method(f"ratio {venue.name} {year}", method),
        title=f"{venue.name} {year}: PyTorch vs TensorFlow",
        fields=fields,
        footer=foot,
        data_version=store.data_version(),
    )


def _trend_sentence(name: str, rows: list[VenueYear]) -> str:
    shares = [(r.year, r.pytorch_share) for r in rows if r.pytorch_share is not None]
    if len(shares) < 2:
        if shares:
            return f"Only one year with classified papers at {name} ({shares[0][0]})."
        return f"No paper at {name} mentions exactly one of the two frameworks yet."
    (y0, s0), (y1, s1) = shares[0], shares[-1]
    delta = (s1 - s0) * 100
    direction = "rose" if delta > 0.5 else "fell" if delta < -0.5 else "held steady"
    sentence = (
        f"PyTorch's share at {name} {direction} from {fmt_pct(s0)} in {y0} to {fmt_pct(s1)} "
        f"in {y1} ({delta:+.1f} points)"
    )
    crossed = next((y for y, s in shares if s > 0.5), None)
    if crossed and s0 <= 0.5:
        sentence += f"; it first passed TensorFlow in {crossed}"
    elif s0 > 0.5:
        sentence += "; PyTorch led throughout"
    return sentence + "."


def venue_trend_reply(store: Store, venue_id: str, method: Method) -> Reply:
    rows = store.venue_series(venue_id, method.id)
    venue = store.venues()[venue_id]
    if not rows:
        raise not_covered(store, method, venue_id=venue_id)
    labelled = [(str(r.year), r) for r in rows]
    table, notes = count_table("year", labelled), caveats(labelled)
    trend = _trend_sentence(venue.name, rows)
    foot = footer(store, method, rows)
    text = [
        f"**{venue.name}**, {year_ranges([r.year for r in rows])}: {trend}",
        "```",
        *table,
        "```",
    ]
    if notes:
        text.append("* " + "; ".join(notes) + ".")
    text.append(foot)
    fields = count_fields(labelled)
    return Reply(
        "\n".join(text),
        command=with_method(f"ratio {venue.name}", method),
        title=f"{venue.name}: PyTorch vs TensorFlow by year",
        description=trend,
        fields=fields,
        footer=foot,
        data_version=store.data_version(),
    )


def year_reply(store: Store, year: int, method: Method) -> Reply:
    rows = store.year_slice(year, method.id)
    if not rows:
        raise not_covered(store, method, year=year)
    venues = store.venues()
    rows.sort(
        key=lambda r: (r.pytorch_share is None, -(r.pytorch_share or 0), venues[r.venue_id].name)
    )
    pt = sum(r.pytorch for r in rows)
    tf = sum(r.tensorflow for r in rows)
    overall = pt / (pt + tf) if pt + tf else None
    labelled = [(venues[r.venue_id].name, r) for r in rows]
    table, notes = count_table("venue", labelled), caveats(labelled)
    head = (
        f"**{year}**, {count_of(len(rows), 'venue')}: PyTorch {fmt_int(pt)} vs TensorFlow "
        f"{fmt_int(tf)}, "
        f"**{fmt_pct(overall)}** PyTorch overall ({fmt_ratio(pt, tf)})."
    )
    foot = footer(store, method, rows)
    text = [head, "```", *table, "```"]
    if notes:
        text.append("* " + "; ".join(notes) + ".")
    text.append(foot)
    fields = count_fields(labelled)
    return Reply(
        "\n".join(text),
        command=with_method(f"ratio {year}", method),
        title=f"{year}: PyTorch vs TensorFlow by venue",
        description=f"{fmt_pct(overall)} PyTorch overall · {method_label(method)}",
        fields=fields,
        footer=foot,
        data_version=store.data_version(),
    )


# -- every framework (methods that are not the study's two-way rule) -------------------------------
def _mentions_line(row: VenueYear, method: Method) -> str:
    figures = [f for f in method.figures if "+" not in f]
    named = sorted((f for f in figures if row.counts.get(f)), key=lambda f: -row.counts[f])
    parts = [
        f"{figure_name(f)} {fmt_int(row.counts[f])} ({fmt_pct(share_of_papers(row, f))})"
        for f in named
    ]
    none = [figure_name(f) for f in figures if not row.counts.get(f)]
    text = " · ".join(parts) if parts else "no paper names any of them"
    return text + (f" · none: {', '.join(none)}" if none and parts else "")


def mentions_venue_year_reply(store: Store, venue_id: str, year: int, method: Method) -> Reply:
    """Every framework's papers and share of all papers, for a method that counts each one."""
    row = store.venue_year(venue_id, year, method.id)
    if row is None:
        raise not_covered(store, method, venue_id=venue_id, year=year)
    venue = store.venues()[venue_id]
    counted = population_label(store, row)
    lines = [
        f"**{venue.name} {year}**, every framework named, of {fmt_int(row.total_papers)} "
        f"{counted}:",
        _mentions_line(row, method) + ".",
    ]
    if method.both:
        pair = "+".join(method.both)
        both = row.counts.get(pair, 0)
        lines.append(
            f"{fmt_int(both)} paper{'' if both == 1 else 's'} "
            f"({fmt_pct(share_of_papers(row, pair))}) name{'s' if both == 1 else ''} both "
            f"{figure_name(method.both[0])} and {figure_name(method.both[1])}; a paper naming "
            "several frameworks counts for each."
        )
    notes = [n for n in (population_warning(row), unread(store, row)) if n]
    lines += [f"Note: {n}." for n in notes]
    foot = footer(store, method, [row])
    lines.append(foot)
    fields = [
        EmbedField(
            figure_name(f),
            f"{fmt_int(row.counts.get(f, 0))} ({fmt_pct(share_of_papers(row, f))} of papers)",
        )
        for f in method.figures
    ]
    fields.append(EmbedField("Papers", f"{fmt_int(row.total_papers)} {counted}", inline=False))
    fields += [EmbedField("Note", n, inline=False) for n in notes]
    return Reply(
        "\n".join(lines),
        command=with_method(f"ratio {venue.name} {year}", method),
        title=f"{venue.name} {year}: every framework",
        description=lines[1],
        fields=fields,
        footer=foot,
        data_version=store.data_version(),
    )


def _mentions_trend_sentence(name: str, rows: list[VenueYear], figures: list[str]) -> str:
    if len(rows) < 2:
        return f"Only {rows[0].year} is counted at {name}."
    first, last = rows[0], rows[-1]
    parts = []
    for f in figures:
        s0, s1 = share_of_papers(first, f), share_of_papers(last, f)
        if s0 is None or s1 is None or not (first.counts.get(f) or last.counts.get(f)):
            continue
        parts.append(f"{figure_name(f)} {fmt_pct(s0)} → {fmt_pct(s1)}")
    return (
        f"share of {name} papers naming each framework, {first.year} → {last.year}: "
        + ("; ".join(parts) or "no framework named")
        + "."
    )


def mentions_trend_reply(store: Store, venue_id: str, method: Method) -> Reply:
    rows = store.venue_series(venue_id, method.id)
    venue = store.venues()[venue_id]
    if not rows:
        raise not_covered(store, method, venue_id=venue_id)
    figures = mention_figures(rows, method.figures)
    labelled = [(str(r.year), r) for r in rows]
    sentence = _mentions_trend_sentence(venue.name, rows, figures)
    foot = footer(store, method, rows)
    text = [f"**{venue.name}**, {year_ranges([r.year for r in rows])}: {sentence}"]
    text += ["```", *mention_table("year", labelled, figures), "```"]
    if notes := caveats(labelled):
        text.append("* " + "; ".join(notes) + ".")
    text.append("A paper naming several frameworks counts for each; shares are of all papers.")
    text.append(foot)
    return Reply(
        "\n".join(text),
        command=with_method(f"ratio {venue.name}", method),
        title=f"{venue.name}: every framework by year",
        description=sentence,
        fields=[EmbedField(str(r.year), share_cells(r, figures)) for r in rows],
        footer=foot,
        data_version=store.data_version(),
    )


def mentions_year_reply(store: Store, year: int, method: Method) -> Reply:
    labelled = venues_of_year(store, year, method)
    rows = [r for _, r in labelled]
    figures = mention_figures(rows, method.figures)
    total = sum(r.total_papers for r in rows)
    overall = " · ".join(f"{figure_name(f)} {fmt_pct(pooled_share(rows, f))}" for f in figures)
    head = (
        f"**{year}**, {len(rows)} venue{'s' if len(rows) > 1 else ''}, {fmt_int(total)} papers; "
        "share naming each "
        f"framework: {overall}."
    )
    foot = footer(store, method, rows)
    text = [head, "```", *mention_table("venue", labelled, figures), "```"]
    if notes := caveats(labelled):
        text.append("* " + "; ".join(notes) + ".")
    text.append(foot)
    return Reply(
        "\n".join(text),
        command=with_method(f"ratio {year}", method),
        title=f"{year}: every framework by venue",
        description=head.replace("**", ""),
        fields=[EmbedField(name, share_cells(r, figures)) for name, r in labelled],
        footer=foot,
        data_version=store.data_version(),
    )
