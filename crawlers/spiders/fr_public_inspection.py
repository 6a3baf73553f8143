"""Federal Register public-inspection spider: USITC notices the day before they are published.

One search per day, ``/api/v1/public-inspection-documents.json?conditions[available_on]=DAY&
conditions[agencies][]=international-trade-commission`` (SOURCES.md), from the previous run's last
day (searched again: special filings arrive during the day) or ``since``, to ``until`` (today).
Each day's search is conditional on that day's last ``ETag`` (304 = nothing new).

A record yields the document its published notice will update (same id ``fr:<number>``).  Only
notices not yet published by ``until`` are yielded: a notice already out is the Federal Register
spider's, and yielding the thinner public-inspection copy after it would overwrite the full one.

State::

    {"last_day": "2026-02-04",
     "seen": {"2026-02-04": ["2026-02297"]},       # per available_on day
     "etags": {"2026-02-04": "\\"…\\""},
     "retry_days": ["2026-02-03"]}                  # days the source did not answer
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from ipsentry.core.documents import Document
from ipsentry.crawlers.parsers.federal_register import USITC_AGENCY_SLUG
from ipsentry.crawlers.parsers.fr_public_inspection import parse_public_inspection
from ipsentry.crawlers.spiders.base import SourceSpider, as_date
from ipsentry.crawlers.spiders.usitc_ids import conditional_headers, looks_like_json, response_validators

SEARCH_PATH = "/api/v1/public-inspection-documents.json"
DEFAULT_START_DAYS = 3  # a first run without ``since`` looks back this far


class FrPublicInspectionSpider(SourceSpider):
    name = "fr_public_inspection"
    url_setting: ClassVar[str] = "federal_register"  # same host as the Federal Register API

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        seen = self.state.get("seen")
        self.seen: dict[str, set[str]] = (
            {d: set(n) for d, n in seen.items() if isinstance(n, list)} if isinstance(seen, dict) else {}
        )
        etags = self.state.get("etags")
        self.etags: dict[str, str] = dict(etags) if isinstance(etags, dict) else {}
        self.retry_days: set[str] = {d for d in self.state.get("retry_days") or [] if _day(d)}
        self.failed_days: set[str] = set()
        self.start_day = self._start_day()

    def _start_day(self) -> date:
        candidates = [d for d in (_day(self.state.get("last_day")), *map(_day, self.retry_days)) if d]
        if self.since:
            candidates.append(self.since)
        start = min(candidates) if candidates else self.until - timedelta(days=DEFAULT_START_DAYS)
        return min(start, self.until)

    def days(self) -> Iterator[date]:
        day = self.start_day
        while day <= self.until:
            yield day
            day += timedelta(days=1)

    def day_url(self, day: date) -> str:
        query = [
            ("conditions[available_on]", day.isoformat()),
            ("conditions[agencies][]", USITC_AGENCY_SLUG),
        ]
        return f"{self.base_url}{SEARCH_PATH}?{urlencode(query)}"

    async def start(self) -> AsyncIterator[Request]:
        for day in self.days():
            key = day.isoformat()
            yield self.request(
                self.day_url(day),
                self.parse_day,
                meta={"day": key},
                headers=conditional_headers({"etag": self.etags.get(key)}),
                handle_statuses=(304, 400),
                errback=self.on_day_error,
            )

    def on_day_error(self, failure: Failure) -> None:
        self.on_error(failure)
        request: Request | None = getattr(failure, "request", None)
        if request is not None and "day" in request.meta:
            self._day_failed(request.meta["day"])

    def _day_failed(self, day: str) -> None:
        # The runner reads "search_failures" as "the source did not answer": not ok; the day is
        # searched again next run.
        self.count("search_failures")
        self.failed_days.add(day)
        self.etags.pop(day, None)

    def parse_day(self, response: Response) -> Iterator[Request | Document]:
        day: str = response.meta["day"]
        if response.status == 304:
            self.count("not_modified")
            self.retry_days.discard(day)
            return
        if response.status == 400:
            self.problem("http_400", f"search rejected for {day}: {response.text[:150]}")
            self._day_failed(day)
            return
        if not looks_like_json(response):
            self.count("block_pages")
            self.problem("block_page", f"not JSON for {day}: {response.body[:80]!r}")
            self._day_failed(day)
            return
        try:
            payload = json.loads(response.body)
        except ValueError:
            self.count("malformed")
            self.problem("malformed", f"search page for {day} is not JSON (truncated?)")
            self._day_failed(day)
            return
        parsed = parse_public_inspection(response.body, url=response.url)
        for problem in parsed.problems:
            self.count("malformed")
            self.problem("malformed", f"{problem.record}: {problem.reason}")
        self.count("day_pages")
        if not parsed.documents and not parsed.problems:
            self.count("empty_days")
        for document in parsed.documents:
            yield from self._on_record(day, document)
        next_url = payload.get("next_page_url") if isinstance(payload, dict) else None
        if next_url:
            yield self.request(
                next_url,
                self.parse_day,
                meta={"day": day, "page": True},
                handle_statuses=(400,),
                errback=self.on_day_error,
            )
        elif not response.meta.get("page") and day not in self.failed_days:
            # Only a one-page day can be revalidated by its ETag as a whole.
            validators = response_validators(response)
            if validators.get("etag"):
                self.etags[day] = validators["etag"]
        self.retry_days.discard(day)

    def _on_record(self, day: str, document: Document) -> Iterator[Document]:
        seen = self.seen.setdefault(day, set())
        if document.native_id in seen:
            self.count("skipped_seen")
            return
        seen.add(document.native_id)
        if document.published is not None and document.published <= self.until:
            self.count("already_published")
            return
        self.new_records += 1
        yield self.emit(document)

    def new_state(self) -> dict[str, Any]:
        retry = sorted(self.retry_days | self.failed_days)
        next_start = min([self.until.isoformat(), *retry])
        return {
            "last_day": self.until.isoformat(),
            "seen": {d: sorted(n) for d, n in sorted(self.seen.items()) if n and d >= next_start},
            "etags": {d: e for d, e in sorted(self.etags.items()) if d >= next_start},
            "retry_days": retry,
        }


def _day(value: Any) -> date | None:
    try:
        return as_date(value)
    except (TypeError, ValueError):
        return None
