"""Subscription topics: what a user may type, the key it is stored under, and its label.

| typed | key | an event is for it when |
|---|---|---|
| `papers` (`research`) | ``papers`` | any venue-year's counts changed |
| a venue (`NeurIPS`, `nips`) | ``venue:neurips`` | that venue's counts changed |
| `industry` | ``industry`` | any industry series changed |
| a metric (`github-stars`) | ``metric:github-stars`` | that metric changed |
| `digest` (`weekly`) | ``digest`` | anything changed; posted once a week as one summary |

Pure functions over the store's venue table and the metric catalogue (both cached), so a topic
costs no query on the event loop.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from trendbot.commands.normalise import normalise
from trendbot.commands.parsing import UsageError
from trendbot.commands.text import echo
from trendbot.storage import Store
from trendbot.storage.outbox import DIGEST, INDUSTRY, PAPERS, metric_topic, venue_topic

WORDS = {
    "papers": PAPERS,
    "paper": PAPERS,
    "research": PAPERS,
    "industry": INDUSTRY,
    "digest": DIGEST,
    "weekly": DIGEST,
}
MAX_CHOICES = 25


@dataclass(frozen=True)
class Topic:
    key: str  # as stored: "papers", "venue:neurips", "metric:github-stars", …
    label: str  # as shown and typed: "papers", "NeurIPS", "github-stars", …
    about: str  # one line: what is posted

    @property
    def digest(self) -> bool:
        return self.key == DIGEST


def _metric_names() -> dict[str, str]:
    """metric name → title, from the catalogue (empty where it is not installed)."""
    try:
        from trendbot.storage.catalog import load_catalog
    except ImportError:  # pragma: no cover - the catalogue ships with trendbot
        return {}
    return {d.name: d.title for d in load_catalog().metrics}


def fixed_topics() -> list[Topic]:
    return [
        Topic(PAPERS, "papers", "new paper counts at any venue"),
        Topic(INDUSTRY, "industry", "new industry figures (downloads, stars, job ads…)"),
        Topic(DIGEST, "digest", "one summary a week of everything that changed"),
    ]


def describe(store: Store, key: str) -> Topic:
    """The topic stored under ``key`` (also for venues or metrics no longer known)."""
    for t in fixed_topics():
        if t.key == key:
            return t
    kind, _, name = key.partition(":")
    if kind == "venue":
        venue = store.venues().get(name)
        label = venue.name if venue else name
        return Topic(key, label, f"new paper counts at {label}")
    if kind == "metric":
        title = _metric_names().get(name, name)
        return Topic(key, name, f"new figures of {title}")
    return Topic(key, key, key)


def parse_topic(store: Store, text: str, *, prefix: str = "!") -> Topic:
    """What the user typed → a topic; a ``UsageError`` naming the choices otherwise. The text
    is normalised as every command's is (`Neur<U+200B>IPS`, full-width letters)."""
    text = normalise(text or "")
    word = " ".join(text.split()).strip().lower().strip("`\"'")
    if not word:
        raise UsageError(
            f"Which topic? One of {topic_list(prefix)}.",
            usage=f"`{prefix}subscribe <topic> [#channel]`",
        )
    for prefix_word in ("venue:", "metric:"):
        if word.startswith(prefix_word):
            word = word[len(prefix_word) :]
    if word in WORDS:
        return describe(store, WORDS[word])
    venue_id = store.aliases().get(word)
    if venue_id is not None:
        return describe(store, venue_topic(venue_id))
    metrics = _metric_names()
    if word in metrics:
        return describe(store, metric_topic(word))
    known = [*WORDS, *store.aliases(), *metrics]
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.7)
    hint = f" Did you mean `{_label_of(store, close[0])}`?" if close else ""
    raise UsageError(
        f"I don't know the topic {echo(text)}.{hint} Topics: {topic_list(prefix)}.",
        usage=f"`{prefix}subscribe <topic> [#channel]`",
    )


def _label_of(store: Store, word: str) -> str:
    if word in WORDS:
        return describe(store, WORDS[word]).label
    venue_id = store.aliases().get(word)
    if venue_id is not None:
        return describe(store, venue_topic(venue_id)).label
    return word


def topic_list(prefix: str = "!") -> str:
    return (
        "`papers`, a venue (`NeurIPS`), `industry`, a metric (`github-stars`; "
        f"`{prefix}metrics` lists them) or `digest`"
    )


def choices(store: Store, current: str) -> list[tuple[str, str]]:
    """(label, value) pairs for slash-command autocomplete: fixed topics, venues, metrics."""
    cur = (current or "").strip().lower()
    out: list[tuple[str, str]] = []
    for t in fixed_topics():
        out.append((f"{t.label} · {t.about}", t.label))
    for v in store.venues().values():
        out.append((f"{v.name} · {v.full_name}", v.name))
    for name, title in _metric_names().items():
        out.append((f"{name} · {title}", name))
    starts = [(label[:100], value) for label, value in out if value.lower().startswith(cur)]
    inside = [
        (label[:100], value)
        for label, value in out
        if cur and not value.lower().startswith(cur) and cur in label.lower()
    ]
    return (starts + inside)[:MAX_CHOICES]
