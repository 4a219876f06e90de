"""`trendbot collect papers|industry` flags and stores as a careless or hostile user gives them
(issue 17): every bad value is one `trendbot collect …: error: argument --x: …` line and exit
status 2 before anything starts; a read-only store or folder is one sentence, not a sqlite3
traceback; a run of everything says what it will take and asks first. Nothing here reaches the
network: every base URL points at a closed port on 127.0.0.1, and each case stops before a
request could be made."""

from __future__ import annotations

import os
import pty
import select
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.unprivileged import read_only
from tests.test_cli import TRENDBOT, trendbot
from trendbot.cli import main
from trendbot.config import SOURCE_URLS
from trendbot.storage import open_store

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens there in a test


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("flags") / "t.db"
    open_store(path).close()
    return path


@pytest.fixture
def offline(monkeypatch, seeded):
    """In-process runs of `main()`: the module's store, no .env, every source on a closed port."""
    monkeypatch.setenv("TRENDBOT_DB", str(seeded))
    monkeypatch.setenv("TRENDBOT_ENV_FILE", os.devnull)
    for name in SOURCE_URLS:
        monkeypatch.setenv(name, CLOSED)
    return seeded


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


# -- papers: each bad value is one line from argparse ---------------------------------------------
PAPERS = "trendbot collect papers: error: argument"
BAD_PAPER_FLAGS = [
    (["--rate", "nan"], "--rate: give requests per second, a number from 0.01 to 1000, not 'nan'"),
    (["--rate", "inf"], "--rate: give requests per second"),
    (["--rate", "-5"], "--rate: give requests per second"),  # used to hang
    (["--rate", "0"], "--rate: give requests per second"),
    (["--rate", "1e-300"], "--rate: give requests per second"),
    (["--rate", "1e400"], "--rate: give requests per second"),
    (["--rate", ""], "--rate: give requests per second"),
    (["--downloads", "0"], "--downloads: give the number of PDFs downloading at once"),
    (["--downloads", "-3"], "--downloads: give the number of PDFs downloading at once"),
    (["--downloads", "10000000000"], "--downloads: give the number of PDFs"),
    (["--workers", "0"], "--workers: give the number of PDF reader processes"),
    (["--workers", "-2"], "--workers: give the number of PDF reader processes"),
    (["--workers", "100000"], "--workers: give the number of PDF reader processes"),
    (["--workers", "٣"], "--workers: give the number of PDF reader processes"),
    (["--batch", "0"], "--batch: give the number of papers saved per transaction"),
    (["--batch", "-1"], "--batch: give the number of papers saved per transaction"),
    (["--recent", "0"], "--recent: give a number of years from 1 to 50"),
    (["--recent", "-1"], "--recent: give a number of years from 1 to 50"),
    (["--year", "2030"], "--year: 2030 is in the future (this year is"),
    (["--year", "99999"], "--year: 99999 is in the future"),
    (["--year", "-0"], "--year: give a year from 1950, not '-0'"),
    (["--year", "twenty"], "--year: give a year such as"),
    (["--since", "3000"], "--since: 3000 is in the future"),
    (["--year", "2019", "--since", "2018"], "--since: not allowed with argument --year"),
    (["--year", "2019", "--recent", "2"], "--recent: not allowed with argument --year"),
    (["--since", "2019", "--recent", "2"], "--recent: not allowed with argument --since"),
    (["--venue", ""], "--venue: name a venue: NeurIPS, ICML"),
    (["--venue", " , "], "--venue: name a venue"),
    (["--venue", "CVPR,Nope", "--year", "2019"], "--venue: no venue called 'Nope' can be"),
    (["--keep-pdfs", "/etc/passwd"], "--keep-pdfs: /etc/passwd is a file, not a folder"),
    (["--keep-pdfs", "/etc/passwd/pdfs"], "--keep-pdfs: /etc/passwd/pdfs cannot be made: /etc"),
    (["--keep-pdfs", ""], "--keep-pdfs: name a folder to keep the PDFs in"),
]


