"""`!chart`: the trend as an image, with the same numbers as text beside it.

The handler is synchronous like every other: it reads the store, builds a ``ChartSpec``, and asks
a ``ChartService`` for the PNG. The bot puts a warmed process-pool service in
``ctx.services["charts"]`` and runs this command in a thread (it is registered ``slow``); the
console and tests get ``trendbot.charts.default_service()``, an in-process service created on
first use. Every answer carries its numbers as text and embed fields, a one-line alt text, and
the provenance footer, so the image is never the only place a number lives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from trendbot.charts import (
    ChartError,
    ChartService,
    ChartSpec,
    ChartSpecError,
    ChartTimeout,
    default_service,
)
from trendbot.charts.alt import alt_text
from trendbot.charts.papers import (
    CODE_SUBTITLE,
    CODE_Y_LABEL,
    WHOLE_POPULATIONS,
    aggregate,
    cadence,
    counts_spec,
    field_share_spec,
    venue_mentions_spec,
    venue_share_spec,
    venues_share_spec,
    year_mentions_spec,
    year_spec,
)
from trendbot.commands import code_ratio, code_text
from trendbot.commands.coverage import not_covered
from trendbot.commands.parsing import Query, UsageError, parse_query
from trendbot.commands.provenance import footer, population_warning
from trendbot.commands.registry import Context, command
from trendbot.commands.reply import Attachment, EmbedField, Reply
from trendbot.commands.tables import (
    count_fields,
    count_table,
    mention_figures,
    mention_table,
    pooled_share,
    share_cells,
    share_of_papers,
)
from trendbot.commands.text import figure_name, fmt_int, fmt_pct, year_ranges
from trendbot.storage import Method, Store, VenueYear

USAGE = (
    "<venue> [venue…] | <year> | counts <venue> | field vision|language|ml "
    "[--method article] [--light]"
)
MAX_VENUES = 5
FIELDS = {"vision": "vision", "cv": "vision", "language": "language", "nlp": "language", "ml": "ml"}
FIELD_TITLES = {"vision": "Vision", "language": "Language", "ml": "General ML"}
WORDS = frozenset({"counts", "count", "raw", "share", "shares", "field", *FIELDS})
FLAGS = frozenset({"light", "dark"})
_FILE_SAFE = re.compile(r"[^a-z0-9]+")
CODE_NOTE = (
    "Shares are of the papers whose own repository was read (one framework, several or none "
    "each); papers without code are not counted."
)


def parse(ctx: Context, args: str) -> Query:
    usage = f"`{ctx.prefix}chart {USAGE}`"
    return parse_query(ctx.store, args, words=WORDS, flags=FLAGS, usage=usage)


@command(
    "chart",
    usage=USAGE,
    summary="The trend as an image: PyTorch vs TensorFlow by year, venue, or field.",
    examples=(
        "!chart NeurIPS",
        "!chart NeurIPS CVPR ACL",
        "!chart 2019",
        "!chart counts CVPR",
        "!chart field vision",
        "!chart ICLR --method article --light",
    ),
    aliases=("plot", "graph"),
    details=(
        "A venue: each framework's share of the papers naming one of them, per year. Up to "
        f"{MAX_VENUES} venues: PyTorch's share at each. A year: every venue's counts as bars, "
        "sorted by PyTorch's share. `counts`: raw paper counts instead of shares. `field`: the "
        "venues of vision, language or general ML combined. `--light` draws for light mode."
    ),
    slow=True,
    parse=parse,
)
def chart_command(ctx: Context, args: str) -> Reply:
    plan = plan_chart(ctx.store, parse(ctx, args), prefix=ctx.prefix)
    return deliver(ctx, plan)


# -- what to draw ---------------------------------------------------------------------------------
@dataclass
class ChartPlan:
    """A spec plus everything the reply says about it, built before any drawing happens."""

    spec: ChartSpec
    command: str
    headline: str
    table: list[str]
    fields: list[EmbedField]
    footer: str
    notes: list[str]
    filename: str
    data_version: int


def plan_chart(store: Store, q: Query, *, prefix: str = "!") -> ChartPlan:
    """Dispatch on the words, venues and years asked for; raises ``UsageError`` for bad input."""
    method = q.method or store.default_method()
    theme = "light" if "light" in q.flags else "dark"
    words = set(q.words)
    fields = {FIELDS[w] for w in words if w in FIELDS}
    counts = bool(words & {"counts", "count", "raw"})
    suffix = ("" if method.is_default else f" --method {method.name}") + (
        " --light" if theme == "light" else ""
    )
    if len(q.years) > 1:
        raise UsageError(
            f"One year at a time, please: `{prefix}chart {q.years[0]}`. For a trend over years, "
            f"name a venue: `{prefix}chart NeurIPS`.",
            usage="",
        )
    if len(q.venues) > MAX_VENUES:
        names = ", ".join(store.venues()[v].name for v in q.venues)
        raise UsageError(
            f"That is {len(q.venues)} venues ({names}); one chart stays readable with at most "
            f"{MAX_VENUES}. Try `{prefix}chart {' '.join(names.split(', ')[:3])}`, or "
            f"`{prefix}chart 2019` for every venue in one year.",
            usage="",
        )
    if "field" in words and not fields:
        raise UsageError(
            f"Which field? `{prefix}chart field vision`, `{prefix}chart field language` or "
            f"`{prefix}chart field ml`.",
            usage="",
        )
    if method.is_code and (counts or fields):
        what = (
            "`counts` draws papers naming PyTorch or TensorFlow, which the code method does not "
            "count"
            if counts
            else "A field chart (venues combined) is not drawn for the code method yet"
        )
        raise UsageError(
            f"{what}; its figures are shares of the papers whose own repository was read. Try "
            f"`{prefix}chart NeurIPS --method code` (a venue's years) or "
            f"`{prefix}chart 2024 --method code` (every venue of a year).",
            usage="",
        )
    if fields:
        if len(fields) > 1 or q.venues or q.years:
            raise UsageError(
                f"A field chart takes just the field, e.g. `{prefix}chart field vision`.", usage=""
            )
        if not method.two_way and not counts:
            return _mentions_field_plan(store, fields.pop(), method, theme, suffix)
        return _field_plan(store, fields.pop(), method, theme, counts, suffix)
    if not method.two_way and not counts:
        if q.years:
            return _mentions_year_plan(store, q.years[0], q.venues, method, theme, suffix)
        if len(q.venues) == 1:
            return _mentions_venue_plan(store, q.venues[0], method, theme, suffix)
        if len(q.venues) > 1:
            raise UsageError(
                f"With `--method {method.name}` a chart shows every framework, so one venue at "
                f"a time: `{prefix}chart {store.venues()[q.venues[0]].name} --method "
                f"{method.name}`, or a year: `{prefix}chart 2024 --method {method.name}`.",
                usage="",
            )
    if q.years:
        return _year_plan(store, q.years[0], q.venues, method, theme, suffix)
    if not q.venues:
        raise UsageError(
            f"Chart what? For example `{prefix}chart NeurIPS`, `{prefix}chart NeurIPS CVPR ACL`, "
            f"`{prefix}chart 2019` or `{prefix}chart field vision`."
        )
    if counts:
        if len(q.venues) > 1:
            raise UsageError(
                f"`counts` draws one venue at a time, e.g. `{prefix}chart counts "
                f"{store.venues()[q.venues[0]].name}`. To compare venues, "
                f"`{prefix}chart {' '.join(store.venues()[v].name for v in q.venues)}` "
                "shows PyTorch's share at each.",
                usage="",
            )
        return _counts_plan(store, q.venues[0], method, theme, suffix)
    if len(q.venues) == 1:
        return _venue_plan(store, q.venues[0], method, theme, suffix)
    return _venues_plan(store, q.venues, method, theme, suffix)


def _series(store: Store, venue_id: str, method: Method) -> list[VenueYear]:
    rows = store.venue_series(venue_id, method.id)
    if not rows:
        raise not_covered(store, method, venue_id=venue_id)
    return rows


def _step(store: Store, venue_id: str) -> int:
    """The venue's cadence from every year any method knows for it: a biennial venue's line
    runs on across the years it was not held; an annual venue's breaks at a missing year."""
    return cadence({y for m in store.methods() for y in store.years(m, venue_id)})


