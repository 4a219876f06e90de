"""Subscriptions end to end through the Discord emulator, with the real bot in this process.

Changes are written into the bot's store the way a collector process does it (another
connection, ``tests.support.paper_data.collect``, which runs the collector's storage functions),
and the bot's poster finds them by polling. Everything is asserted on what reached the emulator.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.bot_harness import running_bot
from tests.support.discord_emulator import (
    PERM_ATTACH_FILES,
    PERM_MANAGE_CHANNELS,
    PERM_SEND_MESSAGES,
    PERM_VIEW_CHANNEL,
    DiscordEmulator,
)
from tests.support.paper_data import Paper, collect
from trendbot.storage import open_store, outbox
from trendbot.storage import subscriptions as subs

FAST = {"POSTER_POLL_S": "0.1", "POSTER_COMBINE_S": "0", "COMMAND_COOLDOWN": "off"}


def neurips_papers(pytorch: int, tensorflow: int = 2) -> list[Paper]:
    return [Paper(f"Torch {i}", ("pytorch",)) for i in range(pytorch)] + [
        Paper(f"Flow {i}", ("tensorflow",)) for i in range(tensorflow)
    ]


def write_change(db, venue_id="neurips", year=2023, pytorch=3, source="neurips") -> None:
    """A venue-year collected in another connection, as `trendbot collect papers` does."""
    with open_store(db) as store:
        collect(store, source, venue_id, year, neurips_papers(pytorch))


def mod_user(emu: DiscordEmulator) -> dict:
    """A member whose role may manage channels (not the owner)."""
    user = emu.make_user("mod")
    role = emu.add_role("moderators", PERM_MANAGE_CHANNELS | PERM_VIEW_CHANNEL)
    emu.join(user, roles=(role,))
    return user


async def say(emu: DiscordEmulator, text: str, *, user=None, channel_id=None):
    mid = await emu.user_says(text, user=user, channel_id=channel_id)
    return await emu.wait_reply(mid)


def updates(emu: DiscordEmulator, channel_id: int):
    return [m for m in emu.channel_messages(channel_id) if m.reply_to is None]


async def eventually(check, timeout: float = 10.0):
    """Poll ``check`` (a store read, which no emulator event announces) until it is true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true within {timeout} s: {check()}")
        await asyncio.sleep(0.05)
    return result


async def settle(r, polls: int = 3) -> None:
    """Let the poster run a few complete polls."""
    for _ in range(polls):
        await r.bot.updates.run_once()


# -- managing subscriptions -----------------------------------------------------------------------


async def test_who_may_subscribe_and_what_the_bot_needs(tmp_path):
    emu = DiscordEmulator()
    mod = mod_user(emu)
    locked = emu.add_channel("locked")
    async with running_bot(tmp_path, env=FAST, emulator=emu):
        refused = await say(emu, "!subscribe NeurIPS")  # alice: no Manage Channels
        assert "Manage Channels" in refused.content
        ok = await say(emu, "!subscribe NeurIPS", user=mod)
        assert "Subscribed" in ok.content and "NeurIPS" in ok.content
        owner = await say(emu, f"!subscribe papers <#{emu.channel_id}>", user=emu.owner_user)
        assert "Subscribed" in owner.content
        again = await say(emu, "!subscribe nips", user=mod)
        assert "already subscribed" in again.content
        # The bot lacks Embed Links in #plain (an @everyone overwrite): it says which.
        plain = await say(emu, f"!subscribe papers <#{emu.no_embed_channel_id}>", user=mod)
        assert "Embed Links" in plain.content and "Subscribed" not in plain.content
        # Deny the bot's role Send Messages and Attach Files in #locked: both named.
        await emu.set_overwrite(
            locked, emu.bot_role_id, deny=PERM_SEND_MESSAGES | PERM_ATTACH_FILES
        )
        await asyncio.sleep(0.05)
        no = await say(emu, f"!subscribe industry <#{locked}>", user=mod)
        assert "Send Messages" in no.content and "Attach Files" in no.content
        unknown = await say(emu, "!subscribe neurip", user=mod)
        assert "Did you mean `NeurIPS`" in unknown.content
        listing = await say(emu, "!subscriptions")  # anyone may list
        assert "NeurIPS" in listing.content and "papers" in listing.content
        assert listing.allowed_mentions == {"parse": []}
        dm = await emu.user_says_dm("!subscribe NeurIPS")
        reply = await emu.wait_for(
            lambda: next((m for m in emu.messages if m.channel_id == emu.dm_channel_id(
                emu.default_user)), None)
        )  # fmt: skip
        assert dm and "server" in reply.content
        with open_store(tmp_path / "bot.db") as store:
            rows = store.read(subs.for_guild, emu.guild_id)
        assert sorted(s.topic for s in rows) == ["papers", "venue:neurips"]
        assert {s.created_by for s in rows} == {int(mod["id"]), emu.owner_id}


