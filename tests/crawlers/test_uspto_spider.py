"""The USPTO daily spider end to end: run_spider (a child process) against the fixture server,
whose product listing is CONSTRUCTED from the documented fields and whose apc240925.zip is zipped
at request time from real USPTO case files (crawlers/fixture_routes_uspto.py).  The API key
reaches the crawl as deployed: through the Settings given to run_spider, none in the
environment; the fixture refuses any other key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from ipsentry.config.settings import Settings, SourceKeys
from ipsentry.core.documents import Role
from ipsentry.crawlers.fixture_routes_uspto import DailyFile, UsptoFixture
from ipsentry.crawlers.fixture_server import FixtureServer
from ipsentry.crawlers.runner import CrawlOutput, run_spider
from ipsentry.crawlers.spiders.uspto_daily import listed_files, read_day

from .keyed_sources import settings_with_keys

KEY = "constructed-odp-key"
LISTING = "/api/v1/datasets/products/TRTDXFAP"
DOWNLOAD = "/api/v1/datasets/products/files/TRTDXFAP/"
STORAGE = "/bulk-storage/TRTDXFAP/"
SINCE = date(2024, 9, 1)
UNTIL = date(2024, 9, 30)


@pytest.fixture
def uspto(fixture_server: FixtureServer) -> UsptoFixture:
    fixture: UsptoFixture = fixture_server.sources["uspto_daily"]
    fixture.api_key = KEY
    return fixture


@pytest.fixture
def uspto_settings(
    fixture_server: FixtureServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    keys = SourceKeys(uspto_api_key=SecretStr(KEY))
    return settings_with_keys(monkeypatch, tmp_path, source="uspto", url=fixture_server.url, keys=keys)


def _crawl(settings: Settings, work_dir: Path, state: dict[str, object] | None = None) -> CrawlOutput:
    return run_spider(
        "uspto_daily", settings=settings, state=state or {}, since=SINCE, until=UNTIL, work_dir=work_dir
    )


def test_daily_zip_streams_through_the_spider_and_only_new_filings_come_out(
    fixture_server: FixtureServer, uspto: UsptoFixture, uspto_settings: Settings, tmp_path: Path
) -> None:
    work = tmp_path / "run1"
    output = _crawl(uspto_settings, work)

    assert output.ok, output.stats
    # Thirteen real case files in the day, one of them a new application (listed twice: NA,
    # then again as modified the same day); the twelve others are counted, not yielded.
    [filing] = output.documents
    assert filing.id == "uspto:98763166"
    assert filing.title == "SUVENEER"
    assert filing.stage == "new_application"
    assert filing.classes == [16]
    assert filing.filed == date(2024, 9, 24)
    assert [(p.name, p.country) for p in filing.parties if p.role == Role.APPLICANT] == [
        ("Nguyen Quang Huy", "VN")
    ]
    assert filing.extra["action_keys"] == ["NA", "TX"]
    assert filing.extra["goods"] == {"16": "Stickers; Stick markers; Sticker albums; Sticker books"}
    source = output.stats["source"]
    assert (source["records"], source["new_filings"], source["other_records"]) == (13, 1, 11)
    assert source["files_read"] == 1 and source["bytes_read"] > 0

    # The listing and the download carried the key from the settings (the fixture refuses any
    # other); storage, behind the 302, was not given it; the log never shows it.
    assert KEY not in (work / "crawl.log").read_text()
    assert fixture_server.requests_to(LISTING) == [LISTING]
    assert fixture_server.requests_to(DOWNLOAD) == [DOWNLOAD + "apc240925.zip"]
    assert uspto.downloads == ["apc240925.zip"]
    assert uspto.storage_saw_key is False
    # The download went to a temporary file in the work directory, removed once read.
    assert not list(work.glob("uspto-*"))
    assert output.state["files"] == {"apc240925.zip": "2024-09-25"}

    # A second run with the saved state lists the product again and downloads nothing.
    second = _crawl(uspto_settings, tmp_path / "run2", output.state)
    assert second.ok, second.stats
    assert second.documents == []
    assert fixture_server.requests_to(LISTING) == [LISTING, LISTING]
    assert uspto.downloads == ["apc240925.zip"]
    assert second.state == output.state


def test_a_new_day_is_read_and_the_old_one_is_not(
    samples_dir: Path, uspto: UsptoFixture, uspto_settings: Settings, tmp_path: Path
) -> None:
    first = _crawl(uspto_settings, tmp_path / "run1")
    # The next day's file: the real NITRO GLISSERIN record, filed under action key NA.
    record = (samples_dir / "trademark" / "uspto-madrid66a-79366581.xml").read_bytes()
    day = (
        b"<trademark-applications-daily><application-information><file-segments>"
        b"<action-keys><action-key>NA</action-key>" + record + b"</action-keys>"
        b"</file-segments></application-information></trademark-applications-daily>"
    )
    uspto.files.append(DailyFile("apc240926.zip", "2024-09-26", day))

    second = _crawl(uspto_settings, tmp_path / "run2", first.state)

    assert second.ok, second.stats
    assert [d.id for d in second.documents] == ["uspto:79366581"]
    assert uspto.downloads == ["apc240925.zip", "apc240926.zip"]
    assert second.state["files"] == {"apc240925.zip": "2024-09-25", "apc240926.zip": "2024-09-26"}


def test_a_truncated_download_is_not_read_and_is_fetched_again(
    uspto: UsptoFixture, uspto_settings: Settings, tmp_path: Path
) -> None:
    uspto.cut_short = {"apc240925.zip"}
    first = _crawl(uspto_settings, tmp_path / "run1")
    # The source answered; the file did not arrive whole: counted, not read, not marked done.
    assert first.ok, first.stats
    assert first.documents == []
    assert first.stats["source"]["download_failures"] == 1
    assert any("the listing says" in sample for sample in first.stats["error_samples"])
    assert first.state["files"] == {}

    uspto.cut_short = set()
    second = _crawl(uspto_settings, tmp_path / "run2", first.state)
    assert [d.id for d in second.documents] == ["uspto:98763166"]
    assert uspto.downloads == ["apc240925.zip", "apc240925.zip"]


def test_a_wrong_key_given_through_settings_is_refused_counted_and_fails_the_run(
    fixture_server: FixtureServer, uspto: UsptoFixture, uspto_settings: Settings, tmp_path: Path
) -> None:
    wrong = uspto_settings.model_copy(update={"keys": SourceKeys(uspto_api_key=SecretStr("not-the-key"))})
    output = _crawl(wrong, tmp_path / "run")

    # Not a crash: the run finished, counted the refusal and failed; nothing was downloaded.
    assert not output.ok and output.stats["finish_reason"] == "finished"
    assert output.documents == []
    assert fixture_server.requests_to(LISTING) == [LISTING] and uspto.downloads == []
    [sample] = output.stats["error_samples"]
    assert sample.startswith("unauthorized: the USPTO API refused the key (HTTP 403")
    assert output.stats["source"]["errors/unauthorized"] == 1
    assert output.stats["source"]["search_failures"] == 1
    assert output.state["files"] == {}  # nothing read: the next run tries again
    assert "not-the-key" not in (tmp_path / "run" / "crawl.log").read_text()


def test_without_a_key_nothing_is_fetched(
    fixture_server: FixtureServer, uspto: UsptoFixture, uspto_settings: Settings, tmp_path: Path
) -> None:
    output = _crawl(uspto_settings.model_copy(update={"keys": SourceKeys()}), tmp_path / "run")
    assert not output.ok and output.stats["requests"] == 0
    assert output.stats["error_samples"][0].startswith("config: no USPTO API key")
    assert fixture_server.requests_to("/api/") == []


def test_listing_fields_and_bounded_reading(samples_dir: Path, tmp_path: Path) -> None:
    payload = {
        "bulkDataProductBag": [
            {
                "productFileBag": {
                    "fileDataBag": [
                        {
                            "fileName": "apc240925.zip",
                            "fileDownloadURI": "https://api.uspto.gov/x/apc240925.zip",
                            "fileReleaseDate": "2024-09-25 00:57:13",
                            "fileSize": 41234,
                        },
                        {"fileName": "no-uri.zip"},
                    ]
                }
            }
        ]
    }
    [listed] = listed_files(payload)
    assert (listed.name, listed.released, listed.size) == ("apc240925.zip", date(2024, 9, 25), 41234)
    with pytest.raises(ValueError):
        listed_files({"count": 0})
    # The real three-record day read from disk: the NA record is the only new filing.
    read = read_day(samples_dir / "trademark" / "uspto-apc-style-3records.xml")
    assert (read.records, read.other_records) == (3, 2)
    assert [d.native_id for d in read.new_filings] == ["98763166"]
