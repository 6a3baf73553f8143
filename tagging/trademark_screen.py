"""Trademark squatting screen: new third-party marks against every registered brand's variants.

One day of USPTO filings is tens of thousands of marks; the registry holds up to a hundred
thousand brands with several variants each.  Scoring every pair (billions) is minutes of work,
so the screen finds the pairs that can reach the threshold through an index and scores only
those, with rapidfuzz ``ratio`` on comparison keys (``trademark_variants.comparison_key``):

1. ``ratio >= t`` is an indel distance of at most ``floor((1 - t)(|a| + |b|))``: a handful of
   deletions for brand-length keys (two for two 8-letter keys at 0.85).  Two strings within
   that distance meet in a common subsequence, reached by deleting x characters from the mark
   and y from the key.  So every key is indexed under its variants with up to two characters
   deleted (one for keys longer than ``WHOLE_DEPTH_UP_TO``), and every mark probes with its
   own: a shared variant is a candidate ("symmetric deletion", as in SymSpell).  Only the
   (x, y) that some pair of lengths can need are enumerated.
2. Pairs that need more deletions on one side (only long strings allow them) are found by
   halves: the longer string is cut in two, one half pair then holds at most half the
   deletions, and the halves are matched by their own deletion variants.  Mark lengths where
   that would take more probes than there are keys of feasible lengths (very long marks) score
   those few keys exhaustively instead.  Every step is exact: no pair that reaches the
   threshold is lost.
3. Variants are hashed by matrix products (a mark's or key's character codes times weights,
   exact in float64, see ``_DeletionIndex``), and the index is partitioned by the (x, y) a
   variant serves, so that the probes of one kind read one partition, small enough to stay in
   cache.  Candidates are cut by class overlap (class bitmasks) as they are found, then by
   length feasibility and by letter counts (their L1 distance is at most the indel distance:
   it drops over nine pairs in ten, nearly all found through halves), and scored in one call
   (``process.cpdist``).  A key that recurs across the batch (generic words such as PHONE) is
   looked up and scored once.  Mark lengths are looked up on several threads (numpy lets go
   of the GIL), as ``cdist`` scores on several.
4. Keys too short to fuzz (initials, two-character Chinese brands) are matched exactly, and
   Chinese marks are also searched for Chinese brands written inside them.
5. The best hit per (filing, brand) becomes a candidate, all of it on arrays until the
   candidates are made, as tuples zipped from columns (gathered in C) and what a filing's or
   an enterprise's candidates share, made once.

Why these depths, and what the screen costs: ``benchmarks/trademark_screen.py`` and the
"Trademark screen" section of ``benchmarks/README.md``.

Besides the whole mark, each word sequence of the mark is screened (a brand plus a generic
word is the commonest squat: "HUAWEI PHONE"), as are the USPTO pseudo-mark, translation and
transliteration statements.  Filings by the enterprise itself or one of its listed subsidiaries
are left out; names are compared through the shared normalisation and pinyin bridge
(``tagging/normalize.py``, ``tagging/variants.py``), so "Co., Ltd." spellings and the pinyin of
a Chinese name count as the enterprise.  Every candidate says which variant matched, how,
which classes overlap, who filed it from where, and until when it can be opposed.
"""

from __future__ import annotations

import functools
import gc
import itertools
import math
import operator
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple, TypeVar

import numpy as np
from rapidfuzz import fuzz, process

from ipsentry.core.documents import Document, Match, Party, RiskKind, Role, Severity
from ipsentry.core.registry import EnterpriseRecord
from ipsentry.core.stages import adverse_severity
from ipsentry.tagging.normalize import compact_key, name_key, split_aliases
from ipsentry.tagging.opposition import OppositionWindow, opposition_window
from ipsentry.tagging.trademark_variants import (
    EXACT_ONLY_KINDS,
    comparison_keys,
    normalise_text,
    normalise_texts,
    variants_of_brands,
)
from ipsentry.tagging.variants import enterprise_variants, place_of

DEFAULT_THRESHOLD = 0.85
# Below this key length a one-letter change makes another word: such keys match exactly only.
MIN_FUZZY_LEN = 4
# Deletions enumerated on whole strings: two while strings are short (their variants are few
# and the halves of short strings are too short to be selective), one beyond that length.
WHOLE_DEPTH = 2
WHOLE_DEPTH_UP_TO = 14
# Deletions enumerated on halves; pairs that need more (marks and keys of 20+ letters both)
# are scored exhaustively, there being few keys that long.
MAX_HALF_DEPTH = 2
# Score a mark length's feasible keys exhaustively when they number fewer than this many times
# its probes (measured: a probe costs about as much as scoring two pairs, but a score matrix
# is written and read whole; factors from 1 to 8 measure alike, few lengths being concerned).
EXHAUSTIVE_FACTOR = 8.0
EXHAUSTIVE_CHUNK = 4_000_000  # cells of one exhaustive score matrix
WORKERS = min(4, os.cpu_count() or 1)  # threads looking up mark lengths side by side
# Cells (strings x characters x variants) of one hashing product while probing: OpenBLAS runs
# a product of at most 2**18 cells on the calling thread (the screen's threads already share
# the cores).
PRODUCT_CELLS = 1 << 18
LOOKUP_PROBES = 1 << 17  # probes looked up together: fewer numpy calls, temporaries in cache
# A brand found inside a longer mark (as its words, or inside a Chinese mark) ranks a little
# below a mark that is the brand itself.
PART_OF_MARK_FACTOR = 0.95
# Word sequences of a mark screened on their own (one to three words).
MAX_WORDS_IN_PART = 3
MAX_REMEMBERED_FILERS = 200_000  # filer names whose name keys a screen keeps between batches
# A dead mark (abandoned, cancelled) can no longer hurt anyone.
DEFAULT_SKIP_STAGES = frozenset({"abandoned", "cancelled"})

WHOLE, PREFIX, SUFFIX = 0, 1, 2  # tags of the indexed pieces
_ANY_CLASS = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
_EXACT_BITS = 53  # float64 holds every integer below 2**53 exactly
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplying by it loses nothing modulo 2**64
_SEED = 0x5EED  # of the hash weights: any will do, fixed so that builds are alike
_CJK_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_QUOTED_RE = re.compile(r"[\"“”‘’']([^\"“”‘’']{2,80})[\"“”‘’']")
_TRANSLITERATE_RE = re.compile(r"translit\w*\s+(?:to|as)\s+(.+?)(?:\s+and\s+this|\s+which|[.;]|$)", re.I)


