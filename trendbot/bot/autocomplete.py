"""Slash-command autocomplete from the store: venues, the years a venue covers, methods.

Discord shows at most 25 choices and expects an answer within 3 s, so every function here is a
couple of indexed lookups and slices its result to 25. Year choices follow the venue the user
has already picked (``interaction.namespace``), so nobody is offered a year with no data.
"""

from __future__ import annotations

import asyncio

from discord import Interaction, app_commands

from trendbot.commands import REGISTRY
from trendbot.commands.text import fmt_pct
from trendbot.storage import Method, Store

MAX_CHOICES = 25


def _store(interaction: Interaction) -> Store:
    return interaction.client.core.store  # type: ignore[attr-defined]


def resolve_venue(store: Store, text: str | None) -> str | None:
    """A venue id from what the user typed or picked ('NeurIPS', 'nips'), else None."""
    if not text:
        return None
    key = " ".join(str(text).lower().split())
    return store.aliases().get(key)


def resolve_method(store: Store, text: str | None) -> Method:
    if text:
        wanted = str(text).strip().lower()
        for m in store.methods().values():
            if wanted in {m.id.lower(), m.name.lower(), *(a.lower() for a in m.aliases)}:
                return m
    return store.default_method()


def venue_names(store: Store, current: str) -> list[tuple[str, str]]:
    """(label, value) pairs for venues matching what is typed, best matches first."""
    cur = current.strip().lower()
    aliases = store.aliases()
    starts, contains = [], []
    for v in store.venues().values():
        names = [v.name.lower(), *(a for a, vid in aliases.items() if vid == v.id)]
        label = f"{v.name} · {v.full_name}"[:100]
        if not cur or any(n.startswith(cur) for n in names):
            starts.append((label, v.name))
        elif cur in v.full_name.lower() or any(cur in n for n in names):
            contains.append((label, v.name))
    return (starts + contains)[:MAX_CHOICES]


async def venue_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=label, value=value)
        for label, value in venue_names(_store(interaction), current)
    ]


async def venues_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    """For an option that takes several venues ('NeurIPS CVPR'): complete the last word."""
    head, _, last = current.rpartition(" ")
    head = f"{head.strip()} " if head.strip() else ""
    return [
        app_commands.Choice(name=f"{head}{value}"[:100], value=f"{head}{value}"[:100])
        for _, value in venue_names(_store(interaction), last)
    ]


def year_labels(store: Store, venue: str | None, method_name: str | None, current: str):
    """(label, year) pairs, newest first: the venue's years, or every year if none is chosen."""
    method = resolve_method(store, method_name)
    venue_id = resolve_venue(store, venue)
    cur = current.strip()
    if venue_id is not None:
        rows = store.venue_series(venue_id, method.id)
        name = store.venues()[venue_id].name
        labels = [
            (f"{r.year} · {name}: PyTorch {fmt_pct(r.pytorch_share)}", r.year)
            for r in reversed(rows)
        ]
    else:
        labels = [(str(y), y) for y in reversed(store.years(method.id))]
    return [(label, y) for label, y in labels if str(y).startswith(cur)][:MAX_CHOICES]


async def year_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[int]]:
    ns = interaction.namespace
    venue = getattr(ns, "venue", None) or getattr(ns, "venues", None)
    if venue and " " in str(venue).strip():
        venue = None  # several venues: offer every year
    # The only autocomplete that queries counts: in a thread, so a database busy with a
    # writer delays these choices, not the gateway.
    labels = await asyncio.to_thread(
        year_labels, _store(interaction), venue, getattr(ns, "method", None), str(current)
    )
    return [app_commands.Choice(name=label, value=year) for label, year in labels]


async def method_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    cur = current.strip().lower()
    return [
        app_commands.Choice(name=f"{m.name} · {m.title} ({m.version})"[:100], value=m.name)
        for m in _store(interaction).methods().values()
        if not cur or cur in m.name.lower() or cur in m.title.lower()
    ][:MAX_CHOICES]


async def command_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
    cur = current.strip().lower().lstrip("!/")
    return [
        app_commands.Choice(name=f"{s.name}: {s.summary}"[:100], value=s.name)
        for s in REGISTRY.values()
        if not cur or s.name.startswith(cur) or any(a.startswith(cur) for a in s.aliases)
    ][:MAX_CHOICES]
