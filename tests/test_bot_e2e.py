"""The real discord.py bot, end to end, against the Discord API emulator on 127.0.0.1.

Each test starts the bot as ``trendbot run`` builds it, talks to it only through the emulator
(user messages, slash commands, faults) and asserts on what the bot sent over HTTP. Expected
numbers come from the store, never from literals copied out of a reply, except for the issue's
own anchor (NeurIPS 2019: 182 PyTorch, 104 TensorFlow papers).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading

import pytest

from tests.support.bot_harness import running_bot
from tests.support.discord_emulator import (
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILD_PRESENCES,
    INTENT_MESSAGE_CONTENT,
)
from trendbot.commands import REGISTRY
from trendbot.commands.reply import MAX_CONTENT
from trendbot.storage import open_store

NO_PINGS = {"parse": []}


def expected(tmp_path, venue: str, year: int):
    """The numbers the store holds (read independently of the bot)."""
    with open_store(tmp_path / "expect.db") as store:
        vid = store.aliases()[venue.lower()]
        return store.venue_year(vid, year, store.default_method().id)


# -- logging in ------------------------------------------------------------------------------


async def test_logs_in_identifies_and_registers_slash_commands(tmp_path):
    async with running_bot(tmp_path) as r:
        emu, bot = r.emu, r.bot
        paths = [(m, p) for m, p, _ in emu.requests]
        assert ("GET", "/api/v10/users/@me") in paths
        assert ("GET", "/api/v10/oauth2/applications/@me") in paths
        (identify,) = emu.identifies
        assert identify["token"] == emu.token
        intents = identify["intents"]
        assert intents & INTENT_GUILD_MESSAGES and intents & INTENT_MESSAGE_CONTENT
        assert not intents & (INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES)
        assert bot.get_guild(emu.guild_id) is not None
        synced = {c["name"]: c for c in emu.commands}
        assert set(REGISTRY) <= set(synced)
        ratio = {o["name"]: o for o in synced["ratio"]["options"]}
        assert ratio["venue"]["autocomplete"] and ratio["year"]["autocomplete"]
        assert ratio["year"]["type"] == 4  # integer
        assert all(len(c["description"]) <= 100 for c in emu.commands)


# -- prefix commands ---------------------------------------------------------------------------


async def test_ratio_prefix_replies_with_embed_and_provenance(tmp_path):
    async with running_bot(tmp_path) as r:
        mid = await r.emu.user_says("!ratio NeurIPS 2019")
        msg = await r.emu.wait_reply(mid)
    assert msg.via == "channel" and msg.channel_id == r.emu.channel_id
    (embed,) = msg.embeds
    text = msg.text()
    assert "182" in text and "104" in text
    assert embed["title"].startswith("NeurIPS 2019")
    footer = embed["footer"]["text"]
    assert "Method:" in footer and "Source:" in footer and "collected 20" in footer
    assert msg.allowed_mentions == NO_PINGS  # no "replied_user": the author is not pinged either


@pytest.mark.parametrize(
    "line",
    [
        "!ratio neurips'19 --method article",  # quotes would trip discord.py's own parser
        "!RATIO   nips 19 --article",  # case and spacing
        "!r NeurIPS2019 method:article",  # an alias, glued year, key:value option
    ],
)
async def test_prefix_arguments_reach_the_forgiving_parser_untouched(tmp_path, line):
    async with running_bot(tmp_path) as r:
        msg = await r.emu.wait_reply(await r.emu.user_says(line))
    with open_store(tmp_path / "x.db") as store:
        row = store.venue_year("neurips", 2019, "he2019-article")
    assert f"PyTorch\n{row.pytorch}" in msg.text() or f"PyTorch {row.pytorch}" in msg.text()
    assert "article" in msg.embeds[0]["footer"]["text"]


async def test_mention_works_as_a_prefix(tmp_path):
    row = expected(tmp_path, "ICML", 2019)
    async with running_bot(tmp_path) as r:
        msg = await r.emu.wait_reply(await r.emu.user_says(f"{r.emu.mention()} ratio ICML 2019"))
    assert str(row.pytorch) in msg.text() and str(row.tensorflow) in msg.text()


async def test_bad_venue_gets_a_friendly_reply_and_the_bot_keeps_going(tmp_path):
    async with running_bot(tmp_path) as r:
        bad = await r.emu.wait_reply(await r.emu.user_says("!ratio Narnia 2019"))
        good = await r.emu.wait_reply(await r.emu.user_says("!ratio nips 2019"))
    assert "I don't know the venue `narnia`" in bad.content
    assert "Usage:" in bad.content
    assert "Traceback" not in bad.content and not bad.embeds
    assert "182" in good.text()


async def test_long_reply_goes_out_as_a_text_file(tmp_path):
    async with running_bot(tmp_path) as r:
        msg = await r.emu.wait_reply(await r.emu.user_says("!table"))
    assert len(msg.content) <= MAX_CONTENT
    (txt,) = [f for f in msg.files if f.filename.endswith(".txt")]
    body = txt.data.decode()
    assert len(body) > MAX_CONTENT
    with open_store(tmp_path / "x.db") as store:
        rows = sum(len(store.venue_series(v, m)) for v in store.venues() for m in store.methods())
    csv_lines = [ln for ln in body.splitlines() if re.match(r"^(final|article),", ln)]
    assert len(csv_lines) == rows
    assert "txt" in msg.content


async def test_unknown_command_close_to_ours_gets_a_hint_and_others_get_silence(tmp_path):
    async with running_bot(tmp_path) as r:
        hint = await r.emu.wait_reply(await r.emu.user_says("!raito NeurIPS 2019"))
        silent = await r.emu.user_says("!play some music")
        after = await r.emu.wait_reply(await r.emu.user_says("!help ratio"))
    assert "Did you mean `!ratio`?" in hint.content
    assert after is not None
    assert not [m for m in r.emu.messages if m.reply_to == silent]


# -- slash commands ------------------------------------------------------------------------------


async def test_slash_ratio_autocompletes_venues_and_the_venues_years_then_defers(tmp_path):
    async with running_bot(tmp_path) as r:
        emu = r.emu
        venues = await emu.autocomplete("ratio", {"venue": "neu"}, focused="venue")
        assert venues and venues[0]["value"] == "NeurIPS"
        everything = await emu.autocomplete("ratio", {"venue": ""}, focused="venue")
        assert 1 < len(everything) <= 25
        years = await emu.autocomplete("ratio", {"venue": "ICLR", "year": ""}, focused="year")
        with open_store(tmp_path / "x.db") as store:
            iclr_years = store.years(store.default_method().id, "iclr")
        assert sorted(c["value"] for c in years) == iclr_years
        assert all(isinstance(c["value"], int) for c in years)
        narrowed = await emu.autocomplete("ratio", {"venue": "ICLR", "year": "202"}, "year")
        assert narrowed and all(str(c["value"]).startswith("202") for c in narrowed)

        rec = await emu.slash("ratio", {"venue": "NeurIPS", "year": 2019})
        msg = await emu.wait_interaction(rec)
    assert rec.response_types == [5]  # deferred ("thinking…") first
    assert msg.via == "followup" and not msg.ephemeral
    assert "182" in msg.text() and "104" in msg.text()
    assert msg.allowed_mentions == NO_PINGS


async def test_slash_user_error_is_ephemeral_even_after_a_defer(tmp_path):
    async with running_bot(tmp_path) as r:
        rec = await r.emu.slash("ratio", {"venue": "Narnia", "year": 2019})
        msg = await r.emu.wait_interaction(rec)
    assert msg.ephemeral
    assert "I don't know the venue" in msg.content
    assert "/ratio" in msg.content  # usage written for slash users
    assert [m for m in rec.visible_messages()] == [msg]  # the public "thinking…" is gone


async def test_slash_info_command_answers_directly(tmp_path):
    async with running_bot(tmp_path) as r:
        rec = await r.emu.slash("help", {"command": "ratio"})
        msg = await r.emu.wait_interaction(rec)
    assert rec.response_types == [4]
    assert "ratio" in msg.text() and "Examples" in msg.text()


async def test_slash_deferral_keeps_the_loop_free_while_the_store_is_busy(tmp_path):
    """A writer holding the store delays the slash answer, not the bot: it has deferred."""
    async with running_bot(tmp_path) as r:
        store = r.bot.core.store
        taken, release = threading.Event(), threading.Event()

        def writer() -> None:
            with store._lock:  # what a write transaction does to readers of this store
                taken.set()
                release.wait(10)

        holder = asyncio.create_task(asyncio.to_thread(writer))
        assert await asyncio.to_thread(taken.wait, 5)
        rec = await r.emu.slash("ratio", {"venue": "CVPR", "year": 2019})
        await r.emu.wait_for(lambda: rec.deferred)
        # The gateway is still served: venue autocomplete answers from the cached tables.
        choices = await r.emu.autocomplete("ratio", {"venue": "cv"}, focused="venue")
        assert choices[0]["value"] == "CVPR"
        assert rec.loading  # the answer itself is waiting for the store
        release.set()
        await holder
        msg = await r.emu.wait_interaction(rec)
    assert "CVPR 2019" in msg.text()


# -- faults ----------------------------------------------------------------------------------------


async def test_rate_limited_send_is_retried_and_delivered_once(tmp_path):
    async with running_bot(tmp_path) as r:
        r.emu.ratelimit_next("POST", r"^/channels/\d+/messages$", retry_after=0.05)
        mid = await r.emu.user_says("!ratio NeurIPS 2019")
        msg = await r.emu.wait_reply(mid)
    posts = [s for m, p, s in r.emu.requests if m == "POST" and p.endswith("/messages")]
    assert posts == [429, 200]
    assert [m for m in r.emu.messages if m.reply_to == mid] == [msg]


async def test_dropped_gateway_connection_resumes_and_replays_missed_events(tmp_path):
    async with running_bot(tmp_path) as r:
        emu = r.emu
        await emu.drop_connections()
        missed = await emu.user_says("!ratio NeurIPS 2019")  # sent while the bot is away
        await emu.wait_for(lambda: emu.resumes)
        after = await emu.user_says("!ratio ICML 2019")
        first = await emu.wait_reply(missed)
        second = await emu.wait_reply(after)
    assert len(emu.identifies) == 1  # resumed, not re-identified
    assert emu.resumes[0]["session_id"] in emu.sessions
    assert "182" in first.text() and "ICML 2019" in second.text()


async def test_op7_reconnect_resumes(tmp_path):
    async with running_bot(tmp_path) as r:
        await r.emu.request_reconnect()
        await r.emu.wait_for(lambda: r.emu.resumes)
        msg = await r.emu.wait_reply(await r.emu.user_says("!ratio CVPR 2019"))
    assert "CVPR 2019" in msg.text() and len(r.emu.identifies) == 1


async def test_rejected_embed_falls_back_to_plain_text_and_a_second_failure_gets_a_reference(
    tmp_path, caplog
):
    caplog.set_level(logging.INFO)
    async with running_bot(tmp_path) as r:
        emu = r.emu
        emu.inject("POST", r"^/channels/\d+/messages$", 400, body={"code": 50035, "message": "x"})
        plain = await emu.wait_reply(await emu.user_says("!ratio NeurIPS 2019"))
        assert not plain.embeds and "182" in plain.content and "Method:" in plain.content

        emu.inject(
            "POST", r"^/channels/\d+/messages$", 400, body={"code": 50035, "message": "x"}, times=2
        )
        oops = await emu.wait_reply(await emu.user_says("!ratio NeurIPS 2019"))
    ref = re.search(r"reference `([0-9a-f]{8})`", oops.content)
    assert ref, oops.content
    logged = [rec for rec in caplog.records if ref.group(1) in rec.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the log, not in chat
    assert "Traceback" not in oops.content


async def test_channel_without_embed_links_gets_plain_text(tmp_path):
    async with running_bot(tmp_path) as r:
        mid = await r.emu.user_says("!ratio NeurIPS 2019", channel_id=r.emu.no_embed_channel_id)
        msg = await r.emu.wait_reply(mid)
    assert not msg.embeds
    assert "182" in msg.content and "104" in msg.content and "collected" in msg.content


# -- never pinging ---------------------------------------------------------------------------------


async def test_everyone_and_role_mentions_in_input_never_ping(tmp_path):
    async with running_bot(tmp_path) as r:
        emu = r.emu
        ids = [
            await emu.user_says("!ratio @everyone 2019"),
            await emu.user_says("!help <@&123456789012345678>"),
            await emu.user_says(f"{emu.mention()} is @here growing at <@{emu.owner_id}>?"),
        ]
        replies = [await emu.wait_reply(i) for i in ids]
    for msg in replies:
        assert msg.allowed_mentions is not None
        assert msg.allowed_mentions.get("parse") == []
        assert not msg.allowed_mentions.get("users") and not msg.allowed_mentions.get("roles")
        assert "@everyone" not in msg.text() and "@here" not in msg.text()
    assert "@\u200beveryone" in replies[0].text()


# -- mention questions -------------------------------------------------------------------------


async def test_mention_question_maps_to_a_command_and_says_which(tmp_path):
    row = expected(tmp_path, "ICML", 2019)
    async with running_bot(tmp_path) as r:
        emu = r.emu
        share = await emu.wait_reply(
            await emu.user_says(f"{emu.mention()} what's PyTorch's share at ICML 2019?")
        )
        jax = await emu.wait_reply(
            await emu.user_says(f"{emu.mention()} is jax growing at neurips")
        )
        nope = await emu.wait_reply(await emu.user_says(f"{emu.mention()} what's the weather?"))
    assert share.content.startswith("I read that as `!ratio ICML 2019`")
    assert str(row.pytorch) in share.text() and str(row.tensorflow) in share.text()
    assert "`!ratio NeurIPS`" in jax.content and "JAX" in jax.content
    assert "by year" in jax.embeds[0]["title"]
    assert "!help" in nope.content and "ratio NeurIPS 2019" in nope.content


async def test_without_message_content_intent_slash_and_mentions_still_work(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="trendbot.bot")
    async with running_bot(tmp_path, env={"MESSAGE_CONTENT_INTENT": "false"}) as r:
        emu = r.emu
        assert not emu.identifies[0]["intents"] & INTENT_MESSAGE_CONTENT
        unseen = await emu.user_says("!ratio NeurIPS 2019")
        mention = await emu.wait_reply(await emu.user_says(f"{emu.mention()} ratio NeurIPS 2019"))
        question = await emu.wait_reply(await emu.user_says(f"{emu.mention()} neurips 2019?"))
        rec = await emu.slash("ratio", {"venue": "NeurIPS", "year": 2019})
        slash = await emu.wait_interaction(rec)
    assert not [m for m in emu.messages if m.reply_to == unseen]
    assert "182" in mention.text() and "182" in slash.text()
    assert "`@trendbot ratio NeurIPS 2019`" in question.content  # teaches a form that works
    assert any("message content intent is off" in rec.getMessage() for rec in caplog.records)


# -- limits ------------------------------------------------------------------------------------


async def test_per_user_cooldown_answers_briefly_for_prefix_and_ephemerally_for_slash(tmp_path):
    async with running_bot(tmp_path, env={"COMMAND_COOLDOWN": "2/60"}) as r:
        emu = r.emu
        await emu.wait_reply(await emu.user_says("!venues"))
        await emu.wait_reply(await emu.user_says(f"{emu.mention()} neurips 2019"))
        slow_down = await emu.wait_reply(await emu.user_says("!ratio CVPR 2019"))
        rec = await emu.slash("about")
        slash = await emu.wait_interaction(rec)
        other = emu.make_user("bob")
        bob = await emu.wait_reply(await emu.user_says("!ratio CVPR 2019", user=other))
    assert slow_down.content.startswith("Easy there") and not slow_down.embeds
    assert slash.ephemeral and slash.content.startswith("Easy there")
    assert "CVPR 2019" in bob.text()  # the budget is per user


async def test_chart_concurrency_cap_per_server(tmp_path):
    if "chart" not in REGISTRY:
        pytest.skip("the chart command is not registered in this tree")
    async with (
        running_bot(tmp_path, env={"CHART_CONCURRENCY": "1"}) as r,
        r.bot.chart_slots.claim(r.emu.guild_id),  # one chart is already being drawn
    ):
        busy = await r.emu.wait_reply(await r.emu.user_says("!chart NeurIPS"))
        rec = await r.emu.slash("chart", {"venues": "ICML"})
        busy_slash = await r.emu.wait_interaction(rec)
    assert "already being drawn for this server" in busy.content
    assert busy_slash.ephemeral and "already being drawn" in busy_slash.content


# -- the command table -------------------------------------------------------------------------


async def test_registered_command_without_a_cog_still_answers_and_bugs_get_a_reference(
    tmp_path, caplog
):
    from trendbot.commands import registry
    from trendbot.commands.reply import Reply

    @registry.command("zzecho", usage="<text>", summary="Test-only: echo, or fail on 'boom'.")
    def zzecho(ctx, args: str) -> Reply:
        if args == "boom":
            raise RuntimeError("kaboom")
        return Reply(f"echo: {args}", command="zzecho")

    caplog.set_level(logging.INFO)
    try:
        async with running_bot(tmp_path) as r:
            assert "zzecho" in {c["name"] for c in r.emu.commands}
            ok = await r.emu.wait_reply(await r.emu.user_says("!zzecho hello there"))
            rec = await r.emu.slash("zzecho", {"query": "boom"})
            bug = await r.emu.wait_interaction(rec)
    finally:
        registry.REGISTRY.pop("zzecho", None)
        registry._ALIASES.pop("zzecho", None)
    assert ok.content == "echo: hello there"
    ref = re.search(r"reference `([0-9a-f]{8})`", bug.content).group(1)
    assert "kaboom" not in bug.content
    assert any(ref in rec.getMessage() and rec.exc_info for rec in caplog.records)


# -- slash-command sync ----------------------------------------------------------------------------


async def test_tree_is_synced_only_when_it_changes_or_on_request(tmp_path):
    from tests.support.discord_emulator import DiscordEmulator

    emu = await DiscordEmulator().start()
    try:
        async with running_bot(tmp_path, emulator=emu) as r:
            assert emu.command_syncs == 1
        emu.port = emu.port  # same emulator, same application, same database
        emu2 = emu
        await emu2.start()
        async with running_bot(tmp_path, emulator=emu2) as r:
            assert emu2.command_syncs == 1  # unchanged tree: no second PUT
            denied = await emu2.wait_reply(await emu2.user_says("!sync"))
            assert "Only the bot's owner" in denied.content
            ok = await emu2.wait_reply(await emu2.user_says("!sync", user=emu2.owner_user))
            assert ok.content.startswith("Synced") and emu2.command_syncs == 2
            here = await emu2.wait_reply(await emu2.user_says("!sync here", user=emu2.owner_user))
            assert "for this server" in here.content and emu2.guild_id in emu2.guild_commands
            assert r.bot.is_ready()
    finally:
        await emu.close()
