"""CVF Open Access listings: the real CVPR 2019 page, the 2021+ form, day pages, loopback."""

from __future__ import annotations

import pytest

from tests.support.loopback import Loopback, Reply
from tests.support.papers_support import SHARED_FIXTURES, fixture, loopback_client, study_totals
from trendbot.collectors.papers import cvf
from trendbot.collectors.papers.base import CollectError

REAL_CVPR2019 = SHARED_FIXTURES / "cvf_openaccess" / "cvpr2019oar.html"


def test_listing_paths_by_year():
    assert cvf.listing_path("CVPR", 2019) == "/CVPR2019.py"
    assert cvf.listing_path("CVPR", 2020) == "/CVPR2020.py"
    assert cvf.listing_path("CVPR", 2024) == "/CVPR2024?day=all"
    assert cvf.listing_path("ICCV", 2023) == "/ICCV2023?day=all"
    assert cvf.listing_path("ECCV", 2018) == "/ECCV2018.py"
    for venue, year in (("ICCV", 2022), ("ECCV", 2020), ("CVPR", 2012)):
        assert not cvf.covers(venue, year)
        with pytest.raises(CollectError, match="no"):
            cvf.listing_path(venue, year)


def test_parse_cvpr2019_excerpt():
    papers = cvf.parse_listing(
        fixture("cvf", "cvpr2019_excerpt.html"),
        "http://openaccess.thecvf.com/CVPR2019.py",
        "CVPR",
        2019,
    )
    assert len(papers) == 3
    first = papers[0]
    assert (
        first.title == "Finding Task-Relevant Features for Few-Shot Learning by Category Traversal"
    )
    assert first.authors == (
        "Hongyang Li",
        "David Eigen",
        "Samuel Dodge",
        "Matthew Zeiler",
        "Xiaogang Wang",
    )
    stem = "Li_Finding_Task-Relevant_Features_for_Few-Shot_Learning_by_Category_Traversal_CVPR_2019"
    assert first.key == f"cvf:{stem}"
    assert (
        first.pdf_url == f"http://openaccess.thecvf.com/content_CVPR_2019/papers/{stem}_paper.pdf"
    )
    assert all(p.main and p.track == "main" for p in papers)
    assert len({p.key for p in papers}) == 3


def test_parse_2021_form_relative_links_entities_and_missing_pdf():
    url = "https://openaccess.thecvf.com/CVPR2024?day=all"
    a, b, c = cvf.parse_listing(fixture("cvf", "cvpr2024_day_all_excerpt.html"), url, "CVPR", 2024)
    assert a.pdf_url == (
        "https://openaccess.thecvf.com/content/CVPR2024/papers/Liang_Rich_Human_"
        "Feedback_for_Text-to-Image_Generation_CVPR_2024_paper.pdf"
    )
    assert a.authors == ("Youwei Liang", "Junfeng He")
    assert b.title == 'Seeing the Unseen: Occlusion & Motion in "Wild" Video'
    assert b.authors == ("Anna Zhang", "José Álvarez-Núñez")
    assert c.pdf_url is None and c.main and "no PDF" in c.note


@pytest.mark.skipif(not REAL_CVPR2019.exists(), reason="shared reference material not present")
def test_real_cvpr2019_page_gives_the_study_total():
    papers = cvf.parse_listing(
        REAL_CVPR2019.read_bytes(), "http://openaccess.thecvf.com/CVPR2019.py", "CVPR", 2019
    )
    assert len(papers) == 1294 == study_totals()[("CVPR", 2019)]
    assert len({p.key for p in papers}) == 1294
    assert all(p.pdf_url and p.pdf_url.endswith("_paper.pdf") for p in papers)
    assert all(p.title and p.authors for p in papers)


async def test_fetch_listing_over_loopback_2019_and_2024():
    async with Loopback() as srv:
        srv.route("/CVPR2019.py", Reply.html(fixture("cvf", "cvpr2019_excerpt.html")))
        srv.route("/CVPR2024", Reply.html(fixture("cvf", "cvpr2024_day_all_excerpt.html")))
        async with loopback_client(srv) as http:
            old = await cvf.fetch_listing(http, "CVPR", 2019)
            new = await cvf.fetch_listing(http, "CVPR", 2024)
    assert old.main_count == 3 and old.urls == (srv.url("/CVPR2019.py"),)
    assert new.main_count == 3 and new.missing_pdfs() == 1
    assert new.papers[0].pdf_url.startswith(srv.base + "/content/CVPR2024/papers/")
    assert srv.hits("/CVPR2024")[0].query == {"day": "all"}
    assert "accepted main-conference" in new.population


async def test_day_pages_are_followed_when_the_listing_shows_days():
    day1 = fixture("cvf", "cvpr2019_excerpt.html")
    day2 = fixture("cvf", "cvpr2024_day_all_excerpt.html")

    def by_day(request):
        return Reply.html(
            {"2020-06-16": day1, "2020-06-17": day2}.get(
                request.query.get("day", ""), fixture("cvf", "cvpr2020_days.html")
            )
        )

    async with Loopback() as srv:
        srv.route("/CVPR2020.py", Reply.html(fixture("cvf", "cvpr2020_days.html")))
        srv.handler("/CVPR2020", by_day)
        async with loopback_client(srv) as http:
            listing = await cvf.fetch_listing(http, "CVPR", 2020)
    assert listing.main_count == 6
    assert [r.query.get("day") for r in srv.hits("/CVPR2020")] == ["2020-06-16", "2020-06-17"]


async def test_empty_listing_is_one_clear_sentence():
    async with Loopback() as srv:
        srv.route("/ICCV2025", Reply.html("<html><body><h3>Papers</h3><dl></dl></body></html>"))
        async with loopback_client(srv) as http:
            with pytest.raises(CollectError, match=r"lists no papers; .* not be published yet\.$"):
                await cvf.fetch_listing(http, "ICCV", 2025)
