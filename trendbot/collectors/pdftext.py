"""A paper's full text from its PDF (pypdfium2), and the frameworks it names, off the event loop.

Three outcomes per PDF, kept apart on purpose:

- ``ok``: text was found; the detections say what it names (possibly nothing);
- ``no_text``: the pages have no text layer (a scan): the paper may well name PyTorch, we
  cannot tell, so it must never be counted as "mentions nothing";
- ``failed``: the file could not be read (damaged, not a PDF, needs a password, took too long,
  crashed the reader), with the reason in one sentence.

Extraction is CPU-bound C code (~1.9 ms a page, ~17 ms a paper) and occasionally pathological,
so a collector runs it in ``PaperPool``: a pebble process pool with one worker per core, a
per-file time limit (a worker that overruns is killed and replaced, so one PDF that hangs pdfium
cannot hang a run), workers recycled after a number of files (pdfium and the allocator keep some
memory per document), an address-space limit per worker, and an ``async`` API whose waiting
happens in pebble's threads, never on the event loop. Only the small ``PaperText`` comes back
from a worker, not the text.
"""

from __future__ import annotations

import asyncio
import codecs
import concurrent.futures
import contextlib
import ctypes
import os
import re
import signal
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from trendbot.collectors.codelinks import CodeLink, code_links
from trendbot.collectors.detect import BUILTIN, Detection, RuleSet, detect_all, normalise

Status = Literal["ok", "no_text", "failed"]

# A page of a typeset paper carries thousands of characters; a scanned page none, or a stamp of
# a few dozen (arXiv's side banner is ~40). Below this average per page the PDF is a scan.
MIN_CHARS_PER_PAGE = 25
# Seconds per file. A typeset page takes ~2 ms of CPU (bench/bench_papers.py), so a 40-page
# paper is done in a tenth of a second: only a pathological file comes near this.
DEFAULT_TIMEOUT = 60.0
# Files per worker before it is replaced by a fresh process. Measured: a worker's RSS stays at
# 30–31 MB over 960 typeset papers, so this is a precaution, kept rare because a fresh worker
# costs ~0.2 s (1,000 papers take ~20 s of one core).
DEFAULT_MAX_TASKS = 1000
DEFAULT_MEMORY_MB = 2048  # address-space limit per worker; workers peak near 32 MB on papers
# Collection is the least urgent work on the box: below the bot's loop and its chart workers
# (nice 10), so a collection run in the bot's process never slows an answer. On an idle machine
# niceness costs nothing; the benchmark uses 0 to compete on equal terms with pdftotext.
DEFAULT_NICE = 15


@dataclass(frozen=True)
class PdfText:
    """The text of one PDF, or why there is none."""

    status: Status
    pages: int
    text: str = ""
    reason: str = ""
    page_texts: tuple[str, ...] = ()  # each page as read ("" for a damaged one): link finding


# pdfium's FPDF_ERR_* codes, as sentences about the file
_LOAD_ERRORS = {
    1: "pdfium could not read it (unknown error)",
    2: "the file could not be opened",
    3: "it is not a PDF, or it is damaged",
    4: "it is encrypted and needs a password",
    5: "it uses a security handler pdfium does not support",
    6: "a page is missing or damaged",
}


