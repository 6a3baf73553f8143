"""What every ipsentry spider shares: base URL, incremental state, counted problems, sanity check.

A source's spider writes only its requests and parsing (parsers are plain functions in
``ipsentry.crawlers.parsers``).  This base gives it:

* ``base_url`` (from ``Settings.sources``, so tests point it at the fixture server), the
  incremental ``state`` of the previous run, and ``since`` / ``until`` dates;
* :meth:`count` / :meth:`problem` — crawler stats under ``ipsentry/<source>/…`` (``items``,
  ``errors``, ``errors/<kind>``, ``malformed``, ``block_pages``…) plus a few short error samples;
  a problem is never fatal;
* :meth:`request` — requests whose HTTP errors reach an errback that counts them;
* a sanity check when the spider closes: a run that found new records at the source but yielded
  no items is a broken source, logged and counted (``ipsentry/<source>/sanity/…``);
* :func:`state_date` (a date kept in the state, a damaged one ignored) and :func:`credential`
  (a key or secret from the crawl settings as plain text).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, ClassVar

import scrapy
from pydantic import SecretStr
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from ipsentry.core.documents import Document

MAX_ERROR_SAMPLES = 20


def as_date(value: date | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def state_date(value: Any) -> date | None:
    """A date kept in the state; a damaged entry is ignored rather than failing the run."""
    try:
        return as_date(value)
    except (TypeError, ValueError):
        return None


def credential(value: Any) -> str | None:
    """A key, token or secret from the crawl settings as plain text; None when unset or blank."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    text = str(value).strip() if value else ""
    return text or None


class SourceSpider(scrapy.Spider):
    """Base of the source spiders; ``name`` is the source name (``federal_register``…)."""

    name: ClassVar[str] = "source"  # type: ignore[misc]

    def __init__(
        self,
        *args: Any,
        base_url: str,
        state: dict[str, Any] | str | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = base_url.rstrip("/")
        # Scrapy passes "-a state=…" as a string; the runner passes a dict.
        self.state: dict[str, Any] = json.loads(state) if isinstance(state, str) else dict(state or {})
        self.since = as_date(since)
        self.until = as_date(until) or date.today()
        self.error_samples: list[str] = []
        self.new_records = 0  # records the source had that were not seen before
        self.items = 0

    # -- stats ---------------------------------------------------------------------------------

    def stat_key(self, key: str) -> str:
        return f"ipsentry/{self.name}/{key}"

    def count(self, key: str, amount: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(self.stat_key(key), amount)

    def problem(self, kind: str, detail: str, *, level: int = logging.WARNING) -> None:
        """A counted, logged, never fatal problem (``kind``: "http_404", "malformed", …)."""
        self.count("errors")
        self.count(f"errors/{kind}")
        sample = f"{kind}: {detail}"[:200]
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(sample)
            if self.crawler.stats is not None:
                self.crawler.stats.set_value(self.stat_key("error_samples"), list(self.error_samples))
        self.logger.log(level, sample)

    def emit(self, document: Document) -> Document:
        """Count an item on its way out (and note empty fields, which the sanity check reads)."""
        self.items += 1
        self.count("items")
        if not document.title.strip():
            self.count("sanity/empty_title")
        return document

    # -- requests ------------------------------------------------------------------------------

    def request(
        self,
        url: str,
        callback: Callable[..., Any],
        *,
        meta: dict[str, Any] | None = None,
        handle_statuses: Iterable[int] = (),
        errback: Callable[[Failure], Any] | None = None,
        **kwargs: Any,
    ) -> Request:
        """A request whose failures are counted; ``handle_statuses`` reach the callback."""
        meta = dict(meta or {})
        if handle_statuses:
            meta["handle_httpstatus_list"] = list(handle_statuses)
        return Request(url, callback=callback, errback=errback or self.on_error, meta=meta, **kwargs)

    def on_error(self, failure: Failure) -> None:
        response: Response | None = getattr(failure.value, "response", None)
        request: Request | None = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if response is not None:
            self.problem(f"http_{response.status}", url)
        else:
            self.problem("network", f"{failure.type.__name__ if failure.type else 'error'} {url}")

    # -- state and sanity ----------------------------------------------------------------------

    def new_state(self) -> dict[str, Any]:
        """The state the next run starts from (subclasses add what they track)."""
        return dict(self.state)

    def closed(self, reason: str) -> None:
        if self.new_records and not self.items:
            self.count("sanity/zero_items")
            self.logger.error(
                "sanity: %s had %d new records but the run yielded no items (reason: %s)",
                self.name,
                self.new_records,
                reason,
            )
