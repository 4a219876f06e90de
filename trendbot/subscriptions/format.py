"""An update post as a ``Reply``: what changed (old → new), method and source, and a footer.

Pure: events in, a finished reply out. The same layout serves one event, a burst combined into
one post, a backfill of thousands of figures (a summary: the first lines, then how many more)
and the weekly digest. The footer names the topics, carries the post's marker (``update 1234``,
searched for in the channel after a crash) and says how to unsubscribe; it has no links.
"""

from __future__ import annotations

from collections.abc import Sequence

from trendbot.commands.reply import MAX_CONTENT, Attachment, EmbedField, Reply
from trendbot.commands.text import figure_name
from trendbot.storage.outbox import Change, Event
from trendbot.subscriptions.topics import Topic

MAX_LINES = 12  # event lines in one post; the rest is counted
MAX_FIGURES_PER_LINE = 8
MAX_DESCRIPTION_CHARS = 3000  # of Discord's 4096: room for the summary lines


def fmt_number(value: float | int | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}" if abs(value) < 100 else f"{round(value):,}"
    return f"{int(value):,}"


# The code method's figures in a post (its group is the method's name) count papers: its total
# is the papers whose own repository was read, and its "unread" a paper whose own repository is
# not read yet (a spent GitHub quota), not a paper that could not be read.
CODE_GROUP = "code"
CODE_LABELS = {
    "total": "papers whose code was read",
    "accepted": "accepted papers",
    "searched": "searched for links",
    "linked": "link their own code",
    "gone": "own code gone",
    "empty": "own code empty",
    "elsewhere": "own code on GitLab",
    "unread": "own code not read yet",
}


def _label(figure: str, kind: str, group: str = "") -> str:
    if group == CODE_GROUP and figure in CODE_LABELS:
        return CODE_LABELS[figure]
    if figure == "total":
        return "papers in all" if kind == "papers" else "total"
    if figure == "unread" and kind == "papers":
        return "could not be read"
    return figure_name(figure)


def fmt_change(c: Change, kind: str) -> str:
    """'PyTorch 120 → 131 (+11)', 'JAX 12 (new)', 'MXNet removed (was 3)'."""
    name = _label(c.figure, kind, c.group)
    if c.old is None:
        return f"{name} {fmt_number(c.new)} (new)"
    if c.new is None:
        return f"{name} removed (was {fmt_number(c.old)})"
    diff = c.new - c.old
    sign = "+" if diff > 0 else "−"
    return f"{name} {fmt_number(c.old)} → {fmt_number(c.new)} ({sign}{fmt_number(abs(diff))})"


def event_lines(e: Event) -> list[str]:
    """One line per group of the event's changes (a counting method, a metric)."""
    groups: dict[str, list[Change]] = {}
    for c in e.changes:
        groups.setdefault(c.group, []).append(c)
    lines = []
    items = list(groups.items())
    if len(items) > MAX_LINES:
        rest = items[MAX_LINES - 1 :]
        items = items[: MAX_LINES - 1]
        n = sum(len(cs) for _, cs in rest)
        tail_line = f"**{e.title}**: and {n:,} more figures in {len(rest):,} more groups"
    else:
        tail_line = ""
    for group, changes in items:
        shown = [fmt_change(c, e.kind) for c in changes[:MAX_FIGURES_PER_LINE]]
        more = len(changes) - len(shown)
        tail = f", and {more:,} more" if more > 0 else ""
        where = f" · {group}" if group else ""
        lines.append(f"**{e.title}**{where}: {', '.join(shown)}{tail}")
    return [*lines, tail_line] if tail_line else lines


def _day(iso: str) -> str:
    return iso[:10]


def _span(events: Sequence[Event]) -> str:
    first, last = _day(events[0].created_at), _day(events[-1].created_at)
    return first if first == last else f"{first} to {last}"


def _sources(events: Sequence[Event]) -> str:
    seen: list[str] = []
    for e in events:
        src = str(e.detail.get("source") or e.detail.get("source_id") or "")
        pop = str(e.detail.get("population") or "")
        text = f"{src} ({pop})" if src and pop else src
        if text and text not in seen:
            seen.append(text)
    more = len(seen) - 3
    return "; ".join(seen[:3]) + (f"; and {more} more" if more > 0 else "")


