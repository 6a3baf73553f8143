"""Industry tags from products and Nice classes, on real Federal Register titles."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ipsentry.core.documents import Document, RiskKind
from ipsentry.tagging.industries import document_industries


def document(title: str, summary: str = "", **fields: object) -> Document:
    values: dict[str, object] = {"kind": RiskKind.ITC337, **fields}
    return Document.model_validate(
        {"id": "t:1", "source": "t", "native_id": "1", "title": title, "summary": summary, **values}
    )


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Certain Gallium Nitride Semiconductor Devices; Institution of Investigation", ["semiconductors"]),
        ("Certain Vaporizer Cartridges and Components Thereof; Notice of a Final Determination", ["vaping"]),
        ("Certain Light-Emitting Diode Products and Components Thereof; Institution", ["lighting"]),
        ("Certain Female Fashion Dresses, Jumpsuits, Maxi Dresses, and Accoutrements", ["textiles_apparel"]),
        ("Certain Windshield Wipers and Components Thereof; Commission Determination", ["automotive"]),
        ("Certain Lithium Ion Batteries; Institution of Investigation", ["batteries_energy"]),
    ],
)
def test_keywords_in_the_product(title: str, expected: list[str]) -> None:
    assert document_industries(document(title)) == expected


def test_a_receipt_notice_names_its_product_in_the_summary() -> None:
    receipt = document(
        "Notice of Receipt of Complaint; Solicitation of Comments Relating to the Public Interest",
        "Notice is hereby given that the U.S. International Trade Commission has received a complaint "
        "entitled Certain Audio Players and Controllers, Components Thereof, and Products Containing the "
        "Same DN 3428; the Commission is soliciting comments on any public interest issues raised by the "
        "complaint.",
    )
    assert document_industries(receipt) == ["consumer_electronics"]


def test_the_body_is_not_read() -> None:
    notice = document(
        "Certain Chocolate Milk Powder; Institution", text="… lithium batteries, LED lamps, vehicles …"
    )
    assert document_industries(notice) == ["food_agriculture"]


def test_nice_classes_of_a_trademark_filing() -> None:
    filing = document("ZENGLE", kind=RiskKind.TRADEMARK, classes=[9, 25])
    assert document_industries(filing) == ["consumer_electronics", "software", "textiles_apparel"]


def test_most_real_337_titles_get_an_industry(samples_dir: Path) -> None:
    rows = json.loads((samples_dir / "itc337" / "federal_register_337_titles_abstracts.json").read_text())
    tagged = Counter(
        bool(document_industries(document(row["title"], row.get("abstract") or ""))) for row in rows
    )
    assert tagged[True] / len(rows) > 0.6