async def test_slash_subscribe_with_a_channel_option_and_topic_autocomplete(tmp_path):
    emu = DiscordEmulator()
    mod = mod_user(emu)
    news = emu.add_channel("news")
    async with running_bot(tmp_path, env=FAST, emulator=emu) as r:
        choices = await emu.autocomplete("subscribe", {"topic": "neur"}, "topic")
        assert choices and choices[0]["value"] == "NeurIPS"
        stars = await emu.autocomplete("subscribe", {"topic": "github-st"}, "topic")
        assert any(c["value"] == "github-stars" for c in stars)
        rec = await emu.slash("subscribe", {"topic": "github-stars", "channel": news}, user=mod)
        msg = await emu.wait_interaction(rec)
        assert "Subscribed" in msg.content and f"<#{news}>" in msg.content
        rec = await emu.slash("subscribe", {"topic": "papers"})  # alice may not
        msg = await emu.wait_interaction(rec)
        assert msg.ephemeral and "Manage Channels" in msg.content
        with open_store(tmp_path / "bot.db") as store:
            (sub,) = store.read(subs.for_guild, emu.guild_id)
        assert (sub.channel_id, sub.topic) == (news, "metric:github-stars")
        assert r.bot.updates.stats.errors == 0


# -- posts -------------------------------------------------------------------------------------


async def test_one_change_one_post_per_subscribed_channel_and_none_elsewhere(tmp_path):
    emu = DiscordEmulator()
    mod = mod_user(emu)
    papers, neurips, icml, both = (emu.add_channel(n) for n in ("p", "n", "i", "b"))
    async with running_bot(tmp_path, env=FAST, emulator=emu, start_charts=False) as r:
        for topic, ch in (("papers", papers), ("NeurIPS", neurips), ("ICML", icml),
                          ("papers", both), ("NeurIPS", both)):  # fmt: skip
            assert "Subscribed" in (await say(emu, f"!subscribe {topic} <#{ch}>", user=mod)).content
        write_change(tmp_path / "bot.db", pytorch=3)
        await emu.wait_for(lambda: all(updates(emu, c) for c in (papers, neurips, both)))
        await settle(r)
        assert [len(updates(emu, c)) for c in (papers, neurips, both, icml)] == [1, 1, 1, 0]
        post = updates(emu, neurips)[0]
        (embed,) = post.embeds
        assert embed["title"] == "New numbers: NeurIPS 2023"
        assert "PyTorch 3 (new)" in embed["description"]
        footer = embed["footer"]["text"]
        assert "NeurIPS" in footer and "!unsubscribe NeurIPS" in footer
        assert "http" not in footer and "update " in footer
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert "final" in fields["Method"] and "NeurIPS" in fields["Source"]
        assert post.allowed_mentions == {"parse": []}
        # The channel subscribed to papers and NeurIPS got one post naming both topics.
        assert "papers · NeurIPS" in updates(emu, both)[0].embeds[0]["footer"]["text"]
        # A second collection with the same numbers changes nothing: no post.
        write_change(tmp_path / "bot.db", pytorch=3)
        await settle(r)
        assert len(updates(emu, papers)) == 1
        # New numbers: one more post, old → new.
        write_change(tmp_path / "bot.db", pytorch=5)
        await emu.wait_for(lambda: len(updates(emu, neurips)) == 2)
        assert "PyTorch 3 → 5 (+2)" in updates(emu, neurips)[1].embeds[0]["description"]
        # Unsubscribing stops them.
        gone = await say(emu, f"!unsubscribe NeurIPS <#{neurips}>", user=mod)
        assert "no longer" in gone.content
        write_change(tmp_path / "bot.db", pytorch=6)
        await emu.wait_for(lambda: len(updates(emu, papers)) == 3)
        await settle(r)
        assert len(updates(emu, neurips)) == 2
        assert r.bot.updates.stats.errors == 0


