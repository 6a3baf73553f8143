"""EUIPO trademark search spider: EU trademark applications, polled by application date.

Auth is OAuth2 client credentials: the client id and secret (HTTP Basic) buy a bearer token at
the token endpoint (see below), which is kept until shortly before it expires and bought again
then, or when the API answers 401.  The token lives in the run's memory only, never in the saved
state.  Every search carries it (``Authorization: Bearer``) and the client id
(``X-IBM-Client-Id``, which EUIPO's gateway wants too).

Searches: ``GET /trademark-search/trademarks?query=applicationDate>=A and applicationDate<=B``
(RSQL), ``sort=applicationDate:desc``, page by page (from 0), in windows of ``window_days``.  A
window whose result count passes the API's cap is searched again in halves.  EUIPO lists an
application some days after its date, so each run goes back ``overlap_days`` before the last
run's end; what was yielded before is skipped.

State::

    {"last_date": "2024-09-30",                        # the previous run's ``until``
     "seen": {"2024-09-24": ["019080001", …]},          # yielded, by application date
     "retry_from": "2024-09-22"}                        # a window that failed (if any)

The token endpoint is the ``token_url`` spider argument when one is given, else the setting
``sources.euipo_token`` (``IPSENTRY_SOURCES__EUIPO_TOKEN``: EUIPO's production token endpoint is
on another host than its API), else ``/oidc/accessToken`` on the base URL.  The setting reaches
the spider as the credentials do, below (Scrapy setting ``IPSENTRY_EUIPO_TOKEN_URL``).

Credentials come from the crawl's Scrapy settings (``IPSENTRY_EUIPO_CLIENT_ID`` /
``IPSENTRY_EUIPO_CLIENT_SECRET``, which ``crawlers.settings.scrapy_settings`` fills from
``keys.euipo_client_id`` / ``keys.euipo_client_secret``: how every crawl ipsentry starts gets
them).  Only a crawl whose settings carry neither name (a bare ``scrapy crawl``) reads
ipsentry's Settings from the environment instead (``IPSENTRY_KEYS__EUIPO_CLIENT_ID`` /
``…_SECRET`` or the YAML file).  Credentials the token endpoint refuses are a counted
``unauthorized`` problem that fails the run, never a crash.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from scrapy import FormRequest
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from ipsentry.core.documents import Document
from ipsentry.crawlers.parsers.euipo import parse_search
from ipsentry.crawlers.spiders.base import SourceSpider, credential, state_date

ID_SETTING = "IPSENTRY_EUIPO_CLIENT_ID"
SECRET_SETTING = "IPSENTRY_EUIPO_CLIENT_SECRET"
TOKEN_URL_SETTING = "IPSENTRY_EUIPO_TOKEN_URL"
TOKEN_PATH = "/oidc/accessToken"
SEARCH_PATH = "/trademark-search/trademarks"
TOKEN_SCOPE = "uid"
TOKEN_MARGIN_SECONDS = 60  # a token this close to its expiry is bought again
RESULT_CAP = 10_000  # results one query can page through
DEFAULT_START_DAYS = 7

Window = tuple[date, date]


class EuipoSpider(SourceSpider):
    name = "euipo"

    def __init__(
        self,
        *args: Any,
        token_url: str | None = None,
        page_size: int | str = 100,
        window_days: int | str = 7,
        overlap_days: int | str = 7,
        max_pages: int | str = 200,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.token_url = token_url or f"{self.base_url}{TOKEN_PATH}"
        self.page_size = int(page_size)
        self.window_days = max(1, int(window_days))
        self.max_pages = int(max_pages)
        self.overlap = timedelta(days=int(overlap_days))
        self.client_id: str | None = None
        self.client_secret: str | None = None
        self._token: str | None = None
        self._token_expires = 0.0  # time.monotonic() after which the token is not used
        self.seen: dict[str, set[str]] = {
            str(day): set(numbers) for day, numbers in (self.state.get("seen") or {}).items()
        }
        self.failed_windows: list[date] = []
        starts: list[date] = []
        last = state_date(self.state.get("last_date"))
        if last:
            starts.append(last - self.overlap)
        retry_from = state_date(self.state.get("retry_from"))
        if retry_from:
            starts.append(retry_from)
        if self.since:
            starts.append(self.since)
        self.start_date = min(
            min(starts, default=self.until - timedelta(days=DEFAULT_START_DAYS)), self.until
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> EuipoSpider:
        settings = crawler.settings
        if not kwargs.get("token_url"):  # a token_url spider argument wins over the setting
            if TOKEN_URL_SETTING in settings:
                kwargs["token_url"] = _configured_url(settings.get(TOKEN_URL_SETTING))
            else:
                kwargs["token_url"] = _token_url_from_environment()
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, EuipoSpider)
        if ID_SETTING in settings or SECRET_SETTING in settings:
            client_id = credential(settings.get(ID_SETTING))
            client_secret = credential(settings.get(SECRET_SETTING))
        else:
            client_id, client_secret = _credentials_from_environment()
        spider.client_id, spider.client_secret = client_id, client_secret
        return spider

    def windows(self) -> list[Window]:
        """Windows of ``window_days`` covering start … until."""
        found: list[Window] = []
        start = self.start_date
        while start <= self.until:
            end = min(start + timedelta(days=self.window_days - 1), self.until)
            found.append((start, end))
            start = end + timedelta(days=1)
        return found

    # -- the token ------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        if not (self.client_id and self.client_secret):
            self.problem(
                "config", "no EUIPO client credentials (settings keys.euipo_client_*): nothing fetched"
            )
            self.count("search_failures")
            return
        yield self._token_request([(start, end, 0) for start, end in self.windows()])

    def _token_request(self, then: list[tuple[date, date, int]]) -> Request:
        """A token request; ``then`` are the searches (window and page) to send with it."""
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode("ascii")
        self.count("token_requests")
        return FormRequest(
            self.token_url,
            formdata={"grant_type": "client_credentials", "scope": TOKEN_SCOPE},
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
            callback=self.on_token,
            errback=self.on_token_error,
            meta={"then": then, "handle_httpstatus_list": [400, 401, 403]},
            dont_filter=True,
        )

    def on_token(self, response: Response) -> Iterator[Request]:
        then: list[tuple[date, date, int]] = response.meta["then"]
        try:
            payload = json.loads(response.body) if response.status == 200 else {}
        except ValueError:
            payload = {}
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if response.status in (400, 401, 403):
            self.problem(
                "unauthorized",
                f"the EUIPO token endpoint refused the token request (HTTP {response.status}; check "
                f"settings keys.euipo_client_id / keys.euipo_client_secret): {response.text[:120]}",
            )
            self._windows_failed(then)
            return
        if not token:
            self.problem("auth", f"token endpoint answered {response.status}: {response.text[:120]}")
            self._windows_failed(then)
            return
        lifetime = payload.get("expires_in")
        seconds = (
            float(lifetime) if isinstance(lifetime, int | float | str) and str(lifetime).isdigit() else 300
        )
        self._token = str(token)
        self._token_expires = time.monotonic() + max(seconds - TOKEN_MARGIN_SECONDS, 0)
        for start, end, page in then:
            yield self._search(start, end, page)

    def on_token_error(self, failure: Failure) -> None:
        self.on_error(failure)
        request: Request | None = getattr(failure, "request", None)
        self._windows_failed(request.meta.get("then", []) if request is not None else [])

    def _authorized(self, start: date, end: date, page: int) -> Request:
        """The search, or a new token first when the one held has (nearly) expired."""
        if self._token is None or time.monotonic() >= self._token_expires:
            return self._token_request([(start, end, page)])
        return self._search(start, end, page)

    # -- searches -------------------------------------------------------------------------------

    def search_url(self, start: date, end: date, page: int) -> str:
        query = {
            "query": f"applicationDate>={start.isoformat()} and applicationDate<={end.isoformat()}",
            "page": page,
            "size": self.page_size,
            "sort": "applicationDate:desc",
        }
        return f"{self.base_url}{SEARCH_PATH}?{urlencode(query)}"

    def _search(self, start: date, end: date, page: int, *, renewed: bool = False) -> Request:
        return self.request(
            self.search_url(start, end, page),
            self.parse_search,
            headers={
                "Authorization": f"Bearer {self._token}",
                "X-IBM-Client-Id": str(self.client_id),
                "Accept": "application/json",
            },
            meta={"window": (start, end, page), "renewed": renewed},
            handle_statuses=(400, 401),
            errback=self.on_search_error,
            dont_filter=True,
        )

    def on_search_error(self, failure: Failure) -> None:
        self.on_error(failure)
        request: Request | None = getattr(failure, "request", None)
        if request is not None and "window" in request.meta:
            self._windows_failed([request.meta["window"]])

    def parse_search(self, response: Response) -> Iterator[Request | Document]:
        start, end, page = response.meta["window"]
        self.count("search_pages")
        if response.status == 401 and not response.meta.get("renewed"):
            self.count("token_renewals")  # expired or revoked early: buy another, ask again
            self._token = None
            yield self._token_request([(start, end, page)])
            return
        if response.status != 200:
            self.problem(f"http_{response.status}", f"search refused: {response.text[:150]}")
            self._windows_failed([(start, end, page)])
            return
        try:
            payload = json.loads(response.body)
        except ValueError:
            self.problem("malformed", f"search page is not JSON: {response.url}")
            self._windows_failed([(start, end, page)])
            return
        total = payload.get("totalElements") if isinstance(payload, dict) else None
        if page == 0 and isinstance(total, int) and total > RESULT_CAP and end > start:
            # Past the cap the pages stop: ask again in halves, each under it.
            self.count("windows_split")
            middle = start + (end - start) // 2
            yield self._authorized(start, middle, 0)
            yield self._authorized(middle + timedelta(days=1), end, 0)
            return
        parsed = parse_search(response.body, url=response.url)
        for problem in parsed.problems:
            self.count("malformed")
            self.problem("malformed", f"{problem.record}: {problem.reason}")
        for document in parsed.documents:
            day = document.filed.isoformat() if document.filed else "unknown"
            if document.native_id in self.seen.get(day, set()):
                self.count("skipped_seen")
                continue
            self.new_records += 1
            self.seen.setdefault(day, set()).add(document.native_id)
            yield self.emit(document)
        pages = payload.get("totalPages") if isinstance(payload, dict) else None
        if isinstance(pages, int) and page + 1 < min(pages, self.max_pages):
            yield self._authorized(start, end, page + 1)

    def _windows_failed(self, searches: list[tuple[date, date, int]]) -> None:
        self.count("search_failures", len(searches) or 1)
        self.failed_windows.extend(start for start, _, _ in searches)

    # -- state ----------------------------------------------------------------------------------

    def new_state(self) -> dict[str, Any]:
        retry_from = min(self.failed_windows) if self.failed_windows else None
        next_start = self.until - self.overlap
        if retry_from is not None:
            next_start = min(next_start, retry_from)
        # Days before the next run's first window are never searched again: their seen sets go.
        seen = {
            day: sorted(numbers)
            for day, numbers in sorted(self.seen.items())
            if numbers and day >= next_start.isoformat()
        }
        state: dict[str, Any] = {"last_date": self.until.isoformat(), "seen": seen}
        if retry_from is not None:
            state["retry_from"] = retry_from.isoformat()
        return state


def _credentials_from_environment() -> tuple[str | None, str | None]:
    """The credentials as ipsentry's Settings read them from the environment or the YAML file,
    for a crawl whose Scrapy settings were not made by ``scrapy_settings``."""
    from ipsentry.config.settings import Settings

    keys = Settings().keys
    return credential(keys.euipo_client_id), credential(keys.euipo_client_secret)


def _token_url_from_environment() -> str | None:
    """``sources.euipo_token`` as ipsentry's Settings read it from the environment or the YAML
    file, for a crawl whose Scrapy settings were not made by ``scrapy_settings``."""
    from ipsentry.config.settings import Settings

    return _configured_url(Settings().sources.euipo_token)


def _configured_url(value: Any) -> str | None:
    """A URL from the settings; None when unset or blank (the default path on the base URL)."""
    text = str(value).strip() if value else ""
    return text or None
