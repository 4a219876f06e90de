"""Plain questions → command lines: "what's PyTorch's share at ICML 2019?" → ``ratio ICML 2019``.

People who @mention the bot write sentences, not commands. A small rule-based mapper is enough:
it recognises venues (through the store's aliases, so a new venue needs no code), years,
framework names, counting methods and a few intent words, and picks the command that answers.
It never guesses wildly: a question with nothing recognisable maps to ``None`` and the caller
shows the help line. The answer always says which command ran, so people learn the short form.

No Discord here: the bot, the console and the tests call the same function.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from trendbot.commands.normalise import normalise
from trendbot.commands.parsing import UsageError
from trendbot.commands.registry import (
    REGISTRY,
    CommandSpec,
    Context,
    invoke,
    lookup,
    parses,
    split_line,
)
from trendbot.commands.reply import Reply
from trendbot.storage import Method, Store

_APOSTROPHE_S = re.compile(r"['’]s\b")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
MAX_QUESTION_CHARS = 500

FRAMEWORKS = {
    "pytorch": "PyTorch",
    "torch": "PyTorch",
    "tensorflow": "TensorFlow",
    "tf": "TensorFlow",
    "keras": "Keras",
    "jax": "JAX",
    "flax": "JAX",
    "mxnet": "MXNet",
    "paddle": "PaddlePaddle",
    "paddlepaddle": "PaddlePaddle",
    "mindspore": "MindSpore",
}
COUNTED_BY_RATIO = {"PyTorch", "TensorFlow"}

CHART_WORDS = frozenset({"chart", "plot", "graph", "draw", "visualise", "visualize", "picture"})
TREND_WORDS = frozenset(
    {"growing", "grow", "grew", "trend", "trends", "trending", "rising", "rise", "rose",
     "falling", "fall", "fell", "declining", "decline", "history", "over", "time", "change",
     "changed", "changing", "shift", "increasing", "decreasing", "evolution", "evolve", "since"}
)  # fmt: skip
SOURCE_WORDS = frozenset({"source", "sources", "cite", "citation", "provenance", "from"})
METHOD_WORDS = frozenset({"method", "methods", "methodology", "counted", "count", "counting"})
COVERAGE_WORDS = frozenset({"venues", "conferences", "cover", "covered", "coverage"})
TABLE_WORDS = frozenset({"table", "csv", "dump", "raw", "everything"})
HELP_WORDS = frozenset({"help", "commands", "usage"})
ABOUT_WORDS = frozenset({"about", "who", "trendbot", "numbers", "data"})
# "which papers at NeurIPS 2024 use JAX?" lists papers; "how many papers …" stays a count.
PAPER_WORDS = frozenset({"papers", "paper"})
LIST_WORDS = frozenset({"which", "list", "show", "what", "titles", "see", "name", "names"})
STATE_WORDS = {"failed": "failed", "unreadable": "failed", "scans": "no-text", "scan": "no-text"}
# A paper's title after the word "paper", up to the verb of the question ("… mention?").
_TITLE_AFTER_PAPER = re.compile(
    r"\bpaper\b(?:\s+(?:called|titled|entitled|named))?[\s:,]*(.+)", re.IGNORECASE
)
_QUOTED = re.compile(r"[\"“”«»](.+?)[\"“”«»]")
# Greedy: the last verb ends the title ("… the paper how to use transformers mention?").
_QUESTION_VERB = re.compile(
    r"^(.*)\s+(?:mentions?|uses?|says?|names?|counts?|cites?|talks?|is about)\b.*$",
    re.IGNORECASE | re.DOTALL,
)
_QUESTION_START = re.compile(r"^\W*(?:what|which|does|did|do|how|is|tell|show)\b", re.IGNORECASE)
_TITLE_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


# Industry questions ("is jax growing on pypi?", "how many stars does pytorch have"): words that
# name a metric, and words that ask for research beside industry.
METRIC_WORDS = {
    "pypi": "pypi-downloads",
    "pip": "pypi-downloads",
    "downloads": "pypi-downloads",
    "downloaded": "pypi-downloads",
    "installs": "pypi-downloads",
    "stars": "github-stars",
    "star": "github-stars",
    "starred": "github-stars",
    "github": "github-stars",
    "forks": "github-forks",
    "contributors": "github-contributors",
    "dependents": "dependents",
    "conda": "conda-downloads-total",
    "jobs": "hn-hiring",
    "job": "hn-hiring",
    "hiring": "hn-hiring",
    "hn": "hn-hiring",
    "stackoverflow": "stackoverflow-questions",
    "huggingface": "hf-models",
}
INDUSTRY_WORDS = frozenset({"industry", "industrial", "companies", "production", "adoption"})
SPLIT_WORDS = frozenset({"research", "academia", "academic", "split", "dominate", "dominates"})
METRIC_INFO_WORDS = frozenset({"metrics", "metric", "signals", "mean", "means", "read", "counted"})


@dataclass(frozen=True)
class Mapped:
    """A question's command line (without prefix) and what to tell the person about it."""

    line: str
    notes: tuple[str, ...] = ()

    @property
    def command(self) -> str:
        return self.line.split(" ", 1)[0]

    @property
    def args(self) -> str:
        return self.line.partition(" ")[2]

    def preamble(self, prefix: str = "!") -> str:
        """The line shown above the answer: what ran, and any caveat."""
        text = f"I read that as `{prefix}{self.line}`."
        return " ".join((text, *self.notes))


