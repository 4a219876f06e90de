"""`!industry`, `!trend`, `!metrics` and `!compare` through ``run()``, on the seeded store and on
a store where a collector has added newer figures from a source of its own.

Expected numbers are read from the store (``storage.metrics`` queries), never copied from a
reply.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from trendbot.commands import run
from trendbot.commands.industry_format import fmt_number, fw_name, month_name
from trendbot.commands.reply import MAX_CONTENT
from trendbot.storage import metrics as mq
from trendbot.storage.catalog import load_catalog
from trendbot.storage.figures import short_caveat, snapshot
from trendbot.storage.seed import METRIC_COLUMNS

COLLECTED = "pypistats-test"


def add_rows(store, source: str, metric: str, date: str, values: dict[str, float], unit="x"):
    """Rows as an industry collector writes them: its own source, its own dates."""
    if source not in store.sources():
        store.db.table("sources").insert(
            {
                "id": source,
                "name": f"{source} (test collector)",
                "kind": "industry-collection",
                "collected_at": date,
            }
        )
        store.refresh()
    with store.conn:
        for fw, value in values.items():
            store.conn.execute(
                f"INSERT INTO metrics ({METRIC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (source, metric, fw, date, value, unit, "test collector", date + "T06:00:00Z"),
            )


def full_text(reply) -> str:
    """The whole answer: the message, or the .txt a long one was moved to."""
    txt = next((f for f in reply.files if f.filename.endswith(".txt")), None)
    return txt.data.decode() if txt else reply.text


# -- !industry ------------------------------------------------------------------------------------
def test_industry_shows_every_frameworks_newest_download_figure_with_source_and_date(ctx, store):
    reply = run(ctx, "!industry")
    assert not reply.is_error and len(reply.text) <= MAX_CONTENT and not reply.files
    newest = {v.framework: v for v in mq.latest_values(store, "pypi-downloads-month")}
    assert newest  # the seed's ClickPy months are the newest download counts
    for fw, v in newest.items():
        assert f"{fw_name(fw)} {fmt_number(v.value)}" in reply.text
    any_v = next(iter(newest.values()))
    assert f"({month_name(any_v.date)}, {any_v.source_id})" in reply.text
    # stars: each framework's newest, with its change over a year from the same source
    for c in mq.year_changes(store, "github-stars"):
        assert f"{fw_name(c.latest.framework)} {fmt_number(c.latest.value)}" in reply.text
    # job ads: small counts shown with the month's total
    hn = {v.framework: v for v in mq.latest_values(store, "hn-hiring")}
    total = fmt_number(hn["_all"].value)
    assert f"PyTorch {fmt_number(hn['pytorch'].value)} of {total}" in reply.text
    assert "Downloads are not users" in reply.text
    assert "Small counts" in reply.text
    assert reply.footer.startswith("Sources: ") and "collected" in reply.footer
    assert len(reply.fields) >= 6 and reply.embed_length() <= 6000


def test_collected_rows_beside_the_seed_show_newest_first_with_their_source(ctx, store):
    seeded = {v.framework: v for v in mq.latest_values(store, "github-stars")}
    newer = {fw: v.value + 1234 for fw, v in seeded.items()}
    add_rows(store, "github-test", "github-stars", "2026-11-20", newer, "stars")
    add_rows(store, COLLECTED, "pypi-downloads", "2026-11-24", {"pytorch": 123_456_789,
             "tensorflow": 23_456_789, "jax": 3_456_789})  # fmt: skip
    reply = run(ctx, "!industry")
    assert "(2026-11-20, github-test)" in reply.text  # the collected stars, with source and date
    for fw, value in newer.items():
        assert f"{fw_name(fw)} {fmt_number(value)}" in reply.text
    assert f"(30 days to 2026-11-24, {COLLECTED})" in reply.text  # newer than ClickPy's months
    share = 123_456_789 / (123_456_789 + 23_456_789 + 3_456_789)
    assert f"PyTorch 123,456,789 ({share * 100:.1f} %" in reply.text
    assert "github-test" in reply.footer and COLLECTED in reply.footer
    one = run(ctx, "!industry pytorch")
    assert "**123,456,789**" in one.text and f"· {COLLECTED}" in one.text
    assert f"**{fmt_number(newer['pytorch'])}** (2026-11-20" in one.text
    # a year later the collector has a year of its own: the change compares it with itself
    add_rows(store, COLLECTED, "pypi-downloads", "2025-11-24", {"pytorch": 100_000_000})
    again = run(ctx, "!industry pytorch")
    assert "+23 % on a year" in again.text


def test_industry_for_one_framework_lists_every_metric_it_has(ctx, store):
    reply = run(ctx, "!industry jax")
    assert not reply.is_error and not reply.files
    for metric in load_catalog().names():
        snap = snapshot(store, metric, ["jax"])
        fig = snap.figure("jax") if snap else None
        if fig is None:
            continue
        title = snap.definition.title
        assert f"- {title}: **" in reply.text, title
        value = fmt_number(fig.latest.value)
        assert value in reply.text, (title, value)
    assert reply.command == "industry jax"


@pytest.mark.parametrize(
    ("line", "expect"),
    [
        ("!industry pytorc", "Did you mean PyTorch?"),
        ("!industry narnia", "I don't know the framework `narnia`"),
        ("!industry @everyone", "`@\u200beveryone`"),
    ],
)
def test_industry_bad_input_is_one_friendly_sentence(ctx, line, expect):
    reply = run(ctx, line)
    assert reply.is_error and reply.usage_error and expect in reply.text
    assert "Traceback" not in reply.text and "Usage: `!industry" in reply.text


def test_a_store_without_industry_rows_says_so(ctx, store):
    with store.conn:
        store.conn.execute("DELETE FROM metrics")
    reply = run(ctx, "!industry")
    assert reply.is_error and "holds no industry figures" in reply.text


# -- !metrics -------------------------------------------------------------------------------------
def test_metrics_lists_every_metric_with_range_and_last_collection(ctx, store):
    reply = run(ctx, "!metrics")
    assert not reply.is_error and len(reply.text) <= MAX_CONTENT
    covered = {c.metric: c for c in mq.coverage(store)}
    for d in load_catalog().metrics:
        assert f"`{d.name}`" in reply.text
        c = covered.get(d.name)
        if c is None:
            assert f"`{d.name}` (" in reply.text and "nothing stored yet" in reply.text
            continue
        assert f"{c.first_date} → {c.last_date}" in reply.text
        assert f"last collected {c.last_collected_at[:10]}" in reply.text
        # how to read it: in the embed here, in full with `!metrics <name>`
        assert any(d.read.split(".")[0] in f.value for f in reply.fields)


@pytest.mark.parametrize("name", ["hn-hiring", "pypi-downloads-month", "jobs", "downloads"])
def test_one_metric_in_full_how_to_read_it_and_every_caveat(ctx, name):
    reply = run(ctx, f"!metrics {name}")
    assert not reply.is_error
    d = load_catalog().get(reply.command.split()[1])
    text = full_text(reply)
    assert d.read in text and d.definition in text
    for c in d.caveats:
        assert c.text in text


def test_metrics_unknown_name_suggests(ctx):
    reply = run(ctx, "!metrics pypi-downlods")
    assert reply.is_error and "`pypi-downloads`" in reply.text


# -- !trend ---------------------------------------------------------------------------------------
def test_trend_draws_a_chart_and_repeats_its_numbers(ctx, store):
    reply = run(ctx, "!trend github-stars pytorch jax since 2020")
    assert not reply.is_error, reply.text
    (png,) = [f for f in reply.files if f.is_image]
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n" and "GitHub stars" in png.description
    assert reply.command == "trend github-stars pytorch jax since 2020"
    newest = {v.framework: v for v in mq.latest_values(store, "github-stars", ["pytorch", "jax"])}
    for fw, v in newest.items():
        field = next(f for f in reply.fields if f.name == fw_name(fw))
        assert field.value.startswith(f"{fmt_number(v.value)} ({v.date})")
        assert v.source_id in field.value
    assert "\n2020 " in reply.text and "\n2019 " not in reply.text  # the table starts in 2020
    # two sources: said, and never compared by level
    assert "Lines from different sources" in reply.text
    assert "passed" not in reply.text.split("```")[0]


def test_trend_names_the_month_one_framework_passed_another(ctx, store):
    """Independent of pandas: the 3-month averages from the store's rows, by hand."""
    reply = run(ctx, "!trend pypi-downloads pytorch tensorflow source:hugovk-top-pypi-packages")
    rows = mq.series(store, "pypi-downloads", ["pytorch", "tensorflow"],
                     sources=["hugovk-top-pypi-packages"])  # fmt: skip
    months: dict[str, dict[str, list[float]]] = {}
    for r in rows:
        months.setdefault(r.date[:7], {}).setdefault(r.framework, []).append(r.value)
    keys = sorted(months)
    mean = {k: {fw: sum(v) / len(v) for fw, v in months[k].items()} for k in keys}
    last_cross = None
    prev = None
    for i in range(2, len(keys)):
        window = keys[i - 2 : i + 1]
        if any(len(mean[k]) < 2 for k in window) or not _consecutive(window):
            continue
        diff = sum(mean[k]["pytorch"] - mean[k]["tensorflow"] for k in window)
        sign = diff > 0
        if prev is not None and sign != prev:
            last_cross = keys[i]
        prev = sign
    assert last_cross is not None
    assert f"in {month_name(last_cross + '-01')}" in reply.text, (last_cross, reply.text)
    assert "passed TensorFlow" in reply.text or "passed PyTorch" in reply.text


