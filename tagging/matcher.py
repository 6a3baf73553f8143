"""Which registered enterprises a document concerns, in what role, and how sure we are.

Order of work for one document:

1. **Parties** (structure first).  Each party name and alias is normalised and looked up exactly
   among all registry variants.  A unique hit is high confidence; a key shared by namesakes is
   low unless the legal form picks one ("Xiaomi Inc." vs "Xiaomi Corporation"); a hit on a
   place-less variant ("Lishian Technology" for 深圳市利世安科技) is low unless the party's city or
   address names the enterprise's city.  Failing that, the party's own leading place is dropped
   and tried again (same confirmation rule), then near variants are searched (``fuzzy.py``:
   kind ``similar_name``).  The role is the party's: a complainant is never a respondent.
   Party names are also looked up among store names and seller IDs (kind ``store``).
2. **Free text** (title, summary, body): every variant is found by ``mentions.py`` (kind
   ``mention``, role ``mention``), and store names / seller IDs likewise (kind ``store``), for
   enterprises not already matched as a party.
3. **Severity and industries** (``severity.py``, ``industries.py``).

Every registry variant is computed once at build.  The indexes keep only keys and enterprise
positions; the variant a match reports is recomputed for the matched enterprise alone (cached),
which keeps 100,000 enterprises well under a gigabyte.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ipsentry.core.documents import Document, Match, Party, Role
from ipsentry.core.registry import EnterpriseRecord
from ipsentry.tagging.fuzzy import (
    CUTOFF,
    FuzzyIndex,
    NameShape,
    is_close,
    near_generic,
    places_conflict,
    same_skeleton,
)
from ipsentry.tagging.industries import document_industries
from ipsentry.tagging.lexicon import (
    is_generic_name,
    merge_generic,
    place_base,
    place_words,
)
from ipsentry.tagging.mentions import TextHit, find_mentions
from ipsentry.tagging.name_index import NameIndex
from ipsentry.tagging.normalize import NormalizedName, compact_key, name_tokens, normalize_name, split_aliases
from ipsentry.tagging.severity import document_severity
from ipsentry.tagging.variants import Variant, enterprise_variants, place_of

MIN_STORE_KEY = 4  # shorter store names / seller IDs would match by accident
_PARTY_KINDS = frozenset({"party_name", "similar_name", "store"})


@dataclass(frozen=True, slots=True)
class NameHit:
    """One enterprise found for one name or text span, before it becomes a Match."""

    owner: int  # position of the enterprise in the list the matcher was built from
    kind: str
    confidence: str
    score: float
    evidence: str
    variant: str


class EnterpriseMatcher:
    def __init__(
        self, records: list[EnterpriseRecord], names: NameIndex, stores: NameIndex, fuzzy: FuzzyIndex
    ) -> None:
        self._records = records
        self._names = names
        self._stores = stores
        self._fuzzy = fuzzy
        self._variants = lru_cache(maxsize=4096)(self._variants_of)

    @classmethod
    def build(cls, records: Sequence[EnterpriseRecord]) -> EnterpriseMatcher:
        """Index every variant of every record.  Records must carry their registry ``id``."""
        records = list(records)
        missing = [record.external_id for record in records if record.id is None]
        if missing:
            raise ValueError(f"records without an id (store them first): {missing[:5]}")
        # Millions of small acyclic objects: the cyclic collector would walk them again and again
        # for nothing (about a tenth of the build time, measured at 30,000 enterprises).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return cls(records, *cls._indexes(records))
        finally:
            if collecting:
                gc.enable()

    @staticmethod
    def _indexes(records: list[EnterpriseRecord]) -> tuple[NameIndex, NameIndex, FuzzyIndex]:
        names, stores, fuzzy = NameIndex(), NameIndex(), FuzzyIndex()
        for position, record in enumerate(records):
            for variant in enterprise_variants(record, surfaces=False):
                key = variant.key
                if variant.han:
                    names.add(key, position, han=True)
                elif names.add(key, position, (variant.tokens[0], *variant.starts)):
                    fuzzy.add(key, variant.distinctive)
            for store in (*record.stores, *record.seller_ids):
                words = name_tokens(store)
                key = "".join(words)
                if len(key) >= MIN_STORE_KEY:
                    stores.add(key, position, words[:1])
        names.freeze()
        stores.freeze()
        fuzzy.freeze()
        return names, stores, fuzzy

    def __len__(self) -> int:
        return len(self._records)

    @property
    def key_count(self) -> int:
        return len(self._names)

    # --- tagging -------------------------------------------------------------------------------

    def tag(self, document: Document) -> Document:
        """A copy of ``document`` with ``matches``, ``severity`` and ``industries`` filled."""
        matches = self.match(document)
        return document.model_copy(
            update={
                "matches": matches,
                "severity": document_severity(matches, document.kind, document.stage),
                "industries": document_industries(document),
            }
        )

    def match(self, document: Document) -> list[Match]:
        best: dict[tuple[int, str, Role], Match] = {}
        for party in document.parties:
            for hit in self.match_party(party):
                self._keep(best, self._as_match(hit, party.role))
        as_party = {enterprise_id for enterprise_id, kind, _ in best if kind in _PARTY_KINDS}
        text = "\n".join(part for part in (document.title, document.summary, document.text) if part)
        for hit in self.match_text(text):
            if self._records[hit.owner].id not in as_party:
                self._keep(best, self._as_match(hit, Role.MENTION))
        return sorted(best.values(), key=lambda m: (m.enterprise_id, m.kind, m.role))

    def match_party(self, party: Party) -> list[NameHit]:
        hits: list[NameHit] = []
        for name in _party_names(party):
            found = self.match_name(name, party)
            hits.extend(found)
            for owner in self._stores.owners(compact_key(name)):
                hits.append(NameHit(owner, "store", "high", 1.0, name, name))
        return hits

    def match_name(self, name: str, party: Party | None = None) -> list[NameHit]:
        """Registered enterprises a company name refers to (exact, then place-less, then near)."""
        normalized = normalize_name(name)
        if not normalized or is_generic_name(normalized.tokens):
            return []  # "Suzhou Technology Co., Ltd." identifies nobody
        owners = self._names.owners(normalized.key)
        if owners:
            return self._exact_hits(normalized, owners, name, party)
        dropped = _without_leading_places(normalized)
        if dropped is not None:
            rest, places = dropped
            owners = self._names.owners(rest.key)
            if owners:
                # found only once the party's own place was dropped: high only if it is the
                # enterprise's place too.  Not the address's: a Chinese company is named after
                # where it is registered, so "Shenzhen Zhengming Technology …, Huizhou, China"
                # (337-TA-1424) is not 惠州正明科技.
                return [
                    NameHit(hit.owner, hit.kind, self._placed(hit, places), 0.95, name, hit.variant)
                    for hit in self._exact_hits(rest, owners, name, party)
                ]
        return self._near_hits(normalized, name)

    def match_text(self, text: str) -> list[NameHit]:
        hits: list[NameHit] = []
        for found in find_mentions(text, self._names):
            unique = len(found.owners) == 1
            for owner in found.owners:
                variant = self._variant(owner, found.key)
                strong = found.han or found.words >= 3 or found.legal_follows
                high = unique and strong and not variant.weak
                hits.append(
                    NameHit(
                        owner, "mention", "high" if high else "low", 1.0, _span(text, found), variant.surface
                    )
                )
        for found in find_mentions(text, self._stores, single_words=True):
            for owner in found.owners:
                confidence = "high" if len(found.owners) == 1 else "low"
                evidence = _span(text, found)
                hits.append(NameHit(owner, "store", confidence, 1.0, evidence, evidence))
        return hits

    # --- helpers -------------------------------------------------------------------------------

    def _exact_hits(
        self, normalized: NormalizedName, owners: tuple[int, ...], evidence: str, party: Party | None
    ) -> list[NameHit]:
        """One hit per owner of the key: high for the one it designates (if any), low for the others."""
        variants = {owner: self._variant(owner, normalized.key) for owner in owners}
        chosen = owners
        if len(chosen) > 1:
            # A namesake's registered name beats another's place-less form of its own name.
            strong = tuple(owner for owner in chosen if not variants[owner].weak)
            chosen = strong or chosen
        if len(chosen) > 1 and normalized.legal:
            # Namesakes: the legal form may still tell them apart ("Xiaomi Inc." vs "… Corporation"),
            # and then the others are other companies, not candidates.
            same_form = tuple(owner for owner in chosen if variants[owner].legal == normalized.legal)
            if same_form:
                owners = chosen = same_form
        hits = []
        for owner in owners:
            variant = variants[owner]
            designated = len(chosen) == 1 and owner in chosen
            confirmed = not variant.weak or self._place_confirmed(owner, _places_named(evidence, party))
            confidence = "high" if designated and confirmed else "low"
            hits.append(NameHit(owner, "party_name", confidence, 1.0, evidence, variant.surface))
        return hits

    def _placed(self, hit: NameHit, places: frozenset[str]) -> str:
        """A match found only once the party's place was dropped is high only when that place is
        the enterprise's own."""
        return "high" if hit.confidence == "high" and self._place_confirmed(hit.owner, places) else "low"

    def _place_confirmed(self, owner: int, places: frozenset[str]) -> bool:
        home = place_of(self._records[owner])
        return home is not None and place_base(home) in places

    def _near_hits(self, normalized: NormalizedName, evidence: str) -> list[NameHit]:
        query = NameShape.of(normalized.tokens, tolerant=True)
        if not query.distinctive:
            return []
        best: dict[int, tuple[NameHit, bool]] = {}  # owner → (hit, places contradict the query's)
        skeleton = [*query.distinctive, *query.places]
        for near in self._fuzzy.search(normalized.key, query.distinctive):
            if near.score < CUTOFF and not all(word in near.key for word in skeleton):
                continue  # cheap test first: a skeleton match holds every distinctive word and place
            owners = self._names.owners(near.key)
            for owner in owners:
                variant = self._variant(owner, near.key)
                shape = NameShape.of(variant.tokens)
                if near.score < CUTOFF and not same_skeleton(query, shape):
                    continue
                close = len(owners) == 1 and not variant.weak and is_close(query, shape, near.score)
                confidence = "high" if close else "low"
                hit = NameHit(
                    owner, "similar_name", confidence, round(near.score, 3), evidence, variant.surface
                )
                known = best.get(owner)
                if known is None or _rank(hit) > _rank(known[0]):
                    best[owner] = (hit, places_conflict(query, shape))
        # A sibling in another city is reported only when nothing better was found: a typo in
        # "Innosience (Suzhou)" is about Suzhou, not also about Zhuhai.
        agreeing = [hit for hit, conflict in best.values() if not conflict]
        hits = agreeing or [hit for hit, _ in best.values()]
        if sum(hit.confidence == "high" for hit in hits) > 1:  # two enterprises equally close: ask a human
            hits = [NameHit(h.owner, h.kind, "low", h.score, h.evidence, h.variant) for h in hits]
        return hits

    def _variants_of(self, owner: int) -> dict[str, Variant]:
        return {variant.key: variant for variant in enterprise_variants(self._records[owner])}

    def _variant(self, owner: int, key: str) -> Variant:
        return self._variants(owner)[key]

    def _as_match(self, hit: NameHit, role: Role) -> Match:
        record = self._records[hit.owner]
        assert record.id is not None  # checked at build
        return Match(
            enterprise_id=record.id,
            enterprise_name=record.display_name,
            kind=hit.kind,
            role=role,
            score=hit.score,
            confidence=hit.confidence,
            evidence=hit.evidence,
            variant=hit.variant,
        )

    @staticmethod
    def _keep(best: dict[tuple[int, str, Role], Match], match: Match) -> None:
        key = (match.enterprise_id, match.kind, match.role)
        known = best.get(key)
        if known is None or (match.confidence == "high", match.score) > (
            known.confidence == "high",
            known.score,
        ):
            best[key] = match


