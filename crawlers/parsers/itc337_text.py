"""Reading the text of a USITC Section 337 notice: cleaning, numbers, dates, title parts.

The Federal Register serves a notice as GPO plain text inside ``<pre>`` (the ``raw_text_url``):
lines wrapped at about 70 columns, ``[[Page N]]`` markers in the middle of sentences, TeX-style
quotes (````Final ID''``), a few links, HTML entities and Cloudflare's e-mail obfuscation.
:func:`clean_gpo_text` turns that into plain lines and paragraphs; the other helpers read facts
out of plain text and are shared by the raw-text, XML, search-result and news-release parsers.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date

# ---------------------------------------------------------------------------------------------
# Cleaning


@dataclass
class CleanText:
    lines: list[str]  # the text's own lines (page markers removed, wrapped hyphens rejoined)
    paragraphs: list[str]  # wrapped lines joined, one paragraph each
    pages: list[int] = field(default_factory=list)  # the [[Page N]] numbers seen

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


_PRE_RE = re.compile(r"<pre[^>]*>(.*?)(?:</pre>|\Z)", re.S | re.I)
_CF_ANCHOR_RE = re.compile(
    r'<a[^>]*href="[^"]*/cdn-cgi/l/email-protection#([0-9a-fA-F]+)"[^>]*>.*?</a>', re.S | re.I
)
_CF_SPAN_RE = re.compile(r'<span[^>]*data-cfemail="([0-9a-fA-F]+)"[^>]*>.*?</span>', re.S | re.I)
_TAG_RE = re.compile(r"<[^>]+>")
_PAGE_RE = re.compile(r"\n*[ \t]*\[\[Page (\d+)\]\][ \t]*\n*")
_HYPHEN_WRAP_RE = re.compile(r"(?<=[A-Za-z0-9])-[ \t]*\n(?=[A-Za-z0-9])")
_RULE_LINE_RE = re.compile(r"^[ \t]*[=\-_]{5,}[ \t]*$")


def decode_cloudflare_email(hex_string: str) -> str:
    """Cloudflare hides addresses as hex bytes XOR-ed with the first byte; undo it."""
    try:
        data = bytes.fromhex(hex_string)
    except ValueError:
        return ""
    if not data:
        return ""
    key = data[0]
    return bytes(b ^ key for b in data[1:]).decode("utf-8", errors="replace")


def decode_bytes(content: bytes) -> str:
    """Sources say UTF-8; an occasional Windows-1252 byte must not make a notice unreadable."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


_GPO_ENTITY_RE = re.compile(r"\[([a-zA-Z]{2,8})\]")


def _gpo_entity(match: re.Match[str]) -> str:
    decoded = html.unescape(f"&{match.group(1)};")
    return match.group(0) if decoded.startswith("&") else decoded


def decode_gpo_entities(text: str) -> str:
    """GPO writes accented letters as SGML entity names in brackets: "Trevi[ntilde]o"."""
    return _GPO_ENTITY_RE.sub(_gpo_entity, text)


def normalise_quotes(text: str) -> str:
    """GPO text writes ``quotes'' TeX-style and XML uses curly ones; parsers want plain ones
    (and real letters for GPO's bracketed entity names)."""
    text = decode_gpo_entities(text)
    return (
        text.replace("``", '"')
        .replace("''", '"')
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u2018", "'")
        .replace("\u2019", "'")
    )


def html_to_text(markup: str) -> str:
    """Tags dropped, Cloudflare-protected addresses restored, entities decoded."""
    markup = _CF_ANCHOR_RE.sub(lambda m: decode_cloudflare_email(m.group(1)), markup)
    markup = _CF_SPAN_RE.sub(lambda m: decode_cloudflare_email(m.group(1)), markup)
    return html.unescape(_TAG_RE.sub("", markup)).replace("\xa0", " ")


def clean_gpo_text(content: str) -> CleanText:
    """Plain lines and paragraphs of a GPO text rendering (HTML ``<pre>`` or already plain)."""
    match = _PRE_RE.search(content)
    body = match.group(1) if match else content
    if "<" in body and ">" in body:
        body = html_to_text(body)
    body = normalise_quotes(body.replace("\r\n", "\n").replace("\r", "\n"))
    pages = [int(n) for n in _PAGE_RE.findall(body)]
    # A page marker sits between two halves of one sentence (blank lines around it): joining
    # the halves with a plain line break lets the paragraph continue across the page.
    body = _PAGE_RE.sub("\n", body)
    # GPO wraps only at spaces or after a real hyphen ("non-\nconfidential", "337-\nTA-360"):
    # keep the hyphen, drop the break.
    body = _HYPHEN_WRAP_RE.sub("-", body)
    lines = [line.rstrip() for line in body.split("\n")]
    return CleanText(lines=lines, paragraphs=_paragraphs(lines), pages=pages)