def extract(data: bytes) -> PdfText:
    """Every page's text, joined by line breaks; pdfium objects are closed as soon as read.

    Calls pdfium's C API directly (``pypdfium2.raw``): the helper objects (``PdfDocument``,
    ``PdfPage``, ``PdfTextPage``) add a finalizer and a weak reference per page, which is
    per-page work for nothing here. The text is exactly ``PdfTextPage.get_text_range()``'s
    (``_page_text``), and pdfium's load errors become sentences (``_LOAD_ERRORS``).
    """
    import pypdfium2.raw as pdfium_c  # here: `trendbot ask` and the bot never need it

    if not data:
        return PdfText("failed", 0, reason="the file is empty")
    doc = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)  # reads ``data`` in place
    if not doc:
        code = pdfium_c.FPDF_GetLastError()
        return PdfText(
            "failed", 0, reason=_LOAD_ERRORS.get(code, f"pdfium could not open it (error {code})")
        )
    try:
        n = pdfium_c.FPDF_GetPageCount(doc)
        if n < 1:
            return PdfText("failed", 0, reason="it has no pages")
        parts: list[str] = []
        numbered: list[str] = []  # parts, with "" where a page could not be read
        bad = 0
        for i in range(n):
            numbered.extend("" for _ in range(i - len(numbered)))
            page = pdfium_c.FPDF_LoadPage(doc, i)
            if not page:  # a damaged page: read the others
                bad += 1
                continue
            try:
                textpage = pdfium_c.FPDFText_LoadPage(page)
                if not textpage:
                    bad += 1
                    continue
                try:
                    parts.append(_page_text(pdfium_c, textpage))
                    numbered.append(parts[-1])
                finally:
                    pdfium_c.FPDFText_ClosePage(textpage)
            except Exception:  # whatever a page throws, the others are still read
                bad += 1
            finally:
                pdfium_c.FPDF_ClosePage(page)
    finally:
        pdfium_c.FPDF_CloseDocument(doc)
    text = join_pages(parts)
    visible = len(text) - sum(text.count(c) for c in " \r\n\t\f\v")  # str.count: C speed
    note = f"{bad} of {n} pages could not be read" if bad else ""
    if bad == n:
        return PdfText("failed", n, reason=note)
    if visible < MIN_CHARS_PER_PAGE * n:
        why = "no text layer (a scanned paper?)" + (f"; {note}" if note else "")
        return PdfText("no_text", n, text, reason=why)
    numbered.extend("" for _ in range(n - len(numbered)))
    return PdfText("ok", n, text, reason=note, page_texts=tuple(numbered))


# A page that ends in the middle of a hyphenated word: pdfium's line-end hyphen mark, then at
# most a page number (what LaTeX's plain page style puts at the foot: arabic or roman), which
# pdfium reads as the rest of that last line ("torchvi\ufffe5", then page 6 goes on "sion").
_HYPHEN_THEN_FOOTER = re.compile(r"\ufffe[ \t\r\n]*(\d{1,4}|[ivxlcdm]{1,7})[ \t\r\n]*\Z", re.I)
# ... or ends in a hyphen, as the mark or (when no line follows it on the page) as itself.
_HYPHEN_AT_END = re.compile(r"[\ufffe-][ \t\r\n]*\Z")
_LINE_BREAK = re.compile(r"\r?\n")
_TAIL = 32  # characters: longer than a mark, the widest page number and the line breaks around


def join_pages(parts: list[str]) -> str:
    """The pages' texts as one text, a word hyphenated across a page break made whole again.

    pdfium reads each page on its own, so a word that TeX broke at the foot of a page
    ("torchvi-" … "sion") ends one page and starts the next, with the page number between the
    halves and, in many templates, a running header ("Published as a conference paper at ICLR
    2024") before the second half. Joined as they are, the halves never meet and the paper seems
    not to name torchvision. Where a page ends in a hyphen (pdfium's mark, or "-" when nothing
    follows it on the page), this moves its page number, and the next page's running header (a
    first line that starts at least two other pages too), to the start of the whole text, where
    they cannot meet another break, so that ``normalise`` joins the halves. Every character is
    kept; only those lines move, and only at such a page break.
    """
    if len(parts) < 2 or not any("\ufffe" in p[-16:] or "-" in p[-4:] for p in parts[:-1]):
        return "\n".join(parts)  # the common case: no page ends in a hyphen
    parts = list(parts)
    firsts = [_LINE_BREAK.split(p, maxsplit=1)[0].strip() for p in parts]
    counts: dict[str, int] = {}
    for line in firsts:
        if line:
            counts[line] = counts.get(line, 0) + 1
    moved: list[str] = []
    for i in range(len(parts) - 1):
        cut = max(0, len(parts[i]) - _TAIL)  # both patterns end at the page's end: search its tail
        footer = _HYPHEN_THEN_FOOTER.search(parts[i], cut)
        if footer:
            moved.append(footer.group(1))
            parts[i] = parts[i][: footer.start()] + "\ufffe"
        elif not _HYPHEN_AT_END.search(parts[i], cut):
            continue
        header, _, rest = parts[i + 1].partition("\n")
        if counts.get(firsts[i + 1], 0) >= 3 and rest:  # the next page opens with a header
            moved.append(header.rstrip("\r"))
            parts[i + 1] = rest
    return "\n".join(moved + parts)


