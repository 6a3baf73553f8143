"""Reading US e-commerce IP suits ("Schedule A" cases), shared by the court parsers.

The PACER RSS, RECAP docket, CourtListener and caption parsers all need the same few
judgements: is this caption a Schedule A case, who is the plaintiff and which brand is
asserted, what kind of IP is it (also from docket-text cues, for feeds that carry no nature
of suit), which stage does a docket entry mark, which sellers and stores does a schedule
name.  They live here so that each parser stays about its source's format only (docket
numbers and court ids are in ``dockets``).

Everything here is rules over text: the captions, docket texts and schedules are
formulaic, and rules explain themselves (a statistical model misses most of them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from ipsentry.core.documents import Role
from ipsentry.core.stages import ECOMMERCE_STAGES, OTHER

# ---------------------------------------------------------------------------------------
# Captions
# ---------------------------------------------------------------------------------------

# "v." / "vs." / "versus"; a bare "v" only in lower case, so that a roman numeral in a
# plaintiff's name ("River Light V, LP") is never taken for the separator.
_VERSUS_RE = re.compile(r"\s+(?:[vV][sS]?\.|[vV][sS]\b|versus|VERSUS|v)\s+")
_ET_AL_RE = re.compile(r",?\s+et\.?\s+al\.?\s*$", re.IGNORECASE)
_QUOTE = "\"'“”‘’"
# Schedule A (or "A" in quotes) not followed by "/B", "B" or another letter: bankruptcy
# "Schedule A/B: Property" and "Schedule AB" are other things.
_SCHEDULE_A_RE = re.compile(rf"\bschedules?\s*[{_QUOTE}]?\s*a\s*[{_QUOTE}]?(?![\w/])", re.IGNORECASE)
_SCHEDULE_AB_RE = re.compile(r"\bschedules?\s*a\s*/\s*b\b", re.IGNORECASE)
_IDENTIFIED_ON_RE = re.compile(
    rf"\bidentified\s+(?:on|in)\s+(?:the\s+)?(?:schedule|annex|exhibit|appendix)\s*[{_QUOTE}]?\s*(?:a|1)\b",
    re.IGNORECASE,
)
# The defendant side of a Schedule A caption, also when PACER cuts the title short
# ("… v. The Partnerships and Uninc").
_PLACEHOLDER_DEFENDANTS_RE = re.compile(
    r"(?:partnerships|p'ships|p’ships)\b.*\buninc"
    r"|^(?:the\s+)?partnerships\b"
    r"|^(?:the\s+)?individuals,?\s+(?:corporations|corps\.)",
    re.IGNORECASE,
)
_TTAB_RE = re.compile(
    r"^\s*(?:ex\s+parte\s+appeal|opposition|cancell?ation|concurrent\s+use(?:\s+proceeding)?|"
    r"expungement|reexamination)\b(?:\s+(?:no\.?|by)\b|\s*$)",
    re.IGNORECASE,
)


def _split_caption(caption: str) -> tuple[str, str] | None:
    parts = _VERSUS_RE.split(" ".join(caption.split()), maxsplit=1)
    if len(parts) != 2:
        return None
    return parts[0].strip(), parts[1].strip()


def is_ttab_proceeding(caption: str) -> bool:
    """Trademark Trial and Appeal Board matters: "Ex Parte Appeal by …", "Opposition by …"."""
    return bool(_TTAB_RE.match(caption))


def is_schedule_a(caption: str) -> bool:
    """Whether a caption is a "Schedule A" suit against unnamed online sellers.

    The Schedule A wording must be on the defendant side of the caption: TTAB proceedings
    have no sides, and a bankruptcy "Schedule A/B" is excluded by the pattern itself."""
    if not caption or is_ttab_proceeding(caption) or _SCHEDULE_AB_RE.search(caption):
        return False
    sides = _split_caption(caption)
    if sides is None:
        return False
    return is_placeholder_defendant(sides[1])


def is_placeholder_defendant(name: str) -> bool:
    """A party name that names nobody: "The Partnerships and Unincorporated Associations
    Identified on Schedule A", "Schedule A Defendants" (the sellers are in the schedule)."""
    return bool(
        _SCHEDULE_A_RE.search(name)
        or _IDENTIFIED_ON_RE.search(name)
        or _PLACEHOLDER_DEFENDANTS_RE.search(name)
    ) and not _SCHEDULE_AB_RE.search(name)


