"""The aligned count table that `!ratio` and `!chart` print in a code block."""

from __future__ import annotations

from trendbot.commands.provenance import population_warning
from trendbot.commands.reply import EmbedField
from trendbot.commands.text import figure_name, fmt_int, fmt_pct
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


def mention_figures(rows: list[VenueYear], method_figures: tuple[str, ...]) -> list[str]:
    """The frameworks a non-exclusive method's table shows: PyTorch and TensorFlow always, the
    others only where some paper names them (a column of zeros says nothing)."""
    return [
        f
        for f in method_figures
        if "+" not in f and (f in ("pytorch", "tensorflow") or any(r.counts.get(f) for r in rows))
    ]


def share_of_papers(row: VenueYear, figure: str) -> float | None:
    return row.counts.get(figure, 0) / row.total_papers if row.total_papers else None


def pooled_share(rows: list[VenueYear], figure: str) -> float | None:
    """A figure's share of several venue-years' papers taken together (a year's venues)."""
    total = sum(r.total_papers for r in rows)
    return sum(r.counts.get(figure, 0) for r in rows) / total if total else None


def share_cells(row: VenueYear, figures: list[str]) -> str:
    """'PyTorch 68.8 % · JAX 12.5 % · …': a row's shares in one embed field."""
    return " · ".join(f"{figure_name(f)} {fmt_pct(share_of_papers(row, f))}" for f in figures)


def mention_table(label: str, rows: list[tuple[str, VenueYear]], figures: list[str]) -> list[str]:
    """Each framework's share of all papers (a paper naming several counts for each)."""
    width = max(len(label), *(len(name) for name, _ in rows)) if rows else len(label)
    heads = [figure_name(f)[:10] for f in figures]
    table = [f"{label:<{width}}  " + "  ".join(f"{h:>10}" for h in heads) + "   papers"]
    for name, r in rows:
        star = "*" if r.population != "accepted" else ""
        cells = "  ".join(f"{fmt_pct(share_of_papers(r, f)):>10}" for f in figures)
        table.append(f"{name:<{width}}  {cells}  {r.total_papers:>7,}{star}")
    return table
