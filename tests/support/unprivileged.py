"""Running a command as an unprivileged user, so permission tests also run as root (CI does)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def as_nobody(cmd: list[str], env: dict[str, str], cwd: Path | None = None):
    """Run ``cmd`` as an unprivileged user: file permissions do not bind root at all."""
    if os.geteuid() != 0:
        return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root and setpriv is missing: cannot test permissions")
    drop = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run(
        [*drop, sys.executable, "-c", "import sys, trendbot; print(sys.base_prefix)"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0 or probe.stdout.strip() != sys.base_prefix:
        # e.g. the venv's interpreter lives under root's private home: the other user would
        # run a different Python (its standard library from elsewhere), not this checkout's.
        pytest.skip("the unprivileged user cannot run this checkout's Python interpreter")
    return subprocess.run([*drop, *cmd], env=env, cwd=cwd, capture_output=True, text=True)
