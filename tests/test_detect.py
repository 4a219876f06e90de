"""Framework detection: normalisation of extracted text, every rule set's terms and counting."""

from __future__ import annotations

import json
import pickle
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trendbot.collectors.detect import (
    ARTICLE,
    BUILTIN,
    FINAL,
    MODERN,
    REGEX_PREFIX,
    RuleSet,
    detect,
    detect_all,
    nfkc,
    normalise,
    required_literal,
)


def scan(text: str, rules: RuleSet = MODERN):
    return detect(normalise(text), rules)


# -- normalise -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "wanted"),
    [
        ("We use tensor\ufb02ow.", "tensorflow"),  # the ﬂ ligature TeX fonts set
        ("Ｐｙ Ｔｏｒｃｈ", "py torch"),  # full-width letters (NFKC)
        ("Py\ufffeTorch", "pytorch"),  # pdfium's line-end hyphen (get_text_range)
        ("Py\x02Torch", "pytorch"),  # the same marker from get_text_bounded
        ("Py-\nTorch", "pytorch"),  # pdftotext keeps the hyphen and the break
        ("Py-\r\nTorch", "pytorch"),  # CRLF, as pdfium separates lines
        ("Py- \n  Torch", "pytorch"),  # spaces around the break
        ("Py\xadTorch", "pytorch"),  # a soft hyphen inside a word
        ("Py\xad\nTorch", "pytorch"),  # a soft hyphen at a line end
        ("Google\nBrain", "google brain"),  # a multi-word term across a line break
        ("  Google \t\r\n  Brain ", "google brain"),
        ("OpenNMT\u2011py", "opennmt-py"),  # a non-breaking hyphen is a hyphen
        ("OpenNMT\u2010py", "opennmt-py"),
    ],
)
def test_normalise_finds_what_the_author_wrote(raw: str, wanted: str) -> None:
    assert wanted in normalise(raw)


def test_normalise_keeps_both_readings_of_a_line_end_hyphen() -> None:
    text = normalise("built on OpenNMT-\npy and Py-\nTorch")
    assert "opennmt-py" in text  # a term with a hyphen of its own keeps it
    assert "pytorch" in text  # a word split by hyphenation is joined
    assert scan("built on OpenNMT-\npy").terms == {"pytorch": ("opennmt-py",)}
    assert scan("OpenNMT\ufffepy").terms == {"pytorch": ("opennmt-py",)}
    assert scan("a JAX-\nbased model").terms == {"jax": (r"re:\bjax\b",)}  # "jaxbased" alone: no


def test_normalise_does_not_invent_words_at_the_edges_of_a_kept_reading() -> None:
    # the hyphen-kept reading takes whole words only: "…ajax" cut short must not read "jax"
    assert scan("x" * 70 + "ajax-\nfoo").terms == {}
    assert scan("a-\n" + "jaxy" * 20).terms == {}
    assert scan("the Ajax-\nstyle request").terms == {}


def test_normalise_lower_cases_and_collapses_whitespace() -> None:
    assert normalise("  PyTorch\n\nAND\tJAX  ") == "pytorch and jax"
    assert normalise("") == ""
    assert normalise("\n\n") == ""


