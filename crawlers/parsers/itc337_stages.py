"""Which step of a Section 337 case a USITC notice records, read from its title.

A notice title is a product phrase plus one or more actions separated by ";" ("Certain …; Notice of
the Commission's Final Determination Finding a Violation of Section 337; Issuance of a Limited
Exclusion Order and Cease and Desist Orders; Termination of the Investigation").  One notice gets one
stage: the action that changes the most for a respondent, decided by the order of ``_RULES`` below
(proceeding types first, then final outcomes, then interim steps).  Every action found is also
returned, so a case timeline can show the secondary ones.

Titles that say too little ("Certain Polycrystalline Diamond Compacts and Articles Containing Same")
fall back to the abstract, which always says what the Commission did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ipsentry.core.stages import ITC337_STAGES, OTHER
from ipsentry.crawlers.parsers.itc337_text import first_sentence

_I = re.IGNORECASE

# Phrases shared by several rules.
_NOT_REVIEW = r"\b(?:not|decline)\s+to\s+review\b"
_TO_REVIEW = (
    r"\bto\s+review\b|\bissues\s+under\s+review\b|\breview(?:ing)?\s+(?:in\s+part|in\s+its\s+entirety|an?\s+)"
    r"|\bdecision\s+to\s+review"
)
_NO_VIOLATION = r"\b(?:finding\s+)?no\s+violations?\b|\bnon-?infringement\b"
_VIOLATION = (
    r"\bfinding\s+(?:a\s+)?violations?\b|\bdetermination\s+of\s+violation\b|\bof\s+violations?\s+of\s+section"
    r"|\bfinding\s+respondents?\s+in\s+violation\b|\bfinal\s+determination\s+of\s+violation\b"
)
_TERMINATION = r"\bterminat(?:ion|ing|e)\s+(?:of\s+)?(?:the\s+)?investigation\b"


@dataclass(frozen=True)
class _Rule:
    stage: str
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None = None


def _rule(stage: str, pattern: str, unless: str | None = None) -> _Rule:
    return _Rule(stage, re.compile(pattern, _I), re.compile(unless, _I) if unless else None)


# Order matters: the first rule whose pattern matches (and whose ``unless`` does not) decides.
_RULES: tuple[_Rule, ...] = (
    _rule("receipt_of_complaint", r"\breceipt\s+of\s+(?:an?\s+)?(?:amended\s+)?complaint\b"),
    # Proceedings other than the investigation itself: what happens in them is about that proceeding.
    _rule(
        "enforcement",
        r"\benforcement\b|\bviolation\s+of\s+the\s+(?:consent|(?:limited|general)\s+exclusion|cease\s+and\s+desist)"
        r"\s+orders?\b",
    ),
    _rule(
        "modification_rescission",
        r"\brescission\b|\brescind|\bmodification\s+proceeding|\bmodified\s+(?:limited|general)\s+exclusion"
        r"|\bvacating\b.*\bexclusion\s+order|\bsuspend\s+an?\s+(?:limited|general)\s+exclusion",
    ),
    _rule("advisory_opinion", r"\badvisory\s+opinion\b"),
    # "… To Amend the Complaint and Notice of Institution" amends, it does not institute.
    _rule("institution", r"\binstitution\b|\binstitutes?\b.*\binvestigation\b", unless=r"\bamend"),
    # Outcomes that end the investigation (or a part of it) come before interim steps.
    _rule("general_exclusion_order", r"\bgeneral\s+exclusion\s+order\b"),
    _rule("limited_exclusion_order", r"\blimited\s+exclusion\s+order\b"),
    # "Remedial orders" / "an exclusion order" without a type: the abstract names the type.
    _rule(
        "remedial_orders", r"\bremedial\s+orders\b|\bissu(?:e|ing|ance\s+of)\s+(?:an?\s+)?exclusion\s+order"
    ),
    _rule("cease_and_desist_order", r"\bcease\s+and\s+desist\s+orders?\b", unless=_NOT_REVIEW),
    _rule("consent_order", r"\bconsent\s+order\b"),
    _rule(
        "final_determination_no_violation",
        rf"(?:{_NO_VIOLATION}).*(?:{_TERMINATION}|\bterminating\b)|\bon\s+review,?\s+(?:to\s+)?"
        rf"(?:affirm|find)\b.*\bno\s+violation|(?:{_TERMINATION}).*(?:{_NO_VIOLATION})"
        r"|\bfinal\s+determination\s+(?:finding\s+)?(?:of\s+)?no\s+violation",
    ),
    _rule(
        "final_determination_violation",
        rf"\bfinal\s+determination\b.*(?:{_VIOLATION})|\bcommission\s+(?:decision|determination)\s+"
        rf"(?:finding\s+a\s+violation|of\s+violation)|(?:{_VIOLATION}).*{_TERMINATION}",
        unless=_NOT_REVIEW + "|" + _TO_REVIEW,
    ),
    _rule("remand", r"\bremand(?:ing)?\b(?!\s+(?:initial|proceedings?)\b)"),
    # A review that ends the case: on summary determination of invalidity it is a finding of no
    # violation; on any other ground (arbitration, good cause) a plain termination.
    _rule(
        "final_determination_no_violation", r"\binvalidity\b.*;\s*termination\s+of\s+(?:the\s+)?investigation"
    ),
    _rule(
        "termination",
        rf"(?:{_TO_REVIEW}).*;\s*termination\s+of\s+(?:the\s+)?investigation",
        unless=_NOT_REVIEW,
    ),
    _rule("review", _TO_REVIEW, unless=_NOT_REVIEW),
    _rule("settlement", r"\bsettlement\b|\bsettle"),
    _rule(
        "amendment",
        r"\bamend(?:ing|ed|ment)?\b.*\b(?:complaint|notice\s+of\s+(?:investigation|institution))\b"
        r"|\bcorrect(?:ing)?\s+the\s+notice\s+of\s+investigation\b|\bto\s+add\s+(?:a\s+)?respondent",
    ),
    _rule("termination", r"\bterminat(?:e|es|ed|ing|ion)\b|\bwithdrawal\s+of\s+the\s+complaint\b"),
    _rule(
        "public_interest",
        r"\bpublic\s+interest\b.*\b(?:submissions?|statements?|comments?)\b"
        r"|\b(?:submissions?|statements?|comments?)\s+on\s+the\s+public\s+interest\b",
    ),
    _rule("initial_determination", r"\binitial\s+determinations?\b|\bID\b"),
    _rule("target_date", r"\btarget\s+date\b"),
    _rule(
        "schedule", r"\bschedule\b|\bhearings?\b|\bwritten\s+submissions\b|\bbriefing\b|\bsubmissions\s+on\b"
    ),
)

# What an abstract's opening says the Commission did, for titles that name no action.  Checked
# before the title rules, because an abstract also mentions remedies that are only recommended or
# requested ("the ALJ recommends … a limited exclusion order"), which must not set the stage.
_ABSTRACT_RULES: tuple[_Rule, ...] = (
    _rule("receipt_of_complaint", r"\bhas\s+received\s+a\s+complaint\b"),
    _rule("institution", r"\bcomplaint\s+was\s+filed\b.*\binstitute\s+an\s+investigation\b"),
    _rule(
        "public_interest",
        r"\bsoliciting\s+(?:comments|submissions)\s+on\s+(?:the\s+)?public\s+interest"
        r"|\bpublic\s+interest\s+issues\s+raised\s+by\s+the\s+recommended\s+relief",
    ),
)


@dataclass(frozen=True)
class StageReading:
    stage: str
    actions: tuple[str, ...]  # every stage signal found, main one first
    source: str  # "title", "abstract" or "none"


def _matches(rule: _Rule, text: str) -> bool:
    return bool(rule.pattern.search(text)) and not (rule.unless and rule.unless.search(text))


def _remedial_type(text: str) -> str | None:
    """The order type an abstract names, for titles that only say "remedial orders"."""
    if re.search(r"\bgeneral\s+exclusion\s+order|\bGEO\b", text, _I):
        return "general_exclusion_order"
    if re.search(r"\blimited\s+exclusion\s+order|\bLEO\b", text, _I):
        return "limited_exclusion_order"
    if re.search(r"\bcease\s+and\s+desist\s+order", text, _I):
        return "cease_and_desist_order"
    return None


def _actions(text: str, rules: tuple[_Rule, ...]) -> list[str]:
    found: list[str] = []
    for rule in rules:
        if _matches(rule, text) and rule.stage not in found:
            found.append(rule.stage)
    return found


def classify_stage(title: str, abstract: str = "") -> StageReading:
    """The stage of a notice (a name of :data:`ipsentry.core.stages.ITC337_STAGES`).

    ``title`` should be the action part of the title (the product phrase removed, see
    :func:`~ipsentry.crawlers.parsers.itc337_text.split_title`), so that a product such as
    "Certain Hearing Devices" cannot read as an action."""
    actions = _actions(title, _RULES)
    source = "title"
    if not actions and abstract:
        actions = _actions(abstract, _ABSTRACT_RULES) or _actions(first_sentence(abstract), _RULES)
        source = "abstract"
    if not actions:
        return StageReading(OTHER, (), "none")
    if actions[0] == "remedial_orders":
        actions[0] = _remedial_type(abstract) or _remedial_type(title) or "limited_exclusion_order"
    actions = list(dict.fromkeys(a for a in actions if a in ITC337_STAGES))
    return StageReading(actions[0], tuple(actions), source)
