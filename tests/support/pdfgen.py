"""Realistic test PDFs, made here, for the extraction tests and the benchmark.

No real paper PDF is available to the project (``../shared/data/fixtures`` holds listing pages
and records, no PDF), so these are generated with the tools real PDFs come from:

- ``paper_pdf``: matplotlib's PDF backend with ``pdf.fonttype = 42``, i.e. an embedded
  TrueType subset with a ToUnicode map, like a LaTeX paper's embedded fonts: pages of
  paper-like prose (sections, citations, numbers, a references list), framework names placed
  anywhere, optionally a plot (vector paths, as real figures are), a name hyphenated across a
  line end (``Py-`` / ``Torch``) and the ``ﬂ`` ligature glyph (``tensorﬂow``);
- ``scan_pdf``: pages that are only an image of text (a scanned paper), no text layer;
- ``encrypted_pdf``: a genuinely RC4-encrypted PDF (PDF 1.4 standard security handler,
  revision 2) that opens only with its user password;
- ``empty_pdf``: a valid PDF with no pages; ``corrupt_pdf``: a paper cut short, and other
  bytes that are not a PDF (an HTML error page saved as ``.pdf``, as a failed download is);
- ``Corpus`` (benchmark): many multi-page papers assembled from a set of generated pages with
  pypdfium2, with the frameworks each one names known in advance.

matplotlib lays out text glyph by glyph in Python (~0.3 s for a dense page), so the benchmark
draws its pages once and assembles papers from them; tests keep their papers short.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LINE_CHARS = 95  # characters per line of a dense one-column page
LINES_PER_PAGE = 50

_VOCABULARY = (
    "the of and to in we a is for that on with as by this our are from be an which model "
    "training results network learning data performance method propose approach loss layer "
    "neural deep image language task show table figure using based dataset experiments "
    "accuracy baseline convolutional transformer attention representation gradient optimization "
    "objective validation benchmark samples distribution parameters inference architecture "
    "evaluation prior work section robust efficient improves significantly compared setting "
    "regularization features encoder decoder embedding sequence tokens batch epochs learning "
    "rate schedule ablation study analysis empirical theoretical bound convergence variance "
    "stochastic policy reward agent environment graph nodes edges classification segmentation "
    "detection generation translation retrieval pretrained fine-tuning downstream supervised "
    "unsupervised contrastive generalization adversarial perturbation latent variational"
)
_WORDS = tuple(_VOCABULARY.split())
_AUTHORS = ("Smith", "Chen", "Kumar", "Garcia", "Müller", "Tanaka", "Okafor", "Ivanova", "Rossi")
_VENUES = ("NeurIPS", "ICML", "ICLR", "CVPR", "ACL", "EMNLP", "JMLR", "TPAMI")

# How framework names appear in real papers, one phrase per mention
MENTIONS = {
    "pytorch": "All models are implemented in PyTorch (Paszke et al., 2019).",
    "torchvision": "We use the ResNet-50 weights from torchvision.",
    "fairseq": "Our translation baseline follows the fairseq recipe.",
    "tensorflow": "The implementation uses TensorFlow 2.4 with mixed precision.",
    "keras": "The classifier is a small Keras model.",
    "jax": "Our code is written in JAX and runs on TPU v3.",
    "flax": "Networks are defined with flax.linen modules.",
    "mxnet": "We reuse the MXNet implementation released by the authors.",
    "paddlepaddle": "Experiments were run with PaddlePaddle 2.3.",
    "mindspore": "We also provide a MindSpore version of the code.",
    "google": "Work done while the first author was at Google Brain.",
    "facebook": "Correspondence: jdoe@fb.com.",
    # words that look like framework names and are not
    "decoys": "A haiku about flax fields, the quark-gluon plasma, and an Ajax request.",
}


@dataclass(frozen=True)
class Special:
    """A mention typeset the hard way: split by a hyphen at a line end, or with a ligature."""

    before: str  # ends the line, hyphen included ("… in Py-")
    after: str  # starts the next line ("Torch and …")


HYPHENATED_PYTORCH = Special("All models are implemented in Py-", "Torch (Paszke et al., 2019).")
HYPHENATED_OPENNMT = Special("The baseline uses OpenNMT-", "py with default settings.")
LIGATURE_TENSORFLOW = "The implementation uses tensor\ufb02ow with mixed precision."


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 22))]
    if rng.random() < 0.3:
        words.insert(
            rng.randint(1, len(words) - 1),
            f"({rng.choice(_AUTHORS)} et al., 20{rng.randint(10, 25)})",
        )
    if rng.random() < 0.2:
        words.insert(rng.randint(1, len(words) - 1), f"{rng.uniform(0, 100):.1f}%")
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _reference(rng: random.Random, i: int) -> str:
    title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 10))).capitalize()
    authors = ", ".join(f"{chr(65 + rng.randrange(26))}. {rng.choice(_AUTHORS)}" for _ in range(3))
    return f"[{i}] {authors}. {title}. In {rng.choice(_VENUES)}, 20{rng.randint(10, 25)}."


def _wrap(items: Sequence[str | Special], width: int = LINE_CHARS) -> list[str]:
    """Greedy line filling; a ``Special`` forces its line break where the hyphen is."""
    lines: list[str] = []
    line = ""
    for item in items:
        if isinstance(item, Special):
            head = f"{line} {item.before}".strip()
            lines.append(head)
            line = item.after
            continue
        for word in item.split():
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def paper_text(
    seed: int,
    pages: int = 3,
    mentions: Sequence[str | Special] = (),
    lines_per_page: int = LINES_PER_PAGE,
    plot_pages: Sequence[int] = (),
) -> list[list[str]]:
    """Lines of each page of a paper: title, sections of prose, then references; every item of
    ``mentions`` (a phrase or a ``Special``) placed at a random spot of the prose. Pages in
    ``plot_pages`` hold half as many lines (a figure takes the top half)."""
    rng = random.Random(seed)
    sizes = [lines_per_page // 2 if p in plot_pages else lines_per_page for p in range(pages)]
    total = sum(sizes)
    budget = total - 3 - 3 * len(mentions)  # title, and room for every mention to fit
    items: list[str | Special] = []
    section = 0
    while len(_wrap(items)) < budget - 4:
        if rng.random() < 0.08:
            section += 1
            items.append(f"{section} {rng.choice(_WORDS).capitalize()} {rng.choice(_WORDS)}")
        items.append(" ".join(_sentence(rng) for _ in range(rng.randint(1, 2))))
    for m in mentions:
        items.insert(rng.randint(1, len(items)), m)
    items += ["References"] + [_reference(rng, i + 1) for i in range(3 * pages)]
    title = f"On the {rng.choice(_WORDS)} of {rng.choice(_WORDS)} {rng.choice(_WORDS)} models"
    lines = [title, "", *_wrap(items)]
    out = []
    for size in sizes:
        out.append(lines[:size])
        lines = lines[size:]
    return out


def paper_pdf(page_lines: Sequence[Sequence[str]], *, plot_pages: Sequence[int] = ()) -> bytes:
    """A PDF with one page per list of lines, text embedded as TrueType (fonttype 42).

    Pages listed in ``plot_pages`` get a line plot in their top half, and their text below it.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42, "pdf.compression": 6}), PdfPages(buf) as pdf:
        for n, lines in enumerate(page_lines):
            fig = Figure(figsize=(8.5, 11))
            top = 0.95
            if n in plot_pages:
                ax = fig.add_axes((0.12, 0.6, 0.76, 0.33))
                rng = random.Random(n)
                for k in range(3):
                    ys = [rng.gauss(0, 1) for _ in range(200)]
                    ax.plot(range(200), [sum(ys[: i + 1]) for i in range(200)], label=f"run {k}")
                ax.set_xlabel("epoch")
                ax.set_ylabel("loss")
                ax.legend()
                top = 0.55
            step = 0.88 / LINES_PER_PAGE
            for i, line in enumerate(lines):
                fig.text(0.07, top - i * step, line, fontsize=8.5, family="DejaVu Sans")
            pdf.savefig(fig)
    return buf.getvalue()


