"""Which documents of a batch each kind of subscription selects, and how severe each is for it.

Pure functions over the batch: the database work, dedupe and outbox live in ``matching``.  Saved
searches are matched once per batch for all of them (``saved_searches``); their selector reads
its share of that result.

Watched terms (kinds ``brand``, ``firm``, ``keyword``) are what sellers follow in e-commerce
suits: the brands they sell or that resemble their products, the law firms that file
Schedule A cases, product words.  Besides whole words in the text, a brand watch compares with
the brands a parser read (the plaintiff's brand, "the TORY BURCH Trademarks") spelling-blind
("GoPro" is "GOPRO" is "Go Pro"); a firm watch compares firm names without punctuation, "&" and
legal forms ("Greer Burns and Crain" is "Greer, Burns & Crain, Ltd."); a keyword also finds
its plural ("phone case" in "phone cases")."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ipsentry.alerting.severity import strongest_match
from ipsentry.core.documents import ADVERSE_ROLES, Document, Match, RiskKind, Role, Severity
from ipsentry.core.models import Enterprise, Subscription

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """One document selected by one subscription, with what explains it."""

    document: Document
    severity: Severity
    match: Match | None = None  # the enterprise match shown in the message, if any
    enterprise_name: str | None = None
    reasons: tuple[str, ...] = ()  # a saved search: the clauses of its query the document satisfied


@dataclass(frozen=True)
class Batch:
    documents: Sequence[Document]
    enterprises: Mapping[int, Enterprise]  # every enterprise matched in the batch, by id
    # Saved searches, matched once for the batch: subscription id -> document id -> clauses.
    saved: Mapping[int, Mapping[str, Sequence[str]]] = field(default_factory=dict)


def _enterprise_name(batch: Batch, match: Match) -> str | None:
    enterprise = batch.enterprises.get(match.enterprise_id)
    return match.enterprise_name or (enterprise.display_name if enterprise else None)


def _strongest(*severities: Severity) -> Severity:
    return max(severities, key=lambda severity: severity.rank)


def _listed_seller(document: Document, match: Match) -> bool:
    """The enterprise's own store or seller id is a defendant of an e-commerce suit."""
    return document.kind == RiskKind.ECOMMERCE and match.kind == "store" and match.role in ADVERSE_ROLES


def _enterprise_hit(batch: Batch, document: Document, accept: Callable[[Match], bool]) -> Hit | None:
    """A hit on behalf of the enterprises ``accept`` picks: their own share of the severity.
    A listed store is high at least, whatever the stage: its assets can be frozen any day."""
    best = strongest_match(document, (match for match in document.matches if accept(match)))
    if best is None:
        return None
    match, severity = best
    if _listed_seller(document, match):
        severity = _strongest(severity, Severity.HIGH)
    return Hit(document, severity, match, _enterprise_name(batch, match))


def _document_hit(batch: Batch, document: Document, reasons: Sequence[str] = ()) -> Hit:
    """A hit on the document as a whole (watched term, saved search): the document's severity,
    and at least low, since being selected is a mention (the rule for enterprises too)."""
    best = strongest_match(document, document.matches)
    if best is None:
        return Hit(document, _strongest(document.severity, Severity.LOW), reasons=tuple(reasons))
    match, severity = best
    return Hit(
        document,
        _strongest(document.severity, severity, Severity.LOW),
        match,
        _enterprise_name(batch, match),
        tuple(reasons),
    )


def _enterprise_watch(subscription: Subscription, batch: Batch) -> list[Hit]:
    wanted = subscription.enterprise_id
    if wanted is None:
        return []
    hits = (_enterprise_hit(batch, d, lambda m: m.enterprise_id == wanted) for d in batch.documents)
    return [hit for hit in hits if hit is not None]


# Administrative suffixes dropped before comparing regions, so a watch on "广东" or
# "Guangdong" covers an enterprise registered in "广东省" or "Guangdong Province".
_REGION_SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "省",
    "市",
    " province",
    " city",
    " municipality",
    " shi",
    " sheng",
)


def _normalise_region(value: str) -> str:
    text = " ".join(value.casefold().split())
    for suffix in _REGION_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)].strip()
    return text


def _in_region(enterprise: Enterprise, wanted: str) -> bool:
    target = _normalise_region(wanted)
    places = (enterprise.region_province, enterprise.region_city)
    return any(place and _normalise_region(place) == target for place in places)


def _in_industry(enterprise: Enterprise, wanted: str) -> bool:
    target = wanted.strip().casefold()
    return any(str(industry).strip().casefold() == target for industry in enterprise.industries)


def _group_watch(belongs: Callable[[Enterprise, str], bool]) -> Callable[[Subscription, Batch], list[Hit]]:
    """A region or industry watch: documents matching any enterprise of the group."""

    def select(subscription: Subscription, batch: Batch) -> list[Hit]:
        wanted = (subscription.query or "").strip()
        if not wanted:
            return []
        members = {eid for eid, enterprise in batch.enterprises.items() if belongs(enterprise, wanted)}
        hits = (_enterprise_hit(batch, d, lambda m: m.enterprise_id in members) for d in batch.documents)
        return [hit for hit in hits if hit is not None]

    return select


# Letters of scripts written without spaces: a term in them has no word boundary to check.
_UNSPACED = r"\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\u3040-\u30ff"


_SPACED_WORD_CHAR = rf"[^\W{_UNSPACED}]"


