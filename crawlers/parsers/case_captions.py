"""Lists of US IP case captions (``us_ip_case_captions.json``: ``case_name``, ``case_number``,
``case_filing_date``, ``court_abbreviation``) → one Document per case, flagged Schedule A
or not.

Court abbreviations are turned into court ids (``NDIL`` → ``ilnd``) so that the case key
(``ilnd:1:24-cv-03089``) is the one PACER and CourtListener documents of the same case get.
District court cases are ``ecommerce`` documents at stage ``complaint`` (a filing record).
TTAB proceedings (ex parte appeals, oppositions, cancellations) are ``trademark`` documents
at stage ``other``: trademark disputes, never court suits against sellers.

Id: ``captions:<court>:<case number>``: the list's own ``case_id`` is of unknown origin,
the court and number are the case's real identity.
"""

from __future__ import annotations

import json
import re
from datetime import date

from ipsentry.core.documents import Document, Party, RiskKind, Role
from ipsentry.core.stages import OTHER
from ipsentry.crawlers.parsers.base import ParseProblem, ParseResult
from ipsentry.crawlers.parsers.dockets import (
    case_key,
    court_id_from_abbreviation,
    normalise_docket_number,
)
from ipsentry.crawlers.parsers.schedule_a import (
    brands_asserted,
    defendant_from_caption,
    is_schedule_a,
    is_ttab_proceeding,
    plaintiff_from_caption,
)

SOURCE = "case_captions"
ID_PREFIX = "captions"

_TTAB_FILER_RE = re.compile(r"\bby\s+(?P<name>.+)$", re.IGNORECASE)


def _document(
    record: dict[str, object], index: int, url: str | None, problems: list[ParseProblem]
) -> Document:
    caption = " ".join(str(record.get("case_name") or "").split())
    number_raw = " ".join(str(record.get("case_number") or "").split())
    abbreviation = str(record.get("court_abbreviation") or "").strip()
    if not caption or not number_raw or not abbreviation:
        raise ValueError("record lacks case_name, case_number or court_abbreviation")
    court = court_id_from_abbreviation(abbreviation)
    ttab = court == "ttab" or is_ttab_proceeding(caption)
    number = normalise_docket_number(number_raw) if not ttab else None
    if number is None:
        number = number_raw
        if not ttab:
            problems.append(
                ParseProblem(record=f"record {index}", reason=f"odd case number {number_raw!r}: kept")
            )
    filed_raw = str(record.get("case_filing_date") or "")
    try:
        filed = date.fromisoformat(filed_raw[:10]) if filed_raw else None
    except ValueError:
        problems.append(
            ParseProblem(record=f"record {index}", reason=f"unreadable filing date {filed_raw!r}")
        )
        filed = None

    schedule_a = is_schedule_a(caption)
    plaintiff = plaintiff_from_caption(caption)
    parties: list[Party] = []
    if ttab:
        if match := _TTAB_FILER_RE.search(caption):
            # the appellant / opposer / petitioner brings the proceeding
            parties.append(Party(name=match["name"].strip(), role=Role.OTHER))
    else:
        if plaintiff:
            parties.append(Party(name=plaintiff, role=Role.PLAINTIFF))
        if defendant := defendant_from_caption(caption):
            parties.append(Party(name=defendant, role=Role.DEFENDANT))

    document_id = f"{ID_PREFIX}:{court}:{number}"
    return Document(
        id=document_id,
        source=SOURCE,
        kind=RiskKind.TRADEMARK if ttab else RiskKind.ECOMMERCE,
        native_id=document_id.split(":", 1)[1],
        title=caption,
        summary=f"{abbreviation} {number_raw}, filed {filed_raw}".strip(", "),
        published=filed,
        filed=filed,
        authority=court,
        case_numbers=[case_key(court, number)],
        docket_number=number,
        stage=OTHER if ttab else "complaint",
        parties=parties,
        extra={
            "schedule_a": schedule_a,
            "ttab": ttab,
            "court_abbreviation": abbreviation,
            "case_number_raw": number_raw,
            "list_case_id": record.get("case_id"),
            "plaintiff": None if ttab else plaintiff,
            "brands": brands_asserted(plaintiff) if schedule_a else [],
        },
        raw_ref=url,
    )


def parse_captions(content: bytes, *, url: str | None = None) -> ParseResult:
    """A JSON list of caption records → Documents; unreadable records become problems."""
    result = ParseResult()
    record = url or "captions"
    try:
        payload = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        result.problems.append(ParseProblem(record=record, reason=f"not JSON: {error}"))
        return result
    if not isinstance(payload, list):
        result.problems.append(ParseProblem(record=record, reason="expected a JSON list of case records"))
        return result
    for index, item in enumerate(payload):
        try:
            if not isinstance(item, dict):
                raise ValueError("record is not an object")
            result.documents.append(_document(item, index, url, result.problems))
        except ValueError as error:
            result.problems.append(ParseProblem(record=f"record {index}", reason=str(error)))
    return result