async def test_subscribing_never_replays_and_a_burst_shares_one_post(tmp_path):
    emu = DiscordEmulator()
    env = {**FAST, "POSTER_COMBINE_S": "120", "POSTER_POLL_S": "600"}  # polls driven here
    async with running_bot(tmp_path, env=env, emulator=emu) as r:
        write_change(tmp_path / "bot.db", pytorch=2)  # before the subscription: not for it
        await say(emu, "!subscribe papers", user=emu.owner_user)
        r.bot.updates.clock = lambda: datetime.now(UTC) + timedelta(minutes=5)
        await settle(r)
        assert updates(emu, emu.channel_id) == []
        write_change(tmp_path / "bot.db", "icml", 2023, source="pmlr")
        write_change(tmp_path / "bot.db", "cvpr", 2023, source="cvf")
        r.bot.updates.clock = lambda: datetime.now(UTC) + timedelta(seconds=60)
        await settle(r)  # within the two minutes of the first: nothing yet
        assert updates(emu, emu.channel_id) == []
        r.bot.updates.clock = lambda: datetime.now(UTC) + timedelta(seconds=121)
        await settle(r)
        (post,) = updates(emu, emu.channel_id)
        assert "ICML 2023" in post.embeds[0]["title"] and "CVPR 2023" in post.embeds[0]["title"]


async def test_a_backfill_of_thousands_of_figures_is_one_summary_post(tmp_path):
    emu = DiscordEmulator()
    a, b = emu.add_channel("a"), emu.add_channel("b")
    async with running_bot(tmp_path, env=FAST, emulator=emu) as r:
        await say(emu, f"!subscribe industry <#{a}>", user=emu.owner_user)
        await say(emu, f"!subscribe github-stars <#{b}>", user=emu.owner_user)
        with open_store(tmp_path / "bot.db") as store, subs.immediate(store.conn):
            for day in range(400):
                changes = [
                    outbox.Change(fw, None, 1000.0 + day * 7 + i, "GitHub stars")
                    for i, fw in enumerate(("PyTorch", "TensorFlow", "JAX", "Keras", "MXNet"))
                ]
                outbox.record(
                    store.conn, outbox.metric_topics(["github-stars"]), changes,
                    kind="industry", title=f"GitHub stars, day {day}",
                    detail={"metric": "github-stars", "source": "test"},
                )  # fmt: skip
        await emu.wait_for(lambda: updates(emu, a) and updates(emu, b))
        await settle(r)
        assert len(updates(emu, a)) == len(updates(emu, b)) == 1
        text = updates(emu, a)[0].embeds[0]["description"]
        assert "2,000 figures changed in 400 updates" in text and "more updates" in text
        assert len(updates(emu, a)[0].text()) < 6000


async def test_a_week_of_events_makes_one_digest_post(tmp_path):
    emu = DiscordEmulator()
    async with running_bot(tmp_path, env=FAST, emulator=emu) as r:
        await say(emu, "!subscribe digest", user=emu.owner_user)
        start = datetime.now(UTC)
        for day in range(7):
            with open_store(tmp_path / "bot.db") as store, subs.immediate(store.conn):
                outbox.record(
                    store.conn, outbox.paper_topics("neurips"),
                    [outbox.Change("pytorch", day, day + 1, "final")], kind="papers",
                    title=f"NeurIPS 202{day}",
                    created_at=(start + timedelta(days=day)).isoformat(timespec="seconds"),
                )  # fmt: skip
        r.bot.updates.clock = lambda: start + timedelta(days=6, hours=23)
        await settle(r)
        assert updates(emu, emu.channel_id) == []  # the week is not over
        r.bot.updates.clock = lambda: start + timedelta(days=7, minutes=1)
        await settle(r)
        (post,) = updates(emu, emu.channel_id)
        embed = post.embeds[0]
        assert embed["title"].startswith("Weekly digest: 7 updates")
        assert "digest" in embed["footer"]["text"]
        # The next week starts now: nothing more until something happens and a week passes.
        r.bot.updates.clock = lambda: start + timedelta(days=15)
        await settle(r)
        assert len(updates(emu, emu.channel_id)) == 1


