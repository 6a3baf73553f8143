"""Every name variant of a registered enterprise, computed once when the matcher is built.

Sources, in order (earlier ones win when two give the same key): the Chinese name (with its
pinyin-bridge forms), English names, former names, abbreviations, subsidiaries.  A Chinese name
in any list is bridged too.  For a name written in Latin letters:

* as written (normalised: ``Innoscience (Suzhou) Technology Co., Ltd.`` → innoscience suzhou
  technology);
* a leading place moved after the first word (``Shenzhen Lishian Technology`` → lishian shenzhen
  technology) or dropped (*weak*: lishian technology);
* a place inside the name moved to the front (``Innoscience (Suzhou) Technology`` → suzhou
  innoscience technology); such a place is never dropped.

Variants made only of generic words (places, industries, legal forms) are not produced: they
identify nobody.  At most ``MAX_VARIANTS`` per enterprise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ipsentry.core.registry import EnterpriseRecord
from ipsentry.tagging.lexicon import merge_generic, place_words
from ipsentry.tagging.normalize import normalize_name, split_aliases
from ipsentry.tagging.pinyin_bridge import (
    bridge_forms,
    has_han,
    parse_chinese_name,
    romanise,
    strip_place_suffix,
)

MAX_VARIANTS = 80


@dataclass(frozen=True, slots=True)
class Variant:
    surface: str  # the name as a source would write it (what a match reports as ``variant``)
    tokens: tuple[str, ...]  # normalised core
    legal: str | None  # canonical legal form of the surface, if any
    source: str  # registry field and form: "name_zh/translated", "names_en", "former_names"…
    distinctive: tuple[str, ...]  # the words that identify (never empty: see name_variants)
    han: bool = False  # written in Chinese characters
    weak: bool = False  # a place was dropped: namesakes elsewhere share it
    starts: tuple[str, ...] = ()  # words a text mention can begin with besides tokens[0]

    @property
    def key(self) -> str:
        return "".join(self.tokens)


def _latin_variants(name: str, field: str) -> Iterable[Variant]:
    normalized = normalize_name(name)
    pieces = merge_generic(normalized.tokens)
    distinctive = tuple(word for word, is_generic in pieces if not is_generic)
    if not distinctive:
        return  # empty, or generic words only: "Suzhou Technology Co., Ltd."
    tokens, legal = normalized.tokens, normalized.legal
    yield Variant(name, tokens, legal, field, distinctive)
    words = [word for word, _ in pieces]
    places = place_words()
    leading = 0
    while leading < len(words) - 1 and words[leading] in places:
        leading += 1
    if leading:
        rest = words[leading:]
        if rest[0] in places or all(word not in distinctive for word in rest):
            return
        moved = (rest[0], words[leading - 1], *rest[1:])
        yield Variant(" ".join(moved), moved, legal, f"{field}/moved", distinctive)
        yield Variant(" ".join(rest), tuple(rest), legal, f"{field}/no_place", distinctive, weak=True)
        return
    inner = next((i for i, word in enumerate(words) if i > 0 and word in places), None)
    if inner is not None:
        front = (words[inner], *words[:inner], *words[inner + 1 :])
        yield Variant(" ".join(front), front, legal, f"{field}/moved", distinctive)


def _chinese_variants(name: str, field: str, surfaces: bool) -> Iterable[Variant]:
    for form in bridge_forms(name, surfaces=surfaces):
        source = f"{field}/{form.form}"
        yield Variant(
            form.surface, form.tokens, form.legal, source, form.distinctive, form.han, form.weak, form.starts
        )


def name_variants(name: str, field: str, *, surfaces: bool = True) -> list[Variant]:
    """The variants of one registry name (aliases written into it are split out first).
    Names made only of generic words give none.  Without ``surfaces``, forms derived from a
    Chinese name have an empty ``surface`` (see ``bridge_forms``)."""
    out: list[Variant] = []
    for part in split_aliases(name):
        if has_han(part):
            out.extend(_chinese_variants(part, field, surfaces))
        else:
            out.extend(_latin_variants(part, field))
    return out


def enterprise_variants(record: EnterpriseRecord, *, surfaces: bool = True) -> list[Variant]:
    """All variants of an enterprise, one per key (a strong one preferred over a weak one)."""
    fields: list[tuple[str, list[str]]] = [
        ("name_zh", [record.name_zh] if record.name_zh else []),
        ("names_en", record.names_en),
        ("former_names", record.former_names),
        ("abbreviations", record.abbreviations),
        ("subsidiaries", record.subsidiaries),
    ]
    by_key: dict[str, Variant] = {}
    for field, names in fields:
        for name in names:
            for variant in name_variants(name, field, surfaces=surfaces):
                key = variant.key
                known = by_key.get(key)
                if known is None or (known.weak and not variant.weak):
                    by_key[key] = variant
                if len(by_key) >= MAX_VARIANTS:
                    return list(by_key.values())
    return list(by_key.values())


def place_of(record: EnterpriseRecord) -> str | None:
    """The enterprise's city as a joined lowercase word ("shenzhen"), from its region or, failing
    that, from the place its Chinese name starts with.  Confirms a weak (place-less) match."""
    for region in (record.region_city, record.region_province):
        if region:
            if has_han(region):
                return romanise(strip_place_suffix(region)[0])
            return normalize_name(region).key or None
    if record.name_zh:
        places = parse_chinese_name(record.name_zh).places
        if places:
            return romanise(places[-1][0])
    return None
