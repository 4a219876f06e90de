"""NeurIPS proceedings, PMLR (ICML) and ECVA (ECCV) listings: parsers and loopback fetches."""

from __future__ import annotations

import pytest

from tests.support.loopback import Loopback, Reply
from tests.support.papers_support import fixture, loopback_client, study_totals
from trendbot.collectors.papers import ecva, neurips, pmlr
from trendbot.collectors.papers.base import CollectError

NIPS = "https://papers.nips.cc"

# --- NeurIPS ---


def test_neurips_pdf_paths_with_and_without_track_token():
    assert neurips.pdf_path(2017, "abc", None) == "/paper_files/paper/2017/file/abc-Paper.pdf"
    assert (
        neurips.pdf_path(2024, "abc", "Datasets_and_Benchmarks_Track")
        == "/paper_files/paper/2024/file/abc-Paper-Datasets_and_Benchmarks_Track.pdf"
    )


def test_neurips_2017_page():
    url = f"{NIPS}/paper_files/paper/2017"
    a, b, c = neurips.parse_listing(fixture("neurips", "2017_year_excerpt.html"), url, 2017)
    assert a.title == "Attention is All you Need"
    assert a.authors[0] == "Ashish Vaswani" and a.authors[-1] == "Illia Polosukhin"
    assert a.key == "neurips:2017:3f5ee243547dee91fbd053c1c4a845aa"
    assert (
        a.pdf_url
        == f"{NIPS}/paper_files/paper/2017/file/3f5ee243547dee91fbd053c1c4a845aa-Paper.pdf"
    )
    assert (
        a.page_url
        == f"{NIPS}/paper_files/paper/2017/hash/3f5ee243547dee91fbd053c1c4a845aa-Abstract.html"
    )
    assert b.title == 'A "Quoted" Title'  # double-escaped entities, as the real index has
    assert b.authors == ('Chenyue "xdd44" Dai', "Ann Other")
    assert c.authors == ("First Author", "Second Author")  # authors in <i>
    assert all(p.main and p.track == "main" for p in (a, b, c))


def test_neurips_older_saved_page_shape():
    # The 2020-2022 site: a plain list, /paper/{year}/hash/ links, authors in <i>.
    page = (
        '<div class="container-fluid"><div class="col"><h4>Advances in Neural Information '
        'Processing Systems 33 (NeurIPS 2020)</h4><ul><li><a href="/paper/2020/hash/'
        '0004d0b59e19461ff126e3a08a814c33-Abstract.html">Some Title</a> <i>A. Author, '
        "B. Author</i></li><li><a href='/paper/2020'>not a paper</a></li></ul></div></div>"
    )
    (paper,) = neurips.parse_listing(page, f"{NIPS}/paper/2020", 2020)
    assert paper.authors == ("A. Author", "B. Author") and paper.main
    pdf = "/paper_files/paper/2020/file/0004d0b59e19461ff126e3a08a814c33-Paper.pdf"
    assert paper.pdf_url == NIPS + pdf


def test_neurips_2024_tracks():
    url = f"{NIPS}/paper_files/paper/2024"
    papers = neurips.parse_listing(fixture("neurips", "2024_year_excerpt.html"), url, 2024)
    assert [(p.track, p.main) for p in papers] == [
        ("main", True),
        ("main", True),
        ("datasets_and_benchmarks", False),
    ]
    assert papers[2].pdf_url.endswith(
        "013cf29a9e68e4411d0593040a8a1eb3-Paper-Datasets_and_Benchmarks_Track.pdf"
    )
    assert papers[0].pdf_url.endswith("000f947dcaff8fbffcc3f53a1314f358-Paper-Conference.pdf")


async def test_neurips_2025_follows_the_main_conference_volume_once():
    async with Loopback() as srv:
        srv.route(
            "/paper_files/paper/2025", Reply.html(fixture("neurips", "2025_year_excerpt.html"))
        )
        srv.route(
            "/paper_files/paper/2025/vol38-main-conference",
            Reply.html(fixture("neurips", "2025_vol38_excerpt.html")),
        )
        async with loopback_client(srv) as http:
            listing = await neurips.fetch_listing(http, "NeurIPS", 2025)
    assert listing.tracks() == {
        "creative_ai": 1,
        "main": 1,
        "datasets_and_benchmarks": 1,
        "position": 1,
    }
    assert listing.main_count == 1
    assert len(srv.hits("/paper_files/paper/2025")) == 1  # the see-also link back is not re-fetched
    assert listing.urls[1].endswith("/vol38-main-conference")
    assert listing.main[0].pdf_url == (
        srv.base
        + "/paper_files/paper/2025/file/0010031a1b4910aa67edbda26a705518-Paper-Conference.pdf"
    )


async def test_neurips_year_not_published_yet():
    async with Loopback() as srv:
        srv.route("/paper_files/paper/2026", Reply.error(404, "Not Found"))
        async with loopback_client(srv) as http:
            with pytest.raises(CollectError, match="no page for 2026 yet"):
                await neurips.fetch_listing(http, "NeurIPS", 2026)


# --- PMLR ---


def test_pmlr_volumes_match_the_study_years():
    assert {y: pmlr.ICML_VOLUMES[y] for y in (2015, 2019, 2024, 2025)} == {
        2015: 37,
        2019: 97,
        2024: 235,
        2025: 267,
    }


