"""The written forms a brand can take in a foreign trademark filing, and the comparison keys
they are screened by.

A squatter rarely files the brand exactly as the enterprise writes it: the Chinese brand turns
up in pinyin (joined, spaced, as initials, or with another reading of a polyphonic character),
in traditional characters, or with look-alike characters swapped in (0 for O, rn for m).
This module turns one registry ``Brand`` into those variants and gives the normalisation both
sides of a comparison share.  It is about brand MARKS only; company names are normalised and
bridged elsewhere (``tagging/normalize.py``, ``tagging/pinyin_bridge.py``).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from pypinyin import Style, lazy_pinyin, pinyin

from ipsentry.core.registry import Brand

# A reading per character multiplies: a four-character brand with three polyphonic characters
# has 8-27 readings, most never used.  Past this bound the extra readings are noise.
MAX_HETERONYM_READINGS = 8

# Variant kinds, also the vocabulary of the screen's reasons.
LATIN = "latin"
ROMANISATION = "romanisation"
PINYIN_JOINED = "pinyin_joined"
PINYIN_SPACED = "pinyin_spaced"
PINYIN_INITIALS = "pinyin_initials"
PINYIN_READING = "pinyin_reading"  # another reading of a polyphonic character
HANZI = "hanzi"
HANZI_TRADITIONAL = "hanzi_traditional"
HANZI_SIMPLIFIED = "hanzi_simplified"

# Kinds so short or so generic that only an identical mark counts: fuzzy-matching two or three
# initials would flag every filing with two letters in common.
EXACT_ONLY_KINDS = frozenset({PINYIN_INITIALS})


@dataclass(frozen=True)
class BrandVariant:
    """One written form of a brand: ``text`` as it would appear in a filing, ``key`` the
    comparison key (see :func:`comparison_key`), ``kind`` how it was derived."""

    text: str
    key: str
    kind: str


_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Symbols squatters use for letters; folded before punctuation is dropped so "CA$H" keeps its S.
_SYMBOL_FOLDS = str.maketrans({"$": "s", "@": "a", "!": "l", "|": "l", "€": "e", "£": "l"})
# Letter-shaped digits and letters that read as one another in capitals or lower case.  Both sides
# of a comparison are folded, so "SUVENEER" and "5UVENEER" meet at "suveneer".
_CHAR_FOLDS = str.maketrans(
    {
        "0": "o",
        "1": "l",
        "i": "l",
        "3": "e",
        "4": "a",
        "5": "s",
        "6": "g",
        "7": "t",
        "8": "b",
        "9": "g",
        "2": "z",
    }
)
# Multi-letter look-alikes ("rn" reads as "m" in most fonts), applied before single characters.
_PAIR_FOLDS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_NON_WORD_RE = re.compile(r"[^\w]+|_")


def normalise_text(text: str) -> str:
    """Case, width and accents folded, punctuation to spaces, spaces collapsed; CJK kept."""
    if text.isascii():
        # Nothing to fold but case (most marks): skip the two Unicode normalisations.
        return " ".join(_NON_WORD_RE.sub(" ", text.lower()).split())
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return " ".join(_NON_WORD_RE.sub(" ", text).split())


def fold_lookalikes(normalised: str) -> str:
    """Fold look-alike characters of an already normalised, space-free text."""
    for pair, single in _PAIR_FOLDS:
        normalised = normalised.replace(pair, single)
    return normalised.translate(_CHAR_FOLDS)


def comparison_key(text: str) -> str:
    """The key both marks and brand variants are compared by: normalised, spaces removed (so
    "HUA WEI" meets "huawei"), look-alike characters folded."""
    if text.isascii():
        # Most marks are plain ASCII: skip the Unicode normalisations (a screening day makes
        # hundreds of thousands of keys).
        return fold_lookalikes(_NON_WORD_RE.sub("", text.lower().translate(_SYMBOL_FOLDS)))
    text = unicodedata.normalize("NFKC", text).casefold().translate(_SYMBOL_FOLDS)
    return fold_lookalikes(normalise_text(text).replace(" ", ""))


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


@cache
def _converter(config: str):  # type: ignore[no-untyped-def]
    # Imported lazily: only brands written in Chinese characters need the conversion tables.
    from opencc import OpenCC

    return OpenCC(config)


def script_forms(text: str) -> list[tuple[str, str]]:
    """The traditional and simplified spellings of a Chinese text (Taiwan and Hong Kong
    traditional differ for some characters, e.g. 爲/為), without the text itself."""
    forms: list[tuple[str, str]] = []
    seen = {text}
    for config, kind in (("s2t", HANZI_TRADITIONAL), ("s2tw", HANZI_TRADITIONAL), ("t2s", HANZI_SIMPLIFIED)):
        converted = _converter(config).convert(text)
        if converted not in seen:
            seen.add(converted)
            forms.append((converted, kind))
    return forms


def pinyin_readings(text: str, limit: int = MAX_HETERONYM_READINGS) -> list[list[str]]:
    """Syllable lists for the Chinese characters of ``text``: the phrase-aware reading first
    (pypinyin resolves 银行 to yin hang), then other readings of polyphonic characters, at most
    ``limit`` in all.  Non-Chinese characters are kept as they are."""
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return []
    first = [s for s in lazy_pinyin("".join(chars), style=Style.NORMAL, errors="default") if s.strip()]
    readings = [first]
    per_char = [
        [r for r in dict.fromkeys(options) if r] or [ch]
        for ch, options in zip(
            chars, pinyin(chars, style=Style.NORMAL, heteronym=True, errors="default"), strict=False
        )
    ]
    for combination in itertools.product(*per_char):
        if len(readings) >= limit:
            break
        candidate = list(combination)
        if candidate not in readings:
            readings.append(candidate)
    # pypinyin writes ü as v (lv); brands and passports mostly write lu: add that spelling too.
    with_u = [[s.replace("v", "u") for s in r] for r in readings if any("v" in s for s in r)]
    return readings + [r for r in with_u if r not in readings]


def brand_variants(brand: Brand) -> list[BrandVariant]:
    """Every variant of one brand, deduplicated by comparison key (first derivation wins, so
    the reason shown is the plainest one)."""
    variants: list[BrandVariant] = []
    seen: set[tuple[str, bool]] = set()

    def add(text: str, kind: str) -> None:
        key = comparison_key(text)
        exact_only = kind in EXACT_ONLY_KINDS
        if not key or (key, exact_only) in seen:
            return
        seen.add((key, exact_only))
        variants.append(BrandVariant(text=text, key=key, kind=kind))

    written = [brand.text, *brand.romanisations]
    for index, text in enumerate(written):
        if not text or not text.strip():
            continue
        if has_cjk(text):
            forms = [(text, HANZI), *script_forms(text)]
            for form, kind in forms:
                add(form, kind)
            for number, syllables in enumerate(pinyin_readings(text)):
                add("".join(syllables), PINYIN_JOINED if number == 0 else PINYIN_READING)
                add(" ".join(syllables), PINYIN_SPACED)
                if len(syllables) >= 2:
                    add("".join(s[0] for s in syllables), PINYIN_INITIALS)
        else:
            add(text, LATIN if index == 0 else ROMANISATION)
    return variants
