"""Scrapy settings built from ipsentry settings, Retry-After reading, settings passed to the child."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from scrapy.utils.test import get_crawler

from ipsentry.config.settings import Settings, SourceKeys
from ipsentry.crawlers.fixture_server import FixtureServer
from ipsentry.crawlers.runner import _settings_payload, run_spider
from ipsentry.crawlers.settings import retry_after_seconds, scrapy_settings
from ipsentry.crawlers.spiders.euipo import EuipoSpider
from ipsentry.crawlers.spiders.uspto_daily import UsptoDailySpider


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


def test_each_source_gets_its_own_credentials_hidden() -> None:
    settings = Settings(
        keys=SourceKeys(
            courtlistener_token=SecretStr("cl-token"),
            uspto_api_key=SecretStr("odp-key"),
            euipo_client_id="eu-client",
            euipo_client_secret=SecretStr("eu-secret"),
        )
    )
    uspto = scrapy_settings(settings, source="uspto_daily")
    euipo = scrapy_settings(settings, source="euipo")
    federal = scrapy_settings(settings, source="federal_register")
    assert uspto["IPSENTRY_USPTO_API_KEY"].get_secret_value() == "odp-key"
    assert euipo["IPSENTRY_EUIPO_CLIENT_ID"].get_secret_value() == "eu-client"
    assert euipo["IPSENTRY_EUIPO_CLIENT_SECRET"].get_secret_value() == "eu-secret"
    # A source gets its own keys only, and printing the settings shows none of them.
    assert not any(name.startswith("IPSENTRY_EUIPO") for name in uspto)
    assert "IPSENTRY_USPTO_API_KEY" not in euipo and "IPSENTRY_COURTLISTENER_TOKEN" not in euipo
    assert not any(name.startswith(("IPSENTRY_USPTO", "IPSENTRY_EUIPO")) for name in federal)
    for secret in ("odp-key", "eu-client", "eu-secret"):
        assert secret not in repr(uspto) and secret not in repr(euipo)
    # Keys not configured are carried as None: the crawl reports them missing.
    bare = scrapy_settings(Settings(keys=SourceKeys()), source="euipo")
    assert bare["IPSENTRY_EUIPO_CLIENT_ID"] is None and bare["IPSENTRY_EUIPO_CLIENT_SECRET"] is None


def test_spiders_read_the_environment_only_when_the_crawl_settings_carry_no_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Crawls started by ipsentry carry the keys (maybe None); a bare ``scrapy crawl`` does not,
    and then the spider reads ipsentry's Settings (environment, YAML file)."""
    monkeypatch.setenv("IPSENTRY_KEYS__USPTO_API_KEY", "env-key")
    monkeypatch.setenv("IPSENTRY_KEYS__EUIPO_CLIENT_ID", "env-client")
    monkeypatch.setenv("IPSENTRY_KEYS__EUIPO_CLIENT_SECRET", "env-secret")

    def uspto_key(values: dict[str, object]) -> str | None:
        crawler = get_crawler(UsptoDailySpider, values)
        return UsptoDailySpider.from_crawler(crawler, base_url="http://127.0.0.1:9").api_key

    def euipo_credentials(values: dict[str, object]) -> tuple[str | None, str | None]:
        crawler = get_crawler(EuipoSpider, values)
        spider = EuipoSpider.from_crawler(crawler, base_url="http://127.0.0.1:9")
        return spider.client_id, spider.client_secret

    assert uspto_key({}) == "env-key"
    assert euipo_credentials({}) == ("env-client", "env-secret")
    configured = Settings(
        keys=SourceKeys(
            uspto_api_key=SecretStr("settings-key"),
            euipo_client_id="settings-client",
            euipo_client_secret=SecretStr("settings-secret"),
        )
    )
    assert uspto_key(scrapy_settings(configured, source="uspto_daily")) == "settings-key"
    assert euipo_credentials(scrapy_settings(configured, source="euipo")) == (
        "settings-client",
        "settings-secret",
    )
    # Settings without keys mean no keys, whatever the child's environment holds.
    empty = configured.model_copy(update={"keys": SourceKeys()})
    assert uspto_key(scrapy_settings(empty, source="uspto_daily")) is None
    assert euipo_credentials(scrapy_settings(empty, source="euipo")) == (None, None)
