"""Severity from role, confidence and stage."""

from __future__ import annotations

import pytest

from ipsentry.core.documents import Match, RiskKind, Role, Severity
from ipsentry.tagging.severity import document_severity, match_severity


def match(role: Role, *, kind: str = "party_name", confidence: str = "high") -> Match:
    return Match(enterprise_id=1, kind=kind, role=role, confidence=confidence)


@pytest.mark.parametrize(
    ("kind", "stage", "role", "expected"),
    [
        (RiskKind.ITC337, "institution", Role.RESPONDENT, Severity.CRITICAL),
        (RiskKind.ITC337, "receipt_of_complaint", Role.PROPOSED_RESPONDENT, Severity.HIGH),
        (RiskKind.ITC337, "general_exclusion_order", Role.DEFAULTING_RESPONDENT, Severity.CRITICAL),
        (RiskKind.ITC337, "termination", Role.RESPONDENT, Severity.MEDIUM),
        (RiskKind.ECOMMERCE, "tro_granted", Role.DEFENDANT, Severity.CRITICAL),
        (RiskKind.ECOMMERCE, "dismissal", Role.DEFENDANT, Severity.LOW),
        (RiskKind.ITC337, "institution", Role.COMPLAINANT, Severity.INFO),
        (RiskKind.ECOMMERCE, "tro_granted", Role.PLAINTIFF, Severity.INFO),
        (RiskKind.TRADEMARK, "new_application", Role.APPLICANT, Severity.INFO),
        (RiskKind.ITC337, "institution", Role.MENTION, Severity.LOW),
        (RiskKind.ITC337, "institution", Role.OTHER, Severity.LOW),
    ],
)
def test_role_and_stage_decide(kind: RiskKind, stage: str, role: Role, expected: Severity) -> None:
    assert match_severity(match(role), kind, stage) is expected


def test_a_low_confidence_adverse_match_is_one_step_lower() -> None:
    assert (
        match_severity(match(Role.RESPONDENT, confidence="low"), RiskKind.ITC337, "institution")
        is Severity.HIGH
    )
    assert (
        match_severity(match(Role.DEFENDANT, confidence="low"), RiskKind.ECOMMERCE, "dismissal")
        is Severity.LOW
    )


def test_a_squatted_brand_is_adverse_whatever_the_role() -> None:
    squat = match(Role.MENTION, kind="similar_mark")
    assert match_severity(squat, RiskKind.TRADEMARK, "published_for_opposition") is Severity.CRITICAL
    own_filing = match(Role.APPLICANT, kind="similar_mark")
    assert match_severity(own_filing, RiskKind.TRADEMARK, "published_for_opposition") is Severity.INFO


def test_a_document_is_as_severe_as_its_worst_match() -> None:
    matches = [match(Role.COMPLAINANT), match(Role.MENTION), match(Role.RESPONDENT)]
    assert document_severity(matches, RiskKind.ITC337, "institution") is Severity.CRITICAL
    assert document_severity(matches[:2], RiskKind.ITC337, "institution") is Severity.LOW
    assert document_severity([], RiskKind.ITC337, "institution") is Severity.INFO
