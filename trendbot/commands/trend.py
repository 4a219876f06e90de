"""`!trend <metric> [frameworks…] [since YYYY]`: an industry series as a chart, with its numbers.

Each framework's line comes from one source, the one holding its newest figure (or the one
asked for with ``source:<id>``): sources differ in level (stars counted from stargazer dates
run below GitHub's reported count), so lines are never stitched from two of them. The text
repeats the numbers (a yearly table, first and latest figure, the change over a year), names the
months where one framework went past another, and lists the caveats that touch the range drawn.

pandas (for resampling, rolling means and crossovers) is imported inside the handler only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trendbot.charts.metrics import metric_spec
from trendbot.commands.chart import ChartPlan, deliver
from trendbot.commands.industry import (
    FILLER,
    pick_caveats,
    resolve_framework,
    resolve_metric,
    suggest,
    words_of,
)
from trendbot.commands.industry_format import (
    collected_range,
    fmt_number,
    fmt_pct_change,
    fmt_value,
    fw_name,
    month_name,
    short_source_names,
    source_names,
)
from trendbot.commands.parsing import UsageError, contradiction, is_option, unknown_option
from trendbot.commands.registry import Context, command
from trendbot.commands.reply import EmbedField
from trendbot.commands.text import echo
from trendbot.storage import Store
from trendbot.storage import metrics as mq
from trendbot.storage.catalog import MetricDef, load_catalog
from trendbot.storage.figures import (
    SHARE_OF_TOTAL,
    MetricSnapshot,
    family_of,
    layout,
    newest_values,
)

USAGE = "<metric> [framework…] [since YYYY] [source:<id>] [--light]"
_SINCE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")
MIN_YEAR, MAX_YEAR = 1990, 2100
TABLE_MAX_FRAMEWORKS = 6


@dataclass(frozen=True)
class TrendQuery:
    metric: str
    frameworks: tuple[str, ...] = ()
    since: str | None = None
    source: str | None = None
    theme: str = "dark"


def _since(word: str, prefix: str) -> str:
    m = _SINCE.match(word)
    if not m or not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        raise UsageError(
            f"{echo(word, 20)} isn't a start I understand; write `since 2020` or `since 2020-06`.",
            usage=f"`{prefix}trend {USAGE}`",
        )
    year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    try:
        import datetime as dt

        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise UsageError(f"{echo(word, 20)} is not a date.", usage="") from None


OPTIONS = ("--since", "--source", "--light", "--dark")


class _Once:
    """One value per setting, remembered with how it was typed: a second, different value
    (`since 2020 since 2021`, two `source:`) is refused naming both, never silently replaced."""

    def __init__(self, usage: str) -> None:
        self.usage = usage
        self.values: dict[str, tuple[str, str]] = {}  # setting → (as typed, value)

    def set(self, setting: str, typed: str, value: str) -> None:
        old = self.values.get(setting)
        if old is not None and old[1] != value:
            raise contradiction(old[0], typed, usage=self.usage)
        self.values.setdefault(setting, (typed, value))

    def get(self, setting: str) -> str | None:
        got = self.values.get(setting)
        return got[1] if got else None


def parse(ctx: Context, args: str) -> TrendQuery:
    usage = f"`{ctx.prefix}trend {USAGE}`"
    words = words_of(args)
    frameworks: list[str] = []
    once = _Once(usage)
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w in ("--light", "--dark", "light", "dark"):
            once.set("theme", f"--{w.lstrip('-')}", w.lstrip("-"))
            continue
        if w in ("since", "from", "--since") or w.startswith(("since:", "--since=")):
            value = w.split(":", 1)[1] if ":" in w else w.split("=", 1)[1] if "=" in w else None
            if value is None:
                if i >= len(words):
                    raise UsageError(f"Since when? e.g. `{ctx.prefix}trend stars since 2020`.")
                value = words[i]
                i += 1
            once.set("since", f"since {value}", _since(value, ctx.prefix))
            continue
        if w in ("--source", "source") or w.startswith(("source:", "--source=")):
            value = w.split(":", 1)[1] if ":" in w else w.split("=", 1)[1] if "=" in w else None
            if value is None:
                if i >= len(words):
                    raise UsageError(f"Which source? e.g. `{ctx.prefix}trend stars source:…`.")
                value = words[i]
                i += 1
            once.set("source", f"source:{value}", value)
            continue
        if w in FILLER or w in ("on", "at"):
            continue
        if _SINCE.match(w):  # a bare year: "!trend stars 2020" reads as since 2020
            once.set("since", w, _since(w, ctx.prefix))
            continue
        if is_option(w):
            raise unknown_option(w, OPTIONS, usage=usage)
        found = resolve_metric(w)
        if found and (once.get("metric") is None or found == once.get("metric")):
            once.set("metric", w, found)
            continue
        fw = resolve_framework(w)
        if fw:
            if fw not in frameworks:
                frameworks.append(fw)
            continue
        if found:
            metric = once.get("metric")
            raise UsageError(f"One metric at a time: {echo(metric)} or {echo(w, 30)}.", usage=usage)
        raise UsageError(
            f"I don't know {echo(w, 30)} as a metric or a framework.{suggest(w)} "
            f"`{ctx.prefix}metrics` lists the metrics.",
            usage=usage,
        )
    metric, since, source = once.get("metric"), once.get("since"), once.get("source")
    if metric is None:
        names = ", ".join(f"`{n}`" for n in load_catalog().names()[:4])
        raise UsageError(
            f"Which metric? For example `{ctx.prefix}trend pypi-downloads`, "
            f"`{ctx.prefix}trend github-stars pytorch jax since 2020`. Metrics include {names}; "
            f"`{ctx.prefix}metrics` lists them all.",
            usage=usage,
        )
    if source is not None:
        known = layout(ctx.store).by_metric.get(metric, {})
        if source not in known:
            have = ", ".join(f"`{s}`" for s in known) or "none yet"
            raise UsageError(
                f"{echo(source, 40)} holds no `{metric}` figures. Sources of it: {have}.",
                usage=usage,
            )
    return TrendQuery(metric, tuple(frameworks), since, source, once.get("theme") or "dark")


@command(
    "trend",
    usage=USAGE,
    summary="An industry metric over time as a chart, with the numbers, crossovers and caveats.",
    examples=(
        "!trend pypi-downloads",
        "!trend github-stars pytorch jax since 2020",
        "!trend hn-hiring",
        "!trend stars tensorflow source:repostory-star-history",
    ),
    details=(
        "Metrics as the metrics command lists them (`downloads`, `stars`, `jobs` work too); "
        "frameworks by name or alias; `since 2020` starts the chart there. Each framework's "
        "line comes from the source of its newest figure, or from `source:<id>`. The text "
        "gives a yearly table, the change over a year, and the month one framework went past "
        "another."
    ),
    slow=True,
    parse=parse,
)
def trend_command(ctx: Context, args: str) -> object:
    plan = plan_trend(ctx.store, parse(ctx, args), prefix=ctx.prefix)
    return deliver(ctx, plan)


# -- what to draw ---------------------------------------------------------------------------------
def choose_sources(store: Store, q: TrendQuery) -> dict[str, str]:
    """framework → the one source its line is drawn from."""
    sources = layout(store).by_metric.get(q.metric, {})
    if q.source:
        return {fw: q.source for fw in sources[q.source] if not fw.startswith("_")}
    newest = newest_values(store, q.metric, q.frameworks, since=q.since)
    return {fw: v.source_id for fw, v in newest.items() if not fw.startswith("_")}


def _how(d: MetricDef) -> tuple[str, str]:
    """(yearly summary, its label) for the metric's kind and period."""
    if d.kind in ("level", "rank"):
        return "last", "value at the end of each year"
    if d.period == "month":
        return "sum", f"{d.unit} in the year (sum of its months)"
    return "mean", f"mean of the year's {'30-day' if d.period == '30d' else 'window'} figures"