def _page_text(pdfium_c: Any, textpage: Any) -> str:
    """A text page's whole text: pypdfium2's ``PdfTextPage.get_text_range()``, in raw calls.

    pdfium may leave characters out of its text (or add some): the range asked for starts and
    ends at characters that are in it, and the buffer is sized in text indices
    (pypdfium2 issue 261, crbug.com/pdfium/2079). UTF-16 that does not decode is dropped.
    """
    count = pdfium_c.FPDFText_CountChars(textpage)
    if count < 0:
        raise RuntimeError("pdfium could not count the characters of a page")
    first, last = 0, count - 1
    to_text = pdfium_c.FPDFText_GetTextIndexFromCharIndex
    while first <= last and (t_start := to_text(textpage, first)) == -1:
        first += 1
    while first <= last and (t_end := to_text(textpage, last)) == -1:
        last -= 1
    if first > last:
        return ""
    size = t_end + 2 - t_start  # text indices, and the NUL
    buffer = _text_buffer(size)
    written = pdfium_c.FPDFText_GetText(textpage, first, last - first + 1, buffer)
    if written > size:  # pdfium wrote past what it announced: nothing it holds can be trusted
        raise RuntimeError("pdfium wrote more text than it announced")
    return codecs.decode(memoryview(buffer)[: max(written - 1, 0)], "utf-16-le", "ignore")


_buffer: Any = None


def _text_buffer(size: int) -> Any:
    """A UTF-16 buffer of at least ``size`` units, reused from page to page: a ctypes array of a
    new length is a new ctypes *type*, and making one cost ~30 µs a page. One per process, like
    pdfium itself (which must not be called from two threads at once anyway)."""
    global _buffer
    if _buffer is None or len(_buffer) < size:
        _buffer = (ctypes.c_ushort * max(size, 2 * len(_buffer or ()), 1 << 16))()
    return _buffer


@dataclass(frozen=True)
class PaperText:
    """The small per-paper result that crosses the process boundary: no text, just findings."""

    status: Status
    pages: int
    chars: int
    reason: str = ""
    detections: Mapping[str, Detection] = field(default_factory=dict)  # by rule-set name
    seconds: float = 0.0  # extraction and detection, in the worker (wall clock)
    cpu_seconds: float = 0.0  # the CPU time that took (unlike wall time, immune to a busy box)
    worker_pid: int = 0
    worker_peak_rss_mb: float = 0.0  # the worker's peak RSS so far (bounded-memory checks)
    # repository and model links, the paper's own marked (codelinks.RULE_VERSION); the
    # collection stores them per paper (storage/code.py)
    code: tuple[CodeLink, ...] = ()

    @property
    def frameworks(self) -> tuple[str, ...]:
        """Every framework named under any rule set (before exclusive counting), in order."""
        seen: dict[str, None] = {}
        for d in self.detections.values():
            seen.update(dict.fromkeys(d.terms))
        return tuple(seen)

    @property
    def terms(self) -> dict[str, tuple[str, ...]]:
        """framework → every term that matched it, across rule sets."""
        out: dict[str, dict[str, None]] = {}
        for d in self.detections.values():
            for fw, ts in d.terms.items():
                out.setdefault(fw, {}).update(dict.fromkeys(ts))
        return {fw: tuple(ts) for fw, ts in out.items()}

    @property
    def counts(self) -> dict[str, tuple[str, ...]]:
        """rule-set name → the figures this paper adds one to under it."""
        return {name: d.counts for name, d in self.detections.items()}


def analyse(data: bytes, rulesets: Iterable[RuleSet] | None = None) -> PaperText:
    """Extract, normalise and detect under every rule set: what a worker runs per file."""
    started, cpu = time.perf_counter(), time.process_time()
    rulesets = tuple(BUILTIN.values() if rulesets is None else rulesets)
    pdf = extract(data)
    detections: dict[str, Detection] = {}
    code: tuple[CodeLink, ...] = ()
    if pdf.status == "ok":
        detections = detect_all(normalise(pdf.text), rulesets)
        code = code_links(pdf.page_texts)
    return PaperText(
        status=pdf.status,
        pages=pdf.pages,
        chars=len(pdf.text),
        reason=pdf.reason,
        detections=detections,
        code=code,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu,
        worker_pid=os.getpid(),
        worker_peak_rss_mb=_peak_rss_mb(),
    )


def _peak_rss_mb() -> float:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    except (ImportError, OSError):  # pragma: no cover - not on Linux
        return 0.0


# -- the worker pool -------------------------------------------------------------------------------
class PoolError(RuntimeError):
    """The pool cannot analyse anything (closed, or its workers cannot start)."""


