"""Scrapy settings built from ipsentry settings, Retry-After reading, settings passed to the child."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from pydantic import SecretStr

from ipsentry.config.settings import Settings, SourceKeys
from ipsentry.crawlers.fixture_server import FixtureServer
from ipsentry.crawlers.runner import _settings_payload, run_spider
from ipsentry.crawlers.settings import retry_after_seconds, scrapy_settings


def test_polite_defaults_follow_the_settings() -> None:
    values = scrapy_settings(
        Settings(federal_register_max_rps=5, public_url="https://ipsentry.example"), source="federal_register"
    )
    assert values["DOWNLOAD_DELAY"] == 0.2 and values["AUTOTHROTTLE_START_DELAY"] == 0.2
    assert values["DOWNLOAD_DELAY_JITTER"] == 0 and values["RANDOMIZE_DOWNLOAD_DELAY"] is False
    assert values["AUTOTHROTTLE_ENABLED"] is True and values["ROBOTSTXT_OBEY"] is False
    assert values["USER_AGENT"] == "ipsentry/0.1 (+https://ipsentry.example; overseas IP risk monitoring)"
    assert values["LOG_LEVEL"] == "INFO"
    assert 429 in values["RETRY_HTTP_CODES"] and 503 in values["RETRY_HTTP_CODES"]
    assert values["DOWNLOADER_MIDDLEWARES"] == {
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "ipsentry.crawlers.settings.RetryAfterMiddleware": 550,
    }
    assert "TYPE_CHECKING" not in values


def test_retry_after_values() -> None:
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds("0.5") == 0.5
    assert retry_after_seconds(None) is None
    assert retry_after_seconds(b"soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 85 <= (retry_after_seconds(later.encode()) or 0) <= 90
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: go now


def test_child_gets_real_secrets() -> None:
    settings = Settings(keys=SourceKeys(courtlistener_token=SecretStr("tok-123")), samples_dir=Path("/x"))
    payload = _settings_payload(settings)
    assert payload["keys"]["courtlistener_token"] == "tok-123"
    assert payload["samples_dir"] == "/x"
    assert Settings(**payload).keys.courtlistener_token.get_secret_value() == "tok-123"  # type: ignore[union-attr]


def test_rejected_search_is_counted(
    fixture_server: FixtureServer, crawl_settings: Settings, tmp_path: Path
) -> None:
    # per_page over the API's limit: HTTP 400 {"errors": …}, counted, the run still ends.
    output = run_spider(
        "federal_register",
        settings=crawl_settings,
        state={},
        since=date(2026, 2, 1),
        until=date(2026, 2, 28),
        work_dir=tmp_path,
        spider_args={"per_page": 5000},
    )
    assert output.documents == [] and not output.ok
    assert output.stats["source"]["errors/http_400"] == 1
    assert output.stats["error_samples"][0].startswith("http_400: search rejected:")
    assert not (tmp_path / "input.json").exists()  # the settings file with credentials is gone
    assert (tmp_path / "crawl.log").read_text().count("Spider closed (finished)") == 1
