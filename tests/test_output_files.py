"""Files trendbot writes into a folder never go through what was planted there (issue 17): a
symbolic link at a reply file's name once let `!table` overwrite a file outside the output
folder. Checked through the real `trendbot ask` / `console` processes, the paper collector's
kept PDFs, and the one helper all of them write with."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.test_cli import TRENDBOT
from trendbot.collectors.papers.collect import Options, PaperCollector
from trendbot.config import Settings
from trendbot.storage.files import replace_file

PNG = b"\x89PNG\r\n\x1a\n"


def ask(env: dict[str, str], *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [TRENDBOT, *args], env=env, capture_output=True, text=True, timeout=60, **kw
    )


@pytest.fixture(scope="module")
def module_env(tmp_path_factory) -> dict[str, str]:
    """One store for the module's processes (created once, then only read)."""
    tmp = tmp_path_factory.mktemp("files")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "TRENDBOT_"))}
    env.update(TRENDBOT_DB=str(tmp / "cli.db"), TRENDBOT_ENV_FILE=os.devnull)
    assert ask({**env, "TRENDBOT_OUT": str(tmp / "out")}, "ask", "!venues").returncode == 0
    return env


@pytest.fixture
def cli_env(module_env, tmp_path) -> dict[str, str]:
    return {**module_env, "TRENDBOT_OUT": str(tmp_path / "out")}


@pytest.fixture
def out(cli_env) -> Path:
    path = Path(cli_env["TRENDBOT_OUT"])
    path.mkdir()
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_link_planted_at_a_reply_file_is_replaced_not_written_through(
    cli_env, out, tmp_path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("not trendbot's")
    (out / "trendbot-reply.txt").symlink_to(victim)
    (out / "trendbot-chart-neurips.png").symlink_to(victim)
    table = ask(cli_env, "ask", "!table")
    chart = ask(cli_env, "console", input="!chart NeurIPS\n")
    assert (table.returncode, chart.returncode) == (0, 0), table.stderr + chart.stderr
    assert victim.read_text() == "not trendbot's"
    reply, png = out / "trendbot-reply.txt", out / "trendbot-chart-neurips.png"
    assert not reply.is_symlink() and "method,venue,year" in reply.read_text()
    assert not png.is_symlink() and png.read_bytes().startswith(PNG)
    assert leftovers(out) == []


def test_a_hard_link_or_a_dangling_link_at_the_name_is_left_alone(cli_env, out, tmp_path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("not trendbot's")
    os.link(victim, out / "trendbot-reply.txt")  # the same file under two names
    (out / "trendbot-chart-neurips.png").symlink_to(tmp_path / "nowhere" / "x.png")
    assert ask(cli_env, "ask", "!table").returncode == 0
    assert ask(cli_env, "ask", "!chart NeurIPS").returncode == 0
    assert victim.read_text() == "not trendbot's"
    assert not (tmp_path / "nowhere").exists()
    assert (out / "trendbot-chart-neurips.png").read_bytes().startswith(PNG)


def test_a_folder_at_the_name_is_refused_in_one_sentence(cli_env, out) -> None:
    blocker = out / "trendbot-chart-neurips.png"
    blocker.mkdir()
    (blocker / "inside").write_text("mine")
    proc = ask(cli_env, "ask", "!chart NeurIPS")
    assert proc.returncode == 3 and proc.stdout.strip()  # the answer is printed first
    (sentence,) = proc.stderr.splitlines()
    assert sentence == (
        f"trendbot: could not write trendbot-chart-neurips.png into {out} ({blocker}: a folder "
        "of that name is in the way); move it away, or point --out or TRENDBOT_OUT at another "
        "folder."
    )
    assert (blocker / "inside").read_text() == "mine" and leftovers(out) == []


def test_a_failed_write_leaves_no_temporary_file_and_the_old_file_whole(cli_env, out) -> None:
    """A write cut short (here by a file-size limit, as a full disk would) leaves the previous
    reply file as it was, and no half-written file beside it."""
    assert ask(cli_env, "ask", "!chart NeurIPS").returncode == 0
    before = (out / "trendbot-chart-neurips.png").read_bytes()
    # One byte short of the chart; above SQLite's 32 kB shared-memory file, which must grow.
    limit = len(before) - 1
    assert limit > 32768 + 4096, "the chart is too small for this test's file-size limit"

    def small_files() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = ask(cli_env, "ask", "!chart NeurIPS", preexec_fn=small_files)
    assert proc.returncode == 3 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("trendbot: could not write trendbot-chart-neurips")
    assert (out / "trendbot-chart-neurips.png").read_bytes() == before
    assert leftovers(out) == []


async def test_kept_pdfs_replace_a_planted_link(tmp_path, store) -> None:
    victim = tmp_path / "victim.pdf"
    victim.write_bytes(b"not trendbot's")
    keep = tmp_path / "keep"
    collector = PaperCollector(store, Settings(), Options(keep_pdfs=keep))
    path = collector._kept_path("CVPR", 2025, "cvf:Paper_1")
    assert path is not None
    path.parent.mkdir(parents=True)
    path.symlink_to(victim)
    path.with_suffix(".part").symlink_to(victim)  # the temporary name it once wrote through
    await collector._keep(path, b"%PDF-1.4 a paper")
    assert victim.read_bytes() == b"not trendbot's"
    assert not path.is_symlink() and path.read_bytes() == b"%PDF-1.4 a paper"
    assert leftovers(path.parent) == []
    assert sorted(p.name for p in path.parent.iterdir()) == [
        path.with_suffix(".part").name,
        path.name,
    ]


def test_the_helper_keeps_the_usual_file_mode_and_refuses_names_with_folders(tmp_path) -> None:
    old = os.umask(0o022)
    try:
        path = replace_file(tmp_path, "a.txt", b"x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644  # as open() makes it, not mkstemp's 0600
    for bad in ("../escape.txt", "a/b", "", "..", "."):
        with pytest.raises(ValueError):
            replace_file(tmp_path, bad, b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