def help_line(prefix: str = "!") -> str:
    return (
        "I couldn't turn that into a question I can answer. Ask about a venue and a year, e.g. "
        f"`{prefix}ratio NeurIPS 2019`, a trend with `{prefix}ratio CVPR`, or see `{prefix}help`."
    )


def words(question: str) -> list[str]:
    """Lower-case word tokens; 'NeurIPS2019' → ['neurips', '2019'], "PyTorch's" → ['pytorch']."""
    text = _APOSTROPHE_S.sub("", question.lower()[:MAX_QUESTION_CHARS])
    text = _NON_WORD.sub(" ", text)
    return _LETTER_DIGIT.sub(" ", text).split()


@dataclass
class _Found:
    venues: list[str]
    years: list[int]
    frameworks: list[str]
    method: str | None
    rest: set[str]


def venue_phrases(store: Store) -> dict[str, str]:
    """Every way a question may name a venue: its aliases, and its full name with and without
    the leading "Conference on" / "Annual Meeting of the" ("empirical methods in natural …")."""
    phrases = dict(store.aliases())
    for v in store.venues().values():
        full = words(v.full_name)
        phrases.setdefault(" ".join(full), v.id)
        for joiner in ("on", "the"):
            if joiner in full[:-1]:
                tail = full[full.index(joiner) + 1 :]
                if len(tail) >= 3:  # not "computer vision" or "machine learning"
                    phrases.setdefault(" ".join(tail), v.id)
    return phrases


def _scan(store: Store, tokens: list[str]) -> _Found:
    aliases = venue_phrases(store)
    default = store.default_method()
    other_methods = {
        name.lower(): m.name
        for m in store.methods().values()
        if m.id != default.id
        for name in (m.name, *m.aliases)
    }
    found = _Found([], [], [], None, set())
    i = 0
    while i < len(tokens):
        for span in range(min(9, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i : i + span])
            if phrase in aliases:
                if aliases[phrase] not in found.venues:
                    found.venues.append(aliases[phrase])
                i += span
                # A two-digit year right after a venue: "nips 19", "NeurIPS'19".
                if i < len(tokens) and re.fullmatch(r"\d\d", tokens[i]):
                    found.years.append(2000 + int(tokens[i]))
                    i += 1
                break
        else:
            tok = tokens[i]
            i += 1
            if re.fullmatch(r"(19|20)\d\d", tok):
                if int(tok) not in found.years:
                    found.years.append(int(tok))
            elif tok in FRAMEWORKS:
                if FRAMEWORKS[tok] not in found.frameworks:
                    found.frameworks.append(FRAMEWORKS[tok])
            elif tok in other_methods:
                found.method = other_methods[tok]
            else:
                found.rest.add(tok)
    return found


