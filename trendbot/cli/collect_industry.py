"""`trendbot collect industry [--metric …] [--framework …] [--since …] [--json]`.

Progress goes to stderr (a bar per collector when stderr is a terminal); stdout gets one line per
collector, or with ``--json`` one JSON object per (metric, framework): the latest date and value
stored after the run, its source, and the collector's outcome. The exit status is 1 when a
collector failed (what it had stored before is kept), 2 for a usage error. A collector stopped by
a spent quota did not fail: it stored what it fetched, says what is left and when the quota
resets, and the exit status stays 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from trendbot.cli import common, flags


class IndustryBars:
    """A bar per collector on stderr, all advancing together (the collectors run at once):
    a ``collectors.industry.base.Progress``."""

    def __init__(self, enabled: bool) -> None:
        self.bars = common.Bars(enabled)

    def plan(self, collector: str, total: int) -> None:
        self.bars.open(collector, total, unit="step")

    def advance(self, collector: str, n: int = 1) -> None:
        self.bars.update(collector, n)

    def done(self, collector: str, status: str) -> None:
        self.bars.close(collector, status)


# How the quota lines name each source's quota.
QUOTA_OWNER = {
    "github": "GitHub's",
    "stackexchange": "Stack Exchange's",
    "hf": "Hugging Face's",
    "arxiv": "arXiv's",
}


def quota_line(report, now: float | None = None) -> str:
    """``star history for 3 repos left for later; GitHub's quota resets at 14:52, in 52 min``."""
    from trendbot.collectors.quota import resets_phrase

    owner = QUOTA_OWNER.get(report.collector, f"{report.collector}'s")
    left = ", ".join(report.left) or "the rest"
    return f"{left} left for later; {owner} quota {resets_phrase(report.resets_at, now)}"


def summary(report) -> str:
    """One line per collector run."""
    name = report.collector
    if report.status == "failed":
        return f"{name}: failed, nothing stored: {report.error}"
    if report.status == "quota":
        line = (
            f"{name}: {quota_line(report)}; stored {_n(report.rows, 'value')} "
            f"({report.changed:,} new or changed), {_n(report.requests, 'request')}"
        )
        return line + _notes(report)
    free = ""
    if report.not_modified:
        free = f", {report.not_modified:,} not modified"
        if name == "github":
            free += f" (GitHub quota used: {report.requests - report.not_modified:,})"
    line = (
        f"{name}: ok, {_n(report.rows, 'value')} ({report.changed:,} new or changed), "
        f"{_n(report.requests, 'request')}{free}"
    )
    return line + _notes(report)


def _notes(report) -> str:
    if not report.notes:
        return ""
    shown = report.notes[:5]
    more = len(report.notes) - len(shown)
    return "".join(f"\n  {n}" for n in shown) + (f"\n  … and {more} more" if more else "")


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def cmd_collect_industry(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """The flags were checked as they were parsed (``flags.metrics``, ``frameworks``,
    ``since_date``): a bad one never gets here."""
    import asyncio

    from trendbot.collectors.industry.run import collect_industry

    out = out or sys.stdout
    common.use_replacement_characters()
    metrics = [name for names in args.metric or () for name in names]
    frameworks = [name for names in args.framework or () for name in names]
    ctx, settings = common.open_for_writing(args)
    store = ctx.store
    progress = IndustryBars(enabled=common.show_progress(args))
    reports: list = []
    try:
        results = asyncio.run(
            collect_industry(
                store,
                settings,
                metrics=metrics or None,
                frameworks=frameworks or None,
                since=args.since,
                progress=progress,
                reports=reports,
            )
        )
    except KeyboardInterrupt:
        print("trendbot: stopped; collectors that had finished kept their data.", file=sys.stderr)
        return 130
    finally:
        store.close()
    if args.json:
        for result in results:
            print(json.dumps(result.as_json(), ensure_ascii=False), file=out)
    else:
        for report in reports:
            print(summary(report), file=out)
    out.flush()
    return exit_status(reports)


def exit_status(reports) -> int:
    """1 when a collector failed; a run stopped by a spent quota is not a failure."""
    return common.EXIT_FAILED if any(r.status == "failed" for r in reports) else common.EXIT_OK


def add_industry_command(kinds: argparse._SubParsersAction) -> None:
    industry = kinds.add_parser(
        "industry",
        help="update the industry series (GitHub, PyPI downloads, HN job ads, Stack Overflow, "
        "Hugging Face, arXiv) from their public sources",
        description=(
            "Collect the industry metrics from their public sources into the store. The first "
            "run backfills the history each source has; later runs fetch only what is new "
            "(GitHub answers 304 for an unchanged repository, at no quota). Each source is "
            "saved in one transaction: a source that fails changes nothing and says why. "
            "Optional credentials: GITHUB_TOKEN, STACKEXCHANGE_KEY, HF_TOKEN, CLICKHOUSE_USER."
        ),
    )
    industry.add_argument(
        "--metric",
        action="append",
        type=flags.metrics,
        help="only these metrics (repeat or comma-separate; default: every collected metric: "
        "github-stars, -forks, -open-issues, -contributors, pypi-downloads(-day, -month), "
        "hn-hiring, stackoverflow-questions, hf-models, arxiv-mentions)",
    )
    industry.add_argument(
        "--framework",
        action="append",
        type=flags.frameworks,
        help="only these frameworks, by id or alias (default: every framework, and the "
        "month totals _all/_ml)",
    )
    industry.add_argument(
        "--since",
        metavar="DATE",
        type=flags.since_date,
        help="where a first backfill starts: 2019, 2019-05 or 2019-05-17, from "
        f"{flags.EARLIEST_SINCE.year} on (default: each source's own; GitHub star history is "
        "always whole)",
    )
    industry.add_argument(
        "--json",
        action="store_true",
        help="one JSON line per metric and framework: the latest date and value stored",
    )
    industry.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="progress bars on stderr (default: when stderr is a terminal)",
    )
    industry.set_defaults(func=cmd_collect_industry)
