"""Exact lookup of normalised keys → enterprises, and the prefix test the text scan needs.

One dict from key to owner (an enterprise's position in the registry list, or a tuple of them
when namesakes share a key) holds everything; a sorted list of the Latin keys answers "does any
key start with this?" by bisection, which is what a trie would answer, in a fraction of the
memory (spaCy's PhraseMatcher took 535 MB for 500,000 patterns here; see matcher.py).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from ipsentry.tagging.pinyin_bridge import has_han


class NameIndex:
    def __init__(self) -> None:
        self._owners: dict[str, int | tuple[int, ...]] = {}
        self._starts: set[str] = set()  # first words of Latin variants: where a text match can begin
        self._sorted: list[str] = []
        self._han_lengths: set[int] = set()
        self._han_keys = 0
        self._frozen = False

    def add(self, key: str, owner: int, starts: Iterable[str] = (), *, han: bool = False) -> bool:
        """Index ``key`` for ``owner``; True when the key is new to the index.  ``starts`` are
        the words a text match of it can begin with ("shenzhen", and "shen" for spaced pinyin);
        ``han``: the key is in Chinese characters (scanned character by character instead)."""
        if self._frozen:
            raise RuntimeError("the index is frozen")
        self._starts.update(starts)
        known = self._owners.get(key)
        if known is None:
            self._owners[key] = owner
            if han:
                self._han_lengths.add(len(key))
                self._han_keys += 1
            return True
        if isinstance(known, int):
            if known != owner:
                self._owners[key] = (known, owner)
        elif owner not in known:
            self._owners[key] = (*known, owner)
        return False

    def freeze(self) -> None:
        keys = self._owners if not self._han_keys else (key for key in self._owners if not has_han(key))
        self._sorted = sorted(keys)
        self._frozen = True

    def owners(self, key: str) -> tuple[int, ...]:
        found = self._owners.get(key)
        if found is None:
            return ()
        return (found,) if isinstance(found, int) else found

    def __contains__(self, key: str) -> bool:
        return key in self._owners

    def __len__(self) -> int:
        return len(self._owners)

    def is_start(self, word: str) -> bool:
        return word in self._starts

    def has_prefix(self, prefix: str) -> bool:
        """Is ``prefix`` the beginning of some Latin key (or a key itself)?"""
        keys = self._sorted
        position = bisect_left(keys, prefix)
        return position < len(keys) and keys[position].startswith(prefix)

    @property
    def han_lengths(self) -> list[int]:
        """Lengths of the keys in Chinese characters, longest first (for scanning Chinese text)."""
        return sorted(self._han_lengths, reverse=True)
