"""`!industry [framework…]` and `!metrics [metric]`: the industry half of the question.

`!industry` prints the newest figure of every industry signal the store holds (the seed's
history and whatever collectors added, the newest date winning), each with its date, its source,
the change over a year from that same source, and a share where one means something. `!metrics`
says what each metric counts, where it comes from, the range stored, when it was last collected
and how to read it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from trendbot.commands.industry_format import (
    fmt_change,
    fmt_share,
    fmt_value,
    fmt_when,
    fw_name,
    industry_footer,
)
from trendbot.commands.parsing import MAX_ARG_CHARS, UsageError, is_option, unknown_option
from trendbot.commands.registry import Context, command
from trendbot.commands.reply import EmbedField, Reply
from trendbot.commands.text import and_list, echo
from trendbot.storage import Store
from trendbot.storage import metrics as mq
from trendbot.storage.catalog import MetricDef, load_catalog
from trendbot.storage.figures import (
    SHARE_METRICS,
    SHARE_OF_TOTAL,
    Figure,
    MetricSnapshot,
    layout,
    short_caveat,
    snapshots,
)
from trendbot.storage.frameworks import load_frameworks

USAGE = "[framework…]"
METRICS_USAGE = "[metric]"
_SPLIT = re.compile(r"[\s,;/|+]+")
# Words a question or a typed line may carry around the frameworks.
FILLER = frozenset({"vs", "and", "or", "versus", "in", "industry", "the", "of", "for", "&"})

# -- arguments ------------------------------------------------------------------------------------
METRIC_ALIASES = {
    "downloads": "pypi-downloads",
    "pypi": "pypi-downloads",
    "pip": "pypi-downloads",
    "monthly-downloads": "pypi-downloads-month",
    "downloads-month": "pypi-downloads-month",
    "rank": "pypi-rank",
    "stars": "github-stars",
    "github": "github-stars",
    "forks": "github-forks",
    "issues": "github-open-issues",
    "contributors": "github-contributors",
    "dependents": "dependents",
    "conda": "conda-downloads-total",
    "jobs": "hn-hiring",
    "job-ads": "hn-hiring",
    "hiring": "hn-hiring",
    "hn": "hn-hiring",
    "stackoverflow": "stackoverflow-questions",
    "so": "stackoverflow-questions",
    "questions": "stackoverflow-questions",
    "huggingface": "hf-models",
    "hf": "hf-models",
    "models": "hf-models",
    "arxiv": "arxiv-mentions",
}


def words_of(args: str) -> list[str]:
    if len(args) > MAX_ARG_CHARS:
        raise UsageError(
            f"That is {len(args):,} characters of arguments; I only read up to {MAX_ARG_CHARS}."
        )
    return [w for w in _SPLIT.split(args.strip().lower()) if w]


def resolve_metric(word: str) -> str | None:
    """A metric name from what was typed: 'pypi-downloads', 'downloads', 'stars', 'jobs'."""
    catalog = load_catalog()
    key = word.strip().lower().strip("`'\".,?!")
    if catalog.get(key):
        return key
    return METRIC_ALIASES.get(key)


def resolve_framework(word: str) -> str | None:
    fw = load_frameworks().get(word.strip("`'\".,?!"))
    return fw.id if fw else None


def suggest(word: str, *, metrics: bool = True, frameworks: bool = True) -> str:
    """' Did you mean …?' for a word that is neither a metric nor a framework, or ''."""
    pool: dict[str, str] = {}
    if frameworks:
        for f in load_frameworks().frameworks:
            for key in (f.id, *f.aliases):
                pool[key] = f.name
    if metrics:
        for name in load_catalog().names():
            pool[name] = f"`{name}`"
        for alias, name in METRIC_ALIASES.items():
            pool[alias] = f"`{name}`"
    close = difflib.get_close_matches(word.lower(), list(pool), n=3, cutoff=0.6)
    names = list(dict.fromkeys(pool[c] for c in close))
    return f" Did you mean {' or '.join(names)}?" if names else ""


def parse_frameworks(ctx: Context, args: str) -> tuple[str, ...]:
    """`!industry` arguments: frameworks by id or alias ('torch', 'TF'); nothing else."""
    out: list[str] = []
    for word in words_of(args):
        if word in FILLER:
            continue
        if is_option(word):
            raise unknown_option(
                word, usage=f"`{ctx.prefix}industry {USAGE}`", command=f"{ctx.prefix}industry"
            )
        fw = resolve_framework(word)
        if fw is None and word in ctx.store.aliases():
            venue = ctx.store.venues()[ctx.store.aliases()[word]].name
            raise UsageError(
                f"{echo(word, 30)} is a venue, not a framework: `{ctx.prefix}industry` is about "
                f"industry; papers at {venue}: `{ctx.prefix}ratio {venue}`.",
                usage=f"`{ctx.prefix}industry {USAGE}`",
            )
        if fw is None:
            known = ", ".join(f.name for f in load_frameworks().frameworks)
            raise UsageError(
                f"I don't know the framework {echo(word, 30)}.{suggest(word, metrics=False)} "
                f"Frameworks: {known}.",
                usage=f"`{ctx.prefix}industry {USAGE}`",
            )
        if fw not in out:
            out.append(fw)
    return tuple(out)


# -- !industry ------------------------------------------------------------------------------
@command(
    "industry",
    usage=USAGE,
    summary="ML frameworks in industry: the newest PyPI downloads, GitHub stars, job ads… "
    "with date, source and the change over a year.",
    examples=("!industry", "!industry pytorch", "!industry jax tensorflow"),
    aliases=("signals",),
    details=(
        "Without a framework: every industry signal the store holds, each framework's newest "
        "figure with the change over a year (from the same source) and, for downloads and job "
        "ads, its share. With one framework: every metric for it. The trend command draws the "
        "history; the metrics command says what each metric counts and how to read it."
    ),
    parse=parse_frameworks,
)
def industry_command(ctx: Context, args: str) -> Reply:
    frameworks = parse_frameworks(ctx, args)
    if len(frameworks) == 1:
        return framework_reply(ctx.store, frameworks[0], prefix=ctx.prefix)
    return overview_reply(ctx.store, frameworks, prefix=ctx.prefix)


@dataclass(frozen=True)
class _Line:
    text: str
    field_name: str
    field_value: str


# The overview's order: what people ask about first. Families not listed follow in catalogue
# order; a text that would pass Discord's 2,000 characters names the last ones instead.
OVERVIEW_ORDER = (
    "pypi-downloads",
    "github-stars",
    "hn-hiring",
    "stackoverflow-questions",
    "hf-models",
    "dependents",
    "github-forks",
    "github-contributors",
    "github-open-issues",
    "arxiv-mentions",
    "conda-downloads-total",
    "pypi-rank",
)
TEXT_BUDGET = 1950


def _figure_text(fig: Figure, d: MetricDef, main: tuple[str, str], *, bold: bool = False) -> str:
    value = fmt_value(fig.latest.value, d)
    parts = []
    share = fmt_share(fig, d)
    if d.name in SHARE_OF_TOTAL and share:
        value = share  # "4 of 409"
    elif share:
        parts.append(share)
    change = fmt_change(fig, d)
    if change != "—":
        parts.append(change if d.name in SHARE_OF_TOTAL or d.kind == "rank" else f"1y {change}")
    if (fig.latest.source_id, fig.latest.date) != main:
        parts.append(f"{fmt_when(fig.latest, d)}, {fig.latest.source_id}")
    shown = f"**{value}**" if bold else value
    return f"{fw_name(fig.framework)} {shown}" + (f" ({', '.join(parts)})" if parts else "")


def _heading(snap: MetricSnapshot) -> tuple[str, str]:
    d = snap.definition
    main = snap.main()
    first = next(
        f.latest
        for f in (*snap.figures, *snap.pseudo)
        if (f.latest.source_id, f.latest.date) == main
    )
    return d.title, f"{fmt_when(first, d)}, {main[0]}"


def _metric_line(snap: MetricSnapshot) -> _Line:
    d = snap.definition
    title, when = _heading(snap)
    main = snap.main()
    figs = [_figure_text(f, d, main) for f in snap.figures]
    extra = ""
    total = next((p for p in snap.pseudo if p.framework == "_all"), None)
    if d.name in SHARE_OF_TOTAL and total is not None:
        what = "job ads" if d.name == "hn-hiring" else d.unit
        # A clause after the figures, not a bracket: the last figure may end in one.
        extra = f"; {fmt_value(total.latest.value, d)} {what} in all"
    text = f"**{title}** ({when}): " + " · ".join(figs) + extra + "."
    field_lines = [_figure_text(f, d, main, bold=True) for f in snap.figures]
    if extra:
        field_lines.append(extra.strip(" ;").capitalize())
    return _Line(text, f"{title} · {when}", "\n".join(field_lines) or "—")


def _caveat_key(text: str) -> str:
    return text.split(":", 1)[0].split(",", 1)[0].lower()


def pick_caveats(snaps: list[MetricSnapshot], *, every: bool = False) -> list[str]:
    """Short caveats for the figures shown. Per metric: its first general caveat (one that
    names no date, framework or source: "Downloads are not users") and every caveat bounded in
    time that touches the dates shown (PyPI's 2021 logging gap, ClickHouse from June 2025);
    with ``every``, all that apply. One line each, duplicates dropped."""
    out: list[str] = []
    for s in snaps:
        general = [c for c in s.caveats if not (c.start or c.end or c.frameworks or c.sources)]
        dated = [c for c in s.caveats if c.start or c.end]
        chosen = list(s.caveats) if every else [*general[:1], *dated]
        for c in chosen:
            text = short_caveat(c)
            if _caveat_key(text) not in {_caveat_key(t) for t in out}:
                out.append(text)
    return out


def _values(snaps: list[MetricSnapshot]):
    for s in snaps:
        for f in (*s.figures, *s.pseudo):
            yield f.latest
            if f.before is not None:
                yield f.before
            if f.total is not None:
                yield f.total


def frameworks_with_figures(store: Store) -> list[str]:
    """The frameworks any industry metric holds a figure for, in the framework table's order
    (pseudo-series such as a month's total, ``_all``, left out)."""
    held = {
        fw for by_src in layout(store).by_metric.values() for fws in by_src.values() for fw in fws
    }
    return [f for f in load_frameworks().ids() if f in held]


def no_industry_data(store: Store, frameworks: tuple[str, ...], prefix: str) -> UsageError:
    """No figure for what was asked: say so, and which frameworks do have figures."""
    who = ", ".join(fw_name(f) for f in frameworks) if frameworks else "any framework"
    have = [f for f in frameworks_with_figures(store) if f not in frameworks]
    others = (
        f" It has them for {', '.join(fw_name(f) for f in have)}: try `{prefix}industry {have[0]}`."
        if have
        else " Industry figures arrive with `trendbot collect industry`."
    )
    return UsageError(
        f"The store holds no industry figures for {who} yet.{others} `{prefix}metrics` lists "
        "what each collector gathers.",
        usage="",
    )


def _overview_order(snaps: list[MetricSnapshot]) -> list[MetricSnapshot]:
    rank = {name: i for i, name in enumerate(OVERVIEW_ORDER)}
    return sorted(snaps, key=lambda s: rank.get(s.family, len(rank)))


def overview_reply(store: Store, frameworks: tuple[str, ...] = (), *, prefix: str = "!") -> Reply:
    # a signal with no figure for any framework asked (only a month's total) has no line
    snaps = [
        s
        for s in _overview_order(snapshots(store, frameworks, newest_per_family=True))
        if s.figures
    ]
    if not snaps:
        raise no_industry_data(store, frameworks, prefix)
    held = frameworks_with_figures(store)
    missing = [f for f in frameworks if f not in held]
    who = ", ".join(fw_name(f) for f in frameworks) if frameworks else "ML frameworks"
    head = (
        f"**{who} in industry**, each signal's newest figure "
        "(1y: change over about a year, same source):"
    )
    notes = []
    if missing:
        notes.append(f"No industry figures for {', '.join(fw_name(f) for f in missing)} yet.")
    if any(s.name in SHARE_METRICS and s.name not in SHARE_OF_TOTAL for s in snaps):
        notes.append(
            "Download shares are of the frameworks' combined downloads (Keras's include most "
            "TensorFlow installs)."
        )
    hint = (
        f"`{prefix}industry pytorch`: every metric for one framework · `{prefix}trend "
        f"pypi-downloads`: the history · `{prefix}metrics`: how to read each."
    )
    foot = industry_footer(store, _values(snaps))
    short_foot = "Sources: " + ", ".join(dict.fromkeys(v.source_id for v in _values(snaps)))
    lines = [_metric_line(s) for s in snaps]
    shown: list[MetricSnapshot] = []
    body: list[str] = []
    left_out: list[str] = []
    fixed = len(head) + len(hint) + len(short_foot) + sum(len(n) + 1 for n in notes) + 120
    for snap, line in zip(snaps, lines, strict=True):
        caveats = pick_caveats([*shown, snap])
        cost = sum(len(b) + 1 for b in body) + len(line.text) + len(" ".join(caveats)) + 12
        if fixed + cost <= TEXT_BUDGET:
            body.append(line.text)
            shown.append(snap)
        else:
            left_out.append(snap.definition.title)
    caveats = pick_caveats(shown)
    text = [head, *body, *notes]
    if caveats:
        text.append("Caveats: " + " ".join(caveats))
    if left_out:
        text.append(
            f"Also stored: {', '.join(left_out)} (in the embed and `{prefix}industry <framework>`)."
        )
    text += [hint, short_foot]
    fields = [EmbedField(ln.field_name, ln.field_value[:1024], inline=True) for ln in lines]
    all_caveats = pick_caveats(snaps)
    if all_caveats:
        fields.append(
            EmbedField("Caveats", "\n".join(f"• {c}" for c in all_caveats)[:1024], inline=False)
        )
    suffix = " " + " ".join(frameworks) if frameworks else ""
    return Reply(
        "\n".join(text),
        command=f"industry{suffix}",
        title=f"{who} in industry",
        description=head.replace("**", ""),
        fields=fields,
        footer=foot,
        data_version=store.data_version(),
    )


def framework_reply(store: Store, framework: str, *, prefix: str = "!") -> Reply:
    snaps = snapshots(store, (framework,))
    if not snaps:
        raise no_industry_data(store, (framework,), prefix)
    name = fw_name(framework)
    head = (
        f"**{name} in industry**: the newest figure of every metric stored, with the change "
        "over about a year from the same source."
    )
    text = [head]
    fields = []
    used: list[MetricSnapshot] = []
    for s in snaps:
        d = s.definition
        fig = s.figure(framework)
        if fig is None:
            continue
        used.append(s)
        value = fmt_value(fig.latest.value, d)
        bits = []
        if d.name in SHARE_OF_TOTAL and fig.total is not None:
            what = "job ads" if d.name == "hn-hiring" else d.unit
            value = f"{value} of {fmt_value(fig.total.value, d)} {what}"
            if fig.share is not None:
                bits.append(f"{fig.share * 100:.1f} %")
        elif fig.share is not None:
            bits.append(f"{fig.share * 100:.1f} % of all frameworks'")
        change = fmt_change(fig, d)
        if change == "—":
            pass
        elif d.kind == "rank" or d.name in SHARE_OF_TOTAL:
            bits.append(change)
        else:
            bits.append(f"{change} on a year")
        when = fmt_when(fig.latest, d)
        text.append(
            f"- {d.title}: **{value}** ({'; '.join([when, *bits])}) · {fig.latest.source_id}"
        )
        fields.append(
            EmbedField(
                d.title,
                "\n".join([f"**{value}**", when, *bits, fig.latest.source_id])[:1024],
                inline=True,
            )
        )
    if not used:  # the metrics exist, but none holds a figure for this framework
        raise no_industry_data(store, (framework,), prefix)
    caveats = pick_caveats(used)
    hint = (
        f"`{prefix}trend github-stars {framework}` draws a history; `{prefix}metrics` explains "
        "each metric."
    )
    room = TEXT_BUDGET - sum(len(t) + 1 for t in text) - len(hint) - 200
    kept = []
    for c in caveats:
        if len("Caveats: " + " ".join([*kept, c])) <= room:
            kept.append(c)
    if kept:
        more = "" if len(kept) == len(caveats) else " (more in the embed)"
        text.append("Caveats: " + " ".join(kept) + more)
    text.append(hint)
    mine = [
        v
        for s in used
        if (f := s.figure(framework)) is not None
        for v in (f.latest, f.before, f.total)
        if v is not None
    ]
    foot = industry_footer(store, mine)
    text.append("Sources: " + ", ".join(dict.fromkeys(v.source_id for v in mine)))
    if caveats:
        fields.append(
            EmbedField("Caveats", "\n".join(f"• {c}" for c in caveats)[:1024], inline=False)
        )
    return Reply(
        "\n".join(text),
        command=f"industry {framework}",
        title=f"{name} in industry",
        description=head.replace("**", ""),
        fields=fields,
        footer=foot,
        data_version=store.data_version(),
    )


# -- !metrics -------------------------------------------------------------------------------
def parse_metric(ctx: Context, args: str) -> str | None:
    words = words_of(args)
    if not words:
        return None
    if option := next((w for w in words if is_option(w)), None):
        raise unknown_option(
            option, usage=f"`{ctx.prefix}metrics {METRICS_USAGE}`", command=f"{ctx.prefix}metrics"
        )
    if len(words) > 1:
        joined = resolve_metric("-".join(words))
        if joined:
            return joined
        known = [f"`{m}`" for m in dict.fromkeys(filter(None, map(resolve_metric, words)))]
        gave = f"; you gave {and_list(known)}" if len(known) > 1 else ""
        raise UsageError(
            f"One metric at a time, e.g. `{ctx.prefix}metrics pypi-downloads`{gave}.",
            usage=f"`{ctx.prefix}metrics {METRICS_USAGE}`",
        )
    metric = resolve_metric(words[0])
    if metric is None:
        raise UsageError(
            f"I don't know the metric {echo(words[0], 30)}.{suggest(words[0], frameworks=False)} "
            f"`{ctx.prefix}metrics` lists them all.",
            usage=f"`{ctx.prefix}metrics {METRICS_USAGE}`",
        )
    return metric


@command(
    "metrics",
    usage=METRICS_USAGE,
    summary="Every industry metric: what it counts, its source, the range stored, the last "
    "collection, and how to read it.",
    examples=("!metrics", "!metrics pypi-downloads", "!metrics hn-hiring"),
    aliases=("metric",),
    details=(
        "Without a name: one line per metric with the dates stored and when each was last "
        "collected. With a name: its definition, how to read it, every source with its range, "
        "and every caveat in full."
    ),
    family="info",
    parse=parse_metric,
)
def metrics_command(ctx: Context, args: str) -> Reply:
    metric = parse_metric(ctx, args)
    if metric is None:
        return metrics_list_reply(ctx.store, prefix=ctx.prefix)
    return metric_reply(ctx.store, metric, prefix=ctx.prefix)


def metrics_list_reply(store: Store, *, prefix: str = "!") -> Reply:
    catalog = load_catalog()
    covered = {c.metric: c for c in mq.coverage(store)}
    text = [
        f"**Industry metrics** ({len(catalog.metrics)}): the range stored, its sources and the "
        f"last collection. `{prefix}metrics <name>` says what one counts and how to read it."
    ]
    fields = []
    for d in catalog.metrics:
        c = covered.get(d.name)
        if c is None:
            stored = "nothing stored yet"
        else:
            srcs = ", ".join(s.source_id for s in c.sources)
            stored = (
                f"{c.first_date} → {c.last_date} from {srcs}; "
                f"last collected {c.last_collected_at[:10]}"
            )
        text.append(f"- `{d.name}` ({_period(d)}): {stored}")
        fields.append(
            EmbedField(f"{d.name}: {d.title}", f"{stored}\n{_first_sentence(d.read)}"[:1024])
        )
    for name in sorted(set(covered) - set(catalog.names())):
        c = covered[name]
        text.append(f"- `{name}` (not in the catalogue): {c.first_date} → {c.last_date}")
    rows = sum(c.rows for c in covered.values())
    foot = f"Definitions: trendbot's metric catalogue · {rows:,} industry figures stored"
    text.append(foot)
    return Reply(
        "\n".join(text),
        command="metrics",
        title="Industry metrics",
        description=f"`{prefix}metrics <name>`: what a metric counts and how to read it.",
        fields=fields[:25],
        footer=foot,
        data_version=store.data_version(),
    )


def _period(d: MetricDef) -> str:
    return {
        "day": "daily",
        "30d": "30-day windows",
        "window": "shorter windows",
        "month": "calendar months",
    }[d.period]


def _first_sentence(text: str) -> str:
    m = re.search(r"(?<=[a-z0-9)])\.(\s|$)", text)
    return text[: m.start() + 1] if m else text


def metric_reply(store: Store, metric: str, *, prefix: str = "!") -> Reply:
    d = load_catalog().get(metric)
    assert d is not None
    cov = next(iter(mq.coverage(store, metric)), None)
    text = [
        f"**{d.title}** (`{d.name}`, {d.unit}, {_period(d)})",
        f"What it counts: {d.definition}",
        f"How to read it: {d.read}",
    ]
    if cov is None:
        text.append(
            "Stored: nothing yet."
            + (f" A collector counts it so: {d.collectors}" if d.collectors else "")
        )
    else:
        names = ", ".join(fw_name(f) for f in cov.frameworks)
        text.append(f"Stored: {cov.first_date} → {cov.last_date}, {cov.rows:,} rows ({names}).")
        sources = store.sources()
        for s in cov.sources:
            name = sources[s.source_id].name if s.source_id in sources else s.source_id
            text.append(
                f"- {name} (`{s.source_id}`): {s.first_date} → {s.last_date}, {s.rows:,} rows, "
                f"last collected {s.last_collected_at[:10]}"
            )
    if d.pseudo:
        text.append("Also stored: " + "; ".join(f"`{k}` = {v}" for k, v in d.pseudo))
    if d.caveats:
        text.append("Caveats:")
        text += [f"- {c.text}" + _span(c) for c in d.caveats]
    text.append(f"`{prefix}trend {d.name}` draws it.")
    foot = f"Definition: trendbot's metric catalogue · `{d.name}`"
    fields = [EmbedField("How to read it", d.read[:1024], inline=False)]
    if cov is not None:
        fields.append(
            EmbedField(
                "Stored",
                f"{cov.first_date} → {cov.last_date} · {cov.rows:,} rows · last collected "
                f"{cov.last_collected_at[:10]}",
                inline=False,
            )
        )
    return Reply(
        "\n".join(text),
        command=f"metrics {d.name}",
        title=d.title,
        description=d.definition,
        fields=fields,
        footer=foot,
        data_version=store.data_version(),
    )


def _span(c) -> str:
    if c.start is None and c.end is None:
        return ""
    return f" ({c.start or '…'} to {c.end or 'now'})"
