"""The ``code`` method in chat: `!ratio`, `!chart`, `!papers`, `!paper`, `!method`, `!source`,
`!compare` and the collect hints, over venue-years written exactly as a collection writes them
(``tests/support/code_data.py``: links with ``save_results``, repositories with ``save_repos``).
Expected numbers come from the plan there, counted by hand."""

from __future__ import annotations

import re

import pytest

from tests.support.code_data import EXPECTED, READ_AT, code_method, write_code_years
from trendbot.bot.cogs.hybrid import join_args
from trendbot.bot.cogs.papers import FRAMEWORKS
from trendbot.commands import run
from trendbot.commands.reply import MAX_CONTENT
from trendbot.storage import papers as db


@pytest.fixture
def coded(ctx):
    write_code_years(ctx.store)
    return ctx


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f} %"


def test_ratio_gives_shares_of_the_repositories_read_and_how_many_papers_that_is(coded):
    want = EXPECTED[2024]
    reply = run(coded, "!ratio NeurIPS 2024 --method code")
    assert not reply.is_error, reply.text
    text = reply.text
    assert (
        f"of {want['accepted']} accepted papers, {want['linked']} link their own code; the "
        "repositories of 18 were read (1 gone, 1 empty); 1 is on GitLab, which this rule does "
        "not read; 1 is not read yet." in text
    )
    total = want["total"]
    assert f"PyTorch **{pct(want['pytorch'], total)}** ({want['pytorch']})" in text
    assert f"JAX {pct(2, total)} (2)" in text and f"several {pct(1, total)} (1)" in text
    assert f"shares of the {total} papers whose own repository was read and decided" in text
    assert f"{pct(total, want['accepted'])} of all {want['accepted']}" in text
    # caveats: a paper not searched (it failed), a repository not read, a thin base
    assert "1 of the 23 papers has not been searched for links" in text
    assert "1 repository is not read yet" in text
    assert "fewer than 30 papers" in text
    # provenance: the listing, GitHub and when, the rules
    assert reply.footer.startswith(
        "Method: code rule (2026-12; links links-1; repositories code-1)"
    )
    assert f"Repositories: GitHub, read {READ_AT[0][:10]} to {READ_AT[1][:10]}" in reply.footer
    assert "Papers: NeurIPS proceedings (example data), listed" in reply.footer
    assert reply.command == "ratio NeurIPS 2024 --method code"
    assert run(coded, "/ratio venue:NeurIPS year:2024 method:code").text == text


def test_ratio_trend_and_year_tables(coded):
    trend = run(coded, "!ratio NeurIPS --method code")
    assert not trend.is_error, trend.text
    assert re.findall(r"^(20\d\d) ", trend.text, re.M) == ["2023", "2024"]
    assert f"PyTorch {pct(5, 8)} → {pct(11, 16)}" in trend.text
    assert "8 of 10" in trend.text and "16 of 23" in trend.text  # read of all papers, per year
    assert "papers without code are not counted" in trend.text
    year = run(coded, "!ratio 2024 --method code")
    assert not year.is_error and "NeurIPS" in year.text and "of the 16 papers" in year.text


def test_chart_draws_code_shares_with_the_same_numbers(coded):
    reply = run(coded, "!chart NeurIPS --method code")
    assert not reply.is_error, reply.text
    assert reply.files and reply.files[0].data.startswith(b"\x89PNG")
    assert f"PyTorch {pct(11, 16)}" in reply.text and "Repositories: GitHub" in reply.footer
    bars = run(coded, "!chart 2024 --method code")
    assert not bars.is_error and bars.files
    refused = run(coded, "!chart counts NeurIPS --method code")
    assert refused.is_error and "`!chart NeurIPS --method code`" in refused.text


