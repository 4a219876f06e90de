"""Writing a file into a folder without ever writing through what is already there: the one way
trendbot writes a file a user names or a reply produces (the console's reply files, the PDFs
``collect papers --keep-pdfs`` keeps, the seed files the transcription script makes).

Writing to ``folder/name`` with ``open(..., "w")`` follows a symbolic link planted at that name
(the console's `!table` overwrote a file outside its output folder that way) and truncates a
hard-linked file in place. Instead the bytes go to a new file created in the same folder with
``O_CREAT | O_EXCL`` (which refuses to follow any link), which ``os.replace`` then renames over
the name: a link at the name is replaced, never followed; a folder at the name is refused; a
reader never sees half a file; and on any failure the new file is removed.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

# The new file's mode before the umask, as open() and Path.write_bytes would create it
# (tempfile.mkstemp makes 0600, which would hide a chart from the user's other programs).
MODE = 0o666
IN_THE_WAY = "a folder of that name is in the way"


def _create_beside(folder: Path, name: str) -> tuple[int, Path]:
    """A new, empty, exclusively created file in ``folder`` and its descriptor."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = folder / f".{name[:80]}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, MODE), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def replace_file(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name`` (a plain name, no separators) and return that path.

    Raises ``OSError`` (``filename`` set) when it cannot: ``IsADirectoryError`` if a folder is
    in the way; whatever else the system says (no space, no permission). Nothing is left behind
    and whatever was at the name is untouched then.
    """
    if not name or os.sep in name or (os.altsep and os.altsep in name) or name in (".", ".."):
        raise ValueError(f"not a plain file name: {name!r}")
    target = folder / name
    try:
        in_the_way = stat.S_ISDIR(os.lstat(target).st_mode)
    except FileNotFoundError:
        in_the_way = False
    if in_the_way:
        raise IsADirectoryError(errno.EISDIR, IN_THE_WAY, str(target))
    fd, tmp = _create_beside(folder, name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            os.replace(tmp, target)
        except IsADirectoryError:  # a folder appeared at the name meanwhile
            raise IsADirectoryError(errno.EISDIR, IN_THE_WAY, str(target)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
