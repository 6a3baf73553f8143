"""The PACER RSS spider end to end: run_spider (a child process) against the fixture server,
which serves the REAL sample feeds (nysd, nyed, wvsd, mdb) byte for byte and CONSTRUCTED
Schedule A feeds (ilnd, flsd) built from the real captions of us_ip_case_captions.json."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from ipsentry.config.settings import Settings, SourceURLs
from ipsentry.crawlers.fixture_routes_pacer import ConstructedItem, PacerFixture, pacer_sources
from ipsentry.crawlers.fixture_server import FixtureServer
from ipsentry.crawlers.runner import CrawlOutput, run_spider

COURTS = ["ilnd", "flsd", "pawd", "nysd", "nyed", "wvsd", "mdb"]
SCHEDULE_A_ENTRIES = [
    "pacer:flsd:1:24-cv-20037:1",
    "pacer:flsd:1:24-cv-20037:14",
    "pacer:flsd:1:24-cv-20037:20",
    "pacer:ilnd:1:24-cv-02174:1",
    "pacer:ilnd:1:24-cv-02174:14",
    "pacer:ilnd:1:24-cv-02174:20",
    "pacer:ilnd:1:24-cv-03089:1",
    "pacer:ilnd:1:24-cv-03089:14",
    "pacer:ilnd:1:24-cv-03089:20",
]
# Made up in the constructed N.D. Ill. feed: an IP case known only by its AO 120 report, and
# a later routine entry of it.
CUE_ENTRIES = ["pacer:ilnd:1:24-cv-03120:3", "pacer:ilnd:1:24-cv-03120:5"]


@pytest.fixture
def pacer_settings(fixture_server: FixtureServer, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "var",
        sources=SourceURLs(pacer=pacer_sources(fixture_server.url, COURTS)),
    )


def _crawl(settings: Settings, work_dir: Path, state: dict[str, Any] | None = None) -> CrawlOutput:
    return run_spider("pacer_rss", settings=settings, state=state or {}, work_dir=work_dir)


def test_only_ip_suits_are_kept_from_every_feed(
    fixture_server: FixtureServer, pacer_settings: Settings, tmp_path: Path
) -> None:
    output = _crawl(pacer_settings, tmp_path / "run1")

    assert output.ok, output.stats
    assert sorted(d.id for d in output.documents) == sorted(SCHEDULE_A_ENTRIES + CUE_ENTRIES)
    by_id = {d.id: d for d in output.documents}
    granted = by_id["pacer:ilnd:1:24-cv-03089:20"]
    assert granted.stage == "tro_granted" and granted.case_numbers == ["ilnd:1:24-cv-03089"]
    assert granted.extra["schedule_a"] is True and granted.extra["brands"] == ["River Light V"]
    assert by_id["pacer:flsd:1:24-cv-20037:1"].stage == "complaint"
    # None of the 700 real items of nysd, nyed, wvsd and mdb is an IP suit; the bankruptcy
    # feed and the made-up non-IP N.D. Ill. case stay out too.
    source = output.stats["source"]
    assert source["filtered_out"] == 336 + 355 + 3 + 2 + 1
    assert source["kept_by_cue"] == 1
    # The real wvsd feed's garbled docket number is recorded; the crawl goes on.
    assert output.stats["errors"] == 1
    assert "malformed docket number '5:18-~gr-00001'" in output.stats["error_samples"][0]
    # One request per court, under its own prefix.
    assert sorted(path for _, path in fixture_server.requests) == sorted(
        f"/pacer/{court}/cgi-bin/rss_outside.pl" for court in COURTS
    )
    feeds = output.state["feeds"]
    assert feeds["ilnd"]["last_pub"] == "2024-04-26T17:00:00+00:00"
    assert feeds["ilnd"]["last_modified"] == "Fri, 26 Apr 2024 17:00:00 GMT"
    assert (
        feeds["nysd"]["etag"].startswith('"')
        and feeds["nysd"]["last_modified"] == "Wed, 18 Apr 2018 00:15:28 GMT"
    )
    # Followed for a year from the day it was last kept (crawl time), so later entries stay in.
    assert output.state["tracked"] == {
        case: date.today().isoformat()
        for case in ("flsd:1:24-cv-20037", "ilnd:1:24-cv-02174", "ilnd:1:24-cv-03089", "ilnd:1:24-cv-03120")
    }


def test_second_run_is_conditional_and_fetches_nothing_new(
    fixture_server: FixtureServer, pacer_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(pacer_settings, tmp_path / "run1")

    second = _crawl(pacer_settings, tmp_path / "run2", state=first.state)

    assert second.ok, second.stats
    assert second.documents == []
    assert second.stats["source"]["not_modified"] == len(COURTS)  # every feed answered 304
    assert second.state["feeds"] == first.state["feeds"]


def test_a_new_entry_of_a_tracked_case_is_the_only_new_document(
    fixture_server: FixtureServer, pacer_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(pacer_settings, tmp_path / "run1")
    pacer: PacerFixture = fixture_server.sources["pacer"]
    # CONSTRUCTED: a later routine entry of the AO 120 case, which says nothing about IP itself.
    pacer.add_item(
        "ilnd",
        ConstructedItem(
            "1:24-cv-03120",
            "Example Brands LLC v. Example Seller Co.",
            "Order",
            "MINUTE entry: status hearing set for 5/20/2024.",
            datetime(2024, 4, 29, 9, 30, tzinfo=UTC),
            90001,
            8,
            6,
        ),
    )

    third = _crawl(pacer_settings, tmp_path / "run2", state=first.state)

    assert third.ok, third.stats
    assert [d.id for d in third.documents] == ["pacer:ilnd:1:24-cv-03120:8"]
    assert third.stats["source"]["not_modified"] == len(COURTS) - 1
    assert third.stats["source"]["skipped_seen"] == 9  # the rest of the ilnd feed
    assert third.state["feeds"]["ilnd"]["last_pub"] == "2024-04-29T09:30:00+00:00"


def test_an_unknown_court_is_recorded_and_the_others_still_crawled(
    fixture_server: FixtureServer, tmp_path: Path
) -> None:
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "var",
        sources=SourceURLs(pacer=pacer_sources(fixture_server.url, ["flsd", "gud"])),
    )

    output = _crawl(settings, tmp_path / "run1")

    assert len(output.documents) == 3
    assert output.stats["source"]["feed_failures"] == 1
    assert output.stats["error_samples"] == [
        f"http_404: {fixture_server.url}/pacer/gud/cgi-bin/rss_outside.pl"
    ]
    assert "gud" not in {court for court, feed in output.state["feeds"].items() if feed}
