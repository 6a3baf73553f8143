"""EDIS RSS: the parser on the CONSTRUCTED feed the fixture server serves (one item per real EDIS
row of investigation 337-1414 in the samples, see ``fixture_routes_usitc``) and the spider against
that server: conditional requests, seen items, block pages, 404s, malformed XML, an empty feed."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ipsentry.config.settings import Settings
from ipsentry.core.documents import Document, Role
from ipsentry.crawlers.fixture_routes_usitc import RSS_CONTENT_TYPE, edis_item
from ipsentry.crawlers.fixture_server import BLOCK_PAGE_HTML, FixtureServer
from ipsentry.crawlers.parsers.edis_rss import parse_feed
from ipsentry.crawlers.runner import CrawlOutput, run_spider

FEED = "/external/rss/render.rss"
INNOSCIENCE_ORDERED = [
    "Innoscience (Suzhou) Semiconductor Co., Ltd.",
    "Innoscience (Suzhou) Technology Holding Co., Ltd.",
    "Innoscience (Zhuhai) Technology Company, Ltd.",
    "Innoscience America, Inc.",
]
# CONSTRUCTED: a complaint item for the real receipt notice of DN 3428 (2020-00353, Sonos, Inc.);
# the EDIS document id and dates are the test's own, the rest is that notice's.
SONOS_COMPLAINT_ROW = {
    "id": "700001",
    "document_type": "Complaint",
    "title": "Certain Audio Players and Controllers, Components Thereof, and Products Containing the Same",
    "filed_by": "Counsel for Sonos",
    "firm_organization": "Counsel's firm",
    "on_behalf_of": "Sonos, Inc.",
    "document_date": "2020-01-07",
    "official_received_date": "2020-01-07T16:30:00",
    "security_level": "Public",
}


@pytest.fixture
def edis_settings(crawl_settings: Settings, fixture_server: FixtureServer) -> Settings:
    sources = crawl_settings.sources.model_copy(update={"edis": fixture_server.url})
    return crawl_settings.model_copy(update={"sources": sources})


def _crawl(settings: Settings, work_dir: Path, state: dict[str, Any] | None = None) -> CrawlOutput:
    return run_spider("edis_rss", settings=settings, state=state or {}, work_dir=work_dir)


def _feed(server: FixtureServer) -> bytes:
    with urllib.request.urlopen(f"{server.url}{FEED}") as response:
        assert response.headers["Content-Type"] == RSS_CONTENT_TYPE
        return response.read()


def _by_id(documents: list[Document]) -> dict[str, Document]:
    return {d.native_id: d for d in documents}


# ---------------------------------------------------------------------------------------------
# Parser


def test_constructed_feed_items_become_documents_of_the_investigation(fixture_server: FixtureServer) -> None:
    parsed = parse_feed(_feed(fixture_server), url="https://edis.usitc.gov/external/rss/render.rss")
    assert parsed.problems == []
    documents = _by_id(parsed.documents)
    assert len(documents) == 11
    assert {tuple(d.case_numbers) for d in documents.values()} == {("337-TA-1414",)}
    assert {d.docket_number for d in documents.values()} == {None}
    order = documents["881608"]
    assert order.id == "edis:881608" and order.source == "edis_rss"
    assert order.title.startswith("Limited Exclusion Order for Innoscience (Suzhou) Semiconductor Co., Ltd.")
    assert order.stage == "limited_exclusion_order"
    assert [(p.name, p.role) for p in order.parties] == [(n, Role.RESPONDENT) for n in INNOSCIENCE_ORDERED]
    assert order.published.isoformat() == "2026-05-07" and order.filed.isoformat() == "2026-05-07"
    assert order.extra["document_type"] == "Order, Commission"
    assert order.extra["filed_by"] == "Lisa R. Barton"
    assert order.summary == "Document Approved : 337-1414 Violation : Doc ID 881608, Order, Commission"
    assert order.url == f"{fixture_server.url}/external/document/881608"
    cdo = documents["881605"]
    assert cdo.stage == "cease_and_desist_order"
    assert [(p.name, p.role) for p in cdo.parties] == [("Innoscience America, Inc.", Role.RESPONDENT)]
    reply = documents["874211"]  # filed on behalf of the respondents
    assert [p.name for p in reply.parties if p.role == Role.RESPONDENT] == INNOSCIENCE_ORDERED
    assert documents["872427"].stage == "review"
    assert documents["872427"].published.isoformat() == "2026-02-12"
    assert documents["891934"].stage == "other" and documents["891934"].parties == []


def test_complaint_item_is_a_receipt_under_its_docket_constructed() -> None:
    item = edis_item(SONOS_COMPLAINT_ROW, edis_number="337-3428")
    feed = f"<rss version='2.0'><channel><item>{''.join(f'<{k}>{v}</{k}>' for k, v in item.items())}</item>"
    [document] = parse_feed((feed + "</channel></rss>").encode()).documents
    assert document.id == "edis:700001"
    assert document.case_numbers == [] and document.docket_number == "DN 3428"
    assert document.stage == "receipt_of_complaint"
    assert document.products == [SONOS_COMPLAINT_ROW["title"]]
    assert [(p.name, p.role) for p in document.parties] == [("Sonos, Inc.", Role.COMPLAINANT)]
    assert document.published.isoformat() == "2020-01-07"


def test_malformed_feed_yields_what_can_be_recovered(fixture_server: FixtureServer) -> None:
    whole = _feed(fixture_server)
    cut = whole[: whole.index(b"<item>", whole.index(b"<item>", whole.index(b"<item>") + 1) + 1) + 40]
    parsed = parse_feed(cut, url="feed")
    # The feed is cut inside the third item's title: two whole items, and the stump is reported.
    malformed, stump = parsed.problems
    assert malformed.record == "feed" and malformed.reason.startswith("malformed XML")
    assert malformed.reason.endswith("; 3 item(s) recovered")
    assert stump.reason == "not a Section 337 EDIS item: 'Document Approved :'"
    assert [d.native_id for d in parsed.documents] == ["891934", "884998"]


def test_item_without_a_337_number_is_a_problem() -> None:
    feed = b"<rss><channel><item><title>Document Approved : 731-1234 Final : Doc ID 5, Brief</title></item>"
    parsed = parse_feed(feed + b"</channel></rss>")
    assert parsed.documents == []
    assert parsed.problems[0].reason.startswith("not a Section 337 EDIS item")


# ---------------------------------------------------------------------------------------------
# Spider


def test_spider_reads_the_feed_and_a_second_run_fetches_nothing_new(
    fixture_server: FixtureServer, edis_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(edis_settings, tmp_path / "a")
    assert first.ok, first.stats
    assert len(first.documents) == 11
    assert first.state["seen"][0] == "891934" and len(first.state["seen"]) == 11
    assert first.state["etag"].startswith('"')
    second = _crawl(edis_settings, tmp_path / "b", state=first.state)
    assert second.ok and second.documents == []
    assert second.stats["source"]["not_modified"] == 1
    requests = fixture_server.requests_to(FEED)
    assert len(requests) == 2
    assert requests[0] == f"{FEED}?criteria=CRITERIONAOIDEL%3A8%3A13%3ACRITERIONANOTIFY%3Atrue"


def test_a_new_complaint_in_the_feed_is_the_only_document_of_the_next_run(
    fixture_server: FixtureServer, edis_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(edis_settings, tmp_path / "a")
    fixture_server.sources["edis_rss"].add_item(edis_item(SONOS_COMPLAINT_ROW, edis_number="337-3428"))
    second = _crawl(edis_settings, tmp_path / "b", state=first.state)
    assert second.ok
    [complaint] = second.documents
    assert complaint.docket_number == "DN 3428" and complaint.stage == "receipt_of_complaint"
    assert second.stats["source"]["skipped_seen"] == 11
    assert second.state["seen"][-1] == "700001"


def test_block_page_fails_the_run_and_keeps_the_state(
    fixture_server: FixtureServer, edis_settings: Settings, tmp_path: Path
) -> None:
    fixture_server.fail_next(
        FEED, status=200, retry_after=None, body=BLOCK_PAGE_HTML, content_type="text/html"
    )
    output = _crawl(edis_settings, tmp_path / "a", state={"seen": ["1"]})
    assert not output.ok and output.documents == []
    assert output.stats["source"]["block_pages"] == 1
    assert output.state == {"seen": ["1"]}


def test_missing_feed_is_counted_and_not_fatal(
    fixture_server: FixtureServer, edis_settings: Settings, tmp_path: Path
) -> None:
    fixture_server.fail_next(FEED, status=404, retry_after=None, body=b"Not Found")
    output = _crawl(edis_settings, tmp_path / "a")
    assert output.stats["finish_reason"] == "finished"
    assert not output.ok and output.documents == []
    assert output.stats["source"]["errors/http_404"] == 1
    assert len(fixture_server.requests_to(FEED)) == 1  # a 404 is not retried


def test_malformed_feed_keeps_no_validators_so_the_next_run_reads_it_whole(
    fixture_server: FixtureServer, edis_settings: Settings, tmp_path: Path
) -> None:
    whole = _feed(fixture_server)
    cut = whole[: whole.index(b"</item>") + len(b"</item>")]  # the download stops after one item
    fixture_server.fail_next(FEED, status=200, retry_after=None, body=cut, content_type=RSS_CONTENT_TYPE)
    first = _crawl(edis_settings, tmp_path / "a")
    assert first.ok
    assert [d.native_id for d in first.documents] == ["891934"]
    assert first.stats["source"]["malformed"] == 1
    assert "etag" not in first.state
    second = _crawl(edis_settings, tmp_path / "b", state=first.state)
    assert len(second.documents) == 10 and second.stats["source"]["skipped_seen"] == 1


def test_empty_feed_is_counted(
    fixture_server: FixtureServer, edis_settings: Settings, tmp_path: Path
) -> None:
    fixture_server.sources["edis_rss"].items = []
    output = _crawl(edis_settings, tmp_path / "a")
    assert output.ok and output.documents == []
    assert output.stats["source"]["empty_feed"] == 1