def _no_mentions(rows: list[VenueYear]) -> list[str]:
    return [str(r.year) for r in rows if not r.classified]


def _filename(*parts: str, method: Method, theme: str) -> str:
    """E.g. 'trendbot-chart-neurips-cvpr.png'; the method and theme only when not the default."""
    extra = ("" if method.is_default else method.name, "light" if theme == "light" else "")
    slug = "-".join(_FILE_SAFE.sub("-", p.lower()).strip("-") for p in (*parts, *extra) if p)
    return f"trendbot-chart-{slug[:60]}.png"


def _caveats(
    rows: list[VenueYear], label: Callable[[VenueYear], str] = lambda r: str(r.year)
) -> list[str]:
    return [f"* {label(r)}: {w}" for r in rows if (w := population_warning(r))]


def _change(first: tuple[int, float], last: tuple[int, float]) -> str:
    (y0, s0), (y1, s1) = first, last
    delta = (s1 - s0) * 100
    verb = "rose" if delta > 0.5 else "fell" if delta < -0.5 else "held steady"
    return f"{verb} from {fmt_pct(s0)} in {y0} to {fmt_pct(s1)} in {y1}"


def _venue_plan(store: Store, venue_id: str, method: Method, theme: str, suffix: str) -> ChartPlan:
    rows = _series(store, venue_id, method)
    name = store.venues()[venue_id].name
    foot = footer(store, method, rows)
    spec = venue_share_spec(name, rows, footer=foot, theme=theme, step=_step(store, venue_id))
    shares = [(r.year, r.pytorch_share) for r in rows if r.pytorch_share is not None]
    if not shares:
        raise UsageError(
            f"No {name} paper in {year_ranges([r.year for r in rows])} names exactly one of "
            "PyTorch and TensorFlow, so there is no share to chart.",
            usage="",
        )
    if len(shares) == 1:
        (y, s) = shares[0]
        headline = f"**{name}** has one year with framework mentions, {y}: PyTorch {fmt_pct(s)}."
    else:
        headline = f"**{name}**: PyTorch's share {_change(shares[0], shares[-1])}."
    notes = _caveats(rows)
    if empty := _no_mentions(rows):
        notes.append(f"No paper named either framework in {', '.join(empty)}.")
    return ChartPlan(
        spec,
        command=f"chart {name}{suffix}",
        headline=headline,
        table=count_table("year", [(str(r.year), r) for r in rows]),
        fields=count_fields([(str(r.year), r) for r in rows]),
        footer=foot,
        notes=notes,
        filename=_filename(name, method=method, theme=theme),
        data_version=store.data_version(),
    )


