"""The framework table and the metric catalogue: lookups, text patterns, validation, and their
agreement with the seed that is loaded into the store."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from trendbot.charts.style import FRAMEWORK_COLOURS, FRAMEWORK_NAMES
from trendbot.storage.catalog import CatalogError, catalog_text, load_catalog, parse_catalog
from trendbot.storage.frameworks import (
    FrameworkTableError,
    load_frameworks,
    normalise_package,
    parse_frameworks,
)
from trendbot.storage.schema import FRAMEWORKS


@pytest.fixture(scope="module")
def table():
    return load_frameworks()


@pytest.fixture(scope="module")
def raw_table() -> dict:
    from importlib import resources

    text = resources.files("trendbot.storage").joinpath("seed", "frameworks.json").read_text()
    return json.loads(text)


# -- framework table ------------------------------------------------------------------------------
def test_the_table_has_the_frameworks_the_store_and_charts_know(table):
    assert table.ids()[: len(FRAMEWORKS)] == FRAMEWORKS
    assert "mindspore" in table.ids()
    for f in table.frameworks:
        assert f.id in FRAMEWORK_COLOURS and FRAMEWORK_NAMES[f.id] == f.name


def test_renamed_repositories_resolve_to_one_framework(table):
    assert table.by_repo("google/jax").id == table.by_repo("jax-ml/jax").id == "jax"
    assert table.by_repo("apache/incubator-mxnet").id == "mxnet"
    assert table.by_repo("apache/mxnet").id == "mxnet"
    assert table.by_repo("paddlepaddle/paddle").id == "paddlepaddle"  # best-of's spelling
    assert table.by_repo("PaddlePaddle/Paddle.git").id == "paddlepaddle"
    assert table.by_repo("huggingface/transformers") is None
    jax = table.get("jax")
    assert jax.github_repo == "jax-ml/jax" and jax.github_repos == ("jax-ml/jax", "google/jax")


def test_packages_main_and_family(table):
    mains = {f.id: f.pypi_main for f in table.frameworks}
    assert mains == {
        "pytorch": "torch",
        "tensorflow": "tensorflow",
        "jax": "jax",
        "keras": "keras",
        "mxnet": "mxnet",
        "paddlepaddle": "paddlepaddle",
        "mindspore": "mindspore",
    }
    for pkg in ("tensorflow-gpu", "tf-nightly", "TensorFlow_CPU", "tensorflow.intel"):
        assert table.by_package(pkg).id == "tensorflow"
    assert table.by_package("jaxlib").id == "jax"
    assert table.by_package("torch").id == "pytorch"
    assert table.by_package("numpy") is None
    assert normalise_package("Paddle_Paddle..GPU") == "paddle-paddle-gpu"


def test_aliases_and_stack_overflow_tags(table):
    assert table.get("TF").id == "tensorflow" and table.get(" Torch ").id == "pytorch"
    assert table.get("PaddlePaddle").id == "paddlepaddle" and table.get("nope") is None
    assert {f.id: f.stackoverflow_tag for f in table.frameworks}["tensorflow"] == "tensorflow"
    assert table.get("keras").huggingface == ("keras", "tf-keras")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Stack: Python, PyTorch, JAX on TPUs", ("pytorch", "jax")),
        ("We write jax.numpy and flax", ("jax",)),
        ("Java services with JAX-RS and JAXB", ()),
        ("Office in Jax Beach, FL", ()),
        ("AJAX front end", ()),
        ("TensorFlow/Keras models in production", ("tensorflow", "keras")),
        ("tf.keras and TensorFlow.js", ("tensorflow", "keras")),
        ("Apache MXNet and PaddleOCR", ("mxnet", "paddlepaddle")),
        ("paddle boarding on Fridays", ()),
        ("kerastase hair products", ()),
        ("pytorch-lightning, MindSpore", ("pytorch", "mindspore")),
    ],
)
def test_text_patterns_match_whole_names_only(table, text, expected):
    assert table.mentioned_in(text) == expected


def test_framework_records_are_frozen(table):
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.frameworks[0].pypi_main = "tensorflow"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t["frameworks"][1]["aliases"].append("torch"), "already belongs to 'pytorch'"),
        (lambda t: t["frameworks"][2]["github"]["former"].append("PyTorch/PyTorch"), "already"),
        (lambda t: t["frameworks"][0]["text"].append("(unclosed"), "text pattern"),
        (lambda t: t["frameworks"][0]["pypi"].update(main=""), "pypi.main"),
        (lambda t: t["frameworks"][0]["pypi"].update(family=["x"]), "must include pypi.main"),
        (lambda t: t["frameworks"][0].update(id="Py Torch"), "lower-case"),
    ],
)
def test_a_bad_framework_table_is_refused_with_a_reason(raw_table, edit, message):
    broken = copy.deepcopy(raw_table)
    edit(broken)
    with pytest.raises(FrameworkTableError, match=message):
        parse_frameworks(broken)


def test_a_new_framework_is_a_data_change(raw_table):
    grown = copy.deepcopy(raw_table)
    grown["frameworks"].append(
        {
            "id": "tinygrad",
            "name": "tinygrad",
            "aliases": [],
            "github": {"repo": "tinygrad/tinygrad", "former": ["geohot/tinygrad"]},
            "pypi": {"main": "tinygrad", "family": ["tinygrad"]},
            "stackoverflow": {"tags": []},
            "huggingface": [],
            "text": ["\\btinygrad\\b"],
        }
    )
    t = parse_frameworks(grown)
    assert t.by_repo("geohot/tinygrad").id == "tinygrad" == t.by_package("tinygrad").id
    assert t.get("tinygrad").stackoverflow_tag == ""


# -- metric catalogue ---------------------------------------------------------------------------
def test_every_stored_metric_is_catalogued_with_its_unit(store):
    catalog = load_catalog()
    pairs = store.conn.execute("SELECT DISTINCT metric, unit FROM metrics").fetchall()
    assert pairs
    for metric, unit in pairs:
        assert catalog.get(metric) is not None, metric
        assert catalog.get(metric).unit == unit


def test_every_stored_source_and_series_is_declared(store, table):
    catalog = load_catalog()
    rows = store.conn.execute("SELECT DISTINCT metric, source_id, framework FROM metrics")
    for metric, source, framework in rows:
        definition = catalog.get(metric)
        assert source in definition.sources, (metric, source)
        assert framework in table.ids() or framework in definition.pseudo_series


def test_catalogue_references_are_known(store, table):
    from trendbot.collectors.industry.run import source_ids

    # the seed's sources, and the collectors' (whose rows appear with their first collection)
    known_sources = set(store.sources()) | source_ids()
    for m in load_catalog().metrics:
        assert set(m.sources) <= known_sources, m.name
        for c in m.caveats:
            assert set(c.frameworks) <= set(table.ids()), (m.name, c.text)
            assert set(c.sources) <= known_sources, (m.name, c.text)


def test_units_periods_and_directions_are_consistent():
    metrics = load_catalog().metrics
    for m in metrics:
        assert (m.kind == "rank") == (m.unit == "rank"), m.name
        if m.kind == "rank":
            assert m.better == "lower"
        if m.name.startswith("pypi-downloads") or m.name == "conda-downloads-total":
            assert m.unit == "downloads"
    by_name = {m.name: m for m in metrics}
    # a 30-day window and a calendar month are different quantities, kept apart
    assert by_name["pypi-downloads"].period == "30d"
    assert by_name["pypi-downloads-month"].period == "month"
    for name in ("hn-hiring", "stackoverflow-questions", "arxiv-mentions"):
        assert by_name[name].period == "month" and "_all" in by_name[name].pseudo_series
    assert {"pypi-rank", "github-stars", "github-forks", "github-open-issues",
            "github-contributors", "dependents", "hf-models"} <= set(by_name)  # fmt: skip


def test_caveats_select_by_framework_source_and_dates():
    downloads = load_catalog().get("pypi-downloads")

    def texts(**kw):
        return [c.text[:25] for c in downloads.caveats_for(**kw)]

    spike = next(c for c in downloads.caveats if "11.7M" in c.text)
    assert spike.applies(framework="jax", start="2023-11-30", end="2023-11-30")
    assert not spike.applies(framework="pytorch", start="2023-11-30", end="2023-11-30")
    assert not spike.applies(framework="jax", start="2024-06-01", end="2024-12-31")
    assert spike.applies(framework="jax", start="2020-01-01", end="2024-12-31")
    always = texts(framework="pytorch", source="best-of-ml-python", start="2025-01-01")
    assert "Downloads are not users: " in always
    assert not any("pip (pypinfo" in t for t in always)  # that one is hugovk-only, 2024


def test_a_bad_catalogue_is_refused_with_a_reason():
    good = json.loads(catalog_text())
    for edit, message in [
        (lambda c: c["metrics"][0].update(period="weekly"), "period"),
        (lambda c: c["metrics"].append(copy.deepcopy(c["metrics"][0])), "defined twice"),
        (lambda c: c["metrics"][0]["caveats"][0].update({"from": "2024-02-01", "to": "2024-01-01"}),
         "after"),
        (lambda c: c["metrics"][0]["caveats"][0].update({"from": "May 2024"}), "ISO date"),
        (lambda c: c["metrics"][0].update(name="PyPI downloads"), "lower-case"),
        (lambda c: c["metrics"][0].update(pseudo={"all": "x"}), "pseudo"),
    ]:  # fmt: skip
        broken = copy.deepcopy(good)
        edit(broken)
        with pytest.raises(CatalogError, match=message):
            parse_catalog(broken)
