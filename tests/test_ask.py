"""The @mention question mapper: plain questions → command lines, and what it refuses to guess."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trendbot.commands import REGISTRY, run
from trendbot.commands.ask import Mapped, help_line, map_question, words

WITHOUT_CHART = ("ratio", "venues", "table", "source", "about", "method", "help")


@pytest.mark.parametrize(
    ("question", "line"),
    [
        ("what's PyTorch's share at ICML 2019?", "ratio ICML 2019"),
        ("What’s pytorch’s share at icml 2019", "ratio ICML 2019"),  # typographic apostrophes
        ("is jax growing at neurips", "ratio NeurIPS"),
        ("NeurIPS2019", "ratio NeurIPS 2019"),
        ("how did nips '19 look", "ratio NeurIPS 2019"),
        (
            "pytorch at the Empirical Methods in Natural Language Processing conference",
            "ratio EMNLP",
        ),
        ("association for computational linguistics 2019", "ratio ACL 2019"),
        ("tensorflow at emnlp 2020?", "ratio EMNLP 2020"),
        ("naacl hlt 2019", "ratio NAACL 2019"),
        ("compare icml and neurips in 2020", "ratio 2020"),
        ("what about 2018", "ratio 2018"),
        ("cvpr 2019 with the article method", "ratio CVPR 2019 --method article"),
        ("where does the neurips 2019 number come from", "source NeurIPS 2019"),
        ("cite acl 2020", "source ACL 2020"),
        ("which conferences do you cover", "venues"),
        ("how do you count papers", "method"),
        ("give me the raw table for cvpr", "table CVPR"),
        ("help", "help"),
        ("who made you", "about"),
        ("neurips 2018 and 2019", "ratio NeurIPS"),
    ],
)
def test_questions_map_to_command_lines(store, question, line):
    mapped = map_question(store, question, commands=WITHOUT_CHART)
    assert (mapped.line if mapped else None) == line


@pytest.mark.parametrize("question", ["", "thanks!", "what's the weather like?", "lol", "🙂"])
def test_unanswerable_questions_map_to_none(store, question):
    assert map_question(store, question, commands=WITHOUT_CHART) is None


def test_chart_words_use_the_chart_command_only_when_it_exists(store):
    q = "plot neurips and cvpr"
    with_chart = map_question(store, q, commands=(*WITHOUT_CHART, "chart"))
    without = map_question(store, q, commands=WITHOUT_CHART)
    assert with_chart.line == "chart NeurIPS CVPR"
    assert without.line == "ratio NeurIPS" and "One venue at a time" in without.notes[0]


def test_frameworks_outside_the_data_get_an_honest_note(store):
    jax = map_question(store, "is jax growing at neurips")
    keras = map_question(store, "keras at cvpr 2018")
    plain = map_question(store, "pytorch at cvpr 2018")
    assert "don't count JAX" in jax.notes[0]
    # The default method counts Keras as TensorFlow (its terms say so); the note says that.
    assert keras.notes == ("Keras mentions count as TensorFlow here.",)
    assert plain.notes == ()


def test_framework_only_question_answers_the_latest_year(store):
    mapped = map_question(store, "is pytorch more popular than tensorflow?")
    latest = max(store.years(store.default_method().id))
    assert mapped.line == f"ratio {latest}"
    assert str(latest) in mapped.notes[-1]


def test_preamble_names_the_command_with_the_prefix_that_works():
    m = Mapped("ratio ICML 2019", ("A note.",))
    assert m.preamble("!") == "I read that as `!ratio ICML 2019`. A note."
    assert m.preamble("@trendbot ").startswith("I read that as `@trendbot ratio ICML 2019`")
    assert (m.command, m.args) == ("ratio", "ICML 2019")
    assert "`?ratio NeurIPS 2019`" in help_line("?")


def test_words_split_glued_years_and_drop_possessives():
    assert words("PyTorch's NeurIPS2019 share?!") == ["pytorch", "neurips", "2019", "share"]


def test_every_mapped_line_is_a_command_that_answers(store, ctx):
    """The mapper must only produce lines the command layer accepts (no usage errors)."""
    questions = [
        "what's PyTorch's share at ICML 2019?",
        "is jax growing at neurips",
        "where does the neurips 2019 number come from",
        "which conferences do you cover",
        "how do you count",
        "table for acl",
        "compare icml and neurips in 2020",
    ]
    for q in questions:
        mapped = map_question(store, q, commands=tuple(REGISTRY))
        reply = run(ctx, "!" + mapped.line)
        assert not reply.is_error, (q, mapped.line, reply.text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_mapper_never_raises_and_never_echoes_a_mention(store_for_hypothesis, text):
    mapped = map_question(store_for_hypothesis, text)
    if mapped is not None:
        assert "@" not in mapped.line and "<" not in mapped.line
        assert mapped.command in REGISTRY or mapped.command in WITHOUT_CHART


@pytest.fixture(scope="module")
def store_for_hypothesis(tmp_path_factory):
    from trendbot.storage import open_store

    s = open_store(tmp_path_factory.mktemp("ask") / "ask.db")
    yield s
    s.close()
