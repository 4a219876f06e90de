"""`trendbot run` and `trendbot sync` as separate processes, pointed at the emulator by env vars.

This is how an operator meets the bot: a command, environment variables, a log on stderr, an
exit status. Failures must read as one sentence (no traceback), the token must never appear in
the output, and SIGTERM must stop the bot cleanly.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from tests.support.discord_emulator import DiscordEmulator

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def bot_env(cli_env: dict[str, str], emu: DiscordEmulator | None, **extra: str) -> dict[str, str]:
    env = {
        **cli_env,
        "LOG_LEVEL": "INFO",
        "CHART_WORKERS": "0",  # keep process start fast; charts are covered in-process
        "PYTHONUNBUFFERED": "1",
    }
    if emu is not None:
        env.update(
            DISCORD_TOKEN=emu.token,
            DISCORD_API_BASE=emu.api_base,
            DISCORD_GATEWAY_URL=emu.gateway_url,
        )
    env.update(extra)
    return env


async def start(args: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "trendbot",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(proc: asyncio.subprocess.Process, timeout: float = 30) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


def assert_one_sentence(stderr: str, *needles: str) -> str:
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("trendbot: "), stderr
    assert last.count(". ") == 0 or last.rstrip().endswith("."), last
    for needle in needles:
        assert needle in last, last
    return last


async def test_run_as_a_process_answers_and_stops_cleanly_on_sigterm(cli_env):
    async with DiscordEmulator(token="secret-token-do-not-log-7Hq2") as emu:
        proc = await start(["run"], bot_env(cli_env, emu))
        try:
            await emu.wait_ready(timeout=30)
            mid = await emu.user_says("!ratio NeurIPS 2019")
            msg = await emu.wait_reply(mid, timeout=15)
            question = await emu.wait_reply(
                await emu.user_says(f"{emu.mention()} is pytorch growing at cvpr?"), timeout=15
            )
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        code, out, err = await finish(proc)
    assert "182" in msg.text() and "104" in msg.text()
    assert "`!ratio CVPR`" in question.content
    assert code == 0, err
    assert "Traceback" not in err
    assert "trendbot stopped" in err
    assert "TEST HOOKS ACTIVE" in err  # the redirect is never silent
    assert emu.token not in out + err  # never logged, never echoed
    assert "is not installed, voice" not in err  # harmless noise filtered out


async def test_missing_token_is_one_sentence_and_a_nonzero_exit(cli_env):
    env = bot_env(cli_env, None, DISCORD_TOKEN="")
    proc = await start(["run"], env)
    code, _, err = await finish(proc)
    assert code == 2
    assert_one_sentence(err, "DISCORD_TOKEN is not set")


async def test_rejected_token_is_one_sentence(cli_env):
    async with DiscordEmulator() as emu:
        env = bot_env(cli_env, emu, DISCORD_TOKEN="not-the-right-token")
        code, out, err = await finish(await start(["run"], env))
    assert code == 3
    assert_one_sentence(err, "rejected DISCORD_TOKEN", "Reset Token")
    assert "not-the-right-token" not in out + err


async def test_close_4014_is_one_sentence_naming_the_intent(cli_env):
    async with DiscordEmulator(approved_intents=0) as emu:  # the portal switch is off
        code, _, err = await finish(await start(["run"], bot_env(cli_env, emu)))
    assert code == 4
    assert_one_sentence(err, "4014", "message content intent", "MESSAGE_CONTENT_INTENT=false")


async def test_without_the_intent_configured_the_same_application_connects(cli_env):
    async with DiscordEmulator(approved_intents=0) as emu:
        env = bot_env(cli_env, emu, MESSAGE_CONTENT_INTENT="false")
        proc = await start(["run"], env)
        try:
            await emu.wait_ready(timeout=30)
            msg = await emu.wait_reply(
                await emu.user_says(f"{emu.mention()} ratio NeurIPS 2019"), timeout=15
            )
        finally:
            proc.send_signal(signal.SIGTERM)
        code, _, err = await finish(proc)
    assert "182" in msg.text() and code == 0
    assert "message content intent is off" in err


async def test_sync_command_registers_the_tree_and_exits(cli_env):
    async with DiscordEmulator() as emu:
        env = bot_env(cli_env, emu)
        code, _, err = await finish(await start(["sync"], env))
        assert code == 0, err
        assert emu.command_syncs == 1 and {"ratio", "help"} <= {c["name"] for c in emu.commands}
        assert not emu.identifies  # no gateway connection needed to sync
        code, _, err = await finish(await start(["sync", "--guild", str(emu.guild_id)], env))
        assert code == 0, err
        assert emu.guild_id in emu.guild_commands and emu.command_syncs == 2


def test_bad_setting_is_one_sentence(cli_env):
    env = bot_env(cli_env, None, DISCORD_TOKEN="x", COMMAND_COOLDOWN="lots")
    result = subprocess.run(
        [sys.executable, "-m", "trendbot", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.getcwd(),
    )
    assert result.returncode == 2
    assert_one_sentence(result.stderr, "COMMAND_COOLDOWN")
