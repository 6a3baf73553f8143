"""RECAP docket XML (``gov.uscourts.<court>.<pacer case id>.docket.xml``, as mirrored on the
Internet Archive) → one Document per case.

The XML carries what the RSS feeds lack: nature of suit and cause, the parties with their
PACER types, their attorneys with contact blocks (the first line is the law firm), and the
docket entries.  The Document's stage is the stage of the latest entry that marks one, so
a routine later entry (a notice, a transcript) does not hide the TRO granted before it.

Id: ``cl:docket:<court>:<docket number>``.  This XML has no CourtListener docket id; the
case key in ``case_numbers[0]`` (``cacd:5:17-cv-00291``) is what ties it to the same case
read from CourtListener search (``cl:docket:<id>``) or a PACER feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lxml import etree

from ipsentry.core.documents import Document, Party, RiskKind, Role
from ipsentry.core.stages import OTHER
from ipsentry.crawlers.parsers.base import ParseProblem, ParseResult
from ipsentry.crawlers.parsers.dockets import (
    case_key,
    normalise_docket_number,
)
from ipsentry.crawlers.parsers.pacer_rss import read_xml
from ipsentry.crawlers.parsers.schedule_a import (
    brands_asserted,
    country_from_party_info,
    firm_from_contact,
    ip_nature,
    is_schedule_a,
    law_firms_in_text,
    plaintiff_from_caption,
    role_from_party_type,
    stage_from_docket_text,
)

SOURCE = "recap_docket"
ID_PREFIX = "cl:docket"


def _text(element: etree._Element | None, path: str) -> str | None:
    if element is None:
        return None
    value = element.findtext(path)
    return " ".join(value.split()) if value and value.strip() else None


def _date(value: str | None, *, record: str, problems: list[ParseProblem]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        problems.append(ParseProblem(record=record, reason=f"unreadable date {value!r}"))
        return None


def _contact_address(contact: str) -> str | None:
    """The postal lines of a PACER contact block (after the firm, before phone and e-mail)."""
    lines = [line.strip() for line in contact.splitlines() if line.strip()]
    postal = [
        line
        for line in lines[1:]
        if "@" not in line
        and not line.lower().startswith(("email", "fax", "phone", "tel"))
        and not line.replace("-", "").replace(" ", "").replace("(", "").replace(")", "").isdigit()
    ]
    return ", ".join(postal) or None


def _parties(
    root: etree._Element,
) -> tuple[list[Party], list[dict[str, object]], list[str]]:
    """Parties (litigants, then their attorneys), the attorney records for ``extra``, and the
    law firms in order of first appearance."""
    litigants: list[Party] = []
    attorneys: list[Party] = []
    attorney_records: list[dict[str, object]] = []
    firms: list[str] = []
    for party in root.iterfind("party_list/party"):
        name = _text(party, "name")
        if not name:
            continue
        party_type = _text(party, "type")
        info = _text(party, "extra_info")
        litigants.append(
            Party(name=name, role=role_from_party_type(party_type), country=country_from_party_info(info))
        )
        for attorney in party.iterfind("attorney_list/attorney"):
            attorney_name = _text(attorney, "attorney_name")
            if not attorney_name:
                continue
            contact = attorney.findtext("contact") or ""
            firm = firm_from_contact(contact)
            if firm and firm not in firms:
                firms.append(firm)
            roles = [
                line.strip()
                for line in (attorney.findtext("attorney_role") or "").splitlines()
                if line.strip()
            ]
            attorney_records.append(
                {
                    "name": attorney_name,
                    "firm": firm,
                    "represents": name,
                    "party_type": party_type,
                    "roles": roles,
                }
            )
            if all(a.name != attorney_name for a in attorneys):
                attorneys.append(
                    Party(name=attorney_name, role=Role.ATTORNEY, address=_contact_address(contact))
                )
    return litigants + attorneys, attorney_records, firms


@dataclass
class _Entry:
    number: int | None
    filed: date | None
    description: str
    stage: str
    pacer_doc_id: str | None
    attachments: int = 0

    def as_extra(self) -> dict[str, object]:
        return {
            "number": self.number,
            "date": self.filed.isoformat() if self.filed else None,
            "description": self.description,
            "stage": self.stage,
            "pacer_doc_id": self.pacer_doc_id,
            "attachments": self.attachments,
        }


def _entries(root: etree._Element, problems: list[ParseProblem]) -> list[_Entry]:
    """Docket entries in filing order (main documents; attachments count on their entry)."""
    entries: dict[str, _Entry] = {}
    for document in root.iterfind("document_list/document"):
        number = (document.get("doc_num") or "").strip()
        attachment = (document.get("attachment_num") or "0").strip()
        if attachment not in ("", "0"):
            if number in entries:
                entries[number].attachments += 1
            continue
        description = _text(document, "long_desc") or _text(document, "short_desc") or ""
        entries[number or f"#{len(entries)}"] = _Entry(
            number=int(number) if number.isdigit() else None,
            filed=_date(_text(document, "date_filed"), record=f"entry {number or '?'}", problems=problems),
            description=description,
            stage=stage_from_docket_text(description),
            pacer_doc_id=_text(document, "pacer_doc_id"),
        )
    return sorted(
        entries.values(),
        key=lambda e: (e.filed or date.min, e.number if e.number is not None else -1),
    )


def parse_docket_xml(content: bytes, *, url: str | None = None) -> ParseResult:
    """Parse one RECAP docket XML file into one Document (or a problem saying why not)."""
    result = ParseResult()
    record = url or "docket"
    root = read_xml(content, record=record, problems=result.problems)
    if root is None:
        return result
    details = root.find("case_details")
    court = (_text(details, "court") or "").lower()
    docket_raw = _text(details, "docket_num")
    if root.tag != "gov_uscourts_docket" or details is None or not court or not docket_raw:
        result.problems.append(
            ParseProblem(record=record, reason="not a RECAP docket (no case_details court and docket_num)")
        )
        return result

    docket_number = normalise_docket_number(docket_raw)
    if docket_number is None:
        docket_number = docket_raw
        result.problems.append(
            ParseProblem(record=record, reason=f"malformed docket number {docket_raw!r}: kept as written")
        )
    case_name = _text(details, "case_name") or docket_number
    nature_of_suit = _text(details, "nature_of_suit")
    cause = _text(details, "case_cause")
    parties, attorney_records, firms = _parties(root)
    entries = _entries(root, result.problems)
    text = "\n".join(e.description for e in entries)
    for firm in law_firms_in_text(text):
        if firm not in firms:
            firms.append(firm)

    staged = [e for e in entries if e.stage != OTHER]
    latest = staged[-1] if staged else None
    last_entry = entries[-1] if entries else None
    plaintiff = plaintiff_from_caption(case_name) or next(
        (p.name for p in parties if p.role is Role.PLAINTIFF), None
    )
    nature = ip_nature(nature_of_suit, cause)
    filed = _date(_text(details, "date_case_filed"), record=record, problems=result.problems)
    terminated = _date(_text(details, "date_case_terminated"), record=record, problems=result.problems)
    document_id = f"{ID_PREFIX}:{court}:{docket_number}"
    summary_parts = [part for part in (nature_of_suit, cause) if part]
    if latest:
        summary_parts.append(f"latest: {latest.description[:200]}")

    result.documents.append(
        Document(
            id=document_id,
            source=SOURCE,
            kind=RiskKind.ECOMMERCE,
            native_id=document_id.removeprefix("cl:"),
            title=case_name,
            summary="; ".join(summary_parts),
            text=text,
            url=url,
            published=(last_entry.filed if last_entry else None) or filed,
            filed=filed,
            authority=court,
            case_numbers=[case_key(court, docket_number)],
            docket_number=docket_number,
            stage=latest.stage if latest else OTHER,
            parties=parties,
            extra={
                "schedule_a": is_schedule_a(case_name),
                "ip_nature": nature,
                "nature_of_suit": nature_of_suit,
                "cause": cause,
                "date_terminated": terminated.isoformat() if terminated else None,
                "pacer_case_id": _text(details, "pacer_case_num"),
                "assigned_to": _text(details, "assigned_to"),
                "jury_demand": _text(details, "jury_demand"),
                "jurisdiction": _text(details, "jurisdiction"),
                "plaintiff": plaintiff,
                "brands": brands_asserted(plaintiff, text) if nature else [],
                "law_firms": firms,
                "attorneys": attorney_records,
                "entries": [e.as_extra() for e in entries],
                "latest_stage_entry": latest.number if latest else None,
            },
            raw_ref=url,
        )
    )
    return result
