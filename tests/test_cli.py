"""The console as a newcomer runs it: `trendbot ask` and `trendbot console` in a real process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trendbot.storage.version import SCHEMA_VERSION

TRENDBOT = shutil.which("trendbot", path=str(Path(sys.executable).parent)) or shutil.which(
    "trendbot"
)


def trendbot(args: list[str], env: dict[str, str], stdin: str | None = None):
    cmd = [TRENDBOT, *args] if TRENDBOT else [sys.executable, "-m", "trendbot", *args]
    return subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True, timeout=60)


def test_ask_answers_offline(cli_env):
    proc = trendbot(["ask", "!ratio NeurIPS 2019"], cli_env)
    assert proc.returncode == 0, proc.stderr
    assert "PyTorch 182" in proc.stdout and "TensorFlow 104" in proc.stdout
    assert "1,427" in proc.stdout and "63.6 %" in proc.stdout
    assert proc.stderr == ""
    assert Path(cli_env["TRENDBOT_DB"]).is_file()


def test_ask_spellings_and_article_method(cli_env):
    a = trendbot(["ask", "!ratio NeurIPS 2019"], cli_env).stdout
    b = trendbot(["ask", "!ratio nips 19"], cli_env).stdout
    assert a == b
    art = trendbot(["ask", "ratio", "CVPR", "2019", "--method", "article"], cli_env)
    assert "PyTorch 280" in art.stdout and "TensorFlow 125" in art.stdout


def test_ask_bad_input_is_friendly(cli_env):
    proc = trendbot(["ask", "!ratio NIPZ 2019"], cli_env)
    assert proc.returncode == 1
    assert "Did you mean **NeurIPS**" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_long_answer_written_to_file(cli_env):
    proc = trendbot(["ask", "!table"], cli_env)
    assert proc.returncode == 0
    path = Path(proc.stdout.split("[file written: ")[1].split("]")[0])
    assert path.is_file() and path.parent == Path(cli_env["TRENDBOT_OUT"])
    assert "final,NeurIPS,2019,182,104" in path.read_text()


def test_console_loop(cli_env):
    proc = trendbot(
        ["console"], cli_env, stdin="!ratio cvpr 19\n\nventures\n!ratio 2019\nquit\n!help\n"
    )
    assert proc.returncode == 0
    out = proc.stdout
    assert "PyTorch 294" in out
    assert "isn't a command I know. Did you mean `!venues`?" in out
    assert "EMNLP" in out
    assert "trendbot commands" not in out and "!about" not in out  # stopped at quit


def test_corrupt_database_is_one_sentence(cli_env, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 1000)
    env = {**cli_env, "TRENDBOT_DB": str(bad)}
    proc = trendbot(["ask", "!ratio NeurIPS 2019"], env)
    assert proc.returncode == 2
    assert "not a trendbot database" in proc.stderr and "Traceback" not in proc.stderr
    assert bad.read_bytes() == b"garbage" * 1000


def test_env_file_sets_prefix(cli_env, tmp_path):
    env_file = tmp_path / "custom.env"
    env_file.write_text("COMMAND_PREFIX=?\n")
    env = {**cli_env, "TRENDBOT_ENV_FILE": str(env_file)}
    proc = trendbot(["ask", "?ratio"], env)
    assert "`?ratio <venue>" in proc.stdout


@pytest.mark.parametrize("args", [["info"]])
def test_info(cli_env, args):
    proc = trendbot(args, cli_env)
    assert proc.returncode == 0 and f"schema version: {SCHEMA_VERSION}" in proc.stdout
