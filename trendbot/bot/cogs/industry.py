"""Industry commands: `industry`, `trend`, `metrics`, `compare`, with typed slash options.

Metric names, frameworks and a metric's sources autocomplete from the catalogue, the framework
table and the store's layout (all cached), so a choice costs no query beyond a data-version read.
`trend` and `compare` draw charts: they run in a worker thread under the chart budget like
`chart` (``TrendBot.answer`` does that for every command registered ``slow``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import Interaction, app_commands
from discord.ext import commands

from trendbot.bot.autocomplete import method_choices
from trendbot.bot.cogs.hybrid import Year, join_args, spec_command
from trendbot.storage.catalog import load_catalog
from trendbot.storage.figures import layout
from trendbot.storage.frameworks import load_frameworks

if TYPE_CHECKING:
    from trendbot.bot.app import TrendBotMixin

MAX_CHOICES = 25
SinceYear = Year


def metric_labels(current: str) -> list[tuple[str, str]]:
    """(label, metric name) pairs matching what is typed, by name or title."""
    cur = current.strip().lower()
    out = []
    for d in load_catalog().metrics:
        if not cur or cur in d.name or cur in d.title.lower():
            out.append((f"{d.name} · {d.title}"[:100], d.name))
    return out[:MAX_CHOICES]


def framework_labels(current: str) -> list[tuple[str, str]]:
    """For an option taking several frameworks ('pytorch jax'): complete the last word."""
    head, _, last = current.rpartition(" ")
    head = f"{head.strip()} " if head.strip() else ""
    cur = last.strip().lower()
    out = []
    for f in load_frameworks().frameworks:
        if not cur or any(k.startswith(cur) for k in (f.id, *f.aliases)):
            out.append((f"{head}{f.id}"[:100], f"{head}{f.id}"[:100]))
    return out[:MAX_CHOICES]


async def metric_choices(interaction: Interaction, current: str):
    return [app_commands.Choice(name=n, value=v) for n, v in metric_labels(current)]


async def frameworks_choices(interaction: Interaction, current: str):
    return [app_commands.Choice(name=n, value=v) for n, v in framework_labels(current)]


async def framework_choices(interaction: Interaction, current: str):
    return [
        app_commands.Choice(name=load_frameworks().get(v).name, value=v)  # type: ignore[union-attr]
        for _, v in framework_labels(current.strip().split(" ")[-1])
    ]


async def source_choices(interaction: Interaction, current: str):
    """The sources holding the metric already chosen (or any metric's)."""
    store = interaction.client.core.store  # type: ignore[attr-defined]
    metric = getattr(interaction.namespace, "metric", None)
    by_metric = layout(store).by_metric
    names = (
        list(by_metric.get(str(metric), {}))
        if metric
        else sorted({s for srcs in by_metric.values() for s in srcs})
    )
    cur = current.strip().lower()
    return [app_commands.Choice(name=s[:100], value=s[:100]) for s in names if cur in s.lower()][
        :MAX_CHOICES
    ]


class IndustryCog(commands.Cog, name="industry"):
    def __init__(self, bot: TrendBotMixin) -> None:
        self.bot = bot

    @spec_command("industry", defer=True)
    @app_commands.describe(frameworks="One framework for every metric, or several to compare")
    @app_commands.autocomplete(frameworks=frameworks_choices)
    async def industry(self, ctx: commands.Context, *, frameworks: str = "") -> None:
        await self.bot.respond(ctx, "industry", join_args(frameworks))

    @spec_command("trend", defer=True)
    @app_commands.describe(
        metric="An industry metric, e.g. pypi-downloads or github-stars",
        frameworks="Frameworks to draw (empty: all), e.g. pytorch jax",
        since="First year to draw",
        source="Draw every line from this source",
        light="Draw for Discord's light theme",
    )
    @app_commands.autocomplete(
        metric=metric_choices, frameworks=frameworks_choices, source=source_choices
    )
    async def trend(
        self,
        ctx: commands.Context,
        *,
        metric: str = "",
        frameworks: str = "",
        since: SinceYear = None,
        source: str = "",
        light: bool = False,
    ) -> None:
        words = [
            metric,
            frameworks,
            f"since {since}" if since else "",
            f"source:{source}" if source else "",
        ]
        await self.bot.respond(ctx, "trend", join_args(*words, light=light))

    @spec_command("metrics", defer=True)
    @app_commands.describe(metric="One metric in full (empty: the list)")
    @app_commands.autocomplete(metric=metric_choices)
    async def metrics(self, ctx: commands.Context, *, metric: str = "") -> None:
        await self.bot.respond(ctx, "metrics", join_args(metric))

    @spec_command("compare", defer=True)
    @app_commands.describe(
        year="A year (empty: the latest figures)",
        method="Counting method of the research side (default: final)",
        light="Draw for Discord's light theme",
    )
    @app_commands.autocomplete(method=method_choices)
    async def compare(
        self,
        ctx: commands.Context,
        *,
        year: SinceYear = None,
        method: str = "",
        light: bool = False,
    ) -> None:
        await self.bot.respond(ctx, "compare", join_args(year, method=method, light=light))
