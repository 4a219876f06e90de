"""`!about`, `!method` and `!source`: how the numbers are counted and where they come from."""

from __future__ import annotations

import re

from trendbot.commands import code_text
from trendbot.commands.coverage import not_covered
from trendbot.commands.parsing import (
    Query,
    UsageError,
    is_option,
    parse_query,
    resolve_method,
    unknown_option,
)
from trendbot.commands.provenance import (
    method_label,
    population_label,
    population_warning,
    source_name,
    unread,
)
from trendbot.commands.registry import Context, command
from trendbot.commands.reply import EmbedField, Reply
from trendbot.commands.text import and_list, echo, figure_name, fmt_int
from trendbot.storage import Method
from trendbot.storage.code import RECHECK_DAYS

_WHOLE_WORD = re.compile(r"^re:\\b([\w.+-]+)\\b$")


def show_term(term: str) -> str:
    """A stored term as people read it: `re:\bjax\b` → "jax (whole word)"."""
    if m := _WHOLE_WORD.match(term):
        return f"{m.group(1)} (whole word)"
    return f"/{term.removeprefix('re:')}/" if term.startswith("re:") else term


def terms_text(m: Method, sep: str = ". ", label: str = "{name} terms: ") -> str:
    """'PyTorch terms: pytorch, torchvision. TensorFlow terms: …' for every framework counted."""
    return sep.join(
        label.format(name=figure_name(fw)) + ", ".join(show_term(t) for t in ts)
        for fw, ts in m.terms.items()
    )


def _method_text(m: Method, prefix: str = "!") -> str:
    if m.is_code:
        return _code_method_text(m, prefix)
    parts = [
        f"**{m.title}** (`{m.name}`, {m.version}{', the default' if m.is_default else ''}).",
        m.description,
        terms_text(m) + ".",
    ]
    if m.affiliation_filter:
        parts.append(f"Papers whose text contains any of: {m.affiliation_filter} are left out.")
    return "\n".join(parts)


def _code_method_text(m: Method, prefix: str) -> str:
    """The ``code`` method in plain words: what it counts, whose code, how a repository is
    decided, and what it cannot say (the catalogue's description, then the rule spelled out)."""
    packages = terms_text(m, "; ", "{name}: ")
    return "\n".join(
        [
            f"**{m.title}** (`{m.name}`, {m.version}): not what a paper's text names but what "
            "its own released code is written in, as Papers with Code's Trends page showed "
            "until July 2025.",
            "Population: the main papers of a venue-year that link their own code. Every reply "
            "says how many of the venue-year's papers that is, and how many repositories are "
            "gone, empty, on GitLab (not read by this rule) or not read yet; those are beside "
            "the shares, not in them.",
            'Own repository (rule links-1): the link in an "our code" sentence, else one on '
            "the first page; a cited tool (pytorch/vision, NVIDIA/apex, huggingface/transformers…)"
            " only when nothing else is linked. At most one per paper.",
            "Framework (rule code-1), from the packages the repository installs or imports: "
            f"{packages}. A repository using two or more counts as *several*; one using none "
            "of them (or no Python) as *none*. Shares are of the papers whose repository was "
            "read and decided, so they add up to 100 %.",
            "Limits: papers without code are not counted, so this says what released code uses,"
            " not what every paper used; a repository can change after the paper (it is read as "
            f"it is when collected, and looked at again after {RECHECK_DAYS} days, re-read only if "
            "it changed). Which papers count for what: "
            f"`{prefix}papers <venue> <year> <framework> --method code`; one paper: "
            f"`{prefix}paper <title words>`.",
        ]
    )


def _method_line(m: Method) -> str:
    """One method in one line, for the listing that must stay one message however many
    methods there are."""
    default = ", the default" if m.is_default else ""
    return f"- `{m.name}` ({m.version}{default}): {m.title}."


def _method_names(ctx: Context, args: str) -> tuple[str, list[Method]]:
    """`!method [name]`: the name as typed and the methods it shows (all when none is named)."""
    typed = args.strip().removeprefix("--method").strip()
    if len(typed.split()) > 1:
        raise UsageError("Name one method, e.g. `article`.")
    store = ctx.store
    name = typed.lstrip("-—") if is_option(typed) else typed
    if name and is_option(typed):
        try:
            resolve_method(store, name)
        except UsageError:
            names = tuple(f"--{m.name}" for m in store.methods().values())
            raise unknown_option(typed, ("--method <name>", *names)) from None
    return name, [resolve_method(store, name)] if name else list(store.methods().values())


