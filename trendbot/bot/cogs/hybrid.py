"""Registered commands as discord.py hybrid commands, shared by every cog.

``spec_command`` turns a registered command into a hybrid command (``!name`` and ``/name``) with
its name, summary and aliases taken from the command table, so help text lives in one place.
Prefix invocations receive the raw text after the command word (``rest_is_raw`` on a first
keyword-only parameter stops discord.py from tokenising it); slash invocations receive typed,
autocompleted options that the cog joins into the same argument line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from discord.ext import commands

from trendbot.commands import REGISTRY, lookup

SLASH_DESCRIPTION_MAX = 100
# A year option: Discord's client refuses values outside the range before sending; the command
# layer still answers any year it is given (with "no counts for …" where there are none).
MIN_YEAR, MAX_YEAR = 1980, 2100
Year = commands.Range[int, MIN_YEAR, MAX_YEAR]


def spec_command(name: str, *, defer: bool, summary: str = "") -> Callable[[Any], Any]:
    """A hybrid command named after, and described by, the registered command ``name``."""
    spec = REGISTRY.get(name)
    text = spec.summary if spec else summary or name
    if len(text) > SLASH_DESCRIPTION_MAX:
        text = text[: SLASH_DESCRIPTION_MAX - 1] + "…"
    hybrid = commands.hybrid_command(
        name=name,
        description=text,
        help=spec.summary if spec else text,
        # Only aliases the command table itself routes to this command (no collisions).
        aliases=[a for a in spec.aliases if lookup(a) is spec] if spec else [],
        rest_is_raw=True,
        extras={"defer": defer},
    )
    return hybrid


def _given(value: object) -> bool:
    """A slash option the user filled in. `0` is a given value (and not a year): only an
    absent option, an empty text or an unset switch is nothing."""
    return value is not None and value is not False and value != ""


def join_args(*parts: object, **options: object) -> str:
    """Slash options → the argument line the command layer parses ('NeurIPS 2019 --method x')."""
    words = [str(p).strip() for p in parts if _given(p)]
    for key, value in options.items():
        if value is True:
            words.append(f"--{key}")
        elif _given(value):
            words.append(f"--{key} {str(value).strip()}")
    return " ".join(w for w in words if w)
