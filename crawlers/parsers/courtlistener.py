"""CourtListener REST API v4 responses → Documents, one per docket.

* ``parse_search``: ``/api/rest/v4/search/?type=r`` — ``{"count", "next", "previous",
  "results": [...]}``, each result a docket: ``caseName``, ``docketNumber``, ``court_id``,
  ``dateFiled``, ``dateTerminated``, ``suitNature``, ``cause``, ``party[]``, ``attorney[]``,
  ``firm[]``, ``docket_id``, ``docket_absolute_url`` and the matching ``recap_documents[]``
  (``description``, ``short_description``, ``entry_number``, ``entry_date_filed``, …).
* ``parse_docket``: ``/api/rest/v4/dockets/{id}/`` (snake_case fields: ``case_name``,
  ``docket_number``, ``court_id``, ``date_filed``, ``nature_of_suit``, ``cause``, …).
* ``parse_parties``: ``/api/rest/v4/parties/?docket=…`` (``name``, ``extra_info``,
  ``party_types[{docket_id, name, extra_info, date_terminated}]``): the parties with their
  roles, for merging into the docket's Document.

Id: ``cl:docket:<docket_id>`` for both search results and docket details, so that a docket
seen twice is one document.  Search results carry party names without roles: a name on
the plaintiff side of the caption is the plaintiff; in a Schedule A case every other party
is a defendant (the sellers); elsewhere only the name on the caption's defendant side is.

The stage is that of the newest matching RECAP document that marks one.  A docket with no
documents at all that is still open is at ``complaint`` (a docket exists because a
complaint was filed; ``extra["stage_inferred"]`` says so).

Merging (the spider fetches details only for new or changed dockets):
:func:`merge_docket` fills a search result with what only the docket endpoint says,
:func:`with_parties` replaces the guessed roles with the parties endpoint's, and
:func:`with_earlier_entries` adds the staged entries an earlier crawl saw (a search result
nests only the entries that matched, so a later result may lack the TRO granted last week).

Links are made absolute against ``site`` (the configured CourtListener base URL; the
public site by default).  Markup in entry descriptions is stripped and recorded.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from ipsentry.core.documents import ADVERSE_ROLES, Document, Party, RiskKind, Role
from ipsentry.core.stages import OTHER
from ipsentry.crawlers.parsers.base import ParseProblem, ParseResult
from ipsentry.crawlers.parsers.dockets import (
    case_key,
    normalise_docket_number,
)
from ipsentry.crawlers.parsers.schedule_a import (
    brands_asserted,
    canonical_firm,
    country_from_party_info,
    defendant_from_caption,
    ip_nature,
    is_placeholder_defendant,
    is_schedule_a,
    marketplace_refs,
    plaintiff_from_caption,
    role_from_party_type,
    schedule_defendants,
    stage_from_docket_text,
)

SOURCE = "courtlistener"
ID_PREFIX = "cl:docket"
SITE = "https://www.courtlistener.com"


def _load(content: bytes, record: str, problems: list[ParseProblem]) -> Any:
    try:
        return json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        problems.append(ParseProblem(record=record, reason=f"not JSON: {error}"))
        return None


def _date(value: object) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _str(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _strings(value: object) -> list[str]:
    """A list field of names, deduplicated in order (CourtListener repeats names)."""
    if not isinstance(value, list):
        return []
    seen: dict[str, None] = {}
    for item in value:
        if text := _str(item):
            seen.setdefault(text, None)
    return list(seen)


def _same_name(a: str, b: str) -> bool:
    def key(s: str) -> str:
        return re.sub(r"[^a-z0-9]", "", s.lower())

    ka, kb = key(a), key(b)
    return bool(ka) and bool(kb) and (ka == kb or ka.startswith(kb) or kb.startswith(ka))


def _search_parties(names: list[str], caption: str, schedule_a: bool) -> list[Party]:
    plaintiff = plaintiff_from_caption(caption)
    defendant = defendant_from_caption(caption)
    parties: list[Party] = []
    for name in names:
        if is_placeholder_defendant(name):
            continue
        if plaintiff and _same_name(name, plaintiff):
            role = Role.PLAINTIFF
        elif (defendant and _same_name(name, defendant)) or schedule_a:
            role = Role.DEFENDANT
        else:
            role = Role.OTHER
        parties.append(Party(name=name, role=role))
    if plaintiff and not any(p.role is Role.PLAINTIFF for p in parties):
        parties.insert(0, Party(name=plaintiff, role=Role.PLAINTIFF))
    return parties


@dataclass
class _RecapDocument:
    entry_number: int | None
    filed: date | None
    description: str
    stage: str
    url: str | None

    def as_extra(self) -> dict[str, object]:
        return {
            "entry_number": self.entry_number,
            "date": self.filed.isoformat() if self.filed else None,
            "description": self.description,
            "stage": self.stage,
            "url": self.url,
        }


_TAG_RE = re.compile(r"<[a-zA-Z/!][^>]*>")


def _plain(value: object, record: str, problems: list[ParseProblem]) -> str:
    """An entry description as text: CourtListener passes on the markup some courts put in
    docket texts (links to exhibits, <b>, entities); tags go, the words stay.  Line breaks
    stay too: a quoted schedule has one seller a line."""
    raw = value if isinstance(value, str) else ("" if value is None else str(value))
    if _TAG_RE.search(raw):
        problems.append(ParseProblem(record=record, reason="HTML in an entry description: tags stripped"))
        raw = _TAG_RE.sub(" ", raw)
    lines = (" ".join(line.split()) for line in html.unescape(raw).splitlines())
    return "\n".join(line for line in lines if line)


def _absolute(path: str | None, site: str) -> str | None:
    return f"{site.rstrip('/')}{path}" if path and path.startswith("/") else path


def _recap_documents(
    value: object, *, site: str, record: str, problems: list[ParseProblem]
) -> list[_RecapDocument]:
    documents: list[_RecapDocument] = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        description = _plain(item.get("description"), record, problems)
        short = _plain(item.get("short_description"), record, problems)
        stage = stage_from_docket_text(description) if description else OTHER
        if stage == OTHER and short:
            stage = stage_from_docket_text(short)
        number = item.get("entry_number")
        documents.append(
            _RecapDocument(
                entry_number=number if isinstance(number, int) else None,
                filed=_date(item.get("entry_date_filed")),
                description=description or short,
                stage=stage,
                url=_absolute(_str(item.get("absolute_url")), site),
            )
        )
    documents.sort(key=lambda d: (d.filed or date.min, d.entry_number if d.entry_number is not None else -1))
    return documents


def _schedule_parties(text: str) -> list[Party]:
    """Sellers a docket text lists: schedule rows ("12 | storename | A1B2… | https://…") as
    defendants under their alias with their seller ids as aliases (the matcher reads both),
    then any other marketplace seller id the text names.  Rows need a store URL or seller id:
    "2 Exhibit A" at the start of a line is no seller."""
    parties: list[Party] = []
    covered: set[str] = set()
    for row in schedule_defendants(text):
        if not row.refs:
            continue
        ids = [ref.seller_id for ref in row.refs if ref.seller_id and ref.seller_id != row.alias]
        covered.update(ref.seller_id for ref in row.refs if ref.seller_id)
        name = row.alias or (ids.pop(0) if ids else None)
        if name:
            parties.append(Party(name=name, role=Role.DEFENDANT, aliases=ids))
    for ref in marketplace_refs(text):
        if ref.seller_id and ref.seller_id not in covered:
            covered.add(ref.seller_id)
            parties.append(Party(name=ref.seller_id, role=Role.DEFENDANT))
    return parties


def _named_defendants(parties: Iterable[Party]) -> int:
    return sum(1 for p in parties if p.role in ADVERSE_ROLES and not is_placeholder_defendant(p.name))


def _docket_document(
    *,
    docket_id: str,
    caption: str,
    docket_raw: str | None,
    court: str | None,
    filed: date | None,
    terminated: date | None,
    nature_of_suit: str | None,
    cause: str | None,
    absolute_url: str | None,
    site: str,
    party_names: list[str],
    attorneys: list[str],
    firms: list[str],
    recap_documents: list[_RecapDocument],
    extra: dict[str, object],
    record: str,
    problems: list[ParseProblem],
    raw_ref: str | None,
) -> Document:
    docket_number = None
    if docket_raw:
        docket_number = normalise_docket_number(docket_raw)
        if docket_number is None:
            docket_number = docket_raw
            problems.append(
                ParseProblem(record=record, reason=f"malformed docket number {docket_raw!r}: kept as written")
            )
    if court and docket_number:
        thread = case_key(court, docket_number)
    else:
        # Without court and number the case cannot be threaded with other sources; the
        # CourtListener id still keeps this docket's own documents together.
        thread = f"cl:{docket_id}"
        problems.append(
            ParseProblem(record=record, reason="no court or docket number: case key falls back to cl id")
        )

    schedule_a = is_schedule_a(caption)
    plaintiff = plaintiff_from_caption(caption)
    text = "\n".join(d.description for d in recap_documents if d.description)
    staged = [d for d in recap_documents if d.stage != OTHER]
    stage_inferred = not recap_documents and terminated is None
    stage = staged[-1].stage if staged else ("complaint" if stage_inferred else OTHER)
    newest = recap_documents[-1] if recap_documents else None
    nature = ip_nature(nature_of_suit, cause)
    sellers = [asdict(ref) for ref in marketplace_refs(text)] if text else []
    parties = _search_parties(party_names, caption, schedule_a)
    if schedule_a and text:
        known = {p.name.casefold() for p in parties}
        parties.extend(p for p in _schedule_parties(text) if p.name.casefold() not in known)
    named = _named_defendants(parties)
    parties.extend(Party(name=name, role=Role.ATTORNEY) for name in attorneys)
    summary = (newest.description[:300] if newest else "") or "; ".join(
        p for p in (nature_of_suit, cause) if p
    )
    url = _absolute(absolute_url, site)
    return Document(
        id=f"{ID_PREFIX}:{docket_id}",
        source=SOURCE,
        kind=RiskKind.ECOMMERCE,
        native_id=f"docket:{docket_id}",
        title=caption or docket_number or docket_id,
        summary=summary,
        text=text,
        url=url,
        published=(newest.filed if newest else None) or filed,
        filed=filed,
        authority=court,
        case_numbers=[thread],
        docket_number=docket_number,
        stage=stage,
        parties=parties,
        extra={
            "docket_id": int(docket_id) if docket_id.isdigit() else docket_id,
            "schedule_a": schedule_a,
            "ip_nature": nature,
            "nature_of_suit": nature_of_suit,
            "cause": cause,
            "date_terminated": terminated.isoformat() if terminated else None,
            "plaintiff": plaintiff,
            "brands": brands_asserted(plaintiff, text) if (schedule_a or nature) else [],
            "law_firms": list(dict.fromkeys(canonical_firm(f) for f in firms)),
            "attorneys": attorneys,
            "entries": [d.as_extra() for d in recap_documents],
            "stage_inferred": stage_inferred,
            "seller_refs": sellers,
            "defendants_named": named,
            # A Schedule A complaint is filed with its schedule under seal: nobody is named
            # until the court unseals it, and the case must be matched again then.
            "defendants_sealed": schedule_a and not named,
            **extra,
        },
        raw_ref=raw_ref,
    )


def _docket_id(value: object) -> str | None:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and (match := re.search(r"(\d+)/?$", value.strip())):
        return match[1]
    return None


def parse_search(content: bytes, *, url: str | None = None, site: str = SITE) -> ParseResult:
    """One page of ``/api/rest/v4/search/?type=r`` → one Document per docket."""
    result = ParseResult()
    record = url or "search"
    payload = _load(content, record, result.problems)
    if payload is None:
        return result
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list):
        result.problems.append(ParseProblem(record=record, reason="no results list in the response"))
        return result
    for index, item in enumerate(results):
        item_record = f"result {index}"
        try:
            if not isinstance(item, dict):
                raise ValueError("result is not an object")
            docket_id = _docket_id(item.get("docket_id"))
            if docket_id is None:
                raise ValueError("result without docket_id")
            item_record = f"{ID_PREFIX}:{docket_id}"
            meta: Mapping[str, Any] = item["meta"] if isinstance(item.get("meta"), dict) else {}
            result.documents.append(
                _docket_document(
                    docket_id=docket_id,
                    caption=_str(item.get("caseName")) or "",
                    docket_raw=_str(item.get("docketNumber")),
                    court=(_str(item.get("court_id")) or "").lower() or None,
                    filed=_date(item.get("dateFiled")),
                    terminated=_date(item.get("dateTerminated")),
                    nature_of_suit=_str(item.get("suitNature")),
                    cause=_str(item.get("cause")),
                    absolute_url=_str(item.get("docket_absolute_url")),
                    site=site,
                    party_names=_strings(item.get("party")),
                    attorneys=_strings(item.get("attorney")),
                    firms=_strings(item.get("firm")),
                    recap_documents=_recap_documents(
                        item.get("recap_documents"), site=site, record=item_record, problems=result.problems
                    ),
                    extra={
                        "pacer_case_id": _str(item.get("pacer_case_id")),
                        "more_docs": bool(item.get("more_docs") or meta.get("more_docs")),
                    },
                    record=item_record,
                    problems=result.problems,
                    raw_ref=url,
                )
            )
        except Exception as error:  # one odd result must not cost the rest of the page
            result.problems.append(ParseProblem(record=item_record, reason=f"unreadable result: {error}"))
    return result


def next_page_url(content: bytes) -> str | None:
    """The cursor URL of the next page (``next``), if any: the spider follows it."""
    try:
        payload = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    value = payload.get("next") if isinstance(payload, dict) else None
    return value if isinstance(value, str) and value else None


def parse_docket(content: bytes, *, url: str | None = None, site: str = SITE) -> ParseResult:
    """``/api/rest/v4/dockets/{id}/`` → one Document.  It has no entries and no parties, so
    its stage is ``other`` (or ``complaint`` for an open docket) and it is dated by its
    filing date: merge it into what search and parties said rather than replace them."""
    result = ParseResult()
    record = url or "docket"
    item = _load(content, record, result.problems)
    if item is None:
        return result
    docket_id = _docket_id(item.get("id")) if isinstance(item, dict) else None
    if docket_id is None:
        result.problems.append(ParseProblem(record=record, reason="not a docket (no id)"))
        return result
    court = _str(item.get("court_id")) or _str(
        re.sub(r".*/courts/([^/]+)/?$", r"\1", str(item.get("court") or ""))
    )
    result.documents.append(
        _docket_document(
            docket_id=docket_id,
            caption=_str(item.get("case_name")) or _str(item.get("case_name_full")) or "",
            docket_raw=_str(item.get("docket_number")),
            court=court.lower() if court else None,
            filed=_date(item.get("date_filed")),
            terminated=_date(item.get("date_terminated")),
            nature_of_suit=_str(item.get("nature_of_suit")),
            cause=_str(item.get("cause")),
            absolute_url=_str(item.get("absolute_url")),
            site=site,
            party_names=[],
            attorneys=[],
            firms=[],
            recap_documents=[],
            extra={
                "pacer_case_id": _str(item.get("pacer_case_id")),
                "assigned_to": _str(item.get("assigned_to_str")),
                "date_last_filing": _str(item.get("date_last_filing")),
                "date_modified": _str(item.get("date_modified")),
            },
            record=f"{ID_PREFIX}:{docket_id}",
            problems=result.problems,
            raw_ref=url,
        )
    )
    return result


@dataclass
class PartiesPage:
    """One page of ``/parties/``: the parties of each docket, with roles."""

    by_docket: dict[int, list[Party]] = field(default_factory=dict)
    next_url: str | None = None
    problems: list[ParseProblem] = field(default_factory=list)


def parse_parties(content: bytes, *, url: str | None = None) -> PartiesPage:
    """``/api/rest/v4/parties/?docket=…`` → parties per docket id, role from the PACER party
    type (Plaintiff, Defendant, Counter-Claimant…), country from the extra info."""
    page = PartiesPage()
    record = url or "parties"
    payload = _load(content, record, page.problems)
    if payload is None:
        return page
    results = payload.get("results") if isinstance(payload, dict) else None
    if not isinstance(results, list):
        page.problems.append(ParseProblem(record=record, reason="no results list in the response"))
        return page
    page.next_url = payload.get("next") if isinstance(payload.get("next"), str) else None
    for index, item in enumerate(results):
        name = _str(item.get("name")) if isinstance(item, dict) else None
        if not name:
            page.problems.append(ParseProblem(record=f"party {index}", reason="party without a name"))
            continue
        party_types = item.get("party_types") if isinstance(item.get("party_types"), list) else []
        for party_type in party_types:
            if not isinstance(party_type, dict):
                continue
            docket = _docket_id(party_type.get("docket_id")) or _docket_id(party_type.get("docket"))
            if docket is None:
                page.problems.append(
                    ParseProblem(record=f"party {index}", reason="party type without a docket")
                )
                continue
            info = _str(party_type.get("extra_info")) or _str(item.get("extra_info"))
            party = Party(
                name=name,
                role=role_from_party_type(_str(party_type.get("name"))),
                country=country_from_party_info(info),
            )
            parties = page.by_docket.setdefault(int(docket), [])
            if party not in parties:
                parties.append(party)
    return page


# ---------------------------------------------------------------------------------------
# Merging what several endpoints said about one docket
# ---------------------------------------------------------------------------------------

# Keys only the search result can know (from its entries and names): the docket endpoint's
# empty values for them must not overwrite the search result's.
_SEARCH_ONLY_KEYS = frozenset(
    {"entries", "stage_inferred", "brands", "law_firms", "attorneys", "seller_refs", "more_docs"}
)


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def merge_docket(listing: Document, docket: Document) -> Document:
    """A search result completed with the docket endpoint's facts (nature of suit and cause
    when search lacked them, judge, last filing, modification time).  What search read from
    entries and names (stage, text, parties, brands) stays."""
    if listing.id != docket.id:
        raise ValueError(f"cannot merge {docket.id} into {listing.id}")
    extra = dict(listing.extra)
    for key, value in docket.extra.items():
        if key not in _SEARCH_ONLY_KEYS and _empty(extra.get(key)) and not _empty(value):
            extra[key] = value
    if extra.get("ip_nature") is None:
        extra["ip_nature"] = ip_nature(extra.get("nature_of_suit"), extra.get("cause"))
    if not extra.get("brands") and (extra.get("schedule_a") or extra.get("ip_nature")):
        extra["brands"] = brands_asserted(extra.get("plaintiff"), listing.text)
    case_numbers = listing.case_numbers
    if docket.case_numbers and (not case_numbers or case_numbers[0].startswith("cl:")):
        case_numbers = docket.case_numbers
    return listing.model_copy(
        update={
            "title": listing.title or docket.title,
            "url": listing.url or docket.url,
            "filed": listing.filed or docket.filed,
            "published": listing.published or docket.published,
            "authority": listing.authority or docket.authority,
            "docket_number": listing.docket_number or docket.docket_number,
            "case_numbers": case_numbers,
            "extra": extra,
        }
    )


def _name_key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def with_parties(document: Document, parties: Sequence[Party]) -> Document:
    """The parties endpoint's litigants (with their PACER roles) replace the roles search
    guessed; placeholders ("… Identified on Schedule A") are dropped, attorneys and sellers
    read from schedule rows are kept.  A Schedule A case with no named defendant yet is
    marked ``defendants_sealed``; once the schedule is unsealed the sellers are parties and
    the document, re-tagged, matches them."""
    litigants = [p for p in parties if p.role is not Role.ATTORNEY and not is_placeholder_defendant(p.name)]
    keys = {_name_key(p.name) for p in litigants}
    kept = [
        p
        for p in document.parties
        if _name_key(p.name) not in keys
        and (p.role is Role.ATTORNEY or p.aliases or not any(_same_name(p.name, q.name) for q in litigants))
    ]
    if not any(p.role is Role.PLAINTIFF for p in litigants):
        litigants = [p for p in kept if p.role is Role.PLAINTIFF][:1] + litigants
        kept = [p for p in kept if p.role is not Role.PLAINTIFF]
    merged = litigants + [p for p in kept if p.role is not Role.ATTORNEY]
    merged += [p for p in kept if p.role is Role.ATTORNEY]
    named = _named_defendants(merged)
    extra = {
        **document.extra,
        "defendants_named": named,
        "defendants_sealed": bool(document.extra.get("schedule_a")) and not named,
        "parties_from": "parties",
    }
    return document.model_copy(update={"parties": merged, "extra": extra})


def with_earlier_entries(document: Document, earlier: Iterable[Mapping[str, Any]]) -> Document:
    """Add entries an earlier crawl saw (``{"entry_number", "date", "stage"}``) to a search
    result that nests only the newest, and take the stage from them all: the latest entry
    that marks a stage.  Entries already present win (they carry descriptions)."""
    entries: list[dict[str, Any]] = [dict(e) for e in document.extra.get("entries") or []]
    present = {(e.get("entry_number"), e.get("date")) for e in entries}
    numbers = {e.get("entry_number") for e in entries if e.get("entry_number") is not None}
    for item in earlier:
        number, day = item.get("entry_number"), item.get("date")
        if (number is not None and number in numbers) or (number, day) in present:
            continue
        entries.append(
            {"entry_number": number, "date": day, "description": "", "stage": item.get("stage") or OTHER}
        )
    entries.sort(key=lambda e: (e.get("date") or "", e.get("entry_number") or -1))
    staged = [e for e in entries if e.get("stage") not in (None, OTHER)]
    stage = staged[-1]["stage"] if staged else document.stage
    return document.model_copy(update={"stage": stage, "extra": {**document.extra, "entries": entries}})
