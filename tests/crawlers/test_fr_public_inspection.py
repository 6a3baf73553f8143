"""Federal Register public-inspection documents: the parser, and the spider against the fixture
server's CONSTRUCTED public-inspection desk (each real notice of the samples put on inspection the
business day before its real publication date, see ``fixture_routes_fr_public_inspection``); and
the published notice updating the public-inspection document in the index instead of duplicating it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ipsentry.config.settings import Settings
from ipsentry.crawlers.fixture_routes_fr_public_inspection import available_on
from ipsentry.crawlers.fixture_server import BLOCK_PAGE_HTML, JSON, FixtureServer
from ipsentry.crawlers.parsers.fr_public_inspection import parse_public_inspection
from ipsentry.crawlers.runner import CrawlOutput, run_spider

SEARCH = "/api/v1/public-inspection-documents.json"
INNOSCIENCE = "2026-02297"  # on inspection 2026-02-04, published 2026-02-05 (337-TA-1414)


def _crawl(
    settings: Settings, work_dir: Path, state: dict[str, Any] | None = None, **dates: date
) -> CrawlOutput:
    return run_spider(
        "fr_public_inspection", settings=settings, state=state or {}, work_dir=work_dir, **dates
    )  # type: ignore[arg-type]


def _days(server: FixtureServer, start: int = 0) -> list[str]:
    """The available_on days the spider asked for, in order."""
    paths = [p for _, p in server.requests[start:] if p.startswith(SEARCH)]
    return [p.split("conditions%5Bavailable_on%5D=")[1].split("&")[0] for p in paths]


def _record(**changes: Any) -> dict[str, Any]:
    """A public-inspection record of the real notice 2026-02297 (its fixture form)."""
    record: dict[str, Any] = {
        "document_number": INNOSCIENCE,
        "title": "Certain Semiconductor Devices and Products Containing the Same; Notice of a Commission "
        "Determination To Review in Part a Final Initial Determination Finding a Violation; Request for "
        "Written Submissions on Remedy, the Public Interest, and Bonding",
        "type": "Notice",
        "agencies": [{"name": "International Trade Commission", "slug": "international-trade-commission"}],
        "agency_names": ["International Trade Commission"],
        "docket_numbers": [],
        "filed_at": "2026-02-04T08:45:00.000-05:00",
        "filing_type": "regular",
        "publication_date": "2026-02-05",
        "html_url": "https://www.federalregister.gov/public-inspection/2026-02297/certain-semiconductor-devices",
        "pdf_url": "https://public-inspection.federalregister.gov/2026-02297.pdf",
        "editorial_note": None,
    }
    record.update(changes)
    return record


# ---------------------------------------------------------------------------------------------
# Parser


def test_record_becomes_the_document_its_published_notice_will_update() -> None:
    parsed = parse_public_inspection(json.dumps({"count": 1, "results": [_record()]}).encode(), url="pi")
    assert parsed.problems == []
    [document] = parsed.documents
    assert document.id == "fr:2026-02297" and document.source == "fr_public_inspection"
    assert document.stage == "review"
    assert document.products == ["Certain Semiconductor Devices and Products Containing the Same"]
    assert document.published == date(2026, 2, 5)
    assert (
        document.url
        == "https://www.federalregister.gov/public-inspection/2026-02297/certain-semiconductor-devices"
    )
    assert document.case_numbers == [] and document.parties == []  # no text before publication
    assert document.extra["public_inspection"] is True
    assert document.extra["filed_at"] == "2026-02-04T08:45:00.000-05:00"
    assert document.extra["pdf_url"] == "https://public-inspection.federalregister.gov/2026-02297.pdf"


def test_agency_docket_line_gives_the_investigation_number_constructed() -> None:
    # CONSTRUCTED docket line in the agency's own form (the samples hold no public-inspection record).
    record = _record(docket_numbers=["Investigation No. 337-TA-1414"])
    [document] = parse_public_inspection(json.dumps([record]).encode()).documents
    assert document.case_numbers == ["337-TA-1414"]


def test_withdrawn_filing_is_marked_constructed() -> None:
    record = _record(editorial_note="This document was withdrawn by the agency.")
    [document] = parse_public_inspection(json.dumps([record]).encode()).documents
    assert document.extra["withdrawn"] is True


def test_bad_records_and_responses_are_problems() -> None:
    other_agency = _record(document_number="2026-99999", agencies=[{"name": "Commerce Department"}])
    parsed = parse_public_inspection(json.dumps({"count": 2, "results": [other_agency, "x"]}).encode())
    assert parsed.documents == []
    assert [p.reason for p in parsed.problems] == [
        "not a USITC document (agencies: Commerce Department)",
        "record is a str, not an object",
    ]
    assert parse_public_inspection(b'{"count": 0}').documents == []
    assert parse_public_inspection(b'{"count": 0}').problems == []
    assert parse_public_inspection(b'{"count": 1, "results": [').problems[0].reason.startswith("not JSON")
    errors = parse_public_inspection(b'{"errors": {"available_on": ["is not a valid date"]}}')
    assert errors.problems[0].reason.startswith("API error")


def test_fixture_desk_is_the_business_day_before_publication() -> None:
    assert available_on(date(2026, 2, 5)) == date(2026, 2, 4)  # Thursday's issue: Wednesday
    assert available_on(date(2026, 2, 2)) == date(2026, 1, 30)  # Monday's issue: the Friday before


# ---------------------------------------------------------------------------------------------
# Spider


def test_spider_reads_day_by_day_and_a_second_run_fetches_nothing_new(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(crawl_settings, tmp_path / "a", since=date(2026, 1, 28), until=date(2026, 1, 30))
    assert first.ok, first.stats
    # Friday 30 January: three notices for Monday's issue.  The ones of the 28th and 29th were
    # published by the 30th: the Federal Register spider has them, the thinner copy is not yielded.
    assert sorted(d.native_id for d in first.documents) == ["2026-01954", "2026-01968", "2026-02051"]
    assert {d.published for d in first.documents} == {date(2026, 2, 2)}
    assert first.stats["source"]["already_published"] == 2
    assert _days(fixture_server) == ["2026-01-28", "2026-01-29", "2026-01-30"]
    assert first.state["last_day"] == "2026-01-30"
    assert first.state["seen"] == {"2026-01-30": ["2026-01954", "2026-01968", "2026-02051"]}
    assert list(first.state["etags"]) == ["2026-01-30"]
    before = len(fixture_server.requests)
    second = _crawl(crawl_settings, tmp_path / "b", state=first.state, until=date(2026, 1, 30))
    assert second.ok and second.documents == []
    assert _days(fixture_server, before) == ["2026-01-30"]  # the last day again, answered 304
    assert second.stats["source"]["not_modified"] == 1


def test_next_run_continues_from_the_last_day(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(crawl_settings, tmp_path / "a", since=date(2026, 1, 30), until=date(2026, 1, 30))
    before = len(fixture_server.requests)
    second = _crawl(crawl_settings, tmp_path / "b", state=first.state, until=date(2026, 2, 4))
    assert second.ok
    assert _days(fixture_server, before) == [
        "2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02", "2026-02-03", "2026-02-04",
    ]  # fmt: skip
    [innoscience] = second.documents
    assert innoscience.id == "fr:2026-02297" and innoscience.published == date(2026, 2, 5)
    assert second.stats["source"]["empty_days"] == 3  # the weekend and the 3rd
    assert second.stats["source"]["not_modified"] == 1


TRUNCATED = b'{"count": 1, "results": [{"docum'
FAULTS = {
    "503": ({"status": 503, "retry_after": 0.05, "times": 5}, "errors/http_503"),
    "truncated JSON": (
        {"status": 200, "retry_after": None, "body": TRUNCATED, "content_type": JSON},
        "malformed",
    ),
    "block page": (
        {"status": 200, "retry_after": None, "body": BLOCK_PAGE_HTML, "content_type": "text/html"},
        "block_pages",
    ),
    "400": (
        {"status": 400, "retry_after": None, "body": b'{"errors": {"x": ["bad"]}}', "content_type": JSON},
        "errors/http_400",
    ),
}


@pytest.mark.parametrize(("fault", "kind"), list(FAULTS.values()), ids=list(FAULTS))
def test_a_day_the_source_does_not_answer_is_searched_again_next_run(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path, fault: dict[str, Any], kind: str
) -> None:
    fixture_server.fail_next(SEARCH, **fault)
    first = _crawl(crawl_settings, tmp_path / "a", since=date(2026, 2, 4), until=date(2026, 2, 4))
    assert first.stats["finish_reason"] == "finished"
    assert not first.ok and first.documents == []
    assert first.stats["source"][kind] == 1
    assert first.state["retry_days"] == ["2026-02-04"] and first.state["etags"] == {}
    second = _crawl(crawl_settings, tmp_path / "b", state=first.state, until=date(2026, 2, 4))
    assert second.ok and [d.native_id for d in second.documents] == [INNOSCIENCE]
    assert second.state["retry_days"] == []


def test_published_notice_updates_the_public_inspection_document(app_context: Any, tmp_path: Path) -> None:
    from ipsentry.service.ingest import ingest

    settings = app_context.settings.model_copy(update={"federal_register_max_rps": 50})
    early = _crawl(settings, tmp_path / "pi", since=date(2026, 2, 4), until=date(2026, 2, 4))
    assert [d.id for d in early.documents] == ["fr:2026-02297"]
    first = ingest(app_context, early.documents)
    assert first.created == ["fr:2026-02297"]
    stored = app_context.index.get("fr:2026-02297")
    assert stored.source == "fr_public_inspection" and stored.case_numbers == []

    published = run_spider(
        "federal_register",
        settings=settings,
        state={},
        since=date(2026, 2, 1),
        until=date(2026, 2, 28),
        work_dir=tmp_path / "fr",
    )
    assert published.ok and len(published.documents) == 5
    second = ingest(app_context, published.documents)
    assert second.updated == ["fr:2026-02297"] and len(second.created) == 4
    assert app_context.index.count() == 5  # one document per notice, not six
    stored = app_context.index.get("fr:2026-02297")
    assert stored.source == "federal_register"
    assert stored.case_numbers == ["337-TA-1414"]
    assert stored.url.startswith("https://www.federalregister.gov/documents/2026/02/05/2026-02297/")
    assert "public_inspection" not in stored.extra
