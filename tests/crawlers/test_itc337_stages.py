"""Stage rules on titles written the way USITC writes them (real titles, product removed)."""

from __future__ import annotations

import pytest

from ipsentry.crawlers.parsers.itc337_stages import classify_stage
from ipsentry.crawlers.parsers.itc337_text import split_title


@pytest.mark.parametrize(
    ("title", "stage"),
    [
        (
            "Notice of Receipt of Amended Complaint; Solicitation of Comments Relating to the Public "
            "Interest",
            "receipt_of_complaint",
        ),
        ("Certain Hazelnuts and Products Containing the Same; Institution of Investigation", "institution"),
        ("Certain Hearing Devices; Notice of Institution of Formal Enforcement Proceeding", "enforcement"),
        (
            "Notice of the Commission's Final Determination Finding a Violation of Section 337; Issuance "
            "of a Limited Exclusion Order and Cease and Desist Orders; Termination of the Investigation",
            "limited_exclusion_order",
        ),
        (
            "Notice of the Commission's Final Determination Finding No Violation of Section 337; "
            "Termination of the Investigation",
            "final_determination_no_violation",
        ),
        (
            "Notice of a Commission Determination To Review in Part a Final Initial Determination Finding "
            "a Violation of Section 337; Request for Written Submissions",
            "review",
        ),
        (
            "Notice of Commission Determination Not To Review an Initial Determination Terminating the "
            "Investigation Based on Settlement; Termination of the Investigation",
            "settlement",
        ),
        (
            "Notice of a Commission Determination Not To Review an Initial Determination Granting a "
            "Motion To Amend the Complaint and Notice of Investigation",
            "amendment",
        ),
        (
            "Notice of Commission Determination To Institute a Rescission Proceeding; Rescission of the "
            "Remedial Orders; Termination of the Rescission Proceeding",
            "modification_rescission",
        ),
        ("Notice of Request for Submissions on the Public Interest", "public_interest"),
        ("Temporary Change to Filing Procedures", "other"),
    ],
)
def test_stage_of_title(title: str, stage: str) -> None:
    assert classify_stage(split_title(title)[1]).stage == stage


def test_product_words_never_read_as_actions() -> None:
    product, action = split_title(
        "Certain Hearing Aids and Review Systems; Notice of Institution of Investigation"
    )
    assert product == "Certain Hearing Aids and Review Systems"
    assert classify_stage(action).stage == "institution"


def test_unspecified_exclusion_order_takes_the_abstracts_type() -> None:
    reading = classify_stage(
        "Issuing an Exclusion Order and Cease and Desist Orders; Terminating the Investigation",
        'The Commission has determined to issue a general exclusion order ("GEO").',
    )
    assert reading.stage == "general_exclusion_order"
    assert reading.actions[0] == "general_exclusion_order"


def test_abstract_fallback_ignores_recommended_remedies() -> None:
    abstract = (
        "Notice is hereby given that the presiding administrative law judge has issued an Initial "
        "Determination. The ALJ recommends that the Commission issue a limited exclusion order against X. "
        "The Commission is soliciting comments on public interest issues raised by the recommended relief."
    )
    reading = classify_stage("", abstract)
    assert (reading.stage, reading.source) == ("public_interest", "abstract")