def _venues_plan(
    store: Store, venue_ids: tuple[str, ...], method: Method, theme: str, suffix: str
) -> ChartPlan:
    venues = store.venues()
    named = [(venues[v].name, _series(store, v, method)) for v in venue_ids]
    all_rows = [r for _, rows in named for r in rows]
    foot = footer(store, method, all_rows)
    steps = [_step(store, v) for v in venue_ids]
    spec = venues_share_spec(named, footer=foot, theme=theme, steps=steps)
    years = sorted({r.year for r in all_rows})
    by = {(venues[r.venue_id].name, r.year): r for r in all_rows}
    names = [n for n, _ in named]
    table = ["year  " + "  ".join(f"{n:>8}" for n in names)]
    for y in years:
        cells = []
        for n in names:
            r = by.get((n, y))
            cell = "" if r is None else fmt_pct(r.pytorch_share).replace(" ", "")
            star = "*" if r is not None and r.population != "accepted" else ""
            cells.append(f"{cell + star:>8}")
        table.append(f"{y}  " + "  ".join(cells))
    parts, fields = [], []
    for n, rows in named:
        shares = [(r.year, r.pytorch_share) for r in rows if r.pytorch_share is not None]
        if len(shares) >= 2:
            parts.append(f"{n} {_change(shares[0], shares[-1])}")
        elif shares:
            parts.append(f"{n} {fmt_pct(shares[0][1])} in {shares[0][0]}")
        fields.append(
            EmbedField(
                n,
                " · ".join(
                    f"{r.year}: {fmt_pct(r.pytorch_share)}"
                    for r in rows
                    if r.pytorch_share is not None
                )
                or "no framework mentions",
                inline=False,
            )
        )
    notes = _caveats(all_rows, lambda r: f"{venues[r.venue_id].name} {r.year}")
    return ChartPlan(
        spec,
        command=f"chart {' '.join(names)}{suffix}",
        headline="**PyTorch's share**: " + "; ".join(parts) + ".",
        table=table,
        fields=fields,
        footer=foot,
        notes=notes,
        filename=_filename(*names, method=method, theme=theme),
        data_version=store.data_version(),
    )


