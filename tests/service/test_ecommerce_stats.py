"""Aggregates for the guidance center over ingested, parsed e-commerce documents: the REAL
caption list and RECAP docket XML samples, the CONSTRUCTED N.D. Ill. / S.D. Fla. PACER feeds
(real Schedule A captions, made-up entries) and the CONSTRUCTED CourtListener search page
(real captions, made-up entries and firms) of the fixture server."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ipsentry.config.settings import Settings
from ipsentry.core.documents import Document
from ipsentry.crawlers.fixture_routes_pacer import PacerFixture
from ipsentry.crawlers.fixture_server import FixtureServer
from ipsentry.crawlers.parsers.case_captions import parse_captions
from ipsentry.crawlers.parsers.courtlistener import parse_search
from ipsentry.crawlers.parsers.pacer_rss import parse_feed
from ipsentry.crawlers.parsers.recap_docket import parse_docket_xml
from ipsentry.service.context import AppContext, build_context
from ipsentry.service.ecommerce_stats import (
    MonthCourt,
    Ranked,
    cases_from_documents,
    ecommerce_stats,
)
from ipsentry.service.ingest import ingest


def _parsed_documents(samples_dir: Path, server: FixtureServer) -> list[Document]:
    folder = samples_dir / "ecommerce"
    documents = parse_captions((folder / "us_ip_case_captions.json").read_bytes()).documents
    documents += parse_docket_xml(
        (folder / "recap_ia_docket_xml_cacd_trademark_840.xml").read_bytes()
    ).documents
    pacer: PacerFixture = server.sources["pacer"]
    for court in ("ilnd", "flsd"):
        feed = pacer.feed(court)
        assert feed is not None
        # What the PACER spider keeps of a feed: the Schedule A entries.
        documents += [d for d in parse_feed(feed[0], court=court).documents if d.extra["schedule_a"]]
    request = urllib.request.Request(
        f"{server.url}/api/rest/v4/search/?type=r&court=ilnd+flsd", headers={"Authorization": "Token t"}
    )
    with urllib.request.urlopen(request) as response:
        documents += parse_search(response.read(), site=server.url).documents
    return documents


@pytest.fixture
def context(settings: Settings, samples_dir: Path, fixture_server: FixtureServer) -> Iterator[AppContext]:
    built = build_context(settings)
    ingest(built, _parsed_documents(samples_dir, fixture_server))
    yield built
    built.close()


def test_cases_per_month_and_court_plaintiffs_brands_firms_and_stages(context: AppContext) -> None:
    stats = ecommerce_stats(context.index)

    # Three Schedule A cases (N.D. Ill. x2, S.D. Fla.), the C.D. Cal. copyright caption and the
    # C.D. Cal. trademark docket of the RECAP sample; the TTAB proceedings are not suits.
    assert stats.cases == 5 and stats.schedule_a_cases == 3
    assert stats.per_month_court == [
        MonthCourt("2017-02", "cacd", 1),
        MonthCourt("2023-12", "cacd", 1),
        MonthCourt("2024-01", "flsd", 1),
        MonthCourt("2024-03", "ilnd", 1),
        MonthCourt("2024-04", "ilnd", 1),
    ]
    assert stats.plaintiffs == [
        Ranked("Dahdoul Textiles, Inc.", 1),
        Ranked("General Motors LLC", 1),
        Ranked("GoPro, Inc.", 1),
        Ranked("ORZ, GmbH and Co. KG", 1),
        Ranked("River Light V, LP", 1),
    ]
    assert stats.law_firms == [
        Ranked("Greer, Burns & Crain", 2),
        Ranked("Stephen M. Gaffigan, P.A.", 1),
        Ranked("Wilson Keadjian Browndorf LLP", 1),
    ]
    assert stats.brands == [
        Ranked("General Motors", 1),
        Ranked("GM", 1),
        Ranked("GoPro", 1),
        Ranked("ORZ", 1),
        Ranked("River Light V", 1),
        Ranked("TORY BURCH", 1),
    ]
    # Every case was filed; the Schedule A ones reached a TRO, none a PI or judgment yet.
    assert stats.stages == {
        "complaint": 5,
        "tro_motion": 3,
        "tro_granted": 3,
        "preliminary_injunction": 0,
        "default": 0,
        "default_judgment": 0,
        "dismissal": 0,
        "settlement": 0,
    }


def test_filters_by_court_filing_date_and_schedule_a(context: AppContext) -> None:
    ilnd = ecommerce_stats(context.index, courts=["ILND"])
    assert ilnd.cases == 2 and [p.name for p in ilnd.plaintiffs] == [
        "General Motors LLC",
        "River Light V, LP",
    ]
    assert ilnd.law_firms == [Ranked("Greer, Burns & Crain", 2)]

    recent = ecommerce_stats(context.index, since=date(2024, 1, 1), until=date(2024, 3, 31))
    assert [(row.month, row.court) for row in recent.per_month_court] == [
        ("2024-01", "flsd"),
        ("2024-03", "ilnd"),
    ]

    schedule_a = ecommerce_stats(context.index, schedule_a_only=True, top=2)
    assert schedule_a.cases == 3 and len(schedule_a.brands) == 2
    assert schedule_a.stages["tro_granted"] == 3


def test_a_case_is_one_case_whatever_the_number_of_its_documents(
    samples_dir: Path, fixture_server: FixtureServer
) -> None:
    cases = {case.id: case for case in cases_from_documents(_parsed_documents(samples_dir, fixture_server))}

    river = cases["ilnd:1:24-cv-03089"]
    assert river.documents == 1 + 3 + 1  # the caption record, three feed entries, the docket
    assert river.filed == date(2024, 4, 17) and river.court == "ilnd"
    assert river.brands == ["River Light V", "TORY BURCH"]
    assert river.stages == {"complaint", "tro_motion", "tro_granted"}
    orz = cases["cacd:5:17-cv-00291"]
    assert orz.stages == {"complaint"} and orz.law_firms == ["Wilson Keadjian Browndorf LLP"]
    assert "ttab:OPP-91289649" not in cases  # a trademark proceeding, not an e-commerce suit
