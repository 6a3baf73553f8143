"""USPTO daily XML parser on the real samples (trademark/uspto-*.xml and trademark/records/)."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from ipsentry.core.documents import RiskKind, Role
from ipsentry.crawlers.parsers.registry import get_parser
from ipsentry.crawlers.parsers.uspto_daily import clean_goods, iter_case_files, parse_file, parse_stream


@pytest.fixture
def trademark(samples_dir: Path) -> Path:
    return samples_dir / "trademark"


def _one(path: Path):  # type: ignore[no-untyped-def]
    result = parse_file(path.read_bytes(), url=str(path))
    assert result.problems == []
    assert len(result.documents) == 1
    return result.documents[0]


def _applicants(document):  # type: ignore[no-untyped-def]
    return [(p.name, p.country) for p in document.parties if p.role == Role.APPLICANT]


def test_new_application_fragment(trademark: Path) -> None:
    doc = _one(trademark / "uspto-daily-na-98763166.xml")
    assert doc.id == "uspto:98763166"
    assert doc.kind == RiskKind.TRADEMARK
    assert doc.source == "uspto_daily"
    assert doc.title == "SUVENEER"
    assert doc.stage == "new_application"
    assert doc.filed == date(2024, 9, 24)
    assert doc.classes == [16]
    assert _applicants(doc) == [("Nguyen Quang Huy", "VN")]
    assert doc.extra["status_code"] == 630
    assert doc.extra["status"] == "NEW APPLICATION - RECORD INITIALIZED NOT ASSIGNED TO EXAMINER"
    assert doc.extra["goods"] == {"16": "Stickers; Stick markers; Sticker albums; Sticker books"}
    assert doc.extra["attorney"] == "Britten Kekaimalie Bailey Westsmith"
    assert doc.extra["is_new_filing"] is True
    assert doc.extra["registration_number"] is None
    assert any(p.role == Role.ATTORNEY for p in doc.parties)


def test_owner_chain_current_owner_is_the_highest_party_type(trademark: Path) -> None:
    doc = _one(trademark / "uspto-daily-ib-72269147.xml")
    assert doc.title == "MADISON SQUARE GARDEN"
    assert doc.stage == "registered"  # status 800, registered and renewed
    assert _applicants(doc) == [("MSG ENTERTAINMENT HOLDINGS, LLC", "US")]
    previous = [p.name for p in doc.parties if p.role == Role.OTHER]
    assert previous[0] == "MSG ENTERTAINMENT GROUP, LLC"
    assert "MADISON SQUARE GARDEN CORPORATION" in previous
    assert previous.count("MADISON SQUARE GARDEN CORPORATION") == 1  # party types 40 and 30
    assert doc.classes == [41]
    assert doc.published == date(1967, 6, 27)
    assert doc.extra["registration_number"] == "0835284"
    assert [o["party_type"] for o in doc.extra["owners"]] == [45, 44, 43, 42, 41, 40, 30]


def test_madrid_record_classes_owner_and_publication(trademark: Path) -> None:
    doc = _one(trademark / "uspto-madrid66a-79366581.xml")
    assert doc.title == "NITRO GLISSERIN"
    assert doc.stage == "published_for_opposition"
    assert doc.published == date(2024, 2, 20)
    assert doc.classes == [3, 18, 32, 35]
    assert _applicants(doc) == [("GIORGI TVILDIANI", "TR")]
    assert doc.extra["owners"][0]["nationality_country"] == "GE"
    assert doc.extra["international_registration_number"] == "1722108"
    assert any(e["description"] == "PUBLISHED FOR OPPOSITION" for e in doc.extra["events"])


def test_assembled_daily_file_with_dtd_prolog_and_action_keys(trademark: Path) -> None:
    result = parse_file((trademark / "uspto-apc-style-3records.xml").read_bytes())
    assert result.problems == []
    by_id = {d.id: d for d in result.documents}
    assert list(by_id) == ["uspto:98763166", "uspto:72269147", "uspto:79366581"]
    assert by_id["uspto:98763166"].extra["action_key"] == "NA"
    assert by_id["uspto:98763166"].extra["is_new_filing"] is True
    assert by_id["uspto:72269147"].extra["action_key"] == "IB"
    assert by_id["uspto:79366581"].extra["action_key"] == "TX"
    assert by_id["uspto:79366581"].extra["is_new_filing"] is False


def test_prolog_does_not_fetch_anything(trademark: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert len(parse_file((trademark / "uspto-apc-style-3records.xml").read_bytes()).documents) == 3


def test_annual_backfile_sample(trademark: Path) -> None:
    doc = _one(trademark / "uspto-annual-backfile-sample-60000001.xml")
    assert doc.id == "uspto:60000001"
    assert doc.extra["action_key"] == "TX"
    assert doc.extra["status_code"] == 626
    assert doc.stage == "cancelled"
    assert doc.extra["registration_date"] == "1870-10-25"
    assert doc.title == "(no mark text)"
    assert doc.parties == []


@pytest.mark.parametrize(
    ("name", "title", "classes", "applicant", "stage"),
    [
        ("annual-2025-full-tx-60146682.xml", "MACHINE-PISTOL", [9], "AUTO ORDNANCE CORPORATION", "cancelled"),
        (
            "annual-2025-malformed-class-date-tx-74800000.xml",
            "GRIGIOPERLA",
            [25],
            "GRUPPO LA PERLA S.P.A.",
            "abandoned",
        ),
        (
            "annual-2025-repeated-international-codes-tx-71060608.xml",
            "SARGENT",
            [6, 20],
            "SARGENT MANUFACTURING COMPANY",
            "registered",
        ),
        ("cancellation-evidence-85017257.xml", "BLONDE SUMMER", [41], "Pope, Christopher", "cancelled"),
        ("daily-ib-sparse-85127660.xml", "(design mark)", [25], "LJC APPAREL, LLC", "registered"),
        (
            "goods-after-replacement-75932504.xml",
            "Q*BERT",
            [9, 41],
            "COLUMBIA PICTURES INDUSTRIES, INC.",
            "registered",
        ),
        (
            "publication-after-79366581.xml",
            "NITRO GLISSERIN",
            [3, 18, 32, 35],
            "GIORGI TVILDIANI",
            "published_for_opposition",
        ),
        (
            "publication-before-79366581.xml",
            "NITRO GLISSERIN",
            [3, 18, 25, 32, 35],
            "GIORGI TVILDIANI",
            "published_for_opposition",
        ),
        (
            "registration-evidence-98423838.xml",
            "THE ELLINGTON AT OVIEDO PARK",
            [36],
            "Brand Properties, LLC",
            "registered",
        ),
        ("revival-after-98186103.xml", "R RACINO", [41, 42], "Racino, LLC", "other"),
        ("revival-before-98186103.xml", "R RACINO", [25, 41, 42], "Racino, LLC", "abandoned"),
    ],
)
def test_edge_case_records(
    trademark: Path, name: str, title: str, classes: list[int], applicant: str, stage: str
) -> None:
    doc = _one(trademark / "records" / name)
    assert doc.title == title
    assert doc.classes == classes
    assert [n for n, _ in _applicants(doc)] == [applicant]
    assert doc.stage == stage


def test_statements_goods_translation_pseudo_mark(trademark: Path) -> None:
    grigio = _one(trademark / "records" / "annual-2025-malformed-class-date-tx-74800000.xml")
    assert grigio.extra["translation"] == [
        'THE ENGLISH TRANSLATION OF THE WORD "GRIGIOPERLA" IN THE MARK IS "PEARL-GRAY".'
    ]
    assert grigio.extra["goods"]["25"].startswith("WOMEN'S SUITS, DRESSES")
    sargent = _one(trademark / "records" / "annual-2025-repeated-international-codes-tx-71060608.xml")
    assert sargent.extra["pseudo_mark"] == ["SERGEANT"]
    # Brackets mark deleted goods: "[ STRIKE-PLATES, LOCK-ESCUTCHEONS, ]" is gone.
    assert sargent.extra["goods"] == {"25": "LOCKS, LATCHES, KEYS, PADLOCKS, LOCK-CASES, AND LOCK-FRONTS"}
    qbert = _one(trademark / "records" / "goods-after-replacement-75932504.xml")
    assert qbert.extra["goods"]["9"] == "PC GAME SOFTWARE"
    raw = next(s["text"] for s in qbert.extra["statements"] if s["type_code"] == "GS0091")
    assert raw.startswith("[ VIDEO CASSETTES")  # the raw statement is kept as written


def test_clean_goods_markup() -> None:
    assert clean_goods("A, [B, ] C ((D [E] *F*)) *G*") == "A, C G"


def test_registration_and_cancellation_evidence(trademark: Path) -> None:
    registered = _one(trademark / "records" / "registration-evidence-98423838.xml")
    assert registered.extra["status_code"] == 700
    assert registered.extra["registration_number"] == "7463601"
    assert registered.extra["registration_date"] == "2024-07-30"
    cancelled = _one(trademark / "records" / "cancellation-evidence-85017257.xml")
    assert cancelled.extra["status"] == "CANCELLED - SECTION 8"


@pytest.mark.parametrize(
    "name",
    [
        "annual-2025-status-only-tx-60000001.xml",
        "annual-status-only-tx-60172053.xml",
        "annual-2025-post-metadata-to-date-tx-67341029.xml",
        "annual-2025-sparse-tx-70165419.xml",
    ],
)
def test_status_only_and_sparse_records_yield_documents(trademark: Path, name: str) -> None:
    doc = _one(trademark / "records" / name)
    assert doc.title in {"(no mark text)", "(design mark)"}
    assert doc.extra["mark_text"] is None
    assert doc.extra["status_code"] in {626, 715, 710}


def test_sparse_record_keeps_statements_and_classes(trademark: Path) -> None:
    doc = _one(trademark / "records" / "annual-2025-sparse-tx-70165419.xml")
    assert doc.classes == [16]
    assert doc.extra["goods"] == {"37": "LEADS FOR MECHANICAL PENCILS."}
    assert doc.parties == []


def test_zip_streams_through(trademark: Path, tmp_path: Path) -> None:
    archive = tmp_path / "apc240925.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(trademark / "uspto-apc-style-3records.xml", arcname="apc240925.xml")
    from_path = parse_stream(archive)
    from_bytes = parse_file(archive.read_bytes())
    assert [d.id for d in from_path.documents] == ["uspto:98763166", "uspto:72269147", "uspto:79366581"]
    assert [d.id for d in from_bytes.documents] == [d.id for d in from_path.documents]


def test_iter_case_files_streams_from_a_file_object(trademark: Path) -> None:
    with open(trademark / "uspto-apc-style-3records.xml", "rb") as handle:
        serials = [d.native_id for d in iter_case_files(handle)]
    assert serials == ["98763166", "72269147", "79366581"]


def test_fragment_after_a_provenance_line(trademark: Path) -> None:
    body = (trademark / "uspto-daily-na-98763166.xml").read_bytes()
    for preamble in (
        b"<!-- SOURCE: a real record -->\n",
        b"SOURCE: fixtures/record.xml. Comment line added by us. -->\n",
    ):
        result = parse_file(preamble + body)
        assert result.problems == []
        assert [d.title for d in result.documents] == ["SUVENEER"]


def test_same_serial_twice_keeps_the_later_record(trademark: Path) -> None:
    before = (trademark / "records" / "publication-before-79366581.xml").read_bytes()
    after = (trademark / "records" / "publication-after-79366581.xml").read_bytes()
    result = parse_file(before + after)
    assert len(result.documents) == 1
    assert result.documents[0].extra["status_code"] == 686
    assert result.documents[0].classes == [3, 18, 32, 35]


def test_new_filing_survives_a_later_modification_the_same_day(trademark: Path) -> None:
    case = (trademark / "uspto-daily-na-98763166.xml").read_bytes()
    daily = (
        b"<trademark-applications-daily><application-information><file-segments>"
        b"<action-keys><action-key>NA</action-key>" + case + b"</action-keys>"
        b"<action-keys><action-key>TX</action-key>" + case + b"</action-keys>"
        b"</file-segments></application-information></trademark-applications-daily>"
    )
    [doc] = parse_file(daily).documents
    assert doc.extra["action_keys"] == ["NA", "TX"]
    assert doc.extra["is_new_filing"] is True


def test_bad_records_become_problems_not_exceptions(trademark: Path) -> None:
    good = (trademark / "uspto-daily-na-98763166.xml").read_bytes()
    no_serial = b"<case-file><serial-number>ABC</serial-number></case-file>"
    truncated = b"<case-file><serial-number>12345678</serial-number><case-file-header>"
    result = parse_file(good + no_serial + truncated)
    assert [d.native_id for d in result.documents] == ["98763166"]
    assert len(result.problems) == 2
    assert "serial" in result.problems[0].reason
    assert "malformed XML" in result.problems[1].reason
    assert parse_file(b"").documents == []
    assert parse_file(io.BytesIO(b"not xml at all").read()).documents == []


def test_registered_in_the_parser_registry(trademark: Path) -> None:
    parser = get_parser("uspto-daily")
    assert parser((trademark / "uspto-daily-na-98763166.xml").read_bytes()).documents[0].title == "SUVENEER"
