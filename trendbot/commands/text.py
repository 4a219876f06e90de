"""Formatting helpers shared by the commands: numbers, shares, and echoing user text safely."""

from __future__ import annotations

import re

ZWSP = "\u200b"
# Anything Discord would turn into a ping or a channel/role link: @everyone, @here, <@id>,
# <@!id>, <@&id>, <#id>, and slash-command / timestamp-like markup is harmless so left alone.
_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)(\d+)>")
LIVE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")
_MARKDOWN = re.compile(r"([`*_~|>\\])")


def neutralise_mentions(text: str) -> str:
    """Break every mention with a zero-width space so Discord shows it but never pings."""

    def fix(m: re.Match[str]) -> str:
        if m.group(1):
            return "@" + ZWSP + m.group(1)
        return "<" + m.group(2) + ZWSP + m.group(3) + ">"

    return _MENTION.sub(fix, text)


def echo(user_text: str, limit: int = 40) -> str:
    """User text quoted back in a reply: shortened, markdown-escaped, unable to mention anyone."""
    cleaned = " ".join(user_text.split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    cleaned = _MARKDOWN.sub(r"\\\1", cleaned)
    return neutralise_mentions(cleaned)


def fmt_int(n: int) -> str:
    return f"{n:,}"


def fmt_pct(share: float | None, digits: int = 1) -> str:
    return "—" if share is None else f"{share * 100:.{digits}f} %"


def fmt_ratio(pytorch: int, tensorflow: int) -> str:
    """'1.75 : 1' read as PyTorch : TensorFlow, always with the larger side first as N : 1."""
    if pytorch == 0 and tensorflow == 0:
        return "no papers"
    if tensorflow == 0:
        return "PyTorch only"
    if pytorch == 0:
        return "TensorFlow only"
    if pytorch >= tensorflow:
        return f"{pytorch / tensorflow:.2f} : 1"
    return f"1 : {tensorflow / pytorch:.2f}"


def year_ranges(years: list[int] | tuple[int, ...]) -> str:
    """[2015, 2016, 2017, 2019] → '2015–2017, 2019'."""
    ys = sorted(set(years))
    if not ys:
        return "none"
    parts, start, prev = [], ys[0], ys[0]
    for y in [*ys[1:], None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)
