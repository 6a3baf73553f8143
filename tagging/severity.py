"""Severity of a match and of a document, from the enterprise's role and the case stage.

=====================================  ==================================================
role of the matched enterprise         severity
=====================================  ==================================================
respondent, proposed / defaulting       ``adverse_severity(kind, stage)`` (core/stages.py):
respondent, defendant                   critical at institution, TRO, exclusion order…
squatted brand (kind ``similar_mark``)  the same, whatever role the filing gives it
complainant, plaintiff                  info (the enterprise is the one asserting rights)
applicant, owner, attorney              info (its own filing, its own counsel)
mention (free text), other              low
=====================================  ==================================================

A low-confidence adverse match (fuzzy, ambiguous or place-less) is one step lower: a possible
"critical" is reported as "high" until someone confirms it, so it still reaches the enterprise
but does not page anyone as a certainty.  A document is as severe as its worst match, info when
nothing matched.
"""

from __future__ import annotations

from collections.abc import Iterable

from ipsentry.core.documents import ADVERSE_ROLES, Match, RiskKind, Role, Severity
from ipsentry.core.stages import adverse_severity

_ORDER = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
_OWN_SIDE = frozenset({Role.COMPLAINANT, Role.PLAINTIFF, Role.APPLICANT, Role.OWNER, Role.ATTORNEY})
SQUAT_KINDS = frozenset({"similar_mark"})


def _one_step_lower(severity: Severity) -> Severity:
    return _ORDER[max(severity.rank - 1, Severity.LOW.rank)]


def match_severity(match: Match, kind: RiskKind, stage: str) -> Severity:
    if match.role in ADVERSE_ROLES or (match.kind in SQUAT_KINDS and match.role not in _OWN_SIDE):
        severity = adverse_severity(kind, stage)
        return severity if match.confidence == "high" else _one_step_lower(severity)
    if match.role in _OWN_SIDE:
        return Severity.INFO
    return Severity.LOW


def document_severity(matches: Iterable[Match], kind: RiskKind, stage: str) -> Severity:
    return max((match_severity(m, kind, stage) for m in matches), key=lambda s: s.rank, default=Severity.INFO)
