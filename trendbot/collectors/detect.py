"""Which ML frameworks a paper's text names, under a named and versioned rule set.

Pure functions and plain data, no I/O: the PDF side (``pdftext``) hands in text, the collectors
store what comes out. The rule is Horace He's (see the README's "The data and where it comes
from"): lower-case the paper's full text and look for plain substrings, ``\\b``-bounded regexes
only where a term is also a common word. A rule set is plain data (names, strings, tuples) so it
can be stored as JSON in the store's ``methods`` table and rebuilt with ``RuleSet.from_record``.

Normalising first matters because PDF text is not what the author typed:

- ligatures: TeX fonts set "fl" as one glyph, so the text says ``tensorﬂow`` (U+FB02); NFKC
  turns it back into "fl" (and full-width letters into ASCII);
- hyphenation: a word broken at a line end comes out as ``Py-\\nTorch`` (pdftotext) or
  ``Py\\ufffeTorch`` (pdfium's marker for a line-end hyphen). Joining gives "pytorch", but a
  term that has a hyphen of its own (``opennmt-\\npy``) must keep it, and the text cannot say
  which reading is right, so both readings are kept (see ``normalise``);
- soft hyphens (U+00AD) are invisible break hints, never part of a word: they are dropped;
- whitespace: any run (line breaks included) becomes one space, so a multi-word term such as
  "google brain" matches across a line break.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

REGEX_PREFIX = "re:"
# A hyphen at a line end, as pdftotext and most tools write it (U+2010 and U+2011 are made ASCII
# first). pdfium writes U+FFFE instead (get_text_range; U+0002 from get_text_bounded), standing
# for the hyphen and the line break both. Every form becomes U+FFFE, then the text is split
# there. (A pattern that starts with a literal "-" is scanned at memchr speed; one that starts
# with a character class is ten times slower.)
_MARK = "\ufffe"
_HYPHEN_BREAK = re.compile(r"-[ \t]*\r?\n")
_SOFT_HYPHEN_BREAK = re.compile(r"\xad[ \t]*\r?\n")
_LEADING_WORD = re.compile(r"^\w+")
_TRAILING_WORD = re.compile(r"\w+$")
# What str.split() counts as whitespace and NFKC leaves alone; NFKC already made U+00A0,
# U+2000–U+200A, U+202F, U+205F and U+3000 plain spaces.
_OTHER_SPACES = "\n\r\t\f\v\x1c\x1d\x1e\x1f\x85\u1680\u2028\u2029"
_SEPARATOR = " \x00 "  # between the text and the hyphen-kept words: no term can span it
_SNIPPET = 60  # longest word kept either side of a line-end hyphen (longer than any term)


def normalise(text: str) -> str:
    """The text a rule set searches: NFKC, de-hyphenated (both readings), lower case, one space.

    For each line-end hyphen the main text gets the joined reading (``Py-\\nTorch`` →
    ``pytorch``), and the hyphenated word with its hyphen kept (``opennmt-py``, ``jax-based``)
    is appended after a separator that no term can match across. That costs a few hundred bytes
    per paper, where searching a second full copy of the text would double the work. The price
    of keeping both readings: a word that is split right before a ``\\b``-bounded term ("A-" +
    "jax" for "Ajax") also reads as the term; a real paper almost never does that.

    About 0.5 ms for a 32 kB paper with 250 line-end hyphens; every step is a C-speed string
    operation or a regex with a literal first character, none a Python loop over characters.
    """
    if not text:
        return ""
    text = nfkc(text)
    if "\u2010" in text:  # NFKC maps the non-breaking hyphen to U+2010, and U+2010 is a hyphen
        text = text.replace("\u2010", "-")
    if "\xad" in text:
        text = _SOFT_HYPHEN_BREAK.sub("", text).replace("\xad", "")
    if "\x02" in text:
        text = text.replace("\x02", _MARK)
    if "-" in text:
        text = _HYPHEN_BREAK.sub(_MARK, text)
    if _MARK in text:
        text = _both_readings(text)
    text = text.lower().replace("\r\n", " ")
    for space in _OTHER_SPACES:
        if space in text:
            text = text.replace(space, " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return text.strip(" ")


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, normalising only the lines that need it.

    A paper's text is mostly ASCII, and the rest is mostly NFKC already: normalising all of it
    cost ~0.55 ms per 32 kB paper, checking it line by line ~0.15 ms. Lines are independent
    because a line feed is a normalization boundary: it is unchanged by NFKC, has combining
    class 0 and composes with nothing on either side, so NFKC(a + "\\n" + b) is
    NFKC(a) + "\\n" + NFKC(b) (``tests/test_detect.py`` checks this against every code point).
    ``unicodedata.is_normalized`` is C: a quick check that rarely needs the full comparison.
    """
    if text.isascii():
        return text
    lines = text.split("\n")
    return "\n".join(
        [
            line
            if line.isascii() or unicodedata.is_normalized("NFKC", line)
            else unicodedata.normalize("NFKC", line)
            for line in lines
        ]
    )


