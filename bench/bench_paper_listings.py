"""Paper listings end to end over loopback: real pages served by a local aiohttp server.

Serves the team's real reference material (the CVPR 2019 CVF page, the ACL Anthology XML of
ACL 2019, ACL 2020 and EMNLP 2020) from 127.0.0.1, lists each venue-year with the real HTTP
client and parsers (``list_papers``), and prints the main-population count against the 2019
study's total, the tracks, the wall time and the HTTP stats. It also measures the event loop's
largest stall while listing, to show the parsing runs off the loop.

Needs ``../shared`` (the reference material); the project's tests do not.
Run: ``python bench/bench_paper_listings.py`` (a few seconds).
"""

from __future__ import annotations

import asyncio
import csv
import sys
import time
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.loopback import Loopback, Reply  # noqa: E402
from tests.support.papers_support import loopback_client  # noqa: E402
from trendbot.collectors.papers import list_papers  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "fixtures"
CASES = [
    ("CVPR", 2019, "/CVPR2019.py", SHARED / "cvf_openaccess" / "cvpr2019oar.html"),
    ("ACL", 2019, "/xml/P19.xml", SHARED / "acl_anthology" / "P19.xml"),
    ("ACL", 2020, "/xml/2020.acl.xml", SHARED / "acl_anthology" / "2020.acl.xml"),
    ("EMNLP", 2020, "/xml/2020.emnlp.xml", SHARED / "acl_anthology" / "2020.emnlp.xml"),
]


def study() -> dict[tuple[str, int], int]:
    text = files("trendbot.storage").joinpath("seed/paper_counts.csv").read_text()
    return {
        (r["venue"], int(r["year"])): int(r["total_papers"])
        for r in csv.DictReader(text.splitlines())
        if r["method"] == "he2019-final"
    }


async def stall_probe(stop: asyncio.Event, worst: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.001)
        worst[0] = max(worst[0], time.perf_counter() - started - 0.001)


async def main() -> None:
    if not SHARED.exists():
        sys.exit(f"{SHARED} is not here: this benchmark serves the shared reference pages.")
    totals = study()
    async with Loopback() as srv:
        for _, _, path, file in CASES:
            srv.route(path, Reply.html(file.read_bytes()))
        async with loopback_client(srv) as http:
            for venue, year, _, file in CASES:
                stop, worst = asyncio.Event(), [0.0]
                probe = asyncio.create_task(stall_probe(stop, worst))
                started = time.perf_counter()
                listing = await list_papers(http, venue, year)
                elapsed = time.perf_counter() - started
                stop.set()
                await probe
                print(
                    f"{venue} {year}: main {listing.main_count} (study {totals[(venue, year)]}), "
                    f"tracks {listing.tracks()}, {file.stat().st_size / 1e6:.1f} MB in "
                    f"{elapsed * 1000:.0f} ms, largest loop stall {worst[0] * 1000:.1f} ms"
                )
            print("HTTP stats:", http.stats.as_dict())


if __name__ == "__main__":
    asyncio.run(main())
