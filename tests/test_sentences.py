"""Replies that read right (issue 17, item 7): a count is glued to a noun, never to a
description; an unknown option is called an option and the command's own are listed; two values
for one setting are refused naming both; echoed control characters are shown escaped; a damaged
store is said to be damaged, apart from a file that is not trendbot's."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest

from tests.support import paper_data as data
from trendbot.cli import main
from trendbot.commands import Context, run
from trendbot.storage import StoreError, open_store


@pytest.fixture
def pctx(store):
    data.load_all(store)
    return Context(store=store, prefix="!")


def first_line(reply) -> str:
    return reply.text.splitlines()[0]


# -- counts glued to nouns ------------------------------------------------------------------------
def test_compare_says_what_a_collected_total_counts(pctx):
    reply = run(pctx, "!compare")
    text = reply.text + "".join(f.data.decode() for f in reply.files if f.filename.endswith(".txt"))
    assert not re.search(r"\d a paper naming", text)  # was "63 a paper naming several …"
    line = next(x for x in text.splitlines() if x.startswith("Papers (trendbot):"))
    said = r"; [\d,]+ framework mentions \(a paper naming several frameworks counts once for each\)"
    assert re.search(said + r"\.$", line), line


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("!papers NeurIPS 2024 page 9", "NeurIPS 2024 has 28 papers (final rule), on 4 pages;"),
        (
            "!papers NeurIPS 2024 no-text page 2",
            "NeurIPS 2024 has 1 paper with no text layer (a scan), on 1 page;",
        ),
        (
            "!papers NeurIPS 2024 failed page 3",
            "NeurIPS 2024 has 2 papers that could not be read, on 1 page;",
        ),
        ("!papers NeurIPS 2024 jax page 5", "NeurIPS 2024 has 12 JAX papers (modern rule), on 2"),
    ],
)
def test_a_page_past_the_end_names_the_papers_in_words(pctx, line, says):
    """Was "The 28 every paper (final rule) papers …", "The 1 no text layer (scans) papers"."""
    reply = run(pctx, line)
    assert reply.is_error and reply.text.startswith(says), reply.text


def test_one_paper_is_a_paper(store):
    data.collect(
        store, "pmlr", "icml", 2025, [data.Paper("Only One", ("pytorch",)), data.Paper("None")]
    )
    reply = run(Context(store=store), "!ratio ICML 2025")
    assert "of the 1 paper that mentions exactly one of the two, out of 2 " in reply.text


def test_a_question_mark_is_not_followed_by_a_full_stop(ctx):
    reply = run(ctx, "!papers")
    assert first_line(reply) == "Which venue and year? For example `!papers NeurIPS 2024 jax`."


def test_a_description_after_a_number_stands_apart(pctx):
    """A collected population ends in brackets of its own; the comparison is not one more."""
    reply = run(pctx, "!ratio NeurIPS 2017")
    also = next(x for x in reply.text.splitlines() if x.startswith("Also counted by"))
    assert ") (" not in also
    assert also.endswith("; the figure above counts 679 accepted papers.")


# -- options and words a command does not take ----------------------------------------------------
@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("!industry --light", "I don't know the option `--light`; `!industry` takes no options."),
        ("!industry pytorch —dark", "I don't know the option `—dark`; `!industry` takes no"),
        ("!metrics --x", "I don't know the option `--x`; `!metrics` takes no options."),
        ("!paper --light attention", "I don't know the option `--light`; `!paper` takes no"),
        ("!help --x", "I don't know the option `--x`; `!help` takes no options."),
        (
            "!trend stars --foo",
            "I don't know the option `--foo`. Options here: `--since`, `--source`, `--light`",
        ),
        (
            "!compare --bogus",
            "I don't know the option `--bogus`. Options here: `--dark`, `--light`, `--method`",
        ),
        ("!method --light", "I don't know the option `--light`. Options here: `--method <name>`"),
        ("!about --light", "I don't know the option `--light`."),
        ("!ratio NeurIPS 2019 --bogus", "I don't know the option `--bogus`. Options here: `--"),
    ],
)
def test_an_unknown_option_is_called_an_option(ctx, line, says):
    reply = run(ctx, line)
    assert reply.is_error and reply.usage_error
    assert first_line(reply).startswith(says), reply.text
    assert not re.search(r"the (framework|metric|venue|counting method) `", first_line(reply))


def test_papers_names_what_a_word_after_the_year_may_be(pctx):
    caffe = first_line(run(pctx, "!papers NeurIPS 2024 caffe"))
    assert caffe.startswith("I don't know `caffe` as a venue or as a framework (`pytorch`")
    assert "`failed` or `no-text`" in caffe
    typo = first_line(run(pctx, "!papers NeurIPS 2024 pytroch"))
    assert typo == "I don't know `pytroch`. Did you mean `pytorch`?"
    assert "venue `caffe`" not in caffe
    # a misspelt venue still gets its venue hint
    assert "Did you mean **NeurIPS**" in run(pctx, "!papers nuerips 2024 jax").text


def test_about_with_words_says_what_it_takes(ctx):
    me = run(ctx, "!about me")
    assert me.is_error and "counting method `me`" not in me.text
    assert first_line(me).startswith("`!about` takes nothing, or the name of a counting method")
    assert "I don't know `me`" in first_line(me)
    venue = first_line(run(ctx, "!about NeurIPS 2019"))
    assert "`!source NeurIPS 2019`" in venue
    assert not run(ctx, "!about article").is_error  # a method's name is still explained


def test_an_escape_sequence_in_a_venue_is_shown_escaped(ctx):
    """Was "I don't know the venue ` `": the escape was dropped, leaving nothing to read."""
    reply = run(ctx, "!ratio \x1b[31mfoo")
    assert first_line(reply).startswith("I don't know the venue `\\x1b`.")
    assert "\x1b" not in reply.text


def test_the_console_prints_an_escape_sequence_escaped(cli_env, monkeypatch, capsys):
    for key, value in cli_env.items():
        monkeypatch.setenv(key, value)
    assert main(["ask", "!ratio NeurIPS \x07\x1b]0;pwned"]) == 1  # an error reply
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "`\\x07\\x1b`" in out


# -- one value per setting ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("!trend since 2020 since 2021", ("`since 2020`", "`since 2021`")),
        ("!trend stars since:2020 --since=2021", ("`since 2020`", "`since 2021`")),
        ("!trend stars 2020 2021", ("`2020`", "`2021`")),
        ("!trend stars source:github source:pypi", ("`source:github`", "`source:pypi`")),
        ("!trend stars --light --dark", ("`--light`", "`--dark`")),
        ("!compare --dark --light", ("`--dark`", "`--light`")),
    ],
)
def test_contradicting_values_are_refused_naming_both(ctx, line, named):
    reply = run(ctx, line)
    assert reply.is_error and reply.usage_error
    assert all(n in first_line(reply) for n in named), reply.text
    assert "contradict each other" in first_line(reply)


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("!compare 2019 2020", "you gave `2019` and `2020`"),
        ("!ratio NeurIPS 2019 2020", "you gave 2019 and 2020"),
        ("!ratio NeurIPS ICML 2019", "To compare NeurIPS and ICML"),
        ("!source NeurIPS 2019 2020", "you gave NeurIPS, 2019 and 2020"),
        ("!metrics stars downloads", "you gave `github-stars` and `pypi-downloads`"),
    ],
)
def test_one_of_a_kind_names_what_was_given(ctx, line, named):
    reply = run(ctx, line)
    assert reply.is_error and named in first_line(reply), reply.text
    assert "isn't a year" not in reply.text  # `!compare 2019 2020` blamed 2020


@pytest.mark.parametrize(
    ("line", "same_as"),
    [
        ("!trend stars since 2020 since 2020", "!trend stars since 2020"),
        ("!trend github stars", "!trend stars"),  # two names of one metric
        ("!compare 2019 19", "!compare 2019"),
        ("!compare 2019 --light light", "!compare 2019 --light"),
    ],
)
def test_the_same_value_twice_is_not_a_contradiction(ctx, line, same_as):
    reply = run(ctx, line)
    assert not reply.is_error, reply.text
    assert reply.text == run(ctx, same_as).text


# -- a damaged store ------------------------------------------------------------------------------
def _damaged_copy(template: Path, target: Path, table: str) -> Path:
    """A copy of a real store with ``table``'s root page overwritten, as a disk fault or a
    copy cut short leaves it; the header (and so trendbot's stamp) intact."""
    src, dst = sqlite3.connect(template), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    root = dst.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    size = dst.execute("PRAGMA page_size").fetchone()[0]
    dst.close()
    with target.open("r+b") as f:
        f.seek((root - 1) * size)
        f.write(b"\xff" * size)
    return target


@pytest.mark.parametrize("table", ["meta", "venues", "paper_counts"])
def test_a_damaged_store_is_said_to_be_damaged(
    seeded_template, tmp_path, cli_env, monkeypatch, capsys, table
):
    bad = _damaged_copy(seeded_template, tmp_path / "trendbot.db", table)
    before = bad.read_bytes()
    for key, value in {**cli_env, "TRENDBOT_DB": str(bad)}.items():
        monkeypatch.setenv(key, value)
    status = main(["ask", "!ratio NeurIPS 2019"])
    captured = capsys.readouterr()
    said = captured.out + captured.err
    assert "is a trendbot store, but it is damaged" in said, said
    assert "Restore it from a backup" in said and "TRENDBOT_DB" in said
    assert "not a trendbot database" not in said and "Traceback" not in said
    assert "something went wrong" not in said  # damage found mid-query is not a bug report
    assert status in (1, 2)
    assert bad.read_bytes() == before  # never repaired or rewritten in place


def test_a_foreign_or_unreadable_file_is_not_called_a_damaged_store(tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_bytes(b"my notes " * 500)
    with pytest.raises(StoreError, match="not a trendbot database") as err:
        open_store(notes)
    assert "damaged" not in str(err.value)
    # An SQLite header with no trendbot stamp and unreadable pages: whose it is cannot be told.
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    raw = bytearray(other.read_bytes())
    raw[100:] = b"\xff" * (len(raw) - 100)
    other.write_bytes(bytes(raw))
    with pytest.raises(StoreError, match="cannot tell whose it is") as err:
        open_store(other)
    assert "is a trendbot store" not in str(err.value)
    assert other.read_bytes() == bytes(raw)
    assert not os.path.exists(str(other) + "-wal")


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("!ratio NeurIPS 2024 jax", "`jax` is a framework, not a venue"),
        ("!ratio torch", "`torch` is a framework, not a venue"),
        ("!industry NeurIPS", "`neurips` is a venue, not a framework"),
        ("!method -5", "I don't know the counting method `-5`."),  # echoed as typed
    ],
)
def test_a_word_of_another_kind_is_named_as_what_it_is(ctx, line, says):
    reply = run(ctx, line)
    assert reply.is_error and first_line(reply).startswith(says), reply.text


