"""One normal form for a command's text (NFKC, no format characters, ASCII digits), applied where
the text enters ``commands``: what is matched is what is echoed, on every path (a typed line, a
slash command's arguments, an @mention, a subscription topic)."""

from __future__ import annotations

import re
import sqlite3
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import paper_data as data
from trendbot.commands import Context, invoke, lookup, run
from trendbot.commands.ask import answer_mention, read_mention
from trendbot.commands.normalise import normalise
from trendbot.commands.registry import parses
from trendbot.commands.text import echo
from trendbot.storage import open_store
from trendbot.subscriptions.topics import parse_topic

ZWSP, RLO, BOM, SOFT_HYPHEN = "\u200b", "\u202e", "\ufeff", "\u00ad"


@pytest.mark.parametrize(
    "line",
    [
        f"!ratio Neur{ZWSP}IPS 2019",
        f"!ratio Neur{RLO}IPS 2019",  # a bidi override inside a word
        f"!ratio {BOM}NeurIPS 20{SOFT_HYPHEN}19",
        "!ratio ＮｅｕｒＩＰＳ ２０１９",  # full width, as an East Asian input method types it
        "！ｒａｔｉｏ NeurIPS 2019",  # the command name too
        "!ratio NeurIPS ٢٠١٩",  # Arabic-Indic digits
        "!ratio NeurIPS २०१९",  # Devanagari digits
        "!ratio NeurIPS ²⁰¹⁹",  # superscripts: NFKC makes them digits
    ],
)
def test_a_line_is_read_as_its_normal_form(ctx, line):
    plain = run(ctx, "!ratio NeurIPS 2019")
    assert not plain.is_error
    assert run(ctx, line).text == plain.text


def test_what_is_matched_is_what_is_echoed(ctx):
    """`Nar<ZWSP>nia` was echoed as `Narnia` (the echo dropped the space) but matched with it:
    now both see `Narnia`, and a misspelt venue with a hidden character still gets its hint."""
    reply = run(ctx, f"!ratio Nar{ZWSP}nia 2019")
    assert reply.is_error and reply.text.startswith("I don't know the venue `narnia`.")
    hinted = run(ctx, f"!ratio neur{ZWSP}ipz 2019")
    assert "Did you mean **NeurIPS**" in hinted.text
    wide = run(ctx, "!ratio Ｎａｒｎｉａ")
    assert wide.text.startswith("I don't know the venue `narnia`.")


def test_slash_arguments_and_mentions_are_normalised_too(ctx):
    plain = run(ctx, "!ratio NeurIPS 2019").text
    spec = lookup("ratio")
    assert invoke(ctx, spec, f"Neur{ZWSP}IPS ２０１９").text == plain  # a slash command's args
    readings = read_mention(ctx, f"ｒａｔｉｏ Neur{RLO}IPS 2019")
    assert readings and readings[0].spec.name == "ratio"
    assert answer_mention(ctx, readings).reply.text == plain


def test_subscription_topics_are_normalised(store):
    assert parse_topic(store, f"Neur{ZWSP}IPS") == parse_topic(store, "NeurIPS")
    assert parse_topic(store, "ＮｅｕｒＩＰＳ") == parse_topic(store, "NeurIPS")


@pytest.fixture
def titled(store):
    data.collect(
        store,
        "neurips",
        "neurips",
        2023,
        [
            # q + U+0301 has no precomposed form; Devanagari vowel signs are combining marks
            data.Paper("Q\u0301uantum Kitab: किताब Readers at Scale", ("pytorch",)),
            data.Paper("Crème Brûlée Networks", ("jax",)),
        ],
    )
    return Context(store=store, prefix="!")


@pytest.mark.parametrize(
    "words",
    [
        "q\u0301uantum kitab",  # a combining accent stays with its letter
        "किताब",  # Devanagari: one word, not क / त / ब
        "cre\u0300me bru\u0302le\u0301e",  # decomposed accents compose (NFKC)
        f"Crè{ZWSP}me networks",  # a zero-width space does not split a word
        "ＣＲＥＭＥ networks",  # full width
    ],
)
def test_paper_keeps_words_whole(titled, words):
    reply = run(titled, f"!paper {words}")
    assert not reply.is_error, reply.text
    assert reply.text.startswith("**")
    assert "(NeurIPS 2023)" in reply.text or "NeurIPS 2023" in reply.text.splitlines()[1]


# -- properties -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mctx(seeded_template, tmp_path_factory):
    """One store for the property tests (hypothesis runs a test many times in one call),
    closed when the module is done."""
    path = tmp_path_factory.mktemp("normalise") / "trendbot.db"
    src, dst = sqlite3.connect(seeded_template), sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    store = open_store(path)
    yield Context(store=store, prefix="!")
    store.close()


# Text with the characters that matter here mixed into command-shaped words.
_pieces = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "NeurIPS",
            "ＮｅｕｒＩＰＳ",
            "2019",
            "٢٠١٩",
            "２０１９",
            ZWSP,
            RLO,
            BOM,
            "\u2066",
            "\x1b[31m",
            "\x00",
            "\x85",
            "e\u0301",
            "ﬁ",
            "--light",
            "@everyone",
            "<@123>",
            " ",
        ]
    ),
)
_text = st.lists(_pieces, max_size=10).map("".join)
_COMMANDS = ("ratio", "papers", "paper", "industry", "trend", "compare", "about", "table")
# The zero-width space the echo itself puts into a mention so it cannot ping.
_MENTION_BREAK = re.compile(r"(?<=[@!&#])\u200b")


def _bad_characters(text: str) -> list[str]:
    text = _MENTION_BREAK.sub("", text)
    return [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_COMMANDS), _text)
def test_parsing_the_normal_form_equals_parsing_the_raw_form(mctx, name, raw):
    ctx = mctx
    spec = lookup(name)
    assert spec is not None
    normal = normalise(raw)
    assert normalise(normal) == normal  # idempotent
    assert not any(unicodedata.category(c) == "Cf" for c in normal)
    assert run(ctx, f"!{name} {raw}").text == run(ctx, f"!{name} {normal}").text
    assert invoke(ctx, spec, raw).text == invoke(ctx, spec, normal).text
    assert parses(ctx, spec, raw) == parses(ctx, spec, normal)  # the @mention reader's test


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_an_echo_never_carries_a_control_or_format_character(raw):
    for shown in (echo(raw), echo(raw, code=False), echo(raw, 8)):
        assert not _bad_characters(shown), (raw, shown)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_COMMANDS), _text)
def test_a_reply_never_carries_a_control_or_format_character(mctx, name, raw):
    reply = run(mctx, f"!{name} {raw}")
    assert not _bad_characters(reply.text), (raw, reply.text)