def plaintiff_from_caption(caption: str) -> str | None:
    """The part before " v. ", without a trailing "et al" (pseudonyms are kept as written)."""
    sides = _split_caption(caption)
    if sides is None or not sides[0]:
        return None
    return _ET_AL_RE.sub("", sides[0]).strip(" ,") or None


def defendant_from_caption(caption: str) -> str | None:
    """The part after " v. ", without "et al"; None for Schedule A placeholders, which name
    nobody (the sellers are in the schedule)."""
    sides = _split_caption(caption)
    if sides is None or is_schedule_a(caption):
        return None
    return _ET_AL_RE.sub("", sides[1]).strip(" ,") or None


# ---------------------------------------------------------------------------------------
# Nature of the IP right
# ---------------------------------------------------------------------------------------

IPNature = Literal["trademark", "copyright", "patent"]

_NOS_CODES: dict[str, IPNature] = {"820": "copyright", "830": "patent", "835": "patent", "840": "trademark"}
_CAUSE_RE = re.compile(r"\b(?P<title>15|17|35)\s*(?::|u\.?\s*s\.?\s*c\.?\s*§*)\s*(?P<section>\d{1,4})", re.I)
_NATURE_WORDS: tuple[tuple[str, IPNature], ...] = (
    ("trademark", "trademark"),
    ("lanham", "trademark"),
    ("copyright", "copyright"),
    ("patent", "patent"),
)


def _nature_from_words(text: str) -> IPNature | None:
    lowered = text.lower()
    for word, nature in _NATURE_WORDS:
        if word in lowered:
            return nature
    return None


def ip_nature(nature_of_suit: str | None, cause: str | None) -> IPNature | None:
    """ "840 Trademark" / "Property Rights: Patent" / cause "15:1114" → the kind of right.

    The nature-of-suit code wins; the cause is read when the code is missing or generic."""
    if nature_of_suit:
        code = re.match(r"\s*(\d{3})\b", nature_of_suit)
        if code and code[1] in _NOS_CODES:
            return _NOS_CODES[code[1]]
        if nature := _nature_from_words(nature_of_suit):
            return nature
    if cause:
        if match := _CAUSE_RE.search(cause):
            title, section = match["title"], int(match["section"])
            if title == "15" and 1051 <= section <= 1141:  # the Lanham Act
                return "trademark"
            if title == "17":
                return "copyright"
            if title == "35":
                return "patent"
        return _nature_from_words(cause)
    return None


# Docket-text cues of an IP case, for sources without a nature of suit (PACER RSS).  The
# AO 120 / AO 121 reports ("Report on the filing or determination of an action regarding a
# patent or trademark / a copyright") are filed in every new IP case, the others name the
# right or the statute.  "patently" and "copyright notice" in a form's boilerplate are rare
# enough in docket texts to ignore.
_IP_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ao_report", re.compile(r"action\s+regarding\s+a\s+(?:patent|trademark|copyright)", re.I)),
    ("trademark", re.compile(r"\b(?:trademarks?|service\s+marks?|trade\s+dress|lanham\s+act)\b", re.I)),
    ("copyright", re.compile(r"\bcopyright(?:s|ed)?\b", re.I)),
    ("patent", re.compile(r"\bpatent(?:s|ed)?\b", re.I)),
    ("counterfeit", re.compile(r"\bcounterfeit(?:s|ed|ing)?\b", re.I)),
    ("cause", _CAUSE_RE),
)


def ip_cues(text: str) -> list[str]:
    """Which IP cues a docket text carries ("trademark", "ao_report", "cause", …); empty for
    an entry that says nothing about IP.  A cause citation counts only for the IP titles and
    sections (15 U.S.C. 1051-1141, 17, 35)."""
    found: list[str] = []
    for name, pattern in _IP_CUES:
        if name == "cause":
            if any(ip_nature(None, match[0]) for match in pattern.finditer(text)):
                found.append(name)
        elif pattern.search(text):
            found.append(name)
    return found


