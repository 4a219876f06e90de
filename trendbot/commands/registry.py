"""The command table and the one entry point, ``run(ctx, line)``, that every adapter calls.

Handlers are plain synchronous functions ``(ctx, args) -> Reply``. Adapters that live on an event
loop run commands marked ``slow`` (charts) in a worker thread; the quick ones cost microseconds.
Text enters here: ``split_line`` and ``invoke`` put it in the one normal form
(``normalise.normalise``: NFKC, no format characters) before any command matches or echoes it.
``run`` never raises: bad input becomes a friendly reply, and an unexpected error becomes a short
apology carrying a reference id that is also written to the log with the traceback.
"""

from __future__ import annotations

import difflib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trendbot.commands.normalise import normalise
from trendbot.commands.parsing import UsageError
from trendbot.commands.reply import Reply
from trendbot.commands.text import echo
from trendbot.storage import Store, StoreError

log = logging.getLogger("trendbot.commands")
# Besides the configured prefix, lines may start with the default `!` or a slash (as typed in
# Discord) or with nothing at all (the console).
ALWAYS_PREFIXES = ("!", "/")


@dataclass
class Context:
    """What a command may use. Adapters build one per process and share it."""

    store: Store
    prefix: str = "!"
    services: dict[str, Any] = field(default_factory=dict)  # e.g. "charts": a chart renderer


Handler = Callable[[Context, str], Reply]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: Handler
    usage: str  # argument part only, e.g. "<venue> [year] [--method article]"
    summary: str
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    details: str = ""
    slow: bool = False  # renders images or does I/O: adapters keep it off the event loop
    family: str = "data"
    # Checks that ``args`` are this command's arguments (raises ``UsageError`` if not) without
    # answering; the @mention reader uses it to tell a command from a sentence.
    parse: Callable[[Context, str], object] | None = None
    # Answered only by the bot in a Discord server (its cogs do the work): known here so that
    # `!help` lists it and the console says where it works instead of "isn't a command I know".
    server_only: bool = False

    def usage_line(self, prefix: str = "!") -> str:
        return f"`{prefix}{self.name} {self.usage}`".replace(" `", "`")


REGISTRY: dict[str, CommandSpec] = {}
_ALIASES: dict[str, str] = {}
# The Discord-only commands, kept apart from REGISTRY: the bot builds its commands from
# REGISTRY and routes by ``lookup``, and these are its cogs' own (bot/cogs/).
SERVER_ONLY: dict[str, CommandSpec] = {}


def command(
    name: str,
    *,
    usage: str,
    summary: str,
    examples: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    details: str = "",
    slow: bool = False,
    family: str = "data",
    parse: Callable[[Context, str], object] | None = None,
    server_only: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a handler under ``name`` (and ``aliases``); ``server_only`` ones in
    ``SERVER_ONLY``, where ``lookup`` does not find them and ``server_command`` does."""

    def register(fn: Handler) -> Handler:
        spec = CommandSpec(
            name, fn, usage, summary, examples, aliases, details, slow, family, parse, server_only
        )
        if server_only:
            SERVER_ONLY[name] = spec
            return fn
        REGISTRY[name] = spec
        for a in (name, *aliases):
            _ALIASES[a] = name
        return fn

    return register


def lookup(name: str) -> CommandSpec | None:
    canonical = _ALIASES.get(name.lower())
    return REGISTRY.get(canonical) if canonical else None


def server_command(name: str) -> CommandSpec | None:
    """The Discord-only command ``name`` (`subscribe`, `sync`, …), or None."""
    return SERVER_ONLY.get(name.lower())


def strip_prefix(line: str, prefix: str = "!") -> str:
    """The line without its command prefix: the configured one (any length, any case), `!`,
    `/`, or none. Only one prefix is taken off: with prefix `$`, `$$ratio` is not `$ratio`."""
    text = line.strip()
    folded = text.casefold()
    for p in sorted({prefix.strip(), *ALWAYS_PREFIXES} - {""}, key=len, reverse=True):
        if folded.startswith(p.casefold()):
            return text[len(p) :].strip()
    return text


def split_line(line: str, prefix: str = "!") -> tuple[str, str]:
    """'!ratio NeurIPS 2019' → ('ratio', 'NeurIPS 2019'); the prefix is optional. The line is
    normalised first (full-width `！ｒａｔｉｏ` is `!ratio`)."""
    name, _, rest = strip_prefix(normalise(line), prefix).partition(" ")
    return name.strip().lower(), rest.strip()


def parses(ctx: Context, spec: CommandSpec, args: str) -> bool:
    """Whether ``args`` read as ``spec``'s arguments (commands without a parser accept any)."""
    if spec.parse is None:
        return True
    try:
        spec.parse(ctx, normalise(args))
    except UsageError:
        return False
    except Exception:  # a parser bug must not make a sentence look like a command
        log.exception("parser of %s failed on %r", spec.name, args[:200])
        return False
    return True


def closest_command(name: str, cutoff: float = 0.6) -> str | None:
    """The registered command a mistyped name most likely meant (`rato` → `ratio`)."""
    names = [*_ALIASES, *SERVER_ONLY]
    close = difflib.get_close_matches(name.lower(), names, n=1, cutoff=cutoff)
    return _ALIASES.get(close[0], close[0]) if close else None


def unknown_command_reply(name: str, prefix: str, *, cutoff: float = 0.6) -> Reply:
    close = closest_command(name, cutoff)
    hint = f" Did you mean `{prefix}{close}`?" if close else ""
    return Reply(
        f"{echo(name, 24, lead=prefix)} isn't a command I know.{hint} "
        f"`{prefix}help` lists them all.",
        command="help",
        is_error=True,
        ephemeral=True,
        usage_error=True,
    )


def invoke(ctx: Context, spec: CommandSpec, args: str) -> Reply:
    """Run one handler with the error policy applied; always returns a finished reply.

    ``args`` are normalised here too: slash commands and @mentions arrive without a line."""
    try:
        args = normalise(args)
        reply = spec.handler(ctx, args)
    except UsageError as err:
        text = err.message
        usage = spec.usage_line(ctx.prefix) if err.usage is None else err.usage
        if usage and usage not in text:
            text += f"\nUsage: {usage}"
        reply = Reply(text, command=spec.name, is_error=True, ephemeral=True, usage_error=True)
    except StoreError as err:
        log.error("store error in %s: %s", spec.name, err)
        reply = Reply(f"The data store is unavailable: {err}", command=spec.name, is_error=True)
    except Exception:
        ref = secrets.token_hex(4)
        log.exception("command %s failed (ref %s) with args %r", spec.name, ref, args[:200])
        reply = Reply(
            f"Sorry, something went wrong on my side (reference `{ref}`). "
            "It has been logged; please try again later.",
            command=spec.name,
            is_error=True,
        )
    return reply.finish()


def run(ctx: Context, line: str) -> Reply:
    """Answer one line of chat, e.g. ``!ratio NeurIPS 2019``. Never raises."""
    try:
        name, args = split_line(line, ctx.prefix)
    except Exception:  # pragma: no cover - split_line is total, this is the last guard
        name, args = "", ""
    if not name:
        return Reply(
            f"Ask me something, e.g. `{ctx.prefix}ratio NeurIPS 2019`, or `{ctx.prefix}help`.",
            command="help",
            is_error=True,
            ephemeral=True,
        ).finish()
    spec = lookup(name) or server_command(name)
    if spec is None:
        return unknown_command_reply(name, ctx.prefix).finish()
    return invoke(ctx, spec, args)