class SquatCandidate(NamedTuple):
    """One third-party filing that resembles one enterprise brand, with the evidence.  A named
    tuple: a screening day makes tens of thousands, and a frozen dataclass costs ten times as
    much to make."""

    document_id: str
    serial: str
    office: str
    mark: str
    matched_field: str  # "mark", "mark words", "pseudo_mark", "translation", "transliteration"
    matched_text: str
    applicant: str | None
    applicant_country: str | None
    enterprise_index: int  # position in the records the screen was built from
    enterprise_id: int | None
    enterprise_external_id: str
    enterprise_name: str
    brand: str
    variant: str
    variant_kind: str
    found_by: str  # "ratio" (fuzzy), "identical" (exact-only keys) or "contains"
    similarity: float  # the measure's value, 0..1
    score: float  # similarity, reduced when only part of the mark matched
    overlapping_classes: tuple[int, ...]  # empty when the brand is registered for any class
    brand_classes: tuple[int, ...]  # as registered, with coordinated classes; empty = any class
    stage: str
    opposition: OppositionWindow | None

    @property
    def measure(self) -> str:
        """How similar: "identical", "ratio", "ratio after look-alike folding" (the similarity
        needed the folding of 0/O, rn/m… to reach the threshold) or "contains".  Worked out on
        demand, like the reasons."""
        if self.found_by != "ratio":
            return self.found_by
        plain = round(fuzz.ratio(_plain_key(self.matched_text), _plain_key(self.variant)) / 100.0, 4)
        if plain >= self.similarity:  # similarity is rounded likewise
            return "identical" if plain == 1.0 else "ratio"
        return "ratio after look-alike folding"

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why this is a candidate, in words: which variant and how similar, which classes,
        who filed from where, until when it can be opposed.  Worded on demand (each time: a
        screening day makes tens of thousands of candidates and reads the reasons of few)."""
        reasons = [
            f"{self.matched_field} '{self.matched_text}' vs brand '{self.brand}' variant '{self.variant}' "
            f"({self.variant_kind}): {self.measure} {self.similarity:.2f}",
            (
                f"classes overlap: {', '.join(str(c) for c in self.overlapping_classes)}"
                if self.overlapping_classes
                else "brand registered for any class"
                if not self.brand_classes
                else "filing lists no class"
            ),
            f"applicant: {self.applicant or 'unknown'} ({self.applicant_country or 'country unknown'})",
        ]
        window = self.opposition
        if window is not None:
            reasons.append(
                f"opposition deadline {window.deadline.isoformat()} ({window.expected})"
                if window.deadline
                else f"opposition: {window.expected}"
            )
        return tuple(reasons)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, as the CLI prints it."""
        return {
            "document_id": self.document_id,
            "serial": self.serial,
            "office": self.office,
            "mark": self.mark,
            "matched_field": self.matched_field,
            "matched_text": self.matched_text,
            "applicant": self.applicant,
            "applicant_country": self.applicant_country,
            "enterprise_id": self.enterprise_id,
            "enterprise_external_id": self.enterprise_external_id,
            "enterprise_name": self.enterprise_name,
            "brand": self.brand,
            "variant": self.variant,
            "variant_kind": self.variant_kind,
            "measure": self.measure,
            "similarity": self.similarity,
            "score": self.score,
            "classes": list(self.overlapping_classes),
            "stage": self.stage,
            "deadline": self.opposition.deadline.isoformat()
            if self.opposition and self.opposition.deadline
            else None,
            "opposition": self.opposition.as_dict() if self.opposition else None,
            "reasons": list(self.reasons),
        }


@dataclass
class _Queries:
    """What is screened of a batch, as columns: one row per distinct comparison key of a
    document (a day holds ~80,000; columns keep them out of the garbage collector's way)."""

    documents: list[int] = field(default_factory=list)  # position in the screened batch
    fields: list[str] = field(default_factory=list)  # "mark", "mark words", "pseudo_mark"…
    texts: list[str] = field(default_factory=list)  # as written in the filing
    keys: list[str] = field(default_factory=list)
    whole: list[bool] = field(default_factory=list)  # the whole field, not a part of it

    def __len__(self) -> int:
        return len(self.keys)


_T = TypeVar("_T")
FOUND_BY = ("ratio", "identical", "contains")  # how a hit was found, by code
RATIO, IDENTICAL, CONTAINS = 0, 1, 2


@dataclass
class _Hits:
    """Hits as columns: the query row; the fuzzy and exact-only key rows it met (-1: none); the
    similarity; how it was found (a code of FOUND_BY)."""

    rows: np.ndarray
    fuzzy: np.ndarray
    exact: np.ndarray
    similarity: np.ndarray
    found_by: np.ndarray

    @classmethod
    def of(
        cls,
        rows: Sequence[int],
        fuzzy: Sequence[int],
        exact: Sequence[int],
        similarity: Sequence[float],
        found_by: Sequence[int],
    ) -> _Hits:
        return cls(
            np.asarray(rows, dtype=np.int64),
            np.asarray(fuzzy, dtype=np.int64),
            np.asarray(exact, dtype=np.int64),
            np.asarray(similarity, dtype=np.float64),
            np.asarray(found_by, dtype=np.int8),
        )

    def __add__(self, other: _Hits) -> _Hits:
        return _Hits(
            *(
                np.concatenate((mine, theirs))
                for mine, theirs in zip(self.columns(), other.columns(), strict=True)
            )
        )

    def columns(self) -> tuple[np.ndarray, ...]:
        return (self.rows, self.fuzzy, self.exact, self.similarity, self.found_by)


@dataclass(frozen=True)
class _OwnNames:
    """An enterprise's names as name keys, for the own-filing test."""

    strong: frozenset[str]
    weak: frozenset[str]  # place-less forms: its own only when the filer sits in its place
    place: str | None


class _Filing:
    """What the candidates of one document share, worked out once: its fields of a
    ``SquatCandidate`` (``FIELDS``), and the applicants' names for the owner check."""

    FIELDS = (
        "document_id",
        "serial",
        "office",
        "mark",
        "applicant",
        "applicant_country",
        "stage",
        "opposition",
    )

    def __init__(
        self,
        document: Document,
        name_keys: dict[str, tuple[str, ...]],
        windows: dict[tuple[str, date | None], OppositionWindow | None],
    ) -> None:
        parties = applicants(document)
        applicant = parties[0] if parties else None
        # A day's filings share a few publication dates: one window each (it is immutable).
        when = (document.jurisdiction, document.published)
        if when not in windows:
            windows[when] = opposition_window(*when)
        self.fields = (
            document.id,
            document.native_id,
            document.jurisdiction,
            document.title,
            applicant.name if applicant else None,
            applicant.country if applicant else None,
            document.stage,
            windows[when],
        )
        self.applicant_names = applicant_names(parties, name_keys)  # (name key, party)
        self.name_keys = frozenset([key for key, _ in self.applicant_names])

    def is_own(self, names: _OwnNames) -> bool:
        """Whether the enterprise of ``names`` filed it (most often told by two set tests)."""
        keys = self.name_keys
        if names.strong.isdisjoint(keys) and names.weak.isdisjoint(keys):
            return False
        return is_own_filing(names, self.applicant_names)


def class_mask(classes: Iterable[int]) -> np.uint64:
    """Nice classes as a bitmask (bit n = class n); no class at all means any class."""
    bits = 0
    for nice_class in classes:
        if 1 <= nice_class <= 63:
            bits |= 1 << nice_class
    return np.uint64(bits) if bits else _ANY_CLASS


def _class_masks(listed: Sequence[Iterable[int]]) -> np.ndarray:
    """``class_mask`` of each list of classes, as uint64 (filings list a few thousand
    combinations of classes: each one's mask is made once, the rest iterates in C)."""
    keys = list(map(tuple, listed))
    known = {classes: int(class_mask(classes)) for classes in dict.fromkeys(keys)}
    return np.fromiter(map(known.__getitem__, keys), dtype=np.uint64, count=len(keys))


def statement_terms(text: str) -> list[str]:
    """The words a translation or transliteration statement gives: its quoted terms, else what
    follows "transliterate(s) to"; USPTO writes both as sentences around the terms."""
    quoted = [m.strip() for m in _QUOTED_RE.findall(text) if m.strip()]
    if quoted:
        return quoted
    found = _TRANSLITERATE_RE.search(text)
    return [found.group(1).strip()] if found else []


def own_names(record: EnterpriseRecord) -> _OwnNames:
    """The name keys an enterprise files under: every registry name and subsidiary with the
    forms the shared bridge derives (legal-form spellings, pinyin of the Chinese name)."""
    strong: set[str] = set()
    weak: set[str] = set()
    for variant in enterprise_variants(record):
        (weak if variant.weak else strong).add(variant.key)
    return _OwnNames(frozenset(strong), frozenset(weak - strong), place_of(record))


def is_own_filing(names: _OwnNames, filing_names: Iterable[tuple[str, Party]]) -> bool:
    """Whether one of the filer's names (name key, party) is the enterprise's."""
    for key, party in filing_names:
        if key in names.strong:
            return True
        if key in names.weak and names.place:
            address = compact_key(" ".join(p for p in (party.city, party.address) if p))
            if names.place in address:
                return True
    return False


