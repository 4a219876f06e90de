"""The bot's pure parts: layout of replies, settings, limits, tree hashing, autocomplete data."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from trendbot.bot.app import intents_for
from trendbot.bot.autocomplete import venue_names, year_labels
from trendbot.bot.cogs.hybrid import join_args
from trendbot.bot.errors import user_message
from trendbot.bot.limits import GuildSlots, InFlight, ServerBusy, UserBudget
from trendbot.bot.render import build, safe_filename
from trendbot.bot.settings import BotConfig, ConfigError
from trendbot.bot.treesync import remember_hash, stored_hash, tree_hash
from trendbot.commands import Attachment, EmbedField, Reply, run
from trendbot.config import Settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# -- reply layout --------------------------------------------------------------------------------


def test_numbers_become_an_embed_with_footer_and_the_chart_inside_it():
    reply = Reply(
        "text",
        title="T",
        description="D",
        fields=[EmbedField("PyTorch", "182")],
        footer="Method: final · Source: S · collected 2021-10-22",
        files=[Attachment("chart for NeurIPS.png", PNG, "alt", "image/png")],
    )
    out = build(reply)
    assert out.content is None
    assert out.embed.title == "T" and out.embed.fields[0].value == "182"
    assert out.embed.footer.text.startswith("Method: final")
    assert out.attachments[0].filename == "chart_for_NeurIPS.png"
    assert out.embed.image.url == "attachment://chart_for_NeurIPS.png"
    kwargs = out.kwargs()
    assert kwargs["allowed_mentions"].to_dict() == {"parse": []}
    assert kwargs["files"][0].description == "alt"


def test_without_embed_links_the_plain_text_carries_the_footer():
    reply = Reply("NeurIPS 2019: 182 vs 104", title="T", footer="Method: final")
    out = build(reply, embeds=False, note="I read that as `!ratio NeurIPS 2019`.")
    assert out.embed is None
    assert out.content.splitlines() == [
        "I read that as `!ratio NeurIPS 2019`.",
        "NeurIPS 2019: 182 vs 104",
        "(Method: final)",
    ]


def test_files_that_cannot_be_sent_are_explained_not_dropped_silently():
    reply = Reply("x", files=[Attachment("big.png", PNG * 100, "alt", "image/png")])
    assert "too large" in build(reply, size_limit=100).content
    assert "Attach Files permission" in build(reply, files=False).content


def test_content_never_exceeds_2000_characters():
    reply = Reply("y" * 1990, footer="a footer that pushes it over")
    out = build(reply, embeds=False, note="note " * 10)
    assert len(out.content) <= 2000
    assert out.attachments[-1].filename.endswith(".txt")
    assert out.attachments[-1].data.decode().endswith("(a footer that pushes it over)")


def test_every_command_reply_fits_an_embed(ctx):
    for line in ("!ratio NeurIPS 2019", "!ratio CVPR", "!ratio 2019", "!venues", "!about", "!help"):
        out = build(run(ctx, line))
        assert out.embed is not None, line
        assert len(out.embed) <= 6000 and len(out.embed.fields) <= 25


@pytest.mark.parametrize(
    ("name", "safe"),
    [("chart.png", "chart.png"), ("a b/c.png", "a_b_c.png"), ("../x", "x"), ("", "file")],
)
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe


def test_join_args_turns_slash_options_into_a_command_line():
    assert join_args("NeurIPS", 2019, method="article") == "NeurIPS 2019 --method article"
    assert join_args("", None, method="") == ""
    assert join_args("counts", "CVPR", light=True, method=None) == "counts CVPR --light"


# -- settings --------------------------------------------------------------------------------------


def config(**env: str) -> BotConfig:
    return BotConfig.from_settings(Settings.from_env(env))


def test_bot_config_defaults_and_overrides():
    assert config() == BotConfig()
    c = config(
        MESSAGE_CONTENT_INTENT="false",
        COMMAND_COOLDOWN="off",
        CHART_COOLDOWN="1/30",
        CHART_CONCURRENCY="3",
        CHART_WORKERS="0",
        COMMAND_SYNC="never",
    )
    assert (c.message_content, c.cooldown, c.chart_cooldown) == (False, (0, 0.0), (1, 30.0))
    assert (c.chart_concurrency, c.chart_workers, c.sync_mode) == (3, 0, "never")
    assert config().chart_workers is None  # auto: the chart service picks per core
    assert config(CHART_WORKERS="auto").chart_workers is None
    assert config(CHART_WORKERS="3").chart_workers == 3


@pytest.mark.parametrize(
    "env",
    [
        {"MESSAGE_CONTENT_INTENT": "maybe"},
        {"COMMAND_COOLDOWN": "fast"},
        {"COMMAND_COOLDOWN": "5/0"},
        {"CHART_CONCURRENCY": "0"},
        {"COMMAND_SYNC": "always"},
    ],
)
def test_bad_bot_settings_name_the_variable(env):
    with pytest.raises(ConfigError, match=next(iter(env))):
        config(**env)


def test_intents_request_message_content_only_when_configured():
    on, off = intents_for(BotConfig()), intents_for(BotConfig(message_content=False))
    assert on.message_content and not off.message_content
    for i in (on, off):
        assert i.guilds and i.guild_messages and i.dm_messages
        assert not i.members and not i.presences  # never ask for what we do not use


# -- limits ----------------------------------------------------------------------------------------


async def test_guild_slots_cap_each_server_separately():
    slots = GuildSlots(1)
    async with slots.claim(1):
        with pytest.raises(ServerBusy):
            async with slots.claim(1):
                pass
        async with slots.claim(2):
            assert slots.in_use(1) == slots.in_use(2) == 1
    assert slots.in_use(1) == 0


async def test_in_flight_waits_for_the_last_reply():
    inflight = InFlight()
    assert await inflight.wait_idle(0)
    gate = asyncio.Event()

    async def reply():
        async with inflight.track():
            await gate.wait()

    task = asyncio.create_task(reply())
    await asyncio.sleep(0)
    assert inflight.count == 1 and not await inflight.wait_idle(0.01)
    gate.set()
    assert await inflight.wait_idle(1)
    await task


class _Author:
    def __init__(self, uid: int) -> None:
        self.id = uid


class _Msg:
    def __init__(self, uid: int) -> None:
        self.author = _Author(uid)


def test_user_budget_is_per_user_and_can_be_off():
    budget = UserBudget((2, 60.0))
    assert budget.spend(_Msg(1)) is None and budget.spend(_Msg(1)) is None
    assert budget.spend(_Msg(1)) > 0
    assert budget.spend(_Msg(2)) is None
    with pytest.raises(commands.CommandOnCooldown):
        budget.check(_Msg(1))
    off = UserBudget((0, 0.0))
    assert all(off.spend(_Msg(1)) is None for _ in range(100))


def test_user_errors_get_sentences_and_bugs_get_none():
    cooldown = commands.CommandOnCooldown(commands.Cooldown(1, 10), 3.2, commands.BucketType.user)
    assert user_message(cooldown) == "Easy there: you can ask again in 4 s."
    assert "charts" in user_message(ServerBusy(2))
    assert user_message(commands.NotOwner()) == "Only the bot's owner can do that."
    assert user_message(RuntimeError("boom")) is None
    assert user_message(discord.DiscordException("x")) is None


# -- tree hash -------------------------------------------------------------------------------------


def _tree_with(*names: str) -> app_commands.CommandTree:
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)
    for name in names:

        async def cb(interaction: discord.Interaction) -> None:  # pragma: no cover
            pass

        tree.add_command(app_commands.Command(name=name, description=f"{name}!", callback=cb))
    return tree


def test_tree_hash_is_stable_and_changes_with_the_tree(store):
    a, b, c = _tree_with("ratio", "help"), _tree_with("help", "ratio"), _tree_with("ratio")
    assert tree_hash(a) == tree_hash(b) != tree_hash(c)
    assert stored_hash(store, 42) == ""
    remember_hash(store, 42, tree_hash(a))
    remember_hash(store, 42, tree_hash(a))  # idempotent
    assert stored_hash(store, 42) == tree_hash(a)
    assert stored_hash(store, 43) == ""  # per application
    assert stored_hash(store, 42, guild_id=7) == ""  # per scope
    before = store.data_version()
    remember_hash(store, 42, tree_hash(c))
    assert store.data_version() == before  # bookkeeping is not data


# -- autocomplete data -----------------------------------------------------------------------------


def test_venue_names_prefer_prefix_matches_and_cap_at_25(store):
    assert [v for _, v in venue_names(store, "nips")] == ["NeurIPS"]
    assert venue_names(store, "vision")  # full-name matches come after prefix matches
    assert len(venue_names(store, "")) == len(store.venues()) <= 25


def test_year_labels_follow_the_chosen_venue_and_method(store):
    final = store.default_method()
    labels = year_labels(store, "ICLR", None, "")
    assert [y for _, y in labels] == sorted(store.years(final.id, "iclr"), reverse=True)
    assert all("ICLR" in label and "%" in label for label, _ in labels)
    article = year_labels(store, "ICLR", "article", "")
    assert [y for _, y in article] == sorted(store.years("he2019-article", "iclr"), reverse=True)
    every = year_labels(store, None, None, "201")
    assert every and all(str(y).startswith("201") for _, y in every)


def test_env_example_documents_every_bot_variable():
    """Operators configure from .env.example; a variable the bot reads must be listed there."""
    import re
    from pathlib import Path

    import trendbot.bot.settings as bot_settings

    root = Path(__file__).resolve().parents[1]
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (root / ".env.example").read_text(), re.M))
    read = set(re.findall(r'"([A-Z][A-Z0-9_]{3,})"', Path(bot_settings.__file__).read_text()))
    read |= {"DISCORD_TOKEN", "OWNER_IDS", "SHARD_COUNT", "SHARD_IDS"}
    read |= {"DISCORD_API_BASE", "DISCORD_GATEWAY_URL", "LOG_LEVEL", "COMMAND_PREFIX"}
    assert read - listed == set()


def test_invite_link_asks_for_both_scopes_and_only_the_needed_permissions():
    from trendbot.bot.app import invite_url

    url = invite_url(1234)
    assert "client_id=1234" in url and "scope=bot+applications.commands" in url
    perms = discord.Permissions(int(url.rsplit("permissions=", 1)[1]))
    assert perms.send_messages and perms.embed_links and perms.attach_files
    assert perms.read_message_history and perms.use_application_commands
    assert not perms.administrator and not perms.mention_everyone and not perms.manage_messages
