"""Which documents of a batch each kind of subscription selects, and how severe each is for it.

Pure functions over the batch (plus the search index for saved searches): the database work,
dedupe and outbox live in ``matching``."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ipsentry.alerting.severity import strongest_match
from ipsentry.core.documents import Document, Match, Severity
from ipsentry.core.models import Enterprise, Subscription
from ipsentry.search.index import DocumentIndex, QueryError, SearchRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """One document selected by one subscription, with what explains it."""

    document: Document
    severity: Severity
    match: Match | None = None  # the enterprise match shown in the message, if any
    enterprise_name: str | None = None


@dataclass(frozen=True)
class Batch:
    documents: Sequence[Document]
    enterprises: Mapping[int, Enterprise]  # every enterprise matched in the batch, by id
    index: DocumentIndex | None = None


def _enterprise_name(batch: Batch, match: Match) -> str | None:
    enterprise = batch.enterprises.get(match.enterprise_id)
    return match.enterprise_name or (enterprise.display_name if enterprise else None)


def _strongest(*severities: Severity) -> Severity:
    return max(severities, key=lambda severity: severity.rank)


def _enterprise_hit(batch: Batch, document: Document, accept: Callable[[Match], bool]) -> Hit | None:
    """A hit on behalf of the enterprises ``accept`` picks: their own share of the severity."""
    best = strongest_match(document, (match for match in document.matches if accept(match)))
    if best is None:
        return None
    match, severity = best
    return Hit(document, severity, match, _enterprise_name(batch, match))


def _document_hit(batch: Batch, document: Document) -> Hit:
    """A hit on the document as a whole (watched term, saved search): the document's severity,
    and at least low, since being selected is a mention (the rule for enterprises too)."""
    best = strongest_match(document, document.matches)
    if best is None:
        return Hit(document, _strongest(document.severity, Severity.LOW))
    match, severity = best
    return Hit(
        document,
        _strongest(document.severity, severity, Severity.LOW),
        match,
        _enterprise_name(batch, match),
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
    texts = [document.title, document.summary, document.text]
    for party in document.parties:
        texts.append(party.name)
        texts.extend(party.aliases)
    return texts


def _term_watch(subscription: Subscription, batch: Batch) -> list[Hit]:
    term = " ".join((subscription.query or "").split())
    if not term:
        return []
    pattern = _term_pattern(term)
    return [
        _document_hit(batch, document)
        for document in batch.documents
        if any(pattern.search(text) for text in _searchable_texts(document) if text)
    ]


def _saved_search(subscription: Subscription, batch: Batch) -> list[Hit]:
    query = (subscription.query or "").strip()
    if not query:
        return []
    if batch.index is None:
        log.warning("saved search %s not evaluated: no document index given", subscription.id)
        return []
    ids = [document.id for document in batch.documents]
    request = SearchRequest(query=query, document_ids=ids, limit=len(ids), highlight=False)
    try:
        found = {hit.document.id for hit in batch.index.search(request).hits}
    except QueryError as error:
        # A saved query that no longer parses must not stop the other subscriptions' alerts.
        log.warning("saved search %s has an invalid query: %s", subscription.id, error)
        return []
    return [_document_hit(batch, document) for document in batch.documents if document.id in found]


SELECTORS: dict[str, Callable[[Subscription, Batch], list[Hit]]] = {
    "enterprise": _enterprise_watch,
    "search": _saved_search,
    "region": _group_watch(_in_region),
    "industry": _group_watch(_in_industry),
    "brand": _term_watch,
    "firm": _term_watch,
    "keyword": _term_watch,
}


def select_hits(subscription: Subscription, batch: Batch) -> list[Hit]:
    selector = SELECTORS.get(subscription.kind)
    if selector is None:
        log.warning("subscription %s has unknown kind %r", subscription.id, subscription.kind)
        return []
    return selector(subscription, batch)
