"""USPTO Trademark Daily XML (TDXF, product TRTDXFAP: ``apcYYMMDD.zip``) → Documents.

A daily file is up to ~500 MB of XML (38,179 case files on 2024-09-25), so it is streamed with
lxml ``iterparse`` and every case file is cleared once read: memory stays bounded by one record.
Accepted input: the XML itself (with its inline DTD prolog, never fetched: no network, no DTD
loading, no entity resolution), a ZIP holding it, or bare ``<case-file>`` fragments (as records
are often kept one per file, sometimes after a provenance line).

Field meanings follow USPTO's "Trademark Applications Documentation v2" (samples/trademark/
uspto-Trademark-Applications-Documentation-v2.extracted.txt).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from typing import IO, Any

from lxml import etree

from ipsentry.core.documents import Document, Party, RiskKind, Role
from ipsentry.crawlers.parsers.base import ParseProblem, ParseResult

SOURCE = "uspto_daily"
TSDR_URL = "https://tsdr.uspto.gov/#caseNumber={serial}&caseType=SERIAL_NO&searchType=statusSearch"

# The status codes the stages are read from, with USPTO's wording, as listed in
# samples/trademark/uspto-status-codes.tsv (USPTO Table 1, Trademark Status Codes).
STATUS_CODES: dict[int, str] = {
    400: "IR CANCELLED; APPLICATION PENDING TRANSFORMATION",
    401: "IR CANCELLED - NO TRANSFORMATION FILED",
    402: "IR CANCELLED--CASE ABANDONED/CANCELLED",
    600: "ABANDONED - INCOMPLETE RESPONSE",
    601: "ABANDONED - EXPRESS",
    602: "ABANDONED-FAILURE TO RESPOND OR LATE RESPONSE",
    603: "ABANDONED - AFTER EX PARTE APPEAL",
    604: "ABANDONED - AFTER INTER-PARTES DECISION",
    605: "ABANDONED - AFTER PUBLICATION",
    606: "ABANDONED - NO STATEMENT OF USE FILED",
    607: "ABANDONED - DEFECTIVE STATEMENT OF USE",
    608: "ABANDONED - AFTER PETITION DECISION",
    609: "ABANDONED - DEFECTIVE DIVIDED APPLICATION",
    614: "ABANDONED PETITION TO REVIVE-DENIED",
    616: "REVIVED - AWAITING FURTHER ACTION",
    618: "ABANDONED FILE - BACKFILE",
    624: "REGISTERED - BACKFILE",
    626: "REGISTERED - BACKFILE CANCELLED OR EXPIRED",
    630: "NEW APPLICATION - RECORD INITIALIZED NOT ASSIGNED TO EXAMINER",
    631: "NEW APPLICATION - DIVIDED - INITIAL PROCESSING",
    638: "NEW APPLICATION - ASSIGNED TO EXAMINER",
    641: "NON-FINAL ACTION - MAILED",
    680: "APPROVED FOR PUBLICATION",
    686: "PUBLISHED FOR OPPOSITION",
    688: "NOTICE OF ALLOWANCE - ISSUED",
    692: "WITHDRAWN BEFORE PUBLICATION",
    700: "REGISTERED",
    701: "SECTION 8-ACCEPTED",
    702: "SECTION 8 & 15-ACCEPTED AND ACKNOWLEDGED",
    703: "SECTION 15-ACKNOWLEDGED",
    704: "PARTIAL SECTION 8 ACCEPTED",
    705: "PARTIAL SECTION 8 & 15 ACCEPTED AND ACKNOWLEDGED",
    710: "CANCELLED - SECTION 8",
    711: "CANCELLED - SECTION 7",
    712: "CANCELLED BY COURT ORDER (SECTION 37)",
    713: "CANCELLED - SECTION 18",
    714: "CANCELLED - SECTION 24",
    715: "CANCELLED - RESTORED TO PENDENCY",
    716: "INADVERTENTLY ISSUED REGISTRATION NUMBER CANCELLED",
    774: "OPPOSITION PENDING",
    801: "OPPOSITION PAPERS FILED",
    802: "REQUEST FOR EXTENSION OF TIME TO FILE OPPOSITION",
    800: "REGISTERED AND RENEWED",
    900: "EXPIRED",
}
NEW_APPLICATION_STATUSES = frozenset({630, 631, 638})
# An opposition, or a request for time to file one, keeps the window's question open.
OPPOSITION_STATUSES = frozenset({686, 774, 801, 802})
REGISTERED_STATUSES = frozenset({624, 700, 701, 702, 703, 704, 705, 800})
ABANDONED_STATUSES = frozenset({600, 601, 602, 603, 604, 605, 606, 607, 608, 609, 614, 618, 692})
# 715 "restored to pendency" is not dead: it stays "other".
CANCELLED_STATUSES = frozenset({400, 401, 402, 626, 710, 711, 712, 713, 714, 716, 900})

STATEMENT_GOODS = "GS"
STATEMENT_TRANSLATION = "TR"
STATEMENT_TRANSLITERATION = "TLIT"
STATEMENT_PSEUDO_MARK = "PM"
# Mark drawing code, first position 2: "drawing or design without any word(s)".
DESIGN_ONLY_DRAWING = "2"

_FRAGMENT_ROOT = b"case-file-fragments"
_SERIAL_RE = re.compile(r"^\d{8}$")
# Goods amendment markup (documentation, statement type GS): [deleted goods], ((less goods)),
# *added wording*.  What remains after removing the first two and the asterisks is current.
_DELETED_RE = re.compile(r"\[[^\[\]]*\]")
_LESS_GOODS_RE = re.compile(r"\(\((?:[^()]|\([^()]*\))*?\)\)")


def parse_file(content: bytes, *, url: str | None = None) -> ParseResult:
    """Parse a daily file given as bytes (XML, ZIP or fragments)."""
    return parse_stream(io.BytesIO(content), url=url)


def parse_stream(source: str | os.PathLike[str] | IO[bytes], *, url: str | None = None) -> ParseResult:
    """Parse a daily file from a path or a binary file object without loading it whole.

    The same serial twice in one file (a new application that was also modified that day)
    keeps the later record: the file lists Official Gazette actions, then international
    requests, then new applications, then modified marks, so the later one is the more
    current state.  The action keys of both are kept (``extra["action_keys"]``), so a record
    that was new that day stays a new filing."""
    result = ParseResult()
    by_serial: dict[str, Document] = {}
    for item in iter_case_files(source, url=url):
        if isinstance(item, ParseProblem):
            result.problems.append(item)
            continue
        earlier = by_serial.pop(item.native_id, None)
        by_serial[item.native_id] = item if earlier is None else merge_same_serial(earlier, item)
    result.documents.extend(by_serial.values())
    return result


def merge_same_serial(earlier: Document, later: Document) -> Document:
    """The later record of a serial that a file lists twice, keeping what the earlier one said
    about the day: its action keys, and that the case was filed that day (``later`` is
    updated in place and returned)."""
    keys = list(dict.fromkeys([*earlier.extra["action_keys"], *later.extra["action_keys"]]))
    later.extra["action_keys"] = keys
    later.extra["is_new_filing"] = later.extra["is_new_filing"] or earlier.extra["is_new_filing"]
    if later.extra["is_new_filing"] and later.stage == "other":
        later.stage = "new_application"
    return later


def iter_case_files(
    source: str | os.PathLike[str] | IO[bytes], *, url: str | None = None
) -> Iterator[Document | ParseProblem]:
    """Yield a Document (or a ParseProblem) per ``<case-file>``, streaming, in file order."""
    stream = open(source, "rb") if isinstance(source, str | os.PathLike) else source  # noqa: SIM115
    try:
        head = stream.read(4)
        stream.seek(0)
        if head.startswith(b"PK\x03\x04"):
            with zipfile.ZipFile(stream) as archive:
                members = [n for n in archive.namelist() if n.lower().endswith(".xml")]
                if not members:
                    yield ParseProblem(record="zip", reason="the archive holds no .xml file")
                for name in members:
                    with archive.open(name) as member:
                        yield from _iter_xml(member, url=url, origin=name)
        else:
            yield from _iter_xml(stream, url=url, origin=None)
    finally:
        if stream is not source:
            stream.close()


class _Chain(io.RawIOBase):
    """A read-only stream of some bytes, then a stream, then more bytes (to wrap fragments in a
    root element without reading the stream into memory)."""

    def __init__(self, before: bytes, stream: IO[bytes], after: bytes) -> None:
        self._parts: list[Any] = [io.BytesIO(before), stream, io.BytesIO(after)]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._parts:
            data = self._parts[0].read(len(buffer))
            if data:
                buffer[: len(data)] = data
                return len(data)
            self._parts.pop(0)
        return 0


def _prepare(stream: IO[bytes]) -> IO[bytes]:
    """Skip a stray provenance line, and wrap bare case-file fragments in a root element."""
    head = stream.read(65536)
    rest = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if rest and not rest.startswith(b"<"):
        # A provenance note before the XML (e.g. "SOURCE: … -->"): drop through its end.
        marker = rest.find(b"-->")
        newline = rest.find(b"\n")
        cut = marker + 3 if marker != -1 and (newline == -1 or marker < newline) else newline + 1
        rest = rest[cut:] if cut > 0 else b""
    first = re.search(
        rb"<([A-Za-z][\w.-]*)",
        re.sub(rb"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>", b"", rest, flags=re.S),
    )
    if first and first.group(1) == b"case-file":
        rest = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", rest)
        return _Chain(b"<" + _FRAGMENT_ROOT + b">" + rest, stream, b"</" + _FRAGMENT_ROOT + b">")
    return _Chain(rest, stream, b"")


def _iter_xml(stream: IO[bytes], *, url: str | None, origin: str | None) -> Iterator[Document | ParseProblem]:
    events = etree.iterparse(
        _prepare(stream),
        events=("start", "end"),
        tag=("action-keys", "action-key", "case-file"),
        no_network=True,
        load_dtd=False,
        resolve_entities=False,
        huge_tree=True,
        remove_comments=True,
    )
    action_key: str | None = None
    index = 0
    try:
        for event, element in events:
            if element.tag == "action-keys":
                if event == "start":
                    action_key = None  # a new group: its key comes first
                continue
            if event != "end":
                continue
            if element.tag == "action-key":
                action_key = (element.text or "").strip() or None
            else:
                index += 1
                yield _document_or_problem(element, action_key, index, url=url, origin=origin)
            # Bounded memory: drop what was read, and the siblings already handled.
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as error:
        yield ParseProblem(record=f"after case file {index}", reason=f"malformed XML: {error}")


def _document_or_problem(
    element: etree._Element, action_key: str | None, index: int, *, url: str | None, origin: str | None
) -> Document | ParseProblem:
    serial = _text(element, "serial-number")
    if not serial or not _SERIAL_RE.match(serial):
        return ParseProblem(record=f"case file {index}", reason=f"no valid serial number ({serial!r})")
    try:
        return case_file_document(element, action_key=action_key, url=url, origin=origin)
    except Exception as error:  # a malformed record must never stop the file
        return ParseProblem(record=serial, reason=f"{type(error).__name__}: {error}")


def case_file_document(
    case: etree._Element, *, action_key: str | None = None, url: str | None = None, origin: str | None = None
) -> Document:
    """One ``<case-file>`` element as a Document."""
    serial = _text(case, "serial-number") or ""
    header = case.find("case-file-header")
    status_code = _int(_text(header, "status-code"))
    mark = _text(header, "mark-identification")
    drawing_code = _text(header, "mark-drawing-code")
    statements = [
        {"type_code": _text(s, "type-code") or "", "text": _text(s, "text") or ""}
        for s in case.iterfind("case-file-statements/case-file-statement")
    ]
    goods = _goods_by_class(statements)
    classes, other_codes = _classes(case)
    owners = [_owner(o) for o in case.iterfind("case-file-owners/case-file-owner")]
    parties = _parties(owners)
    attorney = _text(header, "attorney-name")
    if attorney:
        parties.append(Party(name=attorney, role=Role.ATTORNEY))
    published = _date(_text(header, "published-for-opposition-date"))
    is_new = action_key == "NA" or status_code in NEW_APPLICATION_STATUSES
    stage = stage_for(status_code, is_new_filing=is_new)
    pseudo = _statement_texts(statements, STATEMENT_PSEUDO_MARK)
    translation = _statement_texts(statements, STATEMENT_TRANSLATION)
    transliteration = _statement_texts(statements, STATEMENT_TRANSLITERATION)
    design_only = mark is None and (drawing_code or "").startswith(DESIGN_ONLY_DRAWING)
    title = mark or ("(design mark)" if design_only else "(no mark text)")
    registration = _text(case, "registration-number")
    current = [p for p in parties if p.role == Role.APPLICANT]
    status_text = STATUS_CODES.get(status_code) if status_code is not None else None
    summary_bits = [title, stage.replace("_", " ")]
    if status_code is not None:
        summary_bits.append(f"status {status_code}" + (f" {status_text}" if status_text else ""))
    if current:
        summary_bits.append("by " + "; ".join(f"{p.name} ({p.country or '?'})" for p in current))
    if classes:
        summary_bits.append("classes " + ", ".join(str(c) for c in classes))
    text_parts = [mark or "", *pseudo, *translation, *transliteration, *goods.values()]
    return Document(
        id=f"uspto:{serial}",
        source=SOURCE,
        kind=RiskKind.TRADEMARK,
        native_id=serial,
        title=title,
        summary=" — ".join(summary_bits),
        text="\n".join(p for p in text_parts if p),
        url=TSDR_URL.format(serial=serial),
        published=published,
        filed=_date(_text(header, "filing-date")),
        jurisdiction="US",
        authority="USPTO",
        case_numbers=[serial],
        stage=stage,
        parties=parties,
        products=list(goods.values()),
        classes=classes,
        raw_ref=f"{url or origin or 'uspto-daily'}#{serial}",
        extra={
            "mark_text": mark,
            "mark_drawing_code": drawing_code,
            "registration_number": registration if registration and registration.strip("0") else None,
            "registration_date": _iso(_date(_text(header, "registration-date"))),
            "transaction_date": _iso(_date(_text(case, "transaction-date"))),
            "status_code": status_code,
            "status": status_text,
            "status_date": _iso(_date(_text(header, "status-date"))),
            "action_key": action_key,
            "action_keys": [action_key] if action_key else [],
            "is_new_filing": is_new,
            "statements": statements,
            "goods": goods,
            "other_class_codes": other_codes,
            "translation": translation,
            "transliteration": transliteration,
            "pseudo_mark": pseudo,
            "attorney": attorney,
            "owners": owners,
            "international_registration_number": _text(
                case, "international-registration/international-registration-number"
            ),
            "events": [
                {
                    "code": _text(e, "code"),
                    "description": _text(e, "description-text"),
                    "date": _iso(_date(_text(e, "date"))),
                }
                for e in case.iterfind("case-file-event-statements/case-file-event-statement")
            ],
        },
    )


def stage_for(status_code: int | None, *, is_new_filing: bool = False) -> str:
    """The trademark stage (core.stages.TRADEMARK_STAGES) of a status code."""
    if status_code in OPPOSITION_STATUSES:
        return "published_for_opposition"
    if status_code in REGISTERED_STATUSES:
        return "registered"
    if status_code in ABANDONED_STATUSES:
        return "abandoned"
    if status_code in CANCELLED_STATUSES:
        return "cancelled"
    if is_new_filing or status_code in NEW_APPLICATION_STATUSES:
        return "new_application"
    return "other"


def clean_goods(text: str) -> str:
    """Current goods of a GS statement: deleted ``[..]`` and less ``((..))`` goods removed,
    added-wording asterisks dropped, punctuation left behind tidied."""
    previous = None
    while previous != text:  # brackets can sit inside double parentheses
        previous = text
        text = _LESS_GOODS_RE.sub(" ", _DELETED_RE.sub(" ", text))
    text = text.replace("*", " ")
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,;.])", r"\1", text)
    text = re.sub(r"([,;])(\s*[,;])+", r"\1", text)
    return text.strip(" ,;")


def _goods_by_class(statements: list[dict[str, str]]) -> dict[str, str]:
    goods: dict[str, str] = {}
    for statement in statements:
        code = statement["type_code"]
        if not code.startswith(STATEMENT_GOODS) or len(code) < 5 or not code[2:5].isdigit():
            continue
        # Positions 3-5 of a GS type code: the prime class the goods are listed under.
        key = str(int(code[2:5]))
        cleaned = clean_goods(statement["text"])
        if cleaned:
            goods[key] = f"{goods[key]}; {cleaned}" if key in goods else cleaned
    return goods


def _statement_texts(statements: list[dict[str, str]], prefix: str) -> list[str]:
    return [s["text"].strip() for s in statements if s["type_code"].startswith(prefix) and s["text"].strip()]


def _classes(case: etree._Element) -> tuple[list[int], list[str]]:
    """International (Nice) classes in order, each once; codes that are not Nice classes
    (USPTO's A, B, 200 for certification and collective marks) are returned apart."""
    classes: list[int] = []
    others: list[str] = []
    for code in case.iterfind("classifications/classification/international-code"):
        value = (code.text or "").strip()
        number = _int(value)
        if number is not None and 1 <= number <= 45:
            if number not in classes:
                classes.append(number)
        elif value and value not in others:
            others.append(value)
    return classes, others


def _owner(owner: etree._Element) -> dict[str, Any]:
    return {
        "party_type": _int(_text(owner, "party-type")),
        "name": _text(owner, "party-name"),
        "nationality_country": _text(owner, "nationality/country"),
        "nationality_state": _text(owner, "nationality/state"),
        "legal_entity_type": _text(owner, "legal-entity-type-code"),
        "entity_statement": _text(owner, "entity-statement"),
        "address": ", ".join(v for v in (_text(owner, "address-1"), _text(owner, "address-2")) if v) or None,
        "city": _text(owner, "city"),
        "state": _text(owner, "state"),
        "country": _text(owner, "country"),
        "postcode": _text(owner, "postcode"),
        "dba": _text(owner, "dba-aka-text"),
    }


def _parties(owners: list[dict[str, Any]]) -> list[Party]:
    """Current owner(s) as APPLICANT: the highest party type (each change of ownership gets a
    higher code: 10 applicant, 2x after publication, 30 registrant, 4x later assignees);
    earlier owners as OTHER, each name once."""
    named = [o for o in owners if o["name"]]
    if not named:
        return []
    top = max((o["party_type"] or 0) for o in named)
    parties: list[Party] = []
    seen: set[str] = set()
    for owner in sorted(named, key=lambda o: -(o["party_type"] or 0)):
        role = Role.APPLICANT if (owner["party_type"] or 0) == top else Role.OTHER
        marker = owner["name"].casefold()
        if role == Role.OTHER and marker in seen:
            continue
        seen.add(marker)
        # A US owner's nationality or address gives a state, not a country.
        country = owner["country"] or owner["nationality_country"]
        if not country and (owner["state"] or owner["nationality_state"]):
            country = "US"
        parties.append(
            Party(
                name=owner["name"],
                role=role,
                country=country,
                city=owner["city"],
                address=owner["address"],
                aliases=[owner["dba"]] if owner["dba"] else [],
            )
        )
    return parties


def _text(element: etree._Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _date(value: str | None) -> date | None:
    """YYYYMMDD; anything else (the five-digit "10101", zero month or day) is no date."""
    if not value or len(value) != 8 or not value.isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