def _rank(hit: NameHit) -> tuple[bool, float]:
    return hit.confidence == "high", hit.score


def _party_names(party: Party) -> list[str]:
    names = split_aliases(party.name)
    for alias in party.aliases:
        names.extend(split_aliases(alias))
    return list(dict.fromkeys(names))


def _places_named(name: str, party: Party | None) -> frozenset[str]:
    """Places written in a party's name (its address tail: "…, Shenzhen, China"), city and
    address: what confirms a place-less match.  Joined and suffix-free: "shenzhen"."""
    places = place_words()
    words: set[str] = set()
    for text in (name, party.city if party else None, party.address if party else None):
        if not text:
            continue
        for word, generic in merge_generic(name_tokens(text)):
            # Addresses are typed by hand: "Xiaman, China" (337-TA-1157) still says Xiamen.
            place = word if generic else near_generic(word)
            if place in places:
                words.add(place_base(place))
    return frozenset(words)


def _without_leading_places(normalized: NormalizedName) -> tuple[NormalizedName, frozenset[str]] | None:
    """ "shenzhen lishian technology" → ("lishian technology", {"shenzhen"}), when something
    distinctive is left."""
    places = place_words()
    pieces = [word for word, _ in merge_generic(normalized.tokens)]
    leading = 0
    while leading < len(pieces) - 1 and pieces[leading] in places:
        leading += 1
    rest = pieces[leading:]
    if not leading or is_generic_name(rest):
        return None
    return NormalizedName(tuple(rest), normalized.legal), frozenset(place_base(p) for p in pieces[:leading])


def _span(text: str, hit: TextHit) -> str:
    return text[hit.start : hit.end]