# Around each line-end hyphen mark: the word the next line starts with (after line-break
# whitespace), and, in the reversed text, the word the line ends with; up to ``_SNIPPET``
# characters, and one more that says the word goes on past them. ``\s`` is str.isspace(),
# what str.split() splits at. A literal first character: the regex engine jumps from mark to
# mark at C speed.
_WORD = f"([^\\s{_MARK}]{{0,{_SNIPPET}}})([^\\s{_MARK}]?)"
_NEXT_WORD = re.compile(f"{_MARK}[ \\t\\r\\n]*{_WORD}")
_PREVIOUS_WORD_REVERSED = re.compile(f"{_MARK}{_WORD}")
_MARK_AND_BREAK = re.compile(f"{_MARK}[ \\t\\r\\n]*")


def _both_readings(text: str) -> str:
    """Each mark joined away (and the line break after it), then, after ``_SEPARATOR``, each
    hyphenated word with its hyphen: ``"Py\\ufffe\\r\\nTorch"`` → ``"PyTorch \\x00 Py-Torch"``.

    A word cut by the ``_SNIPPET`` window loses its cut part (``_LEADING_WORD`` /
    ``_TRAILING_WORD``): a 61-letter word ending in "ajax" must not read as "jax".
    """
    after = _NEXT_WORD.findall(text)
    before = _PREVIOUS_WORD_REVERSED.findall(text[::-1])
    before.reverse()
    kept = []
    for (b, b_more), (a, a_more) in zip(before, after, strict=True):
        b = b[::-1]
        if b_more:
            b = _LEADING_WORD.sub("", b)
        if a_more:
            a = _TRAILING_WORD.sub("", a)
        kept.append(f"{b}-{a}")
    return _MARK_AND_BREAK.sub("", text) + _SEPARATOR + _SEPARATOR.join(kept)


