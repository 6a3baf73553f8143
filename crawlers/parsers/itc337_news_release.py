"""USITC news releases announcing a Section 337 investigation: bytes → :class:`ParseResult`.

A release (www.usitc.gov news items, text as published) gives the date, "News Release 15-016",
"Inv. No(s). 337-TA-947", a headline "USITC Institutes Section 337 Investigation of Certain …",
the complainant in prose ("based on a complaint filed by Cree, Inc., of Durham, NC, on …") and
the respondents one per line after "The USITC has identified the following as respondents in
this investigation:" ("Name, City, China;", "Name of City, Country", "- Name, AKA Alias, City,
China").  Releases name respondents days before the Federal Register notice does.
"""

from __future__ import annotations

import re

from ipsentry.core.documents import Document, Party, RiskKind, Role
from ipsentry.crawlers.parsers.base import ParseProblem, ParseResult
from ipsentry.crawlers.parsers.itc337_parties import (
    DOTTED_SUFFIXES,
    merge_parties,
    parse_entry,
    prose_parties,
)
from ipsentry.crawlers.parsers.itc337_stages import classify_stage
from ipsentry.crawlers.parsers.itc337_text import (
    DATE_PATTERN,
    case_numbers_in,
    decode_bytes,
    first_sentence,
    html_to_text,
    parse_us_date,
    squash,
)

SOURCE = "usitc_news"

_RELEASE_RE = re.compile(r"\bNews\s+Release\s+(\d{2}-\d{3})\b")
_INV_LINE_RE = re.compile(r"^Inv\.\s+No\(?s?\)?\.?\s*(.+)$", re.M)
_HEADLINE_RE = re.compile(rf"^(USITC\s+.+?)(?:;\s*({DATE_PATTERN}))?\s*$", re.M)
_LIST_START_RE = re.compile(
    r"identified\s+the\s+following\s+(?:as\s+)?respondents?\s+in\s+this\s+investigation:", re.I
)
_LIST_END_RE = re.compile(r"^\s*$|^By\s+instituting|^The\s+USITC", re.M)


def parse_news_release(content: bytes, *, url: str | None = None) -> ParseResult:
    result = ParseResult()
    text = decode_bytes(content)
    if "<" in text and ">" in text:
        text = html_to_text(text)
    text = text.replace("\r\n", "\n").replace("\u2019", "'")
    headline = _HEADLINE_RE.search(text)
    # Some pages keep only the release's body: its first sentence then serves as the title.
    contact = re.search(r"^Contact:.*$", text, re.M)
    body_start = headline.end() if headline else (contact.end() if contact else 0)
    body = text[body_start:]
    title = squash(headline.group(1)) if headline else squash(first_sentence(squash(body)))
    if not title:
        result.problems.append(ParseProblem(record=url or "release", reason="no headline or text"))
        return result
    inv_line = _INV_LINE_RE.search(text)
    case_numbers = case_numbers_in(inv_line.group(1)) if inv_line else []
    if not case_numbers:
        instituting = re.search(r"By\s+instituting\s+this\s+investigation\s+\((337-TA-\d+)\)", text)
        case_numbers = case_numbers_in(instituting.group(1)) if instituting else []
    release = _RELEASE_RE.search(text)
    native_id = release.group(1) if release else (case_numbers[0] if case_numbers else None)
    if not native_id:
        result.problems.append(
            ParseProblem(record=url or "release", reason="no release or investigation number")
        )
        return result
    head = text[: headline.start()] + (headline.group(2) or "") if headline else text[:body_start]
    first_date = re.search(DATE_PATTERN, head)
    stage = classify_stage(title)
    product = re.search(r"\b[Ii]nvestigation\s+of\s+([Cc]ertain\s.+?)\.?$", title)
    parties = [
        *_listed_respondents(body),
        *(p for p in prose_parties(squash(body)) if p.role == Role.COMPLAINANT),
    ]
    result.documents.append(
        Document(
            id=f"usitc-news:{native_id}",
            source=SOURCE,
            kind=RiskKind.ITC337,
            native_id=native_id,
            title=title,
            summary=squash(body.split("\n\n", 1)[0])[:1000],
            text=body.strip(),
            url=url,
            published=parse_us_date(first_date.group(0)) if first_date else None,
            authority="USITC",
            case_numbers=case_numbers,
            stage=stage.stage,
            parties=merge_parties(parties),
            products=[product.group(1)[0].upper() + product.group(1)[1:]] if product else [],
            extra={"release": release.group(1) if release else None, "stage_actions": list(stage.actions)},
            raw_ref=url,
        )
    )
    return result


def _listed_respondents(body: str) -> list[Party]:
    start = _LIST_START_RE.search(body)
    if not start:
        return []
    rest = body[start.end() :].lstrip("\n")
    end = _LIST_END_RE.search(rest)
    block = rest[: end.start()] if end else rest
    parties: list[Party] = []
    for line in block.split("\n"):
        entry = re.sub(r"^\s*(?:[-•·*]\s*|and\s+)", "", line).strip()
        entry = re.sub(r";\s*and$", "", entry).rstrip(";")
        if entry.endswith(".") and entry[:-1].rsplit(" ", 1)[-1].lower() not in DOTTED_SUFFIXES:
            entry = entry[:-1]  # the list's full stop, not "Co."
        party = parse_entry(entry, Role.RESPONDENT) if entry else None
        if party:
            parties.append(party)
    return parties
