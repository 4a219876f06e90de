"""Running a command as an unprivileged user, so permission tests also run as root (CI does);
and making files read-only in a way that binds root too."""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def read_only(*paths: Path):
    """Make ``paths`` (files or folders) read-only for this process, root included, then put
    them back: ``chattr +i`` as root (permission bits do not bind root), ``chmod a-w``
    otherwise. Skips the test when neither can be done here."""
    if os.geteuid() != 0:
        modes = [(p, p.stat().st_mode) for p in paths]
        for p, mode in modes:
            p.chmod(mode & ~0o222)
        try:
            yield
        finally:
            for p, mode in modes:
                p.chmod(mode)
        return
    chattr = shutil.which("chattr")
    done: list[Path] = []
    try:
        for p in paths:
            if not chattr or subprocess.run([chattr, "+i", str(p)], capture_output=True).returncode:
                pytest.skip("running as root and chattr +i is not possible here")
            done.append(p)
        yield
    finally:
        for p in done:
            subprocess.run([chattr, "-i", str(p)], capture_output=True)
