"""Charts that do not mislead: lines break at missing years, thin figures are marked and keyed,
every share is drawn on 0–100 %, a line that stops early says when, frameworks keep distinct
colour-blind-safe colours, and `!compare`'s chart has a y label, dates, source names and value
labels that never overlap.

Checked twice: in the spec (pure: segments, markers, labels, colours, axis range) and in the
drawn chart (pixels of the PNG, or where matplotlib put each label on the canvas).
"""

from __future__ import annotations

import io
import itertools
import math
import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.support.paper_data import load_all
from trendbot.charts import ChartSpecError
from trendbot.charts.alt import alt_text
from trendbot.charts.canvas import value_ticks
from trendbot.charts.lines import end_label
from trendbot.charts.metrics import metric_spec, with_date_gaps
from trendbot.charts.papers import THIN_PAPERS, cadence, with_gaps
from trendbot.charts.render import draw, render_png
from trendbot.charts.spec import ChartSpec, Series, line_chart
from trendbot.charts.style import DARK, FRAMEWORK_COLOURS, LIGHT
from trendbot.commands import Context, run
from trendbot.commands.chart import FLAGS, WORDS, deliver, plan_chart
from trendbot.commands.compare import CompareQuery, plan_compare
from trendbot.commands.parsing import parse_query


@pytest.fixture
def collected(store):
    """The seed plus trendbot's own collections: NeurIPS 2017 (2 papers) and 2024, ICLR and
    CVPR 2024 (tests/support/paper_data.py) — NeurIPS now has nothing for 2021–2023."""
    load_all(store)
    return store


def spec_for(store, args: str) -> ChartSpec:
    return plan_chart(store, parse_query(store, args, words=WORDS, flags=FLAGS)).spec


def series(spec: ChartSpec, label: str) -> Series:
    return next(s for s in spec.series if s.label == label)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


# -- gaps -----------------------------------------------------------------------------------------
def test_a_missing_year_splits_the_line_in_the_spec(collected):
    spec = spec_for(collected, "NeurIPS")
    runs = [[int(x) for x, _ in run] for run in series(spec, "PyTorch").segments()]
    assert runs == [[2016, 2017, 2018, 2019, 2020], [2024]]  # not 2020 → 2024 in one stroke
    assert "a break in a line" in spec.key
    assert alt_text(spec).endswith("No figures between 2020 and 2024.")  # said in words too


def test_a_two_paper_2017_point_is_not_joined_to_2024(collected):
    spec = spec_for(collected, "NeurIPS --method modern")
    for s in spec.series:
        assert [[int(x) for x, _ in r] for r in s.segments()] == [[2017], [2024]]
        assert 2017.0 in s.thin  # two papers: marked, and the key says what the mark means
    assert f"fewer than {THIN_PAPERS} papers" in spec.key


def test_a_venue_held_every_other_year_keeps_one_line(store):
    spec = spec_for(store, "ICCV")  # 2017 and 2019: nobody missed ICCV 2018
    assert [len(s.segments()) for s in spec.series] == [1, 1]
    assert "break" not in spec.key
    assert "No figures" not in alt_text(spec)
    assert cadence({2017, 2019}) == 2 and cadence({2017, 2024}) == 1 and cadence({2018}) == 1


def test_gaps_in_counts_several_venues_and_fields_break_too(collected):
    counts = spec_for(collected, "counts NeurIPS")
    assert len(series(counts, "PyTorch").segments()) == 2
    assert not any(s.thin for s in counts.series)  # a count is exactly what it says
    venues = spec_for(collected, "NeurIPS CVPR ACL")
    assert [len(s.segments()) for s in venues.series] == [2, 2, 1]  # ACL ends in 2020, no gap


def test_no_line_pixels_across_the_gap(collected):
    """NeurIPS 2020 → 2024: the columns between the two points hold no PyTorch pixel."""
    png = render_png(spec_for(collected, "NeurIPS"))
    img = image(png)
    colour = rgb(FRAMEWORK_COLOURS["pytorch"])
    width, height = img.size
    px = img.load()
    plot_right = int(width * 0.72)  # left of the end labels
    cols = sorted(
        {x for x in range(plot_right) for y in range(150, height - 150) if px[x, y] == colour}
    )
    gaps = [b - a for a, b in itertools.pairwise(cols)]
    # Three missing years at about 100 px a year; the old chart's line left no gap at all.
    assert max(gaps) > 250, max(gaps)


