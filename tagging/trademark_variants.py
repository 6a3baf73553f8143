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
import operator
import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import NamedTuple

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


class BrandVariant(NamedTuple):
    """One written form of a brand: ``text`` as it would appear in a filing, ``key`` the
    comparison key (see :func:`comparison_key`), ``kind`` how it was derived.  A named tuple:
    a registry makes half a million of them."""

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


# Between texts keyed together; a separator no mark holds, kept by the non-word filter below.
_SEPARATOR = "\x1f"
# The same steps on ASCII bytes, each one table pass (bytes.translate is several times faster
# than str.translate and a regular expression): for keys, capitals lowered, symbols folded
# (before the rest is dropped, as in ``comparison_key``), every other non-word byte dropped;
# then the look-alike folds.  For normalised text, every non-word byte becomes a space.
_UPPER, _LOWER = bytes(range(65, 91)), bytes(range(97, 123))
_SYMBOLS = "".join(ch for ch in map(chr, range(128)) if ord(ch) in _SYMBOL_FOLDS)
_KEY_TABLE = bytes.maketrans(
    _UPPER + _SYMBOLS.encode(), _LOWER + "".join(_SYMBOL_FOLDS[ord(ch)] for ch in _SYMBOLS).encode()
)
_KEY_KEEP = frozenset(_UPPER + _LOWER + b"0123456789" + _SEPARATOR.encode() + _SYMBOLS.encode())
_KEY_DROP = bytes(byte for byte in range(256) if byte not in _KEY_KEEP)
_ASCII_CHAR_FOLDS = bytes.maketrans(
    "".join(chr(c) for c in _CHAR_FOLDS).encode(), "".join(_CHAR_FOLDS.values()).encode()
)
_WORD_BYTES = frozenset(_LOWER + b"0123456789" + _SEPARATOR.encode())
_TEXT_TABLE = bytes(
    byte + 32 if 65 <= byte <= 90 else byte if byte in _WORD_BYTES else 32 for byte in range(256)
)


def comparison_keys(texts: Sequence[str]) -> list[str]:
    """``comparison_key`` of many texts: the ASCII ones (most marks) in one pass over their
    concatenation, which is several times faster than one call per text."""
    joined, odd = _joined(texts)
    keys = joined.encode("ascii").translate(_KEY_TABLE, _KEY_DROP)
    # Look-alike pairs cannot form across texts: the separator is no letter.
    for pair, single in _PAIR_FOLDS:
        keys = keys.replace(pair.encode(), single.encode())
    out = keys.translate(_ASCII_CHAR_FOLDS).decode("ascii").split(_SEPARATOR) if texts else []
    for i in odd:
        out[i] = comparison_key(texts[i])
    return out


def normalise_texts(texts: Sequence[str]) -> list[str]:
    """``normalise_text`` of many texts, the ASCII ones in one pass over their concatenation."""
    joined, odd = _joined(texts)
    spaced = joined.encode("ascii").translate(_TEXT_TABLE).decode("ascii")
    out = [" ".join(text.split()) for text in spaced.split(_SEPARATOR)]
    for i in odd:
        out[i] = normalise_text(texts[i])
    return out if texts else []


def _joined(texts: Sequence[str]) -> tuple[str, list[int]]:
    """The texts joined by the separator, those that need the Unicode path (or hold the
    separator) left empty; and their positions."""
    # Found by iterations in C (a day's screening joins a hundred thousand texts): the
    # non-ASCII texts, then, should the separators outnumber the gaps, those holding one.
    odd = list(itertools.compress(range(len(texts)), map(operator.not_, map(str.isascii, texts))))
    joined = _SEPARATOR.join(_blanked(texts, odd))
    if joined.count(_SEPARATOR) > max(len(texts) - 1, 0):
        odd = sorted({*odd, *(i for i, text in enumerate(texts) if _SEPARATOR in text)})
        joined = _SEPARATOR.join(_blanked(texts, odd))
    return joined, odd


def _blanked(texts: Sequence[str], positions: list[int]) -> Sequence[str]:
    """The texts with those at ``positions`` emptied (a copy only if there are any)."""
    if not positions:
        return texts
    plain = list(texts)
    for i in positions:
        plain[i] = ""
    return plain


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
    return script_forms_many([text])[0]


def _convert_all(config: str, texts: Sequence[str]) -> list[str]:
    """One conversion table applied to many texts at once (one call per text costs more in
    set-up than in converting).  A newline converts to itself and ends every dictionary
    phrase, so joined texts stay apart."""
    converter = _converter(config)
    if any("\n" in text for text in texts):
        return [converter.convert(text) for text in texts]
    return converter.convert("\n".join(texts)).split("\n") if texts else []


@lru_cache(maxsize=4096)
def _taiwan_variant(char: str) -> str:
    return str(_converter("t2tw").convert(char))


def script_forms_many(texts: Sequence[str]) -> list[list[tuple[str, str]]]:
    """``script_forms`` of many texts.  Taiwan's forms are OpenCC's s2tw: its s2t followed by
    the TWVariants table, which maps single characters only, so it is applied per character
    to the s2t result instead of converting everything a second time."""
    traditional = _convert_all("s2t", texts)
    simplified = _convert_all("t2s", texts)
    out: list[list[tuple[str, str]]] = []
    for text, hant, hans in zip(texts, traditional, simplified, strict=True):
        taiwan = "".join(_taiwan_variant(ch) for ch in hant)
        forms: list[tuple[str, str]] = []
        seen = {text}
        for form, kind in ((hant, HANZI_TRADITIONAL), (taiwan, HANZI_TRADITIONAL), (hans, HANZI_SIMPLIFIED)):
            if form not in seen:
                seen.add(form)
                forms.append((form, kind))
        out.append(forms)
    return out


