"""Fixture routes: PACER CM/ECF court RSS feeds (``/cgi-bin/rss_outside.pl``), one per court.

Each court is its own host in real life (``ecf.nysd.uscourts.gov``); the fixture server is one
host, so a court is a path prefix: ``/pacer/<court>/cgi-bin/rss_outside.pl``, and settings map
courts to those prefixes (``sources.pacer = {"nysd": f"{url}/pacer/nysd", …}``, see
:func:`pacer_sources`).

Feeds served:

* REAL samples: ``nysd`` (the full S.D.N.Y. feed), ``nyed`` (the readyDockets variant,
  served here under rss_outside.pl), ``wvsd`` (with the malformed docket number), ``mdb``
  (bankruptcy), byte for byte (ISO-8859-1);
* CONSTRUCTED feeds for ``ilnd`` and ``flsd``, built from the REAL Schedule A captions and
  docket numbers of ``ecommerce/us_ip_case_captions.json``; the entries' event labels, docket
  texts, PACER case ids, times, and the two non-Schedule-A cases in the N.D. Ill. feed (one
  an IP case known only by its docket text, one not IP at all) are MADE UP for the tests;
* a CONSTRUCTED empty feed for ``pawd``.

Like a court's server the routes send ``Last-Modified`` (the newest item's time) and answer
``If-Modified-Since`` with 304; the fixture server adds ``ETag`` / ``If-None-Match``.  Tests add
items with :meth:`PacerFixture.add_item`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from html import escape
from typing import TYPE_CHECKING, Any

from ipsentry.crawlers.fixture_server import FixtureRequest, FixtureResponse
from ipsentry.crawlers.parsers.dockets import court_id_from_abbreviation, normalise_docket_number

if TYPE_CHECKING:
    from ipsentry.crawlers.fixture_server import FixtureServer

FEED_PATH = "/cgi-bin/rss_outside.pl"
ROUTE = rf"/pacer/(?P<court>[a-z0-9]+){FEED_PATH}"
RSS = "application/rss+xml; charset=ISO-8859-1"
SAMPLE_DIR = "ecommerce"
REAL_FEEDS = {
    "nysd": "pacer_rss_nysd_district_full.xml",
    "nyed": "pacer_rss_nyed_readyDockets_variant.xml",
    "wvsd": "pacer_rss_wvsd_small_with_bad_docket_number.xml",
    "mdb": "pacer_rss_mdb_bankruptcy_small.xml",
}
COURT_NAMES = {
    "ilnd": "Northern District of Illinois",
    "flsd": "Southern District of Florida",
    "pawd": "Western District of Pennsylvania",
}


def pacer_sources(
    base_url: str, courts: list[str] | tuple[str, ...] = ("ilnd", "flsd", "pawd", "nysd")
) -> dict[str, str]:
    """``settings.sources.pacer`` pointing each court at this server."""
    return {court: f"{base_url}/pacer/{court}" for court in courts}


@dataclass
class ConstructedItem:
    """One CONSTRUCTED feed item: PACER's title ("<docket number> <caption>"), description
    ("[<event label>] <docket text> (<a href=…>N</a>)"), guid ``DktRpt.pl?<case id>&<seq>``."""

    docket_number: str
    caption: str
    label: str
    text: str
    published: datetime
    pacer_case_id: int
    seq: int
    document_number: int | None = None

    def xml(self, court: str) -> str:
        host = f"https://ecf.{court}.uscourts.gov"
        query = f"caseid={self.pacer_case_id}&de_seq_num={self.seq}"
        link = f"{host}/doc1/{self.pacer_case_id:06d}{self.seq:04d}?{query}"
        anchor = f' (<a href="{link}">{self.document_number}</a>)' if self.document_number else ""
        description = f"[{self.label}] {self.text}{anchor}".strip()
        return (
            "<item>\n"
            f"<title>{escape(f'{self.docket_number} {self.caption}', quote=False)}</title>\n"
            f"<link>{host}/cgi-bin/DktRpt.pl?{self.pacer_case_id}</link>\n"
            f"<description>{escape(description)}</description>\n"
            f'<guid isPermaLink="true">{host}/cgi-bin/DktRpt.pl?{self.pacer_case_id}&amp;{self.seq}</guid>\n'
            f"<pubDate>{format_datetime(self.published, usegmt=True)}</pubDate>\n"
            "</item>\n"
        )


@dataclass
class PacerFixture:
    """Feeds per court: REAL sample bytes, or CONSTRUCTED items rendered on each request."""

    real: dict[str, bytes]
    constructed: dict[str, list[ConstructedItem]]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_item(self, court: str, item: ConstructedItem) -> None:
        with self._lock:
            self.constructed.setdefault(court, []).append(item)

    def feed(self, court: str) -> tuple[bytes, datetime | None] | None:
        """The feed bytes and their last modification, or None for an unknown court."""
        if court in self.real:
            body = self.real[court]
            return body, _last_build_date(body)
        with self._lock:
            items = list(self.constructed.get(court, [])) if court in self.constructed else None
        if items is None:
            return None
        newest = max((item.published for item in items), default=None)
        return _render(court, items, newest), newest


def _last_build_date(body: bytes) -> datetime | None:
    start = body.find(b"<lastBuildDate>")
    end = body.find(b"</lastBuildDate>", start)
    if start < 0 or end < 0:
        return None
    try:
        return parsedate_to_datetime(body[start + len(b"<lastBuildDate>") : end].decode("latin-1").strip())
    except (TypeError, ValueError):
        return None


def _render(court: str, items: list[ConstructedItem], newest: datetime | None) -> bytes:
    name = COURT_NAMES.get(court, court)
    built = format_datetime(newest or datetime(2024, 1, 1, tzinfo=UTC), usegmt=True)
    ordered = sorted(items, key=lambda item: item.published, reverse=True)  # PACER lists newest first
    text = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n\n<rss version="2.0">\n\n<channel>\n'
        f"<title>{name} - Recent Entries (CONSTRUCTED)</title>\n"
        f"<link>https://ecf.{court}.uscourts.gov</link>\n"
        "<description>Docket entries of type: cmp,motion,order (CONSTRUCTED fixture feed)</description>\n"
        f"<lastBuildDate>{built}</lastBuildDate>\n\n"
        + "".join(item.xml(court) for item in ordered)
        + "</channel>\n</rss>\n"
    )
    return text.encode("iso-8859-1", errors="xmlcharrefreplace")


# ---------------------------------------------------------------------------------------------
# The CONSTRUCTED feeds


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _constructed_items(captions: list[dict[str, Any]]) -> dict[str, list[ConstructedItem]]:
    """CONSTRUCTED entries of the real Schedule A cases (complaint, TRO motion, TRO granted),
    plus made-up N.D. Ill. cases: an IP case named only by its AO 120 report and later a
    routine entry of it, and a case that is not about IP."""
    feeds: dict[str, list[ConstructedItem]] = {"ilnd": [], "flsd": [], "pawd": []}
    for record in captions:
        caption = str(record.get("case_name") or "")
        court = court_id_from_abbreviation(str(record.get("court_abbreviation") or ""))
        if court not in feeds or "Schedule A" not in caption:
            continue
        number = normalise_docket_number(str(record["case_number"])) or str(record["case_number"])
        filed = date.fromisoformat(str(record["case_filing_date"]))
        case_id = int(record["case_id"]) // 10  # made up, stable
        plaintiff = caption.split(" v. ", 1)[0]
        feeds[court].extend(
            [
                ConstructedItem(
                    number,
                    caption,
                    "Complaint",
                    f"COMPLAINT filed by {plaintiff}.",
                    _at(filed, 15),
                    case_id,
                    1,
                    1,
                ),
                ConstructedItem(
                    number,
                    caption,
                    "Motion for Temporary Restraining Order",
                    f"SEALED MOTION by Plaintiff {plaintiff} for temporary restraining order.",
                    _at(filed + timedelta(days=6), 16),
                    case_id,
                    14,
                    12,
                ),
                ConstructedItem(
                    number,
                    caption,
                    "Order on Motion for TRO",
                    "MINUTE entry: Plaintiff's motion for temporary restraining order is granted.",
                    _at(filed + timedelta(days=9), 17),
                    case_id,
                    20,
                    18,
                ),
            ]
        )
    day = date(2024, 4, 18)
    feeds["ilnd"].extend(
        [
            ConstructedItem(
                "1:24-cv-03120",
                "Example Brands LLC v. Example Seller Co.",
                "AO 120 (Patent/Trademark)",
                "Report on the filing or determination of an action regarding a patent or trademark.",
                _at(day, 10),
                90001,
                3,
            ),
            ConstructedItem(
                "1:24-cv-03120",
                "Example Brands LLC v. Example Seller Co.",
                "Attorney Appearance",
                "ATTORNEY Appearance for Plaintiff Example Brands LLC.",
                _at(day, 11),
                90001,
                5,
                4,
            ),
            ConstructedItem(
                "1:24-cv-03121",
                "Roe v. Example Logistics, Inc.",
                "Complaint",
                "COMPLAINT filed by Jane Roe; Jury Demand.",
                _at(day, 12),
                90002,
                1,
                1,
            ),
        ]
    )
    return feeds


# ---------------------------------------------------------------------------------------------
# Routes


def register_routes(server: FixtureServer) -> None:
    folder = server.samples_dir / SAMPLE_DIR
    captions = json.loads((folder / "us_ip_case_captions.json").read_text(encoding="utf-8"))
    fixture = PacerFixture(
        real={court: (folder / name).read_bytes() for court, name in REAL_FEEDS.items()},
        constructed=_constructed_items(captions),
    )
    server.sources["pacer"] = fixture
    server.add_route(ROUTE, lambda request: _feed(request, fixture))


def _feed(request: FixtureRequest, fixture: PacerFixture) -> FixtureResponse:
    court = request.match["court"]
    found = fixture.feed(court)
    if found is None:
        return FixtureResponse(404, b"<html><body>Not Found</body></html>", "text/html; charset=utf-8")
    body, modified = found
    headers: dict[str, str] = {}
    if modified is not None:
        headers["Last-Modified"] = format_datetime(modified.astimezone(UTC), usegmt=True)
        since = request.headers.get("If-Modified-Since")
        if since and _not_after(modified, since):
            return FixtureResponse(304, b"", RSS, headers)
    return FixtureResponse(200, body, RSS, headers)


def _not_after(modified: datetime, header: str) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified.replace(microsecond=0) <= since
