"""The tree stays `ruff` clean, lint and format alike, checked where CI runs: the test suite.

(ruff is a test dependency; the check takes well under a second.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module", autouse=True)
def _have_ruff() -> None:
    if ruff("--version").returncode != 0:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")


def test_ruff_check_is_clean():
    proc = ruff("check", "--no-cache", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_clean():
    proc = ruff("format", "--no-cache", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr
