"""The facts of one USITC Section 337 notice, read from its text (GPO plain text or its mirrors).

:func:`read_gpo_notice` reads the shape every rendering of a Federal Register notice shares: a
header (``[FR Doc No: …]``, volume and date, ``[Pages …]``), the agency line, the bracketed
investigation header, the title paragraph, then ``SUMMARY:`` / ``SUPPLEMENTARY INFORMATION:``.
Renderings differ only in the header (thefederalregister.org writes "FR Document2018-01379",
Justia puts "[2022-25631]" after the title) and in whether the abstract is repeated on top;
:func:`notice_facts` does the rest for any rendering, the XML parser included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ipsentry.core.documents import Party
from ipsentry.crawlers.parsers.itc337_parties import extract_parties
from ipsentry.crawlers.parsers.itc337_stages import StageReading, classify_stage
from ipsentry.crawlers.parsers.itc337_text import (
    CleanText,
    bond,
    case_numbers_in,
    clean_gpo_text,
    docket_number,
    header_case_numbers,
    key_dates,
    parse_us_date,
    patent_numbers,
    read_receipt,
    remedies,
    split_title,
    squash,
    trademark_registrations,
)


@dataclass
class NoticeFacts:
    document_number: str | None
    title: str
    summary: str
    text: str
    published: date | None = None
    filed: date | None = None
    citation: str | None = None  # "91 FR 5259"
    case_numbers: list[str] = field(default_factory=list)
    docket_number: str | None = None
    products: list[str] = field(default_factory=list)
    stage: StageReading = field(default_factory=lambda: StageReading("other", (), "none"))
    parties: list[Party] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


_FR_DOC_RES = (
    re.compile(r"\[FR\s+Doc\.?\s+No:?\s*([A-Z0-9][\w-]{3,30})\s*\]"),  # GPO header "[FR Doc No: 2026-02297]"
    re.compile(r"\[FR\s+Doc\.?\s+([A-Z0-9][\w-]{3,30})\s+Filed"),  # GPO footer "[FR Doc. 2026-02297 Filed …"
    re.compile(r"\bFR\s+Document\s*(\d{4}-\d{4,6})\b"),  # thefederalregister.org "FR Document2018-01379"
    re.compile(r"^[^\n]*\[(\d{4}-\d{4,6})\]\s*$", re.M),  # Justia "…, 72509-72510 [2022-25631]"
)
_FILED_RE = re.compile(r"\[FR\s+Doc\.?\s+[\w-]+\s+Filed\s+(\d{1,2})-(\d{1,2})-(\d{2,4})")
_VOLUME_DATE_RE = re.compile(
    r"\[Federal Register Volume (\d+), Number \d+ \((?:\w+day, )?([A-Z][a-z]+ \d{1,2}, \d{4})\)\]"
    r"|Federal Register\s*/\s*Vol\.\s*(\d+),\s*No\.\s*\d+\s*/\s*(?:\w+day,\s*)?([A-Z][a-z]+ \d{1,2}, \d{4})"
    r"|Federal Register,? Volume (\d+),? Issue \d+ \((?:\w+day, )?([A-Z][a-z]+ \d{1,2}, \d{4})\)"
)
_PAGES_RE = re.compile(r"\[Pages?\s+(\d+)(?:-\d+)?\]|Page Range\s*(\d+)(?:-\d+)?")
_MIRROR_TITLE_RE = re.compile(r"^(?:\S+\s+)?\d+\s+FR\s+\d+\s+-\s+(.+)$")
_JUSTIA_TITLE_RE = re.compile(r"^(.+?),\s+\d+(?:-\d+)?\s+\[\d{4}-\d{4,6}\]\s*$")
_SECTION_RE = re.compile(
    r"^(SUMMARY|SUPPLEMENTARY INFORMATION|FOR FURTHER INFORMATION CONTACT|DATES|ADDRESSES|AGENCY|ACTION):\s*"
)


def read_gpo_notice(content: str) -> NoticeFacts:
    """Facts of a notice in GPO text form (the raw_text_url HTML, or a plain-text mirror)."""
    clean = clean_gpo_text(content)
    joined = "\n".join(clean.lines)
    document_number = next((m.group(1) for r in _FR_DOC_RES if (m := r.search(joined))), None)
    title = _title(clean, joined)
    sections = _sections(clean.paragraphs)
    summary = sections.get("SUMMARY") or next(
        (p for p in clean.paragraphs if p.startswith("Notice is hereby given")), ""
    )
    facts = notice_facts(
        document_number=document_number,
        title=title,
        summary=summary,
        body="\n\n".join(clean.paragraphs),
        lines_text=joined,
        header_text=joined,
    )
    volume_date = _VOLUME_DATE_RE.search(joined)
    if volume_date:
        volume = next(g for g in volume_date.groups()[0::2] if g)
        facts.published = parse_us_date(next(g for g in volume_date.groups()[1::2] if g))
        pages = _PAGES_RE.search(joined)
        if pages:
            facts.citation = f"{volume} FR {pages.group(1) or pages.group(2)}"
    filed = _FILED_RE.search(joined)
    if filed:
        month, day, year = (int(g) for g in filed.groups())
        try:
            facts.filed = date(year + 2000 if year < 100 else year, month, day)
        except ValueError:
            facts.filed = None
    if clean.pages:
        facts.extra["pages"] = clean.pages
    return facts


def _title(clean: CleanText, joined: str) -> str:
    """The title: a mirror's headline ("83 FR 3770 - Certain …"), which is complete even when the
    page is truncated; else the paragraph after the bracketed investigation header or after the
    agency line."""
    first = joined.strip().split("\n", 1)[0].strip()
    for pattern in (_MIRROR_TITLE_RE, _JUSTIA_TITLE_RE):
        match = pattern.match(first)
        if match:
            return squash(match.group(1))
    paragraphs = clean.paragraphs
    for index, paragraph in enumerate(paragraphs):
        header = re.match(r"^\[\s*(?:Investigation|Inv\.)\s+Nos?\.", paragraph)
        if (header or paragraph == "INTERNATIONAL TRADE COMMISSION") and index + 1 < len(paragraphs):
            candidate = paragraphs[index + 1]
            if not candidate.startswith(("[", "Federal Register", "AGENCY", "ACTION", "SUMMARY")):
                return candidate
    return ""


def _sections(paragraphs: list[str]) -> dict[str, str]:
    """Text under each "SUMMARY:" style heading, up to the next heading."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for paragraph in paragraphs:
        match = _SECTION_RE.match(paragraph)
        if match:
            current = match.group(1)
            sections.setdefault(current, []).append(paragraph[match.end() :])
        elif current:
            sections[current].append(paragraph)
    return {name: "\n\n".join(p for p in parts if p) for name, parts in sections.items()}