def _paragraphs(lines: list[str]) -> list[str]:
    """A new paragraph starts after a blank line or on an indented line (GPO's paragraph mark)."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line.strip() or _RULE_LINE_RE.match(line):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if line.startswith("    ") and current:
            paragraphs.append(" ".join(current))
            current = []
        current.append(line.strip())
    if current:
        paragraphs.append(" ".join(current))
    return [squash(p) for p in paragraphs if p.strip()]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------------------------
# Numbers

# "337-TA-1414", "337-TA- 1414" (wrapped), "337-1414" (USITC IDS/EDIS style).
_CASE_RE = re.compile(r"\b337\s*-\s*(?:TA\s*-\s*)?(\d{1,4})\b", re.I)
# The bracketed header: "[Investigation No. 337-TA-1414]", "[Investigation Nos. 337-TA-928 and
# 337-TA-937 (Consolidated)]", "[Investigation No. 337-TA-928 Investigation No. 337-TA-937
# (Consolidated)]" (wrapped over two lines), "[Inv. No. 337-TA-1153 (Enforcement)]".
_HEADER_RE = re.compile(r"\[\s*(?:Investigation|Inv\.)\s+Nos?\.?\s+(337[^\[\]]{0,400}?)\]", re.I | re.S)


def normalise_case_number(text: str) -> str | None:
    match = _CASE_RE.search(text)
    return f"337-TA-{int(match.group(1))}" if match else None


def case_numbers_in(text: str) -> list[str]:
    """Every 337 investigation number written in ``text``, normalised, in order, once each."""
    return list(dict.fromkeys(f"337-TA-{int(n)}" for n in _CASE_RE.findall(text)))


def header_case_numbers(text: str) -> list[str]:
    """The investigation numbers of the notice's own bracketed header (the first one only).

    Bodies cite other investigations ("see Certain Devices …, Inv. No. 337-TA-360"), so a
    notice's own number is read from its header and nowhere else."""
    match = _HEADER_RE.search(text)
    return case_numbers_in(match.group(1)) if match else []


_DOCKET_RE = re.compile(r"\b(?:DN|Docket\s+No\.?)\s*(\d{3,5})\b")


def docket_number(text: str) -> str | None:
    """The docket number a complaint gets before institution ("DN 3655")."""
    match = _DOCKET_RE.search(text)
    return f"DN {match.group(1)}" if match else None


_PATENT_NUMBER = r"(?:RE|D)?\s?\d{1,2},\d{3}(?:,\d{3})?"
_LIST_SEPARATOR = r"(?:\s*[,;]\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)"
_PATENT_RE = re.compile(
    rf"\bU\.\s?S\.\s+Patent\s+(?:Nos?\.\s*)?({_PATENT_NUMBER}(?:{_LIST_SEPARATOR}"
    rf"(?:U\.\s?S\.\s+Patent\s+)?(?:No\.\s*)?{_PATENT_NUMBER})*)"
)
_NUMBER_RE = re.compile(r"(?:RE|D)?\s?\d{1,2},\d{3}(?:,\d{3})?")
_TRADEMARK_RE = re.compile(
    r"\bTrademark\s+Registration\s+Nos?\.\s*(\d{1,2},\d{3},\d{3}(?:(?:,|;|,?\s*and)\s*\d{1,2},\d{3},\d{3})*)",
    re.I,
)


def patent_numbers(text: str) -> list[str]:
    """US patents named ("U.S. Patent No. 9,195,258", "U.S. Patent Nos. 1,234,567 and …")."""
    found: list[str] = []
    for match in _PATENT_RE.finditer(text):
        found.extend(n.replace(" ", "") for n in _NUMBER_RE.findall(match.group(1)))
    return list(dict.fromkeys(found))


def trademark_registrations(text: str) -> list[str]:
    found: list[str] = []
    for match in _TRADEMARK_RE.finditer(text):
        found.extend(re.findall(r"\d{1,2},\d{3},\d{3}", match.group(1)))
    return list(dict.fromkeys(found))


