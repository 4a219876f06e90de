"""Repository links in a paper's text, and which one is the paper's own code (``RULE_VERSION``).

Pure functions on the pages' texts (as pdfium read them), run in the PDF worker in the same pass
as detection, so that finding links costs no second reading of the PDF. Typeset URLs are broken
by ``url.sty`` only after ``. / _ -`` (never with an added hyphen), so a link is followed across a
line or page break exactly when it ends in one of those, or has no ``owner/name`` yet; a page's
number at its foot and the next page's running header are stepped over. What is kept per link:
the page, whether it is on the first page or in the abstract, and whether the sentence it ends
says it is the paper's code ("Our code is available at", "Code:", "we release").

The own repository (rule ``RULE_VERSION``): among GitHub and GitLab links, those in an "our
code" sentence first, then those on the first page (abstract, title block, its footnotes);
earliest first within each. A link anywhere else (a baseline's code on page 6, a reference) is
never the paper's own. Cited tools (``_TOOL_OWNERS``, ``_TOOL_REPOS``: the frameworks' own
repositories and libraries such as pytorch/vision, NVIDIA/apex, google/flax,
huggingface/transformers) are the paper's own only when nothing else qualifies. Hugging Face
links are models (or datasets, spaces): kept as links, never the own code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

RULE_VERSION = "links-1 (2026-12-05)"

# GitHub's grammar: an owner is 1-39 letters, digits and single inner hyphens; a repository
# name 1-100 of letters, digits, ".", "_" and "-", never "." or "..".
OWNER_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,100}")


def _words(text: str) -> frozenset[str]:
    """A set of lower-case names written as one string (easier to read and review as prose)."""
    return frozenset(text.lower().split())


# First path segments of github.com / huggingface.co that are site pages, not owners.
_GITHUB_PAGES = _words(
    "about apps collections contact customer-stories enterprise events explore features issues "
    "login marketplace notifications orgs pricing pulls search security settings site sponsors "
    "topics trending users"
)
_HF_PAGES = _words(
    "blog collections docs join learn login models organizations papers pricing settings tasks"
)
_HF_KINDS = {"datasets": "dataset", "spaces": "space"}

# Cited tools: owners whose every repository is a framework or a library, and single repositories.
_TOOL_OWNERS = _words(
    "pytorch tensorflow keras-team huggingface jax-ml apache paddlepaddle mindspore-ai numpy "
    "scipy scikit-learn pandas-dev matplotlib lightning-ai pytorchlightning open-mmlab "
    "openai-gym farama-foundation"
)
_TOOL_REPOS = _words(
    "NVIDIA/apex NVIDIA/Megatron-LM NVIDIA/NeMo NVIDIA/DALI google/jax google/flax "
    "google/trax google/gin-config deepmind/dm-haiku google-deepmind/dm-haiku deepmind/optax "
    "google-deepmind/optax microsoft/DeepSpeed facebookresearch/fairseq "
    "facebookresearch/detectron2 facebookresearch/faiss facebookresearch/hydra "
    "facebookresearch/xformers rwightman/pytorch-image-models openai/gym openai/baselines "
    "ray-project/ray wandb/wandb dmlc/dgl pyg-team/pytorch_geometric "
    "rusty1s/pytorch_geometric"
)

# Hosts are found with str.find on these tails (a regex that may start anywhere costs ~70 µs a
# page; this ~2), case as typeset: "github.com", "GitHub.com", "Github.com" all end in them.
_HOST_TAILS = {
    "ithub.com/": ("github.com", re.compile(r"(?:https?://)?(?:www\.)?[Gg]\Z")),
    "itlab.com/": ("gitlab.com", re.compile(r"(?:https?://)?(?:www\.)?[Gg]\Z")),
    "ingface.co/": ("huggingface.co", re.compile(r"(?:https?://)?(?:www\.)?[Hh]ugg\Z")),
}
# A host name broken after its dot ("https://github." / "com/owner/name"; url.sty breaks after a
# full stop): the break is moved before the host, which keeps every offset where it was.
_HOST_BREAK = re.compile(
    r"(?i)(git(?:hub|lab)\.)([ \t]*\r?\n[ \t]*)(com/)|(huggingface\.)([ \t]*\r?\n[ \t]*)(co/)"
)
_SCHEME_END = re.compile(r"\s*(?:https?://)?(?:www\.)?$")
_HOST_BREAK_HINTS = ("\ncom/", "\nco/", "\n com/", "\n co/")


def _join_host(m: re.Match[str]) -> str:
    host, gap, tail = m.group(1, 2, 3) if m.group(1) else m.group(4, 5, 6)
    return gap + host + tail


_URL_CHARS = re.compile(r"[A-Za-z0-9._~%+\-/#?=&:\ufffe]*")
_BREAK = re.compile(r"[ \t]*\r?\n[ \t]*")
_BREAK_AFTER = "./_-\ufffe"  # url.sty's break points (and pdfium's line-end hyphen mark)
_FOOTER = re.compile(r"\r?\n[ \t]*(?:\d{1,4}|[ivxlcdm]{1,7})[ \t]*\Z", re.IGNORECASE)
_ABSTRACT = re.compile(r"\babstract\b", re.IGNORECASE)
_INTRO = re.compile(r"\n[ \t]*(?:1\.?|I\.?)?[ \t]*introduction\b", re.IGNORECASE)
# A sentence ends at a full stop, a blank line, or where a footnote starts ("\n1Code: …").
_SENTENCE_END = re.compile(
    r"[.!?](?:\s|$)|\n[ \t]*\n"
    r"|\n(?=[ \t]*(?:\d{1,2}|[*\u2020\u2021])[ \t]*(?:[A-Z]|https?:|github|gitlab|www\.))"
)
# What makes a sentence say the link is the paper's own code, read in the words before the link.
_OWN_CUE = re.compile(
    r"\b(?:our|my)\s+(?:[\w-]+\s+){0,3}?(?:code|implementation|source|repository|project|"
    r"software|library|toolkit|package|models?)\b"
    # "Code is available", "Code, data, and pre-trained models are released", "All source codes
    # of this work are available", "Implementation is available at:", "can be found at"
    r"|\b(?:code|codes|implementations?)(?:\s+of\s+(?:this|our|the\s+proposed)\s+[\w-]+)?"
    r"(?:\s*,\s*[\w-]+(?:\s+[\w-]+)?)*,?(?:\s+(?:and|&)\s+[\w-]+(?:\s+[\w-]+)?)?"
    r"\s+(?:is|are|will\s+be|has\s+been|have\s+been|can\s+be)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:available|released|open[- ]?sourced|public|found|accessed|obtained|downloaded)"
    r"|\b(?:we|i)\s+(?:[\w-]+\s+){0,2}?(?:release|open[- ]?source|publish|share)\b"
    r"|\b(?:code|project\s+page|implementation)\s*:"
    r"|\b(?:code|implementation)\s+(?:available\s+)?(?:at|here)\b",
    re.IGNORECASE,
)
# ... unless those words say it is someone else's (a baseline's official code, a cited work's).
_OTHERS_CUE = re.compile(
    r"\bofficial\b|\bbaselines?\b|\bprovided\s+by\b|\breleased\s+by\b|\bauthors'|"
    r"\bwe\s+(?:use|used|adopt|adopted|follow|followed|build\s+on|built\s+on)\b|\[\d+(?:,\s*\d+)*\]",
    re.IGNORECASE,
)
_SNIPPET = 60  # characters of the sentence kept in a reason


@dataclass(frozen=True)
class Link:
    """One link as found: a repository (or model) and where it was."""

    host: str  # "github.com", "gitlab.com", "huggingface.co"
    repo: str  # "owner/name"
    url: str  # as typeset, rejoined across breaks, trailing punctuation dropped
    kind: str  # "code" (GitHub, GitLab), "model", "dataset", "space" (Hugging Face)
    page: int  # 1-based
    abstract: bool  # on the first page, before its introduction, after "Abstract"
    code_sentence: bool  # the sentence before it says it is the paper's code
    sentence: str  # that sentence's words before the link (whitespace collapsed)


@dataclass(frozen=True)
class CodeLink:
    """One repository or model a paper links, every place it does, and whether it is its own."""

    host: str
    repo: str
    url: str
    kind: str
    pages: tuple[int, ...]
    first_page: bool
    abstract: bool
    code_sentence: bool
    tool: bool  # a cited framework or library (``_TOOL_OWNERS``, ``_TOOL_REPOS``)
    own: bool
    why: str  # one phrase: why it is, or is not, the paper's own


def _page_joined(pages: Sequence[str]) -> tuple[str, list[int]]:
    """The pages as one text for link finding, and where each page starts in it.

    A page's number at its foot is cut, and a running header (a first line that starts at least
    two pages) is cut from the pages it starts, so a link broken at a page break meets its rest.
    """
    firsts = [p.lstrip().partition("\n")[0].strip() for p in pages]
    counts: dict[str, int] = {}
    for line in firsts:
        if line:
            counts[line] = counts.get(line, 0) + 1
    out: list[str] = []
    starts: list[int] = []
    at = 0
    for text, first in zip(pages, firsts, strict=True):
        text = text.rstrip()
        footer = _FOOTER.search(text, max(0, len(text) - 16)) if len(text) > 8 else None
        text = text[: footer.start()] if footer else text
        if first and counts[first] >= 2:
            text = text.lstrip().partition("\n")[2]
        starts.append(at)
        out.append(text)
        at += len(text) + 1
    return "\n".join(out), starts


def _read_url(text: str, pos: int) -> tuple[str, int]:
    """The URL path from ``pos`` (just after ``host/``), followed across breaks; and its end."""
    parts: list[str] = []
    while True:
        m = _URL_CHARS.match(text, pos)
        assert m is not None  # the pattern matches the empty string
        piece = m.group()
        parts.append(piece)
        pos = m.end()
        so_far = "".join(parts)
        brk = _BREAK.match(text, pos)
        if brk is None:
            break
        complete = "/" in so_far.strip("/")
        # a full stop that ends a line after owner/name ends the sentence, not the link
        if complete and (so_far[-1] not in _BREAK_AFTER or so_far[-1] == "."):
            break
        nxt = _URL_CHARS.match(text, brk.end())
        if nxt is None or not nxt.group():
            break
        pos = brk.end()
    return "".join(parts).replace("\ufffe", "-"), pos


def _repo_of(host: str, path: str) -> tuple[str, str, str] | None:
    """(repo, kind, clean path) for a link's path, or None when it names no repository."""
    path = path.split("#", 1)[0].split("?", 1)[0].rstrip(".,;:")
    segments = [s for s in path.split("/") if s]
    kind = "code"
    if host == "huggingface.co":
        kind = "model"
        if segments and segments[0].lower() in _HF_KINDS:
            kind = _HF_KINDS[segments[0].lower()]
            segments = segments[1:]
        elif segments and segments[0].lower() in _HF_PAGES:
            return None
    if len(segments) < 2:
        return None
    owner, name = segments[0], segments[1]
    if name.lower().endswith(".git"):
        name = name[:-4]
    name = name.rstrip(".")
    if host == "github.com" and owner.lower() in _GITHUB_PAGES:
        return None
    if not OWNER_RE.fullmatch(owner) or not NAME_RE.fullmatch(name) or name in (".", ".."):
        return None
    return f"{owner}/{name}", kind, path


