"""USITC IDS ``investigations.json``: the parser on the CONSTRUCTED snapshot the fixture server
serves (built from real case data in the samples, see ``fixture_routes_usitc``) and the spider
against that server: conditional requests, changed cases only, and snapshots refused when cut short."""

from __future__ import annotations

import copy
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ipsentry.config.settings import Settings
from ipsentry.core.documents import Document, Role
from ipsentry.crawlers.fixture_server import BLOCK_PAGE_HTML, JSON, FixtureServer
from ipsentry.crawlers.parsers.usitc_ids import (
    SnapshotError,
    documents_from_rows,
    load_snapshot,
    parse_investigations,
)
from ipsentry.crawlers.runner import CrawlOutput, run_spider
from ipsentry.crawlers.spiders.usitc_ids import _dropped

FEED = "/investigations.json"
AUDIO_PLAYERS = "Certain Audio Players and Controllers, Components Thereof, and Products Containing the Same"
CASES = ["ids:337-TA-1157", "ids:337-TA-1161", "ids:337-TA-1414", "ids:337-TA-1424", "ids:337-TA-947"]


@pytest.fixture
def ids_settings(crawl_settings: Settings, fixture_server: FixtureServer) -> Settings:
    sources = crawl_settings.sources.model_copy(update={"usitc_ids": fixture_server.url})
    return crawl_settings.model_copy(update={"sources": sources})


def _crawl(
    settings: Settings, work_dir: Path, state: dict[str, Any] | None = None, **args: Any
) -> CrawlOutput:
    return run_spider("usitc_ids", settings=settings, state=state or {}, work_dir=work_dir, spider_args=args)


def _snapshot(server: FixtureServer) -> bytes:
    with urllib.request.urlopen(f"{server.url}{FEED}") as response:
        return response.read()


def _by_id(documents: list[Document]) -> dict[str, Document]:
    return {d.id: d for d in documents}


# ---------------------------------------------------------------------------------------------
# Parser


def test_constructed_snapshot_gives_one_document_per_investigation(fixture_server: FixtureServer) -> None:
    parsed = parse_investigations(_snapshot(fixture_server), url="https://ids.usitc.gov/investigations.json")
    assert parsed.problems == []
    documents = _by_id(parsed.documents)
    assert sorted(documents) == CASES
    innoscience = documents["ids:337-TA-1414"]
    assert innoscience.source == "usitc_ids" and innoscience.kind.value == "itc337"
    assert innoscience.native_id == "337-TA-1414" and innoscience.case_numbers == ["337-TA-1414"]
    assert innoscience.title == (
        "Certain Semiconductor Devices and Products Containing the Same; Inv. No. 337-TA-1414 (Violation)"
    )
    assert innoscience.products == ["Certain Semiconductor Devices and Products Containing the Same"]
    assert innoscience.stage == "institution"
    assert innoscience.published.isoformat() == "2024-08-30"
    roles = {(p.name, p.role, p.country) for p in innoscience.parties}
    assert ("Innoscience (Suzhou) Technology Company, Ltd.", Role.RESPONDENT, "China") in roles
    assert ("Innoscience (Zhuhai) Technology Company, Ltd.", Role.RESPONDENT, "China") in roles
    assert ("Infineon Technologies Americas Corp.", Role.COMPLAINANT, "United States") in roles
    assert ("Infineon Technologies Austria AG", Role.COMPLAINANT, "Austria") in roles
    assert len(innoscience.parties) == 6
    assert innoscience.extra["phases"] == [
        {
            "phase": "Violation",
            "status": "Active",
            "active": True,
            "start_date": "2024-08-30",
            "end_date": None,
            "investigation_id": 1,
        }
    ]
    assert innoscience.raw_ref == "https://ids.usitc.gov/investigations.json"
    # The same company in two countries stays two parties (news release 15-016, 337-TA-947).
    feit = [p.country for p in documents["ids:337-TA-947"].parties if p.name == "Feit Electric Company, Inc."]
    assert sorted(feit) == ["China", "United States"]


def _row(server: FixtureServer, number: str) -> dict[str, Any]:
    rows = server.sources["usitc_ids"].rows
    return copy.deepcopy(next(r for r in rows if r["Investigation Number"] == number))


def test_phase_rows_of_one_investigation_fold_into_one_document_constructed(
    fixture_server: FixtureServer,
) -> None:
    violation = _row(fixture_server, "337-1414")
    # CONSTRUCTED second phase row: an enforcement proceeding opened later under the same number.
    enforcement = {
        **violation,
        "Investigation ID": 99,
        "Investigation Phase": {"Name": "Enforcement"},
        "Start Date": "06-01-2026",
    }
    [document] = documents_from_rows([enforcement, violation]).documents
    assert document.stage == "enforcement"
    assert [p["phase"] for p in document.extra["phases"]] == ["Violation", "Enforcement"]
    assert document.extra["ids_investigation_ids"] == [1, 99]
    assert document.published.isoformat() == "2024-08-30"  # the Violation phase's start
    assert len(document.parties) == 6  # the same participants, not doubled


