"""`!chart` end to end: the reply carries the image, its numbers, alt text and provenance."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from trendbot.charts import ChartService
from trendbot.charts.render import render_png
from trendbot.commands import Context, run
from trendbot.commands.reply import MAX_CONTENT

SLOW_TARGET = f"{__name__}:always_slow"


def always_slow(spec) -> bytes:
    time.sleep(2.0)
    return render_png(spec)


def image_of(reply) -> Image.Image:
    assert reply.image is not None, reply.text
    image = Image.open(io.BytesIO(reply.image.data))
    image.load()
    return image


@pytest.fixture(scope="module")
def charts():
    """One warmed process pool for the module, as the bot would hand it in ctx.services."""
    svc = ChartService(workers=2, mode="process", timeout=30).start()
    yield svc
    svc.close()


@pytest.fixture
def bot_ctx(store, charts) -> Context:
    return Context(store=store, prefix="!", services={"charts": charts})


def test_venue_chart_reply_has_image_numbers_alt_and_footer(bot_ctx, store):
    reply = run(bot_ctx, "!chart NeurIPS")
    assert not reply.is_error, reply.text
    assert reply.command == "chart NeurIPS"
    assert image_of(reply).size == (1600, 900)
    att = reply.image
    assert att.content_type == "image/png" and att.filename.endswith(".png")
    # One line of alt text that states the trend with numbers.
    assert "\n" not in att.description and 40 < len(att.description) <= 1024
    assert att.description.startswith("Line chart") and "77%" in att.description
    # The numbers are in the text and the fields, not only in pixels.
    for number in ("182", "104", "63.6 %", "312", "76.8 %"):
        assert number in reply.text
    assert any(f.name == "2019" and "182 vs 104" in f.value for f in reply.fields)
    assert "Method: final rule" in reply.footer and "collected 2021-10-22" in reply.footer
    assert reply.footer in reply.text
    assert reply.data_version == store.data_version()
    assert len(reply.text) <= MAX_CONTENT


def test_several_venues_and_the_venue_limit(bot_ctx):
    reply = run(bot_ctx, "!chart NeurIPS CVPR ACL")
    assert not reply.is_error and image_of(reply).size == (1600, 900)
    assert [f.name for f in reply.fields] == ["NeurIPS", "CVPR", "ACL"]
    assert "ACL rose from 2.4 % in 2017 to 82.7 % in 2020" in reply.text
    too_many = run(bot_ctx, "!chart NeurIPS CVPR ACL ICML ICLR EMNLP")
    assert too_many.is_error and not too_many.files
    assert "6 venues" in too_many.text and "at most 5" in too_many.text


def test_year_chart_is_sorted_bars(bot_ctx):
    reply = run(bot_ctx, "!chart 2019")
    assert not reply.is_error and image_of(reply).size == (1600, 900)
    assert reply.image.description.startswith("Bar chart")
    assert [f.name for f in reply.fields][:2] == ["EMNLP", "ACL"]  # highest PyTorch share first
    assert "8 venues" in reply.text


def test_counts_field_method_and_light(bot_ctx):
    counts = run(bot_ctx, "!chart counts CVPR")
    assert counts.command == "chart counts CVPR" and counts.image
    assert "PyTorch 418" in counts.image.description or "418" in counts.image.description
    field = run(bot_ctx, "!chart field vision")
    assert field.command == "chart field vision" and field.image
    assert "CVPR, ICCV" in field.text  # which venues each year combines
    article = run(bot_ctx, "!chart ICLR --method article --light")
    assert article.command == "chart ICLR --method article --light"
    assert "article rule" in article.footer
    assert image_of(article).convert("RGB").getpixel((3, 3)) == (255, 255, 255)
    assert "submissions" in article.text  # ICLR 2020 (article) counts submissions


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("!chart NIPZ", "Did you mean **NeurIPS**"),
        ("!chart 2014", "I have no counts for 2014"),
        ("!chart 2015", "names exactly one of PyTorch and TensorFlow"),
        ("!chart ACL 2020 --method article", "I have no counts for ACL 2020"),
        ("!chart", "Chart what?"),
        ("!chart field", "Which field?"),
        ("!chart field vision NeurIPS", "just the field"),
        ("!chart counts NeurIPS CVPR", "one venue at a time"),
        ("!chart 2018 2019", "One year at a time"),
        ("!chart NeurIPS --sideways", "I don't know the option `--sideways`"),
        ("!chart " + "nips " * 60, "words"),
        ("!chart @everyone", "I don't know the venue"),
    ],
)
def test_bad_input_gets_a_clear_reply_and_no_image(bot_ctx, line, expected):
    reply = run(bot_ctx, line)
    assert reply.is_error
    assert expected in reply.text, reply.text
    assert not reply.files
    assert "Traceback" not in reply.text and "@everyone" not in reply.text


def test_cached_within_a_data_version_redrawn_after_it_changes(store, charts):
    ctx = Context(store=store, services={"charts": charts})
    before = charts.stats
    first = run(ctx, "!chart ICML")
    second = run(ctx, "!chart icml")  # another spelling, the same chart
    assert first.image.data == second.image.data
    assert charts.stats.renders - before.renders == 1
    assert charts.stats.cache_hits - before.cache_hits == 1
    store.conn.execute(
        "UPDATE paper_counts SET papers = papers + 100 WHERE venue_id = 'icml' AND year = 2021"
        " AND framework = 'pytorch' AND method_id = 'he2019-final'"
    )
    store.conn.commit()
    third = run(ctx, "!chart ICML")
    assert third.data_version > first.data_version
    assert charts.stats.renders - before.renders == 2
    assert third.image.data != first.image.data and "302" in third.text


def test_timeout_still_answers_with_the_numbers(store):
    slow = ChartService(workers=1, mode="thread", timeout=0.3, render_target=SLOW_TARGET)
    try:
        reply = run(Context(store=store, services={"charts": slow}), "!chart NeurIPS")
    finally:
        slow.close()
    assert reply.is_error and not reply.files
    assert "took too long" in reply.text and "63.6 %" in reply.text
    assert reply.footer and reply.footer in reply.text


def test_without_a_service_the_default_one_is_used(ctx):
    from trendbot.charts import default_service

    reply = run(ctx, "!chart EMNLP")
    assert image_of(reply).size == (1600, 900)
    assert default_service().mode == "thread"
    assert default_service() is default_service()


def test_help_lists_chart_second(ctx):
    text = run(ctx, "!help").text
    lines = [line for line in text.splitlines() if line.startswith("`!")]
    assert lines[1].startswith("`!chart")
    assert "!chart field vision" in run(ctx, "!help chart").text


TRENDBOT = shutil.which("trendbot", path=str(Path(sys.executable).parent))


def ask(line: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    cmd = [TRENDBOT] if TRENDBOT else [sys.executable, "-m", "trendbot"]
    return subprocess.run([*cmd, "ask", line], env=env, capture_output=True, text=True, timeout=120)


def test_console_ask_writes_the_png_and_prints_its_path(cli_env):
    proc = ask("!chart NeurIPS", cli_env)
    assert proc.returncode == 0, proc.stderr
    assert "182" in proc.stdout and "Method: final rule" in proc.stdout
    written = proc.stdout.split("[file written: ")[1].split("]")[0]
    path = Path(written)
    assert path.parent == Path(cli_env["TRENDBOT_OUT"]) and path.suffix == ".png"
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (1600, 900)
    assert "Traceback" not in proc.stderr
    bad = ask("!chart NeurIPS CVPR ACL ICML ICLR EMNLP", cli_env)
    assert bad.returncode == 1 and "at most 5" in bad.stdout and "[file written" not in bad.stdout
