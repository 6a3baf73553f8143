"""Parser names as the CLI knows them (``ipsentry parse NAME FILE``) → the function.

Each parser is a plain function ``(content: bytes, *, url: str | None = None) -> ParseResult``
usable without Scrapy; spiders call the same functions.  Imported lazily so that one broken
or slow parser module never costs the others."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Protocol

from ipsentry.crawlers.parsers.base import ParseResult


class Parser(Protocol):
    def __call__(self, content: bytes, *, url: str | None = None) -> ParseResult: ...


PARSERS: dict[str, str] = {
    # Section 337
    "federal-register": "ipsentry.crawlers.parsers.federal_register:parse_search_response",
    "federal-register-text": "ipsentry.crawlers.parsers.federal_register:parse_raw_text",
    "federal-register-xml": "ipsentry.crawlers.parsers.federal_register:parse_full_text_xml",
    "usitc-news": "ipsentry.crawlers.parsers.itc337_news_release:parse_news_release",
    "usitc-ids": "ipsentry.crawlers.parsers.usitc_ids:parse_investigations",
    "edis-rss": "ipsentry.crawlers.parsers.edis_rss:parse_feed",
    "fr-public-inspection": "ipsentry.crawlers.parsers.fr_public_inspection:parse_public_inspection",
    # Cross-border e-commerce suits
    "pacer-rss": "ipsentry.crawlers.parsers.pacer_rss:parse_feed",
    "courtlistener-docket": "ipsentry.crawlers.parsers.recap_docket:parse_docket_xml",
    "courtlistener-search": "ipsentry.crawlers.parsers.courtlistener:parse_search",
    "case-captions": "ipsentry.crawlers.parsers.case_captions:parse_captions",
    # Trademark filings
    "uspto-daily": "ipsentry.crawlers.parsers.uspto_daily:parse_file",
    "euipo": "ipsentry.crawlers.parsers.euipo:parse_search",
}


class UnknownParser(KeyError):
    pass


def get_parser(name: str) -> Callable[..., ParseResult]:
    try:
        target = PARSERS[name]
    except KeyError:
        raise UnknownParser(f"unknown parser {name!r}; known: {', '.join(sorted(PARSERS))}") from None
    module_name, _, function_name = target.partition(":")
    return getattr(importlib.import_module(module_name), function_name)
