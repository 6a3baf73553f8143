"""EDIS RSS spider: documents newly approved on the USITC electronic docket, chiefly new
Section 337 complaints (the earliest signal of a case, before any Federal Register notice).

One conditional request per run (``ETag`` / ``Last-Modified``; 304 = nothing new).  Items already
seen (by EDIS document id) are skipped.  A feed that is not RSS (a block page) or not there
(404 after retries) fails the run and leaves the state alone; a malformed feed yields what can be
recovered and keeps no validators, so the next run reads it whole again.

The feed URL is the complaint feed public code subscribes to (likesdonuts/itc-api
``datalayer/config.py``): ``/external/rss/render.rss?criteria=CRITERIONAOIDEL:8:13:CRITERIONANOTIFY:true``.

State::

    {"etag": "\\"…\\"", "last_modified": "…", "seen": ["894182", …]}   # newest last, bounded
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import urlencode

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from ipsentry.core.documents import Document
from ipsentry.crawlers.parsers.edis_rss import parse_feed
from ipsentry.crawlers.spiders.base import SourceSpider
from ipsentry.crawlers.spiders.usitc_ids import conditional_headers, response_validators

FEED_PATH = "/external/rss/render.rss"
DEFAULT_CRITERIA = "CRITERIONAOIDEL:8:13:CRITERIONANOTIFY:true"
# A feed lists recent documents only; this many ids cover far more than one feed's worth.
SEEN_LIMIT = 2000


class EdisRssSpider(SourceSpider):
    name = "edis_rss"
    url_setting: ClassVar[str] = "edis"  # Settings.sources field with the base URL

    def __init__(self, *args: Any, criteria: str = DEFAULT_CRITERIA, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        seen = self.state.get("seen")
        self.seen: list[str] = [str(s) for s in seen] if isinstance(seen, list) else []
        self.validators: dict[str, str] = {
            k: str(self.state[k]) for k in ("etag", "last_modified") if self.state.get(k)
        }

    def feed_url(self) -> str:
        return f"{self.base_url}{FEED_PATH}?{urlencode({'criteria': self.criteria})}"

    async def start(self) -> AsyncIterator[Request]:
        yield self.request(
            self.feed_url(),
            self.parse_feed,
            headers=conditional_headers(self.validators),
            handle_statuses=(304,),
            errback=self.on_feed_error,
        )

    def on_feed_error(self, failure: Failure) -> None:
        self.on_error(failure)
        self._failed()

    def _failed(self) -> None:
        # The runner reads "search_failures" as "the source did not answer": not ok, state kept.
        self.count("search_failures")

    def parse_feed(self, response: Response) -> Iterator[Document]:
        if response.status == 304:
            self.count("not_modified")
            return
        head = response.body.lstrip()[:500].lower()
        if not (head.startswith(b"<?xml") or b"<rss" in head or b"<channel" in head):
            self.count("block_pages")
            self.problem("block_page", f"not RSS at {response.url}: {response.body[:80]!r}")
            self._failed()
            return
        parsed = parse_feed(response.body, url=response.url)
        recovered = False
        for problem in parsed.problems:
            self.count("malformed")
            self.problem("malformed", f"{problem.record}: {problem.reason}")
            recovered = recovered or problem.reason.startswith("malformed XML")
        if not parsed.documents and not parsed.problems:
            self.count("empty_feed")
            self.logger.info("the EDIS feed lists no documents")
        known = set(self.seen)
        for document in parsed.documents:
            if document.native_id in known:
                self.count("skipped_seen")
                continue
            known.add(document.native_id)
            self.seen.append(document.native_id)
            self.new_records += 1
            yield self.emit(document)
        # Validators of a feed read only in part would make the next run skip the rest (304).
        self.validators = {} if recovered else response_validators(response)

    def new_state(self) -> dict[str, Any]:
        return {**self.validators, "seen": self.seen[-SEEN_LIMIT:]}