def _counts_plan(store: Store, venue_id: str, method: Method, theme: str, suffix: str) -> ChartPlan:
    rows = _series(store, venue_id, method)
    name = store.venues()[venue_id].name
    foot = footer(store, method, rows)
    spec = counts_spec(
        f"{name}: papers naming PyTorch or TensorFlow",
        [(r.year, r.counts, r.population != "accepted") for r in rows],
        footer=foot,
        theme=theme,
        step=_step(store, venue_id),
    )
    first, last = rows[0], rows[-1]
    headline = (
        f"**{name}** papers naming one framework: PyTorch {fmt_int(first.pytorch)} → "
        f"{fmt_int(last.pytorch)}, TensorFlow {fmt_int(first.tensorflow)} → "
        f"{fmt_int(last.tensorflow)} ({first.year}–{last.year})."
        if len(rows) > 1
        else f"**{name} {first.year}**: PyTorch {fmt_int(first.pytorch)}, "
        f"TensorFlow {fmt_int(first.tensorflow)}."
    )
    return ChartPlan(
        spec,
        command=f"chart counts {name}{suffix}",
        headline=headline,
        table=count_table("year", [(str(r.year), r) for r in rows]),
        fields=[
            EmbedField(
                str(r.year),
                f"PyTorch {fmt_int(r.pytorch)} · TensorFlow {fmt_int(r.tensorflow)} "
                f"of {fmt_int(r.total_papers)}",
            )
            for r in rows
        ],
        footer=foot,
        notes=_caveats(rows),
        filename=_filename("counts", name, method=method, theme=theme),
        data_version=store.data_version(),
    )


def _field_plan(
    store: Store, field_id: str, method: Method, theme: str, counts: bool, suffix: str
) -> ChartPlan:
    venues = store.venues()
    members = [v for v in venues.values() if v.field == field_id]
    rows = [r for v in members for r in store.venue_series(v.id, method.id)]
    member_names = ", ".join(v.name for v in members)
    label = FIELD_TITLES[field_id]
    if not rows:
        raise UsageError(
            f"I have no counts for {label.lower()} venues ({member_names}) under the "
            f"{method.name} method.",
            usage="",
        )
    totals = aggregate(rows)
    foot = footer(store, method, rows)
    title = f"{label} ({member_names})"
    if counts:
        spec = counts_spec(
            f"{title}: papers per framework",
            [(t.year, t.counts, t.caveat) for t in totals],
            footer=foot,
            theme=theme,
        )
    else:
        spec = field_share_spec(
            f"{title}: PyTorch vs TensorFlow",
            totals,
            subtitle="Share of papers naming one framework, the field's venues combined",
            footer=foot,
            theme=theme,
        )
    table = ["year  PyTorch  TensorFlow   share  venues"]
    fields = []
    for t in totals:
        pt, tf = t.counts.get("pytorch", 0), t.counts.get("tensorflow", 0)
        s = pt / (pt + tf) if pt + tf else None
        names = ", ".join(venues[v].name for v in t.venues)
        star = "*" if t.caveat else ""
        table.append(f"{t.year}  {pt:>7,}  {tf:>10,}  {fmt_pct(s):>7}  {names}{star}")
        fields.append(EmbedField(str(t.year), f"{fmt_int(pt)} vs {fmt_int(tf)} · {fmt_pct(s)}"))
    shares = [
        (t.year, t.counts.get("pytorch", 0) / c)
        for t in totals
        if (c := t.counts.get("pytorch", 0) + t.counts.get("tensorflow", 0))
    ]
    if not shares:
        raise UsageError(f"No {label.lower()} paper names exactly one framework yet.", usage="")
    headline = (
        f"**{label}** venues combined: PyTorch's share {_change(shares[0], shares[-1])}."
        if len(shares) > 1
        else f"**{label}** venues combined: PyTorch {fmt_pct(shares[0][1])} in {shares[0][0]}."
    )
    notes = _caveats(rows, lambda r: f"{venues[r.venue_id].name} {r.year}")
    notes.append("Years cover the venues held that year (listed per row).")
    return ChartPlan(
        spec,
        command=f"chart{' counts' if counts else ''} field {field_id}{suffix}",
        headline=headline,
        table=table,
        fields=fields,
        footer=foot,
        notes=notes,
        filename=_filename(
            "field", field_id, "counts" if counts else "", method=method, theme=theme
        ),
        data_version=store.data_version(),
    )


