"""`trendbot collect papers|industry …` and `trendbot collect --status`.

Collections run as their own process, beside the bot or on a timer (the store is shared safely:
WAL, short transactions). Progress goes to stderr; with ``--json`` stdout carries one line per
finished unit (a venue-year, a metric and framework), so a script can follow along.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from trendbot.cli import flags
from trendbot.cli.collect_industry import add_industry_command
from trendbot.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    Bars,
    open_context,
    open_for_writing,
    show_progress,
    use_replacement_characters,
)


class PaperBars:
    """A line per host on stderr (hosts run side by side): the venue-year it is on, papers/s,
    ETA and failures so far. A line's total starts as the plan's estimate of the host's papers
    to read and becomes exact as each venue-year is listed."""

    def __init__(self, enabled: bool) -> None:
        self.bars = Bars(enabled)
        self.hosts: dict[str, HostBar] = {}

    def plan(self, store, queues) -> None:
        """Open every host's line with its estimated papers (``hosts.HostQueue`` list)."""
        if not self.bars.enabled:
            return
        from trendbot.collectors.papers.plan import papers_to_read

        expected = papers_to_read(store, [vy for q in queues for vy in q.venue_years])
        for queue in queues:
            host = self.host(queue.source)
            host.expected = {vy: expected[vy] for vy in queue.venue_years}
            host.left = len(queue.venue_years)
            host.open(sum(host.expected.values()))

    def host(self, source: str) -> HostBar:
        if source not in self.hosts:
            from trendbot.collectors.papers.hosts import HOST_NAMES

            self.hosts[source] = HostBar(self.bars, HOST_NAMES.get(source, source))
        return self.hosts[source]

    def finish(self, source: str, report: object) -> None:
        """A venue-year of ``source`` is done; its line closes with the host's last one."""
        self.host(source).finish(report)


class HostBar:
    """One host's line (a ``collectors.papers.collect.Progress``)."""

    def __init__(self, bars: Bars, name: str) -> None:
        self.bars, self.name = bars, name
        self.expected: dict[tuple[str, int], int] = {}
        self.total = 0
        self.failed = 0
        self.left = 0  # venue-years still to finish; 0 once known: close on the last

    def open(self, total: int) -> None:
        self.total = total
        if (bar := self.bars.open(self.name, max(total, 1), unit="paper")) is not None:
            bar.set_postfix(failed=self.failed)

    def start(self, venue: str, year: int, todo: int) -> None:
        self.open(self.total - self.expected.pop((venue, year), 0) + todo)
        if (bar := self.bars.get(self.name)) is not None:
            bar.set_description(f"{self.name}: {venue} {year}")

    def advance(self, ok: bool) -> None:
        if not ok:
            self.failed += 1
        bar = self.bars.get(self.name)
        if bar is not None:
            bar.update(1)
            if not ok:
                bar.set_postfix(failed=self.failed)

    def finish(self, report: object) -> None:
        self.left -= 1
        if self.left <= 0:
            self.bars.close(self.name)


def _venues(chosen: list[tuple[str, ...]] | None) -> list[str]:
    """The ``--venue`` values (already checked by ``flags.venues``) as one list; none → all."""
    from trendbot.collectors.papers import VENUES

    if not chosen:
        return list(VENUES)
    return list(dict.fromkeys(name for names in chosen for name in names))


def _every_year(args: argparse.Namespace) -> bool:
    """A run that names no year collects every year since 2015 (of every venue, unless
    ``--venue`` names some): hours to days of downloads."""
    return not (args.year or args.since or args.recent)


