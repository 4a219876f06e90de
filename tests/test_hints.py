"""Hints lead somewhere (issue 17, item 6): a reply that suggests a collect command or another
method suggests one that would answer, and says why when there is nothing to collect.

The check of every hint is the collectors' own: each `trendbot collect papers …` a reply names
is handed to ``collectors.papers.collect.targets``, which must find exactly the venue-years the
hint promised; each `--method X` a reply suggests is run and must answer."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime

import pytest

from tests.support import paper_data as data
from tests.test_cli import TRENDBOT
from trendbot.cli import main
from trendbot.collectors.papers import openreview
from trendbot.collectors.papers.collect import targets
from trendbot.commands import Context, run
from trendbot.storage.collectable import VENUES

COLLECT = re.compile(r"`trendbot collect papers --venue (\S+)((?: --year \d+)*)`")
METHOD = re.compile(r"add `--method (\w+)`")
NOW = datetime.now(UTC).year


def collect_commands(text: str) -> list[tuple[list[str], list[int]]]:
    return [
        (venues.split(","), [int(y) for y in re.findall(r"\d+", years)])
        for venues, years in COLLECT.findall(text)
    ]


def leads_to(store, venues: list[str], years: list[int]) -> list[tuple[str, int]]:
    """What `trendbot collect papers --venue … --year …` would collect, by the collectors."""
    names = [v for n in venues for v in (VENUES if n == "all" else [n])]
    return targets(store, names, years or None, None)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("!ratio ICCV 2024", "ICCV is held in odd years only, so there is no ICCV 2024."),
        ("!ratio ECCV 2019", "ECCV is held in even years only, so there is no ECCV 2019."),
        ("!ratio NAACL 2020", "NAACL did not meet in 2020"),
        ("!ratio NAACL 2023 --method modern", "NAACL did not meet in 2023"),
        ("!ratio ICLR 2016", "trendbot lists ICLR only from 2018."),
        ("!ratio NeurIPS 2031", "NeurIPS 2031 has not happened yet."),
        ("!chart ICCV 2024", "ICCV is held in odd years only"),
        ("!papers ECCV 2023", "ECCV is held in even years only"),
        ("!source NAACL 2020", "NAACL did not meet in 2020"),
        ("!table ICCV 2024", "ICCV is held in odd years only"),
    ],
)
def test_a_venue_year_that_never_met_says_why_and_suggests_no_collection(ctx, line, says):
    reply = run(ctx, line)
    assert reply.is_error and says in reply.text, reply.text
    assert "trendbot collect" not in reply.text
    assert "Traceback" not in reply.text


def test_every_venue_year_hint_is_what_the_collectors_would_collect(ctx):
    """Every venue and year from 2010 to two years ahead, as `!ratio` and `!papers` ask them:
    a suggested collection collects exactly that venue-year, and a venue-year the collectors
    can list and nothing counts is always suggested."""
    store = ctx.store
    for name in VENUES:
        for year in range(2010, NOW + 3):
            can = targets(store, [name], [year], None)
            for line in (f"!ratio {name} {year} --method modern", f"!papers {name} {year}"):
                reply = run(ctx, line)
                commands = collect_commands(reply.text)
                for vs, ys in commands:
                    assert leads_to(store, vs, ys) == [(name, year)], (line, reply.text)
                assert bool(commands) == bool(can), (line, reply.text)


@pytest.mark.parametrize("year", [2016, 2017, 2020, 2023, 2024, NOW])
def test_a_year_alone_suggests_collecting_every_venue_held_that_year(ctx, year):
    reply = run(ctx, f"!ratio {year} --method modern")
    assert reply.is_error
    [(venues, years)] = collect_commands(reply.text)
    assert years == [year]
    expected = targets(ctx.store, list(VENUES), [year], None)
    assert leads_to(ctx.store, venues, years) == expected
    assert all(name in reply.text for name, _ in expected)
    assert "the network" in reply.text and re.search(r"roughly [\d.]+ (minutes|hours)", reply.text)


@pytest.mark.parametrize("command", ["ratio", "table", "chart"])
def test_a_year_with_no_counts_hints_at_collecting_it(ctx, command):
    reply = run(ctx, f"!{command} 2024")
    assert reply.is_error and "I have no counts for 2024" in reply.text
    assert "`trendbot collect papers --venue all --year 2024`" in reply.text
    assert "ICCV" not in reply.text.split("collect")[1]  # no ICCV in even years


def test_another_method_is_suggested_only_when_it_has_the_venue_year(ctx):
    nothing = run(ctx, "!ratio NeurIPS 2024 --method modern")
    assert nothing.is_error and "--method final" not in nothing.text
    assert "The modern method has no NeurIPS year yet." in nothing.text
    assert "`trendbot collect papers --venue NeurIPS --year 2024`" in nothing.text
    # and where another method does have it, the suggestion answers
    for line in ("!ratio NeurIPS 2019 --method modern", "!ratio CVPR 2020 --method article"):
        reply = run(ctx, line)
        [method] = METHOD.findall(reply.text)
        assert not run(ctx, line.split(" --")[0] + f" --method {method}").is_error


def test_a_method_collections_never_count_under_says_so(ctx):
    reply = run(ctx, "!ratio CVPR 2023 --method article")
    assert "The article method has only the study's published counts" in reply.text
    assert "final, modern and code methods" in reply.text


def test_a_hint_to_collect_says_it_needs_the_network_and_how_long_it_takes(ctx):
    reply = run(ctx, "!ratio NeurIPS 2024")
    assert "it needs the network" in reply.text
    # NeurIPS 2020 (1,898 papers, the nearest stored year) at 2 PDFs a second: about 16 min
    assert "roughly 20 minutes or more" in reply.text and "NeurIPS 2020 had 1,898" in reply.text
    assert "OPENREVIEW" not in reply.text


def test_a_hint_to_collect_iclr_names_the_openreview_credentials(ctx):
    reply = run(ctx, "!ratio ICLR 2024")
    assert "`trendbot collect papers --venue ICLR --year 2024`" in reply.text
    for variable in openreview.CREDENTIALS:  # the names the collector reads
        assert f"`{variable}`" in reply.text
    assert "one every 2 seconds" in reply.text and "hours" in reply.text


def test_industry_for_a_framework_with_no_figures_says_which_have_them(ctx):
    reply = run(ctx, "!industry mindspore")
    assert reply.is_error, reply.text
    assert "no industry figures for MindSpore yet" in reply.text
    assert "PyTorch, TensorFlow, JAX, Keras, MXNet, PaddlePaddle" in reply.text
    assert "Sources: none" not in reply.text and "collected unknown" not in reply.text
    assert "`!industry pytorch`" in reply.text and not run(ctx, "!industry pytorch").is_error


def test_industry_overview_leaves_out_signals_with_nothing_for_the_frameworks_asked(ctx):
    reply = run(ctx, "!industry mindspore paddlepaddle")
    assert not reply.is_error
    assert "No industry figures for MindSpore yet." in reply.text
    assert "):  (" not in reply.text  # a line with only the month's total and no figure
    assert "Hacker News" not in reply.text  # no PaddlePaddle job-ad figure


def test_paper_search_on_an_empty_store_suggests_the_year_named_or_none(ctx):
    plain = run(ctx, "!paper attention is all you need")
    assert plain.is_error and "has not collected any papers yet" in plain.text
    assert "--venue <venue> --year <year>" in plain.text
    assert not re.search(r"--year \d", plain.text)
    dated = run(ctx, "!paper attention is all you need 2017")
    [(venues, years)] = collect_commands(dated.text)
    assert years == [2017] and leads_to(ctx.store, venues, years)
    assert "2024" not in dated.text
    named = run(ctx, "!paper attention is all you need nips 2017")
    assert "`trendbot collect papers --venue NeurIPS --year 2017`" in named.text
    never = run(ctx, "!paper deep residual learning iccv 2016")
    assert "ICCV is held in odd years only" in never.text and "trendbot collect" not in never.text


def test_paper_search_names_an_uncollected_venue_year_asked_for(collected):
    ctx = Context(store=collected, prefix="!")
    reply = run(ctx, "!paper attention neurips 2018")
    assert "I know the papers of" in reply.text
    assert "`trendbot collect papers --venue NeurIPS --year 2018`" in reply.text
    known = run(ctx, "!paper nothing like this neurips 2024")
    assert "trendbot collect" not in known.text  # NeurIPS 2024 is collected: no hint


@pytest.fixture
def collected(store):
    data.load_all(store)
    return store


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--venue", "ICCV", "--year", "2024"],
            "ICCV is held in odd years only, so there is no ICCV 2024",
        ),
        (
            ["--venue", "ECCV", "--year", "2019"],
            "ECCV is held in even years only, so there is no ECCV 2019",
        ),
        (
            ["--venue", "NAACL", "--year", "2020"],
            "NAACL did not meet in 2020 (EACL or a joint meeting took its slot)",
        ),
        (["--venue", "Findings", "--year", "2019"], "trendbot lists Findings only from 2020"),
    ],
)
def test_collect_of_a_venue_year_that_never_met_says_why(tmp_path, capsys, args, says):
    code = main(["--db", str(tmp_path / "t.db"), "collect", "papers", *args])
    err = capsys.readouterr().err
    assert code == 2 and err.strip() == f"trendbot: no venue-year to collect: {says}.", err


@pytest.mark.skipif(TRENDBOT is None, reason="the trendbot script is not installed")
@pytest.mark.parametrize("flag", ["--year", "--since"])
def test_collect_of_a_year_to_come_is_refused_as_the_flag_is_read(tmp_path, capsys, flag):
    with pytest.raises(SystemExit) as stop:
        main(["--db", str(tmp_path / "t.db"), "collect", "papers", flag, str(NOW + 5)])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.strip() == (
        f"trendbot collect papers: error: argument {flag}: {NOW + 5} is in the future (this year "
        f"is {NOW}); see trendbot collect papers --help"
    ), err


@pytest.mark.skipif(TRENDBOT is None, reason="the trendbot script is not installed")
def test_collect_of_a_venue_year_that_never_met_says_why_as_a_process(cli_env):
    proc = subprocess.run([TRENDBOT, "collect", "papers", "--venue", "ICCV", "--year", "2024"],
                          env=cli_env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr == (
        "trendbot: no venue-year to collect: ICCV is held in odd years only, so there is no "
        "ICCV 2024.\n"
    )
