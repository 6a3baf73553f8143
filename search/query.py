"""The one query language of ipsentry (search API, saved searches, console), parsed once into a
backend-neutral tree.

Syntax::

    query    := or
    or       := and ("OR" and)*
    and      := unary (["AND"] unary)*          -- juxtaposition is AND
    unary    := ("NOT" | "-") unary | primary
    primary  := "(" or ")" | WORD | "PHRASE" | FIELD ":" VALUE | FIELD ":" "QUOTED VALUE"

Precedence is NOT > AND > OR, so ``a b OR c`` is ``(a AND b) OR c``.  Operators are upper case
only, so a lower-case "or" is a word.  Phrases take ASCII quotes or Chinese quotes (“…”), since
Chinese input methods produce the latter.  A word without any letter or digit ("&", "-") is
dropped rather than refused: it would match nothing on any backend and users paste such text.

What each part means (every backend must implement exactly this):

* a word or phrase matches the free-text fields (title, summary, text, products, party names)
  as a sequence of tokens; Chinese/Japanese characters are single tokens, so a Chinese word of
  any length (``华为``, ``英诺赛科``) matches wherever those characters appear contiguously;
* ``party:``, ``firm:`` and ``brand:`` are phrases matched inside one text field (see
  :func:`text_field_values` for what feeds it);
* the other fields compare a normalised exact value (see :func:`keyword_values`);
* ``published:`` takes a day, a month, a year or a range ``a..b`` with optional open ends.

The tree is a handful of frozen dataclasses; backends compile it with a ``match`` statement over
the node types (see ``sqlite_index.py``), so an Elasticsearch/OpenSearch compiler is another
function of the same shape.  The meaning of field values (country names, case numbers) is defined
here once, for the query side and the document side alike, so backends cannot drift apart.
"""

from __future__ import annotations

import calendar
import difflib
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from ipsentry.core.documents import RiskKind, Role
from ipsentry.core.stages import STAGES_BY_KIND
from ipsentry.search.index import QueryError

if TYPE_CHECKING:
    from ipsentry.core.documents import Document

# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class MatchAll:
    """The empty query: every document (filters still apply)."""


