"""A `.env` trendbot cannot use, and bad base URLs (issue 17): never a traceback, never a stop
for a command that does not need the setting; one warning line on stderr naming the file, never
a value from it. The commands run as real processes, in a folder holding the `.env`."""

from __future__ import annotations

import codecs
import logging
import os
import subprocess

import pytest

from tests.support.unprivileged import as_nobody
from tests.test_cli import TRENDBOT, trendbot
from trendbot import config
from trendbot.config import ENV_FILE_LIMIT, EnvFile, read_env_file

SECRET = "sekrit-token-value"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One store for the module's processes (seeding a fresh one costs half a second each)."""
    from trendbot.storage import open_store

    path = tmp_path_factory.mktemp("envdb") / "t.db"
    open_store(path).close()
    return path


@pytest.fixture
def cli_env(cli_env, seeded):
    return {**cli_env, "TRENDBOT_DB": str(seeded)}


@pytest.fixture
def home_env(cli_env):
    """``cli_env`` without TRENDBOT_ENV_FILE: trendbot reads ./.env of the folder it runs in."""
    env = dict(cli_env)
    env.pop("TRENDBOT_ENV_FILE")
    return env


def ask_in(folder, env, question="?about"):
    cmd = [TRENDBOT, "ask", question]
    return subprocess.run(cmd, env=env, cwd=folder, capture_output=True, text=True, timeout=60)


# -- files that are fine: read as they are, without a word ---------------------------------------
@pytest.mark.parametrize(
    "data",
    [
        "COMMAND_PREFIX=?\n".encode("utf-16"),  # Notepad's "Unicode": UTF-16 LE with a BOM
        codecs.BOM_UTF16_BE + "COMMAND_PREFIX=?\n".encode("utf-16-be"),
        "COMMAND_PREFIX=?\n".encode("utf-8-sig"),  # Notepad's "UTF-8 with BOM"
        "COMMAND_PREFIX=?\n".encode("utf-32"),
        "# café, naïve\r\nCOMMAND_PREFIX=?\r\n".encode(),
    ],
    ids=["utf16-le-bom", "utf16-be-bom", "utf8-bom", "utf32-bom", "utf8-crlf"],
)
def test_env_files_in_unicode_encodings_are_read(tmp_path, data):
    (tmp_path / ".env").write_bytes(data)
    assert read_env_file(tmp_path / ".env") == EnvFile({"COMMAND_PREFIX": "?"})


def test_notepads_utf16_env_file_sets_the_prefix(home_env, tmp_path):
    (tmp_path / ".env").write_bytes("# café\r\nCOMMAND_PREFIX=?\r\n".encode("utf-16"))
    proc = ask_in(tmp_path, home_env)
    assert proc.returncode == 0, proc.stderr
    assert "`?method final`" in proc.stdout  # the prefix came from the file
    assert proc.stderr == ""


# -- files that are not: one line on stderr, and the command answers -----------------------------
def test_a_latin1_comment_is_read_and_said_once(home_env, tmp_path):
    (tmp_path / ".env").write_bytes(
        b"# caf\xe9 et cr\xe8me\nCOMMAND_PREFIX=?\nDISCORD_TOKEN=" + SECRET.encode() + b"\n"
    )
    proc = ask_in(tmp_path, home_env)
    assert proc.returncode == 0, proc.stderr
    assert "`?method final`" in proc.stdout
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert ".env: line 1 is not UTF-8" in proc.stderr and "Latin-1" in proc.stderr
    assert SECRET not in proc.stderr + proc.stdout


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda p: p.mkdir(), "is a folder, not a file"),
        (lambda p: p.write_bytes(bytes(range(256)) * 8), "not a text file"),
        (lambda p: p.write_bytes(b"A" * (ENV_FILE_LIMIT + 1)), "larger than 64 kB"),
        (lambda p: p.write_bytes("COMMAND_PREFIX=?\n".encode("utf-16-le")), "not a text file"),
        (
            lambda p: p.write_text(
                "A0=xy\n" + "".join(f"A{i}=${{A{i - 1}}}${{A{i - 1}}}\n" for i in range(1, 40))
            ),
            "expands to more than 64 kB",
        ),
    ],
    ids=["folder", "binary", "huge", "utf16-without-bom", "expansion-bomb"],
)
def test_an_unusable_env_file_is_ignored_with_one_sentence(tmp_path, make, said):
    make(tmp_path / ".env")
    got = read_env_file(tmp_path / ".env")
    assert got.values == {}
    assert got.warning.startswith(f"the settings file {tmp_path / '.env'} ")
    assert said in got.warning and got.warning.endswith("the environment alone is used.")


def test_a_folder_for_env_file_is_ignored_with_one_line(home_env, tmp_path):
    (tmp_path / ".env").mkdir()
    proc = ask_in(tmp_path, home_env, "!about")
    assert proc.returncode == 0, proc.stderr
    assert "`!method final`" in proc.stdout
    assert proc.stderr == (
        "trendbot: warning: the settings file .env is a folder, not a file; it was ignored, "
        "the environment alone is used.\n"
    )


def test_lines_without_equals_are_skipped_naming_the_line_not_its_text(home_env, tmp_path):
    (tmp_path / ".env").write_text(f"COMMAND_PREFIX=?\n{SECRET}\nDISCORD_TOKEN {SECRET}\n")
    proc = ask_in(tmp_path, home_env)
    assert proc.returncode == 0, proc.stderr
    assert "`?method final`" in proc.stdout  # the good line still counts
    assert proc.stderr.strip() == (
        "trendbot: warning: the settings file .env: lines 2, 3 are not NAME=value, so they "
        "were skipped."
    )


