"""USITC IDS ``investigations.json`` (the Commission's own dump of every investigation it has run)
→ one :class:`Document` per Section 337 investigation or pre-institution docket; no Scrapy.

No capture of the file is in the shared samples, so its shape was checked against public code that
reads the live file:

* root ``{"date": …, "count": N, "data": [row, …]}`` — the DuckDB loader of CasparDP/phd-lecture-dec
  (``download_ict.bash``) and the TypeScript types of SmartyJohnway/Handy-Tariff-Smarty
  (``src/types/usitc-schema.ts``);
* title-case row keys: "Investigation Number" (``337-1478``), "Full Title", "Topic", "Docket Number",
  "Investigation ID"; "Investigation Phase" / "Investigation Status" / "Investigation Type" are
  ``{"Name": …}`` objects; "Investigation Categories" ``[{"Name": "337 - Unfair Imports"}]``;
  dates are ``MM-DD-YYYY`` strings or ``{"date": ISO, "isNa": bool}`` (same two sources);
* "Participants": ``[{"Participant Type": {"name": "Respondent"}, "Participant": {"Name": …,
  "Country": {"name": …}}}]`` and "Intellectual Property" — the feed-shaped rows of
  likesdonuts/itc-api ``tests/support.py``;
* one row per *phase* ("Violation", "Remand", "Enforcement", "Bond Return", …), each with its own
  Investigation ID and participants; pre-institution dockets appear as ``337-3936`` with status
  "Pre-institution" — likesdonuts/itc-api ``datalayer/cases.py``.

Enumerations are read case-insensitively ("Name" or "name") because the sources above disagree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ipsentry.core.documents import Document, Party, RiskKind, Role
from ipsentry.crawlers.parsers.base import ParseProblem, ParseResult
from ipsentry.crawlers.parsers.itc337_parties import merge_parties
from ipsentry.crawlers.parsers.itc337_text import normalise_case_number, split_title, squash

SOURCE = "usitc_ids"
ID_PREFIX = "ids"
AUTHORITY = "USITC"
SECTION_337_CATEGORY = "337 - Unfair Imports"
# The phase an investigation is instituted under; the others are later proceedings.
PRIMARY_PHASE = "violation"

_NUMBER_RE = re.compile(r"^\s*337\s*-\s*(?:TA\s*-\s*)?(\d{1,5})\s*$", re.I)
_US_DATE_RE = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
# Later proceedings named by their phase, checked in this order (a phase may name two).
_PHASE_STAGES: tuple[tuple[str, str], ...] = (
    ("enforcement", "enforcement"),
    ("rescission", "modification_rescission"),
    ("modification", "modification_rescission"),
    ("advisory", "advisory_opinion"),
    ("remand", "remand"),
    ("consent", "consent_order"),
)


class SnapshotError(ValueError):
    """The download is not a usable snapshot (not JSON, no data list, count mismatch)."""


@dataclass
class IdsSnapshot:
    feed_date: str | None  # the feed's own "date"
    declared_count: int | None  # the feed's own "count"
    total_rows: int  # rows of every investigation type
    rows: list[dict[str, Any]] = field(default_factory=list)  # the Section 337 rows


def load_snapshot(content: bytes) -> IdsSnapshot:
    """The Section 337 rows of a download; :class:`SnapshotError` if the file cannot be trusted."""
    try:
        payload = json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:
        raise SnapshotError(f"not JSON ({str(error)[:120]})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        raise SnapshotError("JSON without the 'data' list of investigations")
    data = payload["data"]
    count = payload.get("count")
    if isinstance(count, int) and count != len(data):
        # The file states its own size: fewer rows than that is a cut-off download.
        raise SnapshotError(f"the feed declares {count} rows but holds {len(data)}")
    return IdsSnapshot(
        feed_date=payload.get("date") if isinstance(payload.get("date"), str) else None,
        declared_count=count if isinstance(count, int) else None,
        total_rows=len(data),
        rows=[row for row in data if isinstance(row, dict) and is_section_337(row)],
    )


def parse_investigations(content: bytes, *, url: str | None = None) -> ParseResult:
    """Documents of a whole ``investigations.json`` download (the ``ipsentry parse`` entry)."""
    result = ParseResult()
    try:
        snapshot = load_snapshot(content)
    except SnapshotError as error:
        result.problems.append(ParseProblem(record=url or "investigations.json", reason=str(error)))
        return result
    result.extend(documents_from_rows(snapshot.rows, url=url))
    return result


def is_section_337(row: dict[str, Any]) -> bool:
    categories = row.get("Investigation Categories")
    if isinstance(categories, list) and any(_label(c) == SECTION_337_CATEGORY for c in categories):
        return True
    # A few rows carry no categories: their number still says what they are.
    return bool(_NUMBER_RE.match(str(row.get("Investigation Number") or "")))


def documents_from_rows(rows: list[dict[str, Any]], *, url: str | None = None) -> ParseResult:
    """One document per investigation number: its phase rows folded together."""
    result = ParseResult()
    groups: dict[str, list[dict[str, Any]]] = {}
    for index, row in enumerate(rows):
        key = case_key(row)
        if key is None:
            label = str(row.get("Investigation ID") or f"data[{index}]")
            reason = f"unreadable investigation number: {row.get('Investigation Number')!r}"
            result.problems.append(ParseProblem(record=label, reason=reason))
            continue
        groups.setdefault(key, []).append(row)
    for key, group in groups.items():
        try:
            result.documents.append(_document(key, group, url))
        except (TypeError, ValueError) as error:
            result.problems.append(ParseProblem(record=key, reason=str(error)))
    return result


def case_key(row: dict[str, Any]) -> str | None:
    """``337-TA-1478`` for an investigation, ``DN 3936`` for a docket not instituted yet."""
    match = _NUMBER_RE.match(str(row.get("Investigation Number") or ""))
    if not match:
        return None
    if _is_pre_institution(row):
        docket = str(row.get("Docket Number") or "").strip() or match.group(1)
        return f"DN {int(docket)}" if docket.isdigit() else None
    return normalise_case_number(f"337-{match.group(1)}")


def document_id(key: str) -> str:
    return f"{ID_PREFIX}:{key.replace(' ', '-')}"


# ---------------------------------------------------------------------------------------------


def _document(key: str, rows: list[dict[str, Any]], url: str | None) -> Document:
    ordered = sorted(
        rows, key=lambda r: (_date(r.get("Start Date")) or date.min, _int(r.get("Investigation ID")))
    )
    primary = next(
        (r for r in ordered if (_label(r.get("Investigation Phase")) or "").lower() == PRIMARY_PHASE),
        ordered[0],
    )
    pre_institution = key.startswith("DN ")
    title = squash(str(primary.get("Full Title") or primary.get("Topic") or ""))
    if not title:
        raise ValueError("no Full Title or Topic")
    topic = squash(str(primary.get("Topic") or ""))
    product = topic or split_title(title.split("; Inv. No.")[0])[0]
    docket = str(primary.get("Docket Number") or "").strip()
    received = _date(primary.get("Initiating Document Received Date"))
    phases = [_phase_entry(r) for r in ordered]
    stage = _stage(ordered)
    extra: dict[str, Any] = {
        "phases": phases,
        "status": phases[-1]["status"],
        "active": any(p["active"] for p in phases),
        "ids_investigation_ids": [p["investigation_id"] for p in phases if p["investigation_id"] is not None],
    }
    for name, values in _intellectual_property(ordered).items():
        extra[name] = values
    target = _date(primary.get("Target Date"))
    if target:
        extra["target_date"] = target.isoformat()
    return Document(
        id=document_id(key),
        source=SOURCE,
        kind=RiskKind.ITC337,
        native_id=key,
        title=title,
        summary="; ".join(_phase_summary(p) for p in phases),
        published=(None if pre_institution else _date(primary.get("Start Date"))) or received,
        filed=received,
        jurisdiction="US",
        authority=AUTHORITY,
        case_numbers=[] if pre_institution else [key],
        docket_number=key if pre_institution else (f"DN {int(docket)}" if docket.isdigit() else None),
        stage=stage,
        parties=merge_parties(p for row in ordered for p in _participants(row, pre_institution)),
        products=[product] if product else [],
        extra=extra,
        raw_ref=url,
    )


def _stage(ordered: list[dict[str, Any]]) -> str:
    """The stage of the phase that started last; a phase that says nothing (bond return) gives
    way to the one before it."""
    for row in reversed(ordered):
        stage = _row_stage(row)
        if stage != "other":
            return stage
    return "other"


def _row_stage(row: dict[str, Any]) -> str:
    status = (_label(row.get("Investigation Status")) or "").lower()
    phase = (_label(row.get("Investigation Phase")) or "").lower()
    if _is_pre_institution(row):
        return "receipt_of_complaint"
    for word, stage in _PHASE_STAGES:
        if word in phase:
            return stage
    if phase and PRIMARY_PHASE not in phase:
        return "other"
    if _is_active(row):
        return "institution"
    outcome = (
        _label(row.get("Final Determination Type"), "finalDeterminationType", "Name", "name") or ""
    ).lower()
    if "no violation" in outcome:
        return "final_determination_no_violation"
    if "violation" in outcome:
        return "final_determination_violation"
    return "termination" if status else "other"


def _is_pre_institution(row: dict[str, Any]) -> bool:
    status = (_label(row.get("Investigation Status")) or "").lower().replace(" ", "-")
    return "pre-institution" in status


def _is_active(row: dict[str, Any]) -> bool:
    flag = row.get("Is Active?")
    if isinstance(flag, bool):
        return flag
    return (_label(row.get("Investigation Status")) or "").lower() == "active"


def _participants(row: dict[str, Any], pre_institution: bool) -> list[Party]:
    parties: list[Party] = []
    for entry in row.get("Participants") or []:
        if not isinstance(entry, dict):
            continue
        kind = (_label(entry.get("Participant Type")) or "").lower()
        person = entry.get("Participant")
        person = person if isinstance(person, dict) else {}
        name = squash(str(person.get("Name") or person.get("name") or person.get("Participant Name") or ""))
        if not name:
            continue
        if "complainant" in kind:
            role = Role.COMPLAINANT
        elif "respondent" in kind:
            # Before institution the complaint only proposes them.
            role = Role.PROPOSED_RESPONDENT if pre_institution else Role.RESPONDENT
        else:
            continue  # intervenors, staff: not parties a risk is about
        country = _label(person.get("Country")) or None
        parties.append(Party(name=name, role=role, country=country))
    return parties


def _intellectual_property(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in rows:
        for entry in row.get("Intellectual Property") or []:
            item = entry.get("Intellectual Property ID") if isinstance(entry, dict) else None
            if not isinstance(item, dict) or not item.get("Number"):
                continue
            kind = (_label(item.get("Type")) or "").lower()
            name = (
                "patents"
                if "patent" in kind
                else "trademark_registrations"
                if "trademark" in kind
                else "other_ip"
            )
            found.setdefault(name, [])
            if str(item["Number"]) not in found[name]:
                found[name].append(str(item["Number"]))
    return found


def _phase_entry(row: dict[str, Any]) -> dict[str, Any]:
    start, end = _date(row.get("Start Date")), _date(row.get("Investigation End Date"))
    investigation_id = row.get("Investigation ID")
    return {
        "phase": _label(row.get("Investigation Phase")),
        "status": _label(row.get("Investigation Status")),
        "active": _is_active(row),
        "start_date": start.isoformat() if start else None,
        "end_date": end.isoformat() if end else None,
        "investigation_id": investigation_id if isinstance(investigation_id, int | str) else None,
    }


def _phase_summary(phase: dict[str, Any]) -> str:
    text = f"{phase['phase'] or 'phase'}: {phase['status'] or 'status unknown'}"
    if phase["start_date"]:
        text += f" since {phase['start_date']}"
    if phase["end_date"]:
        text += f", ended {phase['end_date']}"
    return text


def _label(value: Any, *keys: str) -> str | None:
    """The text of an enumeration: a plain string or an object's "Name"/"name"."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in keys or ("Name", "name"):
            if isinstance(value.get(key), str) and value[key].strip():
                return value[key].strip()
    return None


def _date(value: Any) -> date | None:
    """``MM-DD-YYYY``, an ISO date(-time), or ``{"date": …, "isNa": …}``."""
    if isinstance(value, dict):
        if value.get("isNa"):
            return None
        value = value.get("date")
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = _US_DATE_RE.match(text)
    try:
        if match:
            return date(int(match.group(3)), int(match.group(1)), int(match.group(2)))
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