@dataclass(frozen=True)
class Word:
    """An unquoted word of free text."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """A quoted phrase of free text: its tokens must appear contiguously, in order."""

    text: str


@dataclass(frozen=True)
class FieldText:
    """A phrase inside one text field (``party``, ``firm`` or ``brand``)."""

    field: str
    text: str


@dataclass(frozen=True)
class FieldValue:
    """An exact, normalised value of a keyword field (``kind:itc337``, ``country:CN``)."""

    field: str
    value: str


@dataclass(frozen=True)
class DateRange:
    """An inclusive date range; ``None`` leaves that end open."""

    field: str
    start: date | None
    end: date | None


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = MatchAll | Word | Phrase | FieldText | FieldValue | DateRange | And | Or | Not
TextLeaf = Word | Phrase | FieldText

# --------------------------------------------------------------------------- field values

# Party countries are written by the source as it likes ("China", "P.R. China", "Hong Kong SAR",
# "CN"); queries say ``country:CN``.  Both sides go through this table so they meet on ISO codes.
_COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "CN": (
        "china",
        "prc",
        "pr china",
        "peoples republic of china",
        "the peoples republic of china",
        "mainland china",
        "chn",
        "中国",
        "中华人民共和国",
        "中国大陆",
    ),
    "HK": ("hong kong", "hong kong sar", "hong kong china", "hongkong", "hkg", "香港", "中国香港"),
    "MO": ("macau", "macao", "macau sar", "macao sar", "澳门", "中国澳门"),
    "TW": ("taiwan", "taiwan roc", "republic of china", "chinese taipei", "twn", "台湾", "中国台湾"),
    "US": ("united states", "united states of america", "usa", "america", "美国"),
    "GB": ("united kingdom", "uk", "great britain", "britain", "england", "英国"),
    "JP": ("japan", "jpn", "日本"),
    "KR": ("korea", "south korea", "republic of korea", "korea republic of", "kor", "韩国"),
    "DE": ("germany", "deu", "德国"),
    "FR": ("france", "fra", "法国"),
    "IT": ("italy",),
    "ES": ("spain",),
    "NL": ("netherlands", "the netherlands", "holland"),
    "CH": ("switzerland",),
    "SE": ("sweden",),
    "CA": ("canada", "加拿大"),
    "MX": ("mexico",),
    "BR": ("brazil",),
    "AU": ("australia",),
    "IN": ("india", "印度"),
    "IL": ("israel",),
    "TR": ("turkey", "turkiye"),
    "AE": ("united arab emirates", "uae"),
    "VN": ("vietnam", "viet nam", "越南"),
    "TH": ("thailand", "泰国"),
    "MY": ("malaysia", "马来西亚"),
    "SG": ("singapore", "新加坡"),
    "ID": ("indonesia",),
    "PH": ("philippines",),
    "KH": ("cambodia",),
}
_COUNTRY_CODES = {name: code for code, names in _COUNTRY_NAMES.items() for name in names}


def _country_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[.,'’()]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def normalize_country(text: str) -> str:
    """ISO 3166 alpha-2 code for a country name or code; unknown names come back upper-cased so
    that ``country:"Costa Rica"`` still equals a party from "Costa Rica"."""
    key = _country_key(text)
    return _COUNTRY_CODES.get(key, key.upper())


_ITC_CASE = re.compile(r"337-(?:TA-)?(\d+)")


def normalize_case_number(text: str) -> str:
    """Case numbers compare upper-cased with spaces collapsed; ITC numbers are written both
    ``337-TA-1414`` (Federal Register) and ``337-1414`` (USITC IDS), so both become the former."""
    value = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().upper()
    itc = _ITC_CASE.fullmatch(value)
    if itc:
        return f"337-TA-{itc.group(1)}"
    return value


def _norm_kind(value: str) -> str:
    value = value.lower()
    known = [kind.value for kind in RiskKind]
    if value not in known:
        raise ValueError(f"unknown kind {value!r}; known: {', '.join(known)}")
    return value


_KNOWN_STAGES = sorted({stage for stages in STAGES_BY_KIND.values() for stage in stages})


def _norm_stage(value: str) -> str:
    value = value.lower()
    if value not in _KNOWN_STAGES:
        close = difflib.get_close_matches(value, _KNOWN_STAGES, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown stage {value!r}{hint}")
    return value


def _norm_int(low: int, high: int, what: str) -> Callable[[str], str]:
    def normalise(value: str) -> str:
        if not re.fullmatch(r"[0-9]+", value) or not low <= int(value) <= high:
            raise ValueError(f"{what} must be a whole number from {low} to {high}, not {value!r}")
        return str(int(value))

    return normalise


def _norm_text(value: str) -> str:
    if not has_token_chars(value):
        raise ValueError("needs some letters or digits")
    return value


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: Literal["text", "keyword", "date"]
    normalise: Callable[[str], str]
    help: str


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("kind", "keyword", _norm_kind, "risk kind: itc337, ecommerce, trademark"),
        FieldSpec("stage", "keyword", _norm_stage, "case stage, e.g. institution, tro_granted"),
        FieldSpec("source", "keyword", str.lower, "source name, e.g. federal_register"),
        FieldSpec("authority", "keyword", str.lower, "agency or court, e.g. usitc, ilnd"),
        FieldSpec("jurisdiction", "keyword", str.upper, "jurisdiction, e.g. US, EU"),
        FieldSpec("enterprise", "keyword", _norm_int(1, 2**63 - 1, "enterprise"), "matched enterprise id"),
        FieldSpec("class", "keyword", _norm_int(1, 45, "a Nice class"), "Nice class 1-45"),
        FieldSpec("country", "keyword", normalize_country, "a party's country (ISO code or name)"),
        FieldSpec("case", "keyword", normalize_case_number, "case or docket number, e.g. 337-TA-1414"),
        FieldSpec("party", "text", _norm_text, "a phrase in a party's name"),
        FieldSpec("firm", "text", _norm_text, "a phrase in a law firm's or attorney's name"),
        FieldSpec("brand", "text", _norm_text, "a phrase in a mark or brand the document is about"),
        FieldSpec("published", "date", str, "a day, month, year or range a..b"),
    )
}
FIELD_ALIASES = {"court": "authority"}

# The free-text fields a word or phrase searches, in the order a backend may weight them.
FREE_TEXT_FIELDS = ("title", "summary", "text", "products", "parties")

# Keys of ``Document.extra`` that parsers use for a mark's wording; ``brand:`` reads them.
_MARK_EXTRA_KEYS = ("mark", "mark_text", "pseudo_mark", "translation", "transliteration", "brand", "brands")
_FIRM_EXTRA_KEYS = ("firm", "firms", "law_firm", "law_firms", "attorneys")
_BRAND_MATCH_KINDS = frozenset({"brand", "similar_mark", "store"})


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def keyword_values(document: Document) -> dict[str, list[str]]:
    """The normalised values each keyword field has for a document (what ``field:value`` is
    compared with); multi-valued fields list every value once."""
    countries = {normalize_country(p.country) for p in document.parties if p.country and p.country.strip()}
    cases = [*document.case_numbers, *([document.docket_number] if document.docket_number else [])]
    return {
        "kind": [document.kind.value],
        "stage": [document.stage.lower()],
        "source": [document.source.lower()],
        "authority": [document.authority.lower()] if document.authority else [],
        "jurisdiction": [document.jurisdiction.upper()],
        "enterprise": [str(i) for i in document.enterprise_ids],
        "class": sorted({str(c) for c in document.classes}, key=int),
        "country": sorted(countries),
        "case": list(dict.fromkeys(normalize_case_number(c) for c in cases if c.strip())),
    }


def text_field_values(document: Document) -> dict[str, list[str]]:
    """The texts behind the free-text fields and the ``party``/``firm``/``brand`` fields."""
    party_names = [name for p in document.parties for name in (p.name, *p.aliases)]
    firms = [name for p in document.parties if p.role == Role.ATTORNEY for name in (p.name, *p.aliases)]
    for key in _FIRM_EXTRA_KEYS:
        firms.extend(_strings(document.extra.get(key)))
    # A trademark document is about its mark, which parsers put in the title.
    brands = [document.title] if document.kind == RiskKind.TRADEMARK else []
    for key in _MARK_EXTRA_KEYS:
        brands.extend(_strings(document.extra.get(key)))
    brands.extend(m.variant for m in document.matches if m.kind in _BRAND_MATCH_KINDS and m.variant)
    return {
        "title": [document.title],
        "summary": [document.summary] if document.summary else [],
        "text": [document.text] if document.text else [],
        "products": list(document.products),
        "parties": party_names,
        "party": party_names,
        "firm": list(dict.fromkeys(firms)),
        "brand": list(dict.fromkeys(brands)),
    }


def has_token_chars(text: str) -> bool:
    """True when the text holds at least one letter or digit, i.e. at least one search token."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


