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
from trendbot.storage.frameworks import load_frameworks

MAX_ARG_CHARS = 500  # longer input is not a question; refuse before doing any work
MAX_TOKENS = 40
VALUE_OPTIONS = frozenset({"method"})
STOPWORDS = frozenset({"at", "in", "for", "the", "and", "vs", "of", "&", "on", "from", "to"})
_QUOTES = re.compile(r"[’‘`´'\"“”]")
_SPLIT = re.compile(r"[\s,;/|+()\[\]{}]+")
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])[-_.]?(?=\d)|(?<=\d)[-_.]?(?=[^\W\d_])")
_OPTION = re.compile(r"^(?:--?|—)([a-z][a-z_-]*)(?:=(.*))?$")
_KEYVALUE = re.compile(r"^([a-z][a-z_-]*)[:=](.+)$")
# A token that is a number but not a plain year: "-2019", "1e309", "2019.5", "+19". It is echoed
# whole in the error, not split into "1", "e", "309" by the letter/digit rule.
_NUMBERISH = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:e[+-]?\d+)?$")
_YEAR_RANGE = re.compile(r"^(\d{2,4})(?:-|–|\.\.)(\d{2,4})$")
# Flags of which at most one may be given; anything else contradicts itself.
EXCLUSIVE_FLAGS = (frozenset({"light", "dark"}),)