# ---------------------------------------------------------------------------------------
# Stage from docket text
# ---------------------------------------------------------------------------------------

_LEAD_NOISE_RE = re.compile(r"^[\s\[\]()*#\-:\d]+")
_COMPLAINT_RE = re.compile(r"^(?:(?:first|second|third|fourth|verified|amended|sealed)\s+)*complaint\b")
# Prefixes that do not change what an entry is ("SEALED ORDER", "MINUTE entry", "TEXT ORDER").
_PREFIX = r"(?:(?:sealed|text|minute|amended|agreed|stipulated|electronic|paperless|ex\s+parte|final)\s+)*"
_RULING_START_RE = re.compile(
    _PREFIX + r"(?:order|judgment|temporary\s+restraining\s+order|preliminary\s+injunction|"
    r"default\s+judgment|memorandum\s+(?:opinion\s+)?(?:and|&)\s+order|opinion\s+(?:and|&)\s+order|"
    r"minute\s+entry|memo\s+endorse|endorsed\s+letter|clerk'?s?\s+entry\s+of\s+default|"
    r"entry\s+of\s+default|stipulation\s+and\s+order|consent\s+(?:judgment|decree))"
)
_MOTION_START_RE = re.compile(
    r"(?:(?:sealed|ex\s+parte|emergency|expedited|joint|unopposed|renewed|amended|first|second|"
    r"plaintiffs?'?s?|defendants?'?s?)\s+)*"
    r"(?:motion|application|memorandum|brief|declaration|affidavit|proposed|request|"
    r"notice\s+of\s+(?:motion|hearing)|letter\s+motion)"
)
_GRANTED_RE = re.compile(
    r"\bgrant(?:ed|ing|s)?\b|\bso\s+ordered\b|\b(?:is|are|hereby)\s+entered\b|"
    r"\benter(?:ed|s)?\s+(?:a\s+|the\s+)?(?:sealed\s+)?(?:temporary\s+restraining|preliminary\s+injunction|"
    r"default|final)"
)
_DENIED_RE = re.compile(r"\bden(?:y|ies|ied|ying)\b")

_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "tro",
        re.compile(
            r"temporary\s+restraining\s+order|\btro\b|asset\s+(?:freeze|restraint|restraining)|"
            r"freez(?:e|ing)\s+(?:of\s+)?(?:the\s+)?(?:defendants'?\s+)?assets|restrain(?:ing)?\s+(?:the\s+)?transfer"
        ),
    ),
    ("pi", re.compile(r"preliminary\s+injunction")),
    ("default", re.compile(r"\bdefault(?:ed|ing)?\b|\bfinal\s+judgment")),
    (
        "settlement",
        re.compile(
            r"\bsettle(?:ment|d)\b(?!\s+conference)|\bconsent\s+(?:judgment|decree)|judgment\s*-\s*consent"
        ),
    ),
    (
        "dismissal",
        re.compile(r"\bdismiss(?:al|ed|ing|es)\b|\bvoluntar(?:y|ily)\s+dismiss|\bmotion\s+to\s+dismiss"),
    ),
)
_UNSEAL_RE = re.compile(r"\bunseal")
_VACATE_DEFAULT_RE = re.compile(
    r"\b(?:vacat\w*|set\s+aside|lift\w*)\s+(?:the\s+)?(?:clerk'?s\s+)?(?:entry\s+of\s+)?default"
)


def _normalise_docket_text(text: str) -> str:
    text = text.replace("’", "'").replace("“", '"').replace("”", '"')
    return _LEAD_NOISE_RE.sub("", " ".join(text.lower().split()))


