"""Fixture routes of the USPTO Open Data Portal bulk datasets API (product TRTDXFAP).

* ``GET /api/v1/datasets/products/TRTDXFAP`` — the product and its files.  CONSTRUCTED: no
  listing was captured; it is built from the fields SOURCES.md documents
  (``bulkDataProductBag[0].productFileBag.fileDataBag[]`` with ``fileName``,
  ``fileDownloadURI``, ``fileReleaseDate``, ``fileSize``), and says so in ``fixtureNote``.
* ``GET /api/v1/datasets/products/files/TRTDXFAP/{fileName}`` — answers 302 to a storage URL,
  as the real API redirects downloads to signed object-storage links.
* ``GET /bulk-storage/TRTDXFAP/{fileName}`` — the ``apcYYMMDD.zip`` itself, zipped at request time
  from REAL records: ``trademark/uspto-apc-style-3records.xml`` (USPTO's prolog and DTD, the daily
  wrapper and three real case files under action keys NA, IB and TX), with more real case
  files from ``trademark/records/`` added under action key TX and the NA record repeated at the
  end, as a real day lists a new application again when it was also modified that day.  Which
  records sit together in which day's file is CONSTRUCTED; every record is verbatim.

Both API routes require the ``x-api-key`` header (403 without it, as the real gateway answers);
the storage route must not need it.  Tests change ``server.sources["uspto_daily"]``: the key,
the files listed, and what each holds.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ipsentry.crawlers.fixture_server import FixtureRequest, FixtureResponse, FixtureServer

PRODUCT = "TRTDXFAP"
SAMPLE_DIR = "trademark"
DAILY_SAMPLE = "uspto-apc-style-3records.xml"
NEW_APPLICATION = "uspto-daily-na-98763166.xml"  # the NA record of the assembled day
# Real records added to the day, in file order (a "before" state ahead of its "after").
DAY_RECORDS = (
    "records/revival-before-98186103.xml",
    "records/revival-after-98186103.xml",
    "records/registration-evidence-98423838.xml",
    "records/cancellation-evidence-85017257.xml",
    "records/daily-ib-sparse-85127660.xml",
    "records/goods-before-replacement-75932504.xml",
    "records/goods-after-replacement-75932504.xml",
    "records/annual-2025-malformed-class-date-tx-74800000.xml",
    "records/annual-2025-repeated-international-codes-tx-71060608.xml",
)
FIXTURE_NOTE = (
    "CONSTRUCTED by the ipsentry fixture server from the fields documented for the ODP bulk "
    "datasets API; the files' records are real USPTO case files"
)


@dataclass
class DailyFile:
    name: str  # apcYYMMDD.zip
    released: str  # YYYY-MM-DD
    xml: bytes  # the daily XML zipped at request time


@dataclass
class UsptoFixture:
    files: list[DailyFile] = field(default_factory=list)
    api_key: str | None = None  # None: any non-empty key is accepted
    downloads: list[str] = field(default_factory=list)  # file names served from storage
    storage_saw_key: bool = False  # a download reached storage carrying the API key
    cut_short: set[str] = field(default_factory=set)  # files storage serves truncated

    def zipped(self, name: str) -> bytes | None:
        found = next((f for f in self.files if f.name == name), None)
        if found is None:
            return None
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name.removesuffix(".zip") + ".xml", found.xml)
        return buffer.getvalue()


def assembled_day(samples_dir: Path) -> bytes:
    """The daily XML of the default file: the real three-record day plus real records (see the
    module docstring)."""
    folder = samples_dir / SAMPLE_DIR
    day = (folder / DAILY_SAMPLE).read_bytes()
    extra = b"".join(_case_file(folder / name) for name in (*DAY_RECORDS, NEW_APPLICATION))
    end = day.rindex(b"</file-segments>")
    return day[:end] + b"<action-keys><action-key>TX</action-key>\n" + extra + b"</action-keys>" + day[end:]


def _case_file(path: Path) -> bytes:
    data = path.read_bytes()
    return data[data.index(b"<case-file>") : data.rindex(b"</case-file>") + len(b"</case-file>")] + b"\n"


def register_routes(server: FixtureServer) -> None:
    fixture = UsptoFixture(
        files=[DailyFile("apc240925.zip", "2024-09-25", assembled_day(server.samples_dir))]
    )
    server.sources["uspto_daily"] = fixture
    server.add_route(rf"/api/v1/datasets/products/{PRODUCT}", lambda r: _product(r, fixture))
    server.add_route(
        rf"/api/v1/datasets/products/files/{PRODUCT}/(?P<name>[\w.-]+)", lambda r: _download(r, fixture)
    )
    server.add_route(rf"/bulk-storage/{PRODUCT}/(?P<name>[\w.-]+)", lambda r: _storage(r, fixture))


def _refused(request: FixtureRequest, fixture: UsptoFixture) -> FixtureResponse | None:
    key = (request.headers.get("x-api-key") or "").strip() if request.headers is not None else ""
    if not key or (fixture.api_key is not None and key != fixture.api_key):
        return FixtureResponse.json({"code": 403, "message": "Forbidden: missing or invalid API key"}, 403)
    return None


def _product(request: FixtureRequest, fixture: UsptoFixture) -> FixtureResponse:
    refused = _refused(request, fixture)
    if refused is not None:
        return refused
    files = [
        {
            "fileName": f.name,
            "fileSize": len(fixture.zipped(f.name) or b""),
            "fileDataFromDate": f.released,
            "fileDataToDate": f.released,
            "fileTypeText": "Data",
            "fileDownloadURI": f"{request.server.url}/api/v1/datasets/products/files/{PRODUCT}/{f.name}",
            "fileReleaseDate": f.released,
        }
        for f in fixture.files
    ]
    return FixtureResponse.json(
        {
            "count": 1,
            "fixtureNote": FIXTURE_NOTE,
            "bulkDataProductBag": [
                {
                    "productIdentifier": PRODUCT,
                    "productTitleText": "Trademark Full Text XML Data (No Images) - Daily Applications",
                    "productFrequencyText": "DAILY",
                    "productFileTotalQuantity": len(files),
                    "productFileBag": {"count": len(files), "fileDataBag": files},
                }
            ],
        }
    )


def _download(request: FixtureRequest, fixture: UsptoFixture) -> FixtureResponse:
    refused = _refused(request, fixture)
    if refused is not None:
        return refused
    name = request.match.group("name")
    if not any(f.name == name for f in fixture.files):
        return FixtureResponse.json({"code": 404, "message": f"no file {name}"}, 404)
    location = f"{request.server.url}/bulk-storage/{PRODUCT}/{name}?X-Amz-Signature=constructed"
    return FixtureResponse(status=302, body=b"", headers={"Location": location})


def _storage(request: FixtureRequest, fixture: UsptoFixture) -> FixtureResponse:
    name = request.match.group("name")
    if request.headers is not None and request.headers.get("x-api-key"):
        fixture.storage_saw_key = True
    body = fixture.zipped(name)
    if body is None:
        return FixtureResponse(404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml")
    fixture.downloads.append(name)
    if name in fixture.cut_short:
        body = body[: len(body) // 2]  # a connection dropped half-way, as a 200 all the same
    return FixtureResponse(200, body, "application/zip")
