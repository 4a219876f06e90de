"""Repository links in a paper's text, and its own repository: generated PDFs through the real
reader (pdfium, the worker's ``analyse``), ``trendbot scan`` as a person runs it, and the pure
link finder on its own (examples, and a hypothesis property)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import pdfgen
from tests.test_scan_cli import trendbot
from trendbot.cli import scan as scan_cli
from trendbot.collectors import codelinks
from trendbot.collectors.codelinks import NAME_RE, OWNER_RE, code_links, find_links
from trendbot.collectors.pdftext import analyse


def _with(seed: int, pages: int, edits: dict[int, list[tuple[int, str]]]) -> list[list[str]]:
    """A generated paper's lines, with ``edits`` {page: [(line, text)]} inserted (line -1: end)."""
    text = pdfgen.paper_text(seed, pages, [], lines_per_page=20)
    for page, inserts in edits.items():
        for line, words in inserts:
            if line < 0:
                text[page].append(words)
            else:
                text[page].insert(line, words)
    return text


# Several links, one of them the paper's own: broken after "github.com/" at a line end, with
# ".git" and a full stop; a model; a cited tool; a baseline's code broken at a hyphen; a link
# broken across a page break (page number at the foot, a running header on the next page).
SEVERAL = _with(
    21,
    3,
    {
        0: [
            (2, "Abstract"),
            (3, "We study sparse routing. Our code is available at https://github.com/"),
            (4, "alice-lab/fast_nets.git. Models: huggingface.co/alice/fast-7b."),
            (5, "1 Introduction"),
            (-1, "1"),
        ],
        1: [
            (0, "Published as a conference paper at ICLR 2024"),
            (4, "We build on torchvision (github.com/pytorch/vision) and the official code of"),
            (5, "the baseline at github.com/bob/base-"),
            (6, "translation. Data loading follows https://github.com/NVIDIA/apex."),
            (-1, "We compare with the results of https://github.com/carol/"),
            (-1, "2"),
        ],
        2: [(0, "Published as a conference paper at ICLR 2024"), (1, "xyz/tree/main/src.")],
    },
)
CITED_ONLY = _with(
    22,
    2,
    {
        1: [
            (3, "All models use PyTorch (github.com/pytorch/pytorch) and google/flax at"),
            (4, "https://github.com/google/flax, with huggingface.co/bert-base/uncased weights."),
        ]
    },
)
FOOTNOTE = _with(
    23,
    2,
    {
        0: [(-1, "1Code: https://github.com/dave/graph-kit\u2020")],
        1: [(5, "We thank https://github.com/erin/helper for a script.")],
    },
)


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    return {
        "several.pdf": pdfgen.paper_pdf(SEVERAL),
        "cited.pdf": pdfgen.paper_pdf(CITED_ONLY),
        "footnote.pdf": pdfgen.paper_pdf(FOOTNOTE),
        "none.pdf": pdfgen.make_paper(24, 2),
    }


def test_links_split_across_lines_and_pages_and_one_own_repository(pdfs) -> None:
    paper = analyse(pdfs["several.pdf"])
    got = {c.repo: c for c in paper.code}
    assert list(got) == [
        "alice-lab/fast_nets",
        "alice/fast-7b",
        "pytorch/vision",
        "bob/base-translation",
        "NVIDIA/apex",
        "carol/xyz",
    ]
    own = got["alice-lab/fast_nets"]
    assert own.own and own.abstract and own.first_page and own.code_sentence
    assert own.why == "first page: 'Our code is available at …'"
    assert own.url == "https://github.com/alice-lab/fast_nets.git"
    assert [c.repo for c in paper.code if c.own] == ["alice-lab/fast_nets"]
    assert got["alice/fast-7b"].kind == "model" and got["alice/fast-7b"].host == "huggingface.co"
    assert got["pytorch/vision"].tool and got["NVIDIA/apex"].tool
    # someone else's code, even in a "code at" sentence, is not the paper's own
    assert not got["bob/base-translation"].code_sentence and got["bob/base-translation"].pages == (
        2,
    )
    assert got["carol/xyz"].url == "https://github.com/carol/xyz/tree/main/src"


def test_cited_tools_only_is_no_own_repository(pdfs) -> None:
    paper = analyse(pdfs["cited.pdf"])
    assert [(c.repo, c.own, c.why) for c in paper.code] == [
        ("pytorch/pytorch", False, "a cited tool"),
        ("google/flax", False, "a cited tool"),
        ("bert-base/uncased", False, "a Hugging Face model, not code"),
    ]


def test_footnote_code_link_on_the_first_page(pdfs) -> None:
    paper = analyse(pdfs["footnote.pdf"])
    assert [(c.repo, c.own) for c in paper.code] == [
        ("dave/graph-kit", True),
        ("erin/helper", False),
    ]
    assert paper.code[0].why == "first page: 'Code: …'"


def test_a_tool_is_own_only_when_nothing_else_qualifies() -> None:
    pages = ["PyTorch: an imperative library\nOur code is at https://github.com/pytorch/pytorch."]
    (c,) = code_links(pages)
    assert c.own and c.tool and "nothing else is linked" in c.why
    pages[0] += "\nOur code is at https://github.com/me/mine."
    assert [(c.repo, c.own) for c in code_links(pages)] == [
        ("pytorch/pytorch", False),
        ("me/mine", True),
    ]


