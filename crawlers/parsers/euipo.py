"""EUIPO Trademark Search API responses → Documents.

``GET /trademark-search/trademarks?query=…`` answers ``{"trademarks": [...], "totalElements",
"totalPages", "size", "page"}``; ``/trademarks/{applicationNumber}`` answers one trademark
object of the same shape with more fields.  Both are accepted.  Applicants carry no country in
search results, and there is no publication date: the opposition window (3 months from
publication) is then given as expected, not as a date.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ipsentry.core.documents import Document, Party, RiskKind, Role
from ipsentry.crawlers.parsers.base import ParseProblem, ParseResult

SOURCE = "euipo"
EUIPO_URL = "https://euipo.europa.eu/eSearch/#details/trademarks/{number}"

# EUIPO's status values (the API's enumeration) → trademark stage.
STATUS_STAGES: dict[str, str] = {
    "RECEIVED": "new_application",
    "FILED": "new_application",
    "PENDING": "new_application",
    "UNDER_EXAMINATION": "new_application",
    "APPLICATION_PUBLISHED": "published_for_opposition",
    "PUBLISHED": "published_for_opposition",
    "OPPOSITION_PENDING": "published_for_opposition",
    "REGISTERED": "registered",
    "CANCELLATION_PENDING": "registered",
    "WITHDRAWN": "abandoned",
    "REFUSED": "abandoned",
    "EXPIRED": "cancelled",
    "CANCELLED": "cancelled",
    "SURRENDERED": "cancelled",
}


def parse_search(content: bytes, *, url: str | None = None) -> ParseResult:
    result = ParseResult()
    try:
        payload = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        result.problems.append(ParseProblem(record="response", reason=f"not JSON: {error}"))
        return result
    if isinstance(payload, dict) and "applicationNumber" in payload:
        items: list[Any] = [payload]  # the details endpoint
    elif isinstance(payload, dict) and isinstance(payload.get("trademarks"), list):
        items = payload["trademarks"]
    else:
        result.problems.append(ParseProblem(record="response", reason="no 'trademarks' list"))
        return result
    for index, item in enumerate(items):
        try:
            document = trademark_document(item, url=url)
        except (TypeError, ValueError, KeyError) as error:
            result.problems.append(ParseProblem(record=f"trademark {index}", reason=str(error)))
            continue
        result.documents.append(document)
    return result


def trademark_document(item: dict[str, Any], *, url: str | None = None) -> Document:
    number = str(item.get("applicationNumber") or "").strip()
    if not number:
        raise ValueError("no applicationNumber")
    verbal = ((item.get("wordMarkSpecification") or {}).get("verbalElement") or "").strip() or None
    feature = item.get("markFeature")
    status = (item.get("status") or "").strip().upper() or None
    classes = sorted(
        {int(c) for c in item.get("niceClasses") or [] if str(c).isdigit() and 1 <= int(c) <= 45}
    )
    parties = [
        Party(name=a["name"].strip(), role=Role.APPLICANT, country=_country(a))
        for a in item.get("applicants") or []
        if isinstance(a, dict) and (a.get("name") or "").strip()
    ]
    parties += [
        Party(name=r["name"].strip(), role=Role.ATTORNEY)
        for r in item.get("representatives") or []
        if isinstance(r, dict) and (r.get("name") or "").strip()
    ]
    title = verbal or f"({(feature or 'figurative').lower()} mark)"
    stage = STATUS_STAGES.get(status or "", "other")
    applicants = [p.name for p in parties if p.role == Role.APPLICANT]
    return Document(
        id=f"euipo:{number}",
        source=SOURCE,
        kind=RiskKind.TRADEMARK,
        native_id=number,
        title=title,
        summary=" — ".join(
            bit
            for bit in (
                title,
                status.lower().replace("_", " ") if status else None,
                "by " + "; ".join(applicants) if applicants else None,
                "classes " + ", ".join(str(c) for c in classes) if classes else None,
            )
            if bit
        ),
        text=verbal or "",
        url=EUIPO_URL.format(number=number),
        filed=_date(item.get("applicationDate")),
        jurisdiction="EU",
        authority="EUIPO",
        case_numbers=[f"EUTM {number}"],
        stage=stage,
        parties=parties,
        classes=classes,
        raw_ref=url,
        extra={
            "mark_text": verbal,
            "status": status,
            "mark_feature": feature,
            "mark_kind": item.get("markKind"),
            "mark_basis": item.get("markBasis"),
            "applicant_reference": item.get("applicantReference"),
            "registration_date": _iso(_date(item.get("registrationDate"))),
            "expiry_date": _iso(_date(item.get("expiryDate"))),
            "is_new_filing": stage == "new_application",
        },
    )


def _country(applicant: dict[str, Any]) -> str | None:
    # Search results carry none; the details endpoint nests it in the address.
    address = applicant.get("address")
    if isinstance(address, dict):
        return (address.get("country") or "").strip() or None
    return None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