# --------------------------------------------------------------------------- lexer


@dataclass(frozen=True)
class _Token:
    kind: Literal["(", ")", "AND", "OR", "NOT", "TERM"]
    pos: int  # 0-based offset in the query text
    node: Node | None = None
    text: str = ""


_FIELD_PREFIX = re.compile(r"([A-Za-z][A-Za-z_]*):(.*)", re.DOTALL)
_QUOTES = {'"': '"', "“": "”"}
_WORD_STOP = frozenset('()"“')


def _where(pos: int) -> str:
    return f"at character {pos + 1}"


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def tokens(self) -> Iterator[_Token]:
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            start = self.pos
            if ch.isspace():
                self.pos += 1
            elif ch in "()":
                self.pos += 1
                yield _Token("(" if ch == "(" else ")", start)
            elif ch in _QUOTES:
                value = self._quoted()
                if has_token_chars(value):
                    yield _Token("TERM", start, Phrase(value.strip()))
            elif ch == "-" and self._term_follows(self.pos + 1):
                # A leading minus negates the term right after it (``-huawei``, ``-kind:x``).
                self.pos += 1
                yield _Token("NOT", start, text="-")
            else:
                token = self._word()
                if token is not None:
                    yield token

    def _term_follows(self, pos: int) -> bool:
        return pos < len(self.text) and not self.text[pos].isspace() and self.text[pos] != ")"

    def _quoted(self) -> str:
        start = self.pos
        close = _QUOTES[self.text[start]]
        end = self.text.find(close, start + 1)
        if close != '"':  # “ may be closed by a plain quote too (mixed input methods)
            plain = self.text.find('"', start + 1)
            end = plain if end < 0 or 0 <= plain < end else end
        if end < 0:
            raise QueryError(f"unterminated quote {_where(start)}")
        self.pos = end + 1
        return self.text[start + 1 : end]

    def _word(self) -> _Token | None:
        start = self.pos
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch.isspace() or ch in _WORD_STOP:
                break
            self.pos += 1
        word = self.text[start : self.pos]
        if word == "AND" or word == "OR" or word == "NOT":
            return _Token(word, start)
        field = _FIELD_PREFIX.fullmatch(word)
        if field is None:
            return _Token("TERM", start, Word(word)) if has_token_chars(word) else None
        return _Token("TERM", start, self._field(field.group(1), field.group(2), start))

    def _field(self, name: str, value: str, start: int) -> Node:
        canonical = FIELD_ALIASES.get(name.lower(), name.lower())
        spec = FIELDS.get(canonical)
        if spec is None:
            known = ", ".join(sorted([*FIELDS, *FIELD_ALIASES]))
            raise QueryError(
                f"unknown field {name!r} {_where(start)} (known: {known}); "
                "put text containing a colon in quotes"
            )
        if not value:
            nxt = self.text[self.pos] if self.pos < len(self.text) else ""
            if nxt in _QUOTES:
                value = self._quoted()
            elif nxt == "(":
                raise QueryError(
                    f"{name}: {_where(start)} cannot take a group; write (field:a OR field:b) instead"
                )
            else:
                raise QueryError(f"{name}: {_where(start)} has no value")
        value = value.strip()
        try:
            if spec.type == "date":
                low, high = _parse_date_range(value)
                return DateRange(spec.name, low, high)
            normalised = spec.normalise(value)
        except ValueError as error:
            raise QueryError(f"{name}:{value} {_where(start)}: {error}") from None
        if spec.type == "text":
            return FieldText(spec.name, normalised)
        return FieldValue(spec.name, normalised)


