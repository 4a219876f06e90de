"""`/papers` and `!paper` through the real discord.py bot and the Discord API emulator."""

from __future__ import annotations

from tests.support.bot_harness import running_bot
from tests.support.paper_data import load_all
from trendbot.commands.reply import MAX_CONTENT
from trendbot.storage import open_store, paper_queries


def _collected(tmp_path):
    with open_store(tmp_path / "bot.db") as store:
        load_all(store)
        modern = next(m for m in store.methods().values() if m.name == "modern")
        total, _ = paper_queries.papers_behind(
            store.conn, "neurips", 2024, modern.id, "jax", limit=0
        )
        titles = [
            p.title
            for p in paper_queries.papers_behind(store.conn, "neurips", 2024, modern.id, "jax")[1]
        ]
    return total, titles


async def test_slash_papers_defers_offers_collected_years_and_pages(tmp_path):
    total, titles = _collected(tmp_path)
    async with running_bot(tmp_path) as r:
        emu = r.emu
        synced = {c["name"]: c for c in emu.commands}
        options = {o["name"]: o for o in synced["papers"]["options"]}
        assert options["venue"]["autocomplete"] and options["year"]["autocomplete"]
        assert {c["value"] for c in options["framework"]["choices"]} >= {"jax", "both", "failed"}
        assert options["page"]["type"] == 4 and options["page"]["min_value"] == 1
        years = await emu.autocomplete("papers", {"venue": "NeurIPS", "year": ""}, "year")
        assert [c["value"] for c in years][:2] == [2024, 2017]  # collected years first
        assert "papers collected" in years[0]["name"]
        assert "no papers" in years[2]["name"]  # then the study's years

        rec = await emu.slash("papers", {"venue": "NeurIPS", "year": 2024, "framework": "jax"})
        first = await emu.wait_interaction(rec)
        rec2 = await emu.slash(
            "papers", {"venue": "NeurIPS", "year": 2024, "framework": "jax", "page": 2}
        )
        second = await emu.wait_interaction(rec2)
    assert rec.response_types == [5] and rec2.response_types == [5]  # deferred first
    assert not first.ephemeral and len(first.content) <= MAX_CONTENT
    text = first.content + second.content
    assert f"JAX (modern rule): {total} of" in first.content
    assert all(t in text for t in titles)  # every JAX paper, across the two pages
    assert "`/papers NeurIPS 2024 jax page 2`" in first.content
    assert first.allowed_mentions == {"parse": []}


async def test_prefix_paper_answers_with_what_the_paper_names(tmp_path):
    _collected(tmp_path)
    async with running_bot(tmp_path) as r:
        msg = await r.emu.wait_reply(await r.emu.user_says("!paper SIDE by side keras pytorch"))
        hostile = await r.emu.wait_reply(await r.emu.user_says("!paper **bold** @everyone"))
    assert msg.content.startswith("**Keras and PyTorch Side by Side**")
    assert "final: names both PyTorch (`pytorch`) and TensorFlow (`keras`)" in msg.content
    assert "so it counts for neither" in msg.content
    assert "@everyone" not in hostile.content and "<@1" not in hostile.content
    assert hostile.allowed_mentions == {"parse": []}