def test_pmlr_v235_page():
    url = "https://proceedings.mlr.press/v235/"
    a, b = pmlr.parse_volume(fixture("pmlr", "v235_excerpt.html"), url, 2024, 235)
    assert a.title == "Adaptively Perturbed Mirror Descent for Learning in Games"
    assert a.authors == ("Kenshi Abe", "Kaito Ariu", "Mitsuki Sakamoto", "Atsushi Iwasaki")
    assert a.key == "pmlr:v235:abe24a"
    assert (
        a.pdf_url
        == "https://raw.githubusercontent.com/mlresearch/v235/main/assets/abe24a/abe24a.pdf"
    )
    assert a.note == "openreview https://openreview.net/forum?id=9U29U3cDKq"
    assert b.title == 'An Entry Without a "PDF" Link' and b.pdf_url is None and b.main


def test_pmlr_v97_page_skips_supplementary():
    (paper,) = pmlr.parse_volume(
        fixture("pmlr", "v97_excerpt.html"), "http://proceedings.mlr.press/v97/", 2019, 97
    )
    assert paper.pdf_url == "http://proceedings.mlr.press/v97/abbati19a/abbati19a.pdf"
    assert paper.authors[2] == "Michael A. Osborne" and paper.authors[4] == "Bernhard Schölkopf"


def test_pmlr_wrong_volume_is_refused():
    page = b"<h2>Volume 251: Geometry-grounded Representation Learning (GRaM)</h2>"
    with pytest.raises(CollectError, match="not ICML"):
        pmlr.parse_volume(page, "https://proceedings.mlr.press/v251/", 2024, 251)


def test_pmlr_index_takes_main_proceedings_only():
    assert pmlr.parse_index(fixture("pmlr", "index_excerpt.html")) == {
        2026: 299,
        2025: 267,
        2024: 235,
    }


async def test_pmlr_fetch_known_and_discovered_volumes():
    async with Loopback() as srv:
        srv.route("/v235/", Reply.html(fixture("pmlr", "v235_excerpt.html")))
        srv.route("/", Reply.html(fixture("pmlr", "index_excerpt.html")))
        srv.route(
            "/v299/", Reply.html(fixture("pmlr", "v235_excerpt.html").replace(b"235", b"299"))
        )
        async with loopback_client(srv) as http:
            known = await pmlr.fetch_listing(http, "ICML", 2024)
            assert srv.hits("/") == []  # a known year needs no index lookup
            found = await pmlr.fetch_listing(http, "ICML", 2026)
            with pytest.raises(CollectError, match="no ICML 2027 proceedings volume yet"):
                await pmlr.fetch_listing(http, "ICML", 2027)
    assert known.main_count == 2 and known.notes == ("PMLR volume 235",)
    assert "position papers" in known.population
    assert found.notes == ("PMLR volume 299",) and found.papers[0].key == "pmlr:v299:abe24a"


def test_study_icml_totals_equal_pmlr_volume_counts():
    # The openproceedings count of each volume's div.paper entries (2026-09-27) against the study.
    counts = {2017: 434, 2018: 621, 2019: 773, 2020: 1084, 2021: 1183}
    study = study_totals()
    assert {y: study[("ICML", y)] for y in counts} == counts


# --- ECVA ---


def test_ecva_picks_one_edition_and_skips_supplementary():
    url = "https://www.ecva.net/papers.php"
    a, b, c = ecva.parse_listing(fixture("ecva", "papers_excerpt.html"), url, 2024)
    assert a.title.startswith("Is Retain Set All You Need in Machine Unlearning?")
    assert a.authors == ("Jacopo Bonato", "Marco Cotogni", "Luigi Sabetta")
    assert a.pdf_url == "https://www.ecva.net/papers/eccv_2024/papers_ECCV/papers/00004.pdf"
    assert a.key == "ecva:2024:4_ECCV_2024"
    assert (
        a.page_url == "https://www.ecva.net/papers/eccv_2024/papers_ECCV/html/4_ECCV_2024_paper.php"
    )
    assert b.title == "A Second ECCV 2024 Paper & Its Whitespace"
    assert b.authors == ("Ana Núñez", "Bo Li")
    assert c.pdf_url is None and c.main
    (ps,) = ecva.parse_listing(fixture("ecva", "papers_excerpt.html"), url, 2022)
    assert ps.pdf_url.endswith("/eccv_2022/papers_ECCV/papers/136610263.pdf")
    (terra,) = ecva.parse_listing(fixture("ecva", "papers_excerpt.html"), url, 2018)
    assert terra.authors == ("Sara Beery", "Grant Van Horn", "Pietro Perona")


async def test_ecva_fetch_and_missing_edition():
    async with Loopback() as srv:
        srv.route("/papers.php", Reply.html(fixture("ecva", "papers_excerpt.html")))
        async with loopback_client(srv) as http:
            listing = await ecva.fetch_listing(http, "ECCV", 2024)
            with pytest.raises(CollectError, match="no ECCV 2026 papers yet"):
                await ecva.fetch_listing(http, "ECCV", 2026)
    assert listing.main_count == 3 and listing.missing_pdfs() == 1
    assert not ecva.covers("ECCV", 2018) and not ecva.covers("ECCV", 2023)