_REMEDY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("GEO", re.compile(r"\bgeneral\s+exclusion\s+orders?\b|\bGEOs?\b", re.I)),
    ("LEO", re.compile(r"\blimited\s+exclusion\s+orders?\b|\bLEOs?\b", re.I)),
    ("CDO", re.compile(r"\bcease\s+and\s+desist\s+orders?\b|\bCDOs?\b", re.I)),
    ("consent_order", re.compile(r"\bconsent\s+orders?\b", re.I)),
)


def remedies(text: str) -> list[str]:
    """Remedial orders a text names (issued, requested or recommended: the context says which)."""
    return [name for name, pattern in _REMEDY_PATTERNS if pattern.search(text)]


_BOND_RE = re.compile(
    r"\bbond\s+(?:of|in\s+the\s+amount\s+of|set\s+at)\s+((?:[\w-]+\s+){0,4}?\(?\d[\d,.]*\)?\s*(?:percent|%)"
    r"|\$[\d,.]+(?:\s+per\s+[\w ]+?)?(?=[.,;]))",
    re.I,
)


def bond(text: str) -> str | None:
    """The Presidential-review bond named ("one hundred (100) percent", "$1.29 per unit")."""
    match = _BOND_RE.search(text)
    return squash(match.group(1)) if match else None


# ---------------------------------------------------------------------------------------------
# Dates

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
DATE_PATTERN = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.|Feb\.|Mar\.|Apr\.|Jun\.|Jul\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)\s+\d{1,2},\s+\d{4}"
)
_DATE_RE = re.compile(r"([A-Za-z]+)\.?\s+(\d{1,2}),\s+(\d{4})")


def parse_us_date(text: str) -> date | None:
    """ "February 5, 2026" / "Feb. 5, 2026" → date; anything else → None."""
    match = _DATE_RE.search(text)
    if not match:
        return None
    month = _MONTHS.get(match.group(1).lower())
    if month is None:
        return None
    try:
        return date(int(match.group(3)), month, int(match.group(2)))
    except ValueError:
        return None


def parse_iso_date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


_KEY_DATES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "complaint_filed",
        re.compile(
            rf"complaint\s+was\s+filed\s+with\s+the\s+U\.S\.\s+International\s+Trade"
            rf"\s+Commission\s+on\s+({DATE_PATTERN})"
        ),
    ),
    ("instituted", re.compile(rf"\binstituted\s+this\s+investigation\s+on\s+({DATE_PATTERN})")),
    (
        "submissions_due",
        re.compile(
            rf"\b(?:initial\s+)?(?:written\s+)?submissions\b[^.]{{0,260}}?no\s+later\s+than"
            rf"\s+(?:the\s+)?close\s+of\s+business\s+on\s+(?:\w+day,\s+)?({DATE_PATTERN})"
        ),
    ),
    (
        "replies_due",
        re.compile(
            rf"\b[Rr]eply\s+submissions\s+must\s+be\s+filed\s+no\s+later\s+than\s+(?:the\s+)?"
            rf"close\s+of\s+business\s+on\s+(?:\w+day,\s+)?({DATE_PATTERN})"
        ),
    ),
    ("target_date", re.compile(rf"\btarget\s+date\b[^.]{{0,120}}?\b(?:to|is|of|until)\s+({DATE_PATTERN})")),
    (
        "commission_vote",
        re.compile(rf"\bvote\s+for\s+this\s+determination\s+took\s+place\s+on\s+({DATE_PATTERN})"),
    ),
    ("issued", re.compile(rf"\bIssued:\s+({DATE_PATTERN})")),
)


def key_dates(text: str) -> dict[str, str]:
    """Dates a notice states that matter to a respondent, as ISO strings."""
    found: dict[str, str] = {}
    for name, pattern in _KEY_DATES:
        match = pattern.search(text)
        parsed = parse_us_date(match.group(1)) if match else None
        if parsed:
            found[name] = parsed.isoformat()
    return found


# ---------------------------------------------------------------------------------------------
# Titles, sentences