def plan_trend(store: Store, q: TrendQuery, *, prefix: str = "!") -> ChartPlan:
    from trendbot.industry import seriesmath as sm  # pandas: only for a drawn history

    d = load_catalog().get(q.metric)
    assert d is not None
    chosen = choose_sources(store, q)
    wanted = [f for f in (q.frameworks or chosen) if f in chosen]
    if not wanted:
        return _nothing(store, q, d, prefix)
    rows = []
    for source in sorted(set(chosen[f] for f in wanted)):
        fws = [f for f in wanted if chosen[f] == source]
        rows += mq.series(store, q.metric, fws, since=q.since, sources=[source])
    if not rows:
        return _nothing(store, q, d, prefix)
    lower = d.kind == "rank"
    wide = sm.frame((v.framework, v.date, v.value) for v in rows)
    order = sorted(
        wide.columns,
        key=lambda f: wide[f].dropna().iloc[-1] * (1 if lower else -1),
    )
    summaries = sm.summaries(wide, lower_is_better=lower)
    how, how_label = _how(d)
    years = sm.yearly(wide, how)
    flows = d.kind == "flow"
    months = sm.monthly(wide, rolling=sm.ROLLING_MONTHS if flows else 1)
    pairs = [
        (a, b)
        for i, a in enumerate(order)
        for b in order[i + 1 :]
        if chosen.get(a) == chosen.get(b)  # never compare levels of two different sources
    ]
    crossings = sm.crossovers(months, pairs, lower_is_better=lower)

    first = min(v.date for v in rows)
    last = max(v.date for v in rows)
    used_sources = list(dict.fromkeys(chosen[f] for f in order))
    span = f"{first[:7]} to {last[:7]}"
    foot = (
        f"Source: {'; '.join(source_names(store, used_sources))} · collected "
        f"{collected_range(rows)}"
    )
    unit = "number"
    subtitle = f"{d.unit.capitalize()}, {span}" + (" · lower is better" if lower else "")
    spec = metric_spec(
        d.title,
        [(v.framework, v.date, v.value) for v in rows],
        unit=unit,
        frameworks=order,
        subtitle=subtitle,
        y_label=d.unit,
        footer=_chart_footer(store, used_sources, rows),
        theme=q.theme,
    )
    totals = _totals(store, q, d, chosen[order[0]])
    by_year: dict[int, float | None] = {}
    if totals:
        all_frame = sm.frame(("_all", v.date, v.value) for v in totals)
        by_year = {y.year: y.values.get("_all") for y in sm.yearly(all_frame, how)}
    on_date = {v.date: v.value for v in totals}
    headline = _headline(d, order, summaries, crossings, span, flows, on_date)
    table = _year_table(order, years, d, by_year)
    partial = "; * = year not complete in the data" if any(y.partial for y in years) else ""
    in_all = ""
    if by_year:
        what = d.pseudo_series.get("_all", f"all {d.unit}")
        in_all = f"; in all = {what}, summed the same way: the total to read each count against"
    notes = [f"Table: {how_label}{in_all}{partial}."]
    notes += [_crossing_text(c, d, flows) for c in crossings[:4]]
    if len(set(used_sources)) > 1:
        per = "; ".join(
            f"{', '.join(fw_name(f) for f in order if chosen[f] == s)}: {s}" for s in used_sources
        )
        notes.append(f"Lines from different sources ({per}): compare their trends, not levels.")
    others = _other_sources(store, q, chosen, prefix)
    if others:
        notes.append(others)
    related = _related(store, d, last, prefix)
    if related:
        notes.append(related)
    caveats = _caveats(d, order, chosen, first, last)
    if caveats:
        notes.append("Caveats: " + " ".join(caveats))
    fields = [_field(fw, summaries[fw], d, chosen[fw], on_date) for fw in order if fw in summaries]
    suffix = " ".join(q.frameworks)
    command_line = " ".join(
        x
        for x in (
            "trend",
            q.metric,
            suffix,
            f"since {q.since[:4]}" if q.since else "",
            f"source:{q.source}" if q.source else "",
            "--light" if q.theme == "light" else "",
        )
        if x
    )
    light = "-light" if q.theme == "light" else ""
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join([q.metric, *q.frameworks, q.since or ""]))
    return ChartPlan(
        spec,
        command=command_line,
        headline=headline,
        table=table,
        fields=fields,
        footer=foot,
        notes=notes,
        filename=f"trendbot-trend-{slug.strip('-')[:60]}{light}.png",
        data_version=store.data_version(),
    )