# -- rule sets -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleSet:
    """A named, versioned way of counting papers, as plain data.

    - ``terms``: framework id → terms. A plain term is a lower-case substring; a term written
      ``re:<pattern>`` is a regular expression searched in the normalised text;
    - ``exclusive``: the study's rule: a paper naming both frameworks of the pair counts for
      neither of them (it still counts for any other framework it names);
    - ``exclude_if``: the 2019 article's affiliation filter: a paper whose text contains any of
      these substrings is dropped from every figure;
    - ``both``: also count a ``"a+b"`` figure for papers naming both frameworks of the pair
      (``modern`` reports PyTorch and TensorFlow together this way instead of dropping them).
    """

    name: str
    version: str
    terms: Mapping[str, tuple[str, ...]]
    exclusive: tuple[str, str] | None = None
    exclude_if: tuple[str, ...] = ()
    both: tuple[str, str] | None = None
    title: str = field(default="", compare=False)  # a label, not part of what the rule is
    _compiled: tuple = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        terms = {str(fw): tuple(str(t) for t in ts) for fw, ts in dict(self.terms).items()}
        for fw, ts in terms.items():
            if not ts:
                raise ValueError(f"rule set {self.name}: framework {fw!r} has no terms")
            for t in ts:
                if not t.startswith(REGEX_PREFIX) and t != t.lower():
                    raise ValueError(f"rule set {self.name}: term {t!r} must be lower case")
        for pair in (self.exclusive, self.both):
            if pair is not None and (len(pair) != 2 or not set(pair) <= terms.keys()):
                raise ValueError(f"rule set {self.name}: {pair!r} must name two of its frameworks")
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "exclusive", tuple(self.exclusive) if self.exclusive else None)
        object.__setattr__(self, "both", tuple(self.both) if self.both else None)
        object.__setattr__(self, "exclude_if", tuple(t.lower() for t in self.exclude_if))
        compiled = tuple((fw, tuple((t, _matcher(t)) for t in ts)) for fw, ts in terms.items())
        object.__setattr__(self, "_compiled", compiled)

    def __reduce__(self) -> tuple:
        # Compiled matchers are closures: send the plain data and rebuild them on arrival.
        return (RuleSet.from_record, (self.to_record(),))

    @property
    def frameworks(self) -> tuple[str, ...]:
        return tuple(self.terms)

    @property
    def figures(self) -> tuple[str, ...]:
        """Every figure a paper can count for under this rule set, in display order."""
        extra = (f"{self.both[0]}+{self.both[1]}",) if self.both else ()
        return (*self.terms, *extra)

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict (what a ``methods`` row would hold), the inverse of ``from_record``."""
        return {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "terms": {fw: list(ts) for fw, ts in self.terms.items()},
            "exclusive": list(self.exclusive) if self.exclusive else None,
            "exclude_if": list(self.exclude_if),
            "both": list(self.both) if self.both else None,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any] | Any) -> RuleSet:
        """Build a rule set from a stored method: a dict, a ``methods`` row or a ``Method``.

        Understands both the current ``methods`` columns (``pytorch_terms`` and
        ``tensorflow_terms`` as JSON lists, ``exclusive`` as 0/1, ``affiliation_filter`` as a
        comma-separated string) and the general form (``terms``: one JSON object of terms per
        framework, ``exclusive``/``both`` as a pair, ``exclude_if`` as a list).
        """
        get = (
            record.get if isinstance(record, Mapping) else (lambda k, d=None: getattr(record, k, d))
        )
        terms = _json(get("terms"))
        if not terms:
            terms = {
                "pytorch": _json(get("pytorch_terms")) or (),
                "tensorflow": _json(get("tensorflow_terms")) or (),
            }
        exclusive = _json(get("exclusive"))
        if isinstance(exclusive, bool | int):
            exclusive = ("pytorch", "tensorflow") if exclusive else None
        exclude_if = _json(get("exclude_if"))
        if exclude_if is None:
            flt = get("affiliation_filter") or ""
            exclude_if = [t.strip() for t in str(flt).split(",") if t.strip()]
        return cls(
            name=str(get("name")),
            version=str(get("version")),
            title=str(get("title") or ""),
            terms=terms,
            exclusive=tuple(exclusive) if exclusive else None,
            exclude_if=tuple(exclude_if),
            both=_pair(get("both"), get("both_pair")),
        )


def _pair(both: Any, both_pair: Any) -> tuple[str, str] | None:
    """The ``both`` pair from a list, a JSON list, or the store's ``both_pair`` column."""
    value = _json(both)
    if not value and isinstance(both_pair, str) and "+" in both_pair:
        value = both_pair.split("+")
    return tuple(value) if value else None


def _json(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(("[", "{")):
        return json.loads(value)
    return value


def _matcher(term: str):
    """A function text → bool for one term.

    Plain terms use ``in`` (about 20 µs over 50 kB). A regex that starts with ``\\b`` gets no
    help from the regex engine's literal scan and walks every position (about 0.8 ms over 50 kB),
    so it first checks, with ``in``, a literal that every match must contain.
    """
    if not term.startswith(REGEX_PREFIX):
        return lambda text: term in text
    search = re.compile(term[len(REGEX_PREFIX) :]).search
    literal = required_literal(term[len(REGEX_PREFIX) :])
    if not literal:
        return search
    return lambda text: literal in text and search(text) is not None


_INLINE_FLAGS = re.compile(r"\(\?[aiLmsux]")


def required_literal(pattern: str) -> str:
    """The longest run of characters that every match of ``pattern`` contains ('' if unsure).

    A deliberately small reading of the syntax: literal characters outside groups and classes
    count; anything optional (``?``, ``*``, ``{``), any class, group, escape such as ``\\b`` or
    ``\\w``, and ``.`` end a run; a top-level ``|`` or an inline flag gives up.
    """
    if _INLINE_FLAGS.search(pattern):
        return ""
    best, run, depth, i, n = "", "", 0, 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1 : i + 2]
            if nxt and not nxt.isalnum() and depth == 0:
                run += nxt  # an escaped punctuation character is itself
            elif nxt:
                best, run = max(best, run, key=len), ""  # \b, \w, \d, \1 …
            i += 2
            continue
        if c == "[":  # skip the class: it matches one of several characters
            best, run = max(best, run, key=len), ""
            i += 1
            if pattern[i : i + 1] == "^":
                i += 1
            if pattern[i : i + 1] == "]":
                i += 1
            while i < n and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif c in "?*{":
            run = run[:-1]  # the character before is optional
            best, run = max(best, run, key=len), ""
            if c == "{":
                while i < n and pattern[i] != "}":
                    i += 1
        elif c in "()+.^$":
            best, run = max(best, run, key=len), ""
            depth += {"(": 1, ")": -1}.get(c, 0)
        elif c == "|":
            if depth == 0:
                return ""
        elif depth == 0:
            run += c
        i += 1
    return max(best, run, key=len)


