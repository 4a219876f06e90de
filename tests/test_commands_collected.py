"""Commands over collected data: trendbot's own counts beside the study's, the `modern` method's
every-framework figures, and charts of them. The data is written exactly as a collection writes
it (``storage.papers``), and the expected numbers are computed here from the papers put in."""

from __future__ import annotations

import re

import pytest

from trendbot.commands import run
from trendbot.storage import papers as db

# venue id, year, source, [(frameworks named, status)]
PLAN = {
    ("neurips", 2023): [({"pytorch"},)] * 6 + [({"jax"},)] * 2 + [({"pytorch", "tensorflow"},)]
    + [({"tensorflow"},)] + [(set(),)] * 5 + [(None,)],  # one failure
    ("neurips", 2024): [({"pytorch"},)] * 9 + [({"jax", "pytorch"},)] * 3 + [({"keras"},)]
    + [(set(),)] * 6 + [("scan",)],
    ("cvpr", 2019): [({"pytorch"},)] * 3 + [({"tensorflow"},)] * 2 + [(set(),)] * 5,
}  # fmt: skip


def _methods(store):
    by = {m.name: m for m in store.methods().values()}
    return by["final"], by["modern"]


def populate(store) -> dict[tuple[str, int], dict[str, dict[str, int]]]:
    """Write PLAN through the collector's storage calls; return the expected counts."""
    final, modern = _methods(store)
    source = {"neurips": "trendbot-neurips", "cvpr": "trendbot-cvf"}
    for sid in source.values():
        db.ensure_source(
            store.conn,
            {"id": sid, "name": f"{sid} (test)", "url": "http://x", "citation": "c",
             "kind": "collection"},
        )  # fmt: skip
    store.conn.commit()
    store.refresh()
    rules = {final.id: final.version, modern.id: modern.version}
    expected = {}
    for (vid, year), spec in PLAN.items():
        listed = [
            db.ListedPaper(
                f"{vid}:{year}:{i}", f"{vid} {year} paper {i}", ("A",), "u", "main", True
            )
            for i in range(len(spec))
        ]
        db.save_listing(store.conn, venue_id=vid, year=year, source_id=source[vid],
                        population="accepted", papers=listed)  # fmt: skip
        results = []
        want_final = {"pytorch": 0, "tensorflow": 0}
        want_modern: dict[str, int] = dict.fromkeys(modern.figures, 0)
        for paper, (named,) in zip(listed, spec, strict=True):
            if named is None:
                results.append(db.PaperResult(paper.id, "failed", "HTTP 500 three times"))
                continue
            if named == "scan":
                results.append(db.PaperResult(paper.id, "no_text", "a scan", 2, rules=rules))
                continue
            tf = {"tensorflow", "keras"} & named
            excl = "pytorch" in named and bool(tf)
            fin = [db.Mention("pytorch", not excl, ("pytorch",))] if "pytorch" in named else []
            if tf:
                fin.append(db.Mention("tensorflow", not excl, tuple(sorted(tf))))
            mod = [db.Mention(fw, True, (fw,)) for fw in sorted(named)]
            if {"pytorch", "tensorflow"} <= named:
                mod.append(db.Mention("pytorch+tensorflow", True))
            for m in fin:
                want_final[m.framework] += m.counted
            for m in mod:
                want_modern[m.framework] += 1
            results.append(
                db.PaperResult(
                    paper.id, "ok", pages=8, mentions={final.id: fin, modern.id: mod}, rules=rules
                )
            )
        agg = db.Aggregate(vid, year, source[vid], [final, modern], note="accepted papers (test)")
        totals = db.save_results(store.conn, results, aggregate=agg)
        assert totals.written
        expected[(vid, year)] = {"final": want_final, "modern": want_modern, "total": len(spec)}
    store.refresh()
    return expected


@pytest.fixture
def collected(ctx):
    return populate(ctx.store)


def test_a_collected_year_answers_like_a_study_year(ctx, collected):
    want = collected[("neurips", 2024)]
    reply = run(ctx, "!ratio NeurIPS 2024")
    assert not reply.is_error, reply.text
    pt, tf = want["final"]["pytorch"], want["final"]["tensorflow"]
    assert f"PyTorch {pt}, TensorFlow {tf}" in reply.text
    assert f"out of {want['total']} accepted papers (test)" in reply.text  # the population, named
    assert "1 had no text layer" in reply.text
    assert "trendbot-neurips (test)" in reply.footer