@pytest.mark.parametrize(
    ("outcome", "stage"),
    [("Violation", "final_determination_violation"), ("No Violation", "final_determination_no_violation")],
)
def test_finished_violation_phase_reads_the_final_determination_constructed(
    fixture_server: FixtureServer, outcome: str, stage: str
) -> None:
    row = _row(fixture_server, "337-1161")
    row.update(
        {
            "Is Active?": False,
            "Investigation Status": {"Name": "Completed"},
            "Investigation End Date": {"date": "2020-07-01T12:00:00.000+00:00", "isNa": False},
            "Final Determination Type": {"finalDeterminationType": outcome, "isActive": True},
        }
    )
    [document] = documents_from_rows([row]).documents
    assert document.stage == stage
    assert document.extra["phases"][0]["end_date"] == "2020-07-01"
    assert document.extra["active"] is False


def test_pre_institution_docket_constructed_from_a_real_receipt_notice() -> None:
    # CONSTRUCTED row for DN 3428, the docket of the real receipt notice 2020-00353.
    row = {
        "Investigation ID": 7,
        "Investigation Number": "337-3428",
        "Docket Number": "3428",
        "Investigation Status": {"Name": "Pre-institution"},
        "Topic": AUDIO_PLAYERS,
        "Initiating Document Received Date": "01-07-2020",
        "Participants": [
            {"Participant Type": {"name": "Complainant"}, "Participant": {"Name": "Sonos, Inc."}},
            {"Participant Type": {"name": "Respondent"}, "Participant": {"Name": "Google LLC"}},
        ],
    }
    [document] = documents_from_rows([row]).documents
    assert document.id == "ids:DN-3428" and document.native_id == "DN 3428"
    assert document.case_numbers == [] and document.docket_number == "DN 3428"
    assert document.stage == "receipt_of_complaint"
    assert document.published.isoformat() == "2020-01-07" == document.filed.isoformat()
    assert [(p.name, p.role) for p in document.parties] == [
        ("Sonos, Inc.", Role.COMPLAINANT),
        ("Google LLC", Role.PROPOSED_RESPONDENT),
    ]


def test_other_investigation_types_and_unreadable_numbers() -> None:
    antidumping = {
        "Investigation Number": "731-1234",
        "Investigation Categories": [{"Name": "731 - Antidumping"}],
    }
    broken = {
        "Investigation Number": "337-TA-?",
        "Investigation Categories": [{"Name": "337 - Unfair Imports"}],
    }
    snapshot = load_snapshot(json.dumps({"date": "x", "count": 2, "data": [antidumping, broken]}).encode())
    assert snapshot.total_rows == 2 and snapshot.rows == [broken]
    parsed = documents_from_rows(snapshot.rows)
    assert parsed.documents == []
    assert [p.reason for p in parsed.problems] == ["unreadable investigation number: '337-TA-?'"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b'{"date": "x", "count": 3, "data": [{"Investigation Number": "337-1"}]}',
            "declares 3 rows but holds 1",
        ),
        (b'{"date": "x", "count": 1, "data": [', "not JSON"),
        (b'{"message": "maintenance"}', "without the 'data' list"),
    ],
)
def test_unusable_snapshots_are_refused(content: bytes, reason: str) -> None:
    with pytest.raises(SnapshotError, match=reason):
        load_snapshot(content)
    [problem] = parse_investigations(content).problems
    assert reason in problem.reason


def test_a_docket_instituted_under_a_new_number_is_not_a_drop() -> None:
    instituted = Document(
        id="ids:337-TA-1191",
        source="usitc_ids",
        kind="itc337",
        native_id="337-TA-1191",
        title="t",
        case_numbers=["337-TA-1191"],
        docket_number="DN 3428",
    )
    previous = {"ids:DN-3428": "a", "ids:337-TA-1": "b"}
    assert _dropped(previous, [instituted]) == {"ids:337-TA-1"}


# ---------------------------------------------------------------------------------------------
# Spider


