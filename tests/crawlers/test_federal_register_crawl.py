"""The Federal Register spider end to end: run_spider (a child process) against the fixture server."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ipsentry.config.settings import Settings
from ipsentry.core.documents import Document, Role
from ipsentry.crawlers.fixture_server import BLOCK_PAGE_HTML, FixtureServer
from ipsentry.crawlers.runner import CrawlOutput, run_spider

RAW_PREFIX = "/documents/full_text/text/"
SEARCH = "/api/v1/documents.json"
INNOSCIENCE_RAW = "/documents/full_text/text/2026/02/05/2026-02297.txt"


def _crawl(settings: Settings, work_dir: Path, state: dict | None = None, **kwargs: object) -> CrawlOutput:
    return run_spider(
        "federal_register",
        settings=settings,
        state=state or {},
        work_dir=work_dir,
        **kwargs,  # type: ignore[arg-type]
    )


def _by_id(output: CrawlOutput) -> dict[str, Document]:
    return {d.native_id: d for d in output.documents}


def test_crawl_yields_merged_documents_and_state(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    streamed: list[str] = []
    output = _crawl(
        crawl_settings,
        tmp_path / "run1",
        since=date(2026, 1, 1),
        until=date(2026, 2, 28),
        on_document=lambda d: streamed.append(d.id),
    )
    assert output.ok, output.stats
    documents = _by_id(output)
    assert len(documents) == 29
    assert sorted(streamed) == sorted(d.id for d in output.documents)
    innoscience = documents["2026-02297"]
    assert innoscience.case_numbers == ["337-TA-1414"]
    assert innoscience.stage == "review"
    respondents = {p.name: p.country for p in innoscience.parties if p.role == Role.RESPONDENT}
    assert respondents["Innoscience (Suzhou) Technology Company, Ltd."] == "China"
    assert respondents["Innoscience (Zhuhai) Technology Company, Ltd."] == "China"
    assert [p.name for p in innoscience.parties if p.role == Role.COMPLAINANT] == [
        "Infineon Technologies Americas Corp.",
        "Infineon Technologies Austria AG",
    ]
    assert innoscience.url and innoscience.url.startswith(
        "https://www.federalregister.gov/documents/2026/02/05/"
    )
    # The other 28 have no captured raw text: old enough that a 404 is final, kept as listed.
    receipt = documents["2026-02107"]
    assert receipt.stage == "receipt_of_complaint" and receipt.docket_number == "DN 3881"
    stats = output.stats
    assert stats["items"] == 29 and stats["errors"] == 0
    assert stats["source"]["raw_text_missing"] == 28
    assert stats["requests"] == 2 + 29  # one search page per month, one raw text per notice
    assert output.state["last_date"] == "2026-02-28"
    assert output.state["pending"] == {}
    # Month-by-month windows, the search conditions of SOURCES.md, fields[] repeated.
    searches = fixture_server.requests_to(SEARCH)
    assert len(searches) == 2
    assert "conditions%5Bpublication_date%5D%5Bgte%5D=2026-01-01" in searches[0]
    assert "conditions%5Bpublication_date%5D%5Blte%5D=2026-01-31" in searches[0]
    assert "conditions%5Bagencies%5D%5B%5D=international-trade-commission" in searches[0]
    assert "conditions%5Btype%5D%5B%5D=NOTICE" in searches[0] and "conditions%5Bterm%5D=337" in searches[0]
    assert searches[0].count("fields%5B%5D=") == 11
    assert "gte%5D=2026-02-01" in searches[1] and "lte%5D=2026-02-28" in searches[1]


def test_second_run_with_the_state_fetches_nothing_new(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(
        crawl_settings,
        tmp_path / "a",
        since=date(2026, 1, 1),
        until=date(2026, 2, 6),
        spider_args={"fresh_days": 0},
    )
    assert first.ok and len(first.documents) == 29
    # The overlap days (Feb 3 to Feb 6) are searched again and must be recognised as seen.
    assert first.state["seen"] == {"2026-02-03": ["2026-02107"], "2026-02-05": ["2026-02297"]}
    before = len(fixture_server.requests)
    second = _crawl(crawl_settings, tmp_path / "b", state=first.state, until=date(2026, 2, 6))
    new_requests = [path for _, path in fixture_server.requests[before:]]
    assert second.ok and second.documents == []
    assert [p for p in new_requests if p.startswith(RAW_PREFIX)] == []
    assert len(new_requests) == 1 and new_requests[0].startswith(SEARCH)
    assert second.stats["source"]["skipped_seen"] == 2


def test_429_with_retry_after_is_waited_for_and_the_crawl_completes(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    fixture_server.fail_next(SEARCH, status=429, retry_after=1, times=1)
    output = _crawl(crawl_settings, tmp_path / "run", since=date(2026, 2, 1), until=date(2026, 2, 28))
    assert output.ok and len(output.documents) == 5
    searches = fixture_server.requests_to(SEARCH)
    assert len(searches) == 2 and searches[0] == searches[1]
    first, second = (
        t
        for t, (_, p) in zip(fixture_server.request_times, fixture_server.requests, strict=True)
        if p.startswith(SEARCH)
    )
    assert second - first >= 0.9  # the server's Retry-After: 1, honoured
    assert output.stats["source"]["http_429"] == 1 and output.stats["source"]["retries"] == 1
    assert output.stats["errors"] == 0


def test_block_page_keeps_the_listing_and_is_fetched_again_next_run(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    fixture_server.fail_next(
        INNOSCIENCE_RAW,
        status=200,
        retry_after=None,
        body=BLOCK_PAGE_HTML,
        content_type="text/html; charset=utf-8",
    )
    first = _crawl(crawl_settings, tmp_path / "a", since=date(2026, 2, 1), until=date(2026, 2, 28))
    assert first.ok
    listed = _by_id(first)["2026-02297"]
    assert listed.parties == [] and listed.case_numbers == []  # the search result alone
    assert first.stats["source"]["block_pages"] == 1
    assert any(sample.startswith("block_page:") for sample in first.stats["error_samples"])
    assert first.state["pending"] == {"2026-02-05": ["2026-02297"]}
    before = len(fixture_server.requests)
    second = _crawl(crawl_settings, tmp_path / "b", state=first.state, until=date(2026, 2, 28))
    raw_requests = [p for _, p in fixture_server.requests[before:] if p.startswith(RAW_PREFIX)]
    assert raw_requests == [INNOSCIENCE_RAW]
    [document] = second.documents
    assert document.case_numbers == ["337-TA-1414"] and len(document.parties) == 6
    assert second.state["pending"] == {}


def test_fresh_404_is_counted_and_retried_next_run(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    # On Feb 6 the notices of Feb 3 are "fresh": their raw text may simply not be there yet.
    first = _crawl(crawl_settings, tmp_path / "a", since=date(2026, 2, 1), until=date(2026, 2, 6))
    assert first.ok
    assert first.stats["source"]["raw_text_not_yet"] == 1
    assert first.stats["errors"] == 1 and first.stats["error_samples"][0].startswith("http_404:")
    assert first.state["pending"] == {"2026-02-03": ["2026-02107"]}
    assert "2026-02107" in _by_id(first)  # still reported, from the search result
    before = len(fixture_server.requests)
    second = _crawl(crawl_settings, tmp_path / "b", state=first.state, until=date(2026, 2, 20))
    raw_requests = [p for _, p in fixture_server.requests[before:] if p.startswith(RAW_PREFIX)]
    assert raw_requests == ["/documents/full_text/text/2026/02/03/2026-02107.txt"]
    assert second.state["pending"] == {}  # no longer fresh: the 404 is final


def test_malformed_record_is_counted_not_fatal(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    fixture_server.sources["federal_register"].add_record(
        {"document_number": "", "publication_date": "2026-02-10", "title": "Broken", "abstract": ""}
    )
    output = _crawl(crawl_settings, tmp_path / "run", since=date(2026, 2, 1), until=date(2026, 2, 28))
    assert output.ok
    assert len(output.documents) == 5
    assert output.stats["source"]["malformed"] == 1
    assert output.stats["errors"] == 1
    assert "missing or malformed document_number" in output.stats["error_samples"][0]


def test_search_server_errors_are_counted_and_the_run_still_ends(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    fixture_server.fail_next(SEARCH, status=503, retry_after=0.1, times=5)
    output = _crawl(crawl_settings, tmp_path / "run", since=date(2026, 2, 1), until=date(2026, 2, 28))
    assert output.documents == []
    assert output.stats["finish_reason"] == "finished"
    assert output.stats["source"]["http_503"] == 5  # the first try and RETRY_TIMES = 4 retries
    assert output.stats["source"]["errors/http_503"] == 1
    assert not output.ok  # the source did not answer: not a successful crawl
    assert output.state == {"last_date": "2026-02-28", "seen": {}, "pending": {}, "retry_from": "2026-02-01"}
    # The next run searches the failed window again, and this time the source answers.
    again = _crawl(crawl_settings, tmp_path / "again", state=output.state, until=date(2026, 2, 28))
    assert again.ok and len(again.documents) == 5
    assert "retry_from" not in again.state


def test_polite_crawl_fetches_each_notice_once(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    # The delay itself is Scrapy's (DOWNLOAD_DELAY, checked in test_scrapy_settings); timing
    # it here would make the test depend on how busy the machine is.
    polite = crawl_settings.model_copy(update={"federal_register_max_rps": 5.0})
    output = _crawl(polite, tmp_path / "run", since=date(2026, 2, 1), until=date(2026, 2, 28))
    assert output.ok
    assert len(fixture_server.requests) == 6  # one search page and five raw texts
    assert len(set(fixture_server.requests)) == 6


def test_unknown_source_is_refused(crawl_settings: Settings, tmp_path: Path) -> None:
    import pytest

    from ipsentry.crawlers.runner import UnknownSource

    with pytest.raises(UnknownSource):
        run_spider("nowhere", settings=crawl_settings, state={}, work_dir=tmp_path)


def test_next_page_url_is_followed(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    output = _crawl(
        crawl_settings,
        tmp_path / "run",
        since=date(2026, 2, 1),
        until=date(2026, 2, 28),
        spider_args={"per_page": 2},
    )
    assert output.ok and len(output.documents) == 5
    searches = fixture_server.requests_to(SEARCH)
    assert len(searches) == 3  # pages 1, 2 and 3 of 2, 2 and 1 results
    assert "page=2" in searches[1] and "page=3" in searches[2]


def test_count_at_a_cap_splits_the_window(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    # The fixture stops at 3 results, as the real API stops at its cap; the spider must not lose
    # the other two notices of February 2026.
    fixture_server.sources["federal_register"].result_cap = 3
    output = _crawl(
        crawl_settings,
        tmp_path / "run",
        since=date(2026, 2, 1),
        until=date(2026, 2, 28),
        spider_args={"result_caps": "3"},
    )
    assert output.ok
    assert sorted(d.native_id for d in output.documents) == [
        "2026-01954",
        "2026-01968",
        "2026-02051",
        "2026-02107",
        "2026-02297",
    ]
    assert output.stats["source"]["suspect_count"] >= 3
    windows = fixture_server.requests_to(SEARCH)
    assert any("gte%5D=2026-02-02&conditions%5Bpublication_date%5D%5Blte%5D=2026-02-02" in w for w in windows)
