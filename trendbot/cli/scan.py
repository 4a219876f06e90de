"""`trendbot scan FILE.pdf…`: the paper detector on its own, for checking papers by hand.

Each file goes through the same ``PaperPool`` a collector uses (worker processes, a time limit
per file), so what ``scan`` prints is what a collection would record. Results are printed in
the order the files were named, as soon as each is ready. A file that cannot be read gets one
sentence and the command goes on with the next; the exit status is 1 if any file failed.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from trendbot.cli import flags
from trendbot.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    clean_arg,
    printable,
)
from trendbot.cli.pdf_input import InputError, Limits, read_file

if TYPE_CHECKING:  # the parser is built on every `trendbot` start: nothing heavy at import
    from trendbot.collectors.detect import Detection, RuleSet
    from trendbot.collectors.pdftext import PaperPool, PaperText

BUILTIN_NAMES = ("final", "article", "modern")  # trendbot.collectors.detect.BUILTIN, checked
DEFAULT_TIMEOUT = 60.0  # pdftext.DEFAULT_TIMEOUT, checked by the tests
CODE_RULE = "links-1 (2026-12-05)"  # codelinks.RULE_VERSION, checked by the tests
MAX_TIMEOUT = 86400.0  # a day: longer is no limit at all, and overflows the waits below


@dataclass(frozen=True)
class ScanResult:
    file: str
    paper: PaperText | None  # None when the file itself could not be read
    error: str = ""  # one sentence when the file could not be read or analysed

    @property
    def failed(self) -> bool:
        return self.paper is None or self.paper.status == "failed"


async def read_within(path: str, limits: Limits, timeout: float) -> bytes:
    """``read_file`` in a daemon thread, given up after ``timeout`` seconds.

    A regular file can still stall (a hung network mount); the time limit is then as true for
    reading as for analysing. A daemon thread, not the loop's executor, so a read that never
    returns cannot keep the process from exiting either.
    """
    import asyncio
    import threading

    loop = asyncio.get_running_loop()
    done: asyncio.Future[bytes] = loop.create_future()

    def settle(data: bytes | None, exc: BaseException | None) -> None:
        if not done.done():
            done.set_exception(exc) if exc is not None else done.set_result(data or b"")

    def work() -> None:
        data: bytes | None = None
        error: BaseException | None = None
        try:
            data = read_file(path, limits)
        except Exception as exc:  # handed to the waiting task, not lost in this thread
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is waiting
            loop.call_soon_threadsafe(settle, data, error)

    threading.Thread(target=work, name="trendbot-scan-read", daemon=True).start()
    try:
        return await asyncio.wait_for(done, timeout)
    except TimeoutError:
        raise InputError(f"reading it took longer than {timeout:g} s") from None


async def scan_files(
    paths: Sequence[str],
    pool: PaperPool,
    emit: Callable[[ScanResult], None],
    limits: Limits,
) -> list[ScanResult]:
    """Analyse ``paths`` through ``pool``, calling ``emit`` for each in the order given.

    A small window of files is read and analysed ahead, so the pool's workers stay busy while
    the earliest result is printed, and memory holds a few PDFs, not all of them. Reading is
    bounded like analysing: only regular files, at most ``limits.max_bytes``, within the
    pool's time limit.
    """
    import asyncio
    from collections import deque

    async def one(name: str) -> ScanResult:
        try:
            data = await read_within(name, limits, pool.timeout)
        except OSError as exc:
            return ScanResult(name, None, str(exc))
        paper = await pool.analyse(data)
        return ScanResult(name, paper, paper.reason if paper.status == "failed" else "")

    results: list[ScanResult] = []
    window: deque[asyncio.Task[ScanResult]] = deque()
    for name in paths:
        window.append(asyncio.create_task(one(name)))
        if len(window) >= 2 * pool.workers + 1:
            results.append(await window.popleft())
            emit(results[-1])
    while window:
        results.append(await window.popleft())
        emit(results[-1])
    return results


# -- output ----------------------------------------------------------------------------------------
def _names(d: Detection) -> str:
    if not d.terms:
        return "names no framework"
    return "names " + ", ".join(f"{fw} [{', '.join(ts)}]" for fw, ts in d.terms.items())


def _verdict(d: Detection, rules: RuleSet) -> str:
    if d.excluded:
        quoted = ", ".join(f'"{t}"' for t in d.excluded_by)
        return f"excluded: its text contains {quoted}"
    if d.counts:
        return "counts for " + ", ".join(d.counts)
    pair = rules.exclusive
    if pair and all(p in d.terms for p in pair):
        return f"counts for nothing (names both {pair[0]} and {pair[1]})"
    return "counts for nothing"


def format_text(result: ScanResult, rulesets: Sequence[RuleSet]) -> str:
    """A few lines per file: pages, then per rule set what it names and what it counts for."""
    paper = result.paper
    name = printable(result.file)
    if paper is None or paper.status == "failed":
        return f"{name}: cannot read it: {result.error}."
    pages = f"{paper.pages} page{'s' if paper.pages != 1 else ''}"
    if paper.status == "no_text":
        return (
            f"{name}: {pages}, no text layer (a scanned paper?): "
            "cannot tell which frameworks it names."
        )
    lines = [f"{name}: {pages}" + (f" ({paper.reason})" if paper.reason else "")]
    width = max(len(f"{r.name} ({r.version})") for r in rulesets)
    for rules in rulesets:
        d = paper.detections[rules.name]
        label = f"{rules.name} ({rules.version})".ljust(width)
        lines.append(f"  {label}  {_names(d)}; {_verdict(d, rules)}")
    lines.append(f"  {'code'.ljust(width)}  {_own_code(paper)}")
    return "\n".join(lines)


def _own_code(paper: PaperText) -> str:
    """One short line: the paper's own repository, or how many links it has and none is."""
    own = next((c for c in paper.code if c.own), None)
    if own is not None:
        return f"own repository {own.repo} ({own.why})"
    linked = [c for c in paper.code if c.kind == "code"]
    if not linked:
        return "links no repository"
    n = len(linked)
    return f"links {n} repositor{'y' if n == 1 else 'ies'}, none of them its own"


