"""Near matches: a blocking index over the distinctive words of every Latin key, then rapidfuzz.

Blocking keys of a distinctive word ("innoscience"): the word itself, its first four and its last
four letters, so one typo in a long word still meets its block ("innosience" shares "inno").
Generic words (places, industries, legal forms) make no blocks: a name like "Suzhou Technology
Co., Ltd." has no candidates at all, which is how a decoy never reaches the scorer.

A near match is *high* confidence only when the distinctive words agree exactly and the places do
not contradict each other: then the difference is a typo in a generic word ("Shenzen") or in
spacing.  Everything else that passes the cutoff is *low*, and so is a less similar name with the
same skeleton (distinctive words and places) but other generic words: an affiliate, reported so a
human can look.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from ipsentry.tagging.lexicon import generic_words, merge_generic, place_base, place_words

CUTOFF = 0.85  # below this ratio a candidate is reported only when it shares the skeleton
FLOOR = 0.60  # below this ratio a candidate is not reported at all
HIGH = 0.90  # at or above, with equal distinctive words and no place conflict: high confidence
MAX_CANDIDATES = 64  # scored per query, best-blocked first
MAX_BLOCK = 20_000  # a block this crowded says nothing: skipped
MIN_WORD = 3  # shorter words make no blocks


def _blocks(word: str) -> list[str]:
    if len(word) < MIN_WORD:
        return []
    blocks = ["=" + word]
    if len(word) >= 5:
        blocks += ["<" + word[:4], ">" + word[-4:]]
    return blocks


@dataclass(frozen=True, slots=True)
class NearKey:
    key: str
    score: float  # 0–1, rapidfuzz ratio of the joined cores


class FuzzyIndex:
    def __init__(self) -> None:
        self._keys: list[str] = []
        self._building: defaultdict[str, list[int]] = defaultdict(list)
        self._blocks: dict[str, array[int]] = {}

    def add(self, key: str, distinctive: Sequence[str]) -> None:
        position = len(self._keys)
        self._keys.append(key)
        building = self._building
        for word in distinctive:
            for block in _blocks(word):
                building[block].append(position)

    def freeze(self) -> None:
        """Postings as compact arrays (4 bytes a posting instead of a Python int each)."""
        self._blocks = {block: array("i", postings) for block, postings in self._building.items()}
        self._building = defaultdict(list)

    def __len__(self) -> int:
        return len(self._keys)

    def search(self, key: str, distinctive: Sequence[str], cutoff: float = FLOOR) -> list[NearKey]:
        counts: Counter[int] = Counter()
        for word in distinctive:
            for block in _blocks(word):
                postings = self._blocks.get(block)
                if postings is not None and len(postings) <= MAX_BLOCK:
                    counts.update(postings)
        if not counts:
            return []
        candidates = [self._keys[position] for position, _ in counts.most_common(MAX_CANDIDATES)]
        found = process.extract(
            key, candidates, scorer=fuzz.ratio, score_cutoff=cutoff * 100, limit=len(candidates)
        )
        return [NearKey(choice, score / 100) for choice, score, _ in found]


@lru_cache(maxsize=1)
def _generic_list() -> list[str]:
    return sorted(word for word in generic_words() if len(word) >= 4 and word.isascii())


@lru_cache(maxsize=65536)
def near_generic(word: str) -> str | None:
    """The generic word ``word`` is one typo away from ("shenzen" → "shenzhen"), if any."""
    if len(word) < 5 or not word.isascii():
        return None
    best = process.extractOne(word, _generic_list(), scorer=Levenshtein.distance, score_cutoff=1)
    return best[0] if best else None


@dataclass(frozen=True, slots=True)
class NameShape:
    """What a fuzzy comparison looks at: distinctive words and places, typos in generic words
    corrected ("Shenzen" counts as the place Shenzhen, not as a distinctive word)."""

    distinctive: tuple[str, ...]
    places: frozenset[str]

    @classmethod
    def of(cls, tokens: Sequence[str], *, tolerant: bool = False) -> NameShape:
        places = place_words()
        distinctive: list[str] = []
        found_places: set[str] = set()
        for word, is_generic in merge_generic(tokens):
            if not is_generic and tolerant:
                corrected = near_generic(word)
                if corrected is not None:
                    word, is_generic = corrected, True
            if not is_generic:
                distinctive.append(word)
            elif word in places:
                found_places.add(place_base(word))
        return cls(tuple(distinctive), frozenset(found_places))


def places_conflict(query: NameShape, candidate: NameShape) -> bool:
    """Each names a place the other does not: "Innoscience (Suzhou)" vs "Innoscience (Zhuhai)"."""
    return bool(query.places - candidate.places) and bool(candidate.places - query.places)


def same_skeleton(query: NameShape, candidate: NameShape) -> bool:
    """Same distinctive words and places, whatever the generic words: "Innoscience (Suzhou)
    Semiconductor" and "Innoscience (Suzhou) Technology" are likely one group's companies."""
    return query.distinctive == candidate.distinctive and query.places == candidate.places


def is_close(query: NameShape, candidate: NameShape, score: float) -> bool:
    """High confidence for a near match: same distinctive words, places not contradicting."""
    if score < HIGH or "".join(query.distinctive) != "".join(candidate.distinctive):
        return False
    return not places_conflict(query, candidate)