def test_scan_json_and_text_name_the_code(pdfs, cli_env, tmp_path) -> None:
    for name, data in pdfs.items():
        (tmp_path / name).write_bytes(data)
    proc = trendbot(["scan", "--json", "several.pdf", "none.pdf"], cli_env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    several, none = (json.loads(line) for line in proc.stdout.splitlines())
    assert none["code"] == [] and none["code_rule"] == codelinks.RULE_VERSION
    assert several["code"][0] == {
        "repo": "alice-lab/fast_nets",
        "url": "https://github.com/alice-lab/fast_nets.git",
        "host": "github.com",
        "kind": "code",
        "own": True,
        "why": "first page: 'Our code is available at …'",
        "pages": [1],
        "first_page": True,
        "abstract": True,
        "code_sentence": True,
    }
    assert sum(c["own"] for c in several["code"]) == 1
    proc = trendbot(["scan", "several.pdf", "cited.pdf", "none.pdf"], cli_env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    code_lines = [
        line.split(None, 1)[1] for line in proc.stdout.splitlines() if line.startswith("  code ")
    ]
    assert code_lines == [
        "own repository alice-lab/fast_nets (first page: 'Our code is available at …')",
        "links 2 repositories, none of them its own",
        "links no repository",
    ]


# -- the pure finder -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pages", "repos"),
    [
        (["see github.com/a/b."], ["a/b"]),
        (["at https://www.github.com/Org-1/re.po_x.git,"], ["Org-1/re.po_x"]),
        (["at https://github.com/\r\norg/\r\nrepo-\r\nname and more"], ["org/repo-name"]),
        (["code at github.com/org/repo\r\nThe next line"], ["org/repo"]),
        (["github.com/features/actions and github.com/org"], []),
        (["gitlab.com/grp/proj/-/tree/main"], ["grp/proj"]),
        (["huggingface.co/datasets/x/y and huggingface.co/docs/z/w"], ["x/y"]),
        (
            ["see https://github.com/org/\n12", "Header\nrepo for it", "Header\nx", "Header\ny"],
            ["org/repo"],
        ),
    ],
)
def test_find_links_examples(pages, repos) -> None:
    assert [link.repo for link in find_links(pages)] == repos


_PIECES = [
    *"abcAZ09-._/ \r\n\ufffe:?#\u2020\u00b9",
    "github.com/",
    "gitlab.com/",
    "huggingface.co/",
]
_URLISH = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_URLISH, st.text(max_size=40)), max_size=4))
def test_find_links_never_raises_and_returns_valid_repos(pages) -> None:
    for link in code_links(pages):
        owner, name = link.repo.split("/")
        assert OWNER_RE.fullmatch(owner) and NAME_RE.fullmatch(name) and name not in (".", "..")
        assert link.pages and all(1 <= p <= len(pages) for p in link.pages)
    assert sum(c.own for c in code_links(pages)) <= 1


def test_rule_version_is_stated_and_scan_names_it() -> None:
    assert codelinks.RULE_VERSION.startswith("links-")
    assert scan_cli.CODE_RULE == codelinks.RULE_VERSION


def test_module_has_no_io() -> None:
    src = Path(codelinks.__file__).read_text()
    assert "import os" not in src and "open(" not in src


def test_an_our_code_sentence_outranks_a_first_page_link() -> None:
    pages = [
        "Title\nAbstract\nWe extend MoCo (github.com/someone/moco).\n1 Introduction\nText.",
        "More text.\n",
        "Our implementation is released at https://gitlab.com/me/proj/-/tree/main.",
    ]
    links = code_links(pages)
    assert [(c.repo, c.own, c.first_page, c.abstract) for c in links] == [
        ("someone/moco", False, True, True),
        ("me/proj", True, False, False),
    ]
    assert links[1].why == "page 3: 'Our implementation is released at …'"
    assert links[0].why == "first page: ranked after me/proj"


# -- sentences as real papers write them -----------------------------------------------------------
# The link sentences of real abstracts (ACL Anthology, anthology.xml abstracts of the papers named;
# in the PDF the break is a line end, here written as one), set on a paper's second page so only
# the "our code" rule can make them the paper's own.
@pytest.mark.parametrize(
    ("sentence", "repo"),
    [
        (  # 2020.emnlp-main.210: url.sty broke the host after its dot
            "Code, data, and pre-trained models are available at https://github.\r\n"
            "com/linzehui/mRASP.",
            "linzehui/mRASP",
        ),
        (  # 2020.acl-main.610
            "Implementation is available at: https://github.com/\r\nguykush/TermSetExpansion-MPB/",
            "guykush/TermSetExpansion-MPB",
        ),
        (  # 2020.acl-main.655
            "All source codes of this work are available at https://github.com/thunlp/KernelGAT.",
            "thunlp/KernelGAT",
        ),
        (  # P19-1446
            "Our code is available at http://github.com/\r\nfreesunshine0316/sembleu.",
            "freesunshine0316/sembleu",
        ),
        (  # 2020.emnlp-main.118
            "Our benchmark, execution engines and implementation can be found on: "
            "https://github.com/JasperGuo/Unimer.",
            "JasperGuo/Unimer",
        ),
    ],
)
def test_real_link_sentences_name_the_papers_own_code(sentence, repo) -> None:
    pages = ["A Title\r\nAbstract\r\nWe study things.\r\n1 Introduction\r\nText.", sentence]
    (link,) = code_links(pages)
    assert (link.repo, link.own, link.code_sentence) == (repo, True, True), link.why
    assert "https://" not in link.why and link.why.startswith("page 2: '")


def test_a_host_broken_after_its_dot_is_followed_only_at_a_line_end() -> None:
    assert [x.repo for x in find_links(["at huggingface.\nco/org/model and"])] == ["org/model"]
    assert find_links(["see github. com/a/b"]) == ()  # a space is not url.sty's break
    assert find_links(["the github.\ncomments/a/b"]) == ()