def make_paper(
    seed: int,
    pages: int = 3,
    mentions: Sequence[str | Special] = (),
    lines_per_page: int = 20,
    plot_pages: Sequence[int] = (),
) -> bytes:
    """A short paper for tests (20 lines a page keeps it near 0.1 s a page to draw)."""
    text = paper_text(seed, pages, mentions, lines_per_page, plot_pages)
    return paper_pdf(text, plot_pages=plot_pages)


def scan_pdf(pages: int = 2, stamp: str = "") -> bytes:
    """A scanned paper: each page is one image of rendered text, with no text layer.

    ``stamp`` adds a short real text line (like arXiv's side banner on a scanned paper).
    """
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    buf = io.BytesIO()
    text = paper_text(7, pages, ["All models are implemented in PyTorch."], lines_per_page=20)
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(buf) as pdf:
        for n, lines in enumerate(text):
            raster = Figure(figsize=(8.5, 11), dpi=50)
            for i, line in enumerate(lines):
                raster.text(0.07, 0.95 - i * 0.03, line, fontsize=8.5)
            canvas = FigureCanvasAgg(raster)
            canvas.draw()
            pixels = np.asarray(canvas.buffer_rgba())[:, :, :3].mean(axis=2).astype("uint8")
            page = Figure(figsize=(8.5, 11), dpi=50)
            page.figimage(pixels, cmap="gray", vmin=0, vmax=255)
            if stamp and n == 0:
                page.text(0.02, 0.5, stamp, rotation=90, fontsize=8)
            pdf.savefig(page)
    return buf.getvalue()