def _sentence_before(text: str, start: int, after: int = 0) -> str:
    """The words of the sentence a link ends, before the link (at most 300 characters back,
    never before ``after``: the end of the link before it)."""
    window = text[max(0, after, start - 300) : start]
    cut = 0
    for m in _SENTENCE_END.finditer(window):
        if m.end() < len(window):
            cut = m.end()
    words = " ".join(window[cut:].split())
    words = _SCHEME_END.sub("", words)  # "https://" left before a host moved past a break
    return words.lstrip("0123456789*\u2020\u2021 ") if len(words) > 1 else words


def _hosts(text: str) -> list[tuple[int, int, str]]:
    """(where the link starts, where its path starts, host) for every host name, in order."""
    found = []
    for tail, (host, before) in _HOST_TAILS.items():
        at = text.find(tail)
        while at >= 0:
            head = before.search(text, max(0, at - 16), at)
            if head is not None:
                found.append((head.start(), at + len(tail), host))
            at = text.find(tail, at + 1)
    return sorted(found)


def find_links(pages: Sequence[str]) -> tuple[Link, ...]:
    """Every GitHub, GitLab and Hugging Face link in a paper's pages, in reading order."""
    # a quick test first: most pages link nothing ("ithub.com" also meets "GitHub.com")
    if not any(
        ("ithub.com" in p or "itlab.com" in p or "ingface.co" in p)
        or any(h in p for h in _HOST_BREAK_HINTS)
        for p in pages
    ):
        return ()
    text, starts = _page_joined(pages)
    if any(h in text for h in _HOST_BREAK_HINTS):
        text = _HOST_BREAK.sub(_join_host, text)
    first = text[: starts[1]] if len(starts) > 1 else text
    abstract_at = _ABSTRACT.search(first)
    intro = _INTRO.search(first)
    abstract_end = intro.start() if intro else -1
    found: list[Link] = []
    prev_end = read_to = 0  # the end of the last link kept, and of the last one read
    for start, after, host in _hosts(text):
        if start < read_to:  # inside the link before (a URL that names another)
            continue
        path, read_to = _read_url(text, after)
        got = _repo_of(host, path)
        if got is None:
            continue
        repo, kind, clean = got
        page = 1 + sum(1 for s in starts[1:] if s <= start)
        sentence = _sentence_before(text, start, prev_end)
        prev_end = read_to
        found.append(
            Link(
                host=host,
                repo=repo,
                url=f"https://{host}/{clean}",
                kind=kind,
                page=page,
                abstract=page == 1
                and abstract_at is not None
                and abstract_at.start() < start < abstract_end,
                code_sentence=bool(_OWN_CUE.search(sentence)) and not _OTHERS_CUE.search(sentence),
                sentence=sentence,
            )
        )
    return tuple(found)