# -- thin points ---------------------------------------------------------------------------------
def test_thin_points_rest_on_few_papers(store):
    neurips = spec_for(store, "NeurIPS")  # 2016: 21 papers name one framework; 2017: 97
    assert 2016.0 in series(neurips, "PyTorch").thin
    assert 2017.0 not in series(neurips, "PyTorch").thin
    cvpr = spec_for(store, "CVPR NeurIPS")  # CVPR 2016: 3 papers
    assert 2016.0 in series(cvpr, "CVPR").thin
    assert 2017.0 not in series(cvpr, "CVPR").thin


def test_thin_marker_is_drawn_and_keyed(store):
    spec = spec_for(store, "NeurIPS")
    plain = line_chart(spec.title, [Series(s.label, s.colour, s.points) for s in spec.series])
    marked, unmarked = image(render_png(spec)), image(render_png(plain))
    # The cross cuts a disc of background out of the line at 2016 and the key line is text.
    assert marked.tobytes() != unmarked.tobytes()
    assert spec.key.startswith("×") and not plain.key


def test_thin_bars_are_striped_and_keyed(collected):
    spec = spec_for(collected, "2024 --method modern")  # CVPR 2024: 10 papers
    assert all(s.thin for s in spec.series)
    assert spec.key.startswith("Striped bars")


# -- share axes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("args", ["NeurIPS --method modern", "2024 --method modern"])
def test_every_share_is_drawn_on_0_to_100(collected, args):
    spec = spec_for(collected, args)
    (lo, hi), ticks = value_ticks(spec, 50.0)
    assert (lo, hi) == (0.0, 100.0)
    assert ticks[-1] == (100.0, "100%")


def test_a_50_percent_point_sits_half_way_up_not_at_the_top(collected):
    spec = spec_for(collected, "NeurIPS --method modern")  # PyTorch 50 % in 2024, the maximum
    img = image(render_png(spec))
    colour = rgb(FRAMEWORK_COLOURS["pytorch"])
    px = img.load()
    rows = [
        y for x in range(int(img.width * 0.72)) for y in range(img.height) if px[x, y] == colour
    ]
    top, bottom = min(rows), max(rows)  # the 50 % point and the 0 % point in 2017
    # On 0–50 % the 50 % point would touch the frame's top (row ~190); on 0–100 % it is
    # half-way down the plot.
    assert top > 380, top
    assert bottom - top < 300


# -- labels of lines that end early --------------------------------------------------------------
def test_a_date_line_that_ends_early_says_when():
    rows = [("pytorch", f"2024-{m:02d}-01", 100.0 + m) for m in range(1, 13)]
    rows += [("jax", f"2024-{m:02d}-01", 50.0 + m) for m in range(1, 7)]
    dated = metric_spec("Stars", rows)
    assert end_label(series(dated, "JAX"), dated) == "JAX 56 (Jun 2024)"
    assert end_label(series(dated, "PyTorch"), dated) == "PyTorch 112"


def test_a_year_series_ending_after_a_gap_is_labelled_with_its_year(collected):
    spec = spec_for(collected, "NeurIPS CVPR ACL")
    assert end_label(series(spec, "ACL"), spec) == "ACL 83% (2020)"
    assert end_label(series(spec, "NeurIPS"), spec) == "NeurIPS 86%"


# -- colours -------------------------------------------------------------------------------------
def _lin(c: float) -> float:
    c /= 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _unlin(c: float) -> float:
    c = min(max(c, 0.0), 1.0)
    return 255 * (12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055)