@functools.cache
def corrupt_pdf(seed: int = 1) -> bytes:
    """A real paper cut off halfway, as an interrupted download leaves it."""
    data = make_paper(seed, pages=2)
    return data[: len(data) // 2]


HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>429 Too Many Requests</title></head>\n"
    b"<body><h1>Too Many Requests</h1><p>Please slow down.</p></body></html>\n"
)


# -- hand-written PDFs: empty, encrypted --------------------------------------------------------
def _assemble(objects: Sequence[bytes], trailer: bytes) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return bytes(out)


def empty_pdf() -> bytes:
    """A well-formed PDF whose page tree has no pages."""
    return _assemble(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"],
        b"/Root 1 0 R",
    )


_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def encrypted_pdf(user_password: str = "secret", text: str = "Implemented in PyTorch.") -> bytes:
    """One page of text, RC4-40 encrypted (PDF 1.4, standard handler R2, ISO 32000-1 §7.6.3).

    It opens only with ``user_password``; without it pdfium reports a password error.
    """
    owner = (user_password + "-owner").encode()[:32]
    user = user_password.encode()[:32]
    doc_id = hashlib.md5(b"trendbot test document").digest()
    permissions = -44
    o_key = hashlib.md5((owner + _PAD)[:32]).digest()[:5]
    o_entry = _rc4(o_key, (user + _PAD)[:32])  # algorithm 3
    key = hashlib.md5(
        (user + _PAD)[:32] + o_entry + struct.pack("<i", permissions) + doc_id
    ).digest()[:5]  # algorithm 2
    u_entry = _rc4(key, _PAD)  # algorithm 4

    def crypt(num: int, data: bytes) -> bytes:  # algorithm 1: per-object key
        obj_key = hashlib.md5(key + struct.pack("<i", num)[:3] + b"\x00\x00").digest()[:10]
        return _rc4(obj_key, data)

    content = zlib.compress(f"BT /F1 12 Tf 72 700 Td ({text}) Tj ET".encode())
    content = crypt(4, content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
        + content
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>"
        % (o_entry.hex().encode(), u_entry.hex().encode(), permissions),
    ]
    trailer = b"/Root 1 0 R /Encrypt 6 0 R /ID [<%s> <%s>]" % (
        doc_id.hex().encode(),
        doc_id.hex().encode(),
    )
    return _assemble(objects, trailer)


# -- the benchmark corpus -----------------------------------------------------------------------
@dataclass(frozen=True)
class CorpusPaper:
    path: Path
    pages: int
    named: frozenset[str]  # frameworks the paper names under ``modern`` (hyphenated ones too)


# What each page of the template set names under ``modern`` (hyphenation and ligature
# included), and the mention placed on it. Most pages name nothing, as in real papers.
_TEMPLATE_MENTIONS: tuple[tuple[Sequence[str | Special], frozenset[str]], ...] = (
    ((MENTIONS["pytorch"],), frozenset({"pytorch"})),
    ((MENTIONS["tensorflow"],), frozenset({"tensorflow"})),
    ((MENTIONS["torchvision"], MENTIONS["keras"]), frozenset({"pytorch", "keras"})),
    ((MENTIONS["jax"],), frozenset({"jax"})),
    ((HYPHENATED_PYTORCH,), frozenset({"pytorch"})),
    ((LIGATURE_TENSORFLOW,), frozenset({"tensorflow"})),
    ((MENTIONS["mxnet"], MENTIONS["decoys"]), frozenset({"mxnet"})),
    ((MENTIONS["google"],), frozenset()),
)


