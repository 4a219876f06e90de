"""The console and `trendbot ask` as a hostile or unlucky user meets them (issue 7): bad bytes
under real UTF-8 locales, folders that cannot be written, custom prefixes, `~` in paths, bad
URL settings. Each runs `trendbot` as a real process."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.test_cli import TRENDBOT

QUIT = {b"quit", b"exit", b":q"}


def run_bytes(args: list[str], env: dict[str, str], stdin: bytes = b""):
    cmd = [TRENDBOT, *args] if TRENDBOT else [sys.executable, "-m", "trendbot", *args]
    return subprocess.run(cmd, env=env, input=stdin, capture_output=True, timeout=60)


@functools.cache
def locales_dir() -> str | None:
    """A folder holding a compiled en_US.UTF-8 locale (LOCPATH), made with localedef when the
    machine lacks it; None if it cannot be made."""
    listed = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower()
    if "en_us.utf8" in listed or "en_us.utf-8" in listed:
        return ""
    localedef = shutil.which("localedef")
    if not localedef:
        return None
    target = Path(os.environ.get("TMPDIR", "/tmp")) / f"trendbot-locales-{os.getuid()}"
    if not (target / "en_US.UTF-8").is_dir():
        target.mkdir(exist_ok=True)
        made = subprocess.run(
            [localedef, "-i", "en_US", "-f", "UTF-8", str(target / "en_US.UTF-8")],
            capture_output=True,
        )
        if made.returncode not in (0, 1) or not (target / "en_US.UTF-8").is_dir():
            return None
    return str(target)


def locale_env(base: dict[str, str], name: str) -> dict[str, str]:
    env = {**base, "LC_ALL": name, "LANG": name}
    env.pop("PYTHONIOENCODING", None)
    env.pop("PYTHONUTF8", None)
    if name.startswith("en_US"):
        where = locales_dir()
        if where is None:
            pytest.skip("no en_US.UTF-8 locale on this machine and localedef could not make one")
        if where:
            env["LOCPATH"] = where
    return env


@pytest.fixture(scope="module")
def shared_env(tmp_path_factory) -> dict[str, str]:
    """One store for the property test's many processes (created once, then only read)."""
    tmp = tmp_path_factory.mktemp("bytes")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TRENDBOT_"))}
    env.update(
        TRENDBOT_DB=str(tmp / "cli.db"),
        TRENDBOT_OUT=str(tmp / "out"),
        TRENDBOT_ENV_FILE=os.devnull,
    )
    assert run_bytes(["ask", "!venues"], env).returncode == 0
    return env


@functools.cache
def marker_answer(db: str) -> bytes:
    from trendbot.commands import Context, run
    from trendbot.storage import open_store

    with open_store(db) as store:
        return run(Context(store), "!ratio NeurIPS 2019").as_plain_text().encode() + b"\n"


@pytest.mark.parametrize("loc", ["C.UTF-8", "en_US.UTF-8"])
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(st.binary(max_size=80).map(lambda b: b.replace(b"\n", b"")), max_size=8))
def test_console_answers_every_line_of_arbitrary_bytes(shared_env, loc, lines):
    for line in lines:
        low = line.strip().lower()
        assume(low not in QUIT)
        assume(not (b"19" in low and any(v in low for v in (b"nips", b"neur"))))
    env = locale_env(shared_env, loc)
    marker = b"!ratio NeurIPS 2019"
    stdin = b"".join(line + b"\n" + marker + b"\n" for line in lines) + marker + b"\n"
    proc = run_bytes(["console"], env, stdin)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert proc.stderr == b""
    answer = marker_answer(env["TRENDBOT_DB"])
    segments = proc.stdout.split(answer)
    # one segment per generated line (its answer), then the final marker's (empty) tail
    assert len(segments) == len(lines) + 2, proc.stdout[:2000]
    for line, seg in zip(lines, segments, strict=False):
        blank = not line.rstrip(b"\r").decode("utf-8", "replace").strip()
        assert bool(seg.strip()) != blank, (line, seg)  # answered, unless there was nothing
    assert segments[-2:] == [b"", b""]


@pytest.mark.parametrize("loc", ["C.UTF-8", "en_US.UTF-8"])
def test_bad_bytes_in_ask_and_console_are_answered_not_crashed(cli_env, loc):
    env = locale_env(cli_env, loc)
    console = run_bytes(["console"], env, b"!ratio NeurIPS 2019\n!ratio \xff 2019\n")
    assert console.returncode == 0 and console.stderr == b""
    assert b"PyTorch 182" in console.stdout
    assert "I don't know the venue `\ufffd`".encode() in console.stdout
    ask = run_bytes(["ask", b"!ratio \xff 2019".decode("utf-8", "surrogateescape")], env)
    assert ask.returncode == 1 and ask.stderr == b""
    assert "`\ufffd`".encode() in ask.stdout


