"""`!compare [year]`: the 2019 study's question in one reply, research beside industry.

Research: each framework's share of the papers naming a framework, at each venue's latest
covered year (or at the year asked for): the study's counts up to 2022, trendbot's own
collections after it (under the modern rule, which counts JAX and the others too), kept as two
separate groups because the two rules count differently. Industry: each framework's share of PyPI
downloads, of GitHub stars gained over the year, and of job ads naming a framework (and of
Stack Overflow questions or Hugging Face models once collectors have stored them).

The closing sentence, whether "PyTorch dominates research, TensorFlow dominates industry" still
holds, is computed from those shares: it changes when the numbers do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from trendbot.charts.papers import BAR_THIN_NOTE, THIN_PAPERS
from trendbot.charts.spec import ChartSpec, Series, clip_label
from trendbot.commands import code_text
from trendbot.commands.chart import ChartPlan, deliver
from trendbot.commands.industry import words_of
from trendbot.commands.industry_format import (
    collected_range,
    fmt_number,
    fw_name,
    month_name,
    short_month,
    short_source_names,
    source_names,
)
from trendbot.commands.parsing import UsageError, contradiction, parse_query, tokenize
from trendbot.commands.registry import Context, command
from trendbot.commands.reply import EmbedField
from trendbot.commands.text import echo, fmt_pct, year_ranges
from trendbot.storage import Method, Store, VenueYear
from trendbot.storage import metrics as mq
from trendbot.storage.figures import family_of, layout, newest_values
from trendbot.storage.metrics import MetricValue

USAGE = "[year] [--method article|modern|code] [--light]"
MAX_FRAMEWORKS = 6


@dataclass(frozen=True)
class Shares:
    """One measure's shares between frameworks, with what they are of and where from."""

    label: str  # "PyPI downloads"
    detail: str  # "March 2026, hugovk-top-pypi-packages"
    values: dict[str, float]  # framework → the figure the share is computed from
    unit: str  # "papers", "downloads": what the total counts, a plural noun after the number
    values_used: tuple[MetricValue, ...] = ()
    note: str = ""  # said after "<total> <unit>": "naming exactly one of PyTorch and TensorFlow"
    rows: tuple[VenueYear, ...] = ()  # the venue-years a research share counts
    when: str = ""  # the short date under its bars on the chart: "2018–2020", "Mar 2026"

    @property
    def total(self) -> float:
        return sum(self.values.values())

    def share(self, fw: str) -> float | None:
        return self.values.get(fw, 0) / self.total if self.total else None

    @property
    def leader(self) -> str | None:
        return max(self.values, key=lambda f: self.values[f]) if self.total else None

    def ranked(self) -> list[str]:
        return sorted(self.values, key=lambda f: -self.values[f])


@dataclass(frozen=True)
class CompareQuery:
    year: int | None = None
    theme: str = "dark"
    method: Method | None = None  # None: the default (the study's rule, then the collections')


THEMES = frozenset({"light", "dark"})


def parse(ctx: Context, args: str) -> CompareQuery:
    """A year, a counting method and a theme, in any order and spelling the other commands
    take (`--method article`, `method:article`, `--article`)."""
    usage = f"`{ctx.prefix}compare {USAGE}`"
    words_of(args)  # the length limit, said the industry commands' way
    aliases = ctx.store.aliases()
    tokens, _, _ = tokenize(args)
    others = {t for t in tokens if t not in aliases and not t.isdigit()}
    q = parse_query(ctx.store, args, words=others | THEMES, flags=THEMES, usage=usage)
    if len(q.years) > 1:
        first, second = (echo(str(y)) for y in q.years[:2])
        raise UsageError(
            f"`{ctx.prefix}compare` takes one year; you gave {first} and {second}. For a span of "
            f"years, `{ctx.prefix}trend` draws each metric.",
            usage=usage,
        )
    bad = [w for w in q.words if w not in THEMES]
    if bad:
        raise UsageError(
            f"{echo(bad[0], 20)} isn't a year I understand; `{ctx.prefix}compare` takes one year, "
            f"e.g. `{ctx.prefix}compare 2019`, or none for the latest figures.",
            usage=usage,
        )
    if q.venues:
        raise UsageError(
            f"`{ctx.prefix}compare` sets every venue against industry; for one venue, try "
            f"`{ctx.prefix}ratio {ctx.store.venues()[q.venues[0]].name}`.",
            usage=usage,
        )
    themes = (set(q.words) | set(q.flags)) & THEMES
    if len(themes) > 1:
        raise contradiction("--light", "--dark", usage=usage)
    method = q.method if q.method_explicit and q.method and not q.method.is_default else None
    return CompareQuery(q.years[0] if q.years else None, themes.pop() if themes else "dark", method)