class Corpus:
    """``count`` papers of 8–12 pages for the benchmark, each naming known frameworks.

    - ``engine="latex"`` (the default when ``pdflatex`` is installed; Debian:
      ``apt-get install -y --no-install-recommends texlive-latex-base``): every paper is its own
      two-column 10 pt LaTeX article compiled by pdfTeX, as conference papers are: embedded
      Type 1 subset fonts, TeX's own hyphenation and ligatures, a matplotlib PDF figure, a
      references list. Framework mentions are placed in random paragraphs.
    - ``engine="matplotlib"``: papers assembled from ``templates`` pages drawn by matplotlib
      (fonttype 42), imported in one call so that a paper's pages share one embedded font.
      Its text is written glyph by glyph (a kerning offset after every character), which makes
      both pdfium and pdftotext slower than on a typeset paper.
    """

    def __init__(
        self,
        directory: Path,
        count: int = 200,
        templates: int = 24,
        seed: int = 2019,
        engine: str = "auto",
    ):
        self.directory = Path(directory)
        self.count = count
        self.templates = templates
        self.seed = seed
        if engine == "auto":
            engine = "latex" if latex_available() else "matplotlib"
        if engine not in ("latex", "matplotlib"):
            raise ValueError(f"engine must be latex or matplotlib, not {engine!r}")
        self.engine = engine

    def build(self) -> list[CorpusPaper]:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self._build_latex() if self.engine == "latex" else self._build_matplotlib()

    def _build_latex(self) -> list[CorpusPaper]:
        import concurrent.futures
        import os

        import pypdfium2 as pdfium

        rng = random.Random(self.seed)
        work = self.directory / "latex"
        work.mkdir(exist_ok=True)
        (work / "plot.pdf").write_bytes(_plot_pdf())
        jobs = []
        for i in range(self.count):
            keys = [k for k, p in _MENTION_RATES.items() if rng.random() < p]
            jobs.append((i, keys, latex_paper(self.seed * 1000 + i, [MENTIONS[k] for k in keys])))

        def compile_one(job) -> CorpusPaper:
            i, keys, tex = job
            path = self.directory / f"paper-{i:04d}.pdf"
            path.write_bytes(compile_latex(tex, work, f"paper-{i:04d}"))
            doc = pdfium.PdfDocument(path)
            try:
                pages = len(doc)
            finally:
                doc.close()
            return CorpusPaper(path, pages, frozenset().union(*(_NAMES[k] for k in keys)))

        workers = os.cpu_count() or 1
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:  # pdflatex processes
            return list(pool.map(compile_one, jobs))

    def _build_matplotlib(self) -> list[CorpusPaper]:
        import pypdfium2 as pdfium

        rng = random.Random(self.seed)
        page_lines: list[list[str]] = []
        named: list[frozenset[str]] = []
        plots = [t for t in range(self.templates) if t % 3 == 2]
        for t in range(self.templates):
            mention, frameworks = (
                _TEMPLATE_MENTIONS[t] if t < len(_TEMPLATE_MENTIONS) else ((), frozenset())
            )
            on_page = [0] if t in plots else []
            page_lines.append(paper_text(self.seed + t, 1, mention, plot_pages=on_page)[0])
            named.append(frameworks)
        template = pdfium.PdfDocument(paper_pdf(page_lines, plot_pages=plots))
        papers = []
        try:
            for i in range(self.count):
                n = rng.randint(8, 12)
                chosen = [rng.randrange(self.templates) for _ in range(n)]
                doc = pdfium.PdfDocument.new()
                try:
                    doc.import_pages(template, chosen)
                    path = self.directory / f"paper-{i:04d}.pdf"
                    with path.open("wb") as f:
                        doc.save(f)
                finally:
                    doc.close()
                papers.append(CorpusPaper(path, n, frozenset().union(*(named[c] for c in chosen))))
        finally:
            template.close()
        return papers


# How often a benchmark paper names each thing (roughly the 2019 study's rates: most papers
# name no framework), and what ``modern`` counts each mention as.
_MENTION_RATES = {
    "pytorch": 0.25,
    "torchvision": 0.06,
    "fairseq": 0.03,
    "tensorflow": 0.12,
    "keras": 0.05,
    "jax": 0.05,
    "flax": 0.02,
    "mxnet": 0.02,
    "paddlepaddle": 0.01,
    "mindspore": 0.01,
    "google": 0.08,
    "facebook": 0.05,
    "decoys": 0.10,
}
_NAMES = {
    "pytorch": {"pytorch"},
    "torchvision": {"pytorch"},
    "fairseq": {"pytorch"},
    "tensorflow": {"tensorflow"},
    "keras": {"keras"},
    "jax": {"jax"},
    "flax": {"jax"},
    "mxnet": {"mxnet"},
    "paddlepaddle": {"paddlepaddle"},
    "mindspore": {"mindspore"},
    "google": set(),
    "facebook": set(),
    "decoys": set(),
}