def _year_plan(
    store: Store,
    year: int,
    venue_ids: tuple[str, ...],
    method: Method,
    theme: str,
    suffix: str,
) -> ChartPlan:
    venues = store.venues()
    rows = store.year_slice(year, method.id)
    if venue_ids:
        rows = [r for r in rows if r.venue_id in venue_ids]
    if not rows and len(venue_ids) <= 1:  # one venue-year or a year: the shared reply and hint
        raise not_covered(store, method, venue_id=venue_ids[0] if venue_ids else None, year=year)
    if not rows:
        which = ", ".join(venues[v].name for v in venue_ids)
        covered = year_ranges(store.years(method.id))
        raise UsageError(
            f"I have no counts for {which} in {year} (method {method.name}). "
            f"Years covered: {covered}.",
            usage="",
        )
    if not any(r.classified for r in rows):
        raise UsageError(
            f"No paper in {year} ({', '.join(venues[r.venue_id].name for r in rows)}) names "
            "exactly one of PyTorch and TensorFlow, so there is nothing to chart.",
            usage="",
        )
    named = [(venues[r.venue_id].name, r) for r in rows]
    foot = footer(store, method, rows)
    spec = year_spec(year, named, footer=foot, theme=theme)
    order = {n: i for i, n in enumerate(spec.categories)}
    named.sort(key=lambda nr: order.get(nr[0], 99))
    pt = sum(r.pytorch for r in rows)
    tf = sum(r.tensorflow for r in rows)
    table = count_table("venue", named)
    lead = named[0]
    headline = (
        f"**{year}**, {len(rows)} venue{'s' if len(rows) > 1 else ''}: PyTorch {fmt_int(pt)} vs "
        f"TensorFlow {fmt_int(tf)} papers; highest PyTorch share at {lead[0]} "
        f"({fmt_pct(lead[1].pytorch_share)})."
    )
    names = " ".join(venues[v].name for v in venue_ids)
    return ChartPlan(
        spec,
        command=f"chart {names + ' ' if names else ''}{year}{suffix}",
        headline=headline,
        table=table,
        fields=count_fields(named),
        footer=foot,
        notes=_caveats(rows, lambda r: venues[r.venue_id].name),
        filename=_filename(str(year), names, method=method, theme=theme),
        data_version=store.data_version(),
    )


# -- every framework (methods that count each framework a paper names) ----------------------------
def _mention_notes(rows: list[VenueYear]) -> list[str]:
    return ["A paper naming several frameworks counts for each; shares are of all papers."]


def _mentions_venue_plan(
    store: Store, venue_id: str, method: Method, theme: str, suffix: str
) -> ChartPlan:
    rows = _series(store, venue_id, method)
    name = store.venues()[venue_id].name
    points = [
        (r.year, r.counts, r.total_papers, r.population not in WHOLE_POPULATIONS) for r in rows
    ]
    if method.is_code:
        return _code_venue_plan(store, name, rows, method, theme, suffix, points, venue_id)
    figures = mention_figures(rows, method.figures)
    foot = footer(store, method, rows)
    labelled = [(str(r.year), r) for r in rows]
    spec = venue_mentions_spec(
        f"{name}: every framework",
        points,
        figures,
        footer=foot,
        theme=theme,
        step=_step(store, venue_id),
    )
    last = rows[-1]
    ranked = sorted(figures, key=lambda f: -(last.counts.get(f, 0)))
    headline = (
        f"**{name} {last.year}**, share of papers naming each framework: "
        + ", ".join(f"{figure_name(f)} {fmt_pct(share_of_papers(last, f))}" for f in ranked)
        + "."
    )
    return ChartPlan(
        spec,
        command=f"chart {name}{suffix}",
        headline=headline,
        table=mention_table("year", labelled, figures),
        fields=[EmbedField(str(r.year), share_cells(r, figures)) for r in rows],
        footer=foot,
        notes=[*_caveats(rows), *_mention_notes(rows)],
        filename=_filename(name, method=method, theme=theme),
        data_version=store.data_version(),
    )