class UsageError(Exception):
    """Bad input. The message is shown to the user as-is."""

    def __init__(
        self, message: str, *, usage: str | None = None, suggestions: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage
        # Venue names close to a word the parser did not know: the input was meant as this
        # command with a typo (the @mention reader keeps such an error rather than guessing).
        self.suggestions = suggestions


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
                _set_option(options, name, value)
            else:
                flags.add(name)
        elif kv and kv.group(1) in VALUE_OPTIONS | {"venue", "year"}:
            key, value = kv.group(1), kv.group(2)
            if key in VALUE_OPTIONS:
                _set_option(options, key, value)
            else:
                positional.append(value)
        else:
            positional.append(tok)
        i += 1
    tokens: list[str] = []
    for chunk in positional:
        for part in _SPLIT.split(chunk):
            tokens += _words(part)
    if len(tokens) > MAX_TOKENS:
        raise UsageError(f"That is {len(tokens)} words; a question needs only a few.")
    return tokens, options, flags


def _set_option(options: dict[str, str], name: str, value: str) -> None:
    old = options.get(name)
    if old is not None and old != value:
        raise contradiction(f"--{name} {old}", f"--{name} {value}")
    options[name] = value


def is_option(word: str) -> bool:
    """`--light`, `-x`, `—dark` (a phone's dash), `--since=2020`: typed as an option, so an
    unknown one is called an unknown option, not an unknown framework or venue."""
    return bool(_OPTION.match(word.lower()))


def unknown_option(
    word: str, accepted: tuple[str, ...] = (), *, usage: str | None = None, command: str = ""
) -> UsageError:
    """The error for an option a command does not take, naming the ones it does (``command``,
    e.g. `!industry`, is named when it takes none)."""
    shown = echo(word.split("=", 1)[0])
    if accepted:
        return UsageError(
            f"I don't know the option {shown}. Options here: "
            + ", ".join(f"`{a}`" for a in accepted)
            + ".",
            usage=usage,
        )
    who = f"`{command}`" if command else "this command"
    return UsageError(f"I don't know the option {shown}; {who} takes no options.", usage=usage)


def contradiction(first: str, second: str, *, usage: str | None = None) -> UsageError:
    """Two values given for one thing (`since 2020 since 2021`): refused, naming both, rather
    than one of them winning silently."""
    return UsageError(
        f"{echo(first)} and {echo(second)} contradict each other; give one of them.", usage=usage
    )


def _words(part: str) -> list[str]:
    """One split piece → tokens: `neurips2019` → neurips, 2019; `2018-2020` → 2018, 2020.
    A number that is not a year stays whole so the error can echo what was typed."""
    if not part:
        return []
    years = _YEAR_RANGE.match(part)
    if years:
        return [years.group(1), years.group(2)]
    if _NUMBERISH.match(part) and not part.isdigit():
        return [part]
    return [t for t in _LETTER_DIGIT.sub(" ", part).split() if t and t not in STOPWORDS]


def resolve_method(store: Store, name: str | None) -> Method:
    if not name:
        return store.default_method()
    wanted = name.strip().lower()
    for m in store.methods().values():
        if wanted in {m.id.lower(), m.name.lower(), *(a.lower() for a in m.aliases)}:
            return m
    known = ", ".join(f"`{m.name}`" for m in store.methods().values())
    raise UsageError(f"I don't know the counting method {echo(name)}. Methods: {known}.")


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
    every = ", ".join(v.name for v in store.venues().values())
    framework = load_frameworks().get(word)
    if framework is not None:
        return (
            f"{echo(word)} is a framework, not a venue: each answer shows every framework its "
            f"counting method counts. Venues I cover: {every}."
        )
    names = suggest_venues(store, word)
    if names:
        options = " or ".join(f"**{n}**" for n in names)
        return f"I don't know the venue {echo(word)}. Did you mean {options}?"
    return f"I don't know the venue {echo(word)}. Venues I cover: {every}."


def unknown_word_message(
    store: Store, word: str, words: frozenset[str] | set[str], words_hint: str
) -> str:
    """A word that is neither a venue, nor a year, nor one of the command's ``words``: the
    closest of those words or venues, or what the command takes."""
    if not words_hint or load_frameworks().get(word) is not None:
        return unknown_venue_message(store, word)
    close = difflib.get_close_matches(word, sorted(words), n=1, cutoff=0.75)
    if close:
        return f"I don't know {echo(word)}. Did you mean `{close[0]}`?"
    if suggest_venues(store, word):
        return unknown_venue_message(store, word)
    every = ", ".join(v.name for v in store.venues().values())
    return f"I don't know {echo(word)} as a venue or as {words_hint}. Venues: {every}."


def parse_query(
    store: Store,
    argstr: str,
    *,
    words: frozenset[str] | set[str] = frozenset(),
    flags: frozenset[str] | set[str] = frozenset(),
    usage: str | None = None,
    words_hint: str = "",
) -> Query:
    """Resolve venues, years, method, and the command-specific ``words`` and ``flags``.

    ``words`` are bare keywords a command accepts (e.g. ``counts`` for charts); ``flags`` are
    ``--options`` it accepts. Anything else that is not a venue or a year is an error with a
    suggestion; ``words_hint`` names the words in it ("a framework (`pytorch`, `jax`…)"), so a
    word that is neither is not called an unknown venue only.
    """
    tokens, options, given_flags = tokenize(argstr)
    unknown_flags = given_flags - set(flags)
    asked: list[tuple[str, Method]] = []  # (as typed, method) for every way a method was named
    if "method" in options:
        asked.append((f"--method {options['method']}", resolve_method(store, options["method"])))
    # `--article` / `--final` are shorthands for `--method article`.
    for f in sorted(unknown_flags):
        try:
            m = resolve_method(store, f)
        except UsageError:
            continue
        asked.append((f"--{f}", m))
        unknown_flags.discard(f)
    if len({m.id for _, m in asked}) > 1:
        (a, _), (b, _) = asked[0], next(x for x in asked if x[1].id != asked[0][1].id)
        raise UsageError(
            f"{echo(a)} and {echo(b)} ask for two counting methods; give one of them.", usage=usage
        )
    for group in EXCLUSIVE_FLAGS:
        both = sorted(group & given_flags)
        if len(both) > 1:
            raise contradiction(f"--{both[0]}", f"--{both[1]}", usage=usage)
    if unknown_flags:
        bad = sorted(unknown_flags)[0]
        accepted = (*(f"--{f}" for f in sorted(flags)), "--method")
        raise unknown_option(f"--{bad}", accepted, usage=usage)
    method = asked[0][1] if asked else store.default_method()

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
            if tok.isdigit() or _NUMBERISH.match(tok):
                year = normalise_year(tok)
                if year is None:
                    raise UsageError(
                        f"{echo(tok)} isn't a year I understand; write it as `2019` or `19`.",
                        usage=usage,
                    )
                if year not in years:
                    years.append(year)
            elif tok in words:
                found_words.append(tok)
            else:
                raise UsageError(
                    unknown_word_message(store, tok, words, words_hint),
                    usage=usage,
                    suggestions=tuple(suggest_venues(store, tok)),
                )
    return Query(
        venues=tuple(venues),
        years=tuple(years),
        method=method,
        method_explicit=bool(asked),
        flags=frozenset(given_flags & set(flags)),
        words=tuple(found_words),
        options=options,
    )
