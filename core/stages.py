"""The stage vocabulary of each risk kind, in the order a case usually passes through them,
with the base severity an adverse party (respondent, defendant, squatted brand) gets there.

Parsers emit these names; tagging turns role + stage into severity; alerts dedupe per stage."""

from __future__ import annotations

from ipsentry.core.documents import RiskKind, Severity

OTHER = "other"

ITC337_STAGES: dict[str, Severity] = {
    "receipt_of_complaint": Severity.HIGH,
    "institution": Severity.CRITICAL,
    "amendment": Severity.HIGH,  # complaint / notice of investigation amended (new respondents)
    "initial_determination": Severity.HIGH,  # incl. decisions not to review an ID
    "review": Severity.HIGH,  # Commission determination to review an ID
    "final_determination_violation": Severity.CRITICAL,
    "final_determination_no_violation": Severity.MEDIUM,
    "limited_exclusion_order": Severity.CRITICAL,
    "general_exclusion_order": Severity.CRITICAL,
    "cease_and_desist_order": Severity.CRITICAL,
    "consent_order": Severity.HIGH,
    "settlement": Severity.MEDIUM,
    "termination": Severity.MEDIUM,
    "target_date": Severity.MEDIUM,
    "enforcement": Severity.CRITICAL,
    "modification_rescission": Severity.HIGH,
    "advisory_opinion": Severity.MEDIUM,
    "remand": Severity.HIGH,
    "public_interest": Severity.HIGH,
    "schedule": Severity.MEDIUM,  # hearings, meetings, procedural schedules
    OTHER: Severity.MEDIUM,
}

ECOMMERCE_STAGES: dict[str, Severity] = {
    "complaint": Severity.HIGH,
    "tro_motion": Severity.HIGH,
    "tro_granted": Severity.CRITICAL,  # temporary restraining order, asset freeze
    "preliminary_injunction": Severity.CRITICAL,
    "default": Severity.CRITICAL,
    "default_judgment": Severity.CRITICAL,
    "dismissal": Severity.LOW,
    "settlement": Severity.LOW,
    OTHER: Severity.MEDIUM,
}

TRADEMARK_STAGES: dict[str, Severity] = {
    "new_application": Severity.HIGH,
    "published_for_opposition": Severity.CRITICAL,  # the opposition window is open
    "registered": Severity.HIGH,
    "abandoned": Severity.LOW,
    "cancelled": Severity.LOW,
    OTHER: Severity.MEDIUM,
}

STAGES_BY_KIND: dict[RiskKind, dict[str, Severity]] = {
    RiskKind.ITC337: ITC337_STAGES,
    RiskKind.ECOMMERCE: ECOMMERCE_STAGES,
    RiskKind.TRADEMARK: TRADEMARK_STAGES,
}


def adverse_severity(kind: RiskKind, stage: str) -> Severity:
    """Severity for an enterprise that is the target (respondent, defendant, squatted brand)."""
    return STAGES_BY_KIND[kind].get(stage, Severity.MEDIUM)
