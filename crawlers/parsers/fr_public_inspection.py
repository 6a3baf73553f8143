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

import json
import re
from typing import Any

from ipsentry.core.documents import Document
from ipsentry.crawlers.parsers.base import ParseProblem, ParseResult
from ipsentry.crawlers.parsers.federal_register import document_from_record
from ipsentry.crawlers.parsers.itc337_text import case_numbers_in, docket_number, html_to_text, squash

SOURCE = "fr_public_inspection"

_WITHDRAWN_RE = re.compile(r"\bwithdr[ae]wn?\b|\bwithdrawal\b", re.I)


def parse_public_inspection(content: bytes, *, url: str | None = None) -> ParseResult:
    """Documents of a ``public-inspection-documents.json`` response (or one record, or a list)."""
    result = ParseResult()
    try:
        payload = json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:
        result.problems.append(ParseProblem(record=url or "response", reason=f"not JSON: {error}"))
        return result
    if isinstance(payload, dict) and "errors" in payload:
        reason = f"API error: {json.dumps(payload['errors'])[:300]}"
        result.problems.append(ParseProblem(record=url or "response", reason=reason))
        return result
    records = _records(payload)
    if records is None:
        result.problems.append(
            ParseProblem(record=url or "response", reason="not a public-inspection response")
        )
        return result
    for index, record in enumerate(records):
        label = (
            str(record.get("document_number") or f"results[{index}]")
            if isinstance(record, dict)
            else f"results[{index}]"
        )
        try:
            result.documents.append(document_from_pi_record(record, source_url=url))
        except (TypeError, ValueError) as error:
            result.problems.append(ParseProblem(record=label, reason=str(error)))
    return result


def _records(payload: Any) -> list[Any] | None:
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        if "results" in payload or "count" in payload:
            # An empty day answers without "results" at all, like the documents search.
            results = payload.get("results") or []
            return results if isinstance(results, list) else None
        if "document_number" in payload:
            return [payload]
    return None


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