def _about_args(ctx: Context, args: str) -> tuple[str, list[Method]]:
    """`!about` takes nothing, or a counting method's name (then it is `!method <name>`).
    Anything else is said to be so, not called an unknown counting method: `!about me`."""
    if not args.strip():
        return "", []
    try:
        return _method_names(ctx, args)
    except UsageError:
        if is_option(args.strip()):
            raise  # "I don't know the option `--light`", naming the ones it takes
    p = ctx.prefix
    methods = ", ".join(f"`{m.name}`" for m in ctx.store.methods().values())
    hint = ""
    try:
        q = parse_query(ctx.store, args)
    except UsageError:
        q = None
    if q is not None and (q.venues or q.years):
        hint = f" Where one number comes from: `{p}source {args.strip()}`."
    raise UsageError(
        f"`{p}about` takes nothing, or the name of a counting method ({methods}); I don't know "
        f"{echo(args, 30)}.{hint}",
        usage=f"`{p}about [method]`",
    )


def _source_query(ctx: Context, args: str) -> Query:
    return parse_query(ctx.store, args, usage=_source_usage(ctx))


def _source_usage(ctx: Context) -> str:
    return f"`{ctx.prefix}source <venue> <year> [--method article]`"


@command(
    "about",
    usage="",
    summary="Where the numbers come from and how they are counted, in plain words.",
    examples=("!about",),
    aliases=("info", "credits"),
    family="info",
    parse=_about_args,
)
def about_command(ctx: Context, args: str) -> Reply:
    if args.strip():
        _about_args(ctx, args)
        return method_command(ctx, args)
    store = ctx.store
    default = store.default_method()
    others = [m for m in store.methods().values() if m.id != default.id]
    text = [
        "trendbot counts, per conference and year, the papers that mention PyTorch or "
        "TensorFlow, following Horace He's study \"The State of Machine Learning Frameworks "
        'in 2019" (The Gradient, 2019-10-10).',
        "How: each paper's full PDF text is searched for framework names. A paper counts for "
        "PyTorch if it names PyTorch (or a PyTorch library) and not TensorFlow, and the other "
        "way round; papers naming both count for neither. The **share** is PyTorch / (PyTorch + "
        "TensorFlow): most papers name neither, so it says which framework wins among papers "
        "that name one, not how many papers use deep learning.",
        f"Default method: {method_label(default)}."
        + (
            " Also stored: "
            + "; ".join(f"`{m.name}` ({m.version}): add `--method {m.name}`" for m in others)
            + "."
            if others
            else ""
        ),
        f"Details: `{ctx.prefix}method {default.name}`"
        + "".join(f", `{ctx.prefix}method {m.name}`" for m in others)
        + f". Where one number came from: `{ctx.prefix}source NeurIPS 2019`.",
    ]
    sources = store.research_sources()
    fields = [EmbedField(s.name, f"{s.citation}\n{s.url}"[:1024], inline=False) for s in sources]
    return Reply(
        "\n\n".join(text) + "\nSources: " + "; ".join(f"{s.name} <{s.url}>" for s in sources),
        command="about",
        title="About trendbot's numbers",
        description="\n\n".join(text[:2]),
        fields=fields,
        footer=f"data version {store.data_version()} · schema {store.schema_version()}",
        data_version=store.data_version(),
    )


@command(
    "method",
    usage="[final|article|modern|code]",
    summary="The counting methods, one line each; one in detail: its terms, limits, version.",
    examples=("!method", "!method article", "!method code"),
    aliases=("methods", "how", "methodology"),
    family="info",
    parse=_method_names,
)
def method_command(ctx: Context, args: str) -> Reply:
    store = ctx.store
    name, methods = _method_names(ctx, args)
    if name:
        text = _method_text(methods[0], ctx.prefix)
    else:
        text = "\n".join(
            [
                "**Counting methods**:",
                *(_method_line(m) for m in methods),
                f"Each in full: `{ctx.prefix}method <name>`, e.g. `{ctx.prefix}method code`. "
                "Pick one for any command with `--method <name>`, e.g. "
                f"`{ctx.prefix}ratio CVPR 2019 --method article`.",
            ]
        )
    return Reply(
        text,
        command="method" + (f" {methods[0].name}" if name else ""),
        title="Counting methods" if not name else methods[0].title,
        fields=[
            EmbedField(f"{m.name} ({m.version})", terms_text(m, "\n")[:1024], inline=False)
            for m in methods
        ]
        if name
        else [],
        description=methods[0].description if name else text,
        data_version=store.data_version(),
    )


