"""Name normalisation: the one function both sides (registry and source) go through.

A company name becomes its *core*: lowercase tokens without punctuation, width variants,
legal form ("Co., Ltd.", "Company Limited", 有限公司, "Youxiangongsi"…) or a trailing address
("…, Xiamen, China").  Place words inside the name are kept, so "Innoscience (Suzhou)" and
"Innoscience (Zhuhai)" stay different.  The lookup key is the core with its spaces removed,
which makes "Lishian Keji", "Li Shi An Ke Ji" and "LishianKeji" one key.

Free text is normalised by a length-preserving character map (lowercase, full-width → ASCII,
punctuation → space) so that positions found in it are positions in the original text.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ipsentry.tagging.lexicon import (
    COUNTRY_WORDS,
    LATIN_LEGAL_FORMS,
    MAX_LEGAL_TOKENS,
    STOP_WORDS,
    US_STATE_CODES,
    ZH_LEGAL_FORMS,
    ZH_LEGAL_SUFFIXES,
    canonical_word,
    dropped_positions,
    location_words,
)

# Unicode punctuation seen in names and notices besides ASCII's.
_EXTRA_PUNCTUATION = "‘’‚‛“”„‟–—―‐‑‒·•・、，。；：！？（）【】《》〈〉「」『』〔〕…￥§¶®©™°"


def _text_table() -> dict[int, str]:
    """One character in, one character out: keeps offsets valid in the original text."""
    table: dict[int, str] = {}
    for char in string.punctuation + _EXTRA_PUNCTUATION:
        table[ord(char)] = " "
    for char in string.ascii_uppercase:
        table[ord(char)] = char.lower()
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII block
        ascii_char = chr(code - 0xFEE0)
        table[code] = table.get(ord(ascii_char), ascii_char)
    for code in range(0xC0, 0xDF):  # Latin-1 capitals (À…Þ) lower to one character each
        if code != 0xD7:  # ×
            table[code] = chr(code).lower()
    for space in ("\u3000", "\u00a0", "\u2009", "\u200b", "\t", "\r", "\n"):
        table[ord(space)] = " "
    return table


TEXT_TABLE = _text_table()


def normalize_text(text: str) -> str:
    """Lowercase, punctuation-free text of exactly the same length as ``text``."""
    return text.translate(TEXT_TABLE)


# d/b/a, f/k/a, AKA … as written by courts and the USITC ("d/ b/a" included).  Lowercase "aka"
# counts but "Aka" does not: capitalised it is more likely part of a name.
_ALIAS_MARKER = re.compile(
    r"(?:^|[\s,;(\[])"
    r"(?:(?i:d\s*/\s*b\s*/\s*a|f\s*/\s*k\s*/\s*a|a\s*/\s*k\s*/\s*a|doing\s+business\s+as|"
    r"formerly\s+known\s+as|also\s+known\s+as|trading\s+as|dba|fka)"
    r"|AKA|aka|A\.K\.A\.?|a\.k\.a\.?)"
    r"(?=[\s:,.\])]|$)[.:,]?"
)
_ALIAS_TRIM = " \t,;:()[]"


def split_aliases(name: str) -> list[str]:
    """The names written into one: "Xiamen Dangs Co., Ltd., AKA Dawnsens Co., Ltd." →
    ["Xiamen Dangs Co., Ltd.", "Dawnsens Co., Ltd."] (d/b/a, f/k/a, AKA…)."""
    parts = [part.strip(_ALIAS_TRIM) for part in _ALIAS_MARKER.split(name)]
    return [part for part in parts if part]


@dataclass(frozen=True, slots=True)
class NormalizedName:
    tokens: tuple[str, ...]  # the core: lowercase words, legal form and address removed
    legal: str | None = None  # canonical legal form ("ltd", "inc", "corp"…), None when absent

    @property
    def key(self) -> str:
        return "".join(self.tokens)

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def __bool__(self) -> bool:
        return bool(self.tokens)


def name_tokens(name: str) -> list[str]:
    """Lowercase words of a name, width- and punctuation-free, generic spellings folded."""
    folded = unicodedata.normalize("NFKC", name).casefold().replace("&", " and ")
    words = [canonical_word(token) for token in normalize_text(folded).split() if token not in STOP_WORDS]
    dropped = dropped_positions(words)
    return [word for position, word in enumerate(words) if position not in dropped] if dropped else words


def normalize_name(name: str) -> NormalizedName:
    tokens = drop_address_tail(name_tokens(name))
    tokens, legal = strip_legal_form(tokens)
    return NormalizedName(tuple(tokens), legal)


def name_key(name: str) -> str:
    return normalize_name(name).key


# Every ending of a legal form as joined ("ltd", "d", "gongsi", "si"…): a word not in here cannot
# be the last word of a legal form, which spares most positions the joins below.
_LEGAL_ENDINGS = frozenset(form[i:] for form in LATIN_LEGAL_FORMS for i in range(len(form)))


def _legal_label_ending_at(tokens: Sequence[str], end: int) -> tuple[str, int] | None:
    """The legal form that ends just before ``end`` (label, its width), longest first."""
    if end < 2 or tokens[end - 1] not in _LEGAL_ENDINGS:
        return None
    for width in range(min(MAX_LEGAL_TOKENS, end - 1), 0, -1):
        label = LATIN_LEGAL_FORMS.get("".join(tokens[end - width : end]))
        if label is not None:
            return label, width
    return None


def strip_legal_form(tokens: Sequence[str]) -> tuple[list[str], str | None]:
    """Remove trailing legal forms ("co ltd", "group", 有限公司…); at least one word is kept.
    The label is that of the last one written ("TCL Group Corporation" → "corp")."""
    core = list(tokens)
    legal: str | None = None
    while core:
        last = core[-1]
        zh_suffix = next((suffix for suffix in ZH_LEGAL_SUFFIXES if last.endswith(suffix)), None)
        if zh_suffix is not None and len(last) > len(zh_suffix):
            core[-1] = last[: -len(zh_suffix)]
            legal = legal or ZH_LEGAL_FORMS[zh_suffix][0]
            continue
        found = _legal_label_ending_at(core, len(core))
        if found is None:
            break
        label, width = found
        del core[-width:]
        legal = legal or label
    return core, legal


_TAIL_END_WORDS = frozenset(word.replace(" ", "") for word in COUNTRY_WORDS) | US_STATE_CODES


def _all_locations(tokens: Sequence[str]) -> bool:
    """Every word is a place, country or address word (up to three words joined: "hong kong")."""
    locations = location_words()
    i = 0
    while i < len(tokens):
        for width in range(min(3, len(tokens) - i), 0, -1):
            if "".join(tokens[i : i + width]) in locations:
                i += width
                break
        else:
            return False
    return True


def drop_address_tail(tokens: Sequence[str]) -> list[str]:
    """Cut what follows the legal form when it is an address: "…Co., Ltd., Xiamen, China",
    "…Inc., of Pico Rivera, CA", "…Inc, Raleigh, NC".  Without a legal form nothing is cut
    ("BLU Products of Doral" cannot be told from a name), nor is "of North America"."""
    for end in range(len(tokens) - 1, 0, -1):
        if _legal_label_ending_at(tokens, end) is None:
            continue
        tail = tokens[end + 1 :] if tokens[end] == "of" else tokens[end:]
        if tail and ((len(tail) <= 4 and tail[-1] in _TAIL_END_WORDS) or _all_locations(tail)):
            return list(tokens[:end])
    return list(tokens)


def compact_key(text: str) -> str:
    """Case-, width-, punctuation- and space-insensitive form of a store name or seller ID:
    "ANKER Official-Store" and "anker official store" are the same store.  Words are folded as
    in the text scan, so a key found in a name is found in running text too."""
    return "".join(name_tokens(text))