@lru_cache(maxsize=1024)
def _term_pattern(term: str) -> re.Pattern[str]:
    """Case-insensitive whole-word pattern; boundaries only where the term's edge is a letter or
    digit of a spaced script ("ANKER" not inside "DANKER", "安克" anywhere)."""
    left = rf"(?<!{_SPACED_WORD_CHAR})" if re.match(_SPACED_WORD_CHAR, term[0]) else ""
    right = rf"(?!{_SPACED_WORD_CHAR})" if re.match(_SPACED_WORD_CHAR, term[-1]) else ""
    return re.compile(left + re.escape(term) + right, re.IGNORECASE)


def _searchable_texts(document: Document) -> list[str]:
    texts = [document.title, document.summary, document.text, *document.products]
    for party in document.parties:
        texts.append(party.name)
        texts.extend(party.aliases)
    return texts


def _extra_strings(document: Document, *keys: str) -> list[str]:
    values: list[str] = []
    for key in keys:
        value = document.extra.get(key)
        items = value if isinstance(value, list | tuple) else [value]
        values.extend(item for item in items if isinstance(item, str) and item.strip())
    return values


def _compact(text: str) -> str:
    """Letters and digits only, case-folded: one key for "GoPro", "GOPRO" and "Go Pro"."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _brand_named(document: Document, term: str) -> bool:
    """The brands a parser read from the document (asserted marks, the plaintiff's brand, a
    trademark filing's mark) compared spelling-blind."""
    key = _compact(term)
    if not key:
        return False
    brands = _extra_strings(document, "brands", "brand", "mark", "mark_text", "plaintiff")
    brands.extend(m.variant for m in document.matches if m.kind in ("brand", "similar_mark") and m.variant)
    return any(_compact(brand) == key for brand in brands)


# Words that make a firm name longer without telling firms apart.
_FIRM_NOISE = frozenset(
    {
        "and",
        "ltd",
        "limited",
        "llp",
        "llc",
        "lp",
        "pc",
        "pa",
        "pllc",
        "plc",
        "inc",
        "co",
        "law",
        "group",
        "firm",
    }
)


def _firm_words(name: str) -> list[str]:
    words = re.findall(r"[^\W_]+", name.casefold().replace("p.c.", "pc").replace("p.a.", "pa"))
    return [word for word in words if word not in _FIRM_NOISE]


def _firm_named(document: Document, term: str) -> bool:
    """A firm the document names (parsed law firms, attorney parties) whose words contain the
    watched name's words in order: "Gaffigan" finds "Stephen M. Gaffigan, P.A."."""
    wanted = _firm_words(term)
    if not wanted:
        return False
    firms = _extra_strings(document, "law_firms", "law_firm", "firms", "firm")
    firms.extend(p.name for p in document.parties if p.role == Role.ATTORNEY)
    size = len(wanted)
    for firm in firms:
        words = _firm_words(firm)
        if any(words[i : i + size] == wanted for i in range(len(words) - size + 1)):
            return True
    return False


@lru_cache(maxsize=1024)
def _keyword_pattern(term: str) -> re.Pattern[str]:
    """A whole-word pattern that also takes the plural of a spaced-script term's last word."""
    base = _term_pattern(term)
    if not re.match(_SPACED_WORD_CHAR, term[-1]):
        return base
    left = rf"(?<!{_SPACED_WORD_CHAR})" if re.match(_SPACED_WORD_CHAR, term[0]) else ""
    return re.compile(left + re.escape(term) + rf"(?:e?s)?(?!{_SPACED_WORD_CHAR})", re.IGNORECASE)


def _term_watch(
    structured: Callable[[Document, str], bool] | None = None,
    pattern_of: Callable[[str], re.Pattern[str]] = _term_pattern,
) -> Callable[[Subscription, Batch], list[Hit]]:
    """A watched term: whole words in the document's texts, or (``structured``) the facts a
    parser read for that kind of term."""

    def select(subscription: Subscription, batch: Batch) -> list[Hit]:
        term = " ".join((subscription.query or "").split())
        if not term:
            return []
        pattern = pattern_of(term)
        return [
            _document_hit(batch, document)
            for document in batch.documents
            if (structured is not None and structured(document, term))
            or any(pattern.search(text) for text in _searchable_texts(document) if text)
        ]

    return select


def _saved_search(subscription: Subscription, batch: Batch) -> list[Hit]:
    """The batch's documents the saved search matched (``Batch.saved``), with the clauses that
    held.  A query that does not parse was never registered, so it selects nothing."""
    matched = batch.saved.get(subscription.id)
    if not matched:
        return []
    return [
        _document_hit(batch, document, matched[document.id])
        for document in batch.documents
        if document.id in matched
    ]


SELECTORS: dict[str, Callable[[Subscription, Batch], list[Hit]]] = {
    "enterprise": _enterprise_watch,
    "search": _saved_search,
    "region": _group_watch(_in_region),
    "industry": _group_watch(_in_industry),
    "brand": _term_watch(_brand_named),
    "firm": _term_watch(_firm_named),
    "keyword": _term_watch(pattern_of=_keyword_pattern),
}


def select_hits(subscription: Subscription, batch: Batch) -> list[Hit]:
    selector = SELECTORS.get(subscription.kind)
    if selector is None:
        log.warning("subscription %s has unknown kind %r", subscription.id, subscription.kind)
        return []
    return selector(subscription, batch)