# --------------------------------------------------------------------------- dates


def _parse_date(text: str, *, end: bool) -> date:
    """A day, a month or a year; a month or year means its first day at the start of a range
    and its last day at the end of one."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text)
    if match is None:
        raise ValueError(f"bad date {text!r}: write YYYY-MM-DD, YYYY-MM or YYYY")
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else (12 if end else 1)
    if not 1 <= month <= 12:
        raise ValueError(f"bad date {text!r}: month must be 1 to 12")
    last_day = calendar.monthrange(year, month)[1]
    day = int(match.group(3)) if match.group(3) else (last_day if end else 1)
    if not 1 <= day <= last_day:
        raise ValueError(f"bad date {text!r}: day must be 1 to {last_day}")
    return date(year, month, day)


def _parse_date_range(text: str) -> tuple[date | None, date | None]:
    if ".." not in text:
        return _parse_date(text, end=False), _parse_date(text, end=True)
    low_text, _, high_text = text.partition("..")
    if not low_text and not high_text:
        raise ValueError("a range needs at least one end")
    low = _parse_date(low_text, end=False) if low_text else None
    high = _parse_date(high_text, end=True) if high_text else None
    if low and high and low > high:
        raise ValueError(f"the range starts ({low}) after it ends ({high})")
    return low, high


# --------------------------------------------------------------------------- parser


# Deeper nesting is no real query, and the parser and the compilers recurse once per level.
MAX_NESTING = 32


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = list(_Lexer(text).tokens())
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            return MatchAll()
        node = self.parse_or()
        extra = self.peek()
        if extra is not None:  # only a stray ")" can stop parse_or early
            raise QueryError(f"unbalanced ')' {_where(extra.pos)}: no '(' opens it")
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            items.append(self.parse_and(after=token))
        return _combine(Or, items)

    def parse_and(self, after: _Token | None = None) -> Node:
        items = [self.parse_unary(after)]
        while (token := self.peek()) is not None and token.kind != "OR" and token.kind != ")":
            if token.kind == "AND":
                self.take()
                items.append(self.parse_unary(after=token))
            else:
                items.append(self.parse_unary())
        return _combine(And, items)

    def parse_unary(self, after: _Token | None = None) -> Node:
        # A loop, not recursion, so that a long run of NOTs cannot exhaust the stack.
        negations = 0
        while (token := self.peek()) is not None and token.kind == "NOT":
            self.take()
            negations += 1
            after = token
        item = self.parse_primary(after)
        if negations % 2 == 0:
            return item
        return item.item if isinstance(item, Not) else Not(item)

    def parse_primary(self, after: _Token | None) -> Node:
        token = self.peek()
        if token is None:
            if after is not None:
                name = after.text or after.kind
                raise QueryError(f"{name!r} {_where(after.pos)} has no term after it")
            raise QueryError("the query ends too early")
        if token.kind == "TERM":
            self.take()
            assert token.node is not None
            return token.node
        if token.kind == "(":
            self.take()
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise QueryError(f"parentheses nested more than {MAX_NESTING} deep {_where(token.pos)}")
            closing = self.peek()
            if closing is not None and closing.kind == ")":
                raise QueryError(f"empty parentheses {_where(token.pos)}")
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise QueryError(f"unbalanced '(' {_where(token.pos)}: no ')' closes it")
            self.take()
            self.depth -= 1
            return node
        if token.kind == ")":
            raise QueryError(f"unbalanced ')' {_where(token.pos)}: no '(' opens it")
        # AND / OR where a term should be
        if after is not None:
            name = after.text or after.kind
            raise QueryError(f"{name!r} {_where(after.pos)} is followed by {token.kind!r}, not a term")
        raise QueryError(f"{token.kind!r} {_where(token.pos)} has no term before it")


def _combine(kind: type[And] | type[Or], items: list[Node]) -> Node:
    """Flattens nested nodes of the same kind, so ``a AND (b AND c)`` is one ``And``."""
    flat: list[Node] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else (item,))
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def parse_query(text: str) -> Node:
    """Parses query text into a tree; raises :class:`QueryError` saying where and why."""
    return _Parser(text).parse()


# --------------------------------------------------------------------------- helpers for backends


def positive_text_leaves(node: Node) -> list[TextLeaf]:
    """The text leaves not under a NOT: what relevance scoring and highlighting look for."""
    match node:
        case Word() | Phrase() | FieldText():
            return [node]
        case And(items) | Or(items):
            return [leaf for item in items for leaf in positive_text_leaves(item)]
        case _:
            return []


def _quote_if_needed(value: str) -> str:
    plain = value and not any(ch.isspace() or ch in '()"“”:' for ch in value)
    return value if plain and value not in ("AND", "OR", "NOT") else f'"{value}"'


def format_query(node: Node) -> str:
    """The canonical text of a tree; ``parse_query(format_query(t)) == t``."""

    def group(item: Node, *, inside: type[And] | type[Not]) -> str:
        text = format_query(item)
        needs = isinstance(item, Or) or (inside is Not and isinstance(item, And))
        return f"({text})" if needs else text

    match node:
        case MatchAll():
            return ""
        case Word(text):
            return text
        case Phrase(text):
            return f'"{text}"'
        case FieldText(field, text):
            return f'{field}:"{text}"'
        case FieldValue(field, value):
            return f"{field}:{_quote_if_needed(value)}"
        case DateRange(field, start, end):
            return f"{field}:{start.isoformat() if start else ''}..{end.isoformat() if end else ''}"
        case Not(item):
            return f"NOT {group(item, inside=Not)}"
        case And(items):
            return " AND ".join(group(item, inside=And) for item in items)
        case Or(items):
            return " OR ".join(format_query(item) for item in items)
    raise TypeError(f"not a query node: {node!r}")