def _consecutive(keys: list[str]) -> bool:
    idx = [int(k[:4]) * 12 + int(k[5:7]) for k in keys]
    return all(b - a == 1 for a, b in itertools.pairwise(idx))


def test_trend_lists_the_caveats_of_the_range_drawn(ctx, store):
    whole = run(ctx, "!trend pypi-downloads").text
    recent = run(ctx, "!trend pypi-downloads since 2022").text
    gap = next(c for c in load_catalog().get("pypi-downloads").caveats if c.start == "2020-12-15")
    assert short_caveat(gap) in whole and short_caveat(gap) not in recent
    assert "Downloads are not users" in whole and "Downloads are not users" in recent


def test_trend_shows_a_collectors_newer_series(ctx, store):
    add_rows(store, COLLECTED, "pypi-downloads", "2026-10-24", {"pytorch": 150_000_000})
    add_rows(store, COLLECTED, "pypi-downloads", "2026-11-24", {"pytorch": 160_000_000})
    reply = run(ctx, "!trend pypi-downloads pytorch")
    field = next(f for f in reply.fields if f.name == "PyTorch")
    assert field.value.startswith("160,000,000 (2026-11-24)") and COLLECTED in field.value
    assert "Also stored: `best-of-ml-python`" in reply.text


@pytest.mark.parametrize(
    ("line", "expect"),
    [
        ("!trend", "Which metric?"),
        ("!trend stras", "Did you mean `github-stars`"),
        ("!trend stars since 1850", "isn't a start I understand"),
        ("!trend stars source:nowhere", "holds no `github-stars` figures"),
        ("!trend stars pytorch since 2030", "I have no `github-stars` figures for PyTorch since"),
        ("!trend hf-models", "Nothing of `hf-models` is stored yet"),
    ],
)
def test_trend_bad_input(ctx, line, expect):
    reply = run(ctx, line)
    assert reply.is_error and expect in reply.text, reply.text
    assert not reply.files