def test_the_studys_figure_first_then_the_collected_one_and_the_difference(ctx, collected):
    want = collected[("cvpr", 2019)]
    reply = run(ctx, "!ratio CVPR 2019")
    first = reply.text.splitlines()[0]
    assert first == "**CVPR 2019**: PyTorch 294, TensorFlow 148."  # the study's, unchanged
    also = next(line for line in reply.text.splitlines() if line.startswith("Also counted by"))
    pt, tf = want["final"]["pytorch"], want["final"]["tensorflow"]
    assert f"PyTorch {pt} ({pt - 294:+,})" in also and f"TensorFlow {tf} ({tf - 148:+,})" in also
    assert f"of {want['total']} accepted papers (test)" in also
    assert "the figure above counts 1,294 accepted papers" in also  # different totals: said
    source = run(ctx, "!source CVPR 2019")
    assert "Horace He" in source.text and "Also: trendbot-cvf (test)" in source.text


def test_modern_shows_every_framework_share_of_all_papers(ctx, collected):
    want = collected[("neurips", 2024)]
    reply = run(ctx, "!ratio NeurIPS 2024 --method modern")
    assert not reply.is_error, reply.text
    total = want["total"]
    for fw, name in (("pytorch", "PyTorch"), ("jax", "JAX"), ("keras", "Keras")):
        n = want["modern"][fw]
        assert f"{name} {n} ({100 * n / total:.1f} %)" in reply.text, (fw, reply.text)
    fields = {f.name: f.value for f in reply.fields}
    assert fields["JAX"].startswith(str(want["modern"]["jax"]))
    assert "a paper naming several frameworks counts for each" in reply.text


def test_modern_trend_and_year_tables(ctx, collected):
    trend = run(ctx, "!ratio NeurIPS --method modern")
    assert not trend.is_error, trend.text
    rows = re.findall(r"^(20\d\d) ", trend.text, re.M)
    assert rows == ["2023", "2024"]  # the study's years have no modern counts
    jax23 = collected[("neurips", 2023)]["modern"]["jax"] / collected[("neurips", 2023)]["total"]
    assert f"JAX {100 * jax23:.1f} %" in trend.text
    year = run(ctx, "!ratio 2024 --method modern")
    assert not year.is_error and "NeurIPS" in year.text


def test_modern_charts_draw_every_framework(ctx, collected):
    reply = run(ctx, "!chart NeurIPS --method modern")
    assert not reply.is_error, reply.text
    assert reply.image is not None and reply.image.data.startswith(b"\x89PNG")
    assert "JAX" in reply.image.description  # the alt text names every line drawn
    bars = run(ctx, "!chart 2024 --method modern")
    assert not bars.is_error and bars.image is not None
    several = run(ctx, "!chart NeurIPS CVPR --method modern")
    assert several.is_error and "one venue at a time" in several.text


def test_venues_and_the_modern_method_without_data_say_what_to_do(ctx):
    reply = run(ctx, "!ratio NeurIPS 2019 --method modern")
    assert reply.is_error
    assert "trendbot collect papers" in reply.text


def test_a_question_about_jax_uses_the_rule_that_counts_it_once_collected(ctx, collected):
    from trendbot.commands.ask import map_question

    mapped = map_question(ctx.store, "how is jax doing at neurips 2024?")
    assert mapped.line == "ratio NeurIPS 2024 --method modern"
    assert mapped.notes == ("JAX is counted by the `modern` rule, so this shows every framework.",)
    older = map_question(ctx.store, "jax at neurips 2019")  # the study's years: no modern counts
    assert older.line == "ratio NeurIPS 2019"
    assert "compares PyTorch with TensorFlow" in older.notes[0]


def test_venues_and_table_show_collected_years_sources_and_unread_papers(ctx, collected):
    venues = run(ctx, "!venues").text
    assert "NeurIPS 2015–2020, 2023–2024" in venues
    assert "modern: 2023–2024" in venues
    assert "NeurIPS 2023: 1 unread" in venues and "NeurIPS 2024: 1 scan" in venues
    assert "Findings: none yet" in venues  # nothing counted there yet, and it says so
    table = run(ctx, "!table CVPR 2019").text
    lines = [line for line in table.splitlines() if line.startswith(("final,", "modern,"))]
    assert [line.split(",")[0] for line in lines] == ["final", "final", "modern"]
    header = next(line for line in table.splitlines() if line.startswith("method,"))
    assert "jax" in header.split(",") and "pytorch+tensorflow" in header.split(",")
    assert any(",trendbot-cvf," in line for line in lines)