def latex_available() -> bool:
    import shutil

    return shutil.which("pdflatex") is not None


def _tex_escape(text: str) -> str:
    for char, repl in (("\\", r"\textbackslash{}"), ("%", r"\%"), ("&", r"\&"), ("_", r"\_")):
        text = text.replace(char, repl)
    return text.replace("#", r"\#").replace("$", r"\$")


def latex_paper(seed: int, mentions: Sequence[str] = (), sections: int | None = None) -> str:
    """The LaTeX source of a two-column conference-style paper with ``mentions`` in it."""
    rng = random.Random(seed)
    sections = sections or rng.randint(7, 11)
    paragraphs: list[str] = []
    for s in range(sections):
        heading = f"{rng.choice(_WORDS).capitalize()} {rng.choice(_WORDS)}"
        paragraphs.append(f"\\section{{{heading}}}")
        for _ in range(rng.randint(3, 5)):
            paragraphs.append(" ".join(_sentence(rng) for _ in range(rng.randint(4, 8))))
        if s % 3 == 1:
            paragraphs.append(
                "\\begin{figure}[t]\\centering"
                "\\includegraphics[width=\\columnwidth]{plot.pdf}"
                f"\\caption{{{_tex_escape(_sentence(rng))}}}\\end{{figure}}"
            )
    for m in mentions:  # inside a paragraph, not between two
        at = rng.randrange(1, len(paragraphs))
        while paragraphs[at].startswith("\\"):
            at = rng.randrange(1, len(paragraphs))
        paragraphs[at] = f"{paragraphs[at]} {m}"
    refs = "\n".join(
        f"\\bibitem{{r{i}}} {_tex_escape(_reference(rng, i)[len(f'[{i}] ') :])}"
        for i in range(1, 25)
    )
    title = f"On the {rng.choice(_WORDS)} of {rng.choice(_WORDS)} {rng.choice(_WORDS)} models"
    body = "\n\n".join(_tex_escape(p) if not p.startswith("\\") else p for p in paragraphs)
    return (
        "\\documentclass[10pt,twocolumn]{article}\n\\usepackage{graphicx}\n"
        f"\\title{{{title}}}\\author{{{rng.choice(_AUTHORS)} and {rng.choice(_AUTHORS)}}}\n"
        "\\begin{document}\n\\maketitle\n"
        f"{body}\n\n\\begin{{thebibliography}}{{99}}\n{refs}\n"
        "\\end{thebibliography}\n\\end{document}\n"
    )


def compile_latex(tex: str, workdir: Path, name: str = "paper") -> bytes:
    """``pdflatex`` once (no cross-references to resolve); the PDF's bytes."""
    import subprocess

    (workdir / f"{name}.tex").write_text(tex)
    proc = subprocess.run(
        ["pdflatex", "-interaction=batchmode", "-halt-on-error", f"{name}.tex"],
        cwd=workdir,
        capture_output=True,
        timeout=120,
    )
    pdf = workdir / f"{name}.pdf"
    if proc.returncode != 0 or not pdf.exists():
        log = (workdir / f"{name}.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"pdflatex failed on {name}.tex:\n{log}")
    return pdf.read_bytes()


def _plot_pdf() -> bytes:
    """A matplotlib line plot as a PDF figure, as papers include them."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rng = random.Random(0)
    fig = Figure(figsize=(3.3, 2.2))
    ax = fig.add_subplot()
    for k in range(3):
        ys = [rng.gauss(0, 1) for _ in range(200)]
        ax.plot(range(200), [sum(ys[: i + 1]) for i in range(200)], label=f"run {k}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig.savefig(buf, format="pdf")
    return buf.getvalue()


def slow_pdf(operators: int = 2_000_000) -> bytes:
    """A small file that is slow to read: one page whose compressed content stream unpacks to
    millions of text-showing operators (a pathological PDF, as a timeout test needs)."""
    ops = b"BT /F1 1 Tf " + b"(x) Tj " * operators + b"ET"
    content = zlib.compress(ops, 9)
    return _assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
            + content
            + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ],
        b"/Root 1 0 R",
    )
