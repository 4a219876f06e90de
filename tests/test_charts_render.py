"""The renderer: every chart kind is a real 1600×900 PNG, in the fixed colours, within bounds."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
from collections import Counter

import pytest
from PIL import Image

from trendbot.charts import ChartSpec, ChartSpecError, Series, line_chart
from trendbot.charts.alt import alt_text
from trendbot.charts.canvas import HEIGHT_PX, WIDTH_PX, fmt_si
from trendbot.charts.lines import nudge
from trendbot.charts.metrics import downsample, metric_spec
from trendbot.charts.render import render_png
from trendbot.charts.service import png_size
from trendbot.charts.spec import MAX_POINTS, MAX_SERIES
from trendbot.charts.style import DARK, FRAMEWORK_COLOURS, LIGHT
from trendbot.commands.chart import plan_chart
from trendbot.commands.parsing import parse_query
from trendbot.commands.registry import lookup
from trendbot.storage import open_store

PYTORCH, TENSORFLOW, JAX = (FRAMEWORK_COLOURS[k] for k in ("pytorch", "tensorflow", "jax"))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    store = open_store(tmp_path_factory.mktemp("charts") / "seed.db")
    yield store
    store.close()


def spec_for(store, args: str) -> ChartSpec:
    """The spec `!chart <args>` would draw, planned exactly as the command plans it."""
    from trendbot.commands.chart import FLAGS, WORDS

    return plan_chart(store, parse_query(store, args, words=WORDS, flags=FLAGS)).spec


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def pixels(png: bytes) -> Counter:
    image = Image.open(io.BytesIO(png))
    image.load()
    return Counter(image.convert("RGB").get_flattened_data())


def assert_png(png: bytes) -> None:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png_size(png) == (WIDTH_PX, HEIGHT_PX) == (1600, 900)
    image = Image.open(io.BytesIO(png))
    image.verify()  # checksums and structure, not just the header
    assert image.size == (1600, 900)


KINDS = {
    "venue shares": ("NeurIPS", "line"),
    "several venues": ("NeurIPS CVPR ACL", "line"),
    "one year": ("2019", "bars"),
    "counts": ("counts CVPR", "line"),
    "field": ("field vision", "line"),
    "one-year venue": ("ECCV", "bars"),
    "venues in a year": ("NeurIPS CVPR 2019", "bars"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_is_a_valid_png_of_the_stated_size(seeded, kind):
    args, expected = KINDS[kind]
    spec = spec_for(seeded, args)
    assert spec.kind == expected
    png = render_png(spec)
    assert_png(png)
    assert len(png) <= 150_000
    counts = pixels(png)
    assert counts.most_common(1)[0][0] == rgb(DARK.background)  # opaque Discord background


def test_framework_colours_are_in_the_pixels(seeded):
    counts = pixels(render_png(spec_for(seeded, "NeurIPS")))
    # Exact colours survive the palette PNG: solid line pixels, not just nearby shades.
    assert counts[rgb(PYTORCH)] > 2000
    assert counts[rgb(TENSORFLOW)] > 2000
    assert counts[rgb(DARK.text)] > 500  # title and labels
    bars = pixels(render_png(spec_for(seeded, "2019")))
    assert bars[rgb(PYTORCH)] > 50_000 and bars[rgb(TENSORFLOW)] > 30_000


def test_venue_lines_use_the_palette_not_framework_colours(seeded):
    spec = spec_for(seeded, "NeurIPS CVPR ACL")
    counts = pixels(render_png(spec))
    for slot in range(3):
        assert counts[rgb(DARK.palette[slot])] > 1500
    assert counts[rgb(PYTORCH)] < 50  # nothing here is a framework line


def test_single_year_venue_draws_bars_not_a_point(seeded):
    spec = spec_for(seeded, "ECCV")
    assert spec.kind == "bars" and spec.categories == ("2018",)
    counts = pixels(render_png(spec))
    line = pixels(render_png(spec_for(seeded, "NeurIPS")))
    # Two solid bars cover far more pixels than a line in the same colour.
    assert counts[rgb(PYTORCH)] > 4 * line[rgb(PYTORCH)]
    assert alt_text(spec).startswith("Bar chart")


def test_light_mode(seeded):
    counts = pixels(render_png(spec_for(seeded, "ICLR --light")))
    assert counts.most_common(1)[0][0] == (255, 255, 255)
    assert counts[rgb(LIGHT.text)] > 500
    assert counts[rgb(PYTORCH)] > 2000  # the same framework colour in both themes


def test_identical_specs_draw_identical_bytes(seeded):
    spec = spec_for(seeded, "counts NeurIPS")
    assert render_png(spec) == render_png(spec)


def test_metric_time_series_reuse_the_machinery():
    rows = []
    for day in range(3000):  # eight years of daily values, three frameworks
        date = (dt.date(2017, 1, 1) + dt.timedelta(days=day)).isoformat()
        rows += [
            ("PyTorch", date, 20_000 + 30 * day + 400 * math.sin(day / 30)),
            ("tensorflow", date, 120_000 + 25 * day),
            ("jax", date, 10 * day),
        ]
    spec = metric_spec("GitHub stars", rows, subtitle="Stars per repository")
    assert spec.x_kind == "date" and spec.y_unit == "number"
    assert [s.label for s in spec.series] == ["TensorFlow", "PyTorch", "JAX"]  # by latest value
    assert all(len(s.points) <= 240 for s in spec.series)
    png = render_png(spec)
    assert_png(png)
    counts = pixels(png)
    assert min(counts[rgb(c)] for c in (PYTORCH, TENSORFLOW, JAX)) > 1500
    only = metric_spec("Stars", rows, frameworks=["jax"])
    assert [s.label for s in only.series] == ["JAX"]


def test_downsample_keeps_shape_and_bound():
    pts = [(float(x), float(x % 7)) for x in range(10_000)]
    out = downsample(pts, 100)
    assert len(out) == 100
    assert out[0][0] < out[-1][0]
    assert all(2.0 < y < 4.0 for _, y in out)  # bucket means of 0..6 stay near 3
    assert downsample(pts[:50], 100) == pts[:50]


@pytest.mark.parametrize(
    "bad",
    [
        lambda s: ChartSpec("line", "t", tuple(s for _ in range(MAX_SERIES + 1))),
        lambda s: ChartSpec(
            "line",
            "t",
            (Series("x", "pytorch", tuple((float(i), 1.0) for i in range(MAX_POINTS + 1))),),
        ),
        lambda s: ChartSpec("line", "t" * 1000, (s,)),
        lambda s: ChartSpec("line", "t", (Series("x", "pytorch", ((1.0, math.nan),)),)),
        lambda s: ChartSpec("line", "t", (Series("x", "pytorch", ((1.0, 1e300),)),)),
        lambda s: ChartSpec("line", "t", (Series("x", "url(javascript:)", ((1.0, 1.0),)),)),
        lambda s: ChartSpec("pie", "t", (s,)),
        lambda s: ChartSpec("line", "t", ()),
        lambda s: ChartSpec("bars", "t", (s,)),  # bars without categories
        lambda s: ChartSpec("bars", "t", (s,), categories=("a",)),  # x beyond the categories
    ],
)
def test_hostile_specs_are_refused_before_drawing(bad):
    series = Series("PyTorch", "pytorch", ((2018.0, 10.0), (2019.0, 20.0)))
    with pytest.raises(ChartSpecError):
        render_png(bad(series))


def test_text_is_never_parsed_as_mathtext():
    # '$\\frac{...' would be typeset (or raise) if mathtext were on; it must print as text.
    spec = line_chart(
        r"Costs in $ \frac{a}{b} $ and ^{x}_{y}",
        [Series(r"$\sqrt{x}$", "pytorch", ((2018.0, 1.0), (2019.0, 2.0)))],
        y_unit="number",
        footnote=r"$$$ \unknowncommand",
    )
    assert_png(render_png(spec))


def test_nudge_separates_close_labels_in_order():
    placed = nudge([0.50, 0.51, 0.52, 0.9], 0.06, lo=0.0, hi=1.0)
    ordered = sorted(placed)
    assert all(b - a >= 0.06 - 1e-9 for a, b in itertools.pairwise(ordered))
    assert placed[0] < placed[1] < placed[2] < placed[3]  # each label stays by its line
    top = nudge([0.99, 0.995, 1.0], 0.1, lo=0.0, hi=1.0)
    assert max(top) <= 1.0 and min(top) >= 0.0


def test_number_formats():
    assert fmt_si(12) == "12"
    assert fmt_si(80_000) == "80k"
    assert fmt_si(1_240) == "1.2k"
    assert fmt_si(5_600_000) == "5.6M"


def test_chart_command_is_registered_slow():
    spec = lookup("chart")
    assert spec is not None and spec.slow
    assert lookup("plot") is spec