def test_an_unreadable_env_file_is_ignored_with_one_line(public_dir, home_env):
    (public_dir / "data").mkdir(mode=0o777)
    (public_dir / "data").chmod(0o777)
    env = {**home_env, "TRENDBOT_DB": str(public_dir / "data" / "t.db")}
    env["TRENDBOT_OUT"] = str(public_dir / "data" / "out")
    (public_dir / ".env").write_text(f"COMMAND_PREFIX=?\nDISCORD_TOKEN={SECRET}\n")
    (public_dir / ".env").chmod(0o000)
    proc = as_nobody([TRENDBOT, "ask", "!about"], env, cwd=public_dir)
    assert proc.returncode == 0, proc.stderr
    assert "`!method final`" in proc.stdout
    assert proc.stderr.strip() == (
        "trendbot: warning: the settings file .env cannot be read (permission denied); it was "
        "ignored, the environment alone is used."
    )


def test_a_missing_env_file_named_by_trendbot_env_file_is_said_once(cli_env, tmp_path):
    env = {**cli_env, "TRENDBOT_ENV_FILE": str(tmp_path / "nope.env")}
    proc = trendbot(["console"], env, stdin="!venues\n!about\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == (
        f"trendbot: warning: TRENDBOT_ENV_FILE {tmp_path / 'nope.env'} does not exist; it was "
        "ignored, the environment alone is used.\n"
    )


def test_a_fifo_is_never_opened(tmp_path):
    """Opening a FIFO waits for a writer for ever; a settings file is a regular file."""
    os.mkfifo(tmp_path / "fifo")
    got = read_env_file(tmp_path / "fifo", named=True)
    assert got.values == {} and "not a regular file" in (got.warning or "")


def test_the_warning_is_given_once_per_process(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(config, "_warned", set())
    monkeypatch.setenv("TRENDBOT_ENV_FILE", str(tmp_path / "missing.env"))
    with caplog.at_level(logging.WARNING, logger="trendbot.config"):
        config.Settings.from_env()
        config.Settings.from_env()
    assert [r.getMessage() for r in caplog.records].count(
        f"trendbot: warning: TRENDBOT_ENV_FILE {tmp_path / 'missing.env'} does not exist; it "
        "was ignored, the environment alone is used."
    ) == 1


# -- bad base URLs stop only what uses them ------------------------------------------------------
BAD = ["not a url", "http://[::1", "ftp://x", f"http://me:{SECRET}@[::1/"]


def test_bad_base_urls_do_not_stop_offline_commands(home_env, tmp_path):
    """(and no .env at all is silent)"""
    names = ["NEURIPS_BASE_URL", "GITHUB_BASE_URL", "DISCORD_API_BASE", "DISCORD_GATEWAY_URL"]
    env = {**home_env, **dict(zip(names, BAD, strict=True))}
    proc = ask_in(tmp_path, env, "!ratio NeurIPS 2019")
    assert proc.returncode == 0 and proc.stderr == ""
    assert "PyTorch 182" in proc.stdout


@pytest.mark.parametrize("raw", BAD[2:])
def test_a_bad_base_url_stops_its_collector_with_one_sentence(cli_env, raw):
    env = {**cli_env, "HF_BASE_URL": raw}
    proc = trendbot(["collect", "industry", "--metric", "hf-models", "--framework", "jax"], env)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and SECRET not in proc.stdout + proc.stderr
    assert proc.stdout.startswith("hf: failed, nothing stored: HF_BASE_URL must be a full URL")


def test_a_bad_base_url_fails_its_venue_year_with_one_sentence(cli_env):
    env = {**cli_env, "NEURIPS_BASE_URL": f"http://me:{SECRET}@[::1"}
    proc = trendbot(["collect", "papers", "--venue", "NeurIPS", "--year", "2019"], env)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and SECRET not in proc.stdout + proc.stderr
    assert proc.stdout == (
        "NeurIPS 2019: NEURIPS_BASE_URL must be a full URL such as http://127.0.0.1:8080, "
        "not 'http://me:***@[::1'.\n"
    )


def test_a_bad_discord_url_stops_the_bot_before_it_connects(cli_env):
    env = {**cli_env, "DISCORD_TOKEN": SECRET, "DISCORD_GATEWAY_URL": "https://gw.example"}
    proc = trendbot(["run"], env)
    assert proc.returncode == 2, proc.stderr
    assert "DISCORD_GATEWAY_URL must be a full URL such as ws://127.0.0.1:8080" in proc.stderr
    assert "Traceback" not in proc.stderr and SECRET not in proc.stderr


async def test_a_password_in_a_mirror_url_is_used_but_never_said(caplog):
    """``//user:secret@mirror`` still authenticates, but the failure sentence (what `collect`
    prints) and the retry log show ``***``."""
    import base64

    from tests.support.loopback import Loopback, Reply
    from tests.test_http import FAST
    from trendbot.collectors.http import FetchError, HttpClient
    from trendbot.config import SOURCE_URLS, Settings

    async with Loopback() as srv:
        srv.route("/x", Reply.error(500), Reply.error(500), Reply.error(500), Reply.error(500))
        base = srv.base.replace("http://", f"http://me:{SECRET}@")
        settings = Settings(source_urls={**SOURCE_URLS, FAST.base_setting: base})
        with caplog.at_level(logging.INFO, logger="trendbot"):
            async with HttpClient(settings, {FAST.name: FAST}, env={}) as http:
                with pytest.raises(FetchError) as failed:
                    await http.get(FAST.name, "/x")
    sent = srv.requests[0].headers["Authorization"]
    assert sent == "Basic " + base64.b64encode(f"me:{SECRET}".encode()).decode()
    assert SECRET not in failed.value.reason and "me:***@127.0.0.1" in failed.value.reason
    assert SECRET not in caplog.text and "retrying" in caplog.text