def confirm(plan, args: argparse.Namespace) -> int | None:
    """``collect papers`` with no year says what it will do, then asks on a terminal (y/N) or,
    elsewhere, needs ``--yes``. None to go on, else the exit status."""
    if args.yes:
        return None
    first, last = plan.years
    what = (
        "collect papers without --year, --since or --recent collects every year: "
        f"{plan.venue_years:,} venue-years ({len(plan.venues)} venues, {first}–{last}), about "
        f"{plan.papers:,} papers to download and read, taking about {plan.duration()} with "
        f"its {len(plan.host_seconds)} hosts side by side at the sources' polite rates."
    )
    if sys.stdin is None or not sys.stdin.isatty():
        print(
            f"trendbot: {what} Add --yes to start it, or name the years (--year, --since or "
            "--recent).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    print(what, file=sys.stderr)
    try:
        answer = input("Start it? [y/N] ")
    except (EOFError, KeyboardInterrupt):
        answer = ""
    if answer.strip().lower() in ("y", "yes"):
        return None
    print("trendbot: nothing collected.", file=sys.stderr)
    return EXIT_FAILED


def cmd_collect_papers(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from trendbot.collectors.papers.collect import Options, targets

    out = out or sys.stdout
    use_replacement_characters()
    # A dry run only lists: it writes nothing, so a read-only store is fine for it.
    ctx, settings = open_context(args) if args.dry_run else open_for_writing(args)
    store = ctx.store
    try:
        venues = _venues(args.venue)
        since = args.since
        if args.recent:
            since = flags.this_year() - args.recent + 1
        chosen = targets(store, venues, args.year, since)
        if chosen:
            chosen += retries(store, venues, chosen)
        if not chosen:
            print(f"trendbot: no venue-year to collect{_why_none(venues, args.year, since)}.",
                  file=sys.stderr)  # fmt: skip
            return EXIT_USAGE
        if _every_year(args):
            from trendbot.collectors.papers.plan import estimate

            stop = confirm(estimate(store, chosen, args.rate), args)
            if stop is not None:
                return stop
        options = Options(
            refresh=args.refresh,
            all_tracks=args.all_tracks,
            dry_run=args.dry_run,
            keep_pdfs=args.keep_pdfs,
            rate=args.rate,
            downloads=args.downloads,
            workers=args.workers,
            flush_every=args.batch,
            code_repos=not args.no_code,
        )
        progress = PaperBars(enabled=show_progress(args) and not args.dry_run)
        import asyncio

        failures = asyncio.run(_collect(store, settings, options, progress, chosen, args, out))
        return EXIT_FAILED if failures else EXIT_OK
    except KeyboardInterrupt:
        print("trendbot: stopped; what was read so far is kept.", file=sys.stderr)
        return 130
    finally:
        store.close()


def retries(store, venues: list[str], chosen: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Venue-years of ``venues`` outside this run's years with failed papers due for a retry:
    "retried on every later run" holds for the daily ``--recent 2`` run too, not only for a run
    that names the failed paper's year. Their stored listings are reused (nothing is listed
    again), and only the failed papers are downloaded."""
    from trendbot.collectors.code.terms import RULE_VERSION
    from trendbot.storage.code import unread_years
    from trendbot.storage.papers import retry_due

    aliases = store.aliases()
    by_id = {aliases[v.lower()]: v for v in venues if v.lower() in aliases}
    have = set(chosen)
    due = store.read(retry_due, list(by_id))
    # Repositories a spent quota left unread are read by every later run, the same way.
    due += store.read(unread_years, list(by_id), rule=RULE_VERSION)
    extra = [(by_id[vid], year) for vid, year, _ in due if (by_id[vid], year) not in have]
    return list(dict.fromkeys(extra))


def _why_none(venues: list[str], years: list[int] | None, since: int | None = None) -> str:
    """Why the venue-years asked for do not exist, from the venue calendar the collectors list
    by ("ICCV is held in odd years only, so there is no ICCV 2024"); else a pointer at the
    flags. (A year to come never gets here: the flag's converter refuses it.)"""
    from trendbot.storage.collectable import why_not

    now = flags.this_year()
    reasons = dict.fromkeys(
        r for v in venues for y in years or () if (r := why_not(v, y, now)) is not None
    )
    if not reasons or len(reasons) > 3:
        return " (check --year / --since)"
    return ": " + " ".join(reasons).rstrip(".")


async def _collect(store, settings, options, progress, chosen, args, out) -> int:
    """Every host's venue-years side by side (``collectors.papers.hosts``); a line (or a
    ``--json`` line) per venue-year as it finishes."""
    from trendbot.collectors.papers.collect import PaperCollector
    from trendbot.collectors.papers.hosts import collect_side_by_side, host_queues

    failures = 0
    progress.plan(store, host_queues(chosen))

    def done(source: str, report) -> None:
        nonlocal failures
        progress.finish(source, report)
        failures += bool(report.error) and not report.quota  # a spent quota is not a failure
        if args.json:
            print(json.dumps(report.as_json(), ensure_ascii=False), file=out, flush=True)
        else:
            print(_summary(report), file=out, flush=True)

    async with PaperCollector(store, settings, options) as collector:
        reports = await collect_side_by_side(collector, chosen, done, progress.host)
        if options.dry_run:
            plan = await collector.code_plan(reports)
            if plan is not None:
                import time

                if args.json:
                    line = json.dumps({"code_plan": plan.as_json(time.time())})
                else:
                    line = _code_plan_summary(plan, time.time())
                print(line, file=out, flush=True)
    return failures


def _code_plan_summary(plan, now: float) -> str:
    """``Code: 812 repositories to read …`` — a dry run's GitHub plan in one paragraph."""
    from trendbot.collectors.papers.plan import duration
    from trendbot.collectors.quota import resets_phrase

    lim = plan.rate_limit
    what = [f"{plan.known:,} known from the papers' links"]
    if plan.rechecks:
        what[0] += f" ({plan.rechecks:,} of them re-checks, a 304 each if unchanged)"
    if plan.estimated:
        what.append(f"about {plan.estimated:,} more estimated for the papers not read yet")
    quota = f"{lim.limit:,} an hour {'with' if lim.token else 'without'} a token"
    if lim.answered:
        quota = f"{lim.remaining:,} of {quota} left, {resets_phrase(lim.reset, now)}"
    else:
        quota += " (GitHub's /rate_limit did not answer: its documented limit)"
    at_quota = plan.quota_seconds(now)
    quota_time = "within what is left" if at_quota <= 0 else f"about {duration(at_quota)}"
    from trendbot.commands.text import count_of

    repos = count_of(plan.known + plan.estimated, "repository", "repositories")
    return (
        f"Code: {repos} to read ({'; '.join(what)}), "
        f"about {plan.api_requests:,} GitHub API requests ({plan.quota_requests:,} counted by "
        f"the quota) and {plan.raw_requests:,} raw files. Quota: {quota}. At the quota: "
        f"{quota_time}; at trendbot's pacing of {plan.pacing:g} "
        f"request{'' if plan.pacing == 1 else 's'} a second: about "
        f"{duration(plan.pacing_seconds())}."
    )


def _summary(report) -> str:
    name = f"{report.venue} {report.year}"
    if report.error:
        return f"{name}: {report.error}"
    if report.dry_run:
        return (
            f"{name}: {report.listed:,} papers listed ({report.population}); "
            f"{report.to_read:,} would be read{_code_summary(report)}."
        )
    parts = [f"{report.total:,} papers"]
    if report.failed:
        parts.append(f"{report.failed:,} could not be read")
    if report.no_text:
        parts.append(f"{report.no_text:,} without text")
    if report.retried:
        parts.append(f"{report.recovered:,} recovered, {report.still_failing:,} still failing")
    if not report.written:
        return (
            f"{name}: {', '.join(parts)}; {report.pending:,} still to read "
            "(counts not written yet)."
        )
    final = report.counts.get("final", {})
    counted = ", ".join(f"{fw} {n:,}" for fw, n in final.items())
    line = f"{name}: {', '.join(parts)}; final rule: {counted}; read now: {report.read_now:,}"
    return f"{line}{_code_summary(report)}."


def _code_summary(report) -> str:
    """``; code: 3 repositories read (1 unchanged), 2 left, 9 GitHub requests`` (and when a
    spent quota left them, when it resets); empty for a run without the code method."""
    from trendbot.commands.text import count_of

    figures = report.code
    if figures is None:
        return ""
    if report.dry_run:
        estimate = f", about {figures.estimated:,} more estimated" if figures.estimated else ""
        return f"; code: {count_of(figures.known, 'repository', 'repositories')} to read{estimate}"
    read = f"{count_of(figures.read, 'repository', 'repositories')} read"
    if figures.unchanged:
        read += f" ({figures.unchanged:,} unchanged)"
    if figures.shared:
        read += f", {figures.shared:,} read for another venue-year"
    parts = [read, f"{figures.left:,} left"]
    if figures.failed:
        parts.append(f"{figures.failed:,} could not be read")
    parts.append(f"{count_of(figures.requests, 'GitHub request')}")
    if figures.skipped == "--no-code":
        parts.append("skipped (--no-code)")
    elif report.quota:
        from trendbot.collectors.quota import resets_phrase

        parts.append(f"GitHub's quota is spent and {resets_phrase(report.quota_resets)}")
    return "; code: " + ", ".join(parts)


def quota_status(run) -> str:
    """``model counts for 2 frameworks left for later; Hugging Face's quota resets at …``."""
    from trendbot.cli.collect_industry import QUOTA_OWNER
    from trendbot.collectors.quota import from_iso, resets_phrase

    name = run.collector.removeprefix("industry:")
    owner = QUOTA_OWNER.get(name, f"{name}'s")
    left = ", ".join(run.left) or "the rest"
    return f"{left} left for later; {owner} quota {resets_phrase(from_iso(run.resets_at))}"


def _code_status(repos, resets_at: str | None) -> str:
    """The line under a venue-year with code links: ``  code: 5 own repositories on GitHub, 3
    read, 2 left (GitHub's quota resets at 10:31, in 58 min)``."""
    from trendbot.collectors.quota import from_iso, resets_phrase
    from trendbot.commands.text import count_of

    line = f"  code: {count_of(repos.repos, 'own repository', 'own repositories')} on GitHub,"
    line += f" {repos.read:,} read"
    if repos.left:
        line += f", {repos.left:,} left for the next run"
        if resets_at:
            line += f" (GitHub's quota {resets_phrase(from_iso(resets_at))})"
    return line


def cmd_status(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Every venue-year a paper run touched: its source, last run and outcome, papers and
    failures (a venue-year whose listing failed too, with the failure); then every other
    collector's last run."""

    out = out or sys.stdout
    ctx, _ = open_context(args)
    with ctx.store as store:
        from trendbot.collectors.code.terms import RULE_VERSION
        from trendbot.collectors.papers.collect import source_id
        from trendbot.storage.code import progress
        from trendbot.storage.paper_queries import listing_states, unlisted_runs
        from trendbot.storage.runs import last_runs

        states = listing_states(store.conn)
        code = progress(store.conn, rule=RULE_VERSION)
        unlisted = unlisted_runs(store.conn)
        venues = store.venues()

        def name_of(venue_id: str, year: int) -> str:
            return f"{venues[venue_id].name} {year}" if venue_id in venues else f"{venue_id} {year}"

        rows: list[tuple[str, int, str]] = []
        for st in states:
            last = f"{(st.last_run or '')[:16]} {st.last_status or ''}".strip()
            if st.last_status in ("failed", "quota") and st.last_error:
                last += f": {st.last_error}"
            elif st.last_recovered is not None:
                last += (
                    f": {st.last_recovered:,} recovered, {st.last_still_failing:,} still failing"
                )
            line = (
                f"{name_of(st.venue_id, st.year):<16} {st.source_id:<20} {st.main:>7,}"
                f" {st.read:>5,} {st.failed:>7,} {st.no_text:>8,} {st.pending:>8,}  {last}"
            )
            if (repos := code.get((st.venue_id, st.year))) is not None:
                line += "\n" + _code_status(repos, st.last_code_resets)
            rows.append((st.venue_id, st.year, line))
        for run in unlisted:
            what = "not listed" if run.status != "running" else "not listed yet"
            last = f"{run.last_run[:16]} {run.status}".strip()
            if run.error:
                last += f": {run.error}"
            source = source_id(run.source_id) if run.source_id else "—"
            line = f"{name_of(run.venue_id, run.year):<16} {source:<20} {what:>42}  {last}"
            rows.append((run.venue_id, run.year, line))
        if rows:
            print(
                "venue-year       source                papers  read  failed  no text  pending"
                "  last run",
                file=out,
            )
        for _, _, line in sorted(rows, key=lambda r: (r[0], r[1])):
            print(line, file=out)
        others = store.read(last_runs)
        for run in others:
            line = (
                f"{run.collector}: last run {(run.finished_at or run.started_at)[:16]}, "
                f"{run.status}, {run.items:,} items"
            )
            if run.status == "quota":
                line += f"; {quota_status(run)}"
            print(line, file=out)
        if not rows and not others:
            print(
                "Nothing collected yet: the answers come from the bundled data. Run "
                "`trendbot collect papers --venue CVPR --year 2024` to collect a venue-year.",
                file=out,
            )
    return EXIT_OK


def cmd_collect(args: argparse.Namespace) -> int:
    if args.status:
        return cmd_status(args)
    args.collect_parser.print_help(sys.stderr)
    return EXIT_USAGE


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    collect = subparsers.add_parser(
        "collect",
        help="collect papers or industry signals from their public sources into the store",
        description=(
            "Collect data from public sources into the store. `collect papers` lists a "
            "conference's papers and reads every PDF; `collect industry` updates the industry "
            "series. `collect --status` shows what has been collected."
        ),
    )
    collect.add_argument(
        "--status", action="store_true", help="show every collection's last run and outcome"
    )
    collect.set_defaults(func=cmd_collect, collect_parser=collect)
    kinds = collect.add_subparsers(dest="kind")

    papers = kinds.add_parser(
        "papers",
        help="list venue-years' papers, read every PDF, count framework mentions",
        description=(
            "Collect venue-years: list the accepted papers from the venue's source, download and "
            "read every PDF not read yet, and store per-paper results and counts. Runs are "
            "incremental and resumable: papers already read are not fetched again."
        ),
    )
    papers.add_argument(
        "--venue",
        action="append",
        type=flags.venues,
        help="NeurIPS, ICML, ICLR, CVPR, ICCV, ECCV, ACL, EMNLP, NAACL, Findings, or all "
        "(repeat or comma-separate; default: all)",
    )
    when = papers.add_mutually_exclusive_group()
    when.add_argument("--year", type=flags.year, action="append", help="a year (repeatable)")
    when.add_argument("--since", type=flags.year, help="every year from this one to this year")
    when.add_argument(
        "--recent",
        type=flags.recent,
        metavar="N",
        help="the last N years up to this one (e.g. 2: this year and last; for scheduled runs)",
    )
    papers.add_argument(
        "--dry-run",
        action="store_true",
        help="list only: say how many papers and repositories would be read, and the GitHub "
        "requests that takes against the quota",
    )
    papers.add_argument(
        "--no-code",
        action="store_true",
        help="skip the code method's repositories (GitHub); their links are still stored",
    )
    papers.add_argument(
        "--json", action="store_true", help="one JSON line per venue-year on stdout"
    )
    papers.add_argument(
        "--keep-pdfs",
        metavar="DIR",
        type=flags.pdf_folder,
        help="keep the PDFs in DIR (and reuse them)",
    )
    papers.add_argument(
        "--refresh",
        action="store_true",
        help="list again even if a listing is stored, and retry every failed paper now (a 404 too)",
    )
    papers.add_argument(
        "--all-tracks",
        action="store_true",
        help="also read papers outside the main population (workshops, demos, …)",
    )
    papers.add_argument(
        "--rate",
        type=flags.rate,
        help=f"requests per second per source, {flags.MIN_RATE:g} to {flags.MAX_RATE:g} "
        "(default: each source's own)",
    )
    papers.add_argument(
        "--downloads",
        type=flags.count("PDFs downloading at once", flags.MAX_DOWNLOADS),
        default=4,
        help="PDFs downloading at once (default: 4)",
    )
    papers.add_argument(
        "--batch",
        type=flags.count("papers saved per transaction", flags.MAX_BATCH),
        default=50,
        help="papers saved per transaction (at most this much reading is redone after a crash)",
    )
    papers.add_argument(
        "--workers",
        type=flags.count("PDF reader processes", flags.MAX_WORKERS),
        help="PDF reader processes (default: one per core)",
    )
    papers.add_argument(
        "--yes",
        action="store_true",
        help="start a run of every year (no --year, --since or --recent) without asking",
    )
    papers.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="a progress bar on stderr (default: when stderr is a terminal)",
    )
    papers.set_defaults(func=cmd_collect_papers)

    add_industry_command(kinds)
