"""`!venues` (what is covered) and `!table` (every stored count, as text)."""

from __future__ import annotations

from collections import defaultdict

from trendbot.commands.collect_hint import collects, venue_hint, venue_year_hint, year_hint
from trendbot.commands.parsing import Query, UsageError, parse_query
from trendbot.commands.provenance import footer, method_label
from trendbot.commands.registry import Context, command
from trendbot.commands.reply import EmbedField, Reply
from trendbot.commands.tables import share_of_papers
from trendbot.commands.text import count_of, fmt_pct, year_ranges
from trendbot.storage import Method, Store, VenueYear
from trendbot.storage.collectable import CALENDARS

FIELD_NAMES = {"ml": "general ML", "vision": "vision", "language": "language"}


def not_covered(
    store: Store, method: Method, *, venue_id: str | None = None, year: int | None = None
) -> UsageError:
    """The reply to a venue and/or year the store has no counts for: what is covered instead,
    another counting method only if it has exactly what was asked, and the collect command that
    would add it (or why there is nothing to collect). Shared by every command that reads
    counts."""
    others = [m for m in store.methods().values() if m.id != method.id]
    if venue_id is None:
        msg = (
            f"I have no counts for {year} (method {method.name}). "
            f"Years covered: {year_ranges(store.years(method.id))}."
        )
        other = next((m for m in others if year in store.years(m.id)), None)
        if other is not None:
            msg += f" The {other.name} method has {year}: add `--method {other.name}`."
        hint = year_hint(store, year, method) if year is not None else ""
        if other is not None and not collects(method):
            hint = ""
        return UsageError(f"{msg} {hint}".strip(), usage="")
    name = store.venues()[venue_id].name
    years = store.years(method.id, venue_id)
    if year is None:
        msg = f"I have no counts for {name} under the {method.name} method."
        target = name
        other = next((m for m in others if store.years(m.id, venue_id)), None)
        hint = venue_hint(store, venue_id, method)
    else:
        covered = (
            f"{name} years covered: {year_ranges(years)}."
            if years
            else (f"The {method.name} method has no {name} year yet.")
        )
        msg = f"I have no counts for {name} {year} (method {method.name}). {covered}"
        target = f"{name} {year}"
        other = next((m for m in others if store.venue_year(venue_id, year, m.id)), None)
        hint = venue_year_hint(store, venue_id, year, method)
    if other is not None:
        msg += f" The {other.name} method has {target}: add `--method {other.name}`."
        if not collects(method):
            hint = ""  # a collection would not add it under this method: the other one answers
    return UsageError(f"{msg} {hint}".strip(), usage="")


def venues_of_year(store: Store, year: int, method: Method) -> list[tuple[str, VenueYear]]:
    """(venue name, its counts) of every venue in ``year`` under ``method``, PyTorch's share of
    papers highest first (a year's `!ratio` under the every-framework and code methods), or
    ``not_covered``'s reply."""
    rows = store.year_slice(year, method.id)
    if not rows:
        raise not_covered(store, method, year=year)
    venues = store.venues()
    rows.sort(key=lambda r: (-(share_of_papers(r, "pytorch") or 0), venues[r.venue_id].name))
    return [(venues[r.venue_id].name, r) for r in rows]


def _unread_counts(failed: int, scans: int) -> str:
    parts = [f"{failed:,} unread"] if failed else []
    if scans:
        parts.append(f"{scans:,} scan{'' if scans == 1 else 's'}")
    return ", ".join(parts)


def _no_arguments(ctx: Context, args: str) -> None:
    if args.strip():
        raise UsageError(f"`{ctx.prefix}venues` takes no arguments.")


def _table_query(ctx: Context, args: str) -> Query:
    return parse_query(
        ctx.store, args, usage=f"`{ctx.prefix}table [venue|year] [--method article]`"
    )