def lab(rgb_: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = (_lin(v) for v in rgb_)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
CVD = {
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}  # fmt: skip


def seen(rgb_: tuple[int, int, int], vision: str | None) -> tuple[float, float, float]:
    if vision is None:
        return rgb_
    lin = [_lin(v) for v in rgb_]
    return tuple(_unlin(sum(m * v for m, v in zip(row, lin, strict=True))) for row in CVD[vision])


def delta_e(a, b, vision: str | None = None) -> float:
    return math.dist(lab(seen(a, vision)), lab(seen(b, vision)))


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    def lum(c):
        r, g, b_ = (_lin(v) for v in c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    lo, hi = sorted((lum(a), lum(b)))
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("vision", [None, *CVD])
def test_framework_colours_stay_apart_for_every_colour_vision(vision):
    for (fa, ca), (fb, cb) in itertools.combinations(FRAMEWORK_COLOURS.items(), 2):
        assert delta_e(rgb(ca), rgb(cb), vision) >= 15, (fa, fb, vision)
    pt, tf = rgb(FRAMEWORK_COLOURS["pytorch"]), rgb(FRAMEWORK_COLOURS["tensorflow"])
    assert delta_e(pt, tf, vision) >= 40, vision  # the rivals: far apart, not just apart


def test_framework_colours_stand_out_on_both_backgrounds():
    for fw, colour in FRAMEWORK_COLOURS.items():
        for theme in (DARK, LIGHT):
            assert contrast(rgb(colour), rgb(theme.background)) >= 2.2, (fw, theme.name)


def test_pytorch_and_tensorflow_pixels_differ_clearly_on_every_chart(collected):
    pt, tf = rgb(FRAMEWORK_COLOURS["pytorch"]), rgb(FRAMEWORK_COLOURS["tensorflow"])
    for spec in (spec_for(collected, "NeurIPS"), plan_compare(collected, CompareQuery()).spec):
        counts = image(render_png(spec)).getcolors(1 << 16)
        found = {c for _, c in counts}
        assert pt in found and tf in found  # exact colours survive the palette PNG
    assert delta_e(pt, tf) > 60


# -- !compare --------------------------------------------------------------------------------------
def test_compare_chart_has_a_y_label_dates_and_source_names(collected):
    spec = plan_compare(collected, CompareQuery()).spec
    assert spec.y_label == "share of each measure"
    assert spec.y_unit == "percent"
    notes = dict(zip(spec.categories, spec.category_notes, strict=True))
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{4}", notes["PyPI downloads"]), notes
    assert re.fullmatch(r"\d{4}(–\d{4})?", notes["Papers (study)"]), notes
    assert notes["Job ads (HN)"].count("–") == 1
    raw = [i for i, s in collected.sources().items() if i != s.name.split(" (")[0]]
    used = [i for i in raw if i in spec.footnote]
    assert not used, used  # no raw ids such as hugovk-top-pypi-packages
    assert "Top PyPI Packages" in spec.footnote and "Horace He" in spec.footnote
    assert "collected " in spec.footnote


def value_labels(spec: ChartSpec) -> list:
    canvas = draw(spec)
    renderer = canvas.get_renderer()
    ax = canvas.figure.axes[0]
    texts = [t for t in ax.texts if re.fullmatch(r"\d+(\.\d)?%\*?", t.get_text())]
    return [t.get_window_extent(renderer) for t in texts]


def overlapping(boxes) -> list:
    return [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)]


def test_compare_bar_labels_never_overlap(collected):
    spec = plan_compare(collected, CompareQuery()).spec
    boxes = value_labels(spec)
    assert len(boxes) >= 15  # most bars keep their label
    assert not overlapping(boxes)


@settings(max_examples=12, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(0, 100, allow_nan=False), min_size=6, max_size=6),
        min_size=1,
        max_size=8,
    )
)
def test_crowded_bar_labels_never_overlap(values):
    """Up to 8 frameworks × 6 groups of arbitrary shares: labels shrink, turn or give way."""
    names = list(FRAMEWORK_COLOURS)
    spec = ChartSpec(
        kind="bars",
        title="crowded",
        series=tuple(
            Series(names[j], names[j], tuple((float(i), v) for i, v in enumerate(vals)))
            for j, vals in enumerate(values)
        ),
        categories=tuple(f"group {i}" for i in range(6)),
        x_kind="category",
        y_unit="percent",
    )
    assert not overlapping(value_labels(spec))


