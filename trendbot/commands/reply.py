"""The reply object every command returns: one shape for the bot, the console and the tests.

A reply carries plain text that always fits a Discord message, optional embed parts (title,
fields, footer) for adapters that can show them, and files (chart PNGs, or the full text of an
answer too long for one message). ``finish()`` enforces Discord's limits here, in the pure layer,
so that no adapter can forget to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_CONTENT = 2000
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_TITLE = 256
MAX_FOOTER = 2048
MAX_DESCRIPTION = 4096
MAX_EMBED_TOTAL = 6000
LONG_REPLY_FILENAME = "trendbot-reply.txt"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class EmbedField:
    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True)
class Attachment:
    """A file to send with the reply (a chart PNG, or a long answer as text)."""

    filename: str
    data: bytes
    description: str = ""  # alt text for images
    content_type: str = "application/octet-stream"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


@dataclass
class Reply:
    text: str
    command: str = ""  # canonical form of what ran, e.g. "ratio NeurIPS 2019"
    title: str | None = None
    description: str | None = None
    fields: list[EmbedField] = field(default_factory=list)
    footer: str | None = None
    files: list[Attachment] = field(default_factory=list)
    is_error: bool = False
    ephemeral: bool = False  # a user error: slash replies may show it only to the asker
    usage_error: bool = False  # the input was not understood (as opposed to a failure)
    data_version: int | None = None

    @property
    def image(self) -> Attachment | None:
        return next((f for f in self.files if f.is_image), None)

    def has_embed(self) -> bool:
        return bool(self.title or self.fields or self.description)

    def finish(self) -> Reply:
        """Clamp to Discord's limits; a text too long for one message becomes a .txt file."""
        self.text = fit_text(self.text, self.files)
        if self.title:
            self.title = _clip(self.title, MAX_TITLE)
        if self.description:
            self.description = _clip(self.description, MAX_DESCRIPTION)
        if self.footer:
            self.footer = _clip(self.footer, MAX_FOOTER)
        self.fields = [
            EmbedField(_clip(f.name, MAX_FIELD_NAME), _clip(f.value, MAX_FIELD_VALUE), f.inline)
            for f in self.fields[:MAX_FIELDS]
        ]
        while self.fields and self.embed_length() > MAX_EMBED_TOTAL:
            self.fields.pop()
        return self

    def embed_length(self) -> int:
        return (
            len(self.title or "")
            + len(self.description or "")
            + len(self.footer or "")
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )

    def as_plain_text(self) -> str:
        """What a console (or a channel where embeds are off) shows: text, then the footer."""
        parts = [self.text]
        if self.footer and self.footer not in self.text:
            parts.append(f"({self.footer})")
        return "\n".join(parts)


def fit_text(text: str, files: list[Attachment]) -> str:
    """``text`` if it fits one message; otherwise a pointer, with the full text added to
    ``files`` as a .txt attachment. Adapters that add lines of their own (a note, a footer)
    call this again on what they send."""
    if len(text) <= MAX_CONTENT:
        return text
    files.append(
        Attachment(
            LONG_REPLY_FILENAME,
            text.encode("utf-8"),
            description="the full answer as text",
            content_type="text/plain; charset=utf-8",
        )
    )
    head = text.split("\n", 1)[0][:300]
    return (
        f"{head}\nThe full answer is {len(text):,} characters ({text.count(chr(10)) + 1} lines), "
        f"so it is attached as `{LONG_REPLY_FILENAME}`."
    )


def safe_filename(name: str) -> str:
    """A plain file name: Discord resolves ``attachment://`` only for those, and the console
    writes files under its output folder, never elsewhere."""
    cleaned = _UNSAFE_FILENAME.sub("_", name).strip("._") or "file"
    return cleaned[:100]


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
