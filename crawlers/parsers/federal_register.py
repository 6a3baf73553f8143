"""Federal Register (USITC Section 337 notices): bytes → :class:`ParseResult`, no Scrapy.

Three renderings of the same notices:

* :func:`parse_search_response` — the API's ``documents.json`` search response (``count``,
  ``total_pages``, ``next_page_url``, ``results``), a plain JSON list of result records (as the
  shared sample stores them) or one ``/api/v1/documents/{num}.json`` record;
* :func:`parse_raw_text` — the ``raw_text_url`` response (GPO text in HTML ``<pre>``);
* :func:`parse_full_text_xml` — the ``full_text_xml_url`` response (GPO ``<NOTICE>`` XML).

A search result only has the title and the abstract, so its document carries what those say;
:func:`merge_documents` adds what the full text says (investigation numbers from the bracketed
header, the parties with their roles and addresses).  A record that cannot be read becomes a
:class:`ParseProblem`, never an exception.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from lxml import etree

from ipsentry.core.documents import Document, RiskKind
from ipsentry.crawlers.parsers.base import ParseProblem, ParseResult
from ipsentry.crawlers.parsers.itc337_notice import NoticeFacts, notice_facts, read_gpo_notice
from ipsentry.crawlers.parsers.itc337_parties import merge_parties
from ipsentry.crawlers.parsers.itc337_text import (
    decode_bytes,
    decode_gpo_entities,
    normalise_quotes,
    parse_iso_date,
    parse_us_date,
    squash,
)

SOURCE = "federal_register"
ID_PREFIX = "fr"
AUTHORITY = "USITC"
USITC_AGENCY_SLUG = "international-trade-commission"

# Federal Register document numbers: "2026-02297", older "E6-12345", corrections "C1-2020-12345".
_DOCUMENT_NUMBER_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{3,30}$")
# ".../full_text/text/2026/02/05/2026-02297.txt", ".../documents/2026/02/05/2026-02297/slug".
_URL_DATE_RE = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/([A-Z0-9][\w-]{3,30}?)(?:\.txt|\.xml|/|$)")


def document_id(document_number: str) -> str:
    return f"{ID_PREFIX}:{document_number}"


# ---------------------------------------------------------------------------------------------
# Search responses


def parse_search_response(content: bytes, *, url: str | None = None) -> ParseResult:
    """Documents of a ``documents.json`` response, a list of result records, or one record."""
    return parse_records_response(content, url=url, to_document=document_from_record, what="search response")


def parse_records_response(
    content: bytes,
    *,
    url: str | None,
    to_document: Callable[..., Document],
    what: str,
) -> ParseResult:
    """The envelope every Federal Register listing shares (``count``/``results``, an error
    object, a bare list or one record), each record turned into a Document by ``to_document``;
    a record it refuses becomes a problem, never an exception."""
    result = ParseResult()
    try:
        payload = json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:
        result.problems.append(ParseProblem(record=url or "response", reason=f"not JSON: {error}"))
        return result
    if isinstance(payload, dict) and "errors" in payload:
        result.problems.append(
            ParseProblem(record=url or "response", reason=f"API error: {json.dumps(payload['errors'])[:300]}")
        )
        return result
    records = _records(payload)
    if records is None:
        result.problems.append(ParseProblem(record=url or "response", reason=f"not a {what} or record"))
        return result
    for index, record in enumerate(records):
        label = (
            str(record.get("document_number") or f"results[{index}]")
            if isinstance(record, dict)
            else f"results[{index}]"
        )
        try:
            result.documents.append(to_document(record, source_url=url))
        except (ValueError, TypeError) as error:
            result.problems.append(ParseProblem(record=label, reason=str(error)))
    return result


def _records(payload: Any) -> list[Any] | None:
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        if "results" in payload or "count" in payload:
            # The API leaves "results" out entirely when nothing matched.
            results = payload.get("results") or []
            return results if isinstance(results, list) else None
        if "document_number" in payload:
            return [payload]
    return None


def document_from_record(record: Any, *, source_url: str | None = None) -> Document:
    """One search-result record → Document (``ValueError`` says why a record is unusable)."""
    if not isinstance(record, dict):
        raise ValueError(f"record is a {type(record).__name__}, not an object")
    number = record.get("document_number")
    if not isinstance(number, str) or not _DOCUMENT_NUMBER_RE.match(number.strip()):
        raise ValueError(f"missing or malformed document_number: {number!r}")
    number = number.strip()
    published = parse_iso_date(record.get("publication_date"))
    if published is None:
        raise ValueError(f"missing or malformed publication_date: {record.get('publication_date')!r}")
    title = record.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("missing title")
    agencies = record.get("agencies")
    if (
        isinstance(agencies, list)
        and agencies
        and not any(
            isinstance(a, dict)
            and (a.get("slug") == USITC_AGENCY_SLUG or "Trade Commission" in str(a.get("name")))
            for a in agencies
        )
    ):
        names = ", ".join(str(a.get("name")) for a in agencies if isinstance(a, dict))
        raise ValueError(f"not a USITC document (agencies: {names})")
    abstract = decode_gpo_entities(record.get("abstract") or "")
    facts = notice_facts(
        document_number=number,
        title=squash(title),
        summary=normalise_quotes(abstract),
        body="",
        # The search API gives no bracketed header: a title that states its investigation
        # ("… Investigation No. 337-TA-1414 …") is the notice's own number; an abstract's numbers
        # may be cited ones and stay in extra["mentioned_case_numbers"].
        header_text=f"[{m.group(0)}]"
        if (m := re.search(r"Investigation\s+Nos?\.\s+337[^;\]]*", title))
        else "",
    )
    facts.summary = squash(abstract)
    facts.published = published
    for key in (
        "raw_text_url",
        "full_text_xml_url",
        "body_html_url",
        "pdf_url",
        "json_url",
        "citation",
        "type",
    ):
        if isinstance(record.get(key), str):
            facts.extra[key] = record[key]
    return _document(facts, url=record.get("html_url") or None, raw_ref=record.get("json_url") or source_url)


# ---------------------------------------------------------------------------------------------
# Full text


def parse_raw_text(content: bytes, *, url: str | None = None) -> ParseResult:
    """The ``raw_text_url`` response: one notice in GPO text (HTML ``<pre>``, or plain text)."""
    result = ParseResult()
    facts = read_gpo_notice(decode_bytes(content))
    url_number, url_date = _from_url(url)
    facts.document_number = facts.document_number or url_number
    facts.published = facts.published or url_date
    problem = _check(facts, url)
    if problem:
        result.problems.append(problem)
    else:
        result.documents.append(_document(facts, url=None, raw_ref=url))
    return result


def parse_full_text_xml(content: bytes, *, url: str | None = None) -> ParseResult:
    """The ``full_text_xml_url`` response (or a GPO daily file): one document per ``<NOTICE>``."""
    result = ParseResult()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(content.strip(), parser=parser)
    except etree.XMLSyntaxError as error:
        result.problems.append(ParseProblem(record=url or "document", reason=f"not XML: {error}"))
        return result
    if root is None:
        result.problems.append(ParseProblem(record=url or "document", reason="empty XML"))
        return result
    notices = [root] if root.tag == "NOTICE" else root.findall(".//NOTICE")
    file_date = parse_us_date(_text(root.find("DATE"))) if root.tag != "NOTICE" else None
    url_number, url_date = _from_url(url)
    for index, notice in enumerate(notices):
        agency = _text(notice.find(".//AGENCY"))
        if agency and "TRADE COMMISSION" not in agency.upper():
            continue  # a daily file holds every agency's notices
        facts = _xml_facts(notice)
        if len(notices) == 1:
            facts.document_number = facts.document_number or url_number
        facts.published = file_date or url_date
        problem = _check(facts, url, label=f"NOTICE[{index}]")
        if problem:
            result.problems.append(problem)
        else:
            result.documents.append(_document(facts, url=None, raw_ref=url))
    if not notices:
        result.problems.append(ParseProblem(record=url or "document", reason="no <NOTICE> element"))
    return result


def _xml_facts(notice: etree._Element) -> NoticeFacts:
    def paragraphs(element: etree._Element | None) -> list[str]:
        if element is None:
            return []
        return [squash(_text(p)) for p in element.iter("P", "FP") if squash(_text(p))]

    summary = "\n\n".join(paragraphs(notice.find(".//SUM")))
    body_paragraphs = paragraphs(notice.find("PREAMB")) + paragraphs(notice.find("SUPLINF"))
    frdoc = _text(notice.find("FRDOC"))
    number = re.search(r"FR\s+Doc\.?\s+([A-Z0-9][\w-]{3,30})", frdoc)
    facts = notice_facts(
        document_number=number.group(1) if number else None,
        title=squash(_text(notice.find(".//SUBJECT"))),
        summary=normalise_quotes(summary),
        body=normalise_quotes("\n\n".join(body_paragraphs)),
        # Service lists are one <P> per entity: one line each for the block reader.
        lines_text=normalise_quotes("\n".join(body_paragraphs)),
        header_text=_text(notice.find(".//DEPDOC")),
    )
    filed = re.search(r"Filed\s+(\d{1,2})-(\d{1,2})-(\d{2,4})", frdoc)
    if filed:
        month, day, year = (int(g) for g in filed.groups())
        try:
            facts.filed = date(year + 2000 if year < 100 else year, month, day)
        except ValueError:
            facts.filed = None
    pages = [int(p) for p in notice.xpath(".//PRTPAGE/@P") if str(p).isdigit()]
    if pages:
        facts.extra["pages"] = pages
    return facts


def _text(element: etree._Element | None) -> str:
    return "".join(element.itertext()) if element is not None else ""


def _from_url(url: str | None) -> tuple[str | None, date | None]:
    """Document number and publication date written in a Federal Register URL path."""
    match = _URL_DATE_RE.search(url or "")
    if not match:
        return None, None
    try:
        return match.group(4), date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return match.group(4), None


def _check(facts: NoticeFacts, url: str | None, label: str | None = None) -> ParseProblem | None:
    record = facts.document_number or label or url or "document"
    if not facts.document_number or not _DOCUMENT_NUMBER_RE.match(facts.document_number):
        return ParseProblem(record=record, reason="no FR document number in the text or the URL")
    if not facts.title:
        return ParseProblem(record=record, reason="no title found (not a Federal Register notice?)")
    return None


# ---------------------------------------------------------------------------------------------
# Documents


def _document(facts: NoticeFacts, *, url: str | None, raw_ref: str | None) -> Document:
    assert facts.document_number is not None
    extra = dict(facts.extra)
    if facts.citation:
        extra.setdefault("citation", facts.citation)
    return Document(
        id=document_id(facts.document_number),
        source=SOURCE,
        kind=RiskKind.ITC337,
        native_id=facts.document_number,
        title=facts.title,
        summary=facts.summary,
        text=facts.text,
        url=url,
        published=facts.published,
        filed=facts.filed,
        jurisdiction="US",
        authority=AUTHORITY,
        case_numbers=facts.case_numbers,
        docket_number=facts.docket_number,
        stage=facts.stage.stage,
        parties=facts.parties,
        products=facts.products,
        extra=extra,
        raw_ref=raw_ref,
    )


def merge_documents(listing: Document, full: Document) -> Document:
    """The search result's document completed with what the notice's full text says.

    The API's metadata (title, abstract, publication date, page URL) stays; the full text adds
    the investigation numbers of its bracketed header, the parties with roles and addresses,
    the body text and what only the body states (patents, dates, bond)."""
    extra = {**full.extra, **{k: v for k, v in listing.extra.items() if v not in (None, [], {}, "")}}
    for key in ("patents", "dates", "bond", "mentioned_case_numbers", "pages", "trademark_registrations"):
        if key in full.extra:
            extra[key] = full.extra[key]
    stage = listing.stage if listing.stage != "other" else full.stage
    return listing.model_copy(
        update={
            "text": full.text or listing.text,
            "case_numbers": full.case_numbers or listing.case_numbers,
            "docket_number": listing.docket_number or full.docket_number,
            "filed": full.filed or listing.filed,
            "stage": stage,
            "parties": merge_parties([*full.parties, *listing.parties]),
            "products": listing.products or full.products,
            "extra": extra,
            "raw_ref": full.raw_ref or listing.raw_ref,
        },
        deep=True,
    )
