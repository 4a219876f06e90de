"""`trendbot scan` given what is not a PDF file (issue 17): devices, named pipes, huge files,
a memory limit, odd file names, bad flag values, and arbitrary files and bytes. Each case runs
the real command (a process, or ``main()`` in the property test) and must end, quickly, with
one sentence per file and never a traceback."""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import pdfgen
from tests.test_scan_cli import trendbot
from trendbot.cli import main

GB = 1024**3


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    os.mkfifo(d / "pipe.pdf")
    (d / "zero.pdf").symlink_to("/dev/zero")
    (d / "loop.pdf").symlink_to(d / "loop.pdf")
    with open(d / "huge.pdf", "wb") as f:  # sparse: 1 GB that takes no disk
        f.truncate(GB)
    (d / "two-mb.pdf").write_bytes(b"%PDF-1.4\n" + b"\0" * (2 * 1024 * 1024))
    (d / "plain.pdf").write_bytes(pdfgen.make_paper(14, 1))
    return d


def test_devices_pipes_and_links_to_them_are_refused_at_once(hostile, cli_env) -> None:
    """/dev/zero grew to 24 GB, a FIFO and /dev/urandom hung past --timeout: now each is one
    sentence, without a byte read, and the file after them is still scanned."""
    names = ["/dev/zero", "/dev/urandom", "pipe.pdf", "zero.pdf", "loop.pdf", ".", "plain.pdf"]
    started = time.monotonic()
    proc = trendbot(["scan", "--timeout", "5", *names], cli_env, hostile)
    assert time.monotonic() - started < 30
    assert proc.returncode == 1 and proc.stderr == ""
    assert proc.stdout.splitlines()[:7] == [
        "/dev/zero: cannot read it: is a device, not a regular file.",
        "/dev/urandom: cannot read it: is a device, not a regular file.",
        "pipe.pdf: cannot read it: is a named pipe, not a regular file.",
        "zero.pdf: cannot read it: is a device, not a regular file.",
        "loop.pdf: cannot read it: is a loop of symbolic links.",
        ".: cannot read it: is a directory, not a PDF file.",
        "plain.pdf: 1 page",
    ]


def test_files_over_the_size_limit_are_refused_before_reading(hostile, cli_env) -> None:
    proc = trendbot(["scan", "huge.pdf", "plain.pdf"], cli_env, hostile)
    assert proc.returncode == 1 and proc.stderr == ""
    assert proc.stdout.splitlines()[0] == (
        "huge.pdf: cannot read it: is 1,024 MB, over the 100 MB limit "
        "(set TRENDBOT_SCAN_MAX_MB to raise it)."
    )
    small = {**cli_env, "TRENDBOT_SCAN_MAX_MB": "1"}
    proc = trendbot(["scan", "--json", "two-mb.pdf", "plain.pdf"], small, hostile)
    assert proc.returncode == 1
    two, plain = (json.loads(line) for line in proc.stdout.splitlines())
    assert two["error"] == "is 2 MB, over the 1 MB limit (set TRENDBOT_SCAN_MAX_MB to raise it)"
    assert plain["status"] == "ok"