def test_compare_reply_draws_each_framework_in_its_colour(collected):
    reply = run(Context(store=collected, prefix="!"), "!compare")
    assert not reply.is_error, reply.text
    (png,) = [f.data for f in reply.files if f.content_type == "image/png"]
    colours = {c for _, c in image(png).getcolors(1 << 16)}
    for fw in ("pytorch", "tensorflow", "jax", "keras"):
        assert rgb(FRAMEWORK_COLOURS[fw]) in colours, fw  # each in its own fixed colour


# -- the pure pieces, over arbitrary input --------------------------------------------------------
@given(
    st.lists(st.integers(1990, 2040), unique=True, min_size=1, max_size=30),
    st.sampled_from([1, 2]),
)
def test_with_gaps_never_joins_points_further_apart_than_the_cadence(years, step):
    points = with_gaps([(float(y), float(y % 7)) for y in years], step)
    s = Series("x", "pytorch", points)
    assert sorted(x for x, _ in s.defined()) == sorted(float(y) for y in years)
    for run_ in s.segments():
        assert all(b[0] - a[0] <= step for a, b in itertools.pairwise(run_))


@given(st.lists(st.tuples(st.integers(0, 3000), st.floats(0, 1e6)), min_size=0, max_size=60))
def test_date_gaps_keep_every_point_and_break_only_wide_gaps(raw):
    points = sorted({x: (float(x), y) for x, y in raw}.values())
    out = with_date_gaps(points)
    assert [p for p in out if p[1] is not None] == points
    s = Series("x", "pytorch", out)
    assert sum(len(r) for r in s.segments()) == len(points)


@pytest.mark.parametrize(
    "bad",
    [
        ChartSpec("line", "t", (Series("x", "pytorch", ((1.0, 1.0),), thin=(math.nan,)),)),
        ChartSpec("line", "t", (Series("x", "pytorch", ((1.0, 1.0),), thin=(0.0,) * 501),)),
        ChartSpec("line", "t", (Series("x", "pytorch", ((1.0, 1.0),)),), key="k" * 241),
        ChartSpec("line", "t", (Series("x", "pytorch", ((1.0, 1.0),)),), y_label="y" * 41),
    ],
)
def test_hostile_markers_keys_and_labels_are_refused(bad):
    with pytest.raises(ChartSpecError):
        bad.validate()


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=1, max_size=15),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["percent", "percent_fine", "count", "number"]),
)
def test_any_broken_marked_line_chart_draws(rows, unit):
    """Lines with holes anywhere, lone points, thin and hollow marks: always a 1600×900 PNG."""
    names = list(FRAMEWORK_COLOURS)
    series_ = [
        Series(
            names[j],
            names[j],
            tuple((2000.0 + i, v) for i, v in enumerate(vals)),
            hollow=(2000.0,),
            thin=tuple(2000.0 + i for i in range(0, len(vals), 2)),
        )
        for j, vals in enumerate(rows)
    ]
    spec = line_chart("t", series_, y_unit=unit, key="× thin", y_label="share")
    assert image(render_png(spec)).size == (1600, 900)


def test_a_chart_with_every_mark_keys_them_all_and_is_drawn(collected):
    """Open circles (ICLR 2021–2022), crosses and breaks on one chart: a two-line key."""
    spec = spec_for(collected, "NeurIPS ICLR --light")
    assert "○" in spec.key and "×" in spec.key and "a break in a line" in spec.key
    reply = run(Context(store=collected, prefix="!"), "!chart NeurIPS ICLR --light")
    assert not reply.is_error, reply.text
    assert [f.content_type for f in reply.files] == ["image/png"]


def test_a_spec_past_a_bound_still_answers_with_the_numbers(collected):
    """A chart the renderer refuses is a bug, not a crash: the reply keeps its numbers."""
    plan = plan_chart(collected, parse_query(collected, "NeurIPS", words=WORDS, flags=FLAGS))
    plan = replace(plan, spec=replace(plan.spec, key="k" * 1000))
    reply = deliver(Context(store=collected, prefix="!"), plan)
    assert reply.is_error and not reply.files
    assert reply.text.startswith("I could not draw that chart just now, so here are its numbers.")
    assert "76.8 %" in reply.text