def _nothing(store: Store, q: TrendQuery, d: MetricDef, prefix: str) -> ChartPlan:
    who = ", ".join(fw_name(f) for f in q.frameworks) or "any framework"
    when = f" since {q.since}" if q.since else ""
    cov = next(iter(mq.coverage(store, q.metric)), None)
    have = (
        f" The store has `{q.metric}` from {cov.first_date} to {cov.last_date} for "
        f"{', '.join(fw_name(f) for f in cov.frameworks if not f.startswith('_'))}."
        if cov
        else f" Nothing of `{q.metric}` is stored yet; `{prefix}metrics {q.metric}` says how "
        "it is collected."
    )
    raise UsageError(f"I have no `{q.metric}` figures for {who}{when}.{have}", usage="")


def _totals(store: Store, q: TrendQuery, d: MetricDef, source: str):
    """The month's total (``_all``: every job ad of the thread) from the lead line's source, for
    a metric whose small counts are read against it; empty for any other metric."""
    if d.name not in SHARE_OF_TOTAL:
        return []
    return mq.series(store, q.metric, ["_all"], since=q.since, sources=[source])


def _of_total(value: float, date: str, d: MetricDef, on_date: dict[str, float]) -> str:
    total = on_date.get(date)
    what = "job ads" if d.name == "hn-hiring" else d.unit
    return fmt_value(value, d) + (f" of {fmt_value(total, d)} {what}" if total else "")


