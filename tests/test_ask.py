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
    # JAX is counted only by the modern rule, which has no counts until a collection ran.
    assert "JAX is counted only by the `modern` rule" in jax.notes[0]
    assert "compares PyTorch with TensorFlow" in jax.notes[0]
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


# -- @mentions: commands or questions (issue 7) ------------------------------------------------
MENTIONS = [
    # the first word is a command, an alias or a framework name, but the rest is a sentence
    ("how many papers used pytorch at iclr 2020?", "ratio ICLR 2020"),
    ("how does cvpr 2019 look", "ratio CVPR 2019"),
    ("pytorch vs tensorflow at neurips 2019", "ratio NeurIPS 2019"),
    ("tensorflow or pytorch at acl 2018?", "ratio ACL 2018"),
    ("share of pytorch at cvpr 2019", "ratio CVPR 2019"),
    ("info about neurips 2019", "ratio NeurIPS 2019"),
    ("data for emnlp 2019 please", "ratio EMNLP 2019"),
    ("the raw data for emnlp 2019 please", "table EMNLP 2019"),
    ("list the venues you cover", "venues"),
    ("help me compare icml and neurips in 2020", "ratio 2020"),
    # papers behind a count (the seed has no per-paper data: the study's sentence answers)
    ("which papers at neurips 2019 use pytorch?", "papers NeurIPS 2019 pytorch"),
    ("show me the papers of cvpr 2019 naming both pytorch and tensorflow", "papers CVPR 2019 both"),
    ("source of the neurips 2019 number?", "source NeurIPS 2019"),
    ("ratio of pytorch at iclr in 2021", "ratio ICLR 2021"),
    ("chart of neurips over time", "chart NeurIPS"),
    ("plot cvpr and iccv", "chart CVPR ICCV"),
    # venue and year in any order, glued, abbreviated, with or without punctuation
    ("2019 cvpr", "ratio CVPR 2019"),
    ("cvpr 2019", "ratio CVPR 2019"),
    ("NeurIPS2019?", "ratio NeurIPS 2019"),
    ("in 2018 at naacl what was pytorch's share", "ratio NAACL 2018"),
    ("what share did pytorch have at emnlp 2020?", "ratio EMNLP 2020"),
    ("what's the pytorch share at nips 19", "ratio NeurIPS 2019"),
    ("compare acl and emnlp 2019", "ratio 2019"),
    ("neurips vs icml", "ratio NeurIPS"),
    ("is pytorch growing at cvpr?", "ratio CVPR"),
    ("is tensorflow declining at iclr", "ratio ICLR"),
    ("how many tensorflow papers at icml 2018", "ratio ICML 2018"),
    ("draw me a chart of acl", "chart ACL"),
    ("chart neurips vs icml", "chart NeurIPS ICML"),
    ("which conferences do you cover?", "venues"),
    ("how do you count papers?", "method"),
    ("where does the acl 2020 number come from", "source ACL 2020"),
    ("give me the raw table for 2019", "table 2019"),
    ("iclr 2019 with the article method", "ratio ICLR 2019 --method article"),
    # typed commands stay commands
    ("ratio NeurIPS 2019", "ratio NeurIPS 2019"),
    ("!ratio cvpr 19", "ratio CVPR 2019"),
    ("r icml 2019", "ratio ICML 2019"),
    ("chart 2019", "chart 2019"),
    ("help ratio", "help ratio"),
    ("info", "about"),
    ("help?", "help"),
    # industry (issue 9): no venue, a metric or the word industry
    ("is jax growing on pypi?", "trend pypi-downloads jax"),
    ("pytorch vs tensorflow in industry", "industry pytorch tensorflow"),
    ("how many stars does pytorch have", "industry pytorch"),
    (
        "plot github stars for pytorch and jax since 2020",
        "trend github-stars pytorch jax since 2020",
    ),
    ("does pytorch still dominate research and tensorflow industry?", "compare"),
    ("research vs industry in 2019", "compare 2019"),
    ("what metrics do you have", "metrics"),
    ("how are downloads counted?", "metrics pypi-downloads"),
    ("industry pytorch", "industry pytorch"),
    ("trend hn-hiring", "trend hn-hiring"),
]


