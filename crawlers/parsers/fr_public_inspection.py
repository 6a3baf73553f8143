"""Federal Register public-inspection documents (USITC notices filed for the next day's issue,
about a day before publication) → :class:`ParseResult`; no Scrapy.

``/api/v1/public-inspection-documents.json`` answers ``{"count", "results": [...]}``; a result has
``document_number``, ``title``, ``type``, ``agencies`` / ``agency_names``, ``docket_numbers``,
``filed_at``, ``filing_type`` ("regular" / "special"), ``publication_date`` (the scheduled one),
``editorial_note``, ``excerpts``, ``html_url``, ``pdf_url``, ``raw_text_url``, ``json_url``,
``toc_subject`` / ``toc_doc`` and ``subject_1..3``, but no abstract (field list: the Federal
Register's own request spec for ``/api/v1/public-inspection-documents/{number}.json`` and the
``PublicInspectionDocumentFieldItem`` enumeration of beshkenadze/us-legal-tools'
federal-register-sdk).

A public-inspection record becomes the same document the published notice will be:
``fr:<document_number>`` (see :mod:`~ipsentry.crawlers.parsers.federal_register`), read by the same
stage and party code, so the published notice *updates* it in the index (upsert by id) rather than
standing beside it.
"""

from __future__ import annotations

import re
from typing import Any

from ipsentry.core.documents import Document
from ipsentry.crawlers.parsers.base import ParseResult
from ipsentry.crawlers.parsers.federal_register import document_from_record, parse_records_response
from ipsentry.crawlers.parsers.itc337_text import case_numbers_in, docket_number, html_to_text, squash

SOURCE = "fr_public_inspection"

_WITHDRAWN_RE = re.compile(r"\bwithdr[ae]wn?\b|\bwithdrawal\b", re.I)


def parse_public_inspection(content: bytes, *, url: str | None = None) -> ParseResult:
    """Documents of a ``public-inspection-documents.json`` response (or one record, or a list)."""
    return parse_records_response(
        content, url=url, to_document=document_from_pi_record, what="public-inspection response"
    )


def document_from_pi_record(record: Any, *, source_url: str | None = None) -> Document:
    """One public-inspection record → the Document its published notice will update."""
    if not isinstance(record, dict):
        raise ValueError(f"record is a {type(record).__name__}, not an object")
    agencies = record.get("agencies")
    if not agencies and isinstance(record.get("agency_names"), list):
        # Some records name agencies only by name: enough for the USITC check.
        agencies = [{"name": name} for name in record["agency_names"]]
    excerpts = record.get("excerpts")
    listing = {
        "document_number": record.get("document_number"),
        "publication_date": record.get("publication_date"),
        "title": squash(str(record.get("title") or record.get("toc_doc") or "")),
        # No abstract before publication; search excerpts (HTML highlights) are the nearest thing.
        "abstract": squash(html_to_text(excerpts)) if isinstance(excerpts, str) else "",
        "html_url": record.get("html_url"),
        "agencies": agencies,
        "type": record.get("type"),
        "pdf_url": record.get("pdf_url"),
        "json_url": record.get("json_url"),
    }
    document = document_from_record(listing, source_url=source_url)
    dockets = " ; ".join(str(d) for d in record.get("docket_numbers") or [] if d)
    note = str(record.get("editorial_note") or "")
    extra = {
        **document.extra,
        "public_inspection": True,
        "filed_at": record.get("filed_at"),
        "filing_type": record.get("filing_type"),
        "pi_docket_numbers": record.get("docket_numbers") or [],
    }
    if note:
        extra["editorial_note"] = note
        extra["withdrawn"] = bool(_WITHDRAWN_RE.search(note))
    return document.model_copy(
        update={
            "source": SOURCE,
            # The agency's docket line ("Investigation No. 337-TA-1414") is the notice's own
            # number, as the bracketed header is in the published text.
            "case_numbers": document.case_numbers or case_numbers_in(dockets),
            "docket_number": document.docket_number or docket_number(dockets),
            "extra": {k: v for k, v in extra.items() if v is not None},
        }
    )
