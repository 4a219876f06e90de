"""Forgiving parsing of command arguments: venues, years, counting methods and options.

People type `NIPS`, `neurips'19`, `NeurIPS2019`, `nips 19` and `method:article`; all of them
should work. Anything that cannot be understood raises ``UsageError`` with a message written for
the person (and a suggestion where one fits), never a traceback.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from trendbot.commands.text import echo
from trendbot.storage import Method, Store

MAX_ARG_CHARS = 500  # longer input is not a question; refuse before doing any work
MAX_TOKENS = 40
VALUE_OPTIONS = frozenset({"method"})
STOPWORDS = frozenset({"at", "in", "for", "the", "and", "vs", "of", "&", "on", "from", "to"})
_QUOTES = re.compile(r"[’‘`´'\"“”]")
_SPLIT = re.compile(r"[\s,;/|+()\[\]{}]+")
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])[-_.]?(?=\d)|(?<=\d)[-_.]?(?=[^\W\d_])")
_OPTION = re.compile(r"^(?:--?|—)([a-z][a-z_-]*)(?:=(.*))?$")
_KEYVALUE = re.compile(r"^([a-z][a-z_-]*)[:=](.+)$")


class UsageError(Exception):
    """Bad input. The message is shown to the user as-is."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


@dataclass(frozen=True)
class Query:
    """What the arguments of a command asked for, resolved against the store."""

    venues: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    method: Method | None = None
    method_explicit: bool = False
    flags: frozenset[str] = frozenset()
    words: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)


def normalise_year(token: str) -> int | None:
    """'2019' → 2019, '19' → 2019; anything else → None."""
    if re.fullmatch(r"(19|20)\d\d", token):
        return int(token)
    if re.fullmatch(r"\d\d", token):
        yy = int(token)
        return 2000 + yy if yy < 70 else 1900 + yy
    return None


def tokenize(argstr: str) -> tuple[list[str], dict[str, str], set[str]]:
    """Split into positional tokens, ``--key value`` / ``key:value`` options, and ``--flags``."""
    if len(argstr) > MAX_ARG_CHARS:
        raise UsageError(
            f"That is {len(argstr):,} characters of arguments; I only read up to {MAX_ARG_CHARS}."
        )
    raw = _QUOTES.sub(" ", argstr.lower()).split()
    positional: list[str] = []
    options: dict[str, str] = {}
    flags: set[str] = set()
    i = 0
    while i < len(raw):
        tok = raw[i]
        opt = _OPTION.match(tok)
        kv = _KEYVALUE.match(tok) if not opt else None
        if opt:
            name, value = opt.group(1).replace("_", "-"), opt.group(2)
            if name in VALUE_OPTIONS:
                if value is None:
                    if i + 1 >= len(raw):
                        raise UsageError(f"`--{name}` needs a value, e.g. `--{name} article`.")
                    i += 1
                    value = raw[i]
                options[name] = value
            else:
                flags.add(name)
        elif kv and kv.group(1) in VALUE_OPTIONS | {"venue", "year"}:
            key, value = kv.group(1), kv.group(2)
            if key in VALUE_OPTIONS:
                options[key] = value
            else:
                positional.append(value)
        else:
            positional.append(tok)
        i += 1
    tokens: list[str] = []
    for chunk in positional:
        chunk = _LETTER_DIGIT.sub(" ", chunk)
        tokens += [t for t in _SPLIT.split(chunk) if t and t not in STOPWORDS]
    if len(tokens) > MAX_TOKENS:
        raise UsageError(f"That is {len(tokens)} words; a question needs only a few.")
    return tokens, options, flags


def resolve_method(store: Store, name: str | None) -> Method:
    if not name:
        return store.default_method()
    wanted = name.strip().lower()
    for m in store.methods().values():
        if wanted in {m.id.lower(), m.name.lower(), *(a.lower() for a in m.aliases)}:
            return m
    known = ", ".join(f"`{m.name}`" for m in store.methods().values())
    raise UsageError(f"I don't know the counting method `{echo(name)}`. Methods: {known}.")


def suggest_venues(store: Store, word: str, n: int = 3) -> list[str]:
    """Closest venue names to a misspelt word, best first."""
    aliases = store.aliases()
    venues = store.venues()
    close = difflib.get_close_matches(word.lower(), list(aliases), n=8, cutoff=0.6)
    names: list[str] = []
    for alias in close:
        name = venues[aliases[alias]].name
        if name not in names:
            names.append(name)
    return names[:n]


def unknown_venue_message(store: Store, word: str) -> str:
    names = suggest_venues(store, word)
    if names:
        options = " or ".join(f"**{n}**" for n in names)
        return f"I don't know the venue `{echo(word)}`. Did you mean {options}?"
    every = ", ".join(v.name for v in store.venues().values())
    return f"I don't know the venue `{echo(word)}`. Venues I cover: {every}."


def parse_query(
    store: Store,
    argstr: str,
    *,
    words: frozenset[str] | set[str] = frozenset(),
    flags: frozenset[str] | set[str] = frozenset(),
    usage: str | None = None,
) -> Query:
    """Resolve venues, years, method, and the command-specific ``words`` and ``flags``.

    ``words`` are bare keywords a command accepts (e.g. ``counts`` for charts); ``flags`` are
    ``--options`` it accepts. Anything else that is not a venue or a year is an error with a
    suggestion.
    """
    tokens, options, given_flags = tokenize(argstr)
    unknown_flags = given_flags - set(flags)
    method_name = options.get("method")
    # `--article` / `--final` are shorthands for `--method article`.
    for f in sorted(unknown_flags):
        try:
            m = resolve_method(store, f)
        except UsageError:
            continue
        method_name = method_name or m.name
        unknown_flags.discard(f)
    if unknown_flags:
        bad = sorted(unknown_flags)[0]
        accepted = ", ".join(f"`--{f}`" for f in sorted(flags)) or "none besides `--method`"
        raise UsageError(
            f"I don't know the option `--{echo(bad)}`. Options here: {accepted}.", usage=usage
        )
    method = resolve_method(store, method_name)

    aliases = store.aliases()
    venues: list[str] = []
    years: list[int] = []
    found_words: list[str] = []
    i = 0
    while i < len(tokens):
        # Longest multi-word alias first ("naacl hlt", "neural information processing systems").
        for span in range(min(5, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i : i + span])
            if phrase in aliases:
                if aliases[phrase] not in venues:
                    venues.append(aliases[phrase])
                i += span
                break
        else:
            tok = tokens[i]
            i += 1
            if tok.isdigit():
                year = normalise_year(tok)
                if year is None:
                    raise UsageError(
                        f"`{echo(tok)}` isn't a year I understand; write it as `2019` or `19`.",
                        usage=usage,
                    )
                if year not in years:
                    years.append(year)
            elif tok in words:
                found_words.append(tok)
            else:
                raise UsageError(unknown_venue_message(store, tok), usage=usage)
    return Query(
        venues=tuple(venues),
        years=tuple(years),
        method=method,
        method_explicit=method_name is not None,
        flags=frozenset(given_flags & set(flags)),
        words=tuple(found_words),
        options=options,
    )
