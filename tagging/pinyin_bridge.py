"""The bridge from a Chinese registry name to the ways overseas sources write it.

A Chinese company name is read as 行政区划 + 字号 + 行业 + 组织形式 (place, trade name,
industry, legal form): 深圳市 + 利世安 + 科技 + 有限公司.  From those parts come the forms a US
notice may use:

=============  ================================================  ==========================
form           example                                           note
=============  ================================================  ==========================
``zh``         深圳市利世安科技有限公司, 深圳利世安科技           with and without 市
``translated`` Shenzhen Lishian Technology Co., Ltd.             industry and legal form in
                                                                 English (table in lexicon)
``pinyin``     Shenzhenshi Lishian Keji Youxiangongsi,           joined per word, with and
               Shenzhen Lishian Keji                             without 市 (shi)
``spaced``     Shen Zhen Shi Li Shi An Ke Ji You Xian Gong Si    one token per syllable
``moved``      Lishian (Shenzhen) Technology Co., Ltd.           place after the trade name;
               Suzhou Yingnuosaike Technology Co., Ltd.          or a (place) put in front
``no_place``   Lishian Technology Co., Ltd., Lishian Keji        *weak*: the place is what
                                                                 tells namesakes apart
``reading``    Yingyang… for 英 read "yang"                      other readings of the trade
                                                                 name (≤ 3 more)
=============  ================================================  ==========================

A place in parentheses (英诺赛科（苏州）科技) is never dropped: it is what tells sibling
companies apart.  Polyphonic characters: only the trade name gets other readings (it is short;
places and industry words have one accepted reading), each differing from the default reading in
one syllable, at most ``MAX_READINGS`` in all, so the variant count stays bounded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from pypinyin import Style, lazy_pinyin, pinyin

from ipsentry.tagging.lexicon import (
    LATIN_LEGAL_FORMS,
    ZH_INDUSTRY_WORDS,
    ZH_LEGAL_FORMS,
    ZH_LEGAL_SUFFIXES,
    ZH_PLACE_SUFFIXES,
    ZH_PLACES,
    generic_words,
    zh_place_pinyin,
)
from ipsentry.tagging.normalize import name_tokens

MAX_READINGS = 4  # the default reading of a trade name plus at most three others
MAX_READING_CHARS = 4  # only trade names this short get other readings
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_PAREN = re.compile(r"\(([^()]*)\)")
_UNKNOWN_CITY = re.compile(r"^([\u4e00-\u9fff]{2,3})市")
_PLACE_SET = frozenset(ZH_PLACES)
_PLACE_LENGTHS = sorted({len(place) for place in ZH_PLACES}, reverse=True)
_INDUSTRY_LENGTHS = sorted({len(word) for word in ZH_INDUSTRY_WORDS}, reverse=True)


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


@dataclass(frozen=True, slots=True)
class ChineseName:
    """A Chinese company name split into its parts."""

    places: tuple[tuple[str, str], ...]  # leading places with the suffix written: (("深圳", "市"),)
    trade: str  # 字号, e.g. 利世安 (may hold Latin letters: TCL)
    paren_place: str | None  # 苏州 in 英诺赛科（苏州）科技
    industries: tuple[str, ...]  # 科技, 新材料…
    legal: str | None  # 有限公司… as written

    @property
    def is_generic(self) -> bool:
        """No trade name, or one that is itself a place or an industry word: identifies nobody."""
        if len(self.trade) < 2 or self.trade in _PLACE_SET or self.trade in ZH_INDUSTRY_WORDS:
            return True
        return romanise(self.trade) in generic_words()  # 中华 → "zhonghua"


def strip_place_suffix(text: str) -> tuple[str, str]:
    for suffix in ZH_PLACE_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)], suffix
    return text, ""


def _leading_place(text: str) -> tuple[str, str, int] | None:
    """(place, suffix, characters used) at the start of ``text``, if any."""
    for length in _PLACE_LENGTHS:
        head = text[:length]
        if head in _PLACE_SET and len(text) > length:
            rest = text[length:]
            suffix = next((s for s in ZH_PLACE_SUFFIXES if rest.startswith(s)), "")
            return head, suffix, length + len(suffix)
    unknown = _UNKNOWN_CITY.match(text)
    if unknown:
        return unknown.group(1), "市", unknown.end()
    return None


def parse_chinese_name(name: str) -> ChineseName:
    text = "".join(unicodedata.normalize("NFKC", name).split())
    legal: str | None = None
    while True:
        suffix = next((s for s in ZH_LEGAL_SUFFIXES if text.endswith(s) and len(text) > len(s)), None)
        if suffix is None:
            break
        legal = suffix + legal if legal else suffix
        text = text[: -len(suffix)]
    paren_place: str | None = None
    for found in _PAREN.finditer(text):
        inner, _ = strip_place_suffix(found.group(1))
        if inner in _PLACE_SET or _UNKNOWN_CITY.match(found.group(1)):
            paren_place = inner
            break
    # The place in parentheses is kept aside (it goes back in after the trade name); any other
    # parenthesised words stay in the name without their parentheses.
    text = _PAREN.sub(
        lambda m: "" if paren_place is not None and m.group(1).startswith(paren_place) else m.group(1),
        text,
    )
    places: list[tuple[str, str]] = []
    while len(places) < 3:
        lead = _leading_place(text)
        if lead is None or len(text) - lead[2] < 2:
            break
        places.append((lead[0], lead[1]))
        text = text[lead[2] :]
    industries: list[str] = []
    while True:
        word = next(
            (text[-n:] for n in _INDUSTRY_LENGTHS if text[-n:] in ZH_INDUSTRY_WORDS and len(text) - n >= 2),
            None,
        )
        if word is None:
            break
        industries.insert(0, word)
        text = text[: -len(word)]
    return ChineseName(tuple(places), text, paren_place, tuple(industries), legal)


class BridgeForm(NamedTuple):
    form: str  # zh | translated | pinyin | spaced | moved | no_place | reading
    surface: str  # as a source would write it, legal form included
    tokens: tuple[str, ...]  # the normalised core, as normalize_name(surface) gives it
    distinctive: tuple[str, ...]  # the words that identify (the trade name), for fuzzy blocking
    legal: str | None = None  # canonical legal form ("ltd" for 有限公司 and "Co., Ltd.")
    starts: tuple[str, ...] = ()  # first word, and first syllable: "shenzhen", "shen"
    han: bool = False  # written in Chinese characters
    weak: bool = False  # a place was dropped: a namesake elsewhere would give the same form


@lru_cache(maxsize=8192)
def _only_reading(char: str) -> str | None:
    """The reading of a Chinese character that has exactly one (toneless), else None."""
    if not _HAN.match(char):
        return None
    readings = pinyin(char, style=Style.NORMAL, heteronym=True)[0]
    return readings[0] if len(readings) == 1 else None


@lru_cache(maxsize=4096)
def _syllables(text: str) -> tuple[str, ...]:
    """Default (phrase-aware) reading, lowercase; runs of Latin letters and digits stay whole."""
    # Most characters have one reading: then context cannot change it and the per-character
    # cache answers without pypinyin's phrase segmentation (the bulk of the build time).
    only = [_only_reading(char) for char in text]
    if all(only):
        return tuple(only)  # type: ignore[arg-type]
    out: list[str] = []
    for piece in lazy_pinyin(text):
        if piece.isascii() and piece.isalpha():
            out.append(piece.lower())
        else:  # Latin with digits or punctuation ("3M", "A&B"): the name normaliser decides
            out.extend(name_tokens(piece))
    return tuple(out)


@lru_cache(maxsize=8192)
def _char_readings(char: str) -> tuple[str, ...]:
    readings = pinyin(char, style=Style.NORMAL, heteronym=True)[0]
    # ü is written "v" by pypinyin and "u" in most company romanisations (吕 Lv / Lu).
    extra = [reading.replace("v", "u") for reading in readings if "v" in reading]
    return tuple(dict.fromkeys([*readings, *extra]))


def trade_readings(trade: str) -> list[tuple[str, ...]]:
    """The default reading of a trade name first, then readings that change one polyphonic
    syllable (英 ying → yang, 曾 ceng → zeng), at most MAX_READINGS in all."""
    default = _syllables(trade)
    readings = [default]
    if len(trade) > MAX_READING_CHARS or len(default) != len(trade):
        return readings  # long names, or Latin inside: syllables no longer align with characters
    for position, char in enumerate(trade):
        for reading in _char_readings(char):
            if reading != default[position]:
                readings.append((*default[:position], reading, *default[position + 1 :]))
                if len(readings) == MAX_READINGS:
                    return readings
    return readings


@lru_cache(maxsize=1024)
def _industry_english(word: str) -> tuple[str, ...]:
    return tuple(name_tokens(ZH_INDUSTRY_WORDS[word]))


@lru_cache(maxsize=1024)
def _legal_pinyin(legal: str) -> str | None:
    """The joined pinyin of a legal form when the normaliser knows it as one (Youxiangongsi)."""
    joined = "".join(lazy_pinyin(legal))
    return joined if joined in LATIN_LEGAL_FORMS else None


_SHI = {"市": "shi", "省": "sheng"}


def _title(tokens: tuple[str, ...] | list[str]) -> str:
    return " ".join(token.capitalize() for token in tokens)


def bridge_forms(name: str, *, surfaces: bool = True) -> list[BridgeForm]:
    """Every form of a Chinese name listed in the module docstring; empty for a name that
    identifies nobody (no trade name: 深圳市电子有限公司).  Without ``surfaces`` the Latin forms
    come without their written form (""): building an index needs only the tokens, and writing
    a million surfaces nobody reads is a good part of the build time."""
    parsed = parse_chinese_name(name)
    if parsed.is_generic:
        return []
    places_py = [zh_place_pinyin(place) for place, _ in parsed.places]
    places_py_shi = [zh_place_pinyin(place) + _SHI.get(suffix, "") for place, suffix in parsed.places]
    paren = [zh_place_pinyin(parsed.paren_place)] if parsed.paren_place else []
    industry_py = ["".join(_syllables(word)) for word in parsed.industries]
    industry_en = [token for word in parsed.industries for token in _industry_english(word)]
    legal_en = ZH_LEGAL_FORMS[parsed.legal][1] if parsed.legal in ZH_LEGAL_FORMS else ""
    legal_py = _legal_pinyin(parsed.legal) if parsed.legal else None

    # Latin letters in a Chinese name (TCL科技) are shown as written, pinyin capitalised.
    shown = {"".join(_syllables(parsed.trade)): parsed.trade} if parsed.trade.isascii() else {}

    def english(tokens: list[str], paren_at: int | None = None) -> str:
        if not surfaces:
            return ""
        words = [shown.get(token) or token.capitalize() for token in tokens]
        if paren_at is not None:
            words[paren_at] = f"({words[paren_at]})"
        return " ".join([*words, legal_en]).strip()

    def romanised(tokens: list[str]) -> str:
        if not surfaces:
            return ""
        words = [shown.get(token) or token.capitalize() for token in tokens]
        return " ".join([*words, (legal_py or "").capitalize()]).strip()

    forms: list[BridgeForm] = []
    folded = unicodedata.normalize("NFKC", parsed.trade).casefold()
    zh_tail = folded + (parsed.paren_place or "") + "".join(parsed.industries)
    legal_zh = parsed.legal or ""
    zh_full = "".join(place + suffix for place, suffix in parsed.places) + zh_tail
    trade_zh = (folded,)
    label = ZH_LEGAL_FORMS[parsed.legal][0] if parsed.legal in ZH_LEGAL_FORMS else None
    forms.append(BridgeForm("zh", zh_full + legal_zh, (zh_full,), trade_zh, label, han=True))
    zh_bare = "".join(place for place, _ in parsed.places) + zh_tail
    if zh_bare != zh_full:
        forms.append(BridgeForm("zh", zh_bare + legal_zh, (zh_bare,), trade_zh, label, han=True))
    if parsed.places:
        forms.append(
            BridgeForm("no_place", zh_tail + legal_zh, (zh_tail,), trade_zh, label, han=True, weak=True)
        )

    # The first syllable of each word a form can start with: spaced text ("Shen Zhen …") starts there.
    place_syllables: dict[str, str] = {}
    for (place, suffix), plain, with_suffix in zip(parsed.places, places_py, places_py_shi, strict=True):
        place_syllables[plain] = place_syllables[with_suffix] = _syllables(place + suffix)[0]
    if parsed.paren_place:
        place_syllables[paren[0]] = _syllables(parsed.paren_place)[0]
    for number, reading in enumerate(trade_readings(parsed.trade)):
        trade = "".join(reading)
        city = places_py[-1:]
        made: list[tuple[str, str, list[str], bool]] = []  # form, surface, tokens, weak
        tokens = [*city, trade, *paren, *industry_en]
        surface = english(tokens, len(city) + 1 if paren else None)
        made.append(("translated" if number == 0 else "reading", surface, tokens, False))
        tokens = [*places_py, trade, *paren, *industry_py]
        made.append(("pinyin" if number == 0 else "reading", romanised(tokens), tokens, False))
        if number == 0:  # other readings get the two forms above only: the count stays bounded
            with_shi = [*places_py_shi, trade, *paren, *industry_py]
            if with_shi != tokens:
                made.append(("pinyin", romanised(with_shi), with_shi, False))
            syllables = [
                *(s for place, suffix in parsed.places for s in _syllables(place + suffix)),
                *reading,
                *(_syllables(parsed.paren_place) if parsed.paren_place else ()),
                *(s for word in parsed.industries for s in _syllables(word)),
            ]
            legal_syllables = list(_syllables(parsed.legal)) if legal_py else []
            spaced = _title(syllables + legal_syllables) if surfaces else ""
            made.append(("spaced", spaced, syllables, False))
            if parsed.places:
                tokens = [trade, *paren, *industry_en]
                made.append(("no_place", english(tokens, 1 if paren else None), tokens, True))
                tokens = [trade, *paren, *industry_py]
                made.append(("no_place", romanised(tokens), tokens, True))
                if not paren:
                    tokens = [trade, places_py[-1], *industry_en]
                    made.append(("moved", english(tokens, 1), tokens, False))
            elif paren:
                tokens = [*paren, trade, *industry_en]
                made.append(("moved", english(tokens), tokens, False))
                tokens = [*paren, trade, *industry_py]
                made.append(("moved", romanised(tokens), tokens, False))
        first_syllables = {trade: reading[0], **place_syllables}
        forms.extend(
            BridgeForm(f, text, tuple(t), (trade,), label, _starts(t[0], first_syllables), weak=weak)
            for f, text, t, weak in made
        )
    return forms


def _starts(first: str, syllables: dict[str, str]) -> tuple[str, ...]:
    syllable = syllables.get(first)
    return (first, syllable) if syllable and syllable != first else (first,)


def romanise(text: str) -> str:
    """Joined default pinyin of Chinese text ("利世安" → "lishian"); other text lowercased."""
    return "".join(_syllables(text))


def brand_romanisations(brand: str) -> list[str]:
    """Pinyin of a short Chinese brand, joined and spaced, default reading first, other readings
    after (bounded): for the trademark matcher, which compares marks to every form."""
    if not has_han(brand):
        return []
    out: list[str] = []
    for reading in trade_readings(brand):
        out.extend(["".join(reading), " ".join(reading)])
    return list(dict.fromkeys(out))
