"""The one normal form of a command's text, applied where the text enters ``commands``.

Echoing and matching must see the same characters: otherwise `Neur<U+200B>IPS` (a zero-width
space pasted from a web page) is echoed as `NeurIPS` but refused as a venue, and full-width
`ＮｅｕｒＩＰＳ ２０１９` (an East Asian input method) is refused while Arabic-Indic digits are
read. So every line is put in one form before anything reads it:

- invisible format characters (Unicode category Cf: zero-width spaces and joiners, the
  bidirectional overrides, soft hyphens, the byte-order mark) are removed: they change how text
  looks or reads, never what it says;
- then NFKC: compatibility forms become their plain letters and digits (full-width `Ｎ` → `N`,
  `２` → `2`, `ﬁ` → `fi`, `²` → `2`) and a letter followed by a combining accent becomes one
  character where Unicode has one (`e` + U+0301 → `é`), so an accent stays with its letter;
- every other decimal digit (Arabic-Indic `٢٠١٩`, Devanagari `२०१९`) becomes its ASCII digit,
  which NFKC leaves alone: a year is read whatever digits it is written in, and echoed as read.

Control characters (category Cc) are kept: they are what was typed, and ``text.echo`` shows them
escaped (`\\x1b`) rather than dropping them silently.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

CACHE_AT_MOST = 4096  # distinct code points remembered; past it each is looked up again


class _Table(dict[int, int | str | None]):
    """A ``str.translate`` table filled as code points are seen (building it for all 1.1 million
    code points up front would cost about 0.2 s at start): ``rule`` says what one becomes."""

    def __init__(self, rule: Callable[[str], int | str | None]) -> None:
        super().__init__()
        self.rule = rule

    def __missing__(self, code: int) -> int | str | None:
        value = self.rule(chr(code))
        if len(self) < CACHE_AT_MOST:
            self[code] = value
        return value


def _without_format(char: str) -> int | None:
    return None if unicodedata.category(char) == "Cf" else ord(char)


def _plain(char: str) -> int | str | None:
    if unicodedata.category(char) == "Nd":
        return str(unicodedata.decimal(char))
    return _without_format(char)


_FORMAT = _Table(_without_format)
_PLAIN = _Table(_plain)


def strip_format(text: str) -> str:
    """``text`` without Unicode format characters (category Cf)."""
    return text if text.isascii() else text.translate(_FORMAT)


def normalise(text: str) -> str:
    """The form every command reads and echoes: format characters removed, NFKC, ASCII digits.

    Idempotent, and the identity on ASCII (nearly every line), which costs one check."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKC", text.translate(_PLAIN))
    # NFKC never makes a format character or a digit of another script out of anything but
    # one; the table is applied again so that the result is certainly in the form.
    return text if text.isascii() else text.translate(_PLAIN)