def stage_from_docket_text(text: str) -> str:
    """Map one docket entry's text (or PACER event label) to an ECOMMERCE_STAGES name.

    What an entry *is* comes from how it starts: a ruling ("ORDER granting …", "SEALED
    TEMPORARY RESTRAINING ORDER", "MINUTE entry … is granted"), a motion ("MOTION by
    Plaintiff for …", "[Letter Motion]") or a notice.  What it is *about* is the first
    topic it mentions.  So "Motion for TRO" is ``tro_motion`` and "Order on Motion for
    TRO" is ``tro_granted``; a ruling that only denies is ``other``.  A motion for a
    preliminary injunction alone is ``other`` (the stage list has no "PI motion"); a motion
    for default judgment is ``default`` (the defendants are in default)."""
    t = _normalise_docket_text(text)
    if not t:
        return OTHER
    if _COMPLAINT_RE.match(t):
        return "complaint"
    ruling_start = bool(_RULING_START_RE.match(t))  # before motions: "memorandum opinion and order"
    motion = not ruling_start and bool(_MOTION_START_RE.match(t))
    ruling = ruling_start or (not motion and bool(_GRANTED_RE.search(t)))
    if ruling and _DENIED_RE.search(t) and not _GRANTED_RE.search(t):
        return OTHER
    found = [(m.start(), topic) for topic, pattern in _TOPICS if (m := pattern.search(t))]
    if not found:
        return OTHER
    topics = {topic for _, topic in found}
    first, topic = min(found)
    if (unseal := _UNSEAL_RE.search(t)) and unseal.start() < first:
        # "Motion to unseal Schedule A and the TRO": about the seal, not a new stage.
        return OTHER
    if ruling and t.startswith("order to show cause"):
        # An order to show cause why a PI should not issue is the TRO itself, or scheduling.
        return "tro_granted" if "tro" in topics else OTHER
    if ruling and topic == "tro" and "pi" in topics and re.search(r"\bconvert", t):
        return "preliminary_injunction"
    if topic == "tro":
        if ruling:
            return "tro_granted"
        return "tro_motion" if motion or "motion" in t else OTHER
    if topic == "pi":
        return "preliminary_injunction" if ruling else OTHER
    if topic == "default":
        if _VACATE_DEFAULT_RE.search(t):
            return OTHER
        judgment = re.search(r"default\s+judg(?:e)?ment|final\s+judgment", t)
        return "default_judgment" if ruling and judgment else "default"
    if topic == "settlement":
        return "settlement"
    # dismissal: a defendant's motion to dismiss is not one, a ruling on it or a notice is
    if motion or (not ruling and not re.search(r"dismiss(?:al|ed|ing|es)\b", t)):
        return OTHER
    return "dismissal"


def most_significant_stage(stages: list[str]) -> str:
    """Of several stages read from one entry (PACER lists some entries under two event
    types), the one that matters most: highest severity, then the first."""
    best = OTHER
    for stage in stages:
        if stage == OTHER or stage not in ECOMMERCE_STAGES:
            continue
        if best == OTHER or ECOMMERCE_STAGES[stage].rank > ECOMMERCE_STAGES[best].rank:
            best = stage
    return best


# ---------------------------------------------------------------------------------------
# Parties: roles and countries
# ---------------------------------------------------------------------------------------


def role_from_party_type(party_type: str | None) -> Role:
    """PACER party type ("Plaintiff", "Counter Defendant", "Defendant", …) → Role.

    A counter-defendant is the plaintiff answering a counterclaim, a counter-claimant the
    defendant bringing one: the role that matters for risk is their side of the case."""
    text = (party_type or "").lower()
    if "counter" in text:
        if "defendant" in text:
            return Role.PLAINTIFF
        if "claimant" in text or "plaintiff" in text:
            return Role.DEFENDANT
    if "defendant" in text:
        return Role.DEFENDANT
    if "plaintiff" in text or "petitioner" in text:
        return Role.PLAINTIFF
    if "respondent" in text:
        return Role.RESPONDENT
    return Role.OTHER


_COUNTRY_WORDS: tuple[tuple[str, str], ...] = (
    ("hong kong", "Hong Kong"),
    ("people's republic of china", "China"),
    ("prc", "China"),
    ("chinese", "China"),
    ("china", "China"),
    ("taiwan", "Taiwan"),
    ("german", "Germany"),
    ("japan", "Japan"),
    ("korea", "South Korea"),
    ("vietnam", "Vietnam"),
    ("united kingdom", "United Kingdom"),
)