@pytest.mark.parametrize(
    ("argv", "said"), BAD_PAPER_FLAGS, ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_bad_paper_flags_are_one_line_and_exit_2(offline, capsys, argv, said):
    code, out, err = run(["collect", "papers", *argv], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"{PAPERS} {said}") and err.count("\n") == 1, err
    assert err.endswith("; see trendbot collect papers --help\n")


BAD_INDUSTRY_FLAGS = [
    (["--metric", ""], "--metric: name a metric: github-stars"),
    (["--metric", "nope"], "--metric: 'nope' is not a metric; collected metrics:"),
    (["--framework", ""], "--framework: name a framework: pytorch"),
    (["--framework", "pytorch,cobol"], "--framework: 'cobol' is not a framework trendbot"),
    (["--since", "0001"], "--since: give a date from 2000 on"),
    (["--since", "1999-12-31"], "--since: give a date from 2000 on"),
    (["--since", "2999"], "--since: 2999 is in the future"),
    (["--since", "2019-13"], "--since: give a year, a month or a day such as 2019"),
    (["--since", ""], "--since: give a year, a month or a day"),
    (["--since", "nan"], "--since: give a year, a month or a day"),
]


@pytest.mark.parametrize(
    ("argv", "said"), BAD_INDUSTRY_FLAGS, ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_bad_industry_flags_are_one_line_and_exit_2(offline, capsys, argv, said):
    code, out, err = run(["collect", "industry", *argv], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"trendbot collect industry: error: argument {said}"), err
    assert err.count("\n") == 1


def test_a_pdf_folder_that_cannot_be_written_is_refused_up_front(offline, capsys, tmp_path):
    folder = tmp_path / "pdfs"
    folder.mkdir()
    with read_only(folder):
        code, _, err = run(["collect", "papers", "--keep-pdfs", str(folder)], capsys)
        code_below, _, err_below = run(
            ["collect", "papers", "--keep-pdfs", str(folder / "sub" / "dir")], capsys
        )
    assert code == 2 and f"--keep-pdfs: {folder} cannot be written: it is not a folder" in err
    assert code_below == 2 and f"cannot be written: {folder} is not a folder you can" in err_below
    assert list(folder.iterdir()) == []


def test_a_venue_with_no_source_for_the_year_says_so_not_the_year(offline, capsys):
    code, out, err = run(["collect", "papers", "--venue", "ICLR", "--year", "2015"], capsys)
    assert code == 2 and out == ""
    assert err == "trendbot: no venue-year to collect: trendbot lists ICLR only from 2018.\n"


# -- everything: say what it takes, then ask or need --yes ----------------------------------------
def expected_plan(db: Path) -> tuple[int, int]:
    """The venue-years and papers the plan must name, from the collector's own targets."""
    from trendbot.collectors.papers import VENUES
    from trendbot.collectors.papers.collect import targets
    from trendbot.collectors.papers.plan import estimate

    store = open_store(db)
    try:
        chosen = targets(store, list(VENUES), None, None)
        return len(chosen), estimate(store, chosen).papers
    finally:
        store.close()


def test_collecting_everything_off_a_terminal_needs_yes(cli_env, seeded):
    env = {**cli_env, "TRENDBOT_DB": str(seeded), **dict.fromkeys(SOURCE_URLS, CLOSED)}
    proc = trendbot(["collect", "papers", "--no-progress"], env, stdin="y\n")
    venue_years, papers = expected_plan(seeded)
    assert proc.returncode == 2 and proc.stdout == ""
    assert venue_years > 50 and papers > 10_000
    assert proc.stderr.startswith(
        "trendbot: collect papers without --year, --since or --recent collects every "
        f"year: {venue_years} venue-years (10 venues, 2015–"
    )
    assert f"about {papers:,} papers to download and read, taking about " in proc.stderr
    assert proc.stderr.endswith(
        "at the sources' polite rates. Add --yes to start it, or name the years (--year, "
        "--since or --recent).\n"
    )
    assert proc.stderr.count("\n") == 1


def test_the_estimate_follows_the_rate(offline, seeded):
    from trendbot.collectors.papers.collect import targets
    from trendbot.collectors.papers.plan import estimate

    store = open_store(seeded)
    chosen = targets(store, ["CVPR"], [2019], None)
    polite, fast = estimate(store, chosen), estimate(store, chosen, rate=20.0)
    store.close()
    assert polite.papers == fast.papers == 1294  # the study's CVPR 2019 total
    assert polite.seconds == pytest.approx(1295 / 2.0)  # CVF's polite 2 requests a second
    assert fast.seconds == pytest.approx(1295 / 20.0)
    assert polite.duration() == "11 minutes" and fast.duration() == "1 minute"


def test_collecting_everything_on_a_terminal_asks_and_no_means_nothing(cli_env, seeded):
    env = {**cli_env, "TRENDBOT_DB": str(seeded), **dict.fromkeys(SOURCE_URLS, CLOSED)}
    before = seeded.read_bytes()
    pid, fd = pty.fork()
    if pid == 0:  # the child: trendbot on a terminal
        os.execve(TRENDBOT, [TRENDBOT, "collect", "papers"], env)
    screen = b""
    deadline = time.monotonic() + 30
    answered = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        if not answered and b"[y/N] " in screen:
            os.write(fd, b"n\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    text = screen.decode()
    assert answered, text
    assert "collects every year" in text and "Start it? [y/N] " in text
    assert "trendbot: nothing collected." in text
    assert os.waitstatus_to_exitcode(status) == 1
    assert seeded.read_bytes() == before


# -- read-only stores ----------------------------------------------------------------------------
@pytest.mark.parametrize("what", ["file", "folder"])
@pytest.mark.parametrize(
    "argv",
    [
        ["collect", "papers", "--venue", "CVPR", "--year", "2019"],
        ["collect", "industry", "--metric", "hf-models"],
    ],
    ids=["papers", "industry"],
)
def test_a_read_only_store_is_one_sentence_for_every_collector(
    monkeypatch, capsys, tmp_path, what, argv
):
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "t.db"
    open_store(db).close()
    monkeypatch.setenv("TRENDBOT_ENV_FILE", os.devnull)
    for name in SOURCE_URLS:
        monkeypatch.setenv(name, CLOSED)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with read_only(db if what == "file" else folder):
        code, out, err = run(["--db", str(db), *argv], capsys)
    assert code == 2 and out == ""
    why = "the file is not writable" if what == "file" else "its folder is not writable"
    assert err.startswith(f"trendbot: cannot collect: the database is opened read-only ({why})")
    assert err.endswith(".\n") and err.count("\n") == 1
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert after["t.db"] == before["t.db"]  # (a read-only open may add SQLite's -shm beside it)


def test_a_dry_run_may_read_a_read_only_store(offline, capsys, tmp_path):
    """A dry run writes nothing: a read-only store does not stop it (here it stops at the
    venue check, before any request)."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "t.db"
    open_store(db).close()
    with read_only(folder):
        code, _, err = run(
            [
                "--db",
                str(db),
                "collect",
                "papers",
                "--dry-run",
                "--venue",
                "ICLR",
                "--year",
                "2016",
            ],
            capsys,
        )
    assert code == 2 and err == (
        "trendbot: no venue-year to collect: trendbot lists ICLR only from 2018.\n"
    )


async def test_the_bot_schedules_no_collection_on_a_read_only_store(tmp_path):
    from tests.support.bot_harness import running_bot

    open_store(tmp_path / "bot.db").close()
    with read_only(tmp_path / "bot.db"):
        async with running_bot(tmp_path, collect_every=3600.0) as r:
            assert r.bot.core.store.read_only
            assert r.bot.collections is None


# -- the property: any flag values, no traceback, no hang, no network ------------------------------
text = st.one_of(
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "-0",
            "0",
            "1",
            "2",
            "-1",
            "1e308",
            "1e-308",
            "",
            " ",
            "2019",
            "99999999999999999999",
            "0x10",
            "1_000",
            "٣",
            "２",
            "all",
            "CVPR",
            "../x",
            "\x00",
        ]
    ),
    st.text(max_size=12),
)
PAPER_FLAGS = ["--rate", "--downloads", "--workers", "--batch", "--keep-pdfs"]
WHEN_FLAGS = ["--venue", "--year", "--since", "--recent"]
INDUSTRY_FLAGS = ["--metric", "--framework", "--since"]


def _argv(draw_pairs) -> list[str]:
    return [f"{flag}={value}" for flag, value in draw_pairs]


fast = settings(
    max_examples=60,
    deadline=5000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@fast
@given(
    pairs=st.lists(st.tuples(st.sampled_from([*PAPER_FLAGS, "--venue"]), text), max_size=4),
    switches=st.lists(st.sampled_from(["--dry-run", "--json", "--refresh", "--all-tracks"])),
)
def test_any_paper_flag_values_on_an_everything_run(offline, capsys, pairs, switches):
    """Without a year, off a terminal and without --yes, a run stops after the plan: every
    value is checked, the plan computed with it, and no request is made."""
    code, _, err = run(["collect", "papers", *_argv(pairs), *switches], capsys)
    assert code in (0, 1, 2, 3) and "Traceback" not in err and err.count("\n") == 1
    assert code == 2  # a bad value, or the plan asking for --yes


@fast
@given(
    pairs=st.lists(st.tuples(st.sampled_from(WHEN_FLAGS + PAPER_FLAGS), text), max_size=4),
)
def test_any_venue_and_year_values(monkeypatch, capsys, tmp_path_factory, pairs):
    """Values that name venue-years would collect: the store here is a file trendbot refuses
    to touch, so a run that gets past every check stops there, before any request."""
    foreign = tmp_path_factory.getbasetemp() / "not-a-store.db"
    foreign.write_bytes(b"not sqlite" * 20)
    monkeypatch.setenv("TRENDBOT_ENV_FILE", os.devnull)
    for name in SOURCE_URLS:
        monkeypatch.setenv(name, CLOSED)
    code, _, err = run(["--db", str(foreign), "collect", "papers", *_argv(pairs)], capsys)
    assert code == 2 and "Traceback" not in err
    assert err.count("\n") == 1  # one sentence


@fast
@given(pairs=st.lists(st.tuples(st.sampled_from(INDUSTRY_FLAGS), text), max_size=4))
def test_any_industry_flag_values(monkeypatch, capsys, tmp_path_factory, pairs):
    foreign = tmp_path_factory.getbasetemp() / "not-a-store.db"
    foreign.write_bytes(b"not sqlite" * 20)
    monkeypatch.setenv("TRENDBOT_ENV_FILE", os.devnull)
    for name in SOURCE_URLS:
        monkeypatch.setenv(name, CLOSED)
    code, _, err = run(["--db", str(foreign), "collect", "industry", *_argv(pairs)], capsys)
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1


def test_the_closed_port_is_closed():
    """The property tests' safety net: nothing answers on it."""
    import socket

    with socket.socket() as s:
        s.settimeout(1)
        assert s.connect_ex(("127.0.0.1", 9)) != 0


def test_a_bad_flag_as_a_process_is_one_line(cli_env):
    proc = trendbot(["collect", "papers", "--rate", "nan"], cli_env)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        "trendbot collect papers: error: argument --rate: give requests per second, a number "
        "from 0.01 to 1000, not 'nan'; see trendbot collect papers --help\n"
    )
    assert not Path(cli_env["TRENDBOT_DB"]).exists()  # refused before the store was opened