def _framework_notes(
    store: Store, frameworks: list[str], counting: Method | None = None
) -> tuple[str, ...]:
    """What the answer says about frameworks the study's rule does not count on their own.
    With ``counting`` (a method that counts them, chosen for the answer) it says so instead."""
    if counting is not None:
        named = [fw for fw in frameworks if fw not in COUNTED_BY_RATIO]
        return (
            f"{' and '.join(named)} {'is' if len(named) == 1 else 'are'} counted by the "
            f"`{counting.name}` rule, so this shows every framework.",
        )
    method = store.default_method()
    modern = _counting_method(store, frameworks)
    notes = []
    for fw in frameworks:
        if fw in COUNTED_BY_RATIO:
            continue
        key = fw.lower()
        if key in (t.lower() for t in method.tensorflow_terms):
            notes.append(f"{fw} mentions count as TensorFlow here.")
        elif key in (t.lower() for t in method.pytorch_terms):
            notes.append(f"{fw} mentions count as PyTorch here.")
        elif modern is not None:
            notes.append(
                f"{fw} is counted only by the `{modern.name}` rule, which has no counts for this "
                "yet, so this compares PyTorch with TensorFlow."
            )
        else:
            notes.append(f"I don't count {fw} yet, so this compares PyTorch with TensorFlow.")
    return tuple(notes)


def _counting_method(store: Store, frameworks: list[str]) -> Method | None:
    """A method that counts every named framework on its own (``modern`` for JAX), if any."""
    keys = {fw.lower() for fw in frameworks if fw not in COUNTED_BY_RATIO}
    if not keys:
        return None
    for m in store.methods().values():
        if not m.two_way and keys <= set(m.frameworks):
            return m
    return None


def _covers(store: Store, method: Method, venue_ids: list[str], years: list[int]) -> bool:
    if venue_ids:
        return any(
            (store.venue_year(v, years[0], method.id) if years else store.years(method.id, v))
            for v in venue_ids
        )
    return (years[0] in store.years(method.id)) if years else bool(store.years(method.id))


def map_question(store: Store, question: str, *, commands: Collection[str] = ()) -> Mapped | None:
    """The command line that answers ``question``, or ``None`` when nothing in it is usable.

    ``commands`` are the registered command names; intents whose command is missing (e.g. a
    chart before the chart command exists) fall back to the text answer.
    """
    tokens = words(question)
    if not tokens:
        return None
    f = _scan(store, tokens)
    venues = store.venues()
    names = [venues[v].name for v in f.venues]
    counting = None
    if f.method is None and (modern := _counting_method(store, f.frameworks)) is not None:
        counting = modern if _covers(store, modern, f.venues, f.years) else None
    chosen = f.method or (counting.name if counting else None)
    method = f" --method {chosen}" if chosen else ""
    notes = _framework_notes(store, f.frameworks, counting)
    rest = f.rest
    available = set(commands) or {"ratio", "venues", "table", "source", "about", "method", "help"}

    def make(line: str, *extra: str) -> Mapped:
        return Mapped(" ".join(line.split()) + method, (*notes, *extra))

    if "paper" in available and not (names and f.years):
        title = paper_title(question)
        if title:
            return Mapped(f"paper {title}")
    if "papers" in available and names and f.years and _lists_papers(rest):
        what = _papers_word(f.frameworks, rest)
        # `!papers` picks the rule that counts the framework itself; only an asked-for one goes in.
        asked = f" --method {f.method}" if f.method else ""
        line = " ".join(["papers", names[0], str(f.years[0]), what]) + asked
        return Mapped(" ".join(line.split()))

    if not names:
        industry = _industry_question(f, rest, available)
        if industry is not None:  # the research notes ("I don't count JAX yet") do not apply
            return Mapped(industry)
    if "chart" in available and rest & CHART_WORDS and (names or f.years):
        return make("chart " + " ".join([*names, *map(str, f.years[:1])]))
    if rest & TABLE_WORDS and "table" in available:
        return make(" ".join(["table", *names[:1], *map(str, f.years[:1])]))
    if (
        rest & SOURCE_WORDS
        and names
        and f.years
        and ("where" in rest or rest & (SOURCE_WORDS - {"from"}))
    ):
        return make(f"source {names[0]} {f.years[0]}")
    if names and f.years:
        if len(names) > 1:
            return make(f"ratio {f.years[0]}", "That shows every venue that year.")
        if len(f.years) > 1:
            return make(f"ratio {names[0]}", "That shows every year.")
        return make(f"ratio {names[0]} {f.years[0]}")
    if names:
        extra = () if len(names) == 1 else (f"One venue at a time; here is {names[0]}.",)
        return make(f"ratio {names[0]}", *extra)
    if f.years:
        return make(f"ratio {f.years[0]}")
    if rest & COVERAGE_WORDS:
        return make("venues")
    if rest & METHOD_WORDS or (method and not rest - {"what", "is", "the", "method"}):
        return make(f"method {f.method}" if f.method else "method")
    if rest & HELP_WORDS:
        return make("help")
    if f.frameworks:
        years = store.years(store.default_method().id)
        if years:
            return make(f"ratio {years[-1]}", f"That is the latest year I have ({years[-1]}).")
    if rest & ABOUT_WORDS and ({"about", "who"} & rest or {"where", "numbers"} <= rest):
        return make("about")
    return None