@pytest.mark.parametrize(("text", "line"), MENTIONS)
def test_mentions_map_to_the_command_line_that_answers_them(ctx, text, line):
    from trendbot.commands.ask import answer_mention, read_mention

    answer = answer_mention(ctx, read_mention(ctx, text))
    assert not answer.reply.is_error, (text, answer.reply.text)
    assert answer.reply.command == line
    typed = answer.reading is not None and answer.reading.mapped is None
    assert (answer.note is None) == typed  # a question says which command ran; a command doesn't
    if not typed:
        assert answer.note.startswith(f"I read that as `!{line}`.")


# -- questions about papers (issue 8), on collected venue-years ---------------------------------
PAPER_MENTIONS = [
    ("which papers at neurips 2024 use jax?", "papers NeurIPS 2024 jax"),
    ("Which papers at NeurIPS 2024 use JAX", "papers NeurIPS 2024 jax"),
    ("which paper at iclr 2024 uses pytorch", "papers ICLR 2024 pytorch"),
    (
        "list the papers of neurips 2024 with the modern method",
        "papers NeurIPS 2024 --method modern",
    ),
    ("which papers at neurips 2024 failed?", "papers NeurIPS 2024 failed"),
    ("papers NeurIPS 2024 keras", "papers NeurIPS 2024 keras"),  # typed
    ("what does the paper attention is all you need mention", "paper attention is all you need"),
    (
        "what frameworks does the paper Attention Is All You Need use?",
        "paper Attention Is All You Need",
    ),
    ('what does "Keras Baselines for Tabular Data" use?', "paper Keras Baselines for Tabular Data"),
    ("which frameworks does the paper scaling flax models mention?", "paper scaling flax models"),
    ("paper attention is all you need", "paper attention is all you need"),  # typed
    ("how many papers used pytorch at neurips 2024?", "ratio NeurIPS 2024"),  # a count, not a list
]


@pytest.mark.parametrize(("text", "line"), PAPER_MENTIONS)
def test_paper_questions_reach_the_paper_commands(store, text, line):
    from tests.support.paper_data import load_all
    from trendbot.commands import Context
    from trendbot.commands.ask import answer_mention, read_mention

    load_all(store)
    ctx = Context(store=store, prefix="!")
    answer = answer_mention(ctx, read_mention(ctx, text))
    assert not answer.reply.is_error, (text, answer.reply.text)
    assert answer.reply.command == line
    typed = answer.reading is not None and answer.reading.mapped is None
    assert (answer.note is None) == typed
    if not typed:
        assert answer.note == f"I read that as `!{line}`."  # no note about frameworks not counted


def test_a_paper_title_in_a_question_keeps_only_words():
    from trendbot.commands.ask import paper_title

    assert paper_title("what does the paper <@123> **x** @everyone mention?") == "123 x everyone"
    assert paper_title("tell me about the paper `Schrödinger's Café`") == "Schrödinger's Café"
    assert paper_title("which frameworks does the paper how to use transformers use?") == (
        "how to use transformers"
    )
    assert paper_title("how many papers used pytorch") is None


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("ratio nipz 2019", "Did you mean **NeurIPS**?"),  # a typo in a command: its hint
        ("how are you", "I couldn't turn that into a question"),  # not a `!method` usage error
        ("share your thoughts", "I couldn't turn that into a question"),
        ("source?", "Name one venue and one year"),  # the command, asked without its arguments
    ],
)
def test_mentions_that_cannot_be_answered_say_why(ctx, text, expect):
    from trendbot.commands.ask import answer_mention, read_mention

    answer = answer_mention(ctx, read_mention(ctx, text))
    assert answer.reply.is_error or answer.reading is None
    assert expect in answer.reply.text


def test_word_aliases_never_capture_a_sentence(ctx):
    """Every alias that is a word, followed by words that are not its arguments, is read as a
    question (or the help line), never as that command's usage error."""
    from trendbot.commands.ask import answer_mention, is_word_alias, read_mention
    from trendbot.commands.registry import _ALIASES

    for alias, name in _ALIASES.items():
        spec = REGISTRY[name]
        if not is_word_alias(alias, spec):
            continue
        answer = answer_mention(ctx, read_mention(ctx, f"{alias} of the weather in paris today"))
        assert answer.reading is None or answer.reading.mapped is not None, alias
        assert "Usage:" not in answer.reply.text, alias
