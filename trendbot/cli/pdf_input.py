"""Reading a file a person named on the command line, safely: only a regular file, only up to a
size, never blocking.

`trendbot scan` once read whatever it was given: ``/dev/zero`` grew its memory until the kernel
killed it, a named pipe or ``/dev/urandom`` hung it past ``--timeout`` (the time limit starts
when a worker has the bytes, and these never end), and a large file under a memory limit ended
in a ``MemoryError`` traceback. So a path is checked with ``os.stat`` before it is opened (a FIFO
blocks in ``open()`` for reading), opened with ``O_NONBLOCK``, checked again on the open
descriptor (it may have been swapped in between), and read only up to the cap, whatever size it
claims (``/proc`` files claim 0 bytes).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

CHUNK = 1 << 20


class InputError(OSError):
    """The file was not read; the message is one sentence fit to print after its name."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int  # larger files are refused before a byte is read
    setting: str = ""  # the setting that raises the cap, named in the refusal


def kind_of(mode: int) -> str | None:
    """What a non-regular file is, in words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a PDF file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def megabytes(n: int) -> str:
    """A size for a sentence: ``1,024 MB``, ``0.5 MB``."""
    mb = n / (1024 * 1024)
    return f"{mb:,.0f} MB" if mb >= 1 else f"{mb:.1f} MB"


def _too_large(size: int | None, limits: Limits) -> InputError:
    how_big = f"is {megabytes(size)}, over" if size is not None else "is over"
    hint = f" (set {limits.setting} to raise it)" if limits.setting else ""
    return InputError(f"{how_big} the {megabytes(limits.max_bytes)} limit{hint}")


def _reason(exc: OSError) -> InputError:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return InputError("no such file")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return InputError("cannot be read (permission denied)")
    if exc.errno == errno.ELOOP:
        return InputError("is a loop of symbolic links")
    if exc.errno == errno.ENAMETOOLONG:
        return InputError("has a name too long for the system")
    if exc.errno == errno.EISDIR:
        return InputError("is a directory, not a PDF file")
    return InputError(f"cannot be read ({(exc.strerror or str(exc)).lower()})")


def open_regular(path: str) -> int:
    """A read-only descriptor of ``path``, which must be a regular file; never blocks.

    ``O_NONBLOCK`` keeps a FIFO swapped in after the first check from blocking ``open``, and
    ``fstat`` on the descriptor is the check that counts: it is the file that will be read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _reason(exc) from None
    try:
        problem = kind_of(os.fstat(fd).st_mode)
    except OSError as exc:
        os.close(fd)
        raise _reason(exc) from None
    if problem:
        os.close(fd)
        raise InputError(problem)
    return fd


def read_file(path: str, limits: Limits) -> bytes:
    """The bytes of the regular file ``path``, at most ``limits.max_bytes`` of them.

    Raises ``InputError`` with one sentence for anything else: missing, unreadable, not a
    regular file (directory, pipe, device, socket), too large, or too large for memory.
    """
    try:
        st = os.stat(path)  # follows a symbolic link: a link to a PDF is a PDF
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise (_reason(exc) if isinstance(exc, OSError) else InputError("no such file")) from None
    problem = kind_of(st.st_mode)
    if problem:
        raise InputError(problem)
    if st.st_size > limits.max_bytes:
        raise _too_large(st.st_size, limits)
    fd = open_regular(path)
    try:
        chunks: list[bytes] = []
        got = 0
        while True:
            chunk = os.read(fd, min(CHUNK, limits.max_bytes + 1 - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
            if got > limits.max_bytes:  # it grew, or claims a size it does not have
                raise _too_large(None, limits)
        return b"".join(chunks)
    except MemoryError:
        raise InputError(f"is too large to hold in memory ({megabytes(st.st_size)})") from None
    except InputError:
        raise
    except OSError as exc:
        raise _reason(exc) from None
    finally:
        os.close(fd)