def test_papers_lists_each_paper_with_its_repository_and_evidence(coded):
    jax = run(coded, "!papers NeurIPS 2024 jax --method code")
    assert not jax.is_error, jax.text
    assert "2 of the 20 papers linking their own code" in jax.text
    assert '`pyproject.toml: "jax[cuda12]>=0.4.20"`' in jax.text
    assert "<https://github.com/flowlab/eqflow>" in jax.text
    first = run(coded, "!papers NeurIPS 2024 pytorch --method code")
    assert "11 of the 20" in first.text and "`requirements.txt: torch>=2.1`" in first.text
    pages = int(re.search(r"page 1 of (\d+)", first.text).group(1))
    seen = re.findall(r"^(\d+)\. ", first.text, re.M)
    for n in range(2, pages + 1):
        page = run(coded, f"!papers NeurIPS 2024 pytorch --method code page {n}")
        assert len(page.text) <= MAX_CONTENT
        seen += re.findall(r"^(\d+)\. ", page.text, re.M)
    assert seen == [str(i) for i in range(1, 12)]  # every PyTorch paper once, in order
    gone = run(coded, "!papers NeurIPS 2024 gone")  # only the code method has it: no flag needed
    assert "Vanished Benchmarks" in gone.text and "404" in gone.text
    assert "Kernels on GitLab" in run(coded, "!papers NeurIPS 2024 gitlab --method code").text
    assert "Waiting for the Quota" in run(coded, "!papers NeurIPS 2024 unread --method code").text
    keras = run(coded, "!papers NeurIPS 2024 keras --method code")
    assert keras.is_error and "Keras counts as TensorFlow" in keras.text
    wrong = run(coded, "!papers NeurIPS 2024 gone --method modern")
    assert wrong.is_error and "--method code" in wrong.text
    overview = run(coded, "!papers NeurIPS 2024 --method code")
    assert "`!papers NeurIPS 2024 gone --method code`" in overview.text


def test_every_slash_choice_of_papers_works_under_the_code_method(coded):
    for choice in FRAMEWORKS:
        line = join_args("NeurIPS", 2024, choice.value, method="code")  # what the cog sends
        reply = run(coded, f"!papers {line}")
        if choice.value in {"failed", "no-text", "both", "keras"}:
            assert reply.is_error and "code" in reply.text, choice.value
        else:
            assert not reply.is_error, (choice.value, reply.text)


def test_paper_shows_its_own_repository_why_and_what_it_uses(coded):
    store = coded.store
    lines = run(coded, "!paper sparse mixtures vision").text
    assert "own repository <https://github.com/shared/sparse-moe>: first page" in lines
    assert "also links: github.com/pytorch/vision (a cited tool)" in lines
    assert "its code uses PyTorch: `requirements.txt: torch>=2.1`" in lines
    assert "links no code" in run(coded, "!paper pure theory of attention").text
    assert "repository not read yet" in run(coded, "!paper waiting for the quota").text
    assert "gone when read" in run(coded, "!paper vanished benchmarks").text
    # A paper read before the code method existed: its text was never searched for links.
    final = store.default_method()
    paper = db.ListedPaper("neurips:2022:t0", "An Older Text Only Paper", ("A",), "u", "main", True)
    db.save_listing(store.conn, venue_id="neurips", year=2022, source_id="trendbot-neurips",
                    population="accepted", papers=[paper])  # fmt: skip
    db.save_results(
        store.conn, [db.PaperResult(paper.id, "ok", pages=3, rules={final.id: final.version})]
    )
    assert "its text has not been searched for links yet" in run(coded, "!paper older text").text


def test_method_listing_stays_short_and_code_is_explained(ctx):
    listing = run(ctx, "!method")
    assert not listing.files and len(listing.text) <= MAX_CONTENT
    assert len(re.findall(r"^- `", listing.text, re.M)) == len(ctx.store.methods())
    code = run(ctx, "!method code")
    assert not code.files and len(code.text) <= MAX_CONTENT
    for words in ("Population", "Own repository (rule links-1)", "rule code-1", "torch",
                  "papers without code are not counted", "can change after the paper"):  # fmt: skip
        assert words in code.text, words


def test_source_and_compare_carry_the_code_provenance(coded):
    source = run(coded, "!source NeurIPS 2024 --method code")
    assert "Population: of 23 accepted papers, 20 link their own code" in source.text
    assert "Repositories: GitHub, read 2026-12-02 to 2026-12-03" in source.text
    assert "count in the total" not in source.text  # failed papers are not in the code total
    compare = run(coded, "!compare --method code")
    assert not compare.is_error, compare.text
    row = next(line for line in compare.text.splitlines() if line.startswith("Papers' own code"))
    assert pct(11, 14) in row  # PyTorch of the 14 repositories using exactly one framework
    assert "GitHub, repositories read 2026-12-02 to 2026-12-03" in compare.footer


def test_a_venue_year_without_code_counts_gets_the_collect_command(ctx):
    reply = run(ctx, "!ratio NeurIPS 2024 --method code")
    assert reply.is_error
    assert "`trendbot collect papers --venue NeurIPS --year 2024`" in reply.text
    assert "GITHUB_TOKEN" in reply.text and "only the study's published counts" not in reply.text
    trend = run(ctx, "!ratio CVPR --method code")
    assert "The final method has CVPR" in trend.text and "trendbot collect papers" in trend.text
    assert code_method(ctx.store).is_code