def notice_facts(
    *,
    document_number: str | None,
    title: str,
    summary: str,
    body: str,
    lines_text: str = "",
    header_text: str = "",
) -> NoticeFacts:
    """Facts read the same way whatever the rendering: stage from the title (else the summary),
    investigation numbers from the bracketed header only, parties from the notice's own shapes."""
    product, action = split_title(title)
    stage = classify_stage(action, summary)
    receipt_product, receipt_docket = read_receipt(summary or body)
    flat = squash(body) if body else squash(summary)
    facts = NoticeFacts(
        document_number=document_number,
        title=title,
        summary=summary,
        text=body,
        case_numbers=header_case_numbers(header_text or body),
        docket_number=receipt_docket if stage.stage == "receipt_of_complaint" else docket_number(summary),
        # A receipt product with a ";" in it is column-jumbled PDF text, not a product.
        products=[p for p in [product or receipt_product] if p and ";" not in p],
        stage=stage,
        parties=extract_parties(flat, lines_text, receipt=stage.stage == "receipt_of_complaint"),
    )
    facts.extra.update(
        {
            "stage_actions": list(stage.actions),
            "stage_source": stage.source,
            # Every investigation the text mentions, the cited ones included: for people reading
            # the case, never for filing the notice under a case.
            "mentioned_case_numbers": case_numbers_in(flat),
        }
    )
    for key, value in (
        ("patents", patent_numbers(flat)),
        ("trademark_registrations", trademark_registrations(flat)),
        ("remedies", remedies(f"{title} {summary}")),
        ("bond", bond(flat)),
        ("dates", key_dates(flat)),
    ):
        if value:
            facts.extra[key] = value
    return facts