@dataclass(frozen=True)
class PoolStats:
    files: int  # results returned, failures included
    timeouts: int  # files that overran the time limit (their worker was killed and replaced)
    crashes: int  # files whose worker died (pdfium crashed, or the memory limit was hit)


_WORKER_RULESETS: tuple[RuleSet, ...] = ()


def _init_worker(memory_mb: int, rulesets: tuple[RuleSet, ...], nice: int) -> None:
    """Runs once in each worker: lower priority, a memory ceiling, pdfium loaded up front, and
    the rule sets, so that a task carries only the PDF's bytes."""
    global _WORKER_RULESETS
    _WORKER_RULESETS = rulesets
    # pebble stops an overrunning worker with SIGTERM and a Python handler, which cannot run
    # while pdfium is inside C code: it then waits 3 s and sends SIGKILL. The worker holds no
    # state worth a clean exit, so let SIGTERM end it at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if nice > 0:
        with contextlib.suppress(OSError, AttributeError):
            os.nice(nice)
    if memory_mb > 0:
        with contextlib.suppress(ImportError, ValueError, OSError):
            import resource

            limit = memory_mb * 1024 * 1024
            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            if hard == resource.RLIM_INFINITY or hard > limit:
                resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    _keep_freed_memory()
    import pypdfium2  # noqa: F401  (loaded now, not while the first file's clock runs)


# glibc's malloc hands freed memory at the top of the heap back to the kernel as soon as 128 kB
# are free, and serves large blocks with mmap (from 128 kB, a threshold it raises as it goes).
# pdfium builds and frees a page's objects and its character array (hundreds of kB) for every
# page, so every page got fresh zeroed pages from the kernel: measured on the LaTeX corpus, 450
# minor page faults per page and 13% of a worker's CPU time. Keeping up to 8 MB of freed memory
# in the worker ends that (5 faults per page) and leaves the peak RSS where it was (~30 MB).
_MALLOC_KEEP_BYTES = 8 * 1024 * 1024
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


def _keep_freed_memory() -> bool:
    """Tune glibc's malloc in this process (a PDF worker) as above; False where it is not glibc."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # musl, macOS, Windows: their allocators differ
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, _MALLOC_KEEP_BYTES)
        and mallopt(_M_TRIM_THRESHOLD, _MALLOC_KEEP_BYTES)
    )


# What the fork server imports once, so that each worker forked from it starts with them: pdfium
# loaded and initialised, the rule sets compiled, pebble's worker code. ``__main__`` is the
# fork server's own default (the workers of a script need it), kept first.
_FORKSERVER_PRELOAD = ("trendbot.collectors.pdftext", "pypdfium2", "pebble")


def _preload_in_forkserver(context: Any) -> None:
    """Add ``_FORKSERVER_PRELOAD`` to what the fork server preloads, keeping what another pool
    (the chart workers preload their renderer) asked for. The fork server is one per process:
    if it already runs, this changes nothing, and workers import what they need themselves."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    current = list(getattr(server, "_preload_modules", None) or ["__main__"])
    context.set_forkserver_preload(current + [m for m in _FORKSERVER_PRELOAD if m not in current])