@pytest.mark.parametrize("value", ["0", "-5", "1.5", "lots", "99999999999", "١٠"])
def test_a_bad_size_limit_setting_is_one_sentence(hostile, monkeypatch, capsys, value) -> None:
    monkeypatch.setenv("TRENDBOT_ENV_FILE", os.devnull)
    monkeypatch.setenv("TRENDBOT_SCAN_MAX_MB", value)
    assert main(["scan", str(hostile / "plain.pdf")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("trendbot: TRENDBOT_SCAN_MAX_MB must be a whole number")
    assert len(err.splitlines()) == 1


def test_a_file_larger_than_memory_is_one_sentence_not_a_memory_error(hostile, cli_env) -> None:
    """Under a 700 MB address-space limit, with the size limit raised past the file, a 1 GB
    file printed a MemoryError traceback; now it is one sentence and the run goes on."""

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (700 * 1024 * 1024, resource.RLIM_INFINITY))

    env = {**cli_env, "TRENDBOT_SCAN_MAX_MB": "4096"}
    cmd = [sys.executable, "-m", "trendbot", "scan", "huge.pdf", "plain.pdf"]
    proc = subprocess.run(
        cmd, env=env, cwd=hostile, capture_output=True, text=True, timeout=60,
        preexec_fn=limit_memory,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[:2] == [
        "huge.pdf: cannot read it: is too large to hold in memory (1,024 MB).",
        "plain.pdf: 1 page",
    ]


def test_opening_never_blocks_on_a_pipe_swapped_in_after_the_check(hostile) -> None:
    """The check before ``open`` can be raced; the descriptor's own ``fstat`` cannot, and
    ``O_NONBLOCK`` keeps the open of a FIFO from waiting for a writer that never comes."""
    code = (
        "from trendbot.cli.pdf_input import open_regular, InputError\n"
        "try:\n    open_regular('pipe.pdf')\nexcept InputError as e:\n    print(e)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=hostile, capture_output=True, text=True, timeout=20
    )
    assert proc.stdout == "is a named pipe, not a regular file\n", proc.stderr


def test_file_names_cannot_drive_the_terminal_or_break_lines(tmp_path, cli_env) -> None:
    nasty = [
        b"a\x1b[31mred\nb.pdf",
        b"bidi\xe2\x80\xaefdp.pdf",
        b"raw\xff.pdf",
        b"c1\xc2\x9b2J.pdf",
    ]
    for raw in nasty:
        (tmp_path / os.fsdecode(raw)).write_bytes(b"%PDF-1.4 not really")
    args = [os.fsdecode(raw) for raw in nasty]
    cmd = [sys.executable, "-m", "trendbot", "scan", *args]
    proc = subprocess.run(cmd, env=cli_env, cwd=tmp_path, capture_output=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stdout.decode("ascii").splitlines() == [
        "a\\x1b[31mred\\nb.pdf: cannot read it: it is not a PDF, or it is damaged.",
        "bidi\\u202efdp.pdf: cannot read it: it is not a PDF, or it is damaged.",
        "raw\\xff.pdf: cannot read it: it is not a PDF, or it is damaged.",
        "c1\\x9b2J.pdf: cannot read it: it is not a PDF, or it is damaged.",
    ]
    as_json = subprocess.run([*cmd[:4], "--json", *args], env=cli_env, cwd=tmp_path,
                             capture_output=True, timeout=60)  # fmt: skip
    lines = as_json.stdout.decode("ascii").splitlines()  # ASCII: nothing raw reaches a terminal
    assert [json.loads(line)["file"] for line in lines] == [
        "a\x1b[31mred\nb.pdf", "bidi\u202efdp.pdf", "raw\ufffd.pdf", "c1\x9b2J.pdf"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--workers", "0"),
        ("--workers", "-1"),
        ("--workers", "two"),
        ("--workers", "99999999999999999999"),
        ("--workers", "100000"),  # once accepted: a hundred thousand processes
        ("--timeout", "0"),
        ("--timeout", "-3"),
        ("--timeout", "nan"),
        ("--timeout", "inf"),
        ("--timeout", "1e999"),
        ("--timeout", "1e300"),
        ("--timeout", ""),
    ],
)
def test_bad_flag_values_are_one_usage_line(hostile, capsys, flag, value) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["scan", f"{flag}={value}", str(hostile / "plain.pdf")])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith(f"trendbot scan: error: argument {flag}: ") and repr(value) in line


# -- arbitrary files and bytes -------------------------------------------------------------------
NAME = st.one_of(
    st.text(st.characters(blacklist_characters="/\0", blacklist_categories=("Cs",)), max_size=40),
    st.binary(max_size=40).map(lambda b: os.fsdecode(b.replace(b"/", b"").replace(b"\0", b""))),
).filter(lambda n: n not in ("", ".", "..") and len(os.fsencode(n)) < 200)
BODY = st.one_of(
    st.binary(max_size=4096),
    st.binary(max_size=4096).map(lambda b: b"%PDF-1." + b),
    st.sampled_from([pdfgen.corrupt_pdf(), pdfgen.encrypted_pdf(), pdfgen.make_paper(3, 1)]),
)
KIND = st.sampled_from(["file", "file", "file", "fifo", "dir", "device", "loop", "missing"])


def _plant(folder: Path, name: str, kind: str, body: bytes) -> Path:
    path = folder / name
    if kind == "file":
        path.write_bytes(body)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir":
        path.mkdir()
    elif kind == "device":
        path.symlink_to("/dev/urandom")
    elif kind == "loop":
        path.symlink_to(path)
    return path


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    files=st.lists(st.tuples(NAME, KIND, BODY), min_size=1, max_size=4, unique_by=lambda t: t[0]),
    as_json=st.booleans(),
)
def test_scan_answers_arbitrary_files_one_result_each_in_bounded_time(
    monkeypatch, files, as_json
) -> None:
    monkeypatch.setenv("TRENDBOT_ENV_FILE", os.devnull)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(_plant(Path(tmp), *spec)) for spec in files]
        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = ["scan", "--workers", "1", "--timeout", "10", *(["--json"] * as_json)]
            status = main([*args, "--", *paths])
        assert time.monotonic() - started < 30
    assert status in (0, 1) and err.getvalue() == ""
    heads = [line for line in out.getvalue().splitlines() if not line.startswith("  ")]
    assert len(heads) == len(files), out.getvalue()
    for line in heads:
        assert line.isprintable() and line.startswith(("/", '{"file": "/'))
        if as_json:
            assert line.isascii() and json.loads(line)["status"] in ("ok", "no_text", "failed")
    text = out.getvalue()
    refused = any(kind != "file" for _, kind, _ in files)
    assert status == (1 if refused or "cannot read it" in text or '"failed"' in text else 0)