def test_spider_yields_the_snapshot_and_a_second_run_fetches_nothing_new(
    fixture_server: FixtureServer, ids_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(ids_settings, tmp_path / "a")
    assert first.ok, first.stats
    assert sorted(d.id for d in first.documents) == CASES
    assert first.state["count"] == 5 and sorted(first.state["fingerprints"]) == CASES
    assert first.state["etag"].startswith('"')
    second = _crawl(ids_settings, tmp_path / "b", state=first.state)
    assert second.ok and second.documents == []
    assert second.stats["source"]["not_modified"] == 1
    assert fixture_server.requests_to(FEED) == [FEED, FEED]  # one request per run, the second a 304
    assert second.state == first.state


def test_only_changed_investigations_are_yielded(
    fixture_server: FixtureServer, ids_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(ids_settings, tmp_path / "a")
    ids = fixture_server.sources["usitc_ids"]
    for row in ids.rows:
        if row["Investigation Number"] == "337-947":
            # CONSTRUCTED change: the investigation is no longer active.
            row["Is Active?"] = False
            row["Investigation Status"] = {"Name": "Completed"}
    second = _crawl(ids_settings, tmp_path / "b", state=first.state)
    assert second.ok
    [changed] = second.documents
    assert changed.id == "ids:337-TA-947" and changed.stage == "termination"
    assert second.stats["source"]["unchanged"] == 4
    assert second.state["fingerprints"]["ids:337-TA-947"] != first.state["fingerprints"]["ids:337-TA-947"]


def test_snapshot_missing_cases_is_refused_and_the_state_kept(
    fixture_server: FixtureServer, ids_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(ids_settings, tmp_path / "a")
    fixture_server.sources["usitc_ids"].remove("337-1157")  # 1 of 5 cases gone: 20% > 3%
    second = _crawl(ids_settings, tmp_path / "b", state=first.state)
    assert not second.ok
    assert second.documents == []
    assert second.stats["source"]["snapshots_refused"] == 1
    assert second.stats["errors"] == 1
    assert second.stats["error_samples"][0].startswith(
        "snapshot_dropped: 1 of 5 cases missing (more than 3%)"
    )
    assert second.state == first.state
    # A tolerance that allows it (an operator's decision) takes the snapshot.
    third = _crawl(ids_settings, tmp_path / "c", state=first.state, max_drop="0.25")
    assert third.ok and third.documents == []
    assert third.stats["source"]["dropped_cases"] == 1
    assert third.state["count"] == 4 and "ids:337-TA-1157" not in third.state["fingerprints"]


def test_truncated_download_is_refused(
    fixture_server: FixtureServer, ids_settings: Settings, tmp_path: Path
) -> None:
    whole = _snapshot(fixture_server)
    fixture_server.fail_next(
        FEED, status=200, retry_after=None, body=whole[: len(whole) // 2], content_type=JSON
    )
    output = _crawl(ids_settings, tmp_path / "a")
    assert not output.ok and output.documents == []
    assert output.stats["source"]["malformed"] == 1
    assert output.stats["error_samples"][0].startswith("malformed: snapshot refused: not JSON")
    assert output.state == {}
    # The next run gets the whole file and takes it.
    again = _crawl(ids_settings, tmp_path / "b", state=output.state)
    assert again.ok and len(again.documents) == 5


def test_block_page_is_refused(fixture_server: FixtureServer, ids_settings: Settings, tmp_path: Path) -> None:
    fixture_server.fail_next(
        FEED, status=200, retry_after=None, body=BLOCK_PAGE_HTML, content_type="text/html; charset=utf-8"
    )
    output = _crawl(ids_settings, tmp_path / "a")
    assert not output.ok and output.documents == []
    assert output.stats["source"]["block_pages"] == 1
    assert output.stats["error_samples"][0].startswith("block_page: not JSON")


def test_empty_snapshot_is_refused(
    fixture_server: FixtureServer, ids_settings: Settings, tmp_path: Path
) -> None:
    fixture_server.sources["usitc_ids"].rows = []
    output = _crawl(ids_settings, tmp_path / "a")
    assert not output.ok and output.documents == []
    assert output.stats["error_samples"] == ["empty_snapshot: no Section 337 investigations in 0 rows"]


def test_429_is_retried_after_retry_after(
    fixture_server: FixtureServer, ids_settings: Settings, tmp_path: Path
) -> None:
    fixture_server.fail_next(FEED, status=429, retry_after=0.5)
    output = _crawl(ids_settings, tmp_path / "a")
    assert output.ok and len(output.documents) == 5
    assert output.stats["source"]["http_429"] == 1 and output.stats["source"]["retries"] == 1
    assert output.stats["errors"] == 0
    first, second = fixture_server.request_times
    assert second - first >= 0.45


def test_server_errors_after_retries_fail_the_run(
    fixture_server: FixtureServer, ids_settings: Settings, tmp_path: Path
) -> None:
    fixture_server.fail_next(FEED, status=503, retry_after=0.05, times=5)
    output = _crawl(ids_settings, tmp_path / "a")
    assert not output.ok and output.documents == []
    assert output.stats["source"]["errors/http_503"] == 1
    assert len(fixture_server.requests_to(FEED)) == 5
