"""The paper-source registry: which source lists which venue-year, and list_papers()."""

from __future__ import annotations

import pytest

from tests.support.loopback import Loopback, Reply
from tests.support.papers_support import SHARED_FIXTURES, fixture, loopback_client
from trendbot.collectors.papers import (
    VENUES,
    CollectError,
    canonical_venue,
    list_papers,
    population,
    source_for,
)

YEARS = range(2015, 2027)


def test_every_study_venue_year_has_a_source_and_a_population():
    expected = {
        ("NeurIPS", 2019): "neurips",
        ("ICML", 2024): "pmlr",
        ("ICLR", 2020): "openreview",
        ("CVPR", 2019): "cvf",
        ("ICCV", 2023): "cvf",
        ("ECCV", 2018): "cvf",
        ("ECCV", 2024): "ecva",
        ("ACL", 2019): "acl",
        ("Findings", 2023): "acl",
    }
    for (venue, year), source in expected.items():
        assert source_for(venue, year) == source
    covered = 0
    for venue in VENUES:
        for year in YEARS:
            try:
                text = population(venue, year)
            except CollectError:
                continue
            covered += 1
            assert text and "\n" not in text
    # 2015-2026: NeurIPS, ICML, CVPR, ACL, EMNLP every year; ICLR from 2018; ICCV odd years;
    # ECCV 2018 (CVF) and 2020-2026 even years (ECVA); NAACL but 2017/2020/2023; Findings 2020 on.
    assert covered == 12 * 5 + 9 + 6 + 5 + 9 + 7
    assert "Findings" in population("Findings", 2021)
    assert "cross-check" not in population("ICLR", 2024)


def test_unknown_venues_and_years_are_one_sentence():
    assert canonical_venue("nips") == "NeurIPS" and canonical_venue(" emnlp ") == "EMNLP"
    with pytest.raises(CollectError, match="No venue called 'AAAI' can be collected"):
        source_for("AAAI", 2020)
    with pytest.raises(CollectError, match="does not list ICCV 2020"):
        population("ICCV", 2020)
    with pytest.raises(CollectError, match="does not list NeurIPS 2019"):
        population("NeurIPS", 2019, source="openreview")


async def test_list_papers_dispatches_to_the_default_source():
    async with Loopback() as srv:
        srv.route("/CVPR2019.py", Reply.html(fixture("cvf", "cvpr2019_excerpt.html")))
        srv.route("/xml/N19.xml", Reply.xml(fixture("acl", "N19_shape.xml")))
        async with loopback_client(srv) as http:
            cvpr = await list_papers(http, "cvpr", 2019)
            naacl = await list_papers(http, "NAACL", 2019)
    assert (cvpr.venue, cvpr.source, cvpr.main_count) == ("CVPR", "cvf", 3)
    assert (naacl.source, naacl.main_count) == ("acl", 2)


@pytest.mark.skipif(
    not (SHARED_FIXTURES / "cvf_openaccess").exists(), reason="shared reference material absent"
)
async def test_real_cvpr2019_page_served_on_loopback():
    page = (SHARED_FIXTURES / "cvf_openaccess" / "cvpr2019oar.html").read_bytes()
    async with Loopback() as srv:
        srv.route("/CVPR2019.py", Reply.html(page))
        async with loopback_client(srv) as http:
            listing = await list_papers(http, "CVPR", 2019)
            stats = http.stats.as_dict()
    assert listing.main_count == 1294 and listing.missing_pdfs() == 0
    assert stats["requests"] == 1 and stats["bytes"] == len(page)


async def test_a_source_fault_that_survives_retries_is_a_collect_error():
    async with Loopback() as srv:
        srv.route("/papers.php", Reply.error(503, "Service Unavailable"))
        async with loopback_client(srv) as http:
            with pytest.raises(CollectError) as err:
                await list_papers(http, "ECCV", 2022)
    assert str(err.value).startswith("Could not list ECCV 2022: ecva GET ")
    assert str(err.value).endswith("HTTP 503 from the server, still failing after 3 attempts.")
    assert err.value.__cause__.kind == "server_error"
    assert len(srv.hits("/papers.php")) == 3
