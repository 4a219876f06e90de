"""The README's example replies are what trendbot answers: each "`!command`" line followed by a
fenced block is run through the command layer on a fresh seeded store, printed as `trendbot ask`
prints it, and compared line by line. A block may shorten a long line with a trailing "[…]"."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from trendbot.cli.common import print_reply
from trendbot.commands import run

README = Path(__file__).resolve().parents[1] / "README.md"
ELIDED = " […]"


def examples(text: str) -> list[tuple[int, str, str]]:
    """(line number, command, the block's text) for every example reply in ``text``."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines) - 1:
        m = re.fullmatch(r"`(![^`]+)`:?", lines[i].strip())
        fence = re.match(r"`{3,}", lines[i + 1])
        if m and fence and lines[i + 1] == fence.group(0):
            j = i + 2
            while lines[j] != fence.group(0):
                j += 1
            out.append((i + 1, m.group(1), "\n".join(lines[i + 2 : j])))
            i = j
        i += 1
    return out


EXAMPLES = examples(README.read_text(encoding="utf-8"))


def test_the_readme_has_examples_of_both_halves():
    commands = {cmd.split()[0] for _, cmd, _ in EXAMPLES}
    assert {"!ratio", "!venues", "!source", "!industry", "!compare", "!trend"} <= commands
    assert len(EXAMPLES) >= 12


def same(want: str, got: str) -> bool:
    """Line by line; a README line ending in " […]" matches any line it begins."""
    w, g = want.split("\n"), got.split("\n")
    if len(w) != len(g):
        return False
    for a, b in zip(w, g, strict=True):
        if a.endswith(ELIDED) and b.startswith(a[: -len(ELIDED)]) and len(b) > len(a):
            continue
        if a != b:
            return False
    return True


@pytest.mark.parametrize(("line", "command", "block"), EXAMPLES, ids=[c for _, c, _ in EXAMPLES])
def test_an_example_reply_is_what_trendbot_answers(
    ctx, tmp_path, monkeypatch, line, command, block
):
    monkeypatch.chdir(tmp_path)  # files go to ./trendbot-out, as `trendbot ask` writes them
    stream = io.StringIO()
    assert print_reply(run(ctx, command), Path("trendbot-out"), stream)
    got = stream.getvalue().rstrip("\n")
    assert same(block, got), f"README.md line {line}, `{command}` now answers:\n{got}"


def test_the_comparison_notices_a_changed_line():
    assert same("a\nb […]", "a\nb and more")
    assert not same("a\nb […]", "a\nc and more")
    assert not same("a\nb", "a\nb\nc")
    assert not same("a\nb", "a\nB")


def test_the_quick_start_shows_what_its_command_prints(ctx, tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    start = text.index('.venv/bin/trendbot ask "!ratio NeurIPS 2019"\n```\n\n```\n')
    block = text[start:].split("```\n", 3)[2].rstrip("\n")
    monkeypatch.chdir(tmp_path)
    stream = io.StringIO()
    print_reply(run(ctx, "!ratio NeurIPS 2019"), Path("trendbot-out"), stream)
    assert stream.getvalue().rstrip("\n") == block