def _chart_footer(store: Store, sources: list[str], rows) -> str:
    """The chart's footnote: the sources by name (not their ids) and when they were collected."""
    names = "; ".join(short_source_names(store, sources))
    text = f"Source: {names} · collected {collected_range(rows)} · trendbot"
    return text if len(text) <= 300 else text[:299] + "…"


def _headline(
    d: MetricDef, order, summaries, crossings, span: str, flows: bool, on_date: dict[str, float]
) -> str:
    lead = order[0]
    s = summaries[lead]
    verb = "leads" if d.kind != "rank" else "ranks best"
    text = (
        f"**{d.title}**, {span}: {fw_name(lead)} {verb} with "
        f"{_of_total(s.last[1], s.last[0], d, on_date)} ({s.last[0]})"
    )
    if s.year_ago and d.kind != "rank" and s.year_ago[1]:
        text += f", {fmt_pct_change(s.last[1] / s.year_ago[1])} on a year (monthly means)"
    text += "."
    if crossings:
        text += " " + _crossing_text(crossings[0], d, flows)
    return text


def _crossing_text(c, d: MetricDef, flows: bool) -> str:
    basis = " (3-month average)" if flows else ""
    again = f", after swapping places {c.crossings} times" if c.crossings > 1 else ""
    verb = "passed" if d.kind != "rank" else "moved above"
    return (
        f"{fw_name(c.leader)} {verb} {fw_name(c.other)} in {d.title}{basis} in "
        f"{month_name(c.month)}{again}."
    )


def _year_table(order, years, d: MetricDef, totals: dict[int, float | None]) -> list[str]:
    """One row a year, a column a framework, and the year's total (``in all``) where the
    metric's counts are read against one."""
    shown = order[:TABLE_MAX_FRAMEWORKS]
    widths = [max(len(fw_name(f)), 11) for f in shown]
    head = "year   " + "  ".join(f"{fw_name(f):>{w}}" for f, w in zip(shown, widths, strict=True))
    if totals:
        head += f"  {'in all':>11}"
    out = [head]
    for y in years:
        cells = []
        for f, w in zip(shown, widths, strict=True):
            v = y.values.get(f)
            cells.append(f"{'' if v is None else fmt_value(round(v), d):>{w}}")
        if totals:
            t = totals.get(y.year)
            cells.append(f"{'' if t is None else fmt_value(round(t), d):>11}")
        label = f"{y.year}{'*' if y.partial else ' '}"
        out.append(f"{label:<6} " + "  ".join(cells))
    return out


def _field(fw: str, s, d: MetricDef, source: str, on_date: dict[str, float]) -> EmbedField:
    lines = [
        f"{_of_total(s.last[1], s.last[0], d, on_date)} ({s.last[0]})",
        f"first {fmt_value(s.first[1], d)} ({s.first[0]})",
    ]
    if s.year_ago is not None and d.kind != "rank" and s.year_ago[1]:
        lines.append(f"{fmt_pct_change(s.last[1] / s.year_ago[1])} on a year (monthly means)")
    lines.append(source)
    return EmbedField(fw_name(fw), "\n".join(lines))


def _other_sources(store: Store, q: TrendQuery, chosen: dict[str, str], prefix: str) -> str:
    cov = next(iter(mq.coverage(store, q.metric)), None)
    if cov is None:
        return ""
    used = set(chosen.values())
    rest = [s for s in cov.sources if s.source_id not in used]
    if not rest:
        return ""
    parts = [f"`{s.source_id}` {s.first_date} to {s.last_date}" for s in rest]
    return (
        f"Also stored: {'; '.join(parts)} (`{prefix}trend {q.metric} source:{rest[0].source_id}`)."
    )


def _related(store: Store, d: MetricDef, last: str, prefix: str) -> str:
    """A newer series of the same family (the calendar-month downloads after the 30-day ones)."""
    fam = family_of(d.name)
    newer = []
    for c in mq.coverage(store):
        if c.metric != d.name and family_of(c.metric) == fam and c.last_date > last:
            newer.append(c)
    if not newer:
        return ""
    c = max(newer, key=lambda c: c.last_date)
    return (
        f"Newer figures of this kind are counted differently: `{c.metric}` runs to "
        f"{c.last_date} (`{prefix}trend {c.metric}`)."
    )


def _caveats(d: MetricDef, order, chosen, first: str, last: str) -> list[str]:
    found = []
    for fw in order:
        for c in d.caveats_for(framework=fw, source=chosen[fw], start=first, end=last):
            if c not in found:
                found.append(c)
    snap = MetricSnapshot(d, (), (), tuple(found))
    return pick_caveats([snap])


def number(value: float) -> str:  # re-exported for tests
    return fmt_number(value)
