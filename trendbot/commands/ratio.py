"""`!ratio`: PyTorch vs TensorFlow paper counts for a venue-year, a venue's trend, or a year."""

from __future__ import annotations

from trendbot.commands.coverage import not_covered
from trendbot.commands.parsing import Query, UsageError, parse_query
from trendbot.commands.provenance import footer, method_label, population_warning
from trendbot.commands.registry import Context, command
from trendbot.commands.reply import EmbedField, Reply
from trendbot.commands.tables import caveats, count_fields, count_table
from trendbot.commands.text import fmt_int, fmt_pct, fmt_ratio, year_ranges
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
        "trend. With only a year: every venue that year, sorted by PyTorch's share."
    ),
    parse=parse,
)
def ratio_command(ctx: Context, args: str) -> Reply:
    return answer(ctx.store, parse(ctx, args), prefix=ctx.prefix)


def answer(store: Store, q: Query, *, prefix: str = "!") -> Reply:
    """Dispatch on what was given; shared with the bot's `/ratio venue: year:` form."""
    usage = f"`{prefix}ratio {USAGE}`"
    if len(q.venues) > 1:
        names = " ".join(store.venues()[v].name for v in q.venues)
        raise UsageError(
            f"One venue at a time, please. To compare {names}, try "
            f"`{prefix}ratio {q.years[0] if q.years else 2019}` (every venue that year).",
            usage=usage,
        )
    if len(q.years) > 1:
        raise UsageError("One year at a time, please.", usage=usage)
    method = q.method or store.default_method()
    if q.venues and q.years:
        return venue_year_reply(store, q.venues[0], q.years[0], method)
    if q.venues:
        return venue_trend_reply(store, q.venues[0], method)
    if q.years:
        return year_reply(store, q.years[0], method)
    raise UsageError(f"Which venue or year? For example `{prefix}ratio NeurIPS 2019`.", usage=usage)


def venue_year_reply(store: Store, venue_id: str, year: int, method: Method) -> Reply:
    row = store.venue_year(venue_id, year, method.id)
    if row is None:
        raise not_covered(store, method, venue_id=venue_id, year=year)
    venue = store.venues()[venue_id]
    pt, tf, total = row.pytorch, row.tensorflow, row.total_papers
    share = row.pytorch_share
    if row.classified:
        verdict = (
            f"PyTorch share **{fmt_pct(share)}** ({fmt_ratio(pt, tf)}) of the "
            f"{fmt_int(row.classified)} papers that mention exactly one of the two, "
            f"out of {fmt_int(total)} papers."
        )
    else:
        verdict = f"None of the {fmt_int(total)} papers mentions exactly one of the two."
    lines = [f"**{venue.name} {year}**: PyTorch {fmt_int(pt)}, TensorFlow {fmt_int(tf)}.", verdict]
    warning = population_warning(row)
    if warning:
        lines.append(f"Note: {warning}.")
    foot = footer(store, method, [row])
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
    if warning:
        fields.append(EmbedField("Note", warning, inline=False))
    return Reply(
        "\n".join(lines),
        command=f"ratio {venue.name} {year}"
        + ("" if method.is_default else f" --method {method.name}"),
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
        command=f"ratio {venue.name}" + ("" if method.is_default else f" --method {method.name}"),
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
        f"**{year}**, {len(rows)} venues: PyTorch {fmt_int(pt)} vs TensorFlow {fmt_int(tf)}, "
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
        command=f"ratio {year}" + ("" if method.is_default else f" --method {method.name}"),
        title=f"{year}: PyTorch vs TensorFlow by venue",
        description=f"{fmt_pct(overall)} PyTorch overall · {method_label(method)}",
        fields=fields,
        footer=foot,
        data_version=store.data_version(),
    )