def country_from_party_info(info: str | None) -> str | None:
    """ "a German Corporation" → Germany; "an individual residing in China" → China."""
    lowered = (info or "").lower()
    for word, country in _COUNTRY_WORDS:
        if re.search(rf"\b{re.escape(word)}\b", lowered):
            return country
    return None


# ---------------------------------------------------------------------------------------
# Defendants in schedules and exhibits: seller aliases, stores, seller ids, marketplace URLs
# ---------------------------------------------------------------------------------------

# A URL with a scheme or "www.", a host with a path, or a bare domain on a common shop TLD
# (defendants that sell from their own site); never the domain of an e-mail address.
_URL_RE = re.compile(
    r"(?<![@\w.-])(?:(?:https?://|www\.)[^\s<>\"'()\[\]|]+"
    r"|(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?/[^\s<>\"'()\[\]|]*"
    r"|(?:[a-z0-9-]+\.)+(?:com|net|org|shop|store|top|xyz|online|site|us|uk|de)\b)",
    re.IGNORECASE,
)
_MARKETPLACE_HOST_RE = re.compile(
    r"(?:^|\.)(amazon|walmart|temu|aliexpress|ebay|dhgate|wish|etsy|shein)\.[a-z.]{2,8}$"
)
# Amazon merchant ids: "A" + 12-13 upper-case letters and digits (A1B2C3D4E5F6G7).
_AMAZON_ID_RE = re.compile(r"\bA[A-Z0-9]{12,13}\b")


@dataclass(frozen=True)
class MarketplaceRef:
    marketplace: str  # "amazon", "walmart", "temu", "aliexpress", "ebay", … or "web"
    seller_id: str | None = None  # merchant id / store id / store name in the URL
    url: str | None = None


def _seller_id_from_url(marketplace: str, path: str, query: dict[str, list[str]]) -> str | None:
    def first(*names: str) -> str | None:
        for name in names:
            if query.get(name):
                return query[name][0]
        return None

    patterns: dict[str, str] = {
        "amazon": r"/shops/([A-Z0-9]+)",
        "walmart": r"/seller/(\d+)",
        "temu": r"-m-(\d+)\.html",
        "aliexpress": r"/store/(?:[a-z-]+/)?(\d+)",
        "ebay": r"/(?:str|usr)/([^/?#]+)",
        "dhgate": r"/store/(\d+)",
        "wish": r"/merchant/([^/?#]+)",
        "etsy": r"/shop/([^/?#]+)",
    }
    if marketplace == "amazon" and (value := first("seller", "me", "merchant")):
        return value
    if marketplace == "temu" and (value := first("mall_id")):
        return value
    if (pattern := patterns.get(marketplace)) and (match := re.search(pattern, path)):
        return match[1]
    return None


def marketplace_refs(text: str) -> list[MarketplaceRef]:
    """Marketplace stores named in a schedule or exhibit: store URLs (with the seller id read
    from them: ``amazon.com/sp?seller=…``, ``walmart.com/seller/…``, ``temu.com/…-m-….html``,
    ``aliexpress.com/store/…``, ``ebay.com/str/…``) and bare Amazon merchant ids.  Other
    URLs are kept as ``web`` (defendants that sell from their own domain)."""
    refs: list[MarketplaceRef] = []
    seen_ids: set[str] = set()
    for match in _URL_RE.finditer(text):
        raw = match[0].rstrip(".,;:")
        url = raw if raw.lower().startswith("http") else f"https://{raw}"
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        market = _MARKETPLACE_HOST_RE.search(host)
        if market is None:
            refs.append(MarketplaceRef(marketplace="web", url=url))
            continue
        seller_id = _seller_id_from_url(market[1], parts.path, parse_qs(parts.query))
        if seller_id:
            seen_ids.add(seller_id)
        refs.append(MarketplaceRef(marketplace=market[1], seller_id=seller_id, url=url))
    for match in _AMAZON_ID_RE.finditer(text):
        value = match[0]
        # Ids mix letters and digits; an all-letter word in capitals ("ADMINISTRATIONS") is not one.
        if sum(ch.isdigit() for ch in value) >= 2 and value not in seen_ids:
            seen_ids.add(value)
            refs.append(MarketplaceRef(marketplace="amazon", seller_id=value))
    return refs