def _methods(events: Sequence[Event]) -> str:
    seen: list[str] = []
    for e in events:
        named = e.detail.get("methods") or [e.detail.get("method")]
        for m in named:
            if m and str(m) not in seen:
                seen.append(str(m))
    if not seen:
        return ""
    if all(e.kind == "papers" for e in events):
        return ", ".join(seen) + (" rule" if len(seen) == 1 else " rules") + " (`!method`)"
    return ", ".join(seen)


def _follow_up(events: Sequence[Event], prefix: str) -> str:
    e = events[-1]
    if e.kind == "papers" and e.detail.get("venue") and e.detail.get("year"):
        vy = f"{e.detail['venue']} {e.detail['year']}"
        return f"`{prefix}ratio {vy}` · `{prefix}papers {vy}` · `{prefix}source {vy}`"
    metric = e.detail.get("metric")
    if metric:
        return f"`{prefix}trend {metric}` · `{prefix}metrics {metric}`"
    return f"`{prefix}industry`" if e.kind == "industry" else f"`{prefix}venues`"


def title_for(events: Sequence[Event], digest: bool) -> str:
    n = len(events)
    if digest:
        return f"Weekly digest: {n:,} update{'s' if n != 1 else ''}, {_span(events)}"
    if n == 1:
        return f"New numbers: {events[0].title}"
    names = list(dict.fromkeys(e.title for e in events))
    if len(names) <= 3:
        return f"New numbers: {', '.join(names)}"
    return f"New numbers: {n:,} updates ({', '.join(names[:2])} and {len(names) - 2:,} more)"


def footer_for(topics: Sequence[Topic], marker: str, prefix: str) -> str:
    labels = " · ".join(t.label for t in topics)
    stop = " or ".join(f"{prefix}unsubscribe {t.label}" for t in topics[:3])
    return f"{labels} · {marker} · to stop: {stop}"


def post_reply(
    events: Sequence[Event],
    topics: Sequence[Topic],
    *,
    marker: str,
    prefix: str = "!",
    digest: bool = False,
    chart: Attachment | None = None,
) -> Reply:
    """The post for ``events`` (oldest first) in a channel subscribed to ``topics``."""
    events = sorted(events, key=lambda e: e.id)
    figures = sum(len(e.changes) for e in events)
    lines: list[str] = []
    if len(events) > 1:
        lines.append(f"{figures:,} figure{'s' if figures != 1 else ''} changed in {len(events):,} "
                     f"updates, {_span(events)}:")  # fmt: skip
    shown_events = 0
    used = sum(len(x) + 1 for x in lines)
    for e in events:
        block = event_lines(e)
        cost = sum(len(x) + 1 for x in block)
        if shown_events and (len(lines) + len(block) > MAX_LINES or used + cost > 2500):
            break
        lines += block
        used += cost
        shown_events += 1
    rest = events[shown_events:]
    if rest:
        names = list(dict.fromkeys(e.title for e in rest))
        listed = ", ".join(names[:6]) + (f" and {len(names) - 6:,} more" if len(names) > 6 else "")
        n_fig = sum(len(e.changes) for e in rest)
        lines.append(f"… and {len(rest):,} more updates ({n_fig:,} figures): {listed}.")
    description = "\n".join(lines)
    if len(description) > MAX_DESCRIPTION_CHARS:
        description = description[: MAX_DESCRIPTION_CHARS - 1] + "…"
    fields = []
    method = _methods(events)
    if method:
        fields.append(EmbedField("Method", method, inline=True))
    source = _sources(events)
    if source:
        fields.append(EmbedField("Source", source, inline=False))
    fields.append(EmbedField("Collected", _span(events), inline=True))
    fields.append(EmbedField("More", _follow_up(events, prefix), inline=True))
    title = title_for(events, digest)
    footer = footer_for(topics, marker, prefix)
    tail = [*(f"{f.name}: {f.value}" for f in fields), f"({footer})"]
    body = description
    room = MAX_CONTENT - sum(len(x) + 1 for x in tail) - len(title) - 6
    if len(body) > room:  # the plain-text version must stay one message, never a file
        body = body[: max(0, room - 1)].rsplit("\n", 1)[0] + "\n…"
    text = "\n".join([f"**{title}**", body, *tail])
    versions = [e.data_version for e in events]
    return Reply(
        text,
        command="update",
        title=title,
        description=description,
        fields=fields,
        footer=footer,
        files=[chart] if chart is not None else [],
        data_version=max(versions) if versions else None,
    ).finish()