def _analyse_in_worker(data: bytes) -> PaperText:
    return analyse(data, _WORKER_RULESETS)


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class PaperPool:
    """``await pool.analyse(pdf_bytes)`` → ``PaperText``, computed in a worker process.

    - ``rulesets``: what to detect (default: the built-in ``final``, ``article``, ``modern``);
    - ``workers``: processes (default: one per core; extraction is all there is to do);
    - ``timeout``: seconds one file may take once a worker has it (queueing excluded); past it
      the worker is killed, a fresh one takes its place, and the file is ``failed``;
    - ``max_tasks``: files per worker before it is recycled, so memory cannot creep up;
    - ``memory_mb``: address-space limit per worker (0: none); a file that needs more fails
      alone instead of pushing the machine into swap;
    - ``nice``: how much lower than the caller the workers run (see ``DEFAULT_NICE``);
    - ``start_method``: ``"forkserver"`` or ``"spawn"``, never ``"fork"`` (the caller runs an
      event loop and threads; forking those is unsafe).

    At most ``2 × workers`` files are in flight: further ``analyse`` calls wait their turn, so
    a collector that starts thousands of them does not queue thousands of PDFs in pipes.
    """

    def __init__(
        self,
        rulesets: Iterable[RuleSet] | None = None,
        *,
        workers: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_tasks: int = DEFAULT_MAX_TASKS,
        memory_mb: int = DEFAULT_MEMORY_MB,
        nice: int = DEFAULT_NICE,
        start_method: str = "forkserver",
    ) -> None:
        if start_method == "fork":
            raise ValueError("fork is unsafe in a threaded process; use forkserver or spawn")
        self.rulesets = tuple(BUILTIN.values() if rulesets is None else rulesets)
        self.workers = default_workers() if workers is None else max(1, int(workers))
        self.timeout = float(timeout)
        self.max_tasks = max(0, int(max_tasks))
        self.memory_mb = max(0, int(memory_mb))
        self.nice = max(0, int(nice))
        self.start_method = start_method
        self._pool: Any = None
        self._closed = False
        self._slots: asyncio.Semaphore | None = None
        self._start_lock: asyncio.Lock | None = None
        self._counts = {"files": 0, "timeouts": 0, "crashes": 0}
        self._inflight: set[concurrent.futures.Future] = set()

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> PaperPool:
        """Start the workers (idempotent); the blocking part runs in a thread."""
        if self._closed:
            raise PoolError("the PDF pool is closed")
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:  # many first analyse() calls at once start one pool
            if self._pool is None and not self._closed:
                self._pool = await asyncio.to_thread(self._start_sync)
                self._slots = asyncio.Semaphore(2 * self.workers)
        return self

    def _start_sync(self) -> Any:
        import multiprocessing

        import pebble

        context = multiprocessing.get_context(self.start_method)
        if self.start_method == "forkserver":
            _preload_in_forkserver(context)
        pool = pebble.ProcessPool(
            max_workers=self.workers,
            max_tasks=self.max_tasks,
            initializer=_init_worker,
            initargs=(self.memory_mb, self.rulesets, self.nice),
            context=context,
        )
        try:  # a first task starts the workers now, and proves they can run
            pool.schedule(os.getpid).result(timeout=120)
        except Exception as exc:
            pool.stop()
            raise PoolError(f"the PDF worker processes could not start: {exc}") from exc
        return pool

    async def aclose(self) -> None:
        """Stop the workers; files still in flight fail with ``PoolError``. Safe to call twice."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(_stop, pool, self._inflight)

    def close(self) -> None:
        """The blocking ``aclose``, for code that has no event loop."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None:
            _stop(pool, self._inflight)

    async def __aenter__(self) -> PaperPool:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def stats(self) -> PoolStats:
        return PoolStats(**self._counts)

    # -- work -------------------------------------------------------------------------------------
    async def analyse(self, data: bytes) -> PaperText:
        """The ``PaperText`` of one PDF; per-file problems come back as ``status="failed"``."""
        await self.start()
        assert self._slots is not None
        async with self._slots:
            pool = self._pool
            if pool is None:
                raise PoolError("the PDF pool is closed")
            try:
                future = pool.schedule(_analyse_in_worker, args=(data,), timeout=self.timeout)
            except RuntimeError as exc:  # pebble: "The Pool is not active"
                raise PoolError("the PDF pool is closed") from exc
            self._inflight.add(future)
            future.add_done_callback(self._inflight.discard)
            try:
                result = await asyncio.wrap_future(future)
            except concurrent.futures.TimeoutError:
                self._counts["timeouts"] += 1
                result = PaperText(
                    "failed", 0, 0, reason=f"reading it took longer than {self.timeout:g} s"
                )
            except concurrent.futures.CancelledError:
                raise
            except Exception as exc:
                result = self._failure(exc)
        self._counts["files"] += 1
        return result

    def _failure(self, exc: BaseException) -> PaperText:
        from concurrent.futures.process import BrokenProcessPool

        from pebble import ProcessExpired

        if isinstance(exc, ProcessExpired):
            self._counts["crashes"] += 1
            code = exc.exitcode or 0
            how = f"signal {-code}" if code < 0 else f"exit status {code}"
            if self.memory_mb:
                how += f"; the reader may use at most {self.memory_mb} MB"
            return PaperText("failed", 0, 0, reason=f"it crashed the PDF reader ({how})")
        if isinstance(exc, BrokenProcessPool) or self._closed:
            raise PoolError("the PDF pool stopped") from exc
        raise exc


def _stop(pool: Any, inflight: set[concurrent.futures.Future]) -> None:
    """Stop pebble's pool, then fail what it leaves unresolved (pebble drops pending futures)."""
    pool.stop()
    pool.join(timeout=10)
    for future in list(inflight):
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            future.set_exception(PoolError("the PDF pool was closed"))
