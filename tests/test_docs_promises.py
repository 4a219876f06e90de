"""What the README and the manual promise, kept (issue 17, item 11): every venue a reply names
is in the README and `!venues`; `!compare` takes `--method` as every command reading counts does;
`!trend jobs` shows the month's totals; `trendbot collect --status` shows a venue-year whose
listing failed, with the failure."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.loopback import Loopback, Reply
from tests.test_collect_papers import YEAR, collect
from trendbot.cli import main
from trendbot.commands import run
from trendbot.storage import open_store

ROOT = Path(__file__).resolve().parents[1]


def test_every_venue_a_reply_names_is_in_the_readme_and_in_venues(ctx):
    unknown = run(ctx, "!ratio Narnia 2019")
    named = unknown.text.split("Venues I cover: ")[1].split(".")[0].split(", ")
    assert "Findings" in named
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    venues = run(ctx, "!venues")
    for name in named:
        assert re.search(rf"\b{name}\b", readme), name
        assert re.search(rf"\b{name}\b", venues.text), name
        assert any(name in f.value for f in venues.fields), name
    assert "Findings: none yet (trendbot's collections only, from 2020)" in venues.text


def _shares_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Papers (study)"))


def test_compare_takes_method_and_counts_the_research_side_under_it(ctx):
    store = ctx.store
    article = next(m for m in store.methods().values() if m.name == "article")
    reply = run(ctx, "!compare 2019 --method article")
    assert not reply.is_error, reply.text
    # the article's 2019 counts, summed over the venues it covers, straight from the store
    rows = [r for v in store.venues() if (r := store.venue_year(v, 2019, article.id))]
    pt = sum(r.counts.get("pytorch", 0) for r in rows)
    tf = sum(r.counts.get("tensorflow", 0) for r in rows)
    assert f"{100 * pt / (pt + tf):.1f} %" in _shares_line(reply.text)
    named = ", ".join(sorted(f"{store.venues()[r.venue_id].name} 2019" for r in rows))
    assert f"article rule: {named};" in reply.text
    assert f"{pt + tf:,} papers naming exactly one" in reply.text
    assert reply.command == "compare 2019 --method article"
    default = run(ctx, "!compare 2019")
    assert _shares_line(default.text) != _shares_line(reply.text)
    for spelling in ("!compare 2019 --article", "!compare method:article 2019"):
        assert run(ctx, spelling).text == reply.text
    assert run(ctx, "!compare 2019 --method final").text == default.text


def test_compare_under_a_method_with_no_counts_says_so(ctx):
    reply = run(ctx, "!compare --method modern")
    assert not reply.is_error
    assert "No paper counts under the modern method" in reply.text
    assert "Papers (study)" not in reply.text
    later = run(ctx, "!compare 2024 --method article")
    assert "No paper counts for 2024 under the article method; it covers 2015–2020." in later.text


def test_compare_refuses_what_it_does_not_take_in_one_sentence(ctx):
    assert "isn't a year" in run(ctx, "!compare soon").text
    assert "takes one year; you gave" in run(ctx, "!compare 2018 2019").text
    assert "`!ratio NeurIPS`" in run(ctx, "!compare NeurIPS").text
    assert "I don't know the counting method" in run(ctx, "!compare --method nope").text
    assert "ask for two counting methods" in run(ctx, "!compare --article --final").text


def test_every_counting_command_takes_method(ctx):
    """The README: every command takes `--method` where it reads paper counts."""
    for line in (
        "!ratio NeurIPS 2019",
        "!ratio 2019",
        "!chart NeurIPS",
        "!table 2019",
        "!source NeurIPS 2019",
        "!compare 2019",
    ):
        reply = run(ctx, f"{line} --method article")
        assert not reply.is_error, (line, reply.text)


def _all_per_year(store) -> dict[int, int]:
    rows = store.conn.execute(
        "SELECT substr(date, 1, 4), sum(value) FROM metrics"
        " WHERE metric = 'hn-hiring' AND framework = '_all' GROUP BY 1"
    )
    return {int(y): round(v) for y, v in rows}


def test_trend_jobs_shows_the_months_totals(ctx):
    reply = run(ctx, "!trend jobs")
    assert not reply.is_error
    table = reply.text.split("```")[1].strip().splitlines()
    assert table[0].split()[-2:] == ["in", "all"]
    totals = _all_per_year(ctx.store)
    for line in table[1:]:
        year = int(line.split()[0].rstrip("*"))
        assert line.split()[-1] == f"{totals[year]:,}", line
    newest = ctx.store.conn.execute(
        "SELECT date, value FROM metrics WHERE metric = 'hn-hiring' AND framework = '_all'"
        " ORDER BY date DESC LIMIT 1"
    ).fetchone()
    assert f"of {round(newest[1]):,} job ads ({newest[0][:10]})" in reply.text
    assert f"of {round(newest[1]):,}" in reply.fields[0].value
    assert "in all = all top-level comments in the thread" in reply.text
    # a metric without a month's total keeps its table as it was
    stars = run(ctx, "!trend github-stars")
    assert "in all" not in stars.text and " of " not in stars.text.splitlines()[0]


async def test_collect_status_shows_a_venue_year_whose_listing_failed(tmp_path, capsys):
    db = tmp_path / "t.db"
    store = open_store(db)
    async with Loopback() as srv:
        srv.route(f"/CVPR{YEAR}", Reply.error(502))
        report = await collect(store, srv)
    store.close()
    assert report.error
    assert main(["--db", str(db), "collect", "--status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("venue-year ")
    [row] = [line for line in out.splitlines() if line.startswith(f"CVPR {YEAR}")]
    assert "trendbot-cvf" in row and "not listed" in row
    assert row.endswith(f"failed: {report.error}")
    assert "Nothing collected yet" not in out


async def test_the_bots_status_names_a_venue_year_whose_listing_failed(tmp_path):
    from tests.support.bot_harness import running_bot

    store = open_store(tmp_path / "bot.db")  # the store the bot below opens
    async with Loopback() as srv:
        srv.route(f"/CVPR{YEAR}", Reply.error(502))
        report = await collect(store, srv)
    store.close()
    async with running_bot(tmp_path) as r:
        emu = r.emu
        ok = await emu.wait_reply(await emu.user_says("!status", user=emu.owner_user))
    text = ok.text()
    assert f"Papers not listed: 1 venue-year · newest CVPR {YEAR}" in text
    assert report.error in text and "nothing collected yet" not in text