def test_terminal_escapes_in_input_never_reach_the_terminal(cli_env):
    proc = run_bytes(["console"], cli_env, b"!ratio \x1b[2J\x1b]0;pwned\x07 2019\n")
    assert proc.returncode == 0 and b"\x1b" not in proc.stdout and b"\x07" not in proc.stdout


@pytest.mark.parametrize(
    ("out", "why"),
    [("file", "it is not a folder"), ("/dev/null", "it is not a folder"), ("/sys/trendbot", "")],
)
def test_an_unwritable_output_folder_prints_the_answer_then_one_sentence(
    cli_env, tmp_path, out, why
):
    if out == "file":
        out = str(tmp_path / "a-file")
        Path(out).write_text("mine")
    env = {**cli_env, "TRENDBOT_OUT": out}
    for args in (["ask", "!table"], ["ask", "!chart NeurIPS"]):
        proc = subprocess.run(
            [TRENDBOT, *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 3, proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stdout.strip()  # the answer came first
        (sentence,) = proc.stderr.strip().splitlines()
        assert sentence.startswith("trendbot: could not write") and why in sentence
    if out.endswith("a-file"):
        assert Path(out).read_text() == "mine"
    via_flag = subprocess.run(
        [TRENDBOT, "--out", out, "console"],
        env=cli_env, input="!table\n!ratio CVPR 2019\n", capture_output=True, text=True,
    )  # fmt: skip
    assert via_flag.returncode == 3 and "PyTorch 294" in via_flag.stdout


@pytest.mark.parametrize("prefix", ["!", "$", "tb!", "?"])
def test_the_configured_prefix_the_default_and_none_all_work(cli_env, prefix):
    env = {**cli_env, "COMMAND_PREFIX": prefix}
    for typed in (f"{prefix}ratio nips 19", "!ratio nips 19", "ratio nips 19", "/ratio nips 19"):
        proc = subprocess.run(
            [TRENDBOT, "ask", typed], env=env, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0 and "PyTorch 182" in proc.stdout, (typed, proc.stdout)
    console = subprocess.run(
        [TRENDBOT, "console"], env=env, capture_output=True, text=True, timeout=60,
        input=f"{prefix}ratio cvpr 19\nratio\nventures\n",
    )  # fmt: skip
    assert "PyTorch 294" in console.stdout
    assert f"For example `{prefix}ratio NeurIPS 2019`" in console.stdout
    assert f"Did you mean `{prefix}venues`?" in console.stdout
    if prefix != "!":
        assert "`!" not in console.stdout


def test_tilde_in_db_and_out_is_the_home_folder(cli_env, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    env_file = work / ".env"
    env_file.write_text("TRENDBOT_DB=~/from-env-file/t.db\nTRENDBOT_OUT=~/out\n")
    env = {**cli_env, "HOME": str(home), "TRENDBOT_ENV_FILE": str(env_file)}
    del env["TRENDBOT_DB"], env["TRENDBOT_OUT"]
    proc = subprocess.run(
        [TRENDBOT, "ask", "!table"], env=env, cwd=work, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert (home / "from-env-file" / "t.db").is_file()
    assert (home / "out" / "trendbot-reply.txt").is_file()
    assert not (work / "~").exists()
    env["TRENDBOT_DB"] = "~/from-environment.db"
    subprocess.run([TRENDBOT, "ask", "!venues"], env=env, cwd=work, capture_output=True)
    assert (home / "from-environment.db").is_file() and not (work / "~").exists()


@pytest.mark.parametrize(
    ("name", "value", "args"),
    [
        ("DISCORD_API_BASE", "not-a-url", ["run"]),
        ("DISCORD_GATEWAY_URL", "http://x", ["run"]),
        ("CVF_BASE_URL", "x", ["collect", "papers", "--venue", "CVPR", "--year", "2019"]),
    ],
)
def test_bad_url_settings_are_one_sentence_where_used(cli_env, name, value, args):
    """Where the setting is used, one sentence naming it; `ask`, which never uses it, answers
    (issue 17: a bad collector URL used to stop every command)."""
    env = {**cli_env, name: value, "DISCORD_TOKEN": "x"}
    asked = subprocess.run([TRENDBOT, "ask", "!venues"], env=env, capture_output=True, text=True)
    assert asked.returncode == 0 and asked.stderr == ""
    proc = subprocess.run([TRENDBOT, *args], env=env, capture_output=True, text=True)
    said = proc.stderr if args == ["run"] else proc.stdout
    assert proc.returncode == (2 if args == ["run"] else 1), proc.stderr
    assert f"{name} must be a full URL" in said and "Traceback" not in proc.stderr
    assert len(said.strip().splitlines()) == 1
