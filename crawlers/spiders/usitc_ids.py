"""USITC IDS spider: the daily ``investigations.json`` dump, refused when it looks cut short.

One request per run, conditional on the previous run's ``ETag`` / ``Last-Modified`` (a 304 means
nothing new; ``full=1``, for backfills, asks unconditionally and yields every case).  A snapshot
is used whole or not at all: if it is not JSON, declares more rows than it holds, or lacks more
than ``max_drop`` (3% by default) of the cases the previous snapshot had, the run records the
problem, yields nothing, keeps the previous state and is not ``ok`` — a partial dump must never
read as "these investigations are gone".  Of an accepted snapshot only the investigations that
are new or changed since the last accepted one are yielded.

State::

    {"etag": "\\"…\\"", "last_modified": "…", "feed_date": "…",
     "count": 1381,                                   # cases in the last accepted snapshot
     "fingerprints": {"ids:337-TA-1414": "9f2c…", …}} # its case ids, with a hash of each document
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from ipsentry.core.documents import Document
from ipsentry.crawlers.parsers.usitc_ids import SnapshotError, document_id, documents_from_rows, load_snapshot
from ipsentry.crawlers.spiders.base import SourceSpider

FEED_PATH = "/investigations.json"
# A real day loses a handful of cases at most (dockets instituted under a new number are not
# losses, see _dropped); a cut-off download loses thousands.
MAX_DROP_FRACTION = 0.03


def conditional_headers(validators: dict[str, Any]) -> dict[str, str]:
    """Request headers that let the server answer 304 when nothing changed."""
    headers: dict[str, str] = {}
    if validators.get("etag"):
        headers["If-None-Match"] = str(validators["etag"])
    if validators.get("last_modified"):
        headers["If-Modified-Since"] = str(validators["last_modified"])
    return headers


def response_validators(response: Response) -> dict[str, str]:
    """The ``ETag`` / ``Last-Modified`` of a response, for the next conditional request."""
    found: dict[str, str] = {}
    for header, key in ((b"ETag", "etag"), (b"Last-Modified", "last_modified")):
        value = response.headers.get(header)
        if value:
            found[key] = value.decode("latin-1")
    return found


def looks_like_json(response: Response) -> bool:
    """A JSON answer, not a maintenance or bot-protection page served with status 200."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
    return "json" in content_type or response.body.lstrip()[:1] in (b"{", b"[")


class UsitcIdsSpider(SourceSpider):
    name = "usitc_ids"
    url_setting: ClassVar[str] = "usitc_ids"  # Settings.sources field with the base URL

    def __init__(
        self, *args: Any, max_drop: float | str = MAX_DROP_FRACTION, full: bool | str = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_drop = float(max_drop)
        # A backfill wants every case again (no 304, no "unchanged"), still checked for drops.
        self.full = str(full).lower() in {"1", "true", "yes"}
        fingerprints = self.state.get("fingerprints")
        self.previous: dict[str, str] = dict(fingerprints) if isinstance(fingerprints, dict) else {}
        self.accepted: dict[str, Any] | None = None  # the next state, once a snapshot is accepted

    async def start(self) -> AsyncIterator[Request]:
        yield self.request(
            f"{self.base_url}{FEED_PATH}",
            self.parse_snapshot,
            headers={} if self.full else conditional_headers(self.state),
            handle_statuses=(304,),
            errback=self.on_feed_error,
        )

    def on_feed_error(self, failure: Failure) -> None:
        self.on_error(failure)
        self._refuse()

    def _refuse(self) -> None:
        # The runner reads "search_failures" as "the source's listing could not be used": the
        # run is not ok and the state stays where it was.
        self.count("search_failures")
        self.count("snapshots_refused")

    def parse_snapshot(self, response: Response) -> Iterator[Document]:
        if response.status == 304:
            self.count("not_modified")
            return
        if not looks_like_json(response):
            self.count("block_pages")
            self.problem("block_page", f"not JSON at {response.url}: {response.body[:80]!r}")
            self._refuse()
            return
        try:
            snapshot = load_snapshot(response.body)
        except SnapshotError as error:
            self.count("malformed")
            self.problem("malformed", f"snapshot refused: {error}")
            self._refuse()
            return
        parsed = documents_from_rows(snapshot.rows, url=response.url)
        for problem in parsed.problems:
            self.count("malformed")
            self.problem("malformed", f"{problem.record}: {problem.reason}")
        current = {document.id: _fingerprint(document) for document in parsed.documents}
        if not current:
            self.problem("empty_snapshot", f"no Section 337 investigations in {snapshot.total_rows} rows")
            self._refuse()
            return
        dropped = _dropped(self.previous, parsed.documents)
        if self.previous and len(dropped) > self.max_drop * len(self.previous):
            self.problem(
                "snapshot_dropped",
                f"{len(dropped)} of {len(self.previous)} cases missing (more than {self.max_drop:.0%}), "
                f"e.g. {', '.join(sorted(dropped)[:3])}: snapshot refused",
            )
            self._refuse()
            return
        self.count("cases", len(current))
        self.count("dropped_cases", len(dropped))
        for document in parsed.documents:
            if not self.full and self.previous.get(document.id) == current[document.id]:
                self.count("unchanged")
                continue
            self.new_records += 1
            yield self.emit(document)
        self.accepted = {
            **response_validators(response),
            "feed_date": snapshot.feed_date,
            "count": len(current),
            "fingerprints": current,
        }

    def new_state(self) -> dict[str, Any]:
        # A 304 or a refused snapshot leaves the previous state (validators included) in place.
        return (
            {k: v for k, v in self.accepted.items() if v is not None} if self.accepted else dict(self.state)
        )


def _fingerprint(document: Document) -> str:
    # Everything the source said, not when it was fetched.
    return hashlib.sha256(document.model_dump_json(exclude={"fetched"}).encode()).hexdigest()[:16]


def _dropped(previous: dict[str, str], documents: list[Document]) -> set[str]:
    """Cases of the previous snapshot missing from this one.  A pre-institution docket that is now
    an instituted investigation (listed under its new number with the same docket) is not missing."""
    present = {document.id for document in documents}
    instituted = {document_id(d.docket_number) for d in documents if d.docket_number and d.case_numbers}
    return {case for case in previous if case not in present and case not in instituted}
