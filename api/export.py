"""Search results as a spreadsheet: CSV (UTF-8 with BOM, so Excel shows Chinese) and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from ipsentry.core.documents import ADVERSE_ROLES, Document, Role

COLUMNS = (
    "id", "kind", "published", "case", "stage", "severity", "authority", "title", "respondents",
    "complainants", "matched_enterprises", "url",
)  # fmt: skip

# Cells that start like a formula are run by spreadsheet programs (CSV injection): a party
# name from a public notice must never become one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _names(document: Document, roles: Iterable[Role]) -> str:
    wanted = set(roles)
    return "; ".join(dict.fromkeys(party.name for party in document.parties if party.role in wanted))


def row(document: Document) -> list[str]:
    matched = "; ".join(
        dict.fromkeys(
            f"{match.enterprise_name or match.enterprise_id} ({match.role.value})"
            for match in document.matches
        )
    )
    values = [
        document.id,
        document.kind.value,
        document.published.isoformat() if document.published else "",
        document.case_id or "",
        document.stage,
        document.severity.value,
        document.authority or "",
        document.title,
        _names(document, ADVERSE_ROLES),
        _names(document, (Role.COMPLAINANT, Role.PLAINTIFF)),
        matched,
        document.url or "",
    ]
    return [_safe(value) for value in values]


def to_csv(documents: Sequence[Document]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(row(document) for document in documents)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def to_xlsx(documents: Sequence[Document]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "documents"
    sheet.append(list(COLUMNS))
    for document in documents:
        sheet.append(row(document))
    sheet.freeze_panes = "A2"
    for index, width in enumerate((18, 10, 12, 16, 22, 10, 10, 60, 40, 40, 40, 50), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