@dataclass(frozen=True)
class Detection:
    """What one paper names under one rule set, and the figures it adds one to.

    ``terms`` lists every framework named with the terms that matched, *before* any exclusive
    counting: a paper naming PyTorch and TensorFlow shows both here and counts for neither
    under ``final``. An excluded paper (``exclude_if`` matched) still shows what it names.
    """

    rules: str
    version: str
    terms: Mapping[str, tuple[str, ...]]
    excluded_by: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()

    @property
    def named(self) -> tuple[str, ...]:
        return tuple(self.terms)

    @property
    def excluded(self) -> bool:
        return bool(self.excluded_by)


def detect(text: str, rules: RuleSet) -> Detection:
    """Apply ``rules`` to ``text`` (already ``normalise``d; searching raw text misses matches)."""
    return _detect(text, rules, {})


def detect_all(text: str, rulesets: Iterable[RuleSet]) -> dict[str, Detection]:
    """``detect`` under each rule set, keyed by rule-set name; a term shared by several rule
    sets is searched once."""
    seen: dict[str, bool] = {}
    return {r.name: _detect(text, r, seen) for r in rulesets}


def _detect(text: str, rules: RuleSet, seen: dict[str, bool]) -> Detection:
    found: dict[str, tuple[str, ...]] = {}
    for fw, matchers in rules._compiled:
        hits = []
        for term, match in matchers:
            hit = seen.get(term)
            if hit is None:
                hit = seen[term] = match(text)
            if hit:
                hits.append(term)
        if hits:
            found[fw] = tuple(hits)
    excluded_by = tuple(t for t in rules.exclude_if if t in text)
    counts: list[str] = []
    if not excluded_by:
        pair = rules.exclusive
        drop = set(pair) if pair and all(p in found for p in pair) else set()
        counts = [fw for fw in found if fw not in drop]
        if rules.both and all(b in found for b in rules.both):
            counts.append(f"{rules.both[0]}+{rules.both[1]}")
    return Detection(rules.name, rules.version, found, excluded_by, tuple(counts))


# -- the built-in rule sets ------------------------------------------------------------------------
# The rule sets are data in the bundled catalogue (``storage/seed/catalog.json``), the same rows
# the store's ``methods`` table is loaded from: the detector and the store cannot disagree on
# what a rule is. Notes on ``modern``'s terms: words that are also English (or physics) only
# count in forms that name the library: "flax" is a plant and "haiku" a poem, "gluon" a particle
# (quark/gluon jet tagging is a common ML benchmark). Flax and Haiku count as ``flax.linen``,
# ``github.com/google/flax``, ``dm-haiku`` (the package name) or an ``import`` line; their own
# titles ("Flax: … for JAX", "Haiku: Sonnet for JAX") name JAX anyway. Gluon counts only as
# GluonCV / GluonNLP (``mxnet.gluon`` is matched by "mxnet"); GluonTS is left out because it runs
# on PyTorch too.
def catalog_rulesets() -> dict[str, RuleSet]:
    """Every counting method of the bundled catalogue as a rule set, by name."""
    from importlib import resources

    # the file, not the package: importing trendbot.storage (SQLite, the store) costs every PDF
    # worker ~15 ms at start for nothing
    catalog = resources.files("trendbot").joinpath("storage", "seed", "catalog.json")
    text = catalog.read_text()
    methods = json.loads(text)["methods"]
    # the ``code`` method reads repositories, not text (collectors/code/)
    return {m["name"]: RuleSet.from_record(m) for m in methods if m.get("kind", "text") == "text"}


BUILTIN: dict[str, RuleSet] = catalog_rulesets()
FINAL, ARTICLE, MODERN = BUILTIN["final"], BUILTIN["article"], BUILTIN["modern"]
