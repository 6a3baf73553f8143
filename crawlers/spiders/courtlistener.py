"""CourtListener spider: Schedule A and other IP suits in the configured courts, incrementally,
inside the account's request quotas.

One poll is ONE search (``/api/rest/v4/search/?type=r``) for Schedule A captions and IP natures
of suit in the configured courts (``court=ilnd flsd pawd nysd``), cases filed on or after
``filed_after`` and, after the first run, with a docket entry on or after the previous run's
newest entry date less ``overlap_days`` (``entry_date_filed_after``): new cases, and cases
that moved.  Its cursor pages are followed (``next``) up to ``max_pages``; a traversal cut
short is resumed from the saved cursor by the next poll.

A result is compared with what the state says of its docket (last entry number and date,
number of parties, termination).  Unchanged: skipped.  New or changed: its details are
fetched, at most ``max_details`` dockets per run (its parties always; the docket itself only
when search left out what it needs, see ``docket_details``), merged into the search result's
document and emitted.  A docket over
that bound, or whose details failed, is emitted as search found it and stays unrecorded, and
the entry watermark is held back to it, so the next poll sees it again.  There is no
per-docket polling loop: details are only asked for what the one search showed to be new.

Every request waits for a token of the account's buckets (``crawlers.ratelimit``; defaults 5 a
minute, 50 an hour, 125 a day) and a 429's ``Retry-After`` blocks the bucket; the bucket is
saved in the state so the hourly and daily quotas hold across runs.  The token goes in the
``Authorization: Token …`` header and nowhere else (never logged, never in a URL).

Configuration, first found wins: spider arguments (``courts``, ``rate_limits``,
``max_details``…), the Scrapy settings ``IPSENTRY_COURTLISTENER_TOKEN`` / ``_COURTS`` /
``_RATE_LIMITS`` (from ipsentry's Settings), then ipsentry's Settings read from the
environment (``IPSENTRY_KEYS__COURTLISTENER_TOKEN``), then the defaults below.

State::

    {"filed_after": "2024-01-01", "last_filed": "2024-04-17", "last_modified": "2024-04-26",
     "dockets": {"68351000": {"entry": 4, "modified": "2024-04-26", "parties": 1,
                              "terminated": null, "stages": [[3, "2024-04-23", "tro_motion"], …],
                              "brands": ["River Light V", "TORY BURCH"]}},
     "resume_url": null, "traversal": {…}, "ratelimit": {"tokens": {…}, …}}
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from ipsentry.core.documents import Document, Party, Role
from ipsentry.core.stages import OTHER
from ipsentry.crawlers.parsers.courtlistener import (
    merge_docket,
    next_page_url,
    parse_docket,
    parse_parties,
    parse_search,
    with_earlier_entries,
    with_parties,
)
from ipsentry.crawlers.ratelimit import TokenBucket, parse_limits
from ipsentry.crawlers.spiders.base import SourceSpider, credential, state_date

API = "/api/rest/v4"
SEARCH_PATH = f"{API}/search/"
DEFAULT_COURTS = ("ilnd", "flsd", "pawd", "nysd")
DEFAULT_RATE_LIMITS = "5/minute, 50/hour, 125/day"  # a default CourtListener account
# Schedule A captions, and the IP natures of suit (840 Trademark, 820 Copyright, 830 Patent).
DEFAULT_QUERY = (
    'caseName:("schedule a" OR "schedule \\"a\\"") OR suitNature:(Trademark OR Copyright OR Patent) '
    "OR cause:(1114 OR 1125 OR 501 OR 271)"
)
DEFAULT_ORDER = "dateFiled desc"
DOCKET_DETAILS = ("missing", "new", "always", "never")  # when to ask the docket endpoint
MAX_PARTY_PAGES = 5
RETENTION_DAYS = 365  # dockets not moving for this long are forgotten (seen as new if they move)
MIDDLEWARE = "ipsentry.crawlers.ratelimit.RateLimitMiddleware"
MIDDLEWARE_ORDER = 560  # nearer the downloader than RetryAfterMiddleware (550)


@dataclass(frozen=True)
class Signature:
    """What tells a changed docket from an unchanged one in a search result."""

    entry: int
    modified: str  # latest entry date (or filing date), ISO
    parties: int
    terminated: str | None

    @classmethod
    def of(cls, document: Document) -> Signature:
        entries = document.extra.get("entries") or []
        numbers = [e["entry_number"] for e in entries if isinstance(e.get("entry_number"), int)]
        days = [e["date"] for e in entries if e.get("date")]
        filed = document.filed.isoformat() if document.filed else ""
        return cls(
            entry=max(numbers, default=0),
            modified=max([*days, filed]),
            parties=sum(1 for p in document.parties if p.role is not Role.ATTORNEY),
            terminated=document.extra.get("date_terminated"),
        )

    def changed_from(self, known: dict[str, Any]) -> bool:
        return (
            self.entry > int(known.get("entry") or 0)
            or self.modified > str(known.get("modified") or "")
            or self.parties != int(known.get("parties") or 0)
            or self.terminated != known.get("terminated")
        )


class CourtListenerSpider(SourceSpider):
    name = "courtlistener"

    def __init__(
        self,
        *args: Any,
        courts: str | list[str] | None = None,
        rate_limits: str | list[str] | None = None,
        max_wait: float | str = 120.0,
        max_pages: int | str = 5,
        max_details: int | str = 10,
        docket_details: str = "missing",
        overlap_days: int | str = 3,
        initial_days: int | str = 30,
        query: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.courts = _court_list(courts) or list(DEFAULT_COURTS)
        self.max_pages = int(max_pages)
        self.max_details = int(max_details)
        if docket_details not in DOCKET_DETAILS:
            raise ValueError(f"docket_details must be one of {', '.join(DOCKET_DETAILS)}")
        self.docket_details = docket_details
        self.overlap = timedelta(days=int(overlap_days))
        self.query = query or DEFAULT_QUERY
        self.rate_limiter = TokenBucket(
            parse_limits(rate_limits or DEFAULT_RATE_LIMITS),
            max_wait=float(max_wait),
            snapshot=self.state.get("ratelimit") if isinstance(self.state.get("ratelimit"), dict) else None,
        )
        self._token: str | None = None
        state = self.state
        saved_floor = state_date(state.get("filed_after"))
        self.filed_after = self.since or saved_floor or (self.until - timedelta(days=int(initial_days)))
        self.last_modified = state_date(state.get("last_modified"))
        self.dockets: dict[str, dict[str, Any]] = {
            str(k): dict(v) for k, v in (state.get("dockets") or {}).items() if isinstance(v, dict)
        }
        self.resume_url: str | None = state.get("resume_url") or None
        if self.resume_url and not self.resume_url.startswith(f"{self.base_url}/"):
            self.resume_url = None  # the configured CourtListener changed: start a new search
        traversal = state.get("traversal") if self.resume_url else None
        self.traversal: dict[str, Any] = dict(traversal) if isinstance(traversal, dict) else {}
        self.pages = 0
        self.details_left = self.max_details
        self.next_url: str | None = None  # a page not followed this run
        self.search_done = False
        self.search_failed = False

    # -- configuration ---------------------------------------------------------------------

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> CourtListenerSpider:
        settings = crawler.settings
        for argument, name in (("courts", "COURTS"), ("rate_limits", "RATE_LIMITS")):
            if kwargs.get(argument) is None and settings.get(f"IPSENTRY_COURTLISTENER_{name}"):
                kwargs[argument] = settings.get(f"IPSENTRY_COURTLISTENER_{name}")
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, CourtListenerSpider)
        spider._token = credential(settings.get("IPSENTRY_COURTLISTENER_TOKEN")) or _token_from_environment()
        return spider

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        # Added to the project's middlewares (not replacing them: the retry middleware stays).
        middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
        middlewares.setdefault(MIDDLEWARE, MIDDLEWARE_ORDER)
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="spider")

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self._token}", "Accept": "application/json"}

    # -- the search --------------------------------------------------------------------------

    def search_url(self) -> str:
        query: list[tuple[str, str]] = [
            ("type", "r"),
            ("q", self.query),
            ("court", " ".join(self.courts)),
            ("filed_after", self.filed_after.isoformat()),
        ]
        if self.last_modified is not None:
            query.append(("entry_date_filed_after", (self.last_modified - self.overlap).isoformat()))
        query.append(("order_by", DEFAULT_ORDER))
        return f"{self.base_url}{SEARCH_PATH}?{urlencode(query)}"

    async def start(self) -> AsyncIterator[Request]:
        if not self._token:
            self.problem(
                "config", "no CourtListener token (settings keys.courtlistener_token): nothing fetched"
            )
            self.count("search_failures")
            self.search_failed = True
            return
        url = self.resume_url or self.search_url()
        if self.resume_url:
            self.count("resumed")
        yield self._search_request(url)

    def _search_request(self, url: str) -> Request:
        return self.request(
            url,
            self.parse_search,
            headers=self._headers(),
            handle_statuses=(400, 401, 403),
            errback=self.on_search_error,
        )

    def on_search_error(self, failure: Failure) -> None:
        if failure.check(IgnoreRequest):
            # The quota is spent: not a failure of the source; the next run asks again.
            self.count("deferred_by_rate_limit")
            self.logger.info("courtlistener search deferred: %s", failure.value)
        else:
            self.on_error(failure)
            self.count("search_failures")
        self.search_failed = True

    def parse_search(self, response: Response) -> Iterator[Request | Document]:
        self.count("search_pages")
        self.pages += 1
        if response.status in (400, 401, 403):
            kind = "unauthorized" if response.status in (401, 403) else "http_400"
            self.problem(kind, f"search answered {response.status}: {response.text[:150]}")
            self.count("search_failures")
            self.search_failed = True
            return
        parsed = parse_search(response.body, url=response.url, site=self.base_url)
        for problem in parsed.problems:
            self.count("malformed")
            self.problem("malformed", f"{problem.record}: {problem.reason}", level=logging.INFO)
        if not parsed.documents and b'"results"' not in response.body:
            self.count("search_failures")
            self.search_failed = True
            return
        for listing in parsed.documents:
            yield from self._on_listing(listing)
        next_url = next_page_url(response.body)
        if next_url and self.pages < self.max_pages:
            yield self._search_request(next_url)
        else:
            self.next_url = next_url
            self.search_done = True

    def _on_listing(self, listing: Document) -> Iterator[Request | Document]:
        if not (listing.extra.get("schedule_a") or listing.extra.get("ip_nature")):
            self.count("skipped_not_ip")
            return
        docket_id = str(listing.extra.get("docket_id"))
        signature = Signature.of(listing)
        self._note("filed", listing.filed.isoformat() if listing.filed else None)
        known = self.dockets.get(docket_id)
        if known is not None and not signature.changed_from(known):
            self.count("skipped_unchanged")
            self._note("entry", signature.modified)
            return
        self.new_records += 1
        self.count("changed" if known is not None else "new")
        if known is not None:
            listing = with_earlier_entries(listing, _stored_entries(known))
        if self.details_left <= 0:
            self.count("details_deferred")
            yield self._defer(listing, signature)
            return
        self.details_left -= 1
        meta = {"listing": listing, "signature": signature}
        if self._wants_docket(listing, known is None):
            yield self._detail_request(f"{self.base_url}{API}/dockets/{docket_id}/", self.parse_docket, meta)
        else:
            yield self._parties_request(docket_id, meta)

    # -- details ---------------------------------------------------------------------------

    def _wants_docket(self, listing: Document, new: bool) -> bool:
        """The docket endpoint repeats most of a search result; under a quota of 125 requests a
        day it is asked only when search left out what it needs ("missing": the docket number,
        or both nature of suit and cause), unless configured otherwise."""
        if self.docket_details == "missing":
            extra = listing.extra
            return not listing.docket_number or not (extra.get("nature_of_suit") or extra.get("cause"))
        return self.docket_details == "always" or (self.docket_details == "new" and new)

    def _detail_request(self, url: str, callback: Any, meta: dict[str, Any]) -> Request:
        return self.request(url, callback, meta=meta, headers=self._headers(), errback=self.on_detail_error)

    def _parties_request(self, docket_id: str, meta: dict[str, Any]) -> Request:
        url = f"{self.base_url}{API}/parties/?{urlencode({'docket': docket_id})}"
        return self._detail_request(url, self.parse_parties, {**meta, "parties": [], "party_pages": 0})

    def parse_docket(self, response: Response) -> Iterator[Request | Document]:
        self.count("docket_requests")
        listing: Document = response.meta["listing"]
        parsed = parse_docket(response.body, url=response.url, site=self.base_url)
        for problem in parsed.problems:
            self.problem("malformed", f"{problem.record}: {problem.reason}", level=logging.INFO)
        docket = next((d for d in parsed.documents if d.id == listing.id), None)
        if docket is not None:
            listing = merge_docket(listing, docket)
        yield self._parties_request(
            str(listing.extra.get("docket_id")), {**response.meta, "listing": listing}
        )

    def parse_parties(self, response: Response) -> Iterator[Request | Document]:
        self.count("party_requests")
        meta = response.meta
        listing: Document = meta["listing"]
        page = parse_parties(response.body, url=response.url)
        for problem in page.problems:
            self.problem("malformed", f"{problem.record}: {problem.reason}", level=logging.INFO)
        docket_id = int(listing.extra.get("docket_id") or 0)
        parties: list[Party] = [*meta["parties"], *page.by_docket.get(docket_id, [])]
        pages = meta["party_pages"] + 1
        if page.next_url and pages < MAX_PARTY_PAGES:
            yield self._detail_request(
                page.next_url, self.parse_parties, {**meta, "parties": parties, "party_pages": pages}
            )
            return
        if page.next_url:
            self.problem("truncated", f"{listing.id}: more than {MAX_PARTY_PAGES} pages of parties")
        document = with_parties(listing, parties) if parties else listing
        yield self._complete(document, meta["signature"])

    def on_detail_error(self, failure: Failure) -> Iterator[Document]:
        """Details not fetched (quota, network, 429 after retries): the search result still
        goes out, and the docket is asked again next run."""
        if failure.check(IgnoreRequest):
            self.count("deferred_by_rate_limit")
        else:
            self.on_error(failure)
        request: Request | None = getattr(failure, "request", None)
        meta = request.meta if request is not None else {}
        if isinstance(meta.get("listing"), Document):
            yield self._defer(meta["listing"], meta["signature"])

    # -- emitting and remembering ---------------------------------------------------------

    def _complete(self, document: Document, signature: Signature) -> Document:
        docket_id = str(document.extra.get("docket_id"))
        known = self.dockets.get(docket_id) or {}
        brands = list(dict.fromkeys([*(known.get("brands") or []), *(document.extra.get("brands") or [])]))
        if brands != list(document.extra.get("brands") or []):
            document = document.model_copy(update={"extra": {**document.extra, "brands": brands}})
        self.dockets[docket_id] = {
            "entry": signature.entry,
            "modified": signature.modified,
            "parties": signature.parties,
            "terminated": signature.terminated,
            "stages": [
                [e.get("entry_number"), e.get("date"), e.get("stage")]
                for e in document.extra.get("entries") or []
                if e.get("stage") not in (None, OTHER)
            ],
            "brands": brands,
        }
        self._note("entry", signature.modified)
        if document.extra.get("defendants_sealed"):
            self.count("sealed_schedules")  # to be read again when the schedule is unsealed
        return self.emit(document)

    def _defer(self, document: Document, signature: Signature) -> Document:
        # Not recorded: the next poll treats it as new or changed again, and the watermark
        # waits for it.
        self._note("held", signature.modified)
        return self.emit(document)

    def _note(self, key: str, day: str | None) -> None:
        """Keep the newest filing / entry date seen, and the oldest held-back entry date."""
        if not day:
            return
        current = self.traversal.get(key)
        if current is None or (day < current if key == "held" else day > current):
            self.traversal[key] = day

    def new_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "filed_after": self.filed_after.isoformat(),
            "last_filed": self.state.get("last_filed"),
            "last_modified": self.last_modified.isoformat() if self.last_modified else None,
            "ratelimit": self.rate_limiter.snapshot(),
        }
        finished = self.search_done and not self.search_failed
        if finished and self.next_url is None:
            # The whole result set was read: the watermarks move, but never past a held docket.
            filed = [d for d in (self.traversal.get("filed"), self.state.get("last_filed")) if d]
            state["last_filed"] = max(filed, default=None)
            newest, held = self.traversal.get("entry"), self.traversal.get("held")
            if held:
                state["last_modified"] = min(held, newest or held)
            elif newest:
                state["last_modified"] = max(newest, state["last_modified"] or newest)
        elif finished:
            state["resume_url"] = self.next_url  # cut short at max_pages: go on next run
            state["traversal"] = self.traversal
        elif self.resume_url:
            # This run's search did not get through: the next one repeats it as it was.
            state["resume_url"] = self.resume_url
            state["traversal"] = self.traversal
        horizon = _shift(state["last_modified"], -RETENTION_DAYS)
        state["dockets"] = {
            key: value
            for key, value in sorted(self.dockets.items())
            if horizon is None or str(value.get("modified") or "") >= horizon
        }
        return state


def _court_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    return list(dict.fromkeys(item.strip().lower() for item in items if item.strip()))


def _shift(day: str | None, days: int) -> str | None:
    parsed = state_date(day)
    return (parsed + timedelta(days=days)).isoformat() if parsed else None


def _token_from_environment() -> str | None:
    """The token as ipsentry's Settings read it from the environment or the YAML file: how a
    deployment configures it when the crawl settings do not carry it."""
    from ipsentry.config.settings import Settings

    return credential(Settings().keys.courtlistener_token)


def _stored_entries(known: dict[str, Any]) -> list[dict[str, Any]]:
    entries = []
    for item in known.get("stages") or []:
        if isinstance(item, list | tuple) and len(item) == 3:
            entries.append({"entry_number": item[0], "date": item[1], "stage": item[2]})
    return entries
