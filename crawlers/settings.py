"""Scrapy settings for every ipsentry spider: polite by default, and the one middleware they need.

The public sources are small government and court services (the Federal Register asks for about
5 requests/s; CourtListener allows a few per minute): requests are spaced per host, AutoThrottle
only ever slows down from there, and a refusal (429/503) is retried after the delay the server
asks for in ``Retry-After``, else after an exponential backoff.  Scrapy's own RetryMiddleware
retries at once and ignores ``Retry-After``, so :class:`RetryAfterMiddleware` replaces it.

:func:`scrapy_settings` turns ipsentry's :class:`~ipsentry.config.settings.Settings` into the
dict a crawler takes (rate limits, contact address and each source's credentials come from
there: a deployed crawl gets its keys this way, as ``SecretStr`` so that a printed setting
hides them).
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.asyncio import sleep

if TYPE_CHECKING:
    from scrapy.http import Request, Response

    from ipsentry.config.settings import Settings

logger = logging.getLogger(__name__)

BOT_NAME = "ipsentry"
USER_AGENT = "ipsentry/0.1 (+http://127.0.0.1:8000; overseas IP risk monitoring)"
# APIs, not pages for crawlers: robots.txt governs neither the Federal Register API nor feeds.
ROBOTSTXT_OBEY = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"

CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# 1 / requests per second; no jitter, so the spacing is never shorter than this.
DOWNLOAD_DELAY = 1 / 5
DOWNLOAD_DELAY_JITTER = 0
RANDOMIZE_DOWNLOAD_DELAY = False
DOWNLOAD_TIMEOUT = 60

# AutoThrottle raises the delay when the server slows down; DOWNLOAD_DELAY stays its floor.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = DOWNLOAD_DELAY
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
IPSENTRY_RETRY_BACKOFF_BASE = 1.0  # seconds; doubled per attempt when no Retry-After is given
IPSENTRY_RETRY_BACKOFF_MAX = 60.0
IPSENTRY_RETRY_AFTER_MAX = 300.0  # a longer Retry-After gives up now and retries next run

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "ipsentry.crawlers.settings.RetryAfterMiddleware": 550,
}
HTTPCACHE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"

_SETTING_NAMES = [name for name in list(globals()) if name.isupper() and name != "TYPE_CHECKING"]


def scrapy_settings(settings: Settings, *, source: str) -> dict[str, Any]:
    """The Scrapy settings of one crawl of ``source``."""
    values: dict[str, Any] = {name: globals()[name] for name in _SETTING_NAMES}
    values["USER_AGENT"] = f"ipsentry/0.1 (+{settings.public_url}; overseas IP risk monitoring)"
    if source == "federal_register":
        delay = 1 / max(settings.federal_register_max_rps, 0.01)
        values["DOWNLOAD_DELAY"] = delay
        values["AUTOTHROTTLE_START_DELAY"] = delay
    if source == "courtlistener":
        # The SecretStr itself: its repr hides the token if Scrapy prints settings.
        values["IPSENTRY_COURTLISTENER_TOKEN"] = settings.keys.courtlistener_token
        values["IPSENTRY_COURTLISTENER_COURTS"] = settings.courtlistener_courts
        values["IPSENTRY_COURTLISTENER_RATE_LIMITS"] = settings.courtlistener_rate_limits
    if source == "uspto_daily":
        values["IPSENTRY_USPTO_API_KEY"] = settings.keys.uspto_api_key
    if source == "euipo":
        # The client id is no password but identifies the account: hidden from logs as well.
        client_id = settings.keys.euipo_client_id
        values["IPSENTRY_EUIPO_CLIENT_ID"] = SecretStr(client_id) if client_id else None
        values["IPSENTRY_EUIPO_CLIENT_SECRET"] = settings.keys.euipo_client_secret
        values["IPSENTRY_EUIPO_TOKEN_URL"] = settings.sources.euipo_token
    return values


class RetryAfterMiddleware(RetryMiddleware):
    """Retries 429/5xx after the server's ``Retry-After`` (seconds or an HTTP date), else after
    an exponential backoff with jitter, without blocking other requests while it waits."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("IPSENTRY_RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("IPSENTRY_RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("IPSENTRY_RETRY_AFTER_MAX", 300.0)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        spider = self.crawler.spider
        source = getattr(spider, "name", "unknown")
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"ipsentry/{source}/http_{response.status}")
        attempt = request.meta.get("retry_times", 0) + 1
        delay = retry_after_seconds(response.headers.get(b"Retry-After"))
        if delay is None:
            delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
        elif delay > self.retry_after_max:
            logger.warning("%s asks to wait %.0fs before %s: giving up this run", source, delay, request.url)
            return response
        retry = self._retry(request, f"{response.status} (waited {delay:.1f}s)")
        if retry is None:
            return response
        stats.inc_value(f"ipsentry/{source}/retries")
        logger.info("%s: HTTP %s for %s, retrying in %.1fs", source, response.status, request.url, delay)
        await sleep(delay)
        return retry


def retry_after_seconds(value: bytes | str | None) -> float | None:
    """``Retry-After`` as seconds: "120", "0.5" or an HTTP date; ``None`` if absent or unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
