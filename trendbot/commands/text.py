"""Formatting helpers shared by the commands: numbers, shares, and echoing user text safely."""

from __future__ import annotations

import re
from urllib.parse import quote

from trendbot.commands.normalise import strip_format
from trendbot.storage.models import Method

ZWSP = "\u200b"
# Anything Discord would turn into a ping or a channel/role link: @everyone, @here, <@id>,
# <@!id>, <@&id>, <#id>, and slash-command / timestamp-like markup is harmless so left alone.
_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)(\d+)>")
LIVE_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")
_MARKDOWN = re.compile(r"([`*_~|>\\#\[\]])")
# Control characters (a terminal escape sequence in the console) never come back raw: they are
# shown escaped, as `\x1b`, so an echo says what was typed without acting on it. Tabs and line
# breaks are whitespace and collapse like spaces. Lone surrogates (undecodable bytes from a
# command line) become U+FFFD. Format characters (bidi overrides, zero-width spaces) are removed
# by ``normalise.strip_format`` first.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
BACKTICK_STANDIN = "\u02cb"  # ˋ: looks like a backtick, cannot end a code span


def neutralise_mentions(text: str) -> str:
    """Break every mention with a zero-width space so Discord shows it but never pings."""

    def fix(m: re.Match[str]) -> str:
        if m.group(1):
            return "@" + ZWSP + m.group(1)
        return "<" + m.group(2) + ZWSP + m.group(3) + ">"

    return _MENTION.sub(fix, text)


def _escape_control(m: re.Match[str]) -> str:
    char = m.group()
    return "\ufffd" if "\ud800" <= char <= "\udfff" else f"\\x{ord(char):02x}"


def printable(text: str) -> str:
    """``text`` safe to show: no format characters, control characters escaped visibly
    (`\\x1b`), lone surrogates as U+FFFD."""
    return _CONTROL.sub(_escape_control, strip_format(text))


def echo(user_text: str, limit: int = 40, *, lead: str = "", code: bool = True) -> str:
    """User text quoted back in a reply, safe for where it lands. Every echo goes through here.

    Shortened to ``limit`` characters, whitespace collapsed, format characters dropped, control
    characters shown escaped (`\\x1b`) and every mention broken with a zero-width space. By
    default it comes back as a complete code span (`` `lead + text` ``): markdown escapes do not
    apply inside code spans (a backslash would show), so a backtick, the one character that
    could end the span, is replaced by a look-alike.
    ``lead`` is trusted text shown inside the same span (a prefix, ``--``). With ``code=False``
    the text is for plain markdown instead: markdown characters are backslash-escaped.
    """
    cleaned = " ".join(printable(user_text).split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    if not code:
        return _MARKDOWN.sub(r"\\\1", neutralise_mentions(lead + cleaned))
    inner = neutralise_mentions((lead + cleaned).replace("`", BACKTICK_STANDIN))
    return f"`{inner}`" if inner.strip() else "` `"


def fmt_int(n: int) -> str:
    return f"{n:,}"


def and_list(items: list[str]) -> str:
    """['a'] → 'a'; ['a', 'b', 'c'] → 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """'1 paper', '28 papers', '1,000 job ads': a count always agrees with its noun. Sentences
    glue counts to nouns, never to descriptions ("28 every paper (final rule) papers")."""
    return f"{fmt_int(n)} {noun if n == 1 else plural or noun + 's'}"


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


def figure_name(figure: str) -> str:
    """'pytorch' → 'PyTorch'; a pair figure 'pytorch+tensorflow' → 'PyTorch & TensorFlow'."""
    from trendbot.charts.style import framework_name

    return " & ".join(framework_name(part) for part in figure.split("+"))


_UNSAFE_IN_LINK = re.compile(r"[\s<>]")


def safe_link(url: str | None) -> str | None:
    """``<url>`` for an http(s) link (angle brackets: Discord shows no preview), with anything
    that could end the brackets percent-encoded; None for anything else."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return None
    return "<" + _UNSAFE_IN_LINK.sub(lambda m: quote(m.group()), url) + ">"


def with_method(base: str, method: Method) -> str:
    """The command a reply answers, naming its method unless it is the default."""
    return base + ("" if method.is_default else f" --method {method.name}")