@command(
    "compare",
    usage=USAGE,
    summary="Research beside industry: paper shares next to downloads, stars and job ads, and "
    "whether the 2019 split still holds.",
    examples=("!compare", "!compare 2019", "!compare 2019 --method article"),
    aliases=("split",),
    details=(
        "Research: each framework's share of the papers naming a framework, at each venue's "
        "latest covered year (the study's counts; trendbot's collections after 2022 as their own "
        "group). Industry: shares of PyPI downloads, of GitHub stars gained in a year, and of "
        "job ads. With a year: that year's papers and the industry figures of that year. "
        "With a method (`--method article`): the research side under that rule alone."
    ),
    slow=True,
    parse=parse,
)
def compare_command(ctx: Context, args: str) -> object:
    return deliver(ctx, plan_compare(ctx.store, parse(ctx, args), prefix=ctx.prefix))


# -- research -------------------------------------------------------------------------------------
def _modern(store: Store) -> Method | None:
    return next((m for m in store.methods().values() if m.name == "modern"), None)


def _counts(rows: list[VenueYear]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in rows:
        for fw, n in r.counts.items():
            if "+" not in fw:
                out[fw] = out.get(fw, 0) + n
    return out


def _years(rows: list[VenueYear]) -> str:
    years = sorted({r.year for r in rows})
    return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"


def _venue_years(store: Store, rows: list[VenueYear]) -> str:
    venues = store.venues()
    return ", ".join(f"{venues[r.venue_id].name} {r.year}" for r in rows)


def _collected_rows(store: Store, rows: list[VenueYear]) -> list[VenueYear]:
    """The collected figure of each venue-year: the row itself, or one in its ``others``."""
    out = []
    for r in rows:
        for cand in (r, *r.others):
            if not store.is_published(cand.source_id):
                out.append(cand)
                break
    return out


def research(store: Store, year: int | None, method: Method | None = None) -> list[Shares]:
    """The study's group, then trendbot's collections, each only if it has papers; with a
    method, both under that rule alone."""
    if method is not None:
        return research_under(store, year, method)
    final = store.default_method()
    modern = _modern(store)
    study: list[VenueYear] = []
    collected: list[VenueYear] = []
    for venue_id in store.venues():
        finals = store.venue_series(venue_id, final.id)
        moderns = store.venue_series(venue_id, modern.id) if modern else []
        if year is not None:
            finals = [r for r in finals if r.year == year]
            moderns = [r for r in moderns if r.year == year]
        published = [r for r in finals if store.is_published(r.source_id)]
        mine = _collected_rows(store, moderns) or _collected_rows(store, finals)
        if year is None:
            last_study = published[-1].year if published else 0
            mine = [r for r in mine if r.year > last_study][-1:]
            published = published[-1:] if not mine else []
        study += published
        collected += mine
    groups = []
    if study:
        groups.append(
            Shares(
                "Papers (study)",
                f"{final.name} rule: {_venue_years(store, study)}",
                _counts(study),
                "papers",
                note="naming exactly one of PyTorch and TensorFlow",
                rows=tuple(study),
                when=_years(study),
            )
        )
    if collected:
        rule = {r.method_id for r in collected}
        name = modern.name if modern and rule == {modern.id} else "collected"
        groups.append(
            Shares(
                "Papers (trendbot)",
                f"{name} rule: {_venue_years(store, collected)}",
                _counts(collected),
                "framework mentions",
                note="(a paper naming several frameworks counts once for each)",
                rows=tuple(collected),
                when=_years(collected),
            )
        )
    groups = [g for g in groups if g.total]
    return groups


def research_under(store: Store, year: int | None, method: Method) -> list[Shares]:
    """Research under one counting method: each venue's latest year it counts (or ``year``),
    the study's figures and trendbot's collections as their two groups."""
    study: list[VenueYear] = []
    collected: list[VenueYear] = []
    for venue_id in store.venues():
        rows = store.venue_series(venue_id, method.id)
        if year is not None:
            rows = [r for r in rows if r.year == year]
        published = [r for r in rows if store.is_published(r.source_id)][-1:]
        mine = _collected_rows(store, rows)[-1:]
        study += published
        collected += mine
    if method.is_code:
        return _code_group(store, collected, method)
    unit, note = (
        ("papers", "naming exactly one of PyTorch and TensorFlow")
        if method.exclusive
        else ("framework mentions", "(a paper naming several frameworks counts once for each)")
    )
    groups = [
        Shares(
            label,
            f"{method.name} rule: {_venue_years(store, rows)}",
            _counts(rows),
            unit,
            note=note,
            rows=tuple(rows),
            when=_years(rows),
        )
        for label, rows in (("Papers (study)", study), ("Papers (trendbot)", collected))
        if rows
    ]
    return [g for g in groups if g.total]


def _code_group(store: Store, rows: list[VenueYear], method: Method) -> list[Shares]:
    """The ``code`` method's research side: each framework's share of the papers' own
    repositories that use exactly one framework, each venue's latest year (several and none,
    and the papers without code, are not in these shares; `!ratio <venue> --method code` gives
    them)."""
    values = {
        fw: float(sum(r.counts.get(fw, 0) for r in rows))
        for fw in method.frameworks
        if any(r.counts.get(fw) for r in rows)
    }
    group = Shares(
        "Papers' own code",
        f"{method.name} rule: {_venue_years(store, rows)}",
        values,
        "repositories",
        note="using exactly one framework (several and none left out; papers without code "
        "are not counted)",
        rows=tuple(rows),
        when=_years(rows) if rows else "",
    )
    return [group] if group.total else []


# -- industry -------------------------------------------------------------------------------------
def _downloads(store: Store, year: int | None) -> Shares | None:
    """The newest download counts (any of the family: 30-day, calendar month, shorter window),
    shares between the frameworks counted by the same source on the same date."""
    until = None if year is None else f"{year}-12-31"
    since = None if year is None else f"{year}-01-01"
    best: dict[str, MetricValue] | None = None
    best_metric = ""
    for metric in layout(store).metrics():
        if family_of(metric) != "pypi-downloads":
            continue
        got = newest_values(store, metric, until=until, since=since)
        if got and (
            best is None or max(v.date for v in got.values()) > max(v.date for v in best.values())
        ):
            best, best_metric = got, metric
    if not best:
        return None
    keys = [(v.source_id, v.date) for v in best.values()]
    main = max(set(keys), key=lambda k: (keys.count(k), k[1]))
    used = {fw: v for fw, v in best.items() if (v.source_id, v.date) == main}
    monthly = best_metric.endswith("-month")
    period = month_name(main[1]) if monthly else f"to {main[1]}"
    return Shares(
        "PyPI downloads",
        f"{period}, {main[0]}",
        {fw: v.value for fw, v in used.items()},
        "downloads",
        tuple(used.values()),
        when=short_month(main[1]) if monthly else f"to {main[1]}",
    )


def _stars_gained(store: Store, year: int | None) -> Shares | None:
    """Stars gained in about a year, per framework from one source (the catalogue reads stars
    by their growth: a total mostly reflects a repository's age)."""
    until = None if year is None else f"{year}-12-31"
    since = None if year is None else f"{year}-10-01"
    latest = newest_values(store, "github-stars", until=until, since=since)
    gains: dict[str, float] = {}
    used: list[MetricValue] = []
    for fw, v in latest.items():
        before = mq.value_near(store, "github-stars", fw, v.source_id, mq.year_before(v.date))
        if before is None:
            continue
        gains[fw] = max(v.value - before.value, 0.0)
        used += [v, before]
    if not gains:
        return None
    dates = sorted({v.date for v in used if v.framework in gains})
    sources = ", ".join(dict.fromkeys(v.source_id for v in used))
    return Shares(
        "GitHub stars gained",
        f"in the year to {dates[-1]}, {sources}",
        gains,
        "stars",
        tuple(used),
        when=f"year to {short_month(dates[-1])}",
    )


def _window_sum(store: Store, metric: str, start: str, end: str) -> tuple[dict, list]:
    sums: dict[str, float] = {}
    used: list[MetricValue] = []
    for source, fws in layout(store).by_metric.get(metric, {}).items():
        for fw in fws:
            rows = mq.series(store, metric, [fw], since=start, until=end, sources=[source])
            if rows and fw not in sums:
                sums[fw] = sum(r.value for r in rows)
                used += [rows[0], rows[-1]]
    return sums, used


def _monthly_share(store: Store, metric: str, label: str, unit: str, year: int | None):
    """Twelve months of a monthly flow (job ads, questions) summed: single months are small."""
    latest = newest_values(store, metric, until=None if year is None else f"{year}-12-31")
    if not latest:
        return None
    end = max(v.date for v in latest.values())
    if year is not None and end < f"{year}-01-01":
        return None
    start = f"{year}-01-01" if year is not None else _months_before(end, 11)
    sums, used = _window_sum(store, metric, start, end)
    total = sums.pop("_all", None)
    sums = {f: v for f, v in sums.items() if not f.startswith("_")}
    if not sums or not sum(sums.values()):
        return None
    out_of = f"; {fmt_number(total)} {unit} in all" if total else ""
    return Shares(
        label,
        f"{month_name(start)} to {month_name(end)}, "
        f"{', '.join(dict.fromkeys(v.source_id for v in used))}{out_of}",
        sums,
        unit,
        tuple(used),
        when=f"{short_month(start)}–{short_month(end)}",
    )


def _months_before(iso: str, n: int) -> str:
    d = dt.date.fromisoformat(iso[:10])
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    return dt.date(y, m + 1, 1).isoformat()


def industry(store: Store, year: int | None) -> list[Shares]:
    out = [
        _downloads(store, year),
        _stars_gained(store, year),
        _monthly_share(store, "hn-hiring", "Job ads (HN)", "job ads", year),
        _monthly_share(store, "stackoverflow-questions", "Stack Overflow", "questions", year),
    ]
    hf = newest_values(store, "hf-models", until=None if year is None else f"{year}-12-31")
    if hf:
        vals = {f: v.value for f, v in hf.items() if not f.startswith("_")}
        date = max(v.date for v in hf.values())
        out.append(
            Shares(
                "Hugging Face models",
                f"on {date}",
                vals,
                "models",
                tuple(hf.values()),
                when=f"on {date}",
            )
        )
    return [s for s in out if s is not None and s.total]


# -- the verdict ----------------------------------------------------------------------------------
def verdict(research_groups: list[Shares], signals: list[Shares], year: int | None) -> str:
    """Whether "PyTorch dominates research, TensorFlow dominates industry" holds, from the
    shares: research by the newest group, industry by the majority of signals."""
    when = f"in {year}" if year else "today"
    if not research_groups or not signals:
        return f"Not enough figures {when} to say whether the 2019 split holds."
    r = research_groups[-1]
    r_lead = r.leader
    leads: dict[str, list[str]] = {}
    for s in signals:
        if s.leader:
            leads.setdefault(s.leader, []).append(s.label)
    top = max(leads, key=lambda f: len(leads[f]))
    majority = len(leads[top]) * 2 > len(signals)
    r_text = f"{fw_name(r_lead)} leads research ({fmt_pct(r.share(r_lead))}, {r.label})"

    def listing(fw: str) -> str:
        return f"{fw_name(fw)} leads {', '.join(leads[fw])}"

    detail = "; ".join(listing(f) for f in sorted(leads, key=lambda f: -len(leads[f])))
    n = len(signals)
    if r_lead == "pytorch" and majority and top == "tensorflow":
        return (
            f"**The 2019 split holds {when}**: {r_text}, TensorFlow leads industry in "
            f"{len(leads['tensorflow'])} of {n} signals ({detail})."
        )
    if majority and top == r_lead:
        return (
            f"**The 2019 split no longer holds {when}**: {r_text}, and it leads industry too, in "
            f"{len(leads[top])} of {n} signals ({detail})."
        )
    if not majority:
        return (
            f"**The 2019 split holds only in part {when}**: {r_text}; industry is divided "
            f"({detail})."
        )
    return (
        f"**Not the 2019 split {when}**: {r_text}, while {fw_name(top)} leads industry in "
        f"{len(leads[top])} of {n} signals ({detail})."
    )


# -- the reply ------------------------------------------------------------------------------------
def _line(s: Shares, fws: list[str]) -> str:
    parts = [f"{fw_name(f)} {fmt_pct(s.share(f))}" for f in fws if s.values.get(f)]
    total = f"{fmt_number(s.total)} {s.unit}"
    return f"**{s.label}** ({s.detail}; of {total}): " + " · ".join(parts)


def shares_for(
    store: Store, year: int | None, method: Method | None = None
) -> tuple[list[Shares], list[Shares]]:
    """Research groups and industry signals for ``year``, kept per data version (like rendered
    charts): they change only when a stored number does."""
    return store.memo(
        ("compare-shares", year, method.id if method else None),
        lambda: (research(store, year, method), industry(store, year)),
    )


def _compare_spec(
    store: Store,
    q: CompareQuery,
    groups: list[Shares],
    signals: list[Shares],
    fws: list[str],
) -> ChartSpec:
    """Research and industry shares as two panels of bars on one 0–100 % axis: each measure
    named with the date it stands for under its bars, each framework in its own colour, the
    sources by name, and striped bars where a share rests on fewer than ``THIN_PAPERS`` items
    (a year's job ads can be a dozen)."""
    measures = [*groups, *signals]
    thin = tuple(float(i) for i, m in enumerate(measures) if 0 < m.total < THIN_PAPERS)
    series = tuple(
        Series(
            fw_name(fw),
            fw,
            tuple(
                (float(i), round((m.share(fw) or 0) * 100, 2) if fw in m.values else None)
                for i, m in enumerate(measures)
            ),
            thin=thin,
        )
        for fw in fws
    )
    key = ""
    if thin:
        units = " or ".join(dict.fromkeys(measures[int(i)].unit for i in thin))
        key = BAR_THIN_NOTE.replace("papers", units, 1)
        key = key[:1].upper() + key[1:]
    rows = [r for g in groups for r in g.rows]
    values = [v for s in signals for v in s.values_used]
    research = short_source_names(store, (r.source_id for r in rows))
    if q.method is not None and q.method.is_code and rows:
        read = code_text.provenance(store, rows)
        research.append(f"GitHub, repositories read {read.read} ({read.rules})")
    industry_names = short_source_names(store, (v.source_id for v in values))
    dates = sorted(
        {r.collected_at[:10] for r in rows if r.collected_at}
        | {v.collected_at[:10] for v in values if v.collected_at}
    )
    collected = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}" if dates else ""
    footnote = " · ".join(
        part
        for part in (
            f"Research: {'; '.join(research)}" if research else "",
            f"Industry: {'; '.join(industry_names)}" if industry_names else "",
            f"collected {collected}" if collected else "",
        )
        if part
    )
    return ChartSpec(
        kind="bars",
        title=f"Research vs industry {q.year or '(latest)'}",
        series=series,
        x_kind="category",
        y_unit="percent",
        y_label="share of each measure",
        categories=tuple(clip_label(m.label, 40) for m in measures),
        category_notes=tuple(clip_label(m.when or "—", 40) for m in measures),
        footnote=clip_label(footnote, 300),
        key=key,
        theme=q.theme,
        extra=(
            ("split", str(len(groups))),
            ("left_title", "Research"),
            ("right_title", "Industry"),
        ),
    )