def _code_venue_plan(
    store: Store,
    name: str,
    rows: list[VenueYear],
    method: Method,
    theme: str,
    suffix: str,
    points: list[tuple[int, dict[str, int], int, bool]],
    venue_id: str,
) -> ChartPlan:
    """The ``code`` method's venue chart: each framework's (and several's, none's) share of the
    papers whose own repository was read, per year; the same numbers as `!ratio --method code`."""
    figures = code_text.code_figures(rows, method)
    foot = code_text.footer(store, method, rows)
    spec = venue_mentions_spec(
        f"{name}: the framework of the papers' own code",
        points,
        figures,
        footer=foot,
        theme=theme,
        step=_step(store, venue_id),
        subtitle=CODE_SUBTITLE,
        y_label=CODE_Y_LABEL,
    )
    last = rows[-1]
    ranked = sorted(figures, key=lambda f: -(last.counts.get(f, 0)))
    labelled = [(str(r.year), r) for r in rows]
    headline = (
        f"**{name} {last.year}**, by the papers' own code: "
        + ", ".join(f"{figure_name(f)} {fmt_pct(share_of_papers(last, f))}" for f in ranked)
        + f" ({code_text.base_sentence(last)})."
    )
    return ChartPlan(
        spec,
        command=f"chart {name}{suffix}",
        headline=headline,
        table=code_ratio.table("year", labelled, figures),
        fields=[
            EmbedField(
                str(r.year),
                share_cells(r, figures),
            )
            for r in rows
        ],
        footer=foot,
        notes=[f"* {n}." for n in code_ratio.row_notes(labelled)] + [CODE_NOTE],
        filename=_filename(name, method=method, theme=theme),
        data_version=store.data_version(),
    )


def _mentions_year_plan(
    store: Store, year: int, venue_ids: tuple[str, ...], method: Method, theme: str, suffix: str
) -> ChartPlan:
    venues = store.venues()
    rows = [
        r for r in store.year_slice(year, method.id) if not venue_ids or r.venue_id in venue_ids
    ]
    if not rows:
        raise not_covered(store, method, venue_id=venue_ids[0] if venue_ids else None, year=year)
    named = [(venues[r.venue_id].name, r) for r in rows]
    if method.is_code:
        return _code_year_plan(store, year, venue_ids, named, method, theme, suffix)
    figures = mention_figures(rows, method.figures)
    foot = footer(store, method, rows)
    spec = year_mentions_spec(year, named, figures, footer=foot, theme=theme)
    order = {n: i for i, n in enumerate(spec.categories)}
    named.sort(key=lambda nr: order.get(nr[0], 99))
    names = " ".join(venues[v].name for v in venue_ids)
    total = sum(r.total_papers for r in rows)
    headline = (
        f"**{year}**, {len(rows)} venue{'s' if len(rows) > 1 else ''}, {fmt_int(total)} papers: "
        + ", ".join(f"{figure_name(f)} {fmt_pct(pooled_share(rows, f))}" for f in figures)
        + " of papers."
    )
    return ChartPlan(
        spec,
        command=f"chart {names + ' ' if names else ''}{year}{suffix}",
        headline=headline,
        table=mention_table("venue", named, figures),
        fields=[EmbedField(n, share_cells(r, figures)) for n, r in named],
        footer=foot,
        notes=[*_caveats(rows, lambda r: venues[r.venue_id].name), *_mention_notes(rows)],
        filename=_filename(str(year), names, method=method, theme=theme),
        data_version=store.data_version(),
    )


