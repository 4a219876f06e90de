"""Every command through `run`, exactly as the bot and the console call it."""

from __future__ import annotations

import logging
import re

import pytest

from trendbot.commands import REGISTRY, CommandSpec, invoke, run
from trendbot.commands.reply import LONG_REPLY_FILENAME, MAX_CONTENT


def numbers(text: str) -> list[str]:
    return re.findall(r"\d[\d,]*(?:\.\d+)?", text)


def test_ratio_venue_year(ctx):
    reply = run(ctx, "!ratio NeurIPS 2019")
    assert not reply.is_error
    assert "PyTorch 182" in reply.text and "TensorFlow 104" in reply.text
    assert "1,427" in reply.text and "63.6 %" in reply.text and "1.75 : 1" in reply.text
    assert "final rule" in reply.text and "Horace He" in reply.text and "2021-10-22" in reply.text
    assert reply.command == "ratio NeurIPS 2019"
    assert reply.title == "NeurIPS 2019: PyTorch vs TensorFlow"
    values = {f.name: f.value for f in reply.fields}
    assert values["PyTorch"].startswith("182") and values["TensorFlow"].startswith("104")
    assert values["Papers"] == "1,427"
    assert "Method: final rule (2021-10-22)" in reply.footer
    assert reply.data_version == ctx.store.data_version()


@pytest.mark.parametrize(
    "line",
    [
        "!ratio nips 19",
        "!ratio neurips'19",
        "!ratio NeurIPS2019",
        "ratio 2019 nips",
        "!share NIPS 2019",
        "/ratio venue:NeurIPS year:2019",
    ],
)
def test_spellings_give_the_identical_answer(ctx, line):
    expected = run(ctx, "!ratio NeurIPS 2019")
    got = run(ctx, line)
    assert got.text == expected.text and got.fields == expected.fields


def test_ratio_cvpr_both_methods(ctx):
    final = run(ctx, "!ratio CVPR 2019")
    assert "PyTorch 294" in final.text and "TensorFlow 148" in final.text and "1,294" in final.text
    article = run(ctx, "!ratio CVPR 2019 --method article")
    assert "PyTorch 280" in article.text and "TensorFlow 125" in article.text
    assert "article rule (2019-10-10)" in article.text
    assert article.command == "ratio CVPR 2019 --method article"


def test_ratio_tensorflow_ahead_and_zero_years(ctx):
    r2018 = run(ctx, "!ratio NeurIPS 2018")
    assert "36.8 %" in r2018.text and "1 : 1.72" in r2018.text
    r2015 = run(ctx, "!ratio NeurIPS 2015")
    assert not r2015.is_error
    assert "No paper mentions exactly one of the two (403 accepted papers)." in r2015.text


def test_ratio_submissions_are_flagged(ctx):
    reply = run(ctx, "!ratio ICLR 2021")
    assert "submissions" in reply.text and "3,012" in reply.text
    partial = run(ctx, "!ratio NeurIPS 2019 --article")
    assert "partial list of 1,400 papers" in partial.text


def test_ratio_venue_trend(ctx):
    reply = run(ctx, "!ratio CVPR")
    assert not reply.is_error
    assert "rose from 0.0 % in 2016 to 78.7 % in 2020" in reply.text
    assert "first passed TensorFlow in 2019" in reply.text
    years = re.findall(r"^(20\d\d) ", reply.text, re.M)
    assert years == ["2015", "2016", "2017", "2018", "2019", "2020"]
    assert [f.name for f in reply.fields] == years


def test_ratio_year_sorted_with_overall_share(ctx):
    reply = run(ctx, "!ratio 2019")
    rows = re.findall(r"^(\w+)\s+[\d,]+\s+[\d,]+\s+([\d.]+) %", reply.text, re.M)
    shares = [float(s) for _, s in rows]
    assert shares == sorted(shares, reverse=True) and len(rows) == 8
    assert rows[0][0] == "EMNLP"
    pt = 146 + 127 + 263 + 73 + 294 + 182 + 86 + 76
    tf = 38 + 50 + 112 + 33 + 148 + 104 + 86 + 76
    assert f"PyTorch {pt:,} vs TensorFlow {tf:,}" in reply.text
    assert f"{pt / (pt + tf) * 100:.1f} %" in reply.text


def test_ratio_errors_are_friendly(ctx):
    cases = {
        "!ratio NIPZ 2019": "Did you mean **NeurIPS**",
        "!ratio NeurIPS 2023": "NeurIPS years covered: 2015–2020",
        "!ratio 2031": "Years covered: 2015–2022",
        "!ratio": "Which venue or year",
        "!ratio NeurIPS CVPR 2019": "One venue at a time",
        "!ratio NeurIPS 2018 2019": "One year at a time",
        "!ratio ICLR 2021 --method article": "The final method has ICLR 2021",
    }
    for line, expected in cases.items():
        reply = run(ctx, line)
        assert reply.is_error and reply.ephemeral, line
        assert expected in reply.text, (line, reply.text)
    usage = run(ctx, "!ratio NeurIPS CVPR 2019").text
    assert "Usage: `!ratio <venue> [year] | <year> [--method article]`" in usage