def _lists_papers(rest: set[str]) -> bool:
    return (
        bool(rest & PAPER_WORDS)
        and bool(rest & (LIST_WORDS | set(STATE_WORDS)))
        and ("many" not in rest)
    )


def _papers_word(frameworks: list[str], rest: set[str]) -> str:
    """The framework (or state) word of a `papers` line: `jax`, `both`, `failed`, or none."""
    if {"PyTorch", "TensorFlow"} <= set(frameworks):
        return "both"
    if frameworks:
        return frameworks[0].lower()
    return next((STATE_WORDS[w] for w in sorted(rest) if w in STATE_WORDS), "")


def paper_title(question: str) -> str | None:
    """The title words a question asks about: "what does the paper attention is all you need
    mention" → "attention is all you need"; `what does "Deep Residual Learning" use` → the
    quoted words. Only words survive (no mention or markup can reach the command line)."""
    text = question[:MAX_QUESTION_CHARS]
    quoted = _QUOTED.search(text)
    match = _TITLE_AFTER_PAPER.search(text)
    if match is not None:
        title = match.group(1)
        inner = _QUOTED.search(title)
        if inner is not None:
            title = inner.group(1)
        elif _QUESTION_START.search(text) and (verb := _QUESTION_VERB.match(title)):
            title = verb.group(1)
    elif quoted is not None and _QUESTION_VERB.search(text[quoted.end() :]):
        title = quoted.group(1)
    else:
        return None
    found = _TITLE_WORD.findall(title)
    return " ".join(found) if found else None


def _industry_question(f: _Found, rest: set[str], available: set[str]) -> str | None:
    """A question about industry figures → `compare`, `metrics`, `trend` or `industry`; None
    when it names no industry metric and asks nothing about industry."""
    from trendbot.storage.frameworks import load_frameworks

    metrics = list(dict.fromkeys(METRIC_WORDS[w] for w in sorted(rest) if w in METRIC_WORDS))
    fws = [fw.id for name in f.frameworks if (fw := load_frameworks().get(name))]
    year = [str(y) for y in f.years[:1]]
    if rest & SPLIT_WORDS and (rest & INDUSTRY_WORDS or metrics) and "compare" in available:
        return " ".join(["compare", *year])
    if not (metrics or rest & INDUSTRY_WORDS or rest & {"metrics", "signals"}):
        return None
    if rest & METRIC_INFO_WORDS and "metrics" in available and not fws:
        return " ".join(["metrics", *metrics[:1]])
    if metrics and (rest & (TREND_WORDS | CHART_WORDS)) and "trend" in available:
        since = [f"since {year[0]}"] if year else []
        return " ".join(["trend", metrics[0], *fws, *since])
    if "industry" in available:
        return " ".join(["industry", *fws])
    return None