def is_tool(host: str, repo: str) -> bool:
    owner = repo.split("/", 1)[0].lower()
    return host == "github.com" and (owner in _TOOL_OWNERS or repo.lower() in _TOOL_REPOS)


def _quote(sentence: str) -> str:
    s = sentence if len(sentence) <= _SNIPPET else "…" + sentence[-_SNIPPET:].lstrip()
    return f"'{s} …'" if s else "''"


def choose(links: Sequence[Link]) -> tuple[CodeLink, ...]:
    """One ``CodeLink`` per repository (first seen first), the paper's own marked (rule above)."""
    by_repo: dict[tuple[str, str], list[Link]] = {}
    for link in links:
        by_repo.setdefault((link.host, link.repo.lower()), []).append(link)
    merged = []
    for group in by_repo.values():
        best = next((x for x in group if x.code_sentence), None) or group[0]
        merged.append(
            CodeLink(
                host=best.host,
                repo=group[0].repo,
                url=best.url,
                kind=best.kind,
                pages=tuple(dict.fromkeys(x.page for x in group)),
                first_page=any(x.page == 1 for x in group),
                abstract=any(x.abstract for x in group),
                code_sentence=any(x.code_sentence for x in group),
                tool=is_tool(best.host, best.repo),
                own=False,
                why=_quote(best.sentence),
            )
        )

    def rank(c: CodeLink) -> int:
        return 2 if c.code_sentence else 1 if c.first_page else 0

    code = [c for c in merged if c.kind == "code" and rank(c) > 0]
    own = max(
        [c for c in code if not c.tool] or code, key=rank, default=None
    )  # max keeps the earliest of equal rank
    out = []
    for c in merged:
        where = "first page" if c.first_page else f"page {c.pages[0]}"
        if c is own:
            how = "" if c.code_sentence else "the first page's link; "
            tool = "a cited tool, but nothing else is linked; " if c.tool else ""
            why = f"{where}: {tool}{how}{c.why}"
        elif c.kind != "code":
            why = f"a Hugging Face {c.kind}, not code"
        elif c.tool:
            why = "a cited tool"
        elif rank(c) == 0:
            why = f"page {c.pages[0]}: not on the first page nor in an 'our code' sentence"
        else:
            why = f"{where}: ranked after {own.repo if own else 'another link'}"
        out.append(_replace(c, own=c is own, why=why))
    return tuple(out)


def _replace(c: CodeLink, **changes: object) -> CodeLink:
    from dataclasses import replace

    return replace(c, **changes)


def code_links(pages: Sequence[str]) -> tuple[CodeLink, ...]:
    """``choose(find_links(pages))``: what a worker keeps per paper."""
    links = find_links(pages)
    return choose(links) if links else ()


def own_repo(links: Sequence[CodeLink]) -> CodeLink | None:
    return next((c for c in links if c.own), None)
