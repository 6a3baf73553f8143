"""Parties of a Section 337 notice, with their roles, read from the notice's own wording.

Notices name parties in a handful of fixed shapes (see SOURCES.md, "Reading a 337 notice"):

* institution notices list them in blocks: "(a) The complainant is: …", "(b) The respondents are
  the following entities alleged to be in violation of section 337, and are the parties upon which
  the complaint is to be served: …" (name, street address and country, one entity after another),
  then "(c) The Office of Unfair Import Investigations …", which is never a party of interest;
* receipt-of-complaint notices: "The complaint names as respondents: X Co., Ltd. of China; Y Ltd.
  of Hong Kong; and Z Inc. of China.";
* later notices restate them in prose: "named as respondents A of City, China; B of …",
  "against defaulting respondent X", "a complaint filed by C of City, State" (complainant);
* USITC news releases list "Name, City, China" one per line.

The rules read structure, not free text: a name is only taken where one of those shapes says
what it is, so a complainant ("on behalf of …", "(a)") is never read as a respondent, and a
respondent named both ways keeps the more specific role.  Aliases (d/b/a, f/k/a, AKA, corrected
corporate names) go into ``Party.aliases``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ipsentry.core.documents import Party, Role
from ipsentry.crawlers.parsers.itc337_text import DATE_PATTERN, sentence_ends, squash, words

# ---------------------------------------------------------------------------------------------
# Places: how a location ends ("…, China", "…, CA 95054", "of Villach, Austria").

_COUNTRIES = {
    name.lower(): name
    for name in (
        "China",
        "People's Republic of China",
        "P.R. China",
        "PRC",
        "Hong Kong",
        "Hong Kong SAR",
        "Macau",
        "Macao",
        "Taiwan",
        "Republic of China",
        "Japan",
        "Korea",
        "South Korea",
        "Republic of Korea",
        "India",
        "Vietnam",
        "Viet Nam",
        "Thailand",
        "Malaysia",
        "Singapore",
        "Indonesia",
        "Philippines",
        "Cambodia",
        "Bangladesh",
        "Pakistan",
        "Sri Lanka",
        "Germany",
        "France",
        "United Kingdom",
        "UK",
        "U.K.",
        "England",
        "Scotland",
        "Wales",
        "Ireland",
        "Netherlands",
        "The Netherlands",
        "Belgium",
        "Luxembourg",
        "Switzerland",
        "Austria",
        "Italy",
        "Spain",
        "Portugal",
        "Sweden",
        "Norway",
        "Denmark",
        "Finland",
        "Iceland",
        "Poland",
        "Czech Republic",
        "Czechia",
        "Slovakia",
        "Slovenia",
        "Hungary",
        "Romania",
        "Bulgaria",
        "Croatia",
        "Serbia",
        "Greece",
        "Cyprus",
        "Malta",
        "Estonia",
        "Latvia",
        "Lithuania",
        "Ukraine",
        "Russia",
        "Russian Federation",
        "Israel",
        "Turkey",
        "Türkiye",
        "United Arab Emirates",
        "UAE",
        "Saudi Arabia",
        "Egypt",
        "South Africa",
        "Canada",
        "Mexico",
        "Brazil",
        "Argentina",
        "Chile",
        "Colombia",
        "Peru",
        "Costa Rica",
        "Dominican Republic",
        "Australia",
        "New Zealand",
        "Cayman Islands",
        "British Virgin Islands",
        "Bermuda",
        "Liechtenstein",
        "Monaco",
        "Jersey",
        "Guernsey",
        "Isle of Man",
        "United States",
        "United States of America",
        "USA",
        "U.S.A.",
        "U.S.",
    )
}
_US_STATES = {
    name.lower()
    for name in words(
        "Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia Hawaii"
        " Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan"
        " Minnesota Mississippi Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania"
        " Tennessee Texas Utah Vermont Virginia Washington Wisconsin Wyoming"
    )
} | {
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "rhode island",
    "south carolina",
    "south dakota",
    "west virginia",
    "district of columbia",
    "puerto rico",
}
_US_CODES = words(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC"
    " ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR"
)
_ZIP_RE = re.compile(r"\s+(?:\d{5}(?:-\d{4})?|\d{6}|[A-Z]\d[A-Z]\s?\d[A-Z]\d|\d{4})$")


def place_country(component: str) -> str | None:
    """The country a location component names: "China" → "China", "CA 95054" / "Texas" →
    "United States" (a US state means the United States; the notices do not write it)."""
    text = _ZIP_RE.sub("", component.strip().rstrip(".;,")).strip()
    text = re.sub(r"^(?:the)\s+", "", text, flags=re.I)
    lowered = text.lower()
    if lowered in _COUNTRIES:
        name = _COUNTRIES[lowered]
        return "United States" if name in {"USA", "U.S.A.", "U.S.", "United States of America"} else name
    if lowered in _US_STATES or text.rstrip(".").replace(".", "") in _US_CODES:
        return "United States"
    return None


# ---------------------------------------------------------------------------------------------
# Names

_SUFFIX_WORDS = (
    r"S\.A\.\s+de\s+C\.V|de\s+C\.V|S\.\s?de\s+R\.L\.\s+de\s+C\.V|Inc|Incorporated|Corp|Corporation|Co|Company|Ltd|Limited|LLC|L\.L\.C|LLP|LP|L\.P|PLC|P\.L\.C|GmbH|AG|SA|S\.A"
    r"|S\.A\.S|SAS|SpA|S\.p\.A|S\.r\.l|SRL|NV|N\.V|BV|B\.V|AB|A/S|AS|Oy|OY|Pty|Pte|ULC|KK|K\.K|KG|Sdn\s+Bhd|Bhd|LTD"
)
_SUFFIX_END_RE = re.compile(rf"(?:\b(?:{_SUFFIX_WORDS})\.?|\bCo\.,?\s*Ltd\.?)\)?$", re.I)
_SUFFIX_ANY_RE = re.compile(rf"\b(?:{_SUFFIX_WORDS})\b", re.I)
_SUFFIX_ONLY_RE = re.compile(rf"^(?:{_SUFFIX_WORDS})\.?$", re.I)
_ALIAS_RE = re.compile(
    r",?\s*\(?\b(?:d/\s?b/\s?a|f/\s?k/\s?a|a/\s?k/\s?a|a\.k\.a\.?|aka|also\s+known\s+as|formerly\s+known\s+as"
    r"|doing\s+business\s+as|formerly)\b\.?:?\s*",
    re.I,
)
_STREET_START_RE = re.compile(
    r"^(?:\d+|No\.|Nos\.|Room|Rm\.?|Floor|Fl\.|Building|Bldg|Unit|Suite|Ste\.?|Block|Blk|Tower|#|Flat"
    r"|P\.?O\.? Box|One|Two|Three|Four|Five|\d+(?:st|nd|rd|th)\s+Floor)\b",
    re.I,
)
# Words that start a clause, not a name, after "respondent(s)".
_NOT_A_NAME = words(
    "the a an to in of on that this these those and or is are was were has have had be been being who which"
    " with for as at by from under named found filed listed remaining active previously collectively each all"
    " both any other several certain may shall should will would can could must did does not no also only"
    " Have Has Did Does Is Are Were Was Had Should May Shall Will Would Can Could Must If In On As To"
    " Respondent Respondents Complainant Complainants Commission ALJ Order Id See Notice"
)
_GENERIC_NAMES = frozenset(
    {
        "respondent",
        "respondents",
        "complainant",
        "complainants",
        "the respondents",
        "the complainants",
        "defaulting respondents",
        "the defaulting respondents",
        "parties",
        "the parties",
        "staff",
        "oui",
        "the commission",
        "commission",
        "alj",
        "the alj",
    }
)
_OUII_RE = re.compile(r"Office\s+of\s+Unfair\s+Import\s+Investigations|\bOUII\b", re.I)


def normalise_name(name: str) -> str:
    """Comparison key: case, punctuation and suffix spelling ("Company"/"Co.") ignored."""
    text = name.lower()
    text = re.sub(r"\bcompany\b", "co", text)
    text = re.sub(r"\bcorporation\b", "corp", text)
    text = re.sub(r"\blimited\b", "ltd", text)
    text = re.sub(r"\bincorporated\b", "inc", text)
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]+", "", text)


def _clean_name(name: str) -> str:
    name = squash(name).strip(" ,;:-\"'")
    name = re.sub(r"^(?:and|or)\s+", "", name)
    name = re.sub(r"^\(\d+\)\s*|^\d+\.\s+|^[-•·]\s*", "", name)
    return name.strip(" ,;:\"'")


def _plausible_name(name: str) -> bool:
    if not name or len(name) > 160 or not re.search(r"[A-Za-z\u4e00-\u9fff]", name):
        return False
    if name.lower() in _GENERIC_NAMES or _OUII_RE.search(name):
        return False
    first = name.split(" ", 1)[0]
    if first in _NOT_A_NAME or (
        first.lower() in {"the", "a", "an"} and " " in name and name.split()[1].islower()
    ):
        return False
    if name[0].islower() and not _SUFFIX_END_RE.search(name):
        # "lululemon athletica inc." and "cBright Lighting, Inc." are real names; a lower-case
        # word without a company suffix is the rest of a sentence.
        return False
    return len(name.split()) <= 20


def _split_aliases(name: str) -> tuple[str, list[str]]:
    """ "X Co., Ltd., AKA Y Co., Ltd." → ("X Co., Ltd.", ["Y Co., Ltd."]); parenthesised too."""
    parts = _ALIAS_RE.split(name)
    main = _clean_name(parts[0].rstrip("("))
    aliases = [_clean_name(re.sub(r"^of\s+", "", p.rstrip(")"))) for p in parts[1:]]
    components = [c for c in re.split(r",\s+", main) if c]
    # An appositive ("Rough Country, the last remaining respondent") is not part of the name.
    for index, component in enumerate(components[1:], start=1):
        if component[:1].islower():
            components = components[:index]
            main = ", ".join(components)
            break
    # "Individual, Company Inc." (a person trading as a company, as USITC writes "Jianzhang
    # Liao, Pinkqueen Apparel Inc."): either half may be what an enterprise registered.
    if (
        len(components) == 2
        and len(components[0].split()) <= 3
        and not _SUFFIX_END_RE.search(components[0])
        and _SUFFIX_END_RE.search(components[1])
        and len(_SUFFIX_END_RE.sub("", components[1]).split()) >= 2
        and not place_country(components[0])
    ):
        aliases.extend(components)
    return main, [a for a in dict.fromkeys(aliases) if a and a != main]


# ---------------------------------------------------------------------------------------------
# One entry: "Name of City, Country" / "Name, City, Country" / "Name, street, city, country"


_PROVINCES = words(
    "guangdong zhejiang jiangsu fujian shandong hebei henan hubei hunan anhui jiangxi sichuan yunnan guizhou"
    " shaanxi shanxi liaoning jilin heilongjiang hainan gansu qinghai guangxi ningxia xinjiang tibet"
    " gyeonggi-do gyeonggi"
) | {"inner mongolia"}
_AREA_RE = re.compile(r"\b(?:District|County|Zone|Area|Province|Prefecture|Township)$", re.I)


def _location_parts(location: str) -> tuple[str | None, str | None]:
    """(city, country) of "Lili Town, China" / "Santa Clara, CA 95054" / "No. 39 …, Gaoxin
    District, Zhuhai, Guangdong, China 519085": the last plain place before the country that is
    not a street line, a district or a province."""
    components = [c.strip() for c in location.split(",") if c.strip()]
    if not components:
        return None, None
    country = place_country(components[-1])
    head = components[:-1] if country else components
    for component in reversed(head):
        place = re.sub(r"^\d{4,6}\s+|\s+\d{4,6}(?:-\d{4})?$", "", component).strip()  # postal codes
        if (
            not place
            or _STREET_START_RE.match(place)
            or re.search(r"\d", place)
            or _AREA_RE.search(place)
            or place.lower() in _PROVINCES
            or place.lower() in _COUNTRIES
        ):
            continue
        return place, country
    return None, country


def parse_entry(entry: str, role: Role) -> Party | None:
    """One party written the way notices list them; ``None`` when it is not a name."""
    text = _clean_name(re.sub(r"\(\s*(?:collectively|hereinafter)[^)]*\)", "", entry))
    if not text:
        return None
    name, location = _split_location(text)
    name, aliases = _split_aliases(name)
    if not _plausible_name(name):
        return None
    city, country = _location_parts(location) if location else (None, None)
    return Party(
        name=name,
        role=role,
        country=country,
        city=city,
        address=re.sub(r"^the\s+", "", squash(location)) if location else None,
        aliases=aliases,
    )


_INSTITUTION_WORDS_RE = re.compile(
    r"(?:University|Institute|Regents|Trustees|Board|Bank|Republic|Government|State|Commonwealth|College"
    r"|Department|Ministry|Academy|Society|Association|Council)$"
)


def _split_location(text: str) -> tuple[str, str | None]:
    # "Name of City, Country": the left-most " of " whose tail is a location.
    for match in re.finditer(r",?\s+of\s+", text):
        head, tail = text[: match.start()], text[match.end() :]
        if head and _is_location(tail) and not _INSTITUTION_WORDS_RE.search(head.strip()):
            return head, tail
    # "Name, City, Country" (news releases) and "Name, street, city, country" (service lists).
    components = [c.strip() for c in re.split(r",\s*", text)]
    if len(components) >= 2 and place_country(components[-1]):
        last_suffix = max((i for i, c in enumerate(components[:-1]) if _SUFFIX_END_RE.search(c)), default=-1)
        first_street = next((i for i, c in enumerate(components) if i > 0 and _is_street(c)), len(components))
        # A street line starts the address of a service list; otherwise the name ends with its
        # last company suffix ("Co., Ltd., Xiamen, China"), or is the first component.
        cut = first_street if first_street < len(components) else (last_suffix + 1 if last_suffix >= 0 else 1)
        cut = max(cut, 1)
        location = components[cut:]
        if location and all(_is_location_component(c) or _is_street(c) for c in location):
            return ", ".join(components[:cut]), ", ".join(location)
    # "Name, of Somewhere" with a place we do not know (or a truncated one): ", of" still ends
    # the name.
    head, separator, tail = text.rpartition(", of ")
    if separator and head and _is_location_component(tail.split(",")[0]):
        return head, tail
    return text, None


_STREET_WORD_RE = re.compile(
    r"(?:stra(?:ss|ß)e|str\.|street|st\.|road|rd\.?|avenue|ave\.?|boulevard|blvd\.?|lane|drive|highway|way|circle"
    r"|parkway|plaza|weg|gasse|platz|allee|via|calle|rue)\b",
    re.I,
)


def _is_street(component: str) -> bool:
    """A street line: "No. 39 …", "3945 Freedom Circle", "Siemensstrasse 2", "Room 1201"."""
    return bool(
        _STREET_START_RE.match(component)
        or (re.search(r"\d", component) and _STREET_WORD_RE.search(component))
        or re.fullmatch(r"[A-Za-zÀ-ÿ.\- ]+\s\d+[a-zA-Z]?", component)
    )


def _is_location_component(component: str) -> bool:
    component = component.strip()
    if not component or (_SUFFIX_END_RE.search(component) and not place_country(component)):
        return False
    if place_country(component):
        return True
    return len(component.split()) <= 5 and not re.search(r"\bof\b", component)


def _is_location(text: str) -> bool:
    components = [c.strip() for c in text.split(",") if c.strip()]
    return (
        bool(components)
        and place_country(components[-1]) is not None
        and all(_is_location_component(c) for c in components)
    )


# ---------------------------------------------------------------------------------------------
# Lists: "A of X; B of Y; and C of Z" / "A of El Segundo, California, and B of Villach, Austria"

_DEFINED_TERM_RE = re.compile(r"\s*\(\s*(?:the\s+)?\"[^\"]{1,80}\"\s*\)|\s*\(\s*collectively[^)]*\)", re.I)
_TERM_BETWEEN_ENTRIES_RE = re.compile(
    r"\s*\(\s*(?:the\s+)?\"[^\"]{1,80}\"\s*\)\s*(?:[,;]\s*(?:and\s+)?|\s+and\s+)(?=[A-Za-z][\w.&'-]*\s+[A-Z])"
)
_QUOTED_TERM_RE = re.compile(r"\s*\(\s*(?:the\s+)?\"[^\"]{1,80}\"\s*\)")
_NUMBERING_RE = re.compile(r"(?:^|(?<=[\s;:]))\(\d{1,2}\)\s+|(?:^|(?<=[\s;:]))[ivx]{1,4}\)\s+")


def _top_level_split(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside parentheses (names carry "(Suzhou)", "(d/b/a X)")."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def split_party_list(text: str) -> list[str]:
    """The entries of a list of parties, in order."""
    text = _NUMBERING_RE.sub("", _DEFINED_TERM_RE.sub("", squash(text)))
    entries: list[str] = []
    for piece in _top_level_split(text, ";"):
        piece = re.sub(r"^\s*(?:and|or)\s+", "", piece.strip())
        if piece:
            entries.extend(_split_after_places(piece))
    return [e for e in (e.strip(" ,") for e in entries) if e]


def _split_after_places(piece: str) -> list[str]:
    """Split "A of X, State, and B of Y, Country" after each location end that another named
    entity follows (the next part must not itself be a place: "Washington, DC")."""
    out: list[str] = []
    start = 0
    for match in re.finditer(r"(,?\s+and\s+|,\s+)(?=[A-Za-z0-9])", piece):
        before = piece[start : match.start()]
        last = re.split(r",|\s+of\s+", before)[-1]
        if before.count("(") != before.count(")"):
            continue
        if not place_country(last):
            # "Katun Corporation and General Plastic Industrial Co. Ltd.": no location, but the
            # left part ends with a company suffix and a new capitalised name follows.
            after = piece[match.end() :]
            ends_like_name = _SUFFIX_END_RE.search(before.strip()) or _ALIAS_RE.search(
                before.rsplit(",", 1)[-1]
            )
            if not (ends_like_name and after[:1].isupper()):
                continue
            next_entry = re.split(r";|,?\s+and\s+", after, maxsplit=1)[0]
            if (
                _SUFFIX_ONLY_RE.match(re.split(r"[,\s]", after, maxsplit=1)[0])
                or place_country(re.split(r",", after, maxsplit=1)[0])
                or _is_location(next_entry)
            ):
                # "Co., Ltd." or "BASF Corporation, Florham Park, New Jersey": not a new name.
                continue
            out.append(before)
            start = match.end()
            continue
        after = piece[match.end() :]
        next_component = re.split(r",|\s+and\s+", after, maxsplit=1)[0]
        if place_country(next_component):
            continue
        if not re.search(r"\bof\b|,", before):
            # "Procter and Gamble": a place-looking word but no location form before it.
            continue
        out.append(before)
        start = match.end()
    out.append(piece[start:])
    return out


def parse_party_list(text: str, role: Role) -> list[Party]:
    text = text.strip()
    if text.startswith("(") and text.endswith(")") and ";" not in text:
        # "the remaining respondents (Amazon, Dell, Lenovo, and Samsung)": short names only.
        names = re.split(r",\s*(?:and\s+)?|\s+and\s+", text[1:-1])
        return [Party(name=n.strip(), role=role) for n in names if _plausible_name(n.strip())]
    entries: list[str] = []
    for entry in split_party_list(text):
        if (
            re.search(r"\sand\s|,", entry)
            and not _SUFFIX_ANY_RE.search(entry)
            and not _ALIAS_RE.search(entry)
            and not re.search(r"\bof\b", entry)
            and not place_country(entry.rsplit(",", 1)[-1])
        ):
            # "orders directed against ScienCell, Aspira, and eEnzyme": short names, one each.
            entries.extend(p for p in re.split(r",\s*(?:and\s+)?|\s+and\s+", entry) if p.strip())
        else:
            entries.append(entry)
    return [p for p in (parse_entry(e, role) for e in entries) if p]


# ---------------------------------------------------------------------------------------------
# Institution blocks: "(a) The complainant is: …  (b) The respondents are …: …  (c) The Office …"

_BLOCK_START = {
    Role.COMPLAINANT: re.compile(r"\(a\)\s+The\s+complainants?\s+(?:is|are)\b[^:]*:", re.I | re.S),
    Role.RESPONDENT: re.compile(r"\(b\)\s+The\s+respondents?\s+(?:is|are)\b[^:]*:", re.I | re.S),
}
_BLOCK_END_RE = re.compile(r"^\s*\((?:[a-e]|\d{1,2})\)\s|^\s*By\s+order\s+of\s+the\s+Commission", re.I | re.M)
_LINE_END_PLACE_RE = re.compile(r"(?:^|[,\s])([A-Za-z.' ]{2,40}?)(?:\s+\d{4,6}(?:-\d{4})?)?\s*[.;]?$")


def institution_block_parties(lines_text: str) -> list[Party]:
    """Parties of the "(a) … (b) … (c)" service list of an institution notice."""
    parties: list[Party] = []
    for role, start_re in _BLOCK_START.items():
        match = start_re.search(lines_text)
        if not match:
            continue
        rest = lines_text[match.end() :]
        end = _BLOCK_END_RE.search(rest)
        block = rest[: end.start()] if end else rest
        for entry_lines in _block_entries(block):
            party = _block_entry_party(entry_lines, role)
            if party:
                parties.append(party)
    return parties


def _ends_with_place(line: str) -> bool:
    last = re.split(r",", line.strip().rstrip(";."))[-1]
    return place_country(last) is not None


def _block_entries(block: str) -> list[list[str]]:
    """Entities of a block: each ends on a line that ends with a country / state (+ postal
    code); blank lines also separate them."""
    entries: list[list[str]] = []
    current: list[str] = []
    for raw in block.split("\n"):
        line = raw.strip()
        if not line:
            if current:
                entries.append(current)
                current = []
            continue
        if _OUII_RE.search(line):
            break
        current.append(line)
        if _ends_with_place(line) and not line.endswith(","):
            entries.append(current)
            current = []
    if current:
        entries.append(current)
    return entries


def _block_entry_party(lines: list[str], role: Role) -> Party | None:
    if (
        len(lines) > 1
        and not lines[0].endswith(",")
        and (_SUFFIX_END_RE.search(lines[0].rstrip(",")) or _STREET_START_RE.match(lines[1]))
    ):
        # "Name" / "street" / "city, country" on lines of their own.
        name, location = lines[0], ", ".join(line.rstrip(",") for line in lines[1:])
    else:
        joined = squash(" ".join(lines))
        name, location_or_none = _split_location(joined)
        location = location_or_none or ""
    name, aliases = _split_aliases(name.rstrip(","))
    if not _plausible_name(name):
        return None
    city, country = _location_parts(location) if location else (None, None)
    return Party(name=name, role=role, country=country, city=city, address=location or None, aliases=aliases)


# ---------------------------------------------------------------------------------------------
# Prose: "on behalf of …", "named as respondents …", "against defaulting respondent …"

_COMPLAINANT_TRIGGERS = re.compile(
    # "imported by or on behalf of X" names the TARGET of an order, not the complainant.
    r"\b(?:(?<!by or )on\s+behalf\s+of|complaint\s+(?:was\s+)?filed\s+by|(?<!motion\s)filed\s+by"
    r"|[Cc]omplainants?)\s+(?=[A-Z0-9])"
)
_RESPONDENT_TRIGGERS = re.compile(
    r"\b(?:(?P<proposed>names\s+as\s+(?:proposed\s+)?respondents|proposed\s+respondents\s+(?:are|is))"
    r"|(?P<named>named\s+as\s+(?:(?P<ndef>defaulting\s+)?respondents?))"
    r"|(?P<following>following\s+(?:(?P<fdef>defaulting\s+)?respondents?)(?P<ftail>[^:.]{0,60}?):)"
    r"|(?P<namely>respondents?\s+(?P<ydef>found\s+to\s+be\s+in\s+default\s+)?[^.]{0,60}?namely,)"
    r"|(?P<plain>(?P<pdef>(?:defaulting|defaulted)\s+)?[Rr]espondents?))"
    r":?\s+"
)
_ORDER_TARGET_RE = re.compile(
    r"\b(?:exclusion|desist|consent)\s+orders?\s+(?:(?:is\s+|are\s+)?(?:directed\s+)?(?:against|to))\s+"
    r"(?!(?i:the|certain|each|all|any|two|three|five|one|respondents?|defaulting|defaulted)\b)(?=[A-Za-z])"
    # "products imported by or on behalf of X": X is whom the order is against.  A capitalised
    # "The" starts a name here ("The Chamberlain Group, Inc.").
    r"|\b(?:imported|manufactured|sold)[^.;]{0,40}?\bby\s+or\s+on\s+behalf\s+of\s+"
    r"(?!(?i:certain|each|all|any|respondents?|defaulting|defaulted)\b)(?!the\b)(?=[A-Z])"
)
_ADD_RESPONDENT_RE = re.compile(
    r"\badd\s+(?P<span>[A-Z][^.;]{2,200}?),?\s+as\s+(?:a\s+|an\s+)?(?:new\s+)?respondent\b"
)
_CLAUSE_END_RE = re.compile(
    r"\s+(?:based|to|for|with\s+respect|has|have|had|that|as\s+(?:a|an|the|to)|in\s+the|in\s+this|from|under"
    r"|was|were|is|are|who|which|regarding|during|pursuant|by\s+reason|by\s+the|on\s+(?:"
    + DATE_PATTERN
    + r")"
    r"|previously|because|and\s+(?:to|the|a|an|that|in|on|its|their)|in\s+violation|in\s+default|on\s+the\s+basis"
    r"|requesting|seeking|moved|filed|named|infringe|infringing|did|does|et\s+al)\b"
    r"|(?:[,;]\s*|\s+)(?:and\s+)?(?:the\s+)?(?:defaulting\s+|defaulted\s+)?respondents?\b"
    r"|\s+and\s+(?:an?\s+)?(?:cease|limited|general|consent)\b|\s+(?:or|and)\s+any\s+of\s+(?:its|their)\b"
    r"|\s+fail(?:ed|s)?\b|\s+and\s+[a-z]+\s+[a-z]"
    r"|\s+Supplements?\s+(?:to|was|were)\b"
    r"|'s\b|\s+\(\s*\"|\s*\(collectively|\s*\(the\s+\"|\.\s+\d+\s+FR\b|\s+\d+\s+FR\s+\d"
)


# Suffixes written with a full stop ("Inc.", "Co., Ltd."), unlike "LLC" or "PLC".
DOTTED_SUFFIXES = words("inc co corp ltd l.l.c n.v b.v s.a l.p pte c.v s.a.s k.k s.p.a jr sr")


def _span(text: str, start: int, *, max_length: int = 1500) -> str:
    """From ``start`` to the end of the clause: the list a trigger introduces."""
    limit = start + max_length
    window = text[start:limit]
    ends = [e for e in sentence_ends(window) if e > 0]
    stop = ends[0] if ends else len(window)
    clause = _CLAUSE_END_RE.search(window)
    if clause and clause.start() < stop:
        stop = clause.start()
    span = window[:stop].rstrip(" ,;:")
    if span.endswith("."):
        # Keep the full stop of "Inc." / "Co., Ltd." that also ended the sentence.
        word = span[:-1].rsplit(" ", 1)[-1].lower().strip("(")
        if word not in DOTTED_SUFFIXES:
            span = span[:-1]
    return span.rstrip(" ,;:")


def prose_parties(text: str, *, receipt: bool = False) -> list[Party]:
    """Complainants and respondents named in running text (already squashed to one line).

    ``receipt``: the notice announces a complaint, so respondents are "proposed" ones."""
    parties: list[Party] = []
    # Short names defined in passing ("Hitachi Koki U.S.A., Ltd. ("Hitachi") of Braselton") sit
    # between a name and its location: drop them, keep "(collectively, …)" which tells roles.
    # A short name between two list entries marks where one ends: 'La Modish Boutique ("La
    # Modish"), Star Bay Group Inc.' has no other boundary.
    text = _TERM_BETWEEN_ENTRIES_RE.sub("; ", text)
    text = _QUOTED_TERM_RE.sub("", text)
    for match in _COMPLAINANT_TRIGGERS.finditer(text):
        parties.extend(parse_party_list(_span(text, match.end()), Role.COMPLAINANT))
    for match in _RESPONDENT_TRIGGERS.finditer(text):
        defaulting = bool(
            match.group("ndef")
            or match.group("fdef")
            or match.group("pdef")
            or match.group("ydef")
            or (match.group("ftail") and "default" in match.group("ftail"))
        )
        role = Role.DEFAULTING_RESPONDENT if defaulting else Role.RESPONDENT
        if match.group("proposed") or (receipt and not defaulting):
            role = Role.PROPOSED_RESPONDENT
        shared = re.search(r"\(all\s+of\s+([^)]+)\)", match.group("ftail") or "")
        shared_country = place_country(shared.group(1)) if shared else None
        span = _span(text, match.end())
        if match.group("plain") and not _starts_like_name(span):
            continue
        after = text[match.end() + len(span) : match.end() + len(span) + 80]
        if re.match(r"\s*\(collectively,?\s+(?:the\s+)?\"?defaulting", after, re.I):
            role = Role.DEFAULTING_RESPONDENT
        listed = parse_party_list(span, role)
        for party in listed:
            # "the following defaulting respondents (all of Mexico): A; B; C"
            party.country = party.country or shared_country
        parties.extend(listed)
    for match in _ORDER_TARGET_RE.finditer(text):
        span = _span(text, match.end())
        if _starts_like_name(span):
            parties.extend(parse_party_list(span, Role.RESPONDENT))
    for match in _ADD_RESPONDENT_RE.finditer(text):
        parties.extend(parse_party_list(match.group("span"), Role.RESPONDENT))
    return parties


def _starts_like_name(span: str) -> bool:
    if not span:
        return False
    first = span.split(" ", 1)[0].strip("(,")
    if first in _NOT_A_NAME or first.lower() in {"the", "a", "an"}:
        return first == "The" and len(span.split()) > 1 and span.split()[1][:1].isupper()
    if span[0].isupper() or span[0].isdigit() or span[0] == "(":
        return True
    return bool(_SUFFIX_END_RE.search(span.split(";")[0].split(" of ")[0]))


_RENAME_RE = re.compile(
    r"\b(?:correct|change|amend)\s+the\s+(?:corporate\s+)?(?:title|name)\s+of\s+(?:[Rr]espondent\s+)?"
    r"(?P<old>[A-Z][^;]{2,150}?)\s+to\s+(?P<new>[A-Z][^;]{2,150}?)(?=\.\s|\.$|;|\s+See\b|,\s+and\b)"
    r"|\bsubstitute\s+(?P<new2>[A-Z][^;]{2,150}?)\s+in\s+place\s+of\s+(?:named\s+)?(?:[Rr]espondent\s+)?"
    r"(?P<old2>[A-Z][^;.]{2,150}?)(?=\.\s|\.$|;|,)"
)


def renamed_parties(text: str) -> list[tuple[str, str]]:
    """(old name, new name) pairs of "correct the corporate title of Respondent X to Y"."""
    pairs: list[tuple[str, str]] = []
    for match in _RENAME_RE.finditer(text):
        old = match.group("old") or match.group("old2")
        new = match.group("new") or match.group("new2")
        old, new = _clean_name(old), _clean_name(new)
        # The sentence's full stop was the suffix's own ("… Holding Co., Ltd."): give it back.
        old, new = (re.sub(r"\b(Ltd|Inc|Co|Corp)$", r"\1.", n) for n in (old, new))
        pairs.append((old, new))
    return pairs


# ---------------------------------------------------------------------------------------------
# Merging

_ROLE_RANK = {
    Role.COMPLAINANT: 5,
    Role.DEFAULTING_RESPONDENT: 4,
    Role.RESPONDENT: 3,
    Role.PROPOSED_RESPONDENT: 2,
}


def merge_parties(parties: Iterable[Party], renames: Iterable[tuple[str, str]] = ()) -> list[Party]:
    """One party per entity: same name (normalised) and compatible country merge; the more
    specific role wins; a complainant is never also a respondent; renamed names become aliases."""
    merged: list[Party] = []
    for party in parties:
        key = normalise_name(party.name)
        existing = next(
            (
                p
                for p in merged
                if key in {normalise_name(n) for n in [p.name, *p.aliases]}
                and (p.country is None or party.country is None or p.country == party.country)
            ),
            None,
        )
        if existing is None:
            merged.append(party.model_copy(deep=True))
            continue
        if _ROLE_RANK.get(party.role, 0) > _ROLE_RANK.get(existing.role, 0):
            existing.role = party.role
        existing.country = existing.country or party.country
        existing.city = existing.city or party.city
        existing.address = existing.address or party.address
        existing.aliases = list(dict.fromkeys([*existing.aliases, *party.aliases]))
    for old, new in renames:
        for party in merged:
            names = {normalise_name(n) for n in [party.name, *party.aliases]}
            if normalise_name(old) in names or normalise_name(new) in names:
                party.aliases = [a for a in dict.fromkeys([*party.aliases, old, new]) if a != party.name]
    # A short name used later in the text ("a cease and desist order directed against Hitachi")
    # is the same entity as the full name it abbreviates.
    for short in list(merged):
        if short.country or _SUFFIX_END_RE.search(short.name) or len(normalise_name(short.name)) < 3:
            continue
        full = next(
            (
                p
                for p in merged
                if p is not short
                and normalise_name(p.name).startswith(normalise_name(short.name))
                and normalise_name(p.name.split()[0]) == normalise_name(short.name.split()[0])
            ),
            None,
        )
        if full is not None:
            if _ROLE_RANK.get(short.role, 0) > _ROLE_RANK.get(full.role, 0):
                full.role = short.role
            merged.remove(short)
    # Drop entries that are only another entry's alias read as a name of its own.
    alias_keys = {normalise_name(a): p for p in merged for a in p.aliases}
    merged = [p for p in merged if alias_keys.get(normalise_name(p.name), p) is p]
    complainants = {normalise_name(p.name) for p in merged if p.role == Role.COMPLAINANT}
    return [p for p in merged if p.role == Role.COMPLAINANT or normalise_name(p.name) not in complainants]


def extract_parties(text: str, lines_text: str = "", *, receipt: bool = False) -> list[Party]:
    """All parties a notice names: service-list blocks first (they carry addresses), then prose."""
    found = institution_block_parties(lines_text) if lines_text else []
    found.extend(prose_parties(text, receipt=receipt))
    return merge_parties(found, renamed_parties(text))