def as_json(result: ScanResult) -> dict:
    """One JSON object per file.

    ``frameworks`` and ``terms`` gather what any rule set found, before exclusive counting
    (under ``final`` "keras" is a TensorFlow term, under ``modern`` its own framework, so both
    appear); ``by_rule`` keeps each rule set's own findings apart. A scan or a failed file has
    empty findings and ``counts`` ``{}``: unknown, which is not the same as "counts for none".
    """
    paper = result.paper
    ok = paper is not None and paper.status == "ok"
    detections = paper.detections if ok and paper is not None else {}
    return {
        "file": clean_arg(result.file),  # valid UTF-8; JSON escapes its control characters
        "status": "failed" if paper is None else paper.status,
        "pages": paper.pages if paper is not None else 0,
        "no_text": paper is not None and paper.status == "no_text",
        "frameworks": list(paper.frameworks) if ok and paper else [],
        "terms": {fw: list(ts) for fw, ts in paper.terms.items()} if ok and paper else {},
        "counts": {name: list(d.counts) for name, d in detections.items()},
        "by_rule": {
            name: {
                "version": d.version,
                "terms": {fw: list(ts) for fw, ts in d.terms.items()},
                "excluded_by": list(d.excluded_by),
                "counts": list(d.counts),
            }
            for name, d in detections.items()
        },
        "code": [
            {
                "repo": c.repo,
                "url": c.url,
                "host": c.host,
                "kind": c.kind,
                "own": c.own,
                "why": c.why,
                "pages": list(c.pages),
                "first_page": c.first_page,
                "abstract": c.abstract,
                "code_sentence": c.code_sentence,
            }
            for c in (paper.code if ok and paper is not None else ())
        ],
        "code_rule": CODE_RULE,
        "error": result.error or None,
    }


# -- the command -----------------------------------------------------------------------------------
def parse_rules(text: str) -> list[RuleSet]:
    """'final,modern' → those rule sets; ``ValueError`` with a sentence for unknown names."""
    from trendbot.collectors.detect import BUILTIN

    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in BUILTIN]
    if unknown or not names:
        what = f"unknown rule set {', '.join(unknown)}" if unknown else "no rule set named"
        raise ValueError(f"{what}; choose from {', '.join(BUILTIN)}")
    return [BUILTIN[n] for n in dict.fromkeys(names)]


def cmd_scan(args: argparse.Namespace, out: TextIO | None = None) -> int:
    import asyncio
    import json

    from trendbot.cli.common import load_settings
    from trendbot.collectors.pdftext import PaperPool, PoolError, default_workers

    out = out or sys.stdout
    try:
        rulesets = parse_rules(args.rules)
    except ValueError as exc:
        print(f"trendbot scan: {printable(str(exc))}.", file=sys.stderr)
        return EXIT_USAGE
    limits = Limits(load_settings(args).scan_max_bytes(), "TRENDBOT_SCAN_MAX_MB")

    def emit(result: ScanResult) -> None:
        if args.json:
            # ASCII only: no raw control character (C1 included) or stray byte reaches a terminal
            print(json.dumps(as_json(result)), file=out)
        else:
            print(format_text(result, rulesets), file=out)
        out.flush()

    async def run() -> list[ScanResult]:
        workers = args.workers or min(default_workers(), len(args.files))
        async with PaperPool(rulesets, workers=workers, timeout=args.timeout) as pool:
            return await scan_files(args.files, pool, emit, limits)

    try:
        results = asyncio.run(run())
    except PoolError as exc:  # no worker could start: nothing was read
        print(f"trendbot scan: {exc}.", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_FAILED if any(r.failed for r in results) else EXIT_OK


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    scan = subparsers.add_parser(
        "scan",
        help="which ML frameworks PDF papers name, under each counting rule",
        description=(
            "Read each PDF's full text and report which frameworks it names (and by which "
            "terms) and what it counts for under each rule set: final (Horace He's rule, "
            "2021-10-22), article (as published in 2019) and modern (every major framework)."
        ),
    )
    scan.add_argument("files", nargs="+", metavar="FILE.pdf", help="PDF files to check")
    scan.add_argument("--json", action="store_true", help="one JSON object per line")
    scan.add_argument(
        "--rules",
        default=",".join(BUILTIN_NAMES),
        metavar="NAMES",
        help=f"comma-separated rule sets (default: {','.join(BUILTIN_NAMES)})",
    )
    scan.add_argument(
        "--timeout",
        type=flags.seconds(MAX_TIMEOUT),
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up reading or analysing a file after this long (default: {DEFAULT_TIMEOUT:g})",
    )
    scan.add_argument(
        "--workers",
        type=flags.count("worker processes", flags.MAX_WORKERS),
        default=None,
        metavar="N",
        help=f"worker processes, 1 to {flags.MAX_WORKERS} (default: one per core, at most one "
        "per file)",
    )
    scan.set_defaults(func=cmd_scan)