@dataclass
class ScheduleDefendant:
    """One row of a Schedule A: "12 | gaozhixiang | A1B2C3D4E5F6G7 | https://…"."""

    number: int
    alias: str | None  # seller alias / store name as written
    refs: list[MarketplaceRef] = field(default_factory=list)


_ROW_START_RE = re.compile(r"^\s*(?:def(?:endant)?\.?\s*(?:no\.?)?\s*)?(\d{1,4})[.)]?(?=[\s|\t])", re.I)
_CELL_SPLIT_RE = re.compile(r"\s*(?:\t|\||\s{2,})\s*")


def schedule_defendants(text: str) -> list[ScheduleDefendant]:
    """The numbered rows of a Schedule A / exhibit as text (cells split by tabs, pipes or
    runs of spaces).  The alias is the first cell that is neither a URL nor a seller id."""
    rows: list[ScheduleDefendant] = []
    for line in text.splitlines():
        start = _ROW_START_RE.match(line)
        if start is None:
            continue
        rest = line[start.end() :].strip(" |\t")
        refs = marketplace_refs(rest)
        ref_texts = {r.seller_id for r in refs if r.seller_id} | {r.url for r in refs if r.url}
        alias = None
        cells = [c for c in _CELL_SPLIT_RE.split(rest) if c]
        if len(cells) == 1:
            # single-space separated: the alias is what precedes the first URL or id
            cells = [re.split(r"\s+(?=https?://|www\.|A[A-Z0-9]{12,13}\b)", rest, maxsplit=1)[0]]
        for cell in cells:
            if _URL_RE.fullmatch(cell) or _AMAZON_ID_RE.fullmatch(cell) or cell in ref_texts:
                continue
            alias = cell.strip()
            break
        if alias or refs:
            rows.append(ScheduleDefendant(number=int(start[1]), alias=alias, refs=refs))
    return rows


# ---------------------------------------------------------------------------------------
# Brands asserted and the filing law firms
# ---------------------------------------------------------------------------------------

_COMPANY_SUFFIX_RE = re.compile(
    r"(?:,?\s+(?:inc|incorporated|llc|l\.l\.c|ltd|limited|corp|corporation|co|company|lp|l\.p|llp|"
    r"plc|gmbh(?:\s+(?:and|&)\s+co\.?\s+kg)?|ag|s\.?a|s\.?r\.?l|b\.?v|n\.?v|pty|kg)\.?)+$",
    re.IGNORECASE,
)
_PSEUDONYM_RE = re.compile(
    r"^(?:(?:jane|john|the)\s+)?(?:doe|roe|xyz|abc|plaintiff|anonymous|unknown)\b|\bidentified\s+(?:in|on)\b",
    re.IGNORECASE,
)
_BRAND_BEFORE_RIGHT_RE = re.compile(
    r"[\"“]?(?P<brand>[A-Z0-9][A-Za-z0-9&'’.+\-]*(?:\s+[A-Z0-9][A-Za-z0-9&'’.+\-]*){0,3})[\"”]?\s+"
    r"(?:Trademarks?|Marks|Trade\s+Dress|Copyrights?|Copyrighted\s+Works|Works|Design\s+Patents?|Patents?)\b"
)
_NOT_BRANDS = {
    "the",
    "plaintiff",
    "plaintiff's",
    "plaintiffs'",
    "registered",
    "federally",
    "federal",
    "infringing",
    "counterfeit",
    "asserted",
    "u.s.",
    "us",
    "united",
    "states",
    "its",
    "their",
    "such",
    "said",
    "these",
    "common",
    "law",
    "registration",
    "patent",
    "design",
    "utility",
    "copyright",
    "trademark",
    "and",
    "or",
    "of",
    "all",
    "other",
    "certain",
    "genuine",
    "famous",
    "unregistered",
    "defendants'",
    "defendant's",
    # N.D. Ill.'s docket event "Notice of Claims Involving Trademarks" names no brand.
    "notice",
    "claims",
    "involving",
}


