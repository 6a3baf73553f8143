"""Federal docket numbers and court ids: one spelling per case, whatever the source.

PACER feeds, RECAP dockets, CourtListener and caption lists write the same case's number
differently ("1:24-cv-03089", "1-24-cv-3089-ABC") and name courts differently ("NDIL",
``ecf.ilnd.uscourts.gov``, "ilnd").  The case key every source's documents share
(``ilnd:1:24-cv-03089``) is built here, so that threading a case never depends on which
source saw it first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# Federal docket numbers: "1:24-cv-03089", "1-24-cv-03089" (how some lists write the
# office separator), "5:17-cv-291-SP" (judge initials appended, short sequence),
# "1:18-cr-00224-1" (criminal: the defendant number appended) and the bankruptcy form
# "18-00079" (no case type).
_DOCKET_RE = re.compile(
    r"^(?:(?P<office>\d{1,2})[:\-])?(?P<year>\d{2})-(?:(?P<type>[a-z]{1,5})-)?"
    r"(?P<number>\d{1,7})(?P<suffix>(?:-[a-z0-9]{1,5})*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DocketNumber:
    office: str | None
    year: str
    case_type: str | None
    number: str  # zero-padded to five digits, as PACER writes it
    judge_initials: tuple[str, ...] = ()
    defendant_number: int | None = None  # criminal cases list each defendant's entries apart

    def __str__(self) -> str:
        core = (
            f"{self.year}-{self.case_type}-{self.number}" if self.case_type else f"{self.year}-{self.number}"
        )
        return f"{self.office}:{core}" if self.office else core


def parse_docket_number(raw: str) -> DocketNumber | None:
    """Read a federal docket number; None when it is not one (the caller keeps the raw text).
    The string form drops judge initials and the defendant number: one key per case."""
    match = _DOCKET_RE.match(raw.strip())
    if match is None:
        return None
    suffixes = [part for part in match["suffix"].split("-") if part]
    judges = tuple(part.upper() for part in suffixes if not part.isdigit())
    defendants = [int(part) for part in suffixes if part.isdigit()]
    return DocketNumber(
        office=match["office"],
        year=match["year"],
        case_type=match["type"].lower() if match["type"] else None,
        number=match["number"].zfill(5),
        judge_initials=judges,
        defendant_number=defendants[0] if defendants else None,
    )


def normalise_docket_number(raw: str) -> str | None:
    """``1-24-cv-3089-ABC`` → ``1:24-cv-03089``: one spelling per case, whatever the source."""
    parsed = parse_docket_number(raw)
    return str(parsed) if parsed else None


def case_key(court: str, docket_number: str) -> str:
    """The case thread id (``ilnd:1:24-cv-03089``) that every source's documents share."""
    return f"{court}:{normalise_docket_number(docket_number) or docket_number.strip()}"


_DISTRICT_ABBREVIATION_RE = re.compile(r"^(?P<part>[NSEWCM])D(?P<state>[A-Z]{2})$")
_SINGLE_DISTRICT_RE = re.compile(r"^D(?P<state>[A-Z]{2})$")


def court_id_from_abbreviation(abbreviation: str) -> str:
    """``NDIL`` → ``ilnd``, ``DNJ`` → ``njd``: the CourtListener/PACER court ids used as keys.
    Anything else (``TTAB``) is lower-cased as written."""
    text = re.sub(r"[\s.]", "", abbreviation).upper()
    if match := _DISTRICT_ABBREVIATION_RE.match(text):
        return f"{match['state'].lower()}{match['part'].lower()}d"
    if match := _SINGLE_DISTRICT_RE.match(text):
        return f"{match['state'].lower()}d"
    return text.lower()


def court_id_from_url(url: str | None) -> str | None:
    """``https://ecf.wvsd.uscourts.gov/...`` → ``wvsd`` (the label before ``uscourts``)."""
    if not url:
        return None
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()
    labels = host.split(".")
    if "uscourts" in labels:
        index = labels.index("uscourts")
        if index >= 1 and labels[index - 1] not in {"ecf", "www"}:
            return labels[index - 1]
    return None


def is_bankruptcy_court(court_id: str) -> bool:
    # PACER/CourtListener ids: district courts end in "d" (ilnd), bankruptcy courts in "b" (mdb).
    return len(court_id) >= 3 and court_id.endswith("b")
