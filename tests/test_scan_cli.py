"""`trendbot scan` as a person runs it: a real process on real (generated) PDF files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import pdfgen
from tests.support.unprivileged import as_nobody
from trendbot.cli import scan as scan_cli
from trendbot.collectors.detect import BUILTIN
from trendbot.collectors.pdftext import DEFAULT_TIMEOUT

TRENDBOT = shutil.which("trendbot", path=str(Path(sys.executable).parent)) or shutil.which(
    "trendbot"
)


def trendbot(args: list[str], env: dict[str, str], cwd: Path):
    cmd = [TRENDBOT, *args] if TRENDBOT else [sys.executable, "-m", "trendbot", *args]
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def pdf_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("papers")
    files = {
        "both.pdf": pdfgen.make_paper(
            11,
            2,
            [pdfgen.MENTIONS["pytorch"], pdfgen.MENTIONS["keras"], pdfgen.MENTIONS["jax"]],
        ),
        "hyphen.pdf": pdfgen.make_paper(12, 2, [pdfgen.HYPHENATED_PYTORCH]),
        "google.pdf": pdfgen.make_paper(13, 2, [pdfgen.MENTIONS["google"], pdfgen.MENTIONS["jax"]]),
        "plain.pdf": pdfgen.make_paper(14, 1),
        "scan.pdf": pdfgen.scan_pdf(2),
        "broken.pdf": pdfgen.corrupt_pdf(),
        "locked.pdf": pdfgen.encrypted_pdf(),
    }
    for name, data in files.items():
        (d / name).write_bytes(data)
    return d


def test_scan_reports_each_rule_set_in_words(pdf_dir, cli_env) -> None:
    proc = trendbot(["scan", "both.pdf", "hyphen.pdf", "google.pdf"], cli_env, pdf_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    out = proc.stdout.splitlines()
    assert out[0] == "both.pdf: 2 pages"
    assert " ".join(out[1].split()) == (
        "final (2021-10-22) names pytorch [pytorch], tensorflow [keras]; "
        "counts for nothing (names both pytorch and tensorflow)"
    )
    assert out[3].endswith("counts for pytorch, keras, jax")
    assert out[4].split() == ["code", "links", "no", "repository"]
    assert out[5] == "hyphen.pdf: 2 pages"  # "Py-" + "Torch" across a line end
    assert out[6].endswith("names pytorch [pytorch]; counts for pytorch")
    assert out[10] == "google.pdf: 2 pages"
    assert out[12].split()[:2] == ["article", "(2019-10-10)"]
    assert out[12].endswith('names no framework; excluded: its text contains "google brain"')
    assert out[13].endswith("names jax [re:\\bjax\\b]; counts for jax")
    assert len(out) == 15


def test_scan_json_one_object_per_line(pdf_dir, cli_env) -> None:
    proc = trendbot(["scan", "--json", "both.pdf", "scan.pdf", "plain.pdf"], cli_env, pdf_dir)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [x["file"] for x in lines] == ["both.pdf", "scan.pdf", "plain.pdf"]
    both, scan, plain = lines
    assert both["pages"] == 2 and both["no_text"] is False and both["status"] == "ok"
    assert both["frameworks"] == ["pytorch", "tensorflow", "keras", "jax"]
    assert both["terms"] == {
        "pytorch": ["pytorch"],
        "tensorflow": ["keras"],  # under final, Keras is TensorFlow
        "keras": ["keras"],  # under modern, its own framework
        "jax": ["re:\\bjax\\b"],
    }
    assert both["counts"] == {
        "final": [],
        "article": ["pytorch"],
        "modern": ["pytorch", "keras", "jax"],
    }
    assert both["by_rule"]["final"] == {
        "version": "2021-10-22",
        "terms": {"pytorch": ["pytorch"], "tensorflow": ["keras"]},
        "excluded_by": [],
        "counts": [],
    }
    assert scan["no_text"] is True and scan["status"] == "no_text" and scan["pages"] == 2
    assert scan["frameworks"] == [] and scan["counts"] == {}  # unknown, not "names nothing"
    assert plain["frameworks"] == [] and plain["counts"] == {
        "final": [],
        "article": [],
        "modern": [],
    }
    assert all(x["error"] is None for x in lines)


def test_scan_bad_files_one_sentence_each_and_goes_on(pdf_dir, cli_env) -> None:
    args = ["scan", "broken.pdf", "missing.pdf", ".", "locked.pdf", "plain.pdf"]
    proc = trendbot(args, cli_env, pdf_dir)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    out = proc.stdout.splitlines()
    assert out[:4] == [
        "broken.pdf: cannot read it: it is not a PDF, or it is damaged.",
        "missing.pdf: cannot read it: no such file.",
        ".: cannot read it: is a directory, not a PDF file.",
        "locked.pdf: cannot read it: it is encrypted and needs a password.",
    ]
    assert out[4] == "plain.pdf: 1 page"  # the file after the bad ones is still read


def test_scan_json_bad_files(pdf_dir, cli_env) -> None:
    proc = trendbot(["scan", "--json", "broken.pdf", "missing.pdf"], cli_env, pdf_dir)
    assert proc.returncode == 1
    broken, missing = (json.loads(line) for line in proc.stdout.splitlines())
    assert broken["status"] == "failed" and broken["error"] == "it is not a PDF, or it is damaged"
    assert missing["status"] == "failed" and missing["error"] == "no such file"
    assert proc.stderr == ""


def test_scan_unreadable_file(cli_env, public_dir) -> None:
    locked = public_dir / "private.pdf"
    locked.write_bytes(b"%PDF-1.4")
    locked.chmod(0)
    cmd = (
        [TRENDBOT, "scan", str(locked)]
        if TRENDBOT
        else [sys.executable, "-m", "trendbot", "scan", str(locked)]
    )
    proc = as_nobody(cmd, cli_env, cwd=public_dir)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.strip().endswith("cannot read it: cannot be read (permission denied).")


def test_scan_only_chosen_rules_and_refuses_unknown_ones(pdf_dir, cli_env) -> None:
    proc = trendbot(["scan", "--rules", "modern", "both.pdf"], cli_env, pdf_dir)
    assert proc.returncode == 0
    assert [line.split()[0] for line in proc.stdout.splitlines()[1:]] == ["modern", "code"]
    bad = trendbot(["scan", "--rules", "modern,nope", "both.pdf"], cli_env, pdf_dir)
    assert bad.returncode == 2 and bad.stdout == ""
    assert (
        bad.stderr == "trendbot scan: unknown rule set nope; choose from final, article, modern.\n"
    )
    neg = trendbot(["scan", "--timeout", "0", "both.pdf"], cli_env, pdf_dir)
    assert neg.returncode == 2 and "--timeout" in neg.stderr and "Traceback" not in neg.stderr


def test_scan_is_listed_in_the_main_help(cli_env, tmp_path) -> None:
    proc = trendbot(["--help"], cli_env, tmp_path)
    assert proc.returncode == 0 and "scan" in proc.stdout


def test_building_the_parser_loads_no_pdf_code(cli_env, tmp_path) -> None:
    """`trendbot ask` builds the same parser: it must not pay for the scan command."""
    code = (
        "import sys; from trendbot.cli import build_parser; build_parser(); "
        "print(sorted(m for m in sys.modules if m.startswith(('trendbot.collectors.', "
        "'pypdfium2', 'pebble', 'asyncio'))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=cli_env, capture_output=True, text=True, timeout=60
    )
    # the command line imports the collectors only inside the commands that collect or scan
    loaded = proc.stdout.strip()
    assert loaded == "[]", proc.stderr


def test_the_cli_constants_match_the_modules_they_stand_for() -> None:
    assert tuple(BUILTIN) == scan_cli.BUILTIN_NAMES
    assert scan_cli.DEFAULT_TIMEOUT == DEFAULT_TIMEOUT