# -- the fast paths of normalise: the same text as the plain definitions ---------------------------
def reference_normalise(text: str) -> str:
    """``normalise`` as first written: NFKC of the whole text, one Python step per line-end
    hyphen. The fast one (NFKC line by line, the hyphens by regex) must give the same text."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2010", "-")
    text = re.sub(r"\xad[ \t]*\r?\n", "", text).replace("\xad", "")
    text = text.replace("\x02", "\ufffe")
    text = re.sub(r"-[ \t]*\r?\n", "\ufffe", text)
    if "\ufffe" in text:

        def before(piece: str) -> str:
            part = piece[-60:]
            if not part or part[-1].isspace():
                return ""
            word = part.rsplit(None, 1)[-1]
            if len(word) == len(part) < len(piece) and not piece[-61].isspace():
                word = re.sub(r"^\w+", "", word)
            return word

        def after(piece: str) -> str:
            part = piece[:60]
            if not part or part[0].isspace():
                return ""
            word = part.split(None, 1)[0]
            if len(word) == 60 < len(piece) and not piece[60].isspace():
                word = re.sub(r"\w+$", "", word)
            return word

        pieces = text.split("\ufffe")
        kept = []
        for i in range(1, len(pieces)):
            pieces[i] = pieces[i].lstrip(" \t\r\n")
            kept.append(f"{before(pieces[i - 1])}-{after(pieces[i])}")
        text = "".join(pieces) + " \x00 " + " \x00 ".join(kept)
    return _collapse(text.lower())


def _collapse(text: str) -> str:
    """Lower-cased text with every run of whitespace one space, as first written."""
    text = text.replace("\r\n", " ")
    for space in "\n\r\t\f\v\x1c\x1d\x1e\x1f\x85\u1680\u2028\u2029":
        text = text.replace(space, " ")
    while "  " in text:
        text = text.replace("  ", " ")
    return text.strip(" ")


# Characters that make the fast paths work: line breaks, every kind of hyphen mark, spaces that
# str.split() knows and NFKC does not change, letters that compose (u + U+0308 → ü) or
# decompose (ﬂ, full-width, Hangul), word characters and not, and words longer than the
# 60-character window around a hyphen.
_TRICKY = [
    "a", "b", "J", "x", "_", "1", ".", " ", "\t", "\r", "\n", "\r\n", "\f", "\x1c", "\u2028",
    "\xa0", "\u3000", "-", "\u2010", "\u2011", "\xad", "\x02", "\ufffe", "u\u0308", "\u0308",
    "\u0301", "\ufb02", "\uff4a", "\u1100", "\u1161", "\u11a8", "\u00a8", "\u2212", "\u0130",
    "\U0001d400", "\u0915\u093c",
]  # fmt: skip
_LONG = st.sampled_from(["a", "b_", "x."]).flatmap(
    lambda w: st.integers(55, 66).map(lambda n: (w * n)[:n])
)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_TRICKY), _LONG), max_size=40).map("".join))
def test_normalise_equals_the_plain_definition(text: str) -> None:
    assert normalise(text) == reference_normalise(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_normalise_equals_the_plain_definition_on_any_text(text: str) -> None:
    assert normalise(text) == reference_normalise(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_TRICKY), st.text(max_size=5)), max_size=40).map("".join))
def test_nfkc_line_by_line_equals_nfkc_of_the_whole(text: str) -> None:
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_a_line_feed_is_a_normalization_boundary_for_every_character() -> None:
    """Why ``nfkc`` may normalise line by line: next to a line feed, no character of Unicode
    (as this Python knows it) composes, reorders or decomposes differently."""
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        alone = unicodedata.normalize("NFKC", c)
        assert unicodedata.normalize("NFKC", c + "\n") == alone + "\n", hex(cp)
        assert unicodedata.normalize("NFKC", "\n" + c) == "\n" + alone, hex(cp)


def test_text_that_is_not_nfkc_is_still_normalised() -> None:
    # a ligature, full-width letters, a letter and its combining mark, on lines of their own
    text = (
        "plain ascii line\nuses tensor\ufb02ow\n\uff2a\uff21\uff38 code\n"
        "M\u00fcller and Mu\u0308ller"
    )
    assert nfkc(text) == "plain ascii line\nuses tensorflow\nJAX code\nM\u00fcller and M\u00fcller"
    assert scan("uses tensor\ufb02ow").terms == {"tensorflow": ("tensorflow",)}
    assert scan("written in \uff2a\uff21\uff38").terms == {"jax": (r"re:\bjax\b",)}
    assert nfkc("ascii only") == "ascii only"
    assert nfkc("caf\u00e9 \u2212 \u03b1") == "caf\u00e9 \u2212 \u03b1"  # NFKC already


PLAIN_TERMS = sorted(
    {
        t
        for r in BUILTIN.values()
        for ts in (*r.terms.values(), r.exclude_if)
        for t in ts
        if not t.startswith(REGEX_PREFIX)
    }
)


@settings(max_examples=150, deadline=None)
@given(
    term=st.sampled_from(PLAIN_TERMS),
    data=st.data(),
    prefix=st.text(alphabet=" abcxyz.,\n", max_size=30),
    suffix=st.text(alphabet=" abcxyz.,\n", max_size=30),
)
def test_every_plain_term_survives_any_hyphenation_and_case(term, data, prefix, suffix) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(term)))
    marker = data.draw(st.sampled_from(["-\n", "-\r\n", "\ufffe", "\xad\n", ""]))
    upper = data.draw(st.booleans())
    inside_a_word = 0 < cut < len(term) and " " not in term[cut - 1 : cut + 1]
    written = term[:cut] + (marker if inside_a_word else "") + term[cut:]
    text = normalise(f"{prefix} {written.upper() if upper else written} {suffix}")
    assert term in text


# -- the rule sets ---------------------------------------------------------------------------------
@pytest.mark.parametrize("term", ["pytorch", "torchvision", "fairseq", "allennlp", "opennmt-py"])
def test_final_pytorch_terms(term: str) -> None:
    d = scan(f"We build on {term}.", FINAL)
    assert d.terms == {"pytorch": (term,)}
    assert d.counts == ("pytorch",)


@pytest.mark.parametrize("term", ["tensorflow", "keras", "opennmt-tf"])
def test_final_tensorflow_terms(term: str) -> None:
    d = scan(f"We build on {term}.", FINAL)
    assert d.terms == {"tensorflow": (term,)}
    assert d.counts == ("tensorflow",)


def test_final_a_paper_naming_both_counts_for_neither_but_shows_both() -> None:
    d = scan("Ported from TensorFlow to PyTorch.", FINAL)
    assert d.named == ("pytorch", "tensorflow")
    assert d.counts == ()
    assert not d.excluded


def test_final_has_no_affiliation_filter() -> None:
    d = scan("Work done at Google Brain (jane@google.com). Code in PyTorch.", FINAL)
    assert d.counts == ("pytorch",)


def test_article_rule_keras_is_not_tensorflow_and_huggingface_is_pytorch() -> None:
    assert scan("A Keras model.", ARTICLE).terms == {}
    assert scan("HuggingFace transformers.", ARTICLE).counts == ("pytorch",)
    assert scan("HuggingFace transformers.", FINAL).counts == ()


@pytest.mark.parametrize(
    "affiliation",
    [
        "Facebook AI Research, Paris",
        "jdoe@fb.com",
        "jane@google.com",
        "Google Brain, Mountain View",
        "Google\nBrain",  # across a line break
        "Face-\nbook AI Research",  # across a hyphenated line break
    ],
)
def test_article_rule_drops_google_and_facebook_papers(affiliation: str) -> None:
    d = scan(f"{affiliation}. All code is in PyTorch.", ARTICLE)
    assert d.excluded
    assert d.counts == ()
    assert d.terms == {"pytorch": ("pytorch",)}  # what it names is still reported


def test_article_rule_keeps_papers_without_those_affiliations() -> None:
    d = scan("Google Scholar lists Facebook papers. All code is in PyTorch.", ARTICLE)
    assert not d.excluded
    assert d.counts == ("pytorch",)


def test_modern_counts_every_framework_and_both_together() -> None:
    d = scan("We port our TensorFlow code to PyTorch and JAX.", MODERN)
    assert d.named == ("pytorch", "tensorflow", "jax")
    assert d.counts == ("pytorch", "tensorflow", "jax", "pytorch+tensorflow")
    # the same paper under the study's rule: PyTorch and TensorFlow cancel out
    assert scan("We port our TensorFlow code to PyTorch and JAX.", FINAL).counts == ()


def test_modern_keras_is_its_own_framework() -> None:
    assert scan("A tf.keras model.", MODERN).counts == ("keras",)
    assert scan("A tf.keras model.", FINAL).counts == ("tensorflow",)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("implemented in JAX.", ("jax",)),
        ("(JAX)", ("jax",)),
        ("jax.numpy arrays", ("jax",)),
        ("an Ajax request", ()),  # word boundaries: the study's \bjax\b
        ("JAXB bindings", ()),
        ("we use Optax for Adam", ("jax",)),
        ("modules in flax.linen", ("jax",)),
        ("see github.com/google/flax", ("jax",)),
        ("the dm-haiku library", ("jax",)),
        ("import haiku as hk", ("jax",)),
        ("from flax import linen as nn\nimport flax", ("jax",)),
        ("a haiku about a field of flax", ()),  # English words, not libraries
        ("quark/gluon jet tagging", ()),  # physics, not MXNet Gluon
        ("trained with MXNet", ("mxnet",)),
        ("the GluonCV model zoo", ("mxnet",)),
        ("GluonNLP tokenizers", ("mxnet",)),
        ("mxnet.gluon.nn blocks", ("mxnet",)),
        ("PaddlePaddle 2.3", ("paddlepaddle",)),
        ("import paddle.fluid as fluid", ("paddlepaddle",)),
        ("PaddleNLP", ("paddlepaddle",)),
        ("a paddle and a ball", ()),
        ("MindSpore 1.8", ("mindspore",)),
        ("Lua Torch 7", ()),  # "torch" alone is not PyTorch
    ],
)
def test_modern_terms_and_word_boundaries(text: str, named: tuple[str, ...]) -> None:
    assert scan(text, MODERN).named == named


def test_detect_all_shares_terms_across_rule_sets() -> None:
    text = normalise("Code: PyTorch and Keras; author at Google Brain.")
    got = detect_all(text, BUILTIN.values())
    assert set(got) == {"final", "article", "modern"}
    assert got["final"].counts == ()  # names both (Keras is TensorFlow here)
    assert got["article"].excluded and got["article"].counts == ()
    assert got["modern"].counts == ("pytorch", "keras")
    for name, d in got.items():
        assert d == detect(text, BUILTIN[name])


# -- rule sets as stored data ----------------------------------------------------------------------
def test_the_study_rules_are_the_studys() -> None:
    """The catalogue's rules, as the detector reads them, are the 2019 study's terms."""
    assert FINAL.terms == {
        "pytorch": ("pytorch", "torchvision", "fairseq", "allennlp", "opennmt-py"),
        "tensorflow": ("tensorflow", "keras", "opennmt-tf"),
    }
    assert FINAL.exclusive == ("pytorch", "tensorflow") and not FINAL.exclude_if
    assert (
        ARTICLE.terms["pytorch"][-1] == "huggingface" and "keras" not in ARTICLE.terms["tensorflow"]
    )
    assert set(ARTICLE.exclude_if) == {
        "facebook ai research",
        "fb.com",
        "google.com",
        "google brain",
    }
    assert MODERN.both == ("pytorch", "tensorflow") and MODERN.exclusive is None
    assert set(MODERN.frameworks) >= {"pytorch", "tensorflow", "keras", "jax", "mxnet"}


def test_builtin_rules_equal_the_methods_in_a_fresh_store(store) -> None:
    methods = {m.name: m for m in store.methods().values()}
    for name in ("final", "article", "modern"):
        assert RuleSet.from_record(methods[name]) == BUILTIN[name]


def test_a_stored_methods_row_rebuilds_its_rule_set(store) -> None:
    """The `methods` columns as stored (terms object, both_pair, exclusive 0/1, filter)."""
    row = store.conn.execute(
        "SELECT name, version, title, terms, both_pair, exclusive, affiliation_filter,"
        " pytorch_terms, tensorflow_terms FROM methods WHERE name = 'modern'"
    ).fetchone()
    cols = ("name", "version", "title", "terms", "both_pair", "exclusive", "affiliation_filter",
            "pytorch_terms", "tensorflow_terms")  # fmt: skip
    assert RuleSet.from_record(dict(zip(cols, row, strict=True))) == MODERN
    old = {  # a row from before terms per framework
        "name": "final", "version": "2021-10-22", "terms": "{}", "exclusive": 1,
        "pytorch_terms": json.dumps(list(FINAL.terms["pytorch"])),
        "tensorflow_terms": json.dumps(list(FINAL.terms["tensorflow"])),
    }  # fmt: skip
    assert RuleSet.from_record(old) == FINAL


@pytest.mark.parametrize("rules", list(BUILTIN.values()), ids=list(BUILTIN))
def test_rule_sets_round_trip_through_json_and_pickle(rules: RuleSet) -> None:
    record = json.loads(json.dumps(rules.to_record()))
    assert RuleSet.from_record(record) == rules
    copy = pickle.loads(pickle.dumps(rules))
    assert copy == rules
    text = normalise("PyTorch, TensorFlow, JAX and MXNet at google.com")
    assert detect(text, copy) == detect(text, rules)


def test_a_stored_terms_column_is_one_json_object_per_framework() -> None:
    row = {
        "name": "custom",
        "version": "2026-12",
        "terms": json.dumps({"jax": ["re:\\bjax\\b"], "pytorch": ["pytorch"]}),
        "exclusive": 0,
        "affiliation_filter": "",
    }
    rules = RuleSet.from_record(row)
    assert rules.exclusive is None and rules.frameworks == ("jax", "pytorch")
    assert scan("JAX and PyTorch", rules).counts == ("jax", "pytorch")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"terms": {"pytorch": ("PyTorch",)}},  # plain terms are matched in lower-cased text
        {"terms": {"pytorch": ()}},
        {"terms": {"pytorch": ("pytorch",)}, "exclusive": ("pytorch", "tensorflow")},
        {"terms": {"pytorch": ("pytorch",)}, "both": ("pytorch", "jax")},
    ],
)
def test_rule_sets_refuse_definitions_that_cannot_work(kwargs) -> None:
    with pytest.raises(ValueError):
        RuleSet(name="bad", version="1", **kwargs)


def test_an_invalid_regex_term_is_refused_when_the_rule_set_is_built() -> None:
    with pytest.raises(re.error):
        RuleSet(name="bad", version="1", terms={"jax": ("re:\\bjax(",)})


# -- the regex prefilter ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        (r"\bjax\b", "jax"),
        (r"\boptax\b", "optax"),
        (r"\bimport (?:flax|haiku)\b", "import "),
        (r"paddle\.fluid", "paddle.fluid"),
        (r"colou?r", "colo"),
        (r"x[abc]yz", "yz"),
        (r"jax|flax", ""),  # alternatives: nothing is required
        (r"(?i)jax", ""),  # flags change what matches: give up
        (r"ab{0,2}cd", "cd"),
    ],
)
def test_required_literal(pattern: str, literal: str) -> None:
    assert required_literal(pattern) == literal


REGEX_TERMS = [
    t[len(REGEX_PREFIX) :]
    for r in BUILTIN.values()
    for ts in r.terms.values()
    for t in ts
    if t.startswith(REGEX_PREFIX)
]


@settings(max_examples=300, deadline=None)
@given(
    pattern=st.sampled_from([*REGEX_TERMS, r"colou?r", r"a[bc]+d\.e", r"x(?:yz)*w", r"p+q{2,}r"]),
    data=st.data(),
)
def test_the_prefilter_never_hides_a_match(pattern: str, data) -> None:
    """Any text the pattern matches contains the literal that is checked first."""
    text = data.draw(st.from_regex(pattern))
    assert re.search(pattern, text)
    assert required_literal(pattern) in text
