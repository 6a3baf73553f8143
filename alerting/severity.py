"""How severe a document is for one enterprise, from the roles it was matched in.

The document's own ``severity`` is the maximum over all its enterprises; an enterprise watch
must use that enterprise's share only, or a complainant would be alerted as if it were sued."""

from __future__ import annotations

from collections.abc import Iterable

from ipsentry.core.documents import ADVERSE_ROLES, Document, Match, Role, Severity
from ipsentry.core.stages import adverse_severity

# Match kinds that make the enterprise a target whatever the role says: a mark filed by a
# third party that resembles the enterprise's brand is squatting on it.
ADVERSE_MATCH_KINDS = frozenset({"similar_mark"})

# The enterprise is the one acting (suing, filing its own mark): worth knowing, no risk.
OWN_ACTION_ROLES = frozenset({Role.COMPLAINANT, Role.PLAINTIFF, Role.APPLICANT, Role.OWNER})


def match_severity(document: Document, match: Match) -> Severity:
    if match.role in ADVERSE_ROLES or match.kind in ADVERSE_MATCH_KINDS:
        return adverse_severity(document.kind, document.stage)
    if match.role in OWN_ACTION_ROLES:
        return Severity.INFO
    # Mentions, industry-only matches, attorneys and unclassified parties.
    return Severity.LOW


def strongest_match(document: Document, matches: Iterable[Match]) -> tuple[Match, Severity] | None:
    """The match that explains the alert best: the most severe, then the best scored."""
    best: tuple[Match, Severity] | None = None
    for match in matches:
        severity = match_severity(document, match)
        if best is None or (severity.rank, match.score) > (best[1].rank, best[0].score):
            best = (match, severity)
    return best