def applicant_names(
    parties: Iterable[Party], cache: dict[str, tuple[str, ...]] | None = None
) -> list[tuple[str, Party]]:
    """(name key, party) of every name the applicants go by (``cache``: the name keys of each
    name as written, as the same filers come back day after day)."""
    cache = {} if cache is None else cache
    found: list[tuple[str, Party]] = []
    for party in parties:
        for written in (party.name, *party.aliases):
            keys = cache.get(written)
            if keys is None:
                keys = cache[written] = tuple(
                    key for name in split_aliases(written) if (key := name_key(name))
                )
            for key in keys:
                found.append((key, party))
    return found


# ---------------------------------------------------------------------------------------------
# The blocking index
#
# ``ratio(a, b) = 1 - indel(a, b) / (|a| + |b|)``, so a mark a and a key b reach the threshold t
# exactly when their indel distance d (characters deleted from both to reach a common
# subsequence) is at most ``dmax = floor((1 - t)(|a| + |b|))``.  With x of those deletions in a
# and y in b, ``x + y = d`` and ``x - y = |a| - |b|``: the two lengths and d fix x and y.


class _Spec(NamedTuple):
    """A piece of a string with ``depth`` characters deleted from it (every choice of them).
    A mark's piece meets the key pieces of the same ``tag`` whose deletions leave the same text."""

    # (WHOLE | PREFIX | SUFFIX, length of the key's piece, deletions from the key's piece): a
    # probe meets only the key pieces of the (x, y) it was made for, nothing a longer or
    # shorter key would share with it by chance.
    tag: tuple[int, int, int]
    start: int
    length: int
    depth: int


@dataclass
class _Plan:
    """What is indexed of a key of each length and probed with a mark of each length."""

    entries: dict[int, set[_Spec]] = field(default_factory=lambda: defaultdict(set))
    probes: dict[int, set[_Spec]] = field(default_factory=lambda: defaultdict(set))
    partners: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    exhaustive: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))


def _max_indel(threshold: float, total: int) -> int:
    # ratio = 1 - indel / total >= threshold; the epsilon keeps float rounding on the safe side.
    return math.floor((1.0 - threshold) * total + 1e-9)


def _whole_depth(length: int) -> int:
    return WHOLE_DEPTH if length <= WHOLE_DEPTH_UP_TO else 1


def _half_specs(
    mark_length: int, key_length: int, x: int, y: int, depth: int
) -> Iterator[tuple[_Spec, _Spec]]:
    """(key piece, mark piece) pairs one of which every pair at (x, y) shares.

    Cut the LONGER string in halves: the alignment splits the other string at some point too,
    and one half pair holds at most ``depth = d // 2`` of the d deletions, x' in the mark's
    piece and y' in the key's.  Its mark piece with x' deletions then equals its key piece with
    y' deletions.  A prefix piece starts at 0 in both strings and a suffix piece ends at the end
    of both, so the pieces' lengths follow from the cut and (x', y')."""
    for side in (PREFIX, SUFFIX):
        for x_part in range(min(x, depth) + 1):
            for y_part in range(min(y, depth - x_part) + 1):
                if key_length >= mark_length:
                    key_piece = key_length // 2 if side == PREFIX else key_length - key_length // 2
                    mark_piece = key_piece + x_part - y_part
                else:
                    mark_piece = mark_length // 2 if side == PREFIX else mark_length - mark_length // 2
                    key_piece = mark_piece + y_part - x_part
                if key_piece - y_part < 1 or mark_piece - x_part < 1 or key_piece > key_length:
                    continue
                tag = (side, key_piece, y_part)
                yield (
                    _Spec(tag, 0 if side == PREFIX else key_length - key_piece, key_piece, y_part),
                    _Spec(tag, 0 if side == PREFIX else mark_length - mark_piece, mark_piece, x_part),
                )


def _variant_count(specs: Iterable[_Spec]) -> int:
    return sum(math.comb(spec.length, spec.depth) for spec in specs)