def test_chart_no_longer_answers_to_trend(ctx):
    from trendbot.commands import lookup

    assert lookup("trend").name == "trend" and lookup("plot").name == "chart"


# -- !compare -------------------------------------------------------------------------------------
def test_compare_latest_and_2019_say_what_the_numbers_say(ctx, store):
    latest = run(ctx, "!compare")
    y2019 = run(ctx, "!compare 2019")
    for reply in (latest, y2019):
        assert not reply.is_error, reply.text
        assert any(f.is_image for f in reply.files)
        assert "Papers (study)" in reply.text and "PyPI downloads" in reply.text
    # 2019: the study's split, from the figures
    assert "The 2019 split holds in 2019" in y2019.text
    down = {v.framework: v.value for v in mq.latest_values(store, "pypi-downloads-month")}
    assert max(down, key=down.get) == "pytorch"
    assert "no longer holds" in latest.text or "only in part" in latest.text


def test_compare_verdict_follows_the_numbers(ctx, store):
    """Collected figures where TensorFlow leads every industry signal turn the verdict back."""
    for fw, v in {"pytorch": 1_000_000, "tensorflow": 90_000_000, "jax": 10}.items():
        add_rows(store, COLLECTED, "pypi-downloads", "2026-11-24", {fw: v})
    stars_now = {v.framework: v.value for v in mq.latest_values(store, "github-stars")}
    add_rows(store, "github-test", "github-stars", "2025-11-20",
             {fw: v for fw, v in stars_now.items()}, "stars")  # fmt: skip
    add_rows(store, "github-test", "github-stars", "2026-11-20",
             {fw: v + (50_000 if fw == "tensorflow" else 10) for fw, v in stars_now.items()},
             "stars")  # fmt: skip
    add_rows(store, "hn-test", "hn-hiring", "2026-11-01",
             {"pytorch": 1, "tensorflow": 9, "_all": 300}, "comments")  # fmt: skip
    reply = run(ctx, "!compare")
    assert "The 2019 split holds today" in reply.text, reply.text
    assert "TensorFlow leads industry in 3 of 3 signals" in reply.text
    assert COLLECTED in reply.text and "github-test" in reply.text


def test_compare_bad_year(ctx):
    assert "isn't a year" in run(ctx, "!compare soon").text
    assert run(ctx, "!compare 1999").is_error


# -- imports --------------------------------------------------------------------------------------
def test_ratio_and_industry_import_neither_pandas_nor_matplotlib(cli_env):
    """On a store that exists (a first open loads the seed through sqlite-utils, which imports
    pandas if it is installed; that happens once per store)."""
    first = [sys.executable, "-m", "trendbot", "ask", "!help"]
    assert subprocess.run(first, env=cli_env, capture_output=True, timeout=120).returncode == 0
    code = (
        "import sys\n"
        "from trendbot.cli import main\n"
        "main(['ask', '!ratio NeurIPS 2019'])\n"
        "main(['ask', '!industry'])\n"
        "print('HEAVY', sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=cli_env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "HEAVY []" in out.stdout
