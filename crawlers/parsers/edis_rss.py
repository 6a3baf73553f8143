"""USITC EDIS RSS (documents approved on the electronic docket, chiefly new Section 337
complaints: the earliest public signal of a case) → :class:`ParseResult`; no Scrapy.

The feed is RSS 2.0 (``rss/channel/item`` with ``title``, ``link``, ``guid``, ``pubDate``,
``description``).  What is known of its items comes from public code that reads the live feed,
likesdonuts/itc-api ``datalayer/client.py`` and ``datalayer/feed.py``:

* titles read "Document Approved : 337-3936 Violation : Doc ID 894182, Complaint" — the EDIS
  number, the document id and the document type;
* before institution the number is the complaint's docket ("337-3936" is DN 3936); an instituted
  investigation's documents carry its investigation number ("337-1414" is 337-TA-1414);
* EDIS text is HTML-escaped twice ("O&amp;#39;Melveny"), so text is unescaped once more.

The description's layout is not documented; the parser reads "Label: value" lines when they are
there (document title, filed by, on behalf of, firm) and does without them otherwise.
"""

from __future__ import annotations

import html
import re
from datetime import date
from email.utils import parsedate_to_datetime

from lxml import etree

from ipsentry.core.documents import Document, Party, RiskKind, Role
from ipsentry.crawlers.parsers.base import ParseProblem, ParseResult
from ipsentry.crawlers.parsers.itc337_parties import merge_parties, parse_party_list
from ipsentry.crawlers.parsers.itc337_stages import classify_stage
from ipsentry.crawlers.parsers.itc337_text import parse_iso_date, squash

SOURCE = "edis_rss"
ID_PREFIX = "edis"
AUTHORITY = "USITC"

_ITEM_RE = re.compile(
    r"\b337-(?P<number>\d{1,5})\b.*?\bDoc(?:ument)?\s*ID\s*:?\s*(?P<doc_id>\d+)\s*(?:,\s*(?P<type>[^\n]+))?",
    re.I | re.S,
)
_FIELD_RE = re.compile(r"^\s*(?P<label>[A-Za-z][A-Za-z /]{2,40}?)\s*:\s*(?P<value>.+?)\s*$", re.M)
_DIGITS_RE = re.compile(r"(\d{4,})\D*$")
# Docket numbers have been above 2000 since the mid-2000s while investigation numbers were still
# below 1500 in 2026, so a number this high is a docket whatever the document type says.
_DOCKET_FLOOR = 2000
_COMPLAINT_RE = re.compile(r"\bcomplaint\b", re.I)
_NOT_THE_COMPLAINT_RE = re.compile(r"\b(?:response|answer|opposition|reply|motion|withdraw)", re.I)
_ORDER_FOR_RE = re.compile(
    r"^(?:(?:Limited|General)\s+Exclusion\s+Order|Cease\s+and\s+Desist\s+Orders?|Consent\s+Order)\s+"
    r"(?:for|against|directed\s+to)\s+(?P<names>.+)$",
    re.I,
)
_PRODUCT_RE = re.compile(r"\b(Certain\s+[^;]+?)(?:[.;]|,?\s+DN\b|$)")


def parse_feed(content: bytes, *, url: str | None = None) -> ParseResult:
    """Items of an EDIS RSS document; a malformed feed yields what can be recovered plus a problem."""
    result = ParseResult()
    root = _root(content, url, result)
    if root is None:
        return result
    for index, item in enumerate(root.iter("item")):
        fields = {child.tag: _text(child) for child in item if isinstance(child.tag, str)}
        label = fields.get("guid") or fields.get("title") or f"item[{index}]"
        try:
            result.documents.append(document_from_item(fields, source_url=url))
        except ValueError as error:
            result.problems.append(ParseProblem(record=label[:120], reason=str(error)))
    return result


