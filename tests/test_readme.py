"""The README and the manual (docs/*.md) say what trendbot answers.

Each "`!command`" line followed by a fenced block, in README.md or any docs/*.md, is run through
the command layer on a fresh seeded store, printed as `trendbot ask` prints it, and compared line
by line. Each "**`!command`**" example of the bot's page, a paragraph followed by a fenced block,
is built into the message the bot would send (``trendbot.bot.render.build``) and compared as the
manual writes embeds: "┃" lines. A block may shorten a long line with a trailing "[…]". The README
stays a front page (at most 400 lines), and every relative link and anchor points somewhere.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.support.code_data import write_code_years
from trendbot.cli.common import print_reply
from trendbot.commands import run

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
FILES = [README, *DOCS]
ELIDED = " […]"
# "`!ratio NeurIPS 2024 --method code` on the code example data:" runs on the NeurIPS years of
# tests/support/code_data.py (the seed has no code counts; a collection writes them).
CODE_DATA = "on the code example data"
MAX_README_LINES = 400


def name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def fenced_block(lines: list[str], i: int) -> tuple[str, int] | None:
    """The text of the fenced block opening at ``lines[i]`` and the index of its closing fence."""
    fence = re.match(r"`{3,}", lines[i])
    if not (fence and lines[i] == fence.group(0)):
        return None
    j = i + 1
    while lines[j] != fence.group(0):
        j += 1
    return "\n".join(lines[i + 1 : j]), j


def examples(text: str) -> list[tuple[int, str, str]]:
    """(line number, command, the block's text) for every example reply in ``text``."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines) - 1:
        m = re.fullmatch(r"`(![^`]+)`(?: on the code example data)?:?", lines[i].strip())
        found = fenced_block(lines, i + 1) if m else None
        if m and found:
            block, j = found
            out.append((i + 1, m.group(1), block))
            i = j
        i += 1
    return out


def bot_examples(text: str) -> list[tuple[int, str, str]]:
    """(line number, command, block) for every paragraph that starts with a bold "**`!command`**"
    and is followed by a fenced block: the block shows the last bold command of the paragraph."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("**`!") and (i == 0 or not lines[i - 1].strip()):
            j = i
            while j < len(lines) and lines[j].strip():
                j += 1
            commands = re.findall(r"\*\*`(![^`]+)`\*\*", "\n".join(lines[i:j]))
            k = j
            while k < len(lines) and not lines[k].strip():
                k += 1
            found = fenced_block(lines, k) if k < len(lines) else None
            if commands and found:
                out.append((i + 1, commands[-1], found[0]))
                i = found[1]
        i += 1
    return out


def collect(finder) -> list[tuple[str, int, str, str]]:
    return [
        (name(path), line, command, block)
        for path in FILES
        for line, command, block in finder(path.read_text(encoding="utf-8"))
    ]


EXAMPLES = collect(examples)
BOT_EXAMPLES = collect(bot_examples)


def ids(cases: list[tuple[str, int, str, str]]) -> list[str]:
    return [f"{file}:{line}:{command}" for file, line, command, _ in cases]


def test_the_readme_has_examples_of_both_halves():
    """Over the README and the manual together."""
    commands = {cmd.split()[0] for _, _, cmd, _ in EXAMPLES}
    assert {"!ratio", "!venues", "!source", "!industry", "!compare", "!trend"} <= commands
    assert len(EXAMPLES) >= 12
    assert {file for file, *_ in EXAMPLES} >= {"README.md", "docs/commands.md"}


def test_the_bot_page_shows_embeds():
    assert len(BOT_EXAMPLES) >= 8
    assert {file for file, *_ in BOT_EXAMPLES} == {"docs/bot.md"}
    assert {"!ratio", "!chart", "!venues", "!source", "!method", "!help", "!table"} <= {
        cmd.split()[0] for _, _, cmd, _ in BOT_EXAMPLES
    }


def same(want: str, got: str) -> bool:
    """Line by line; a manual's line ending in " […]" matches any line it begins."""
    w, g = want.split("\n"), got.split("\n")
    if len(w) != len(g):
        return False
    for a, b in zip(w, g, strict=True):
        if a.endswith(ELIDED) and b.startswith(a[: -len(ELIDED)]) and len(b) > len(a):
            continue
        if a != b:
            return False
    return True


@pytest.mark.parametrize(("file", "line", "command", "block"), EXAMPLES, ids=ids(EXAMPLES))
def test_an_example_reply_is_what_trendbot_answers(
    ctx, tmp_path, monkeypatch, file, line, command, block
):
    monkeypatch.chdir(tmp_path)  # files go to ./trendbot-out, as `trendbot ask` writes them
    if CODE_DATA in (ROOT / file).read_text(encoding="utf-8").split("\n")[line - 1]:
        write_code_years(ctx.store)  # the code method's replies need collected venue-years
    stream = io.StringIO()
    assert print_reply(run(ctx, command), Path("trendbot-out"), stream)
    got = stream.getvalue().rstrip("\n")
    assert same(block, got), f"{file} line {line}, `{command}` now answers:\n{got}"


def as_shown(out) -> str:
    """A message as the manual writes it: text outside an embed as it is; an embed as "┃ " lines
    (title, each line of the description, each field as "name: value" with a line break in the
    value as " / ", "[image: FILE]" where a picture is shown inside it, the footer); then one
    "📎" line per attached file, with its alt text when it has one."""
    lines = out.content.split("\n") if out.content else []
    embed = out.embed
    if embed is not None:
        bar = []
        if embed.title:
            bar.append(embed.title)
        if embed.description:
            bar.extend(embed.description.split("\n"))
        bar.extend(f"{f.name}: {f.value.replace(chr(10), ' / ')}" for f in embed.fields)
        if embed.image.url:
            bar.append(f"[image: {embed.image.url.removeprefix('attachment://')}]")
        if embed.footer.text:
            bar.append(embed.footer.text)
        lines.extend(f"┃ {line}" for line in bar)
    for a in out.attachments:
        lines.append(
            f'📎 {a.filename} (alt: "{a.description}")' if a.is_image else f"📎 {a.filename}"
        )
    return "\n".join(lines)


@pytest.mark.parametrize(("file", "line", "command", "block"), BOT_EXAMPLES, ids=ids(BOT_EXAMPLES))
def test_a_bot_example_is_what_the_bot_sends(ctx, file, line, command, block):
    from trendbot.bot.render import build

    got = as_shown(build(run(ctx, command)))
    assert same(block, got), f"{file} line {line}, the bot now sends for `{command}`:\n{got}"


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


def test_the_readme_is_a_front_page():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/"


# -- links ---------------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, markdown marks and punctuation other than "-"
    and "_" dropped, each space a "-"."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def outside_fences(text: str) -> str:
    """``text`` with each fenced block blanked (a "#" line inside one is not a heading)."""
    return re.sub(
        r"^(`{3,})[^`\n]*\n.*?^\1$",
        lambda m: "\n" * m.group(0).count("\n"),
        text,
        flags=re.M | re.S,
    )


def outside_code(text: str) -> str:
    """``text`` without fenced blocks and code spans (a link inside them is not a link)."""
    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", outside_fences(text))


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for m in re.finditer(
        r"^#{1,6}\s+(.+?)\s*#*\s*$", outside_fences(path.read_text("utf-8")), re.M
    ):
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(path: Path) -> list[tuple[int, str]]:
    """(line number, target) of every relative markdown link in ``path``."""
    text = outside_code(path.read_text(encoding="utf-8"))
    out = []
    for number, line in enumerate(text.split("\n"), 1):
        for target in re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", line):
            if not re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                out.append((number, target))
    return out


LINKS = [(name(path), line, target) for path in FILES for line, target in links(path)]


def test_the_manual_links_its_pages():
    assert len(LINKS) >= 30
    linked = {
        (ROOT / "docs" / t.split("#")[0]).resolve() for f, _, t in LINKS if f == "docs/README.md"
    }
    assert set(DOCS) - {ROOT / "docs" / "README.md"} <= linked, "docs/README.md indexes every page"


@pytest.mark.parametrize(
    ("file", "line", "target"), LINKS, ids=[f"{f}:{n}:{t}" for f, n, t in LINKS]
)
def test_a_relative_link_points_at_a_file_and_heading(file, line, target):
    source = ROOT / file
    path, _, anchor = target.partition("#")
    dest = (source.parent / path).resolve() if path else source
    assert dest.exists(), f"{file} line {line}: {target} — no file {path}"
    if anchor:
        assert dest.suffix == ".md", (
            f"{file} line {line}: {target} — an anchor into a non-markdown file"
        )
        assert anchor in anchors(dest), (
            f"{file} line {line}: {target} — {dest.name} has no heading #{anchor}"
        )