def test_the_job_ads_total_is_a_clause_not_another_bracket(ctx):
    line = next(x for x in run(ctx, "!industry").text.splitlines() if x.startswith("**Hacker News"))
    assert ") (" not in line and line.endswith("; 409 job ads in all."), line


@pytest.mark.parametrize(
    "line", ["!table NeurIPS 2019", "!table", "!ratio NeurIPS 2019", "!chart NeurIPS", "!industry"]
)
def test_provenance_cites_only_what_the_reply_shows(ctx, line):
    """`!table` once ended "Method: modern rule (2026-11) · Source: none · collected unknown"
    for a method with no rows in it: a method with nothing shown has nothing to cite."""
    reply = run(ctx, line)
    assert not reply.is_error, reply.text
    text = "\n".join([reply.text, reply.footer or ""])
    assert "Source: none" not in text and "collected unknown" not in text, text


def test_compare_with_no_research_side_cites_and_spaces_only_what_it_shows(ctx):
    """Under a method with no counts yet, `!compare` once opened its table with a blank line
    and ended "Research: none · Industry: …"."""
    reply = run(ctx, "!compare --method modern")
    assert not reply.is_error, reply.text
    table = reply.text.split("```")[1].splitlines()
    assert table[1].strip() and table[2].startswith("PyPI downloads"), table[:3]
    assert "none" not in (reply.footer or "") and (reply.footer or "").startswith("Industry: ")