def _root(content: bytes, url: str | None, result: ParseResult) -> etree._Element | None:
    strict = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        return etree.fromstring(content.strip(), parser=strict)
    except etree.XMLSyntaxError as error:
        problem = f"malformed XML ({str(error)[:120]})"
    lenient = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(content.strip(), parser=lenient)
    except etree.XMLSyntaxError:
        root = None
    recovered = sum(1 for _ in root.iter("item")) if root is not None else 0
    result.problems.append(
        ParseProblem(record=url or "feed", reason=f"{problem}; {recovered} item(s) recovered")
    )
    return root


def document_from_item(fields: dict[str, str], *, source_url: str | None = None) -> Document:
    """One feed item → Document (``ValueError`` says why an item is unusable)."""
    rss_title = fields.get("title", "")
    description = fields.get("description", "")
    match = _ITEM_RE.search(f"{rss_title}\n{description}")
    if not match:
        raise ValueError(f"not a Section 337 EDIS item: {rss_title[:100]!r}")
    number = int(match.group("number"))
    doc_id = match.group("doc_id") or _guid_id(fields.get("guid"))
    if not doc_id:
        raise ValueError("no EDIS document id")
    described = {m.group("label").strip().lower(): m.group("value") for m in _FIELD_RE.finditer(description)}
    doc_type = squash(described.get("document type") or (match.group("type") or "")).rstrip(".")
    title = squash(described.get("document title") or described.get("title") or rss_title)
    on_behalf_of = squash(described.get("on behalf of", ""))
    complaint = bool(_COMPLAINT_RE.search(doc_type)) and not _NOT_THE_COMPLAINT_RE.search(doc_type)
    docket = complaint or number >= _DOCKET_FLOOR
    published = _pub_date(fields.get("pubDate"))
    stage = "receipt_of_complaint" if complaint else classify_stage(title).stage
    product = _PRODUCT_RE.search(title)
    extra = {
        "edis_number": f"337-{number}",
        "edis_document_id": doc_id,
        "document_type": doc_type or None,
        "filed_by": squash(described.get("filed by", "")) or None,
        "firm_organization": squash(described.get("firm/organization") or described.get("firm", "")) or None,
        "on_behalf_of": on_behalf_of or None,
        "rss_title": rss_title,
    }
    return Document(
        id=f"{ID_PREFIX}:{doc_id}",
        source=SOURCE,
        kind=RiskKind.ITC337,
        native_id=doc_id,
        title=title,
        summary=rss_title,
        url=fields.get("link") or None,
        published=published,
        filed=parse_iso_date(described.get("document date")) or published,
        jurisdiction="US",
        authority=AUTHORITY,
        case_numbers=[] if docket else [f"337-TA-{number}"],
        docket_number=f"DN {number}" if docket else None,
        stage=stage,
        parties=_parties(title, on_behalf_of, complaint),
        products=[product.group(1).strip()] if product else [],
        extra={k: v for k, v in extra.items() if v is not None},
        raw_ref=source_url,
    )


def _parties(title: str, on_behalf_of: str, complaint: bool) -> list[Party]:
    """Who the document names in a role: the complainant filing a complaint, the parties an
    order is directed to, the side a filing is made for."""
    parties: list[Party] = []
    order = _ORDER_FOR_RE.match(title)
    if order:
        parties.extend(parse_party_list(order.group("names"), Role.RESPONDENT))
    if on_behalf_of:
        if complaint or re.match(r"complainants?\b", title, re.I):
            parties.extend(parse_party_list(on_behalf_of, Role.COMPLAINANT))
        elif re.match(r"respondents?\b", title, re.I):
            parties.extend(parse_party_list(on_behalf_of, Role.RESPONDENT))
    return merge_parties(parties)


def _text(element: etree._Element) -> str:
    text = "".join(element.itertext()).strip()
    # EDIS escapes its own text before the feed escapes it again.
    return html.unescape(text)


def _guid_id(guid: str | None) -> str | None:
    match = _DIGITS_RE.search(guid or "")
    return match.group(1) if match else None


def _pub_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError):
        return parse_iso_date(value)