def plan_compare(store: Store, q: CompareQuery, *, prefix: str = "!") -> ChartPlan:
    groups, signals = shares_for(store, q.year, q.method)
    if not groups and not signals:
        covered = store.years(store.default_method().id)
        raise UsageError(
            f"I have neither paper counts nor industry figures for {q.year}. Paper counts cover "
            f"{covered[0]}–{covered[-1]}; `{prefix}metrics` shows the industry ranges.",
            usage="",
        )
    totals: dict[str, float] = {}
    for s in (*groups, *signals):
        for f in s.values:
            if s.share(f):
                totals[f] = totals.get(f, 0) + (s.share(f) or 0)
    fws = sorted(totals, key=lambda f: -totals[f])[:MAX_FRAMEWORKS]
    sentence = verdict(groups, signals, q.year)
    when = f"in {q.year}" if q.year else "at the latest figures"
    headline = f"**Research vs industry {when}** (each framework's share). {sentence}"
    measures = [*groups, *signals]
    width = max(len(m.label) for m in measures)
    table = [f"{'':<{width}}  " + "  ".join(f"{fw_name(f):>10}" for f in fws)]
    for i, m in enumerate(measures):
        if i == len(groups) and groups:  # a blank line between research and industry
            table.append("")
        cells = "  ".join(f"{fmt_pct(m.share(f)) if f in m.values else '':>10}" for f in fws)
        table.append(f"{m.label:<{width}}  {cells}")
    lines = [f"{g.label}: {g.detail}; {fmt_number(g.total)} {g.unit} {g.note}." for g in groups]
    if not groups:
        under = f" under the {q.method.name} method" if q.method else ""
        covered = ""
        if q.method:
            years = store.years(q.method.id)
            covered = (
                f"; it covers {year_ranges(years)}"
                if years
                else "; only trendbot's own paper collections count under it, and there are "
                "none yet"
            )
        lines.append(f"No paper counts{f' for {q.year}' if q.year else ''}{under}{covered}.")
    lines += [f"{s.label}: {s.detail}; {fmt_number(s.total)} {s.unit} counted." for s in signals]
    if not signals:
        lines.append(f"No industry figures for {q.year}.")
    notes = [
        "Downloads are not users (CI and containers dominate); stars gained count attention, "
        "not use; job ads are few: read their shares with the totals."
    ]
    spec = _compare_spec(store, q, groups, signals, fws)
    values: list[MetricValue] = [v for s in signals for v in s.values_used]
    rows = [r for g in groups for r in g.rows]
    research_sources = source_names(store, (r.source_id for r in rows))
    if q.method is not None and q.method.is_code and rows:
        read = code_text.provenance(store, rows)
        research_sources.append(f"GitHub, repositories read {read.read} ({read.rules})")
    industry_sources = source_names(store, (v.source_id for v in values))
    # Only the sides that have figures are cited: "Research: none" cites nothing.
    cited = [
        f"{side}: {'; '.join(names)}"
        for side, names in (("Research", research_sources), ("Industry", industry_sources))
        if names
    ]
    foot = " · ".join([*cited, f"collected {collected_range(values)}"] if values else cited)
    fields = [
        EmbedField(
            s.label,
            "\n".join(f"{fw_name(f)}: {fmt_pct(s.share(f))}" for f in s.ranked()[:MAX_FRAMEWORKS])
            + f"\n{s.detail}"[:300],
        )
        for s in (*groups, *signals)
    ]
    fields.append(EmbedField("Verdict", sentence.replace("**", "")[:1024], inline=False))
    year = f" {q.year}" if q.year else ""
    light = q.theme == "light"
    method = f" --method {q.method.name}" if q.method else ""
    return ChartPlan(
        spec,
        command=f"compare{year}{method}{' --light' if light else ''}",
        headline=headline,
        table=table,
        fields=fields,
        footer=foot,
        notes=[*lines, *notes],
        filename=f"trendbot-compare{year.replace(' ', '-')}{method.replace(' --method ', '-')}"
        f"{'-light' if light else ''}.png",
        data_version=store.data_version(),
    )