# -- faults ------------------------------------------------------------------------------------


async def test_403_switches_that_subscription_off_and_the_others_keep_getting_posts(tmp_path):
    emu = DiscordEmulator()
    good, bad, gone = emu.add_channel("good"), emu.add_channel("bad"), emu.add_channel("gone")
    async with running_bot(tmp_path, env=FAST, emulator=emu) as r:
        for ch in (good, bad, gone):
            await say(emu, f"!subscribe NeurIPS <#{ch}>", user=emu.owner_user)
        emu.fail_channel(bad, 403, 50001, "Missing Access")
        emu.fail_channel(gone, 404, 10003, "Unknown Channel")
        write_change(tmp_path / "bot.db", pytorch=3)
        await emu.wait_for(lambda: updates(emu, good))
        await settle(r)
        with open_store(tmp_path / "bot.db") as store:
            rows = {s.channel_id: s for s in store.read(subs.for_guild, emu.guild_id)}
        assert rows[good].enabled
        assert rows[bad].disabled_reason.startswith("missing_access")
        assert rows[gone].disabled_reason.startswith("unknown_channel")
        listing = await say(emu, "!subscriptions")
        assert "switched off" in listing.content and "Missing Access" in listing.content
        assert "View Channel, Send Messages" in listing.content  # how to fix it
        # Fixed: subscribing again turns it back on, and it gets the next change (not the old).
        emu.heal_channel(bad)
        back = await say(emu, f"!subscribe NeurIPS <#{bad}>", user=emu.owner_user)
        assert "back on" in back.content
        write_change(tmp_path / "bot.db", pytorch=4)
        await emu.wait_for(lambda: updates(emu, bad) and len(updates(emu, good)) == 2)
        assert "3 → 4" in updates(emu, bad)[0].embeds[0]["description"]
        assert r.bot.updates.stats.errors == 0


async def test_permissions_lost_by_overwrite_switch_off_without_a_failed_request(tmp_path):
    emu = DiscordEmulator()
    ch = emu.add_channel("hidden-later")
    async with running_bot(tmp_path, env=FAST, emulator=emu) as r:
        await say(emu, f"!subscribe papers <#{ch}>", user=emu.owner_user)
        await emu.set_overwrite(ch, emu.bot_role_id, deny=PERM_VIEW_CHANNEL)
        await asyncio.sleep(0.05)
        write_change(tmp_path / "bot.db")
        await settle(r)
        with open_store(tmp_path / "bot.db") as store:
            (sub,) = store.read(subs.for_guild, emu.guild_id)
        assert sub.disabled_reason.startswith("missing_access") and "View Channel" in (
            sub.disabled_reason
        )
        assert not [p for _, p, st in emu.requests if f"/channels/{ch}/" in p and st == 403]


async def test_deleted_channel_and_removal_from_a_server_switch_subscriptions_off(tmp_path):
    emu = DiscordEmulator()
    other = emu.add_guild("Other server", channels=1)
    doomed = emu.add_channel("doomed")
    async with running_bot(tmp_path, env=FAST, emulator=emu) as r:
        await say(emu, f"!subscribe papers <#{doomed}>", user=emu.owner_user)
        (other_channel,) = emu.guilds[other].channels
        await say(emu, "!subscribe ICML", user=emu.owner_user, channel_id=other_channel)
        await emu.delete_channel(doomed)
        await emu.remove_bot(other)

        def states():
            with open_store(tmp_path / "bot.db") as store:
                return [
                    s.disabled_reason.split(":")[0]
                    for g in (emu.guild_id, other)
                    for s in store.read(subs.for_guild, g)
                ]

        await eventually(lambda: states() == ["channel_deleted", "removed_from_server"])
        assert r.bot.updates.stats.errors == 0


