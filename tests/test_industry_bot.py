"""The industry commands in the real discord.py bot, through the Discord API emulator on
127.0.0.1: `!industry` as an embed, `/trend` with typed, autocompleted options and its chart, an
@mention question. Expected numbers come from the store, read independently of the bot.
"""

from __future__ import annotations

from tests.support.bot_harness import running_bot
from trendbot.commands.industry_format import fmt_number, fw_name
from trendbot.storage import metrics as mq
from trendbot.storage import open_store


async def test_industry_trend_and_a_question_end_to_end(tmp_path):
    with open_store(tmp_path / "expect.db") as store:
        months = {v.framework: v for v in mq.latest_values(store, "pypi-downloads-month")}
        stars = {v.framework: v for v in mq.latest_values(store, "github-stars", ["pytorch"])}
    async with running_bot(tmp_path) as r:
        emu = r.emu
        synced = {c["name"]: c for c in emu.commands}
        trend_opts = {o["name"]: o for o in synced["trend"]["options"]}
        assert trend_opts["metric"]["autocomplete"] and trend_opts["frameworks"]["autocomplete"]
        assert trend_opts["since"]["type"] == 4  # integer
        assert {"industry", "metrics", "compare"} <= set(synced)

        msg = await emu.wait_reply(await emu.user_says("!industry"))
        metrics = await emu.autocomplete("trend", {"metric": "pypi"}, focused="metric")
        fws = await emu.autocomplete("trend", {"frameworks": "pytorch j"}, focused="frameworks")
        rec = await emu.slash(
            "trend", {"metric": "github-stars", "frameworks": "pytorch", "since": 2024}
        )
        chart = await emu.wait_interaction(rec, timeout=60)
        asked = await emu.wait_reply(
            await emu.user_says(f"{emu.mention()} how many stars does pytorch have?")
        )
    (embed,) = msg.embeds
    assert "in industry" in embed["title"] and embed["footer"]["text"].startswith("Sources:")
    shown = msg.text()
    for fw, v in months.items():
        assert f"{fw_name(fw)} **{fmt_number(v.value)}**" in shown
    from trendbot.storage.catalog import load_catalog

    pypi = [m for m in load_catalog().names() if m.startswith("pypi")]
    assert [c["value"] for c in metrics][:3] == pypi[:3]  # catalogue order
    assert [c["value"] for c in fws] == ["pytorch jax"]
    assert rec.response_types == [5]  # a chart: deferred first
    (png,) = [f for f in chart.files if f.filename.endswith(".png")]
    assert png.data[:4] == b"\x89PNG" and png.description
    assert chart.embeds[0]["image"]["url"] == f"attachment://{png.filename}"
    assert fmt_number(stars["pytorch"].value) in chart.text()
    assert asked.content.startswith("I read that as `!industry pytorch`")
    assert fmt_number(stars["pytorch"].value) in asked.text()
