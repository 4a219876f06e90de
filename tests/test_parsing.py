"""Parsing is forgiving and total: any string gives a reply, never an exception or a ping."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trendbot.commands import Context, UsageError, parse_query, run
from trendbot.commands.parsing import normalise_year, tokenize
from trendbot.commands.reply import MAX_CONTENT, MAX_EMBED_TOTAL, MAX_FIELD_VALUE, MAX_FIELDS
from trendbot.commands.text import LIVE_MENTION, echo, neutralise_mentions, year_ranges
from trendbot.storage import open_store


@pytest.mark.parametrize(
    "text",
    [
        "NeurIPS 2019",
        "neurips 2019",
        "NIPS 2019",
        "nips 19",
        "neurips'19",
        "NeurIPS2019",
        "NeurIPS-2019",
        "2019 NeurIPS",
        "neurips’19",
        "NIPS, 2019",
        "neurips in 2019",
        "venue:nips year:19",
        "Neural Information Processing Systems 2019",
    ],
)
def test_venue_year_spellings(store, text):
    q = parse_query(store, text)
    assert q.venues == ("neurips",) and q.years == (2019,)
    assert q.method.id == "he2019-final" and not q.method_explicit


@pytest.mark.parametrize(
    "text",
    [
        "cvpr 19 --method article",
        "cvpr 19 --method=article",
        "cvpr 19 method:article",
        "cvpr 19 --article",
        "--method 2019 cvpr 2019",
        "CVPR 2019 --METHOD Article",
    ],
)
def test_method_options(store, text):
    q = parse_query(store, text)
    assert q.method.id == "he2019-article" and q.method_explicit
    assert q.venues == ("cvpr",) and q.years == (2019,)


def test_naacl_hlt_multiword_alias(store):
    assert parse_query(store, "NAACL HLT 2019").venues == ("naacl",)
    assert parse_query(store, "naacl-hlt 19").venues == ("naacl",)


@pytest.mark.parametrize(
    ("token", "year"), [("2019", 2019), ("19", 2019), ("05", 2005), ("99", 1999), ("1999", 1999)]
)
def test_normalise_year(token, year):
    assert normalise_year(token) == year


@pytest.mark.parametrize("token", ["123", "3000", "20199", "7", "abc"])
def test_normalise_year_rejects(token):
    assert normalise_year(token) is None


def test_unknown_venue_gets_closest_matches(store):
    with pytest.raises(UsageError) as err:
        parse_query(store, "neurps 2019")
    assert "Did you mean **NeurIPS**" in err.value.message
    with pytest.raises(UsageError) as err:
        parse_query(store, "icm 2019")
    assert "ICML" in err.value.message
    with pytest.raises(UsageError) as err:
        parse_query(store, "zzzz")
    assert "Venues I cover" in err.value.message and "NeurIPS" in err.value.message


def test_unknown_method_and_option(store):
    with pytest.raises(UsageError, match="counting method `bogus`"):
        parse_query(store, "cvpr 2019 --method bogus")
    with pytest.raises(UsageError, match="option `--frobnicate`"):
        parse_query(store, "cvpr --frobnicate")
    with pytest.raises(UsageError, match="needs a value"):
        parse_query(store, "cvpr --method")


def test_bad_year_token(store):
    with pytest.raises(UsageError, match="isn't a year"):
        parse_query(store, "neurips 123")


def test_overlong_input_is_refused_cheaply(store):
    with pytest.raises(UsageError, match="only read up to"):
        tokenize("nips " * 1000)
    with pytest.raises(UsageError, match="words"):
        tokenize("nips " * 45)


def test_echo_neutralises_every_mention_kind():
    for raw in ["@everyone", "@here", "<@123>", "<@!123>", "<@&456>", "<#789>", "hi @everyone!"]:
        assert not LIVE_MENTION.search(neutralise_mentions(raw)), raw
        assert not LIVE_MENTION.search(echo(raw)), raw
    assert echo("x" * 100) == "`" + "x" * 39 + "…`"


@pytest.mark.parametrize(
    ("raw", "code_span", "markdown"),
    [
        ("foo_bar", "`foo_bar`", "foo\\_bar"),  # no backslash shows inside a code span
        ("<@&123>", "`<@&\u200b123>`", "<@&\u200b123\\>"),
        ("a`b", "`a\u02cbb`", "a\\`b"),  # a backtick cannot end the span early
        ("**x**", "`**x**`", "\\*\\*x\\*\\*"),
        # a terminal escape is shown, escaped, never raw
        ("\x1b[31mred\x07", "`\\x1b[31mred\\x07`", "\\\\x1b\\[31mred\\\\x07"),
        ("a\x00b\x85c\x9bd", "`a\\x00b\\x85c\\x9bd`", "a\\\\x00b\\\\x85c\\\\x9bd"),
        ("abc\u202edcba", "`abcdcba`", "abcdcba"),  # no bidi override
        ("Neur\u200bIPS\ufeff\u2066", "`NeurIPS`", "NeurIPS"),  # no format character
        ("x\udcffy", "`x\ufffdy`", "x\ufffdy"),  # undecodable bytes from argv
        ("", "` `", ""),
    ],
)
def test_echo_escapes_for_the_context_it_lands_in(raw, code_span, markdown):
    assert echo(raw) == code_span
    assert echo(raw, code=False) == markdown


def test_year_ranges():
    assert year_ranges([2015, 2016, 2017, 2019]) == "2015–2017, 2019"
    assert year_ranges([2018]) == "2018"
    assert year_ranges([]) == "none"


# -- properties over arbitrary input -----------------------------------------------------------

_PROPERTY_STORE = None


def _ctx() -> Context:
    global _PROPERTY_STORE
    if _PROPERTY_STORE is None:
        _PROPERTY_STORE = open_store(":memory:")
    return Context(store=_PROPERTY_STORE)


def _check(reply) -> None:
    assert isinstance(reply.text, str) and reply.text
    assert len(reply.text) <= MAX_CONTENT
    assert not LIVE_MENTION.search(reply.text)
    assert "Traceback" not in reply.text
    assert len(reply.fields) <= MAX_FIELDS
    assert all(len(f.value) <= MAX_FIELD_VALUE for f in reply.fields)
    assert reply.embed_length() <= MAX_EMBED_TOTAL
    for f in reply.fields:
        assert not LIVE_MENTION.search(f.name + f.value)
    for text in (reply.title, reply.description, reply.footer):
        assert not LIVE_MENTION.search(text or "")


_words = st.sampled_from(
    [
        "!chart",
        "counts",
        "field",
        "vision",
        "ECCV",
        "ICLR",
        "!ratio",
        "ratio",
        "!venues",
        "!help",
        "!about",
        "!method",
        "!source",
        "!table",
        "NeurIPS",
        "nips",
        "CVPR",
        "19",
        "2019",
        "2031",
        "--method",
        "article",
        "final",
        "@everyone",
        "@here",
        "<@123>",
        "<@&42>",
        "<#7>",
        "`",
        "**",
        "'",
        "--",
        "--light",
        "method:",
        "NAACL",
        "hlt",
        "x" * 60,
        # the paper and industry commands (issues 8 and 9)
        "!papers",
        "!paper",
        "!industry",
        "!trend",
        "!compare",
        "!metrics",
        "modern",
        "--method modern",
        "jax",
        "pytorch",
        "both",
        "failed",
        "page",
        "3",
        "pypi-downloads",
        "github-stars",
        "hn-hiring",
        "since",
        "source:nope",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_string_gets_a_safe_reply(line):
    _check(run(_ctx(), line))
    _check(run(_ctx(), "!ratio " + line))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_words, max_size=12).map(" ".join))
def test_command_shaped_strings_get_a_safe_reply(line):
    _check(run(_ctx(), line))


_chart_words = st.sampled_from(
    [
        "NeurIPS",
        "CVPR",
        "ACL",
        "ECCV",
        "ICLR",
        "ICCV",
        "2019",
        "2018",
        "15",
        "counts",
        "field",
        "vision",
        "language",
        "ml",
        "--light",
        "--method",
        "article",
        "final",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_chart_words, min_size=1, max_size=6).map(" ".join))
def test_chart_requests_get_a_safe_reply_and_a_real_png_when_drawn(args):
    reply = run(_ctx(), "!chart " + args)
    _check(reply)
    if reply.image is not None:
        assert reply.image.data[:8] == b"\x89PNG\r\n\x1a\n"
        assert reply.image.description  # alt text
        assert not reply.is_error


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("!ratio NeurIPS 2019 --final --article", ("`--article`", "`--final`")),
        ("!ratio NeurIPS 2019 --method article --method final", ("article", "final")),
        ("!ratio NeurIPS 2019 method:article --method final", ("article", "final")),
        ("!ratio NeurIPS 2019 --method final --article", ("`--method final`", "`--article`")),
        ("!chart NeurIPS --light --dark", ("`--dark`", "`--light`")),
    ],
)
def test_conflicting_options_are_refused_naming_both(ctx, line, named):
    reply = run(ctx, line)
    assert reply.is_error and reply.usage_error
    first = reply.text.splitlines()[0]
    assert all(n in first for n in named), first
    assert "contradict" in first or "two counting methods" in first


def test_the_same_option_twice_is_not_a_conflict(ctx):
    assert not run(ctx, "!ratio CVPR 2019 --article --method article").is_error
    assert (
        run(ctx, "!ratio CVPR 2019 --article --method article").text
        == run(ctx, "!ratio CVPR 2019 --method article").text
    )


@pytest.mark.parametrize("token", ["1e309", "-2019", "2019.5", "1e3", ".5", "20,19"])
def test_a_number_that_is_not_a_year_is_echoed_whole(ctx, token):
    reply = run(ctx, f"!ratio NeurIPS {token}")
    assert reply.is_error
    if token == "20,19":  # a comma separates words: two tokens, two "years"
        assert "`20`" in reply.text or "One year at a time" in reply.text
        return
    assert reply.text.startswith(f"`{token}` isn't a year I understand"), reply.text


def test_a_year_range_reads_as_two_years(ctx):
    assert "One year at a time" in run(ctx, "!ratio NeurIPS 2018-2019").text
    assert not run(ctx, "!chart NeurIPS 2018-2019").text.startswith("I don't know the venue")


@pytest.mark.parametrize("prefix", ["tb!", "$", "?"])
def test_every_reply_teaches_the_configured_prefix(store, prefix):
    """No reply shows `!command` when the prefix is something else (examples, usage, hints)."""
    from trendbot.commands import REGISTRY, Context
    from trendbot.commands.registry import _ALIASES

    ctx = Context(store=store, prefix=prefix)
    lines = [f"{prefix}{spec.name}" for spec in REGISTRY.values()]
    lines += [f"{prefix}{e.lstrip('!')}" for spec in REGISTRY.values() for e in spec.examples]
    lines += [f"{prefix}help {name}" for name in REGISTRY]
    lines += [f"{prefix}ratio", f"{prefix}ratio NIPZ", f"{prefix}rato", f"{prefix}venues x"]
    lines += [f"{prefix}chart", f"{prefix}source NeurIPS", f"{prefix}ratio 2031", "ratio x y z"]
    lines += [f"{prefix}papers NeurIPS 2019", f"{prefix}papers NeurIPS 2031", f"{prefix}paper x"]
    lines += [f"{prefix}papers NeurIPS 2019 page x", f"{prefix}papers NIPZ 2024"]
    lines += [f"{prefix}industry narnia", f"{prefix}trend", f"{prefix}trend stras"]
    lines += [f"{prefix}metrics nope", f"{prefix}compare soon", f"{prefix}trend hf-models"]
    names = "|".join(sorted(_ALIASES, key=len, reverse=True))
    wrong = re.compile(rf"(?<![\w!$?])!({names})\b")
    for line in lines:
        if line.startswith(f"{prefix}chart") and line != f"{prefix}chart":
            continue  # drawing is slow and its text is built by the same helpers
        reply = run(ctx, line)
        shown = "\n".join(
            [reply.text, reply.description or "", *(f.name + f.value for f in reply.fields)]
        )
        assert not wrong.search(shown), (line, wrong.search(shown).group(0))