# Segments of a title that are actions, not the product ("Notice of …", "Institution of …").
_ACTION_START_RE = re.compile(
    r"^(?:Notice|Second\s+Notice|Corrected\s+Notice|Institution|Commission|Termination|Terminating|Issuance"
    r"|Issuing|Request|Schedule|Return|Rescission|Extension|Summary\s+of|Section\s+337|Temporary|Finding|Denial"
    r"|and\b|Affirmance|Setting|USITC|Solicitation|Relating)\b",
    re.I,
)
# An action run into the product without a ";" ("Certain … Thereof Institution of Investigation",
# "Certain …, Notice of Institution of Investigation", "Certain …: Institution of Investigation").
_EMBEDDED_ACTION_RE = re.compile(
    r"[,:]?\s+(?=(?:Notice\s+of|Institution\s+of|Issuance\s+of|Commission\s+(?:Determination|Decision))\b)"
)


def split_title(title: str) -> tuple[str | None, str]:
    """(product phrase, action text) of a notice title.

    "Certain Semiconductor Devices …; Notice of a Commission Determination …" →
    ("Certain Semiconductor Devices …", "Notice of a Commission Determination …")."""
    product: str | None = None
    actions: list[str] = []
    for raw_segment in title.split(";"):
        segment = squash(raw_segment)
        if not segment:
            continue
        if product is None and ":" in segment and _ACTION_START_RE.match(segment):
            head, _, tail = segment.partition(":")
            if tail.strip().lower().startswith("certain"):
                actions.append(head.strip())
                product = tail.strip()
                continue
        if product is None and not _ACTION_START_RE.match(segment):
            segment = re.sub(r"^In\s+the\s+Matter\s+of\s+", "", segment, flags=re.I)
            parts = _EMBEDDED_ACTION_RE.split(segment, maxsplit=1)
            product = parts[0].strip().rstrip(",:").strip()
            if len(parts) > 1:
                actions.append(parts[1].strip())
            continue
        actions.append(segment)
    return product or None, "; ".join(actions)


# "… has received a complaint entitled Certain …, DN 3655;" with the real variations: "regarding",
# "entitled regarding", "In the Matter of", quotes, "Thereof. DN 3675", "Thereof 3617;" (no "DN")
# and "DN3450 the Commission" (no ";").
_RECEIPT_RE = re.compile(
    r"\breceived\s+(?:an?\s+)?(?:amended\s+)?complaint\s+(?:entitled\s+)?(?:regarding\s+|titled\s+)?\"?"
    r"(?:In\s+the\s+Matter\s+of\s+)?(?P<product>[A-Z].+?)[.,]?\s+(?:DN\s*|Docket\s+No\.?\s*)?(?P<dn>\d{4})\b\"?\s*(?:[;.]|the\s)",
    re.S,
)


def read_receipt(text: str) -> tuple[str | None, str | None]:
    """(product, docket number) of a receipt-of-complaint notice: "… received a complaint
    entitled Certain …, DN 3655; …".  Those titles carry no product."""
    match = _RECEIPT_RE.search(text)
    if not match:
        return None, docket_number(text)
    return squash(match.group("product")).rstrip(","), f"DN {match.group('dn')}"


def words(text: str) -> frozenset[str]:
    """A set of words written as one string (long vocabularies read better that way)."""
    return frozenset(text.split())


# Words after which a full stop does not end a sentence.
ABBREVIATIONS = words(
    "inc co corp ltd llc l.l.c no nos u.s u.s.c s.a s.a.s n.v b.v l.p lp plc pty ag gmbh mr ms dr st jr sr"
    " fed cir op pub comm'n inv id e.g i.e etc al vs v dist ct sup admin cfr fr seq approx dept ave blvd"
    " rd"
)
_SENTENCE_STARTERS = words(
    "The A An On In This It That These Those Supplements Supplement See Copies Complainant Complainants"
    " Respondent Respondents Notice By For General Hearing-impaired Having Accordingly Written If Any All"
    " Persons Submissions Specifically Id"
)


def sentence_ends(text: str) -> list[int]:
    """Offsets just after each full stop that ends a sentence."""
    ends: list[int] = []
    for match in re.finditer(r"\.(?=\s+[\"(A-Z0-9]|\s*$)", text):
        start = max(text.rfind(" ", 0, match.start()), text.rfind("(", 0, match.start())) + 1
        word = text[start : match.start()].lower().strip("(\"'")
        following = text[match.end() :].lstrip()
        next_word = following.split(" ", 1)[0] if following else ""
        is_abbreviation = word in ABBREVIATIONS or len(word) == 1 or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word)
        if is_abbreviation and next_word not in _SENTENCE_STARTERS:
            continue
        ends.append(match.end())
    return ends


def first_sentence(text: str) -> str:
    ends = sentence_ends(text)
    return text[: ends[0]] if ends else text
