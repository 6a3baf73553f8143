"""PACER RSS spider: new cases and docket entries of IP suits, one feed per court.

Each run fetches ``<court base>/cgi-bin/rss_outside.pl`` for every configured court
(``Settings.sources.pacer``: court → base URL; the runner hands the mapping over as JSON), as
a conditional request (``If-None-Match`` / ``If-Modified-Since`` from the previous answer): a
304 costs nothing.  The feeds carry every entry of every case in the court; the parser emits
them all and this spider keeps only IP suits:

* Schedule A captions (the parser's ``extra["schedule_a"]``), never bankruptcy entries;
* entries whose docket text carries an IP cue (the AO 120/121 report, trademark, copyright,
  patent, counterfeit, an IP cause citation) — the feeds have no nature of suit;
* later entries of a case kept before (``tracked`` cases), whose own text may say nothing
  about IP ("ATTORNEY Appearance…").

State::

    {"feeds": {"ilnd": {"etag": "…", "last_modified": "…", "last_pub": "2024-04-26T17:00:00+00:00",
                        "seen": {"pacer:ilnd:1:24-cv-03089:20": "2024-04-26T17:00:00+00:00", …}}},
     "tracked": {"ilnd:1:24-cv-03120": "2026-11-24"}}      # day the case was last kept

An entry is new when its id (from the guid: PACER case id and entry sequence) is not in
``seen`` and it is not older than the previous run's newest entry less ``OVERLAP``; ``seen``
keeps only that overlap, since a feed covers about a day.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from scrapy.http import Request, Response
from twisted.python.failure import Failure

from ipsentry.core.documents import Document
from ipsentry.crawlers.parsers.pacer_rss import parse_feed
from ipsentry.crawlers.parsers.schedule_a import ip_cues
from ipsentry.crawlers.spiders.base import SourceSpider

FEED_PATH = "/cgi-bin/rss_outside.pl"
OVERLAP = timedelta(days=2)  # entries can reach a feed late; a feed spans about a day
TRACKED_DAYS = 365  # a case kept once is followed this long after its last kept entry


class PacerRssSpider(SourceSpider):
    name = "pacer_rss"
    url_setting: ClassVar[str] = "pacer"  # Settings.sources.pacer: court → base URL

    def __init__(self, *args: Any, courts: str | list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.feeds = _feed_bases(self.base_url)
        wanted = _court_list(courts)
        if wanted:
            self.feeds = {court: url for court, url in self.feeds.items() if court in wanted}
        saved = self.state.get("feeds") if isinstance(self.state.get("feeds"), dict) else {}
        self.feed_state: dict[str, dict[str, Any]] = {
            court: dict(saved.get(court) or {}) for court in self.feeds
        }
        tracked = self.state.get("tracked")
        self.tracked: dict[str, str] = dict(tracked) if isinstance(tracked, dict) else {}

    async def start(self) -> AsyncIterator[Request]:
        if not self.feeds:
            self.problem("config", "no PACER courts configured (settings.sources.pacer)")
        for court, base in sorted(self.feeds.items()):
            yield self.feed_request(court, base)

    def feed_request(self, court: str, base: str) -> Request:
        saved = self.feed_state[court]
        headers: dict[str, str] = {}
        if saved.get("etag"):
            headers["If-None-Match"] = saved["etag"]
        if saved.get("last_modified"):
            headers["If-Modified-Since"] = saved["last_modified"]
        return self.request(
            f"{base.rstrip('/')}{FEED_PATH}",
            self.parse_feed,
            meta={"court": court},
            headers=headers,
            handle_statuses=(304,),
            errback=self.on_feed_error,
        )

    def on_feed_error(self, failure: Failure) -> None:
        # A court that did not answer is tried again next run; its state stays as it was.
        self.on_error(failure)
        self.count("feed_failures")

    # -- one feed ------------------------------------------------------------------------------

    def parse_feed(self, response: Response) -> Iterator[Document]:
        court: str = response.meta["court"]
        self.count("feeds")
        if response.status == 304:
            self.count("not_modified")
            return
        saved = self.feed_state[court]
        parsed = parse_feed(response.body, url=response.url, court=court)
        for problem in parsed.problems:
            self.count("malformed")
            self.problem("malformed", f"{court} {problem.record}: {problem.reason}")
        if not parsed.documents and b"<item" in response.body:
            # Items came but none could be read: a changed or broken feed, not a quiet day.
            self.count("sanity/unreadable_feed")
            self.problem("sanity", f"{court}: the feed has items but none could be read")
            return
        seen: dict[str, str] = dict(saved.get("seen") or {})
        last_pub = _datetime(saved.get("last_pub"))
        floor = last_pub - OVERLAP if last_pub else None
        newest = last_pub
        # Oldest first, so that a case kept for an early entry keeps its later ones.
        for document in sorted(parsed.documents, key=_published_at):
            published = _published_at(document)
            dated = document.extra.get("published_at") is not None
            if document.id in seen or (floor is not None and dated and published < floor):
                self.count("skipped_seen")
                continue
            seen[document.id] = published.isoformat()
            newest = max(newest, published) if newest else published
            if not self._keep(document):
                self.count("filtered_out")
                continue
            self.new_records += 1
            yield self.emit(document)
        keep_from = (newest - OVERLAP).isoformat() if newest else None
        saved["seen"] = {k: v for k, v in seen.items() if keep_from is None or v >= keep_from}
        saved["last_pub"] = newest.isoformat() if newest else saved.get("last_pub")
        for header, key in ((b"ETag", "etag"), (b"Last-Modified", "last_modified")):
            value = response.headers.get(header)
            if value:
                saved[key] = value.decode("latin-1")

    def _keep(self, document: Document) -> bool:
        """An IP suit's entry: Schedule A, an IP cue, or a case kept before."""
        if document.extra.get("bankruptcy"):
            return False
        case = document.case_id or ""
        cues = ip_cues(f"{document.title}\n{document.text}")
        keep = bool(document.extra.get("schedule_a") or cues or case in self.tracked)
        if keep and case:
            # Crawl time, not the entry's date: a case is forgotten a year after the feeds last
            # showed it, whatever dates its entries carry.
            self.tracked[case] = date.today().isoformat()
            if cues and not document.extra.get("schedule_a"):
                self.count("kept_by_cue")
        return keep

    # -- state ---------------------------------------------------------------------------------

    def new_state(self) -> dict[str, Any]:
        horizon = (date.today() - timedelta(days=TRACKED_DAYS)).isoformat()
        feeds = dict(self.state.get("feeds") or {}) if isinstance(self.state.get("feeds"), dict) else {}
        feeds.update(self.feed_state)
        return {
            "feeds": feeds,
            "tracked": {case: day for case, day in sorted(self.tracked.items()) if day >= horizon},
        }


def _feed_bases(base_url: str) -> dict[str, str]:
    """Court → base URL from the runner's JSON mapping (``{"ilnd": "https://ecf.ilnd…"}``)."""
    try:
        loaded = json.loads(base_url)
    except ValueError:
        raise ValueError("pacer_rss needs a JSON mapping of court → base URL as base_url") from None
    if not isinstance(loaded, dict):
        raise ValueError("pacer_rss needs a JSON mapping of court → base URL as base_url")
    return {str(court).lower(): str(url) for court, url in loaded.items() if url}


def _court_list(value: str | list[str] | None) -> set[str]:
    if value is None:
        return set()
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    return {item.strip().lower() for item in items if item.strip()}


def _datetime(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _published_at(document: Document) -> datetime:
    return _datetime(document.extra.get("published_at")) or datetime.min.replace(tzinfo=UTC)
