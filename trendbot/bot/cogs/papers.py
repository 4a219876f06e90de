"""Paper commands: `papers` (the papers behind a collected count) and `paper` (one paper by title).

Both read per-paper rows, so both defer on slash: a store busy with a collector's write must not
make them miss Discord's 3 s. The year option offers the years trendbot has papers for.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from discord import Interaction, app_commands
from discord.ext import commands

from trendbot.bot.autocomplete import (
    MAX_CHOICES,
    method_choices,
    resolve_venue,
    venue_choices,
    year_labels,
)
from trendbot.bot.cogs.hybrid import Year, join_args, spec_command
from trendbot.storage import Store, paper_queries

if TYPE_CHECKING:
    from trendbot.bot.app import TrendBotMixin

Page = commands.Range[int, 1, 100_000]
# Values are the words `!papers` reads, so the slash form is the same command line.
FRAMEWORKS = [
    app_commands.Choice(name="PyTorch", value="pytorch"),
    app_commands.Choice(name="TensorFlow", value="tensorflow"),
    app_commands.Choice(name="PyTorch and TensorFlow both (modern rule)", value="both"),
    app_commands.Choice(name="JAX (modern rule)", value="jax"),
    app_commands.Choice(name="Keras (modern rule)", value="keras"),
    app_commands.Choice(name="MXNet (modern rule)", value="mxnet"),
    app_commands.Choice(name="PaddlePaddle (modern rule)", value="paddlepaddle"),
    app_commands.Choice(name="MindSpore (modern rule)", value="mindspore"),
    app_commands.Choice(name="Papers that could not be read", value="failed"),
    app_commands.Choice(name="Papers without a text layer (scans)", value="no-text"),
    app_commands.Choice(name="Own code using several frameworks (code rule)", value="several"),
    app_commands.Choice(name="Own code using none of them (code rule)", value="none"),
    app_commands.Choice(name="Own repository gone (code rule)", value="gone"),
    app_commands.Choice(name="Own repository empty (code rule)", value="empty"),
    app_commands.Choice(name="Own repository not read yet (code rule)", value="unread"),
    app_commands.Choice(name="Own code on GitLab (code rule)", value="gitlab"),
]


def paper_years(store: Store, venue: str | None, current: str) -> list[tuple[str, int]]:
    """(label, year), newest first: the years of the venue (or of any venue) with collected
    papers, then the study's years, which have counts but no papers to list."""
    venue_id = resolve_venue(store, venue)
    listed = store.read(paper_queries.listing_states, venue_id) if venue_id else []
    everywhere = store.read(paper_queries.listed_venue_years) if venue_id is None else []
    labels: list[tuple[str, int]] = []
    if venue_id is not None:
        name = store.venues()[venue_id].name
        for s in reversed(listed):
            labels.append(
                (f"{s.year} · {name}: {sum(s.states.values()):,} papers collected", s.year)
            )
    else:
        for y in sorted({y for _, y in everywhere}, reverse=True):
            labels.append((f"{y} · papers collected", y))
    have = {y for _, y in labels}
    for label, y in year_labels(store, venue, None, ""):
        if y not in have:
            labels.append((f"{label} (study counts only, no papers)"[:100], y))
    cur = current.strip()
    return [(label, y) for label, y in labels if str(y).startswith(cur)][:MAX_CHOICES]


async def paper_year_choices(
    interaction: Interaction, current: str
) -> list[app_commands.Choice[int]]:
    store = interaction.client.core.store  # type: ignore[attr-defined]
    venue = getattr(interaction.namespace, "venue", None)
    labels = await asyncio.to_thread(paper_years, store, venue, str(current))
    return [app_commands.Choice(name=label[:100], value=year) for label, year in labels]


class PapersCog(commands.Cog, name="papers"):
    def __init__(self, bot: TrendBotMixin) -> None:
        self.bot = bot

    @spec_command("papers", defer=True)
    @app_commands.describe(
        venue="Conference, e.g. NeurIPS (start typing for the list)",
        year="Year; the list shows the years with collected papers first",
        framework="A framework's papers, or those that could not be read (empty: every paper)",
        method="Counting method (default: final; JAX, Keras… use modern; several, gone… use code)",
        page="Page number (default: 1)",
    )
    @app_commands.autocomplete(venue=venue_choices, year=paper_year_choices, method=method_choices)
    @app_commands.choices(framework=FRAMEWORKS)
    async def papers(
        self,
        ctx: commands.Context,
        *,
        venue: str = "",
        year: Year = None,
        framework: str = "",
        method: str = "",
        page: Page = None,
    ) -> None:
        words = [venue, year, framework, f"page {page}" if page else ""]
        await self.bot.respond(ctx, "papers", join_args(*words, method=method))

    @spec_command("paper", defer=True)
    @app_commands.describe(title="Words of the title, in any order, e.g. attention all you need")
    async def paper(self, ctx: commands.Context, *, title: str = "") -> None:
        await self.bot.respond(ctx, "paper", join_args(title))
