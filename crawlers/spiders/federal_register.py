"""Federal Register spider: USITC Section 337 notices, incrementally.

Each run searches ``/api/v1/documents.json`` (agency international-trade-commission, type NOTICE,
term "337") month by month, from the previous run's last date (less a few days of overlap) or
``since``, to ``until`` (today), following ``next_page_url``.  A result not seen before gets its
``raw_text_url`` fetched and parsed, and one merged :class:`Document` per notice is yielded.

State (a JSON-able dict the runner stores between runs)::

    {"last_date": "2026-02-28",                       # the previous run's ``until``
     "seen": {"2026-02-05": ["2026-02297", …]},        # fully fetched, per publication date
     "pending": {"2026-02-03": ["2026-02107"]},        # to fetch again (fresh 404, block page)
     "retry_from": "2026-02-01"}                       # a search window that failed (if any)

A fresh document's raw text can 404 for a few hours and a bot-protection page can stand in for
it: the search result's document is still yielded, counted, and the notice stays pending, so the
next run fetches it again.  An old document without raw text is marked seen (it will not come).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from ipsentry.core.documents import Document
from ipsentry.crawlers.parsers.federal_register import merge_documents, parse_raw_text, parse_search_response
from ipsentry.crawlers.spiders.base import SourceSpider, state_date

SEARCH_PATH = "/api/v1/documents.json"
SEARCH_FIELDS = (
    "document_number",
    "title",
    "type",
    "abstract",
    "publication_date",
    "html_url",
    "raw_text_url",
    "full_text_xml_url",
    "json_url",
    "citation",
    "agencies",
)
# Result sets stop at a cap (reports say 2,000 or 10,000): a count there may hide results.
RESULT_CAPS = (2000, 10000)
OVERLAP_DAYS = 3  # re-search the last days of the previous run: late API updates still arrive
DEFAULT_START_DAYS = 30  # a first run without ``since`` looks back this far


class FederalRegisterSpider(SourceSpider):
    name = "federal_register"

    def __init__(
        self,
        *args: Any,
        per_page: int | str = 200,
        fresh_days: int | str = 3,
        term: str = "337",
        result_caps: str | tuple[int, ...] = RESULT_CAPS,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.per_page = int(per_page)
        caps = result_caps.split(",") if isinstance(result_caps, str) else result_caps
        self.result_caps = frozenset(int(c) for c in caps)
        self.fresh_days = int(fresh_days)
        self.term = term
        self.seen: dict[str, set[str]] = {d: set(n) for d, n in (self.state.get("seen") or {}).items()}
        self.pending: dict[str, set[str]] = {d: set(n) for d, n in (self.state.get("pending") or {}).items()}
        self.failed_windows: list[date] = []  # starts of search windows the source did not answer
        self.start_date = self._start_date()

    # -- windows -------------------------------------------------------------------------------

    def _start_date(self) -> date:
        candidates: list[date] = []
        last = state_date(self.state.get("last_date"))
        if last:
            candidates.append(last - timedelta(days=OVERLAP_DAYS))
        candidates.extend(d for d in (state_date(k) for k in self.pending if self.pending[k]) if d)
        retry_from = state_date(self.state.get("retry_from"))
        if retry_from:
            candidates.append(retry_from)
        if self.since:
            candidates.append(self.since)
        start = min(candidates) if candidates else self.until - timedelta(days=DEFAULT_START_DAYS)
        return min(start, self.until)

    def windows(self) -> Iterator[tuple[date, date]]:
        """Calendar-month windows covering start … until."""
        start = self.start_date
        while start <= self.until:
            next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
            end = min(next_month - timedelta(days=1), self.until)
            yield start, end
            start = next_month

    def search_url(self, start: date, end: date, page: int = 1) -> str:
        query: list[tuple[str, str | int]] = [
            ("conditions[agencies][]", "international-trade-commission"),
            ("conditions[type][]", "NOTICE"),
            ("conditions[term]", self.term),
            ("conditions[publication_date][gte]", start.isoformat()),
            ("conditions[publication_date][lte]", end.isoformat()),
            ("per_page", self.per_page),
            ("order", "oldest"),
        ]
        query.extend(("fields[]", field) for field in SEARCH_FIELDS)
        if page > 1:
            query.append(("page", page))
        return f"{self.base_url}{SEARCH_PATH}?{urlencode(query, doseq=True)}"

    async def start(self) -> AsyncIterator[Request]:
        for start, end in self.windows():
            yield self._search_request(start, end)

    def _search_request(self, start: date, end: date) -> Request:
        return self.request(
            self.search_url(start, end),
            self.parse_search,
            meta={"window": (start.isoformat(), end.isoformat())},
            handle_statuses=(400,),
            errback=self.on_search_error,
        )

    def on_search_error(self, failure: Failure) -> None:
        """A window the source did not answer (after retries): the next run searches it again."""
        self.on_error(failure)
        request: Request | None = getattr(failure, "request", None)
        if request is not None and "window" in request.meta:
            self._window_failed(date.fromisoformat(request.meta["window"][0]))

    def _window_failed(self, start: date) -> None:
        self.count("search_failures")
        self.failed_windows.append(start)

    # -- search pages --------------------------------------------------------------------------

    def parse_search(self, response: Response) -> Iterator[Request | Document]:
        self.count("search_pages")
        start, end = (date.fromisoformat(d) for d in response.meta["window"])
        if response.status == 400:
            self.problem("http_400", f"search rejected: {response.text[:150]}")
            self._window_failed(start)
            return
        try:
            payload = json.loads(response.body)
        except ValueError:
            self.problem("malformed", f"search page is not JSON: {response.url}")
            self._window_failed(start)
            return
        count = payload.get("count") if isinstance(payload, dict) else None
        if isinstance(count, int) and (count in self.result_caps or count >= max(self.result_caps)):
            self.count("suspect_count")
            if end > start and not response.meta.get("page"):
                # Ask again in halves: each answers under the cap, nothing is lost.
                self.logger.warning("count %d at a cap for %s…%s: splitting the window", count, start, end)
                middle = start + (end - start) // 2
                yield self._search_request(start, middle)
                yield self._search_request(middle + timedelta(days=1), end)
                return
            self.logger.warning(
                "count %d at a cap for the single day %s: results may be missing", count, start
            )
        parsed = parse_search_response(response.body, url=response.url)
        for problem in parsed.problems:
            self.count("malformed")
            self.problem("malformed", f"{problem.record}: {problem.reason}")
        for document in parsed.documents:
            yield from self._on_listing(document)
        next_url = payload.get("next_page_url") if isinstance(payload, dict) else None
        if next_url:
            yield self.request(
                next_url,
                self.parse_search,
                meta={"window": response.meta["window"], "page": True},
                handle_statuses=(400,),
                errback=self.on_search_error,
            )

    def _on_listing(self, document: Document) -> Iterator[Request | Document]:
        day = document.published.isoformat() if document.published else "unknown"
        if document.native_id in self.seen.get(day, set()):
            self.count("skipped_seen")
            return
        self.new_records += 1
        raw_text_url = document.extra.get("raw_text_url")
        if not raw_text_url:
            # Nothing more to read: the search result is the whole notice we can get.
            self._mark_seen(document)
            yield self.emit(document)
            return
        yield self.request(
            raw_text_url,
            self.parse_raw_text,
            meta={"listing": document},
            handle_statuses=(404, 410),
            errback=self.on_raw_text_error,
        )

    # -- raw text ------------------------------------------------------------------------------

    def parse_raw_text(self, response: Response) -> Iterator[Document]:
        listing: Document = response.meta["listing"]
        self.count("raw_text_requests")
        if response.status in (404, 410):
            if self._is_fresh(listing):
                self.count("raw_text_not_yet")
                self.problem("http_404", f"raw text not there yet for {listing.native_id}: retry next run")
                self._mark_pending(listing)
            else:
                # An old notice without raw text: it will not appear later, do not ask again.
                self.count("raw_text_missing")
                self._mark_seen(listing)
            yield self.emit(listing)
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        body = response.body
        if not content_type.startswith(("text/html", "text/plain")):
            self.problem("content_type", f"{content_type or 'no Content-Type'} for {response.url}")
            self._mark_pending(listing)
            yield self.emit(listing)
            return
        if not _looks_like_notice(body):
            self.count("block_pages")
            self.problem("block_page", f"not a notice at {response.url}: {body[:80]!r}")
            self._mark_pending(listing)
            yield self.emit(listing)
            return
        parsed = parse_raw_text(body, url=response.url)
        for problem in parsed.problems:
            self.count("malformed")
            self.problem("malformed", f"{problem.record}: {problem.reason}")
        full = next((d for d in parsed.documents if d.native_id == listing.native_id), None)
        if full is None:
            self._mark_pending(listing)
            yield self.emit(listing)
            return
        self._mark_seen(listing)
        yield self.emit(merge_documents(listing, full))

    def on_raw_text_error(self, failure: Failure) -> Iterator[Document]:
        """Network errors and HTTP errors left after retries: keep the listing, try next run."""
        self.on_error(failure)
        request: Request | None = getattr(failure, "request", None)
        listing = request.meta.get("listing") if request is not None else None
        if isinstance(listing, Document):
            self._mark_pending(listing)
            yield self.emit(listing)

    def _is_fresh(self, document: Document) -> bool:
        return document.published is None or (self.until - document.published).days <= self.fresh_days

    # -- state ---------------------------------------------------------------------------------

    def _mark_seen(self, document: Document) -> None:
        day = document.published.isoformat() if document.published else "unknown"
        self.seen.setdefault(day, set()).add(document.native_id)
        if document.native_id in self.pending.get(day, set()):
            self.pending[day].discard(document.native_id)

    def _mark_pending(self, document: Document) -> None:
        day = document.published.isoformat() if document.published else "unknown"
        self.pending.setdefault(day, set()).add(document.native_id)

    def new_state(self) -> dict[str, Any]:
        # Dates before the next run's first window (which starts at the earliest pending notice
        # if there is one) will never be searched again: their seen sets can go.
        pending = {d: sorted(n) for d, n in sorted(self.pending.items()) if n}
        retry_from = min(self.failed_windows).isoformat() if self.failed_windows else None
        starts = [(self.until - timedelta(days=OVERLAP_DAYS)).isoformat(), *pending]
        next_start = min([*starts, retry_from] if retry_from else starts)
        seen = {d: sorted(n) for d, n in sorted(self.seen.items()) if n and d >= next_start}
        state: dict[str, Any] = {"last_date": self.until.isoformat(), "seen": seen, "pending": pending}
        if retry_from:
            state["retry_from"] = retry_from
        return state


def _looks_like_notice(body: bytes) -> bool:
    """A Federal Register raw text, not a challenge or error page served with status 200."""
    head = body[:4000]
    return b"[FR Doc" in body or b"Federal Register" in head or b"<pre" in head.lower()