@lru_cache(maxsize=65536)
def _char_readings(char: str) -> tuple[str, ...]:
    options = pinyin(char, style=Style.NORMAL, heteronym=True, errors="default")[0]
    return tuple(r for r in dict.fromkeys(options) if r) or (char,)


@cache
def _phrases() -> dict[str, object]:
    from pypinyin.constants import PHRASES_DICT

    return PHRASES_DICT  # type: ignore[no-any-return]


def _phrase_reading(chars: list[str], per_char: list[tuple[str, ...]]) -> list[str]:
    """The default reading.  pypinyin reads a phrase from its phrase dictionary and every other
    character by its first reading; so a text of Chinese characters none of whose substrings
    is a dictionary phrase reads character by character, without pypinyin's segmentation
    (the costly part of deriving a registry's variants)."""
    if all(_CJK_RE.match(ch) for ch in chars):
        text = "".join(chars)
        phrases = _phrases()
        if not any(
            text[start:end] in phrases
            for start in range(len(text))
            for end in range(start + 2, len(text) + 1)
        ):
            return [options[0] for options in per_char]
    return [s for s in lazy_pinyin("".join(chars), style=Style.NORMAL, errors="default") if s.strip()]


def pinyin_readings(text: str, limit: int = MAX_HETERONYM_READINGS) -> list[list[str]]:
    """Syllable lists for the Chinese characters of ``text``: the phrase-aware reading first
    (pypinyin resolves 银行 to yin hang), then other readings of polyphonic characters, at most
    ``limit`` in all.  Non-Chinese characters are kept as they are."""
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return []
    per_char = [_char_readings(ch) for ch in chars]
    readings = [_phrase_reading(chars, per_char)]
    for combination in itertools.product(*per_char):
        if len(readings) >= limit:
            break
        candidate = list(combination)
        if candidate not in readings:
            readings.append(candidate)
    # pypinyin writes ü as v (lv); brands and passports mostly write lu: add that spelling too.
    with_u = [[s.replace("v", "u") for s in r] for r in readings if any("v" in s for s in r)]
    return readings + [r for r in with_u if r not in readings]


def brand_forms(
    brand: Brand, scripts: dict[str, list[tuple[str, str]]] | None = None
) -> list[tuple[str, str]]:
    """(text, kind) of every form of one brand in derivation order, duplicates included.
    ``scripts`` holds precomputed :func:`script_forms` by text (see :func:`variants_of_brands`)."""
    forms: list[tuple[str, str]] = []
    written = [brand.text, *brand.romanisations]
    for index, text in enumerate(written):
        if not text or not text.strip():
            continue
        if has_cjk(text):
            forms.append((text, HANZI))
            forms.extend(scripts[text] if scripts is not None else script_forms(text))
            for number, syllables in enumerate(pinyin_readings(text)):
                forms.append(("".join(syllables), PINYIN_JOINED if number == 0 else PINYIN_READING))
                forms.append((" ".join(syllables), PINYIN_SPACED))
                if len(syllables) >= 2:
                    forms.append(("".join(s[0] for s in syllables), PINYIN_INITIALS))
        else:
            forms.append((text, LATIN if index == 0 else ROMANISATION))
    return forms


def _deduplicated(forms: list[tuple[str, str]], keys: Sequence[str]) -> list[BrandVariant]:
    """One variant per comparison key (first derivation wins, so the reason shown is the
    plainest one); exact-only kinds are kept apart from fuzzy ones with the same key."""
    variants: list[BrandVariant] = []
    seen: set[tuple[str, bool]] = set()
    for (text, kind), key in zip(forms, keys, strict=True):
        marker = (key, kind in EXACT_ONLY_KINDS)
        if key and marker not in seen:
            seen.add(marker)
            variants.append(BrandVariant(text, key, kind))
    return variants


def brand_variants(brand: Brand) -> list[BrandVariant]:
    """Every variant of one brand, deduplicated by comparison key."""
    forms = brand_forms(brand)
    return _deduplicated(forms, comparison_keys([text for text, _ in forms]))


def variants_of_brands(brands: Sequence[Brand]) -> list[list[BrandVariant]]:
    """``brand_variants`` of many brands, with the script conversions and the comparison keys
    of all of them computed in batches (a registry's build is mostly this)."""
    chinese = list(
        dict.fromkeys(
            text
            for brand in brands
            for text in (brand.text, *brand.romanisations)
            if text and text.strip() and has_cjk(text)
        )
    )
    scripts = dict(zip(chinese, script_forms_many(chinese), strict=True))
    all_forms = [brand_forms(brand, scripts) for brand in brands]
    keys = comparison_keys([text for forms in all_forms for text, _ in forms])
    out: list[list[BrandVariant]] = []
    start = 0
    for forms in all_forms:
        out.append(_deduplicated(forms, keys[start : start + len(forms)]))
        start += len(forms)
    return out
