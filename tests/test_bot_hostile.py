"""What a new or hostile user can throw at the bot in Discord (issue 7): sentences after an
@mention, stale slash commands, markup and mentions in unknown commands, odd option values.
The real discord.py client against the loopback emulator, as in ``test_bot_e2e``."""

from __future__ import annotations

import logging
import re

import pytest

from tests.support.bot_harness import running_bot
from trendbot.commands.text import LIVE_MENTION
from trendbot.storage import open_store


def counts(tmp_path, venue: str, year: int) -> tuple[int, int]:
    with open_store(tmp_path / "expect.db") as store:
        row = store.venue_year(store.aliases()[venue.lower()], year, store.default_method().id)
        return row.pytorch, row.tensorflow


@pytest.mark.parametrize(
    ("question", "line", "venue", "year"),
    [
        ("how many papers used pytorch at iclr 2020?", "ratio ICLR 2020", "ICLR", 2020),
        ("pytorch vs tensorflow at neurips 2019", "ratio NeurIPS 2019", "NeurIPS", 2019),
        ("share of pytorch at cvpr 2019", "ratio CVPR 2019", "CVPR", 2019),
        ("info about acl 2019", "ratio ACL 2019", "ACL", 2019),
    ],
)
async def test_a_question_starting_with_a_command_word_is_answered_as_a_question(
    tmp_path, question, line, venue, year
):
    pt, tf = counts(tmp_path, venue, year)
    async with running_bot(tmp_path) as r:
        msg = await r.emu.wait_reply(await r.emu.user_says(f"{r.emu.mention()} {question}"))
    assert f"I read that as `!{line}`." in msg.content
    assert not msg.content.startswith(("I don't know", "Usage")) and "Usage:" not in msg.text()
    (embed,) = msg.embeds
    values = {f["name"]: f["value"] for f in embed["fields"]}
    assert values["PyTorch"].startswith(f"{pt:,}") and values["TensorFlow"].startswith(f"{tf:,}")


async def test_a_command_after_a_mention_runs_as_typed_and_a_typo_still_gets_its_hint(tmp_path):
    async with running_bot(tmp_path) as r:
        emu = r.emu
        typed = await emu.wait_reply(await emu.user_says(f"{emu.mention()} ratio NeurIPS 2019"))
        typo = await emu.wait_reply(await emu.user_says(f"{emu.mention()} ratio nipz 2019"))
        chatter = await emu.wait_reply(await emu.user_says(f"{emu.mention()} how are you"))
    assert "I read that as" not in typed.text() and "182" in typed.text()
    assert "Did you mean **NeurIPS**?" in typo.content
    assert "I couldn't turn that into a question" in chatter.content


async def test_a_stale_slash_command_is_answered_privately_and_logged_as_one_warning(
    tmp_path, caplog
):
    caplog.set_level(logging.INFO)
    async with running_bot(tmp_path, env={"COMMAND_SYNC": "never"}) as r:
        emu = r.emu
        emu.add_stale_command("nosuchcommand")
        rec = await emu.slash("nosuchcommand")
        msg = await emu.wait_interaction(rec)
    assert msg.ephemeral
    assert "`/nosuchcommand` is gone" in msg.content and "`!sync`" in msg.content
    assert "reference" not in msg.content
    ours = [x for x in caplog.records if "nosuchcommand" in x.getMessage()]
    assert [x.levelno for x in ours] == [logging.WARNING]
    assert not [x for x in caplog.records if x.levelno >= logging.ERROR]
    assert all(x.exc_info is None for x in ours)


@pytest.mark.parametrize(
    "typed",
    ["!tensorflow@here", "!tensorflow`@here", "!tensorflow<@&1>", "!tensorflow**x**"],
)
async def test_did_you_mean_echoes_user_text_through_the_one_echo(tmp_path, typed):
    async with running_bot(tmp_path) as r:
        msg = await r.emu.wait_reply(await r.emu.user_says(typed))
    content = msg.content
    assert "isn't a command I know. Did you mean `!ratio`?" in content
    assert not LIVE_MENTION.search(content)
    echoed = re.match(r"^`([^`]*)` isn't a command", content)
    assert echoed, content  # the whole echo sits in one code span: no markdown leaks out
    assert "\\" not in echoed.group(1)  # and no backslash shows inside it
    assert msg.allowed_mentions == {"parse": []}


@pytest.mark.parametrize(("year", "shown"), [(0, "`0`"), (-2019, "`-2019`")])
async def test_slash_year_values_are_given_values(tmp_path, year, shown):
    async with running_bot(tmp_path) as r:
        emu = r.emu
        (year_option,) = [
            o for c in emu.commands if c["name"] == "ratio" for o in c["options"]
            if o["name"] == "year"
        ]  # fmt: skip
        rec = await emu.slash("ratio", {"venue": "NeurIPS", "year": year})
        msg = await emu.wait_interaction(rec)
    assert year_option["min_value"] <= 2015 and year_option["max_value"] >= 2030
    assert msg.ephemeral
    assert f"{shown} isn't a year I understand" in msg.content