def _code_year_plan(
    store: Store,
    year: int,
    venue_ids: tuple[str, ...],
    named: list[tuple[str, VenueYear]],
    method: Method,
    theme: str,
    suffix: str,
) -> ChartPlan:
    """The ``code`` method's year chart: grouped bars, each framework's share of each venue's
    papers whose own repository was read."""
    rows = [r for _, r in named]
    figures = code_text.code_figures(rows, method)
    foot = code_text.footer(store, method, rows)
    spec = year_mentions_spec(
        year, named, figures, footer=foot, theme=theme,
        title=f"{year}: the framework of the papers' own code",
        subtitle="Share of the papers' own repositories read, one framework each",
        y_label=CODE_Y_LABEL,
    )  # fmt: skip
    order = {n: i for i, n in enumerate(spec.categories)}
    named = sorted(named, key=lambda nr: order.get(nr[0], 99))
    read = sum(r.total_papers for r in rows)
    overall = ", ".join(f"{figure_name(f)} {fmt_pct(pooled_share(rows, f))}" for f in figures)
    names = " ".join(store.venues()[v].name for v in venue_ids)
    return ChartPlan(
        spec,
        command=f"chart {names + ' ' if names else ''}{year}{suffix}",
        headline=(
            f"**{year}**, {len(rows)} venue{'s' if len(rows) > 1 else ''}, by the papers' own "
            f"code: {overall} of the {fmt_int(read)} papers whose repository was read."
        ),
        table=code_ratio.table("venue", named, figures),
        fields=[
            EmbedField(
                n,
                share_cells(r, figures),
            )
            for n, r in named
        ],
        footer=foot,
        notes=[f"* {n}." for n in code_ratio.row_notes(named)] + [CODE_NOTE],
        filename=_filename(str(year), names, method=method, theme=theme),
        data_version=store.data_version(),
    )


def _mentions_field_plan(
    store: Store, field_id: str, method: Method, theme: str, suffix: str
) -> ChartPlan:
    venues = store.venues()
    members = [v for v in venues.values() if v.field == field_id]
    rows = [r for v in members for r in store.venue_series(v.id, method.id)]
    label = FIELD_TITLES[field_id]
    if not rows:
        raise UsageError(
            f"I have no counts for {label.lower()} venues under the {method.name} method yet.",
            usage="",
        )
    totals = aggregate(rows)
    papers = {}
    for r in rows:
        papers[r.year] = papers.get(r.year, 0) + r.total_papers
    figures = mention_figures(rows, method.figures)
    foot = footer(store, method, rows)
    points = [(t.year, t.counts, papers[t.year], t.caveat) for t in totals]
    spec = venue_mentions_spec(
        f"{label} venues: every framework", points, figures, footer=foot, theme=theme
    )
    table = ["year  " + "  ".join(f"{figure_name(f)[:10]:>10}" for f in figures) + "   papers"]
    for t in totals:
        cells = "  ".join(
            f"{fmt_pct(t.counts.get(f, 0) / papers[t.year] if papers[t.year] else None):>10}"
            for f in figures
        )
        table.append(f"{t.year}  {cells}  {papers[t.year]:>7,}")
    return ChartPlan(
        spec,
        command=f"chart field {field_id}{suffix}",
        headline=f"**{label}** venues combined, share of papers naming each framework by year.",
        table=table,
        fields=[],
        footer=foot,
        notes=[
            *_caveats(rows, lambda r: f"{venues[r.venue_id].name} {r.year}"),
            *_mention_notes(rows),
        ],
        filename=_filename("field", field_id, method=method, theme=theme),
        data_version=store.data_version(),
    )


# -- drawing and replying -------------------------------------------------------------------------
def chart_service(ctx: Context) -> ChartService:
    """The adapter's service if it gave one (the bot's warmed pool), else the process default."""
    service = ctx.services.get("charts")
    return service if isinstance(service, ChartService) else default_service()


def deliver(ctx: Context, plan: ChartPlan) -> Reply:
    """Draw the plan's spec and wrap it with its numbers; a failed drawing still gives numbers."""
    if plan.spec.is_empty():  # never send an empty frame: say so instead
        raise UsageError(
            "There is nothing to chart: none of those papers names exactly one framework.",
            usage="",
        )
    text = [plan.headline, "```", *plan.table, "```", *plan.notes]
    alt = alt_text(plan.spec)
    files: list[Attachment] = []
    is_error = False
    try:
        result = chart_service(ctx).render(plan.spec, plan.data_version)
    except ChartTimeout:
        is_error = True
        text.insert(0, "Drawing the chart took too long, so here are its numbers; try again soon.")
    except (ChartError, ChartSpecError):  # a spec past a bound is a bug: still give numbers
        is_error = True
        text.insert(0, "I could not draw that chart just now, so here are its numbers.")
    else:
        files.append(Attachment(plan.filename, result.png, alt, "image/png"))
    text.append(plan.footer)
    return Reply(
        "\n".join(text),
        command=plan.command,
        title=plan.spec.title,
        description=plan.headline,
        fields=plan.fields,
        footer=plan.footer,
        files=files,
        is_error=is_error,
        data_version=plan.data_version,
    )