def _plan(threshold: float, key_counts: dict[int, int], longest_mark: int) -> _Plan:
    """Per mark length: the pieces to probe, and the key lengths scored exhaustively instead
    (when the pieces would cost more than scoring the few keys of feasible lengths)."""
    plan = _Plan()
    for mark_length in range(MIN_FUZZY_LEN, longest_mark + 1):
        needs: set[tuple[int, _Spec]] = set()
        probes: set[_Spec] = set()
        exhaustive: list[int] = []
        partners: list[int] = []
        for key_length in sorted(key_counts):
            delta = mark_length - key_length
            most = _max_indel(threshold, mark_length + key_length)
            if most < abs(delta):
                continue
            partners.append(key_length)
            for distance in range(abs(delta), most + 1, 2):
                x, y = (distance + delta) // 2, (distance - delta) // 2
                if x <= _whole_depth(mark_length) and y <= _whole_depth(key_length):
                    tag = (WHOLE, key_length, y)
                    needs.add((key_length, _Spec(tag, 0, key_length, y)))
                    probes.add(_Spec(tag, 0, mark_length, x))
                elif distance // 2 > MAX_HALF_DEPTH:
                    if key_length not in exhaustive:
                        exhaustive.append(key_length)
                else:
                    for key_spec, mark_spec in _half_specs(mark_length, key_length, x, y, distance // 2):
                        needs.add((key_length, key_spec))
                        probes.add(mark_spec)
        if not partners:
            continue
        plan.partners[mark_length] = partners
        pairs = sum(key_counts[length] for length in partners)
        if pairs < EXHAUSTIVE_FACTOR * _variant_count(probes):
            plan.exhaustive[mark_length] = partners  # a few long keys: score them all
            continue
        plan.probes[mark_length] = probes
        if exhaustive:
            plan.exhaustive[mark_length] = exhaustive
        for key_length, spec in needs:
            plan.entries[key_length].add(spec)
    return plan


def _weight_matrix(ranks: np.ndarray, length: int, depth: int) -> np.ndarray:
    """(length x variants) matrix: a piece's codes times it are the hashes of its variants
    without ``depth`` characters, one column per choice of the deleted positions; the
    character kept at rank r weighs ``ranks[r]``."""
    deletions = list(itertools.combinations(range(length), depth))
    weights = np.zeros((length, len(deletions)), dtype=np.float64)
    for column, deleted in enumerate(deletions):
        kept = [position for position in range(length) if position not in deleted]
        weights[kept, column] = ranks[: len(kept)]
    return weights


def _letter_counts(strings: Sequence[str], lengths: np.ndarray | None = None) -> np.ndarray:
    """(strings x 27) counts of the letters a..z and of every other character together, capped
    at 255.  One character inserted or deleted changes one count by one, so the L1 distance of
    two strings' counts is at most their indel distance, and stays so when counts are merged or
    capped: a cheap lower bound (comparison keys are lower-case letters but for a few)."""
    if lengths is None:
        lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    counts = np.empty((len(strings), 27), dtype=np.uint8)
    # In blocks, whose temporaries stay in cache (and out of fresh, page-faulting memory).
    for start in range(0, len(strings), _COUNT_BLOCK):
        block = strings[start : start + _COUNT_BLOCK]
        points = np.frombuffer("".join(block).encode("utf-32-le"), dtype="<u4")
        buckets = np.repeat(
            np.arange(0, len(block) * 27, 27, dtype=np.int64), lengths[start : start + len(block)]
        )
        buckets += _LETTER_BUCKET[np.minimum(points, 127)]
        block_counts = np.bincount(buckets, minlength=len(block) * 27).reshape(len(block), 27)
        np.minimum(block_counts, 255, out=block_counts)
        counts[start : start + len(block)] = block_counts
    return counts


_COUNT_BLOCK = 4096
_LETTER_BUCKET = np.full(128, 26, dtype=np.int64)  # by code point (127: any above)
_LETTER_BUCKET[ord("a") : ord("z") + 1] = np.arange(26)


def _expand(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The concatenation of ``range(start, start + count)`` for each pair, vectorised."""
    total = int(counts.sum())
    return np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(total)


class _Part(NamedTuple):
    """One partition of the index: views of its bitmap and slot offsets, and the shifts that
    read a hash's bit in the bitmap, its byte, and its slot."""

    bitmap: np.ndarray
    bit_shift: np.uint64
    byte_shift: np.uint64
    offsets: np.ndarray  # its slots' starts in the entries, then its end
    slot_shift: np.uint64


class _DeletionIndex:
    """Deletion-neighbourhood index over the fuzzy comparison keys (see the module docstring).

    A variant's hash is the dot product of its character codes with random integer weights by
    rank, mixed by an odd multiplier.  The products are float64 matrix products (BLAS, about
    ten times faster than numpy's integer ones) and exact: codes, weights and every partial
    sum are integers below 2**53, so the result does not depend on the order of the additions
    and equal variants always get equal hashes.

    Entries are kept apart per tag (the (x, y) a probe was made for, see ``_Spec``): the probes
    of one spec then read one partition's bitmap, slot table and entries, which stay in cache,
    instead of the whole index's (measured: random reads into the whole index's 16 MiB bitmap
    were the largest part of the look-ups' time).  Within a partition each entry is a variant's
    hash (high bits) packed with its key row (low bits), sorted; a bitmap of the hashes turns
    most probes away before the slot table is read.  Two different variants can share a hash:
    that only adds a candidate, which the scorer then rejects; it never loses one."""

    def __init__(self, keys: Sequence[str], masks: np.ndarray, threshold: float) -> None:
        self.keys = list(keys)
        self.masks = masks
        self.threshold = threshold
        self.lengths = np.fromiter((len(k) for k in self.keys), dtype=np.int64, count=len(self.keys))
        # Character codes by code point: 1.. for the alphabet of the keys, one more for any other
        # character (a set first: numpy's unique is slow on millions).
        points = sorted(map(ord, set("".join(self.keys))))
        self.alphabet = len(points)
        self.code_of = np.full((points[-1] if points else 0) + 2, len(points) + 1, dtype=np.float64)
        self.code_of[points] = np.arange(1, len(points) + 1)
        self.rows_by_length = {
            length: np.flatnonzero(self.lengths == length) for length in sorted(set(self.lengths.tolist()))
        }
        longest_key = max(self.rows_by_length, default=0)
        longest_mark = longest_key
        while longest_key and _max_indel(threshold, longest_mark + 1 + longest_key) >= (
            longest_mark + 1 - longest_key
        ):
            longest_mark += 1
        self.longest_mark = longest_mark
        self.plan = _plan(
            threshold, {length: rows.size for length, rows in self.rows_by_length.items()}, longest_mark
        )
        self.feasible = np.zeros((longest_mark + 1, longest_key + 1), dtype=bool)
        for mark_length, partners in self.plan.partners.items():
            self.feasible[mark_length, partners] = True
        self.row_bits = max(1, (len(self.keys) - 1).bit_length())
        self.counts = _letter_counts(self.keys)
        # The most characters a pair of each total length may differ by (an indel distance).
        self.max_indel = np.array(
            [_max_indel(threshold, total) for total in range(longest_mark + longest_key + 1)]
        )
        # Weights small enough that no hash of a piece (at most longest_mark codes of at most
        # the alphabet's size plus one) reaches 2**53: the float sums stay exact.
        longest = max(longest_mark, longest_key, 1)
        weight_bits = _EXACT_BITS - longest.bit_length() - (self.alphabet + 1).bit_length()
        if weight_bits < 16:
            raise ValueError("alphabet too large for exact hashing of the comparison keys")
        ranks = np.random.default_rng(_SEED).integers(1, 1 << weight_bits, size=longest)
        pieces = {(spec.length, spec.depth) for specs in self.plan.entries.values() for spec in specs}
        pieces |= {(spec.length, spec.depth) for specs in self.plan.probes.values() for spec in specs}
        self.weights = {piece: _weight_matrix(ranks.astype(np.float64), *piece) for piece in sorted(pieces)}
        self._build()
        self.last_probes = 0
        self.last_postings = 0
        self.last_pairs = 0

    def _hashes(self, codes: np.ndarray, spec: _Spec, cells: int | None = None) -> np.ndarray:
        """(strings x variants) hashes of one spec's variants for a float matrix of codes, in
        products of at most ``cells`` cells (strings x characters x variants) if given."""
        pieces = codes[:, spec.start : spec.start + spec.length]
        weights = self.weights[(spec.length, spec.depth)]
        sums = np.empty((len(codes), weights.shape[1]), dtype=np.float64)
        step = len(codes) if cells is None else max(1, cells // weights.size)
        for start in range(0, len(codes), max(step, 1)):
            np.matmul(pieces[start : start + step], weights, out=sums[start : start + step])
        hashes = sums.view(np.uint64)  # the bits of an exact integer float: equal sums, equal bits
        hashes *= _MIX  # spread over the top bits, which the bitmap and slots are read from
        return hashes

    def _build(self) -> None:
        sources: dict[tuple[int, int, int], list[tuple[int, _Spec]]] = defaultdict(list)
        for length, specs in self.plan.entries.items():
            for spec in specs:
                sources[spec.tag].append((length, spec))
        tags = sorted(sources)
        self.partition = {tag: number for number, tag in enumerate(tags)}
        counts = [
            sum(
                self.rows_by_length[length].size * math.comb(spec.length, spec.depth)
                for length, spec in sources[tag]
            )
            for tag in tags
        ]
        # Per partition: where its entries start; its bitmap of 8 to 16 bits per entry (a probe
        # of an absent variant passes one time in 8 to 16) and its slot table of one or two
        # entries per slot, both a power of two in size and read from a hash's top bits.
        starts = np.cumsum([0, *counts])
        bitmap_bits = [min(32, count.bit_length() + 3) for count in counts]
        slot_bits = [min(32, max(1, count.bit_length() - 1)) for count in counts]
        bitmap_starts = np.cumsum([0, *((1 << bits) // 8 for bits in bitmap_bits)]).tolist()
        slot_starts = np.cumsum([0, *(1 << bits for bits in slot_bits)]).tolist()
        total = int(starts[-1])
        self.entries = np.empty(total, dtype=np.uint64)
        self.bitmap = np.zeros(bitmap_starts[-1], dtype=np.uint8)
        # Slot offsets are int32 (entries stay far below 2**31); the last is the end of all.
        self.offsets = np.empty(slot_starts[-1] + 1, dtype=np.int32)
        self.offsets[-1] = total
        self.parts = [
            _Part(
                self.bitmap[bitmap_starts[n] : bitmap_starts[n + 1]],
                np.uint64(64 - bitmap_bits[n]),
                np.uint64(67 - bitmap_bits[n]),
                self.offsets[slot_starts[n] : slot_starts[n + 1] + 1],
                np.uint64(64 - slot_bits[n]),
            )
            for n in range(len(tags))
        ]
        shift = np.uint64(self.row_bits)
        codes_of = {
            length: self._codes([self.keys[i] for i in self.rows_by_length[length]], length)
            for length in self.plan.entries
        }
        for number, tag in enumerate(tags):
            start = int(starts[number])
            filled = start
            for length, spec in sources[tag]:
                hashes = self._hashes(codes_of[length], spec)
                hashes >>= shift
                hashes <<= shift
                hashes |= self.rows_by_length[length].astype(np.uint64)[:, None]
                self.entries[filled : filled + hashes.size] = hashes.reshape(-1)
                filled += hashes.size
            entries = self.entries[start:filled]
            entries.sort()
            part = self.parts[number]
            marks = entries >> part.bit_shift
            byte = (marks >> np.uint64(3)).view(np.int64)
            bit = np.left_shift(1, (marks & np.uint64(7)).astype(np.uint8)).astype(np.uint8)
            firsts = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
            part.bitmap[byte[firsts]] |= np.bitwise_or.reduceat(bit, firsts)
            # The slots' starts (the last one, the partition's end, is the next one's start).
            per_slot = np.bincount(
                (entries >> part.slot_shift).view(np.int64), minlength=part.offsets.size - 1
            )
            part.offsets[0] = start
            np.cumsum(per_slot[:-1], out=part.offsets[1:-1])
            part.offsets[1:-1] += start

    @property
    def memory_bytes(self) -> int:
        arrays = (self.entries, self.bitmap, self.offsets, self.lengths, self.code_of, *self.weights.values())
        return sum(array.nbytes for array in arrays)

    def _codes(self, strings: Sequence[str], length: int) -> np.ndarray:
        """Strings of one length as a float matrix of character codes (1..alphabet); a
        character no key holds gets a code of its own, so a variant keeping it meets nothing."""
        points = np.frombuffer("".join(strings).encode("utf-32-le"), dtype="<u4")
        codes = self.code_of[np.minimum(points, self.code_of.size - 1)]
        return codes.reshape(len(strings), length)

    def candidates(self, queries: Sequence[str], query_masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(query row, key row) pairs that may reach the threshold: sharing a variant, or of
        lengths scored exhaustively and passing; of feasible lengths and overlapping classes.
        Each pair once."""
        lengths = np.fromiter(map(len, queries), dtype=np.int64, count=len(queries))
        groups = [
            (length, rows)
            for length in range(MIN_FUZZY_LEN, self.longest_mark + 1)
            if (rows := np.flatnonzero(lengths == length)).size
        ]
        # The costliest groups first, so that the threads finish together.
        groups.sort(key=lambda group: -group[1].size * _variant_count(self.plan.probes.get(group[0], ())))

        def run(group: tuple[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray, int, int]:
            length, rows = group
            return self._group(length, rows, [queries[i] for i in rows], query_masks)

        # Mark lengths are independent, and numpy lets go of the GIL on big arrays: the
        # groups run on all cores, as the exhaustive scorer does.
        with ThreadPoolExecutor(max_workers=min(WORKERS, max(len(groups), 1))) as pool:
            found = list(pool.map(run, groups))
        self.last_probes = sum(f[2] for f in found)
        self.last_postings = sum(f[3] for f in found)
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        pairs = np.concatenate([q * len(self.keys) + k for q, k, _, _ in found])
        pairs.sort()
        if pairs.size:
            pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
        q, k = pairs // len(self.keys), pairs % len(self.keys)
        self.last_pairs = int(q.size)
        # Letter counts differing by more characters than the pair may: most pairs found through
        # halves only (nine in ten), which scoring would reject at a larger cost.  In blocks, as
        # each pair has 27 counts a side.
        counts = _letter_counts(queries, lengths)
        keep = np.empty(q.size, dtype=bool)
        for start in range(0, q.size, _COUNT_BLOCK):
            block_q, block_k = q[start : start + _COUNT_BLOCK], k[start : start + _COUNT_BLOCK]
            differ = counts[block_q].astype(np.int16)
            differ -= self.counts[block_k]
            np.abs(differ, out=differ)
            limit = self.max_indel[lengths[block_q] + self.lengths[block_k]]
            np.less_equal(differ.sum(axis=1), limit, out=keep[start : start + block_q.size])
        return q[keep], k[keep]

    def _group(
        self, length: int, rows: np.ndarray, strings: list[str], query_masks: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, int, int]:
        """Candidates of the marks of one length: (query rows, key rows, probes, postings)."""
        found_q: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        found_k: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        probes = postings = 0
        exhaustive = self.plan.exhaustive.get(length)
        if exhaustive:
            key_rows = np.concatenate([self.rows_by_length[n] for n in exhaustive])
            q, k = self._score_all(strings, rows, key_rows)
            shared = (query_masks[q] & self.masks[k]) != 0
            found_q.append(q[shared])
            found_k.append(k[shared])
        codes = self._codes(strings, length) if length in self.plan.probes else None
        for spec in self.plan.probes.get(length, ()):
            variants = math.comb(spec.length, spec.depth)
            # Blocks of strings whose probes and their temporaries stay in the core's cache.
            step = max(1, LOOKUP_PROBES // variants)
            for start in range(0, rows.size, step):
                hashes = self._hashes(codes[start : start + step], spec, PRODUCT_CELLS).reshape(-1)
                positions, k = self._look_up(hashes, self.parts[self.partition[spec.tag]])
                probes += hashes.size
                postings += positions.size
                q = rows[start + positions // variants]
                # Classes first, on the block at hand: four postings in five share none.
                shared = (query_masks[q] & self.masks[k]) != 0
                found_q.append(q[shared])
                found_k.append(k[shared])
        q, k = np.concatenate(found_q), np.concatenate(found_k)
        keep = self.feasible[length, self.lengths[k]]
        return q[keep], k[keep], probes, postings

    def _look_up(self, hashes: np.ndarray, part: _Part) -> tuple[np.ndarray, np.ndarray]:
        """(probe position, key row) of every entry of the partition whose hash equals a probe's.
        (Shifted hashes are below 2**63: viewed as int64 indices, which numpy gathers faster.)"""
        marks = (hashes >> part.bit_shift).astype(np.uint8) & np.uint8(7)
        present = part.bitmap[(hashes >> part.byte_shift).view(np.int64)] >> marks
        present &= np.uint8(1)
        passed = np.flatnonzero(present.view(bool))
        hashes = hashes[passed]
        slots = (hashes >> part.slot_shift).view(np.int64)
        lower = part.offsets[slots].astype(np.int64)
        counts = part.offsets[slots + 1] - lower
        # An entry is the probe's hash with its low bits replaced by a key row: subtracting the
        # probe's hash with those bits cleared leaves the row, or a larger number (wrapping
        # around below zero) for any other hash.
        hashes &= np.uint64(~((1 << self.row_bits) - 1) & (2**64 - 1))
        rows = self.entries[_expand(lower, counts)]
        rows -= np.repeat(hashes, counts)
        same = rows < np.uint64(1 << self.row_bits)
        return np.repeat(passed, counts)[same], rows[same].view(np.int64)

    def _score_all(
        self, strings: list[str], rows: np.ndarray, key_rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exhaustive scoring of some marks against some keys (few and long, see _plan)."""
        choices = _pick(self.keys, key_rows)
        found_q: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        found_k: list[np.ndarray] = [np.zeros(0, dtype=np.int64)]
        step = max(1, EXHAUSTIVE_CHUNK // max(len(choices), 1))
        for start in range(0, len(strings), step):
            scores = process.cdist(
                strings[start : start + step],
                choices,
                scorer=fuzz.ratio,
                score_cutoff=self.threshold * 100.0 - 1e-9,
                workers=-1,
            )
            q, k = np.nonzero(scores)
            found_q.append(rows[start + q])
            found_k.append(key_rows[k])
        return np.concatenate(found_q), np.concatenate(found_k)


# ---------------------------------------------------------------------------------------------
# The screen


@dataclass
class _Table:
    """Comparison keys → the brand variants written so, as flat arrays: a registry of 100,000
    brands has half a million variants, and as many Python objects would slow down every
    garbage collection of the process that holds the screen."""

    rows: dict[str, int]  # key -> row
    offsets: np.ndarray  # variants of row r: ids[offsets[r]:offsets[r + 1]]
    ids: np.ndarray

    @classmethod
    def of(cls, rows: dict[str, int], links: list[int]) -> _Table:
        pairs = np.array(links, dtype=np.int64).reshape(-1, 2)
        order = np.argsort(pairs[:, 0], kind="stable")
        ids = pairs[order, 1].astype(np.int32)
        offsets = np.searchsorted(pairs[order, 0], np.arange(len(rows) + 1))
        return cls(rows, offsets, ids)


@contextmanager
def _bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while a build or a screening allocates its hundreds
    of thousands of small objects: they all survive until the end, and every collection the
    allocations trigger would rescan the whole heap (the registry, the batch) for nothing
    (measured: a second or more per full collection).  Reference counting still frees as usual;
    the collector's previous state is restored."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class TrademarkScreen:
    """Built once from the registry (``build``), then run on every batch of filings."""

    records: list[EnterpriseRecord]
    threshold: float
    # Per brand (registry order): its enterprise, text, class bits with coordinated classes.
    brand_enterprise: np.ndarray  # int64
    brand_text: list[str]
    brand_masks: np.ndarray  # uint64 class bits (every bit for a brand of any class)
    brand_classes: list[tuple[int, ...]]  # empty = any class
    # Per variant: its text, kind, brand.
    variant_text: list[str]
    variant_kind: list[str]
    variant_brands: np.ndarray
    fuzzy: _Table  # keys long enough to fuzz, in the index's row order
    exact: _Table  # keys matched only exactly
    exact_twin: np.ndarray  # per fuzzy key: the exact-only row of the same key, or -1
    index: _DeletionIndex
    skip_stages: frozenset[str] = DEFAULT_SKIP_STAGES
    stats: dict[str, int] = field(default_factory=dict)
    _own: dict[int, _OwnNames] = field(default_factory=dict, repr=False)
    _own_keys: set[str] = field(default_factory=set, repr=False)  # every name of those in _own
    _name_keys: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)  # filer -> keys

    @classmethod
    def build(
        cls,
        records: Sequence[EnterpriseRecord],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        coordinated_classes: dict[int, set[int]] | None = None,
        skip_stages: Iterable[str] = DEFAULT_SKIP_STAGES,
    ) -> TrademarkScreen:
        """Index every brand of ``records``.  ``coordinated_classes`` widens a brand's classes
        (e.g. ``{9: {42}}``: a class-9 brand is also screened against class-42 filings)."""
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold is a similarity between 0 and 1")
        with _bulk_allocation():
            return cls._build(records, threshold, coordinated_classes or {}, frozenset(skip_stages))

    @classmethod
    def _build(
        cls,
        records: Sequence[EnterpriseRecord],
        threshold: float,
        coordinated: dict[int, set[int]],
        skip_stages: frozenset[str],
    ) -> TrademarkScreen:
        brand_enterprise: list[int] = []
        brand_text: list[str] = []
        brand_mask: list[int] = []
        brand_classes: list[tuple[int, ...]] = []
        variant_text: list[str] = []
        variant_kind: list[str] = []
        variant_brand: list[int] = []
        fuzzy_rows: dict[str, int] = {}
        exact_rows: dict[str, int] = {}
        fuzzy_links: list[int] = []  # row, variant id, row, variant id, ...
        exact_links: list[int] = []
        derived = iter(variants_of_brands([brand for record in records for brand in record.brands]))
        for enterprise_index, record in enumerate(records):
            for brand in record.brands:
                classes = set(brand.classes)
                for nice_class in brand.classes:
                    classes |= coordinated.get(nice_class, set())
                brand_index = len(brand_text)
                brand_enterprise.append(enterprise_index)
                brand_text.append(brand.text)
                brand_mask.append(int(class_mask(classes)))
                brand_classes.append(tuple(sorted(c for c in classes if 1 <= c <= 63)))
                for variant in next(derived):
                    variant_id = len(variant_text)
                    variant_text.append(variant.text)
                    variant_kind.append(variant.kind)
                    variant_brand.append(brand_index)
                    if len(variant.key) >= MIN_FUZZY_LEN and variant.kind not in EXACT_ONLY_KINDS:
                        fuzzy_links += (fuzzy_rows.setdefault(variant.key, len(fuzzy_rows)), variant_id)
                    else:
                        exact_links += (exact_rows.setdefault(variant.key, len(exact_rows)), variant_id)
        fuzzy = _Table.of(fuzzy_rows, fuzzy_links)
        brand_masks = np.array(brand_mask, dtype=np.uint64)
        variant_brands = np.array(variant_brand, dtype=np.int64)
        masks = brand_masks[variant_brands[fuzzy.ids]]
        key_masks = (
            np.bitwise_or.reduceat(masks, fuzzy.offsets[:-1]) if masks.size else np.zeros(0, np.uint64)
        )
        index = _DeletionIndex(list(fuzzy_rows), key_masks, threshold)
        return cls(
            records=list(records),
            threshold=threshold,
            brand_enterprise=np.array(brand_enterprise, dtype=np.int64),
            brand_text=brand_text,
            brand_masks=brand_masks,
            brand_classes=brand_classes,
            variant_text=variant_text,
            variant_kind=variant_kind,
            variant_brands=variant_brands,
            fuzzy=fuzzy,
            exact=_Table.of(exact_rows, exact_links),
            exact_twin=np.array([exact_rows.get(key, -1) for key in fuzzy_rows], dtype=np.int64),
            index=index,
            skip_stages=skip_stages,
            stats={
                "brands": len(brand_text),
                "variants": len(variant_text),
                "fuzzy_keys": len(fuzzy_rows),
                "exact_keys": len(exact_rows),
                "index_entries": int(index.entries.size),
                "index_bytes": index.memory_bytes,
            },
        )

    # -- queries ------------------------------------------------------------------------------

    def queries(self, documents: Sequence[Document]) -> _Queries:
        """What is screened of each document: every mark text whole, and its word sequences;
        each distinct key once per document."""
        return self._read(documents)[0]

    def _read(
        self, documents: Iterable[Document], live_only: bool = False
    ) -> tuple[_Queries, list[Document], np.ndarray]:
        """What is screened of the documents (only the trademark filings of a live stage if
        ``live_only``), the documents, and their class masks.  One pass over the documents: a
        day's forty thousand are scattered in memory, and each pass costs as many cache misses."""
        owners: list[int] = []
        fields: list[str] = []
        texts: list[str] = []
        docs: list[Document] = []
        classes: list[list[int]] = []
        trademark, skip = RiskKind.TRADEMARK, self.skip_stages
        for document in documents:
            if live_only and (document.kind != trademark or document.stage in skip):
                continue
            index = len(docs)
            docs.append(document)
            classes.append(document.classes)
            for field_name, text in mark_texts(document):
                owners.append(index)
                fields.append(field_name)
                texts.append(text)
        return self._queries(owners, fields, texts), docs, _class_masks(classes)

    def _queries(self, owners: list[int], fields: list[str], texts: list[str]) -> _Queries:
        """The rows of the texts (of the document ``owners``): each text whole, then its word
        sequences; each distinct key once per document."""
        written = _Queries()
        for index, field_name, text, normalised in zip(
            owners, fields, texts, normalise_texts(texts), strict=True
        ):
            written.documents.append(index)
            written.fields.append(field_name)
            written.texts.append(text)
            written.whole.append(True)
            if " " not in normalised:
                continue  # one word (most marks): no word sequences
            words = normalised.split()
            words_field = f"{field_name} words"
            for size in range(1, min(MAX_WORDS_IN_PART, len(words) - 1) + 1):
                for start in range(len(words) - size + 1):
                    written.documents.append(index)
                    written.fields.append(words_field)
                    written.texts.append(" ".join(words[start : start + size]))
                    written.whole.append(False)
        queries = _Queries()
        seen: set[str] = set()
        last = -1
        for document, field_name, text, key, whole in zip(
            written.documents, written.fields, written.texts, comparison_keys(written.texts), written.whole,
            strict=True,
        ):  # fmt: skip
            if document != last:
                seen, last = set(), document
            if len(key) >= 2 and key not in seen:
                seen.add(key)
                queries.documents.append(document)
                queries.fields.append(field_name)
                queries.texts.append(text)
                queries.keys.append(key)
                queries.whole.append(whole)
        return queries

    # -- screening ----------------------------------------------------------------------------

    def screen(self, documents: Iterable[Document]) -> list[SquatCandidate]:
        """Candidates for every trademark document of the batch, best first per document."""
        with _bulk_allocation():
            queries, docs, masks = self._read(documents, live_only=True)
            if not docs:
                return []
            hits = self._fuzzy_hits(queries, masks) + self._exact_hits(queries)
            candidates = self._candidates(docs, masks, queries, hits)
            # Freed before the collector resumes, which would otherwise go through them once.
            del queries, hits
        return candidates

    def fuzzy_pairs(self, documents: Sequence[Document]) -> set[tuple[int, str, str]]:
        """(document index, query key, brand key) of every fuzzy hit before class and owner
        checks on brands: what the benchmark compares with exhaustive scoring."""
        docs = list(documents)
        queries = self.queries(docs)
        hits = self._fuzzy_hits(queries, self._document_masks(docs))
        return {
            (queries.documents[row], queries.keys[row], self.index.keys[key])
            for row, key in zip(hits.rows.tolist(), hits.fuzzy.tolist(), strict=True)
        }

    @staticmethod
    def _document_masks(documents: Sequence[Document]) -> np.ndarray:
        return _class_masks([document.classes for document in documents])

    def _fuzzy_hits(self, queries: _Queries, doc_masks: np.ndarray) -> _Hits:
        """Scored pairs of query rows and fuzzy keys of a class the query's filing lists.  Each
        distinct key is looked up and scored once for the batch (generic words such as PHONE
        recur in hundreds of marks), with the classes of all filings that hold it."""
        distinct = dict(zip(dict.fromkeys(queries.keys), itertools.count()))
        slot = np.fromiter(map(distinct.__getitem__, queries.keys), dtype=np.int64, count=len(queries))
        row_masks = doc_masks[np.asarray(queries.documents, dtype=np.int64)]
        key_masks = np.zeros(len(distinct), dtype=np.uint64)
        np.bitwise_or.at(key_masks, slot, row_masks)
        keys = list(distinct)
        found, key_rows = self.index.candidates(keys, key_masks)
        self.stats["queries"] = len(queries)
        lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        self.stats["fuzzy_queries"] = int((lengths[slot] >= MIN_FUZZY_LEN).sum())
        self.stats["distinct_keys"] = len(keys)
        self.stats["probes"] = self.index.last_probes
        self.stats["postings"] = self.index.last_postings
        self.stats["index_pairs"] = self.index.last_pairs
        self.stats["candidate_pairs"] = int(found.size)
        empty = _Hits.of([], [], [], [], [])
        if found.size == 0:
            return empty
        scores = process.cpdist(
            _pick(keys, found),
            _pick(self.index.keys, key_rows),
            scorer=fuzz.ratio,
            score_cutoff=self.threshold * 100.0 - 1e-9,
            workers=-1,
        )
        passed = np.flatnonzero(scores > 0)
        found, key_rows, scores = found[passed], key_rows[passed], scores[passed]
        # Back to the query rows holding each key, each gated by its own filing's classes.
        order = np.argsort(slot, kind="stable")
        starts = np.searchsorted(slot[order], np.arange(len(keys) + 1))
        counts = starts[found + 1] - starts[found]
        rows = order[_expand(starts[found], counts)]
        key_rows = np.repeat(key_rows, counts)
        keep = (row_masks[rows] & self.index.masks[key_rows]) != 0
        rows, key_rows = rows[keep], key_rows[keep]
        similarity = np.repeat(scores, counts)[keep] / 100.0
        # An identical key may also be an exact-only variant (initials) of some brand.
        exact = np.where(similarity == 1.0, self.exact_twin[key_rows], -1)
        return _Hits(rows, key_rows, exact, similarity, np.full(rows.size, RATIO, dtype=np.int8))

    def _exact_hits(self, queries: _Queries) -> _Hits:
        """Whole texts identical to an exact-only key, then Chinese brands written inside
        Chinese marks, each in row order (the order breaks ties between equal scores)."""
        exact, fuzzy = self.exact.rows, self.fuzzy.rows
        whole = list(itertools.compress(range(len(queries)), queries.whole))
        keys = _gather(queries.keys, whole)
        # Iterations in C where they can be: most keys are neither exact-only nor Chinese.
        identical = [(row, exact[key]) for row, key in zip(whole, keys, strict=True) if key in exact]
        rows = [row for row, _ in identical]
        fuzzy_rows = [-1] * len(identical)
        exact_rows = [key_row for _, key_row in identical]
        found_by = [IDENTICAL] * len(identical)
        for row in itertools.compress(whole, map(operator.not_, map(str.isascii, keys))):
            key = queries.keys[row]
            # Chinese marks carry no spaces: look for Chinese brands written inside them.
            for run in _CJK_RUN_RE.findall(key):
                for size in range(2, min(len(run), len(key) - 1) + 1):
                    for start in range(len(run) - size + 1):
                        part = run[start : start + size]
                        if part in exact or part in fuzzy:
                            rows.append(row)
                            fuzzy_rows.append(fuzzy.get(part, -1))
                            exact_rows.append(exact.get(part, -1))
                            found_by.append(CONTAINS)
        return _Hits.of(rows, fuzzy_rows, exact_rows, [1.0] * len(rows), found_by)

    def _candidates(
        self, docs: Sequence[Document], doc_masks: np.ndarray, queries: _Queries, hits: _Hits
    ) -> list[SquatCandidate]:
        """The best hit per (document, brand), of a brand in a class the filing lists, and not
        the enterprise's own filing; made into candidates, best first per document."""
        parts = [_variants_of(self.fuzzy, hits.fuzzy), _variants_of(self.exact, hits.exact)]
        hit = np.concatenate([p[0] for p in parts])
        variant = np.concatenate([p[1] for p in parts])
        brand = self.variant_brands[variant]
        document = np.asarray(queries.documents, dtype=np.int64)[hits.rows[hit]]
        keep = (self.brand_masks[brand] & doc_masks[document]) != 0
        hit, variant, brand, document = hit[keep], variant[keep], brand[keep], document[keep]
        whole = np.asarray(queries.whole, dtype=bool)[hits.rows[hit]]
        score = np.where(
            hits.found_by[hit] == CONTAINS,
            PART_OF_MARK_FACTOR,
            hits.similarity[hit] * np.where(whole, 1.0, PART_OF_MARK_FACTOR),
        )
        # Best first per (document, brand), then documents in order and each one's best first.
        order = np.lexsort((-score, brand, document))
        pair = document[order] * len(self.brand_text) + brand[order]
        best = order[np.concatenate(([True], pair[1:] != pair[:-1]))] if pair.size else order
        best = best[np.lexsort((brand[best], -score[best], document[best]))]
        hit, brand, document = hit[best], brand[best], document[best]
        # Classes both list, as bits: none when either lists any class (the brand none, or the
        # filing none of 1..63, whose mask is then every bit).
        brand_bits, doc_bits = self.brand_masks[brand], doc_masks[document]
        shared = np.where(
            (brand_bits == _ANY_CLASS) | (doc_bits == _ANY_CLASS), np.uint64(0), brand_bits & doc_bits
        )
        if len(self._name_keys) > MAX_REMEMBERED_FILERS:
            self._name_keys.clear()
        # What the candidates of a filing, of an enterprise share is made once, the owner check
        # done, and the candidates made from columns (gathered in C) zipped into tuples: a
        # screening day makes tens of thousands of candidates.
        documents, document_at = np.unique(document, return_inverse=True)
        windows: dict[tuple[str, date | None], OppositionWindow | None] = {}
        filings = [_Filing(docs[d], self._name_keys, windows) for d in documents.tolist()]
        enterprise = self.brand_enterprise[brand]
        for e in np.unique(enterprise).tolist():
            self.own_names(e)
        # Only a filer going by some enterprise's name can be an owner: the rest, nearly all, are
        # told apart by one set test per filing.
        own_keys = self._own_keys
        suspect = np.array([not own_keys.isdisjoint(f.name_keys) for f in filings], dtype=bool)
        mine = np.zeros(hit.size, dtype=bool)
        for at in np.flatnonzero(suspect[document_at]).tolist():
            mine[at] = filings[document_at[at]].is_own(self._own[int(enterprise[at])])
        if mine.any():  # the enterprise's own filing (or a listed subsidiary's)
            theirs = ~mine
            hit, brand, best, document_at, enterprise, shared = (
                column[theirs] for column in (hit, brand, best, document_at, enterprise, shared)
            )
        if not hit.size:
            return []
        enterprises, enterprise_at = np.unique(enterprise, return_inverse=True)
        records = [self.records[e] for e in enterprises.tolist()]
        filing_rows, enterprise_rows = document_at.tolist(), enterprise_at.tolist()
        rows, brands, variants = hits.rows[hit].tolist(), brand.tolist(), variant[best].tolist()
        columns: dict[str, Sequence[object]] = {
            name: _gather(column, filing_rows)
            for name, column in zip(
                _Filing.FIELDS, zip(*(f.fields for f in filings), strict=True), strict=True
            )
        }
        columns |= {
            "matched_field": _gather(queries.fields, rows),
            "matched_text": _gather(queries.texts, rows),
            "enterprise_index": _gather(enterprises.tolist(), enterprise_rows),
            "enterprise_id": _gather([r.id for r in records], enterprise_rows),
            "enterprise_external_id": _gather([r.external_id for r in records], enterprise_rows),
            "enterprise_name": _gather([r.display_name for r in records], enterprise_rows),
            "brand": _gather(self.brand_text, brands),
            "variant": _gather(self.variant_text, variants),
            "variant_kind": _gather(self.variant_kind, variants),
            "found_by": _gather(FOUND_BY, hits.found_by[hit].tolist()),
            "similarity": _rounded(hits.similarity[hit]),
            "score": _rounded(score[best]),
            "overlapping_classes": _class_lists(shared),
            "brand_classes": _gather(self.brand_classes, brands),
        }
        make = functools.partial(tuple.__new__, SquatCandidate)
        return list(map(make, zip(*(columns[name] for name in SquatCandidate._fields), strict=True)))

    def own_names(self, enterprise_index: int) -> _OwnNames:
        """The enterprise's name keys, derived on first use: only enterprises with a candidate
        ever need them, and the pinyin bridge is the costly part of a registry's variants."""
        names = self._own.get(enterprise_index)
        if names is None:
            names = self._own[enterprise_index] = own_names(self.records[enterprise_index])
            self._own_keys.update(names.strong, names.weak)
        return names


def _variants_of(table: _Table, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hit position, variant id) of every variant of the table rows hits met (rows >= 0)."""
    hit = np.flatnonzero(rows >= 0)
    lower = table.offsets[rows[hit]]
    counts = table.offsets[rows[hit] + 1] - lower
    return np.repeat(hit, counts), table.ids[_expand(lower, counts)].astype(np.int64)


def _gather(items: Sequence[_T], indices: list[int]) -> Sequence[_T]:
    """``[items[i] for i in indices]``, gathered in C (operator.itemgetter: several times
    faster than a comprehension)."""
    if len(indices) <= 1:
        return [items[i] for i in indices]
    return operator.itemgetter(*indices)(items)  # type: ignore[no-any-return]


def _rounded(values: np.ndarray) -> Sequence[float]:
    """Python's ``round(value, 4)`` of each value (numpy rounds some halves otherwise), worked
    out once per distinct value: similarities are ratios of small numbers, with few values."""
    distinct, at = np.unique(values, return_inverse=True)
    return _gather([round(value, 4) for value in distinct.tolist()], at.tolist())


def _class_lists(bits: np.ndarray) -> Sequence[tuple[int, ...]]:
    """The classes of each class bitmask, in order, worked out once per distinct mask."""
    distinct, at = np.unique(bits, return_inverse=True)
    lists = [tuple(c for c in range(1, 64) if mask >> c & 1) for mask in distinct.tolist()]
    return _gather(lists, at.tolist())


def _pick(items: Sequence[_T], rows: np.ndarray) -> Sequence[_T]:
    return _gather(items, rows.tolist())


def _plain_key(text: str) -> str:
    return normalise_text(text).replace(" ", "")


def applicants(document: Document) -> list[Party]:
    return [p for p in document.parties if p.role == Role.APPLICANT]


def mark_texts(document: Document) -> list[tuple[str, str]]:
    """(field, text) pairs a filing is screened by: its mark, pseudo-marks, and the terms of its
    translation and transliteration statements."""
    texts: list[tuple[str, str]] = []
    get = document.extra.get  # once: a day's screening reads forty thousand filings
    mark = get("mark_text")
    if mark is None and not document.title.startswith("("):
        mark = document.title  # parsers other than USPTO's put the mark in the title
    if mark:
        texts.append(("mark", mark))
    for pseudo in get("pseudo_mark") or ():
        texts.append(("pseudo_mark", pseudo))
    for field_name in ("transliteration", "translation"):
        for statement in get(field_name) or ():
            texts.extend((field_name, term) for term in statement_terms(statement))
    return texts


def tag_trademark_matches(document: Document, candidates: Iterable[SquatCandidate]) -> Document:
    """The document with one ``similar_mark`` Match per enterprise whose brand it resembles.

    The Match's role is ``Role.OTHER``: the enterprise is no party to the filing (its applicant
    is the adverse third party); the kind ``similar_mark`` is what makes the match adverse, and
    the severity is the trademark stage's adverse severity.  Earlier ``similar_mark`` matches
    of the same enterprises are replaced, so re-screening a record does not duplicate them."""
    mine = [c for c in candidates if c.document_id == document.id]
    if not mine:
        return document
    per_enterprise: dict[int, list[SquatCandidate]] = defaultdict(list)
    for candidate in mine:
        if candidate.enterprise_id is None:
            raise ValueError(f"enterprise {candidate.enterprise_external_id!r} has no registry id yet")
        per_enterprise[candidate.enterprise_id].append(candidate)
    matches = [
        m for m in document.matches if not (m.kind == "similar_mark" and m.enterprise_id in per_enterprise)
    ]
    for enterprise_id, found in per_enterprise.items():
        found.sort(key=lambda c: -c.score)
        top = found[0]
        evidence = "; ".join(top.reasons)
        if len(found) > 1:
            evidence += "; also brands: " + ", ".join(dict.fromkeys(c.brand for c in found[1:]))
        matches.append(
            Match(
                enterprise_id=enterprise_id,
                enterprise_name=top.enterprise_name,
                kind="similar_mark",
                role=Role.OTHER,
                score=top.score,
                confidence="high" if top.score >= 0.95 else "low",
                evidence=evidence,
                variant=top.variant,
            )
        )
    severity = adverse_severity(RiskKind.TRADEMARK, document.stage)
    if document.severity.rank > severity.rank:
        severity = Severity(document.severity)
    extra = dict(document.extra)
    extra["squat_candidates"] = [
        {
            "enterprise_id": c.enterprise_id,
            "brand": c.brand,
            "variant": c.variant,
            "variant_kind": c.variant_kind,
            "measure": c.measure,
            "similarity": c.similarity,
            "score": c.score,
            "classes": list(c.overlapping_classes),
            "opposition": c.opposition.as_dict() if c.opposition else None,
        }
        for c in mine
    ]
    return document.model_copy(update={"matches": matches, "severity": severity, "extra": extra})


def opposition_deadline(candidate: SquatCandidate) -> date | None:
    return candidate.opposition.deadline if candidate.opposition else None
