"""The domain types every part shares: a source record (Document), its parties, its matches.

Parsers return these; the tagger fills ``matches``, ``industries`` and ``severity``; the index
stores them; alerting reads them.  Plain pydantic models, so they serialise to JSON as-is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class RiskKind(StrEnum):
    ITC337 = "itc337"
    ECOMMERCE = "ecommerce"
    TRADEMARK = "trademark"


class Role(StrEnum):
    RESPONDENT = "respondent"
    PROPOSED_RESPONDENT = "proposed_respondent"
    DEFAULTING_RESPONDENT = "defaulting_respondent"
    COMPLAINANT = "complainant"
    DEFENDANT = "defendant"
    PLAINTIFF = "plaintiff"
    APPLICANT = "applicant"
    OWNER = "owner"
    ATTORNEY = "attorney"
    MENTION = "mention"
    OTHER = "other"


# Roles whose party is the target of the action: an enterprise named so is at risk.
ADVERSE_ROLES = frozenset(
    {Role.RESPONDENT, Role.PROPOSED_RESPONDENT, Role.DEFAULTING_RESPONDENT, Role.DEFENDANT}
)


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]


class Party(BaseModel):
    name: str
    role: Role = Role.OTHER
    country: str | None = None  # as written by the source ("China", "Hong Kong", "CN")
    city: str | None = None
    address: str | None = None
    aliases: list[str] = Field(default_factory=list)  # d/b/a, f/k/a, AKA names


class Match(BaseModel):
    """One enterprise recognised in one document, with the evidence for it."""

    enterprise_id: int
    enterprise_name: str | None = None
    kind: str  # "party_name", "mention", "brand", "store", "similar_mark", "industry"
    role: Role = Role.MENTION
    score: float = 1.0
    confidence: str = "high"  # "high" | "low"
    evidence: str = ""
    variant: str = ""  # which registry variant matched


def utcnow() -> datetime:
    return datetime.now(UTC)


class Document(BaseModel):
    """One source record.  ``id`` is stable: ``<source prefix>:<native id>``."""

    id: str
    source: str  # spider / parser name, e.g. "federal_register"
    kind: RiskKind
    native_id: str
    title: str
    summary: str = ""
    text: str = ""
    url: str | None = None
    published: date | None = None
    filed: date | None = None
    fetched: datetime = Field(default_factory=utcnow)
    jurisdiction: str = "US"
    authority: str | None = None  # agency or court, e.g. "USITC", "ilnd"
    case_numbers: list[str] = Field(default_factory=list)  # e.g. ["337-TA-1414"]
    docket_number: str | None = None  # e.g. "DN 3655" (receipt of complaint)
    stage: str = "other"
    parties: list[Party] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    classes: list[int] = Field(default_factory=list)  # Nice classes
    extra: dict[str, Any] = Field(default_factory=dict)  # source-specific facts
    raw_ref: str | None = None  # where the raw payload came from
    # Filled by tagging:
    matches: list[Match] = Field(default_factory=list)
    industries: list[str] = Field(default_factory=list)
    severity: Severity = Severity.INFO

    @property
    def case_id(self) -> str | None:
        """The thread this document belongs to (first case number, else docket number)."""
        if self.case_numbers:
            return self.case_numbers[0]
        return self.docket_number

    @property
    def enterprise_ids(self) -> list[int]:
        return sorted({m.enterprise_id for m in self.matches})

    def content_fingerprint(self) -> str:
        """A hash of what the source said (not of our tags): tells an update from a re-crawl."""
        import hashlib

        payload = self.model_dump_json(
            include={"title", "summary", "text", "stage", "parties", "case_numbers", "published"}
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()
