"""ACL Anthology collections: ids, volumes → tracks, main population, real XML totals."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support.loopback import Loopback, Reply
from tests.support.papers_support import SHARED_FIXTURES, fixture, loopback_client, study_totals
from trendbot.collectors.papers import acl_anthology as acl
from trendbot.collectors.papers.base import CollectError

PDF = "https://aclanthology.org"
REAL = SHARED_FIXTURES / "acl_anthology"
needs_shared = pytest.mark.skipif(not REAL.exists(), reason="shared reference material not present")


def test_collection_ids_old_new_and_findings():
    assert acl.collection_id("ACL", 2019) == "P19"
    assert acl.collection_id("EMNLP", 2015) == "D15"
    assert acl.collection_id("NAACL", 2019) == "N19"
    assert acl.collection_id("ACL", 2020) == "2020.acl"
    assert acl.collection_id("NAACL", 2024) == "2024.naacl"
    assert acl.collection_id("Findings", 2023) == "2023.findings"
    with pytest.raises(CollectError, match="NAACL did not meet in 2023"):
        acl.collection_id("NAACL", 2023)
    with pytest.raises(CollectError):
        acl.collection_id("Findings", 2019)


def test_volume_tracks_from_ids_and_booktitles():
    assert acl.volume_track("2023.acl", "long", "") == "long"
    assert acl.volume_track("2021.naacl", "main", "") == "main"
    assert acl.volume_track("2020.emnlp", "demos", "") == "demo"
    assert acl.volume_track("2024.naacl", "industry", "") == "industry"
    assert acl.volume_track("2022.findings", "emnlp", "") == "findings-emnlp"
    assert acl.volume_track("P18", "2", "Proceedings of ... (Volume 2: Short Papers)") == "short"
    assert acl.volume_track("P18", "1", "Proceedings of ... (Volume 1: Long Papers)") == "long"
    assert (
        acl.volume_track("P19", "1", "Proceedings of the 57th Annual Meeting of the ACL") == "main"
    )
    assert acl.volume_track("P19", "2", "Proceedings of ...: Student Research Workshop") == "srw"
    assert acl.volume_track("D19", "55", "Proceedings of the 2nd Workshop on X") == "workshop"
    assert acl.volume_track("D19", "66", "Proceedings of the Beyond Vision (LANTERN)") == "other"


def test_p19_excerpt_main_volume_and_other_tracks():
    papers, tracks = acl.parse_collection(fixture("acl", "P19_excerpt.xml"), "ACL", 2019, PDF)
    assert tracks == {"1": "main", "2": "srw", "3": "demo", "4": "tutorial"}
    assert [p.key for p in papers if p.main] == ["acl:P19-1001", "acl:P19-1002", "acl:P19-1003"]
    first = papers[0]
    assert first.pdf_url == "https://aclanthology.org/P19-1001.pdf"
    assert first.authors[:2] == ("Chongyang Tao", "Wei Wu")
    third = papers[2]
    assert third.title == "Improving Multi-turn Dialogue Modelling with Utterance ReWriter"
    assert not any(p.key.endswith("-1000") for p in papers)  # front matter skipped


def test_n19_shape_industry_volume_is_not_main():
    papers, tracks = acl.parse_collection(fixture("acl", "N19_shape.xml"), "NAACL", 2019, PDF)
    assert tracks == {"1": "main", "2": "industry", "3": "srw", "4": "demo", "5": "tutorial"}
    main = [p for p in papers if p.main]
    assert [p.key for p in main] == ["acl:N19-1001", "acl:N19-1423"]
    bert = main[1]
    assert bert.title.startswith("BERT: Pre-training of Deep Bidirectional Transformers")
    assert bert.authors == ("Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova")
    assert papers[-2].authors == ("Mononym",)


def test_findings_volumes_marks_and_frontmatter():
    papers, tracks = acl.parse_collection(
        fixture("acl", "2022.findings_shape.xml"), "Findings", 2022, PDF
    )
    assert set(tracks.values()) == {
        "findings-acl",
        "findings-naacl",
        "findings-aacl",
        "findings-emnlp",
    }
    by_key = {p.key: p for p in papers}
    assert "acl:2022.findings-acl.0" not in by_key
    assert by_key["acl:2022.findings-acl.1"].title == "A Findings Paper with an & in Its Title"
    assert (
        by_key["acl:2022.findings-acl.2"].main
        and "retracted" in by_key["acl:2022.findings-acl.2"].note
    )
    assert not by_key["acl:2022.findings-naacl.2"].main  # removed
    assert not by_key["acl:2022.findings-aacl.1"].main  # Findings of AACL: recorded only
    assert sum(p.main for p in papers) == 4


def test_malformed_xml_is_one_sentence():
    with pytest.raises(CollectError, match=r"^The ACL Anthology XML for ACL 2019 is malformed"):
        acl.parse_collection(b"<collection><volume>", "ACL", 2019, PDF)


def test_entities_are_not_expanded():
    bomb = b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaa">]><collection>&a;</collection>'
    with pytest.raises(CollectError, match="refuses to expand"):
        acl.parse_collection(bomb, "ACL", 2019, PDF)


@needs_shared
@pytest.mark.parametrize(
    ("name", "venue", "year", "main", "tracks"),
    [
        ("P19.xml", "ACL", 2019, 660, {"main": 660, "srw": 60, "demo": 34, "tutorial": 9}),
        ("2020.acl.xml", "ACL", 2020, 778, {"main": 778, "demo": 43, "srw": 42, "tutorial": 8}),
        ("2020.emnlp.xml", "EMNLP", 2020, 751, {"main": 751, "demo": 29, "tutorial": 7}),
    ],
)
def test_real_collections_against_the_study(name, venue, year, main, tracks):
    papers, _ = acl.parse_collection((REAL / name).read_bytes(), venue, year, PDF)
    assert sum(p.main for p in papers) == main
    assert dict(Counter(p.track for p in papers)) == tracks
    assert all(p.pdf_url and p.title and p.authors for p in papers if p.main)
    study = study_totals()[(venue, year)]
    if (venue, year) == ("ACL", 2019):
        # Documented difference: the study's 720 = P19-1 (660) + the Student Research Workshop (60).
        assert study == main + tracks["srw"] == 720
    else:
        assert study == main


async def test_fetch_listing_over_loopback_and_404():
    async with Loopback() as srv:
        srv.route("/xml/N19.xml", Reply.xml(fixture("acl", "N19_shape.xml")))
        srv.route("/xml/2026.naacl.xml", Reply.error(404, "404: Not Found"))
        async with loopback_client(srv) as http:
            listing = await acl.fetch_listing(http, "NAACL", 2019)
            with pytest.raises(CollectError, match=r"no collection 2026\.naacl .*answered 404"):
                await acl.fetch_listing(http, "NAACL", 2026)
    assert listing.main_count == 2
    assert listing.tracks() == {"main": 2, "industry": 1, "srw": 1, "demo": 1, "tutorial": 1}
    assert listing.papers[1].pdf_url == srv.base + "/N19-1423.pdf"
    assert listing.notes == ("main volumes: N19-1",)
    assert "long and short" in listing.population


async def test_truncated_xml_is_retried():
    body = fixture("acl", "P19_excerpt.xml")
    async with Loopback() as srv:
        srv.route("/xml/P19.xml", Reply.truncated(body), Reply.xml(body))
        async with loopback_client(srv) as http:
            listing = await acl.fetch_listing(http, "ACL", 2019)
            assert http.stats.faults["truncated"] == 1
    assert listing.main_count == 3