@command(
    "source",
    usage="<venue> <year> [--method article]",
    summary="Provenance of one number: source, citation, method, terms, when collected.",
    examples=("!source NeurIPS 2019", "!source CVPR 2019 --method article"),
    aliases=("provenance", "cite", "citation"),
    family="info",
    parse=_source_query,
)
def source_command(ctx: Context, args: str) -> Reply:
    store = ctx.store
    usage = _source_usage(ctx)
    q = _source_query(ctx, args)
    if len(q.venues) != 1 or len(q.years) != 1:
        venues = store.venues()
        given = [venues[v].name for v in q.venues] + [str(y) for y in q.years]
        many = len(q.venues) > 1 or len(q.years) > 1
        you_gave = f"; you gave {and_list(given)}" if many else ""
        raise UsageError(
            f"Name one venue and one year, e.g. `NeurIPS 2019`{you_gave}.", usage=usage
        )
    method = q.method or store.default_method()
    row = store.venue_year(q.venues[0], q.years[0], method.id)
    venue = store.venues()[q.venues[0]]
    if row is None:
        raise not_covered(store, method, venue_id=venue.id, year=q.years[0])
    src = store.sources().get(row.source_id)
    figures = ", ".join(f"{figure_name(f)} {fmt_int(row.counts.get(f, 0))}" for f in method.figures)
    lines = [
        f"**{venue.name} {row.year}**: {figures}, of {fmt_int(row.total_papers)} "
        f"{population_label(store, row)}.",
        f"Source: {src.name if src else row.source_id}"
        + (f" <{src.url}>" if src and src.url else ""),
        f"Citation: {src.citation}" if src and src.citation else "",
        f"Method: {method_label(method)}: {method.description}",
        f"Terms: {terms_text(method, '; ', '{name} = ')}"
        + (
            f"; papers naming {method.affiliation_filter} excluded"
            if method.affiliation_filter
            else ""
        )
        + ".",
        f"Collected: {row.collected_at}.",
    ]
    if method.is_code:
        prov = code_text.provenance(store, [row])
        lines[4] = lines[4].replace("Terms: ", "Packages and imports: ", 1)
        lines.insert(1, f"Population: {code_text.population_sentence(store, row)}.")
        lines.append(f"Repositories: GitHub, read {prov.read} ({prov.rules}).")
        lines += [f"Note: {n}." for n in code_text.notes(row)]
    else:
        lines += [f"Note: {n}." for n in (population_warning(row), unread(store, row)) if n]
    listing = store.listing(venue.id, row.year)
    if listing is not None and listing.source_id == row.source_id:
        lines.append(f"Listed: {listing.population}, {listing.fetched_at[:10]}.")
    for other in row.others:
        osrc = store.sources().get(other.source_id)
        lines.append(
            f"Also: {source_name(store, other)}"
            + (f" <{osrc.url}>" if osrc and osrc.url else "")
            + f", collected {other.collected_at[:10]}: "
            + ", ".join(
                f"{figure_name(f)} {fmt_int(other.counts.get(f, 0))}" for f in method.figures
            )
            + f", of {fmt_int(other.total_papers)} {population_label(store, other)}."
        )
    return Reply(
        "\n".join(line for line in lines if line),
        command=f"source {venue.name} {row.year}"
        + ("" if method.is_default else f" --method {method.name}"),
        title=f"Where {venue.name} {row.year} comes from",
        fields=[
            EmbedField("Source", (src.name if src else row.source_id)[:1024], inline=False),
            EmbedField("Method", method_label(method)),
            EmbedField("Collected", row.collected_at),
        ],
        footer=src.url if src else None,
        data_version=store.data_version(),
    )