async def test_5xx_is_retried_and_the_post_arrives_once(tmp_path):
    emu = DiscordEmulator()
    async with running_bot(tmp_path, env=FAST, emulator=emu) as r:
        await say(emu, "!subscribe papers", user=emu.owner_user)
        # 503 is not among the statuses discord.py retries itself: the poster's own retry.
        emu.inject("POST", rf"/channels/{emu.channel_id}/messages$", 503, times=2)
        write_change(tmp_path / "bot.db")
        await emu.wait_for(lambda: updates(emu, emu.channel_id), timeout=10)
        await settle(r)
        assert len(updates(emu, emu.channel_id)) == 1
        assert r.bot.updates.stats.retried == 2
        with open_store(tmp_path / "bot.db") as store:
            (post,) = store.read(subs.posts)
        assert post.state == "posted" and post.attempts == 3
        assert post.message_id == updates(emu, emu.channel_id)[0].id


async def test_an_intent_already_in_the_channel_is_not_posted_again(tmp_path):
    """The crash window, in one process: the message went out but was never recorded."""
    emu = DiscordEmulator()
    async with running_bot(tmp_path, env={**FAST, "POSTER_POLL_S": "60"}, emulator=emu) as r:
        await say(emu, "!subscribe papers", user=emu.owner_user)
        write_change(tmp_path / "bot.db")
        await r.bot.updates.run_once()
        (sent,) = updates(emu, emu.channel_id)
        with open_store(tmp_path / "bot.db") as store, store.conn:  # forget the confirmation
            store.conn.execute("UPDATE update_posts SET state = 'intent', message_id = NULL")
        for _ in range(40):  # pad the history with the users' chatter
            await emu.user_says("chatter")
        await settle(r)
        assert updates(emu, emu.channel_id) == [sent]
        assert r.bot.updates.stats.recovered == 1
        with open_store(tmp_path / "bot.db") as store:
            (post,) = store.read(subs.posts)
        assert (post.state, post.message_id) == ("posted", sent.id)


@pytest.mark.parametrize("shards", [2])
async def test_each_shard_process_posts_for_its_own_servers_exactly_once(tmp_path, shards):
    emu = DiscordEmulator(shards=shards)
    guilds = [emu.add_guild(f"g{i}", channels=2, shard=i % shards) for i in range(4)]
    env = {**FAST, "SHARD_COUNT": str(shards)}
    await emu.start()
    async with (
        running_bot(tmp_path, env={**env, "SHARD_IDS": "0"}, emulator=emu, wait=False) as r0,
        running_bot(tmp_path, env={**env, "SHARD_IDS": "1"}, emulator=emu, wait=False) as r1,
    ):
        await emu.wait_ready(shards=2, timeout=20)
        await asyncio.gather(r0.bot.wait_until_ready(), r1.bot.wait_until_ready())
        channels = [c for g in guilds for c in emu.guilds[g].channels]
        for ch in channels:
            await say(emu, f"!subscribe papers <#{ch}>", user=emu.owner_user, channel_id=ch)
        write_change(tmp_path / "bot.db")
        await emu.wait_for(lambda: all(updates(emu, c) for c in channels), timeout=15)
        await asyncio.gather(settle(r0), settle(r1))
        assert [len(updates(emu, c)) for c in channels] == [1] * len(channels)
        with open_store(tmp_path / "bot.db") as store:
            made = store.read(subs.posts)
        assert len(made) == len(channels)
        assert all(p.shard == (p.guild_id >> 22) % shards for p in made)
        assert {p.shard for p in made} == {0, 1}
        assert r0.bot.updates.stats.posted + r1.bot.updates.stats.posted == len(channels)
        assert r0.bot.updates.stats.posted and r1.bot.updates.stats.posted
