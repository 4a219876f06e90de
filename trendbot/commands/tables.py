"""The aligned count table that `!ratio` and `!chart` print in a code block."""

from __future__ import annotations

from trendbot.commands.provenance import population_warning
from trendbot.commands.reply import EmbedField
from trendbot.commands.text import fmt_int, fmt_pct
from trendbot.storage import VenueYear


def count_table(label: str, rows: list[tuple[str, VenueYear]]) -> list[str]:
    """One line per row; a `*` marks a count whose caveat ``caveats`` spells out."""
    width = max(len(label), *(len(name) for name, _ in rows)) if rows else len(label)
    table = [f"{label:<{width}}  PyTorch  TensorFlow   share   papers"]
    for name, r in rows:
        star = "*" if r.population != "accepted" else ""
        table.append(
            f"{name:<{width}}  {r.pytorch:>7,}  {r.tensorflow:>10,}"
            f"  {fmt_pct(r.pytorch_share):>7}  {r.total_papers:>6,}{star}"
        )
    return table


def count_fields(rows: list[tuple[str, VenueYear]]) -> list[EmbedField]:
    """The same rows as embed fields: '182 vs 104 · 63.6 %' under each label."""
    return [
        EmbedField(
            name, f"{fmt_int(r.pytorch)} vs {fmt_int(r.tensorflow)} · {fmt_pct(r.pytorch_share)}"
        )
        for name, r in rows
    ]


def caveats(rows: list[tuple[str, VenueYear]]) -> list[str]:
    return [f"{name}: {w}" for name, r in rows if (w := population_warning(r))]
