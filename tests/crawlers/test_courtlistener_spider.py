"""The CourtListener spider end to end: run_spider (a child process) against the fixture server's
CONSTRUCTED CourtListener v4 responses (real captions, docket numbers, courts and filing dates
from us_ip_case_captions.json; made-up docket ids, entries, parties and firms; field names from
courtlistener_v4_options.json and SOURCES.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr

from ipsentry.config.settings import Settings, SourceKeys, SourceURLs
from ipsentry.core.documents import Document, Role
from ipsentry.crawlers.fixture_routes_courtlistener import (
    DOCKET_ID_BASE,
    ConstructedDocket,
    ConstructedEntry,
    ConstructedParty,
    CourtListenerFixture,
    throttle_next,
)
from ipsentry.crawlers.fixture_server import FixtureServer
from ipsentry.crawlers.parsers.courtlistener import parse_search
from ipsentry.crawlers.runner import CrawlOutput, run_spider
from ipsentry.crawlers.spiders.courtlistener import CourtListenerSpider

TOKEN = "constructed-test-token"
SEARCH = "/api/rest/v4/search/"
DOCKETS = "/api/rest/v4/dockets/"
PARTIES = "/api/rest/v4/parties/"
SINCE = date(2024, 1, 1)
FAST = {"rate_limits": "600/minute"}  # the account defaults would make every test wait
RIVER_LIGHT = DOCKET_ID_BASE + 351000  # ilnd 1:24-cv-03089
GENERAL_MOTORS = DOCKET_ID_BASE + 347500  # ilnd 1:24-cv-02174
GOPRO = DOCKET_ID_BASE + 340000  # flsd 1:24-cv-20037


@pytest.fixture
def cl_settings(fixture_server: FixtureServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    # The token reaches the crawl through its settings only: none in the environment.
    monkeypatch.delenv("IPSENTRY_KEYS__COURTLISTENER_TOKEN", raising=False)
    return Settings(
        environment="test",
        data_dir=tmp_path / "var",
        sources=SourceURLs(courtlistener=fixture_server.url),
        keys=SourceKeys(courtlistener_token=SecretStr(TOKEN)),
    )


@pytest.fixture
def cl(fixture_server: FixtureServer) -> CourtListenerFixture:
    fixture: CourtListenerFixture = fixture_server.sources["courtlistener"]
    fixture.token = TOKEN
    return fixture


def _crawl(
    settings: Settings, work_dir: Path, state: dict[str, Any] | None = None, **args: Any
) -> CrawlOutput:
    return run_spider(
        "courtlistener",
        settings=settings,
        state=state or {},
        since=SINCE,
        work_dir=work_dir,
        spider_args={**FAST, **args},
    )


def _by_id(output: CrawlOutput) -> dict[str, Document]:
    return {document.id: document for document in output.documents}


def _query(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query)


def test_constructed_first_run_reads_new_cases_with_their_parties(
    fixture_server: FixtureServer, cl: CourtListenerFixture, cl_settings: Settings, tmp_path: Path
) -> None:
    output = _crawl(cl_settings, tmp_path / "run1")

    assert output.ok, output.stats
    documents = _by_id(output)
    # The three Schedule A cases of the default courts; the C.D. Cal. copyright suit is outside them.
    assert sorted(documents) == [
        f"cl:docket:{GOPRO}",
        f"cl:docket:{GENERAL_MOTORS}",
        f"cl:docket:{RIVER_LIGHT}",
    ]
    river = documents[f"cl:docket:{RIVER_LIGHT}"]
    assert river.case_numbers == ["ilnd:1:24-cv-03089"]
    assert river.stage == "tro_granted"
    assert river.extra["brands"] == ["River Light V", "TORY BURCH"]
    assert river.extra["law_firms"] == ["Greer, Burns & Crain"]
    assert [(p.name, p.role) for p in river.parties] == [
        ("River Light V, LP", Role.PLAINTIFF),
        ("A. Example (constructed)", Role.ATTORNEY),
    ]
    # The schedule is sealed: nobody named yet, and the document says so.
    assert river.extra["defendants_sealed"] is True and river.extra["defendants_named"] == 0
    assert river.extra["parties_from"] == "parties"
    # Links point at the configured CourtListener, not a hard-coded public site.
    assert river.url == f"{fixture_server.url}/docket/{RIVER_LIGHT}/constructed/"
    gopro = documents[f"cl:docket:{GOPRO}"]
    assert gopro.extra["ip_nature"] == "patent" and gopro.extra["law_firms"] == ["Stephen M. Gaffigan, P.A."]
    assert "<a href" not in gopro.text and "Signed by Judge." in gopro.text

    # One search (courts, filing floor, no entry watermark yet), then parties per new case;
    # the search results carry nature of suit and cause, so no docket request is needed.
    searches = fixture_server.requests_to(SEARCH)
    assert len(searches) == 1
    query = _query(searches[0])
    assert query["type"] == ["r"] and query["court"] == ["ilnd flsd pawd nysd"]
    assert query["filed_after"] == ["2024-01-01"] and "entry_date_filed_after" not in query
    assert query["order_by"] == ["dateFiled desc"]
    assert "schedule a" in query["q"][0] and "suitNature" in query["q"][0]
    assert sorted(fixture_server.requests_to(PARTIES)) == [
        f"{PARTIES}?docket={docket}" for docket in sorted((GOPRO, GENERAL_MOTORS, RIVER_LIGHT))
    ]
    assert fixture_server.requests_to(DOCKETS) == []
    assert cl.authorized == 4 and cl.refused == 0  # every request carried the token

    state = output.state
    assert state["filed_after"] == "2024-01-01"
    assert state["last_filed"] == "2024-04-17" and state["last_modified"] == "2024-04-26"
    assert state["dockets"][str(RIVER_LIGHT)]["entry"] == 4
    assert state["dockets"][str(RIVER_LIGHT)]["stages"] == [
        [1, "2024-04-17", "complaint"],
        [3, "2024-04-23", "tro_motion"],
        [4, "2024-04-26", "tro_granted"],
    ]
    assert set(state["ratelimit"]["tokens"]) == {"600/60s"}


def test_constructed_second_run_fetches_nothing_new(
    fixture_server: FixtureServer, cl: CourtListenerFixture, cl_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(cl_settings, tmp_path / "run1")
    before = len(fixture_server.requests)

    second = _crawl(cl_settings, tmp_path / "run2", state=first.state)

    assert second.ok, second.stats
    assert second.documents == []
    new_requests = [path for _, path in fixture_server.requests[before:]]
    assert len(new_requests) == 1 and new_requests[0].startswith(SEARCH)
    # Only cases with an entry since the last run less the overlap (3 days) are asked for.
    assert _query(new_requests[0])["entry_date_filed_after"] == ["2024-04-23"]
    assert second.stats["source"]["skipped_unchanged"] == 1
    assert second.state["last_modified"] == "2024-04-26"


def test_constructed_unsealed_schedule_is_read_again_with_the_earlier_stages(
    fixture_server: FixtureServer, cl: CourtListenerFixture, cl_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(cl_settings, tmp_path / "run1")
    cl.unseal(RIVER_LIGHT, ["gaozhixiang", "Shenzhen Lishian Store"], date(2024, 5, 2))
    before = len(fixture_server.requests)

    third = _crawl(cl_settings, tmp_path / "run2", state=first.state)

    assert third.ok, third.stats
    assert [path for _, path in fixture_server.requests[before:]][1:] == [f"{PARTIES}?docket={RIVER_LIGHT}"]
    (river,) = third.documents
    defendants = [p.name for p in river.parties if p.role is Role.DEFENDANT]
    assert defendants == ["gaozhixiang", "Shenzhen Lishian Store"]
    assert river.extra["defendants_sealed"] is False and river.extra["defendants_named"] == 2
    # The search nests only the new entry; the TRO granted before still decides the stage.
    assert river.stage == "tro_granted"
    assert [(e["entry_number"], e["stage"]) for e in river.extra["entries"]] == [
        (1, "complaint"),
        (3, "tro_motion"),
        (4, "tro_granted"),
        (5, "other"),
    ]
    assert river.extra["brands"] == ["River Light V", "TORY BURCH"]
    assert third.state["dockets"][str(RIVER_LIGHT)]["parties"] == 3
    assert third.state["last_modified"] == "2024-05-02"


def test_constructed_429_with_retry_after_is_honoured(
    fixture_server: FixtureServer, cl: CourtListenerFixture, cl_settings: Settings, tmp_path: Path
) -> None:
    throttle_next(fixture_server, retry_after=1)

    output = _crawl(cl_settings, tmp_path / "run1")

    assert output.ok, output.stats
    assert len(output.documents) == 3
    searches = [
        (moment, path)
        for moment, (_, path) in zip(fixture_server.request_times, fixture_server.requests, strict=True)
        if path.startswith(SEARCH)
    ]
    assert len(searches) == 2 and searches[0][1] == searches[1][1]  # the same search, retried
    assert searches[1][0] - searches[0][0] >= 0.95  # not before Retry-After
    assert output.stats["source"]["http_429"] == 1 and output.stats["source"]["ratelimit/throttled"] == 1


def test_constructed_cursor_pages_are_followed_and_resumed(
    fixture_server: FixtureServer, cl: CourtListenerFixture, cl_settings: Settings, tmp_path: Path
) -> None:
    cl.page_size = 1

    cut = _crawl(cl_settings, tmp_path / "run1", max_pages=2)

    assert cut.ok, cut.stats
    assert len(cut.documents) == 2
    pages = fixture_server.requests_to(SEARCH)
    assert len(pages) == 2 and "cursor" not in _query(pages[0]) and "cursor" in _query(pages[1])
    # Cut short: the watermarks wait, the next poll resumes from the saved cursor.
    assert cut.state["last_modified"] is None and "cursor=" in cut.state["resume_url"]

    rest = _crawl(cl_settings, tmp_path / "run2", state=cut.state, max_pages=2)

    assert rest.ok, rest.stats
    assert [d.id for d in rest.documents] == [f"cl:docket:{GOPRO}"]
    assert fixture_server.requests_to(SEARCH)[2].endswith(cut.state["resume_url"].split("?", 1)[1])
    assert "resume_url" not in rest.state and rest.state["last_modified"] == "2024-04-26"
    assert rest.state["last_filed"] == "2024-04-17"


def test_constructed_details_are_bounded_and_the_rest_waits_for_the_next_run(
    fixture_server: FixtureServer, cl: CourtListenerFixture, cl_settings: Settings, tmp_path: Path
) -> None:
    bounded = _crawl(cl_settings, tmp_path / "run1", max_details=1)

    assert bounded.ok, bounded.stats
    assert len(bounded.documents) == 3  # all go out; two without their parties' roles
    assert len(fixture_server.requests_to(PARTIES)) == 1
    assert bounded.stats["source"]["details_deferred"] == 2
    assert list(bounded.state["dockets"]) == [str(RIVER_LIGHT)]  # the newest case, first in the results
    # The entry watermark waits for the oldest deferred case (GoPro's last entry, 2024-01-12).
    assert bounded.state["last_modified"] == "2024-01-12"

    rest = _crawl(cl_settings, tmp_path / "run2", state=bounded.state)

    assert rest.ok, rest.stats
    assert sorted(d.id for d in rest.documents) == [f"cl:docket:{GOPRO}", f"cl:docket:{GENERAL_MOTORS}"]
    assert len(fixture_server.requests_to(PARTIES)) == 3
    assert rest.state["last_modified"] == "2024-04-26"


def test_constructed_quota_spent_defers_without_failing(
    fixture_server: FixtureServer, cl: CourtListenerFixture, cl_settings: Settings, tmp_path: Path
) -> None:
    output = _crawl(cl_settings, tmp_path / "run1", rate_limits="2/hour", max_wait=1)

    assert output.ok, output.stats
    assert len(fixture_server.requests_to("/api/rest/v4/")) == 2  # the search and one parties request
    assert len(output.documents) == 3
    assert output.stats["source"]["ratelimit/refused"] == 2
    assert output.stats["source"]["deferred_by_rate_limit"] == 2
    assert output.state["ratelimit"]["tokens"]["2/3600s"] < 0.1  # the next run knows the hour is spent


def test_constructed_missing_or_wrong_token_fails_the_crawl_without_leaking_it(
    fixture_server: FixtureServer,
    cl: CourtListenerFixture,
    cl_settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong_key = SourceKeys(courtlistener_token=SecretStr("not-the-token"))
    wrong = _crawl(cl_settings.model_copy(update={"keys": wrong_key}), tmp_path / "wrong")
    assert not wrong.ok
    assert cl.refused == 1 and wrong.documents == []
    assert any(
        sample.startswith("unauthorized: search answered 401") for sample in wrong.stats["error_samples"]
    )
    assert "not-the-token" not in (tmp_path / "wrong" / "crawl.log").read_text()

    missing = _crawl(cl_settings.model_copy(update={"keys": SourceKeys()}), tmp_path / "missing")
    assert not missing.ok and missing.stats["requests"] == 0
    assert missing.stats["error_samples"][0].startswith("config: no CourtListener token")


def test_constructed_bad_records_are_recorded_never_fatal(
    fixture_server: FixtureServer, cl: CourtListenerFixture, cl_settings: Settings, tmp_path: Path
) -> None:
    cl.add_docket(
        ConstructedDocket(
            id=DOCKET_ID_BASE + 1,
            court_id="ilnd",
            case_name="Example Brand Co. v. The Partnerships and Unincorporated Associations "
            "Identified on Schedule A",
            docket_number="1:24-cv-3O89",  # a letter O for a zero
            date_filed=date(2024, 4, 20),
            nature_of_suit="",
            cause="",
            parties=[ConstructedParty("Example Brand Co.", "Plaintiff")],
            entries=[
                ConstructedEntry(1, date(2024, 4, 20), "<p>COMPLAINT filed by <b>Example Brand Co.</b></p>")
            ],
        )
    )

    output = _crawl(cl_settings, tmp_path / "run1")

    assert output.ok, output.stats
    odd = _by_id(output)[f"cl:docket:{DOCKET_ID_BASE + 1}"]
    assert odd.docket_number == "1:24-cv-3O89" and odd.case_numbers == ["ilnd:1:24-cv-3O89"]
    assert odd.text == "COMPLAINT filed by Example Brand Co." and odd.stage == "complaint"
    samples = output.stats["error_samples"]
    assert any("malformed docket number '1:24-cv-3O89'" in sample for sample in samples)
    assert any("HTML in an entry description" in sample for sample in samples)
    # Without nature of suit and cause, the docket endpoint is asked for them.
    assert fixture_server.requests_to(DOCKETS) == [f"{DOCKETS}{DOCKET_ID_BASE + 1}/"]


def test_courts_and_token_come_from_the_crawl_settings() -> None:
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(
        CourtListenerSpider,
        {
            "IPSENTRY_COURTLISTENER_TOKEN": SecretStr("from-settings"),
            "IPSENTRY_COURTLISTENER_COURTS": "ilnd, nysd",
            "IPSENTRY_COURTLISTENER_RATE_LIMITS": "3/minute",
        },
    )
    spider = CourtListenerSpider.from_crawler(crawler, base_url="http://127.0.0.1:1")
    assert spider.courts == ["ilnd", "nysd"]
    assert [limit.key for limit in spider.rate_limiter.limits] == ["3/60s"]
    assert spider._headers()["Authorization"] == "Token from-settings"
    assert "from-settings" not in repr(crawler.settings.copy_to_dict())
    # A spider argument wins over the crawl settings.
    other = CourtListenerSpider.from_crawler(
        get_crawler(CourtListenerSpider), base_url="http://x", courts="flsd"
    )
    assert other.courts == ["flsd"]


def test_constructed_schedule_rows_in_a_docket_text_become_defendants() -> None:
    # CONSTRUCTED: a search result whose entry quotes the unsealed schedule; the seller ids
    # and store URLs are made up.
    page = {
        "results": [
            {
                "docket_id": 1,
                "caseName": "GoPro, Inc. v. The Individuals, Corporations, Limited Liability Companies, "
                "Partnerships, and Unincorporated Associations Identified on Schedule A",
                "docketNumber": "1:24-cv-20037",
                "court_id": "flsd",
                "dateFiled": "2024-01-04",
                "suitNature": "830 Patent",
                "party": ["GoPro, Inc."],
                "recap_documents": [
                    {
                        "description": "SCHEDULE A unsealed:\n"
                        "1 Civil Cover Sheet\n"
                        "12 | gaozhixiang | A1B2C3D4E5F6G7 | https://www.amazon.com/sp?seller=A1B2C3D4E5F6G7\n"
                        "13 | bestshop | https://www.walmart.com/seller/101234\n"
                        "and the Amazon seller A9Z8Y7X6W5V4U3 named in the prose.",
                        "entry_number": 30,
                        "entry_date_filed": "2024-02-01",
                    }
                ],
            }
        ]
    }
    (document,) = parse_search(json.dumps(page).encode(), site="http://127.0.0.1:9").documents

    defendants = [(p.name, p.aliases) for p in document.parties if p.role is Role.DEFENDANT]
    assert defendants == [
        ("gaozhixiang", ["A1B2C3D4E5F6G7"]),
        ("bestshop", ["101234"]),
        ("A9Z8Y7X6W5V4U3", []),
    ]
    assert document.extra["defendants_named"] == 3 and document.extra["defendants_sealed"] is False