def test_prefix_is_used_in_replies(store):
    from trendbot.commands import Context

    reply = run(Context(store=store, prefix="?"), "?ratio")
    assert "`?ratio <venue>" in reply.text


def test_venues(ctx):
    reply = run(ctx, "!venues")
    assert not reply.is_error
    for name in ["NeurIPS", "ICML", "ICLR", "CVPR", "ICCV", "ECCV", "ACL", "EMNLP", "NAACL"]:
        assert name in reply.text
    assert "NeurIPS 2015–2020 (article: 2015–2019)" in reply.text
    assert "ICCV 2017, 2019" in reply.text
    assert "`article`" in reply.text and "Horace He" in reply.text
    assert run(ctx, "!venues extra").is_error


def test_about_and_method(ctx):
    about = run(ctx, "!about")
    assert "papers naming both count for neither" in about.text
    assert "github.com/Chillee/pytorch-vs-tensorflow" in about.text
    method = run(ctx, "!method article")
    assert "keras" not in method.text.split("TensorFlow terms:")[1].split(".")[0]
    assert "google brain" in method.text
    final = run(ctx, "!method final")
    assert "keras" in final.text and "left out" not in final.text
    both = run(ctx, "!method")
    # Every method's description (four with `code`) is longer than a message: the full answer
    # is the attached text.
    full = both.text + "".join(f.data.decode() for f in both.files if not f.is_image)
    assert "final" in full and "article" in full and "code" in full
    assert run(ctx, "!method nonsense").is_error


def test_source_gives_provenance(ctx):
    reply = run(ctx, "!source CVPR 2019 --method article")
    assert "280" in reply.text and "125" in reply.text
    assert "037347d" in reply.text and "Collected: 2019-10-10" in reply.text
    assert "google brain" in reply.text
    assert run(ctx, "!source CVPR").is_error
    assert "CVPR years covered" in run(ctx, "!source CVPR 2025").text


def test_help_lists_every_command_and_each_has_help(ctx):
    reply = run(ctx, "!help")
    for name in REGISTRY:
        assert f"`!{name}" in reply.text, name
        detail = run(ctx, f"!help {name}")
        assert not detail.is_error and REGISTRY[name].summary in detail.text
    assert run(ctx, "!help nope").is_error
    assert len(reply.text) <= MAX_CONTENT


def test_table_goes_out_as_a_file(ctx):
    reply = run(ctx, "!table")
    assert len(reply.text) <= MAX_CONTENT
    (attachment,) = reply.files
    assert attachment.filename == LONG_REPLY_FILENAME
    body = attachment.data.decode()
    assert "final,NeurIPS,2019,182,104,63.6%,1427" in body
    assert "article,CVPR,2019,280,125,69.1%,1294" in body
    assert body.count("\n") > 60
    small = run(ctx, "!table CVPR 2019 --method article")
    assert not small.files and "article,CVPR,2019,280,125" in small.text


def test_unknown_command_suggests(ctx):
    reply = run(ctx, "!rato NeurIPS 2019")
    assert reply.is_error and "Did you mean `!ratio`?" in reply.text
    assert "isn't a command" in run(ctx, "!@everyone").text
    assert not run(ctx, "!@everyone").text.count("@everyone")


def test_unexpected_error_is_logged_with_reference(ctx, caplog):
    def broken(_ctx, _args):
        raise RuntimeError("database on fire")

    spec = CommandSpec("broken", broken, "", "test")
    with caplog.at_level(logging.ERROR, logger="trendbot.commands"):
        reply = invoke(ctx, spec, "x")
    ref = re.search(r"reference `([0-9a-f]{8})`", reply.text).group(1)
    assert reply.is_error and "database on fire" not in reply.text
    assert ref in caplog.text and "database on fire" in caplog.text


def test_venue_without_counts_under_a_method_points_to_the_other(ctx):
    ctx.store.conn.execute(
        "DELETE FROM paper_counts WHERE venue_id = 'eccv' AND method_id = ?", ("he2019-final",)
    )
    ctx.store.conn.commit()
    for line in ("!ratio ECCV", "!chart ECCV"):
        reply = run(ctx, line)
        assert reply.is_error, line
        assert reply.text.startswith(
            "I have no counts for ECCV under the final method. "
            "The article method has ECCV: add `--method article`."
        ), reply.text