# -- @mentions: a command, or a question? ---------------------------------------------------------
@dataclass(frozen=True)
class Reading:
    """One way to answer an @mention: a command and its arguments, and, when the words were
    read as a question, the mapping (its preamble tells the person what ran)."""

    spec: CommandSpec
    args: str
    mapped: Mapped | None = None

    @property
    def line(self) -> str:
        return f"{self.spec.name} {self.args}".strip()


@dataclass(frozen=True)
class MentionAnswer:
    reply: Reply
    reading: Reading | None  # None: nothing in the message was usable (the help line)
    note: str | None  # the preamble to show above the reply


def is_word_alias(name: str, spec: CommandSpec) -> bool:
    """Aliases that are everyday words (`share`, `pytorch`, `how`, `info`) start sentences as
    often as commands: in an @mention they never capture the sentence. Short forms (`r`, `h`)
    and the command's own name do, when the words after them are its arguments."""
    return name != spec.name and len(name) > 2


def read_mention(ctx: Context, text: str) -> list[Reading]:
    """The readings of an @mention (the text after the mention) to try, best first.

    The words as typed are a command when they start with a command's name and the rest parses
    as its arguments (`ratio NeurIPS 2019`). Otherwise the message is a question for
    ``map_question`` (`how many papers used pytorch at iclr 2020?`), with the typed reading kept
    as a fallback. One exception keeps a typed command first although it does not parse: a
    misspelt venue the parser can suggest a fix for (`ratio nipz 2019` → "Did you mean
    NeurIPS?"), where a question reading would silently drop the word.
    """
    text = normalise(text)
    name, args = split_line(text, ctx.prefix)
    name = name.rstrip("?!.,:;")  # "@trendbot help?"
    spec = lookup(name) if name else None
    typed = Reading(spec, args) if spec else None
    mapped = map_question(ctx.store, text, commands=REGISTRY)
    mapped_spec = lookup(mapped.command) if mapped else None
    question = Reading(mapped_spec, mapped.args, mapped) if mapped and mapped_spec else None
    order: list[Reading | None]
    if typed is None:
        order = [question]
    elif parses(ctx, typed.spec, args):
        order = [question, typed] if is_word_alias(name, typed.spec) else [typed, question]
    elif is_word_alias(name, typed.spec):
        order = [question]  # `how are you`: a sentence, whatever `how` means as a command
    elif _misspelt_venue(ctx, typed.spec, args):
        order = [typed]  # `ratio nipz 2019`: "Did you mean NeurIPS?", not a guess without it
    else:
        order = [question, typed]
    readings: list[Reading] = []
    for r in order:
        if r is not None and r.line not in {x.line for x in readings}:
            readings.append(r)
    return readings


def _misspelt_venue(ctx: Context, spec: CommandSpec, args: str) -> bool:
    if spec.parse is None:
        return False
    try:
        spec.parse(ctx, args)
    except UsageError as err:
        return bool(err.suggestions)
    except Exception:
        return False
    return False


def answer_mention(ctx: Context, readings: list[Reading]) -> MentionAnswer:
    """Answer with the first reading that is understood; if none is, with the first one's
    error (a failure other than a usage error is final: it is not retried as a question)."""
    if not readings:
        return MentionAnswer(Reply(help_line(ctx.prefix), command="help"), None, None)
    first: MentionAnswer | None = None
    for reading in readings:
        reply = invoke(ctx, reading.spec, reading.args)
        note = reading.mapped.preamble(ctx.prefix) if reading.mapped else None
        result = MentionAnswer(reply, reading, note)
        if not reply.usage_error:
            return result
        first = first or result
    assert first is not None
    return first