@command(
    "venues",
    usage="",
    summary="What is covered: venues, years, counting methods and sources.",
    examples=("!venues",),
    aliases=("coverage", "conferences", "venue", "list"),
    family="info",
    parse=_no_arguments,
)
def venues_command(ctx: Context, args: str) -> Reply:
    _no_arguments(ctx, args)
    store = ctx.store
    coverage = store.coverage()
    by_venue: dict[str, dict[str, tuple[int, ...]]] = defaultdict(dict)
    for c in coverage:
        by_venue[c.venue_id][c.method_id] = c.years
    methods = store.methods()
    default = store.default_method()
    lines = ["**Venues covered** (years per counting method):"]
    fields = []
    for field_id in ("ml", "vision", "language"):
        entries = []
        for v in store.venues().values():
            if v.field != field_id:
                continue
            per = by_venue.get(v.id, {})
            if not per:  # a venue only trendbot's collections count (Findings) before a run
                cal = CALENDARS.get(v.name)
                since = f", from {cal.first}" if cal else ""
                entries.append(f"{v.name}: none yet (trendbot's collections only{since})")
                continue
            years = year_ranges(per.get(default.id, ()))
            others = [
                f"{methods[m].name}: {year_ranges(ys)}" for m, ys in per.items() if m != default.id
            ]
            extra = f" ({'; '.join(others)})" if others else ""
            entries.append(f"{v.name} {years}{extra}")
        if entries:
            lines.append(f"- {FIELD_NAMES[field_id]}: " + " · ".join(entries))
            fields.append(EmbedField(FIELD_NAMES[field_id], "\n".join(entries), inline=False))
    lines.append(
        "Methods: "
        + "; ".join(f"`{m.name}` = {m.title} ({m.version})" for m in methods.values())
        + f". Default: `{default.name}`."
    )
    unread = store.paper_failures()
    if unread:
        parts = [
            f"{store.venues()[v].name} {y}: {_unread_counts(f, n)}"
            for (v, y), (f, n) in sorted(unread.items(), key=lambda kv: (kv[0][1], kv[0][0]))
            if v in store.venues()
        ]
        text = "; ".join(parts)
        if len(text) > 600:
            text = text[:599].rsplit("; ", 1)[0] + "; …"
        lines.append(f"Papers of collected venue-years that could not be read: {text}.")
        fields.append(EmbedField("Unread papers (counted in totals)", text[:1024], inline=False))
    lines.append("Sources: " + "; ".join(s.name for s in store.research_sources()) + ".")
    lines.append(f"Ask `{ctx.prefix}about` how the numbers are counted.")
    return Reply(
        "\n".join(lines),
        command="venues",
        title="What trendbot covers",
        fields=[
            *fields,
            EmbedField("Methods", ", ".join(f"`{m.name}`" for m in methods.values()), inline=False),
        ],
        footer=f"Default method: {method_label(default)} · data version {store.data_version()}",
        data_version=store.data_version(),
    )


@command(
    "table",
    usage="[venue|year] [--method article]",
    summary="Every stored count as a plain table (long tables arrive as a .txt file).",
    examples=("!table", "!table CVPR", "!table 2019 --method article"),
    aliases=("data", "dump", "csv"),
    family="info",
    parse=_table_query,
)
def table_command(ctx: Context, args: str) -> Reply:
    store = ctx.store
    q = _table_query(ctx, args)
    methods = [q.method] if q.method_explicit and q.method else list(store.methods().values())
    venues = store.venues()
    rows = []
    for m in methods:
        for v in q.venues or venues:
            for r in store.venue_series(v, m.id):
                if q.years and r.year not in q.years:
                    continue
                rows += [(m, r), *((m, other) for other in r.others)]
    if not rows and len(q.venues) <= 1 and len(q.years) <= 1 and (q.venues or q.years):
        method = q.method if q.method_explicit and q.method else store.default_method()
        raise not_covered(
            store,
            method,
            venue_id=q.venues[0] if q.venues else None,
            year=q.years[0] if q.years else None,
        )
    if not rows:
        raise UsageError("No stored counts match that.")
    figures = list(dict.fromkeys(f for m, _ in rows for f in m.figures))
    out = [
        "method,venue,year,"
        + ",".join(figures)
        + ",pytorch_share,total_papers,population,source,collected_at"
    ]
    for m, r in rows:
        share = fmt_pct(r.pytorch_share).replace(" %", "%") if m.two_way and r.classified else ""
        cells = ",".join(str(r.counts.get(f, 0)) if f in m.figures else "" for f in figures)
        out.append(
            f"{m.name},{venues[r.venue_id].name},{r.year},{cells},{share},"
            f"{r.total_papers},{r.population},{r.source_id},{r.collected_at}"
        )
    body = "\n".join(out)
    # Provenance of the methods that have rows here: a method with none has nothing to cite.
    foot = "; ".join(
        footer(store, m, mine) for m in methods if (mine := [r for mm, r in rows if mm is m])
    )
    return Reply(
        f"{count_of(len(rows), 'row')}:\n```csv\n{body}\n```\n{foot}",
        command="table " + args.strip() if args.strip() else "table",
        data_version=store.data_version(),
    )
