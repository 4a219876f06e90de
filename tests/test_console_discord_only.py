"""The console and `trendbot ask` meet what belongs to Discord (issue 17): the server-only
commands say where they work instead of "isn't a command I know", `!help` lists them, and an
`@trendbot …` line or a plain question is answered as the bot answers an @mention."""

from __future__ import annotations

import subprocess

import pytest

from tests.test_cli import TRENDBOT
from trendbot.commands import REGISTRY, lookup, run
from trendbot.commands.console import answer_line
from trendbot.commands.registry import SERVER_ONLY

DISCORD_ONLY = ("subscribe", "unsubscribe", "subscriptions", "sync", "status")


@pytest.mark.parametrize("name", DISCORD_ONLY)
def test_discord_only_commands_say_where_they_work(ctx, name) -> None:
    reply = run(ctx, f"!{name} NeurIPS")
    assert reply.is_error and "isn't a command I know" not in reply.text
    assert reply.text.startswith(f"`!{name}` works in a Discord channel where trendbot is: ")
    assert reply.text.count(". ") <= 2  # a sentence or two, not an essay


def test_what_to_use_instead_here(ctx) -> None:
    assert "`trendbot collect --status`" in run(ctx, "!status").text
    assert "`trendbot sync`" in run(ctx, "/sync here").text
    assert "Manage Channels" in run(ctx, "subscribe papers").text


def test_they_are_known_to_help_but_not_to_the_bots_command_table(ctx) -> None:
    overview = run(ctx, "!help").text
    assert "In a Discord server only: `!subscribe`, `!unsubscribe`, `!subscriptions`, `!sync`, " \
        "`!status`." in overview  # fmt: skip
    one = run(ctx, "!help subscribe")
    assert not one.is_error and one.text.startswith("`!subscribe <topic> [#channel]`: ")
    assert "Only in a Discord server" in one.text and "digest" in one.text
    assert not run(ctx, "!help sync").is_error
    # The bot builds its commands from REGISTRY and routes by lookup(): the cogs keep them.
    assert set(DISCORD_ONLY) == set(SERVER_ONLY)
    assert not set(DISCORD_ONLY) & set(REGISTRY)
    assert all(lookup(name) is None for name in DISCORD_ONLY)
    assert all(SERVER_ONLY[name].server_only for name in DISCORD_ONLY)


def test_a_typo_of_one_is_suggested(ctx) -> None:
    assert "Did you mean `!subscribe`?" in run(ctx, "!subscrbe papers").text


@pytest.mark.parametrize(
    ("line", "note", "answer"),
    [
        (
            "@trendbot how many papers used pytorch at iclr 2020?",
            "I read that as `!ratio ICLR 2020`.",
            "**ICLR 2020**: PyTorch 169, TensorFlow 95.",
        ),
        (
            "what's pytorch's share at neurips 2019?",
            "I read that as `!ratio NeurIPS 2019`.",
            "**NeurIPS 2019**: PyTorch 182, TensorFlow 104.",
        ),
        ("@trendbot ratio nips 19", None, "**NeurIPS 2019**: PyTorch 182, TensorFlow 104."),
        ("<@1234567890123> !ratio cvpr 19", None, "**CVPR 2019**: PyTorch 294, TensorFlow 148."),
        ("@TrendBot, subscribe papers", None, "`!subscribe` works in a Discord channel"),
    ],
)
def test_mentions_and_questions_are_answered_as_the_bot_answers_them(
    ctx, line, note, answer
) -> None:
    got = answer_line(ctx, line)
    assert got.note == note
    assert got.reply.text.startswith(answer)


def test_what_cannot_be_read_gets_the_bots_help_line(ctx) -> None:
    for line in ("@trendbot hello there", "how are you"):
        got = answer_line(ctx, line)
        assert got.reply.is_error and got.reply.text.startswith("I couldn't turn that into")
        assert "isn't a command I know" not in got.reply.text
    typo = answer_line(ctx, "ventures").reply.text  # one word: a typo, as before
    assert typo.startswith("`!ventures` isn't a command I know. Did you mean `!venues`?")
    assert answer_line(ctx, "!raito nips 19").reply.text.startswith("`!raito` isn't a command")


def test_the_console_and_ask_answer_them(cli_env) -> None:
    lines = [
        "!subscribe NeurIPS",
        "@trendbot how many papers used pytorch at iclr 2020?",
        "!status",
        "ratio cvpr 19",
    ]
    proc = subprocess.run(
        [TRENDBOT, "console"], env=cli_env, input="\n".join(lines) + "\n",
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stderr == ""
    out = proc.stdout
    assert "isn't a command I know" not in out
    assert (
        out.index("`!subscribe` works in a Discord channel")
        < out.index("I read that as `!ratio ICLR 2020`.\n**ICLR 2020**: PyTorch 169")
        < out.index("`!status` works in a Discord channel")
        < out.index("**CVPR 2019**")
    )
    asked = subprocess.run(
        [TRENDBOT, "ask", "what's", "pytorch's", "share", "at", "neurips", "2019?"],
        env=cli_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.startswith("I read that as `!ratio NeurIPS 2019`.\n**NeurIPS 2019**")