def brand_from_plaintiff(plaintiff: str | None) -> str | None:
    """ "GoPro, Inc." → "GoPro"; None for pseudonymous plaintiffs (no brand can be read)."""
    if not plaintiff or _PSEUDONYM_RE.search(plaintiff):
        return None
    name = _COMPANY_SUFFIX_RE.sub("", plaintiff.strip()).strip(" ,.")
    return name or None


def brands_in_text(text: str) -> list[str]:
    """Brands named as the asserted rights in complaint or docket text: "the NIKE
    Trademarks", "(the “GoPro Trademarks”)", "the OAKLEY Design Patents"."""
    brands: list[str] = []
    for match in _BRAND_BEFORE_RIGHT_RE.finditer(text):
        words = match["brand"].split()
        while words and words[0].lower() in _NOT_BRANDS:
            words.pop(0)
        while words and words[-1].lower() in _NOT_BRANDS:
            words.pop()
        brand = " ".join(words).strip("\"“”'’")
        if brand and any(ch.isalpha() for ch in brand) and brand not in brands:
            brands.append(brand)
    return brands


def brands_asserted(plaintiff: str | None, text: str = "") -> list[str]:
    """The plaintiff's brand first, then brands named in the text, without repeats."""
    brands: list[str] = []
    for brand in [brand_from_plaintiff(plaintiff), *brands_in_text(text)]:
        if brand and brand.casefold() not in {b.casefold() for b in brands}:
            brands.append(brand)
    return brands


# Firms that file many Schedule A suits, so that a mention in free text is recognised and
# written one way.  Extend as the center sees new filers.
KNOWN_FIRMS: dict[str, re.Pattern[str]] = {
    "Greer, Burns & Crain": re.compile(r"\bgreer,?\s+burns\s*(?:&|and)\s*crain\b", re.I),
    "Epstein Drangel": re.compile(r"\bepstein\s+drangel\b", re.I),
    "Stephen M. Gaffigan, P.A.": re.compile(r"\bstephen\s+m\.?\s+gaffigan\b", re.I),
    "Keith A. Vogt": re.compile(r"\bkeith\s+a\.?\s+vogt\b", re.I),
    "Hughes Socol Piers Resnick & Dym": re.compile(r"\bhughes\s+socol\b", re.I),
    "Ford Banister": re.compile(r"\bford\s+banister\b", re.I),
}
_GENERIC_FIRM_RE = re.compile(
    r"\b(?P<name>(?:[A-Z][\w'’.]*,?\s+(?:&\s+|and\s+)?){0,5}[A-Z][\w'’.]*),?\s+"
    r"(?P<suffix>LLP|L\.L\.P\.|PLLC|P\.C\.|P\.A\.|Law\s+Group|Law\s+Firm)(?![\w])"
)


def canonical_firm(name: str) -> str:
    """One spelling per firm: the known name if it is one, else the name as written."""
    for canonical, pattern in KNOWN_FIRMS.items():
        if pattern.search(name):
            return canonical
    return " ".join(name.split()).strip(" ,")


def law_firms_in_text(text: str) -> list[str]:
    """Law firms named in free text: the known Schedule A filers, and names ending in a
    firm form (LLP, PLLC, P.C., P.A., Law Group, Law Firm)."""
    firms: list[str] = [name for name, pattern in KNOWN_FIRMS.items() if pattern.search(text)]
    for match in _GENERIC_FIRM_RE.finditer(text):
        firm = canonical_firm(f"{match['name']} {match['suffix']}")
        if firm not in firms:
            firms.append(firm)
    return firms


def firm_from_contact(contact: str | None) -> str | None:
    """PACER attorney contact blocks start with the firm: "Wilson Keadjian Browndorf LLP\\n1900 Main…"."""
    for line in (contact or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if line[0].isdigit() or "@" in line or line.lower().startswith(("email", "fax", "phone", "tel")):
            return None
        return canonical_firm(line)
    return None
