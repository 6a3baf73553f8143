"""A local stand-in for the public sources: serves the real captured samples over HTTP.

Tests and the offline demo point the spiders' base URLs at this server (127.0.0.1, ephemeral
port), which answers under the same paths and query shapes as the real services, with real
status codes and headers: ``Content-Type``, ``ETag`` / ``If-None-Match`` → 304, and scripted
faults (HTTP 429 with ``Retry-After``, 5xx, block pages) so politeness and error handling are
testable.  The samples stay in ``Settings().samples_dir`` and are read from there.

Usage::

    with FixtureServer(settings.samples_dir) as server:
        server.fail_next("/api/v1/documents.json", status=429, retry_after=1)
        ...  # point settings.sources.federal_register at server.url
        assert ("GET", "/api/v1/documents.json?...") in server.requests

Standalone: ``python -m ipsentry.crawlers.fixture_server --port 8765``.

Adding routes for another source
--------------------------------
Routes are a table of (method, path regex, handler).  A handler takes a :class:`FixtureRequest`
and returns a :class:`FixtureResponse`.  GET and HEAD by default; a route may take POST
(``methods=("POST",)``: the request's ``body`` and ``form()`` hold what was sent, as for an
OAuth2 token endpoint).  A path served under other methods answers 405 with ``Allow``.  Put a
source's routes in a module of its own named ``ipsentry/crawlers/fixture_routes_<source>.py``
defining::

    def register_routes(server: FixtureServer) -> None:
        server.add_route(r"/api/rest/v4/search/", handle_search)

Every such module is found and registered when a server is created (``route_modules`` picks
them explicitly instead).  Per-source data that tests want to change (extra records, a result
cap) goes in ``server.sources["<source>"]``.  The Federal Register routes below are the first
source and live here; they follow the same shape.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import pkgutil
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"

# What a bot-protection layer answers instead of the document: HTTP 200, HTML, no notice in it.
BLOCK_PAGE_HTML = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b"<h1>Checking your browser before accessing the site.</h1>"
    b"<p>This process is automatic. Your browser will redirect to your requested content shortly.</p>"
    b"</body></html>"
)


@dataclass
class FixtureRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    match: re.Match[str]
    server: FixtureServer
    body: bytes = b""

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def content_type(self) -> str:
        value = self.headers.get("Content-Type") if self.headers is not None else None
        return (value or "").split(";")[0].strip().lower()

    def form(self) -> dict[str, list[str]] | None:
        """The body's fields if it is ``application/x-www-form-urlencoded``, else ``None``."""
        if self.content_type != "application/x-www-form-urlencoded":
            return None
        try:
            return parse_qs(self.body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(self.body))
        except (UnicodeDecodeError, ValueError):
            return None


@dataclass
class FixtureResponse:
    status: int = 200
    body: bytes = b""
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> FixtureResponse:
        return cls(status=status, body=json.dumps(payload).encode("utf-8"), content_type=JSON)


Handler = Callable[[FixtureRequest], FixtureResponse]


@dataclass
class _Route:
    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Handler


@dataclass
class _Fault:
    path_prefix: str
    status: int
    retry_after: float | None
    remaining: int
    body: bytes
    content_type: str


class FixtureServer:
    """An HTTP server on 127.0.0.1 serving the samples under the real services' paths."""

    def __init__(
        self,
        samples_dir: Path,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        route_modules: Sequence[str] | None = None,
    ) -> None:
        self.samples_dir = Path(samples_dir)
        self.host = host
        self.requests: list[tuple[str, str]] = []  # (method, path+query), in arrival order
        self.bodies: list[bytes] = []  # the request bodies, in the same order (b"" for GET)
        self.request_times: list[float] = []  # time.monotonic() of each logged request
        self.sources: dict[str, Any] = {}
        self._port = port
        self._routes: list[_Route] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        register_federal_register_routes(self)
        for name in route_modules if route_modules is not None else _discover_route_modules():
            importlib.import_module(name).register_routes(self)

    # -- routes and faults ---------------------------------------------------------------------

    def add_route(self, pattern: str, handler: Handler, *, methods: Iterable[str] = ("GET", "HEAD")) -> None:
        """Serve paths fully matching ``pattern`` (a regex; groups reach the handler)."""
        self._routes.append(_Route(frozenset(m.upper() for m in methods), re.compile(pattern), handler))

    def fail_next(
        self,
        path_prefix: str,
        *,
        status: int = 429,
        retry_after: float | None = 1,
        times: int = 1,
        body: bytes = b"",
        content_type: str = "text/plain; charset=utf-8",
    ) -> None:
        """Answer the next ``times`` requests whose path starts with ``path_prefix`` with this
        instead (e.g. 429 + Retry-After, 503, or status 200 with :data:`BLOCK_PAGE_HTML`)."""
        with self._lock:
            self._faults.append(_Fault(path_prefix, status, retry_after, times, body, content_type))

    def requests_to(self, path_prefix: str, *, method: str | None = None) -> list[str]:
        """Logged paths (with query) that start with ``path_prefix``, of every method or of
        ``method`` only."""
        with self._lock:
            return [
                p
                for m, p in self.requests
                if p.startswith(path_prefix) and (method is None or m == method.upper())
            ]

    # -- life cycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the fixture server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FixtureServer:
        if self._httpd is not None:
            return self
        self._httpd = ThreadingHTTPServer((self.host, self._port), _handler_class(self))
        self._httpd.daemon_threads = True
        # A short poll interval keeps stop() (and so every test using the server) quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fixture-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- dispatch ------------------------------------------------------------------------------

    def _respond(self, method: str, raw_path: str, headers: Message, body: bytes = b"") -> FixtureResponse:
        parts = urlsplit(raw_path)
        with self._lock:
            self.requests.append((method, raw_path))
            self.bodies.append(body)
            self.request_times.append(time.monotonic())
            fault = next(
                (f for f in self._faults if parts.path.startswith(f.path_prefix) and f.remaining), None
            )
            if fault is not None:
                fault.remaining -= 1
        if fault is not None:
            extra = (
                {"Retry-After": _retry_after_value(fault.retry_after)}
                if fault.retry_after is not None
                else {}
            )
            return FixtureResponse(fault.status, fault.body, fault.content_type, extra)
        allowed: set[str] = set()
        for route in self._routes:
            match = route.pattern.fullmatch(parts.path)
            if match and method not in route.methods:
                allowed |= route.methods
            elif match:
                request = FixtureRequest(
                    method, parts.path, parse_qs(parts.query), headers, match, self, body=body
                )
                try:
                    return route.handler(request)
                except Exception as error:  # a broken fixture must answer, not hang the client
                    return FixtureResponse.json({"errors": {"fixture": [repr(error)]}}, status=500)
        if allowed:
            return FixtureResponse(
                405,
                json.dumps({"status": 405, "message": f"{method} not allowed"}).encode(),
                JSON,
                {"Allow": ", ".join(sorted(allowed))},
            )
        return FixtureResponse.json({"status": 404, "message": "Not found"}, status=404)


def _retry_after_value(seconds: float) -> str:
    # Retry-After is whole seconds on the wire; fractions let tests stay fast.
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def _discover_route_modules() -> list[str]:
    """``ipsentry.crawlers.fixture_routes_*`` modules, for other sources' routes."""
    import ipsentry.crawlers as crawlers

    return sorted(
        f"{crawlers.__name__}.{info.name}"
        for info in pkgutil.iter_modules(crawlers.__path__)
        if info.name.startswith("fixture_routes_")
    )


def _handler_class(server: FixtureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ipsentry-fixtures/0.1"

        def do_GET(self) -> None:
            self._serve("GET")

        def do_HEAD(self) -> None:
            self._serve("HEAD")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _read_body(self) -> bytes:
            length = self.headers.get("Content-Length")
            if length is not None and length.strip().isdigit():
                return self.rfile.read(int(length))
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return b""

        def _serve(self, method: str) -> None:
            # Read the body whatever the route, so the connection stays in step for the next.
            request_body = self._read_body()
            response = server._respond(method, self.path, self.headers, request_body)
            headers = dict(response.headers)
            body = response.body
            status = response.status
            if status == 200 and method in ("GET", "HEAD"):
                # Content-addressed ETags, as a CDN would give: a revalidation costs no body.
                etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
                headers["ETag"] = etag
                if etag in [t.strip() for t in (self.headers.get("If-None-Match") or "").split(",")]:
                    status, body = 304, b""
            self.send_response(
                status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
            )
            if status != 304:
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if method != "HEAD" and body:
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # the request log is server.requests

    return Handler


# =============================================================================================
# Federal Register routes
#
# /api/v1/documents.json                           search (conditions, fields[], order, paging)
# /api/v1/documents/{num}.json                     one document
# /documents/full_text/text/YYYY/MM/DD/{num}.txt   raw text (HTML <pre>), where a sample exists
# /documents/full_text/xml/YYYY/MM/DD/{num}.xml    full-text XML, where a sample exists

FR_SAMPLE_DIR = "itc337"
FR_LISTING = "federal_register_337_titles_abstracts.json"
FR_RAW_TEXT = {"2026-02297": "fr_raw_text_2026-02297.html"}
FR_XML = {"2016-08680": "fr_full_text_xml_2016-08680.xml"}
# The <NOTICE> fragment carries only its filing date ("Filed 4-14-16"); PROVENANCE.md says it
# comes from the GPO daily file of 2016-04-15, the day it was published.
FR_XML_PUBLICATION_DATES = {"2016-08680": "2016-04-15"}
FR_MAX_PER_PAGE = 1000
FR_DEFAULT_PER_PAGE = 20
USITC_AGENCY = {
    "raw_name": "INTERNATIONAL TRADE COMMISSION",
    "name": "International Trade Commission",
    "id": 261,
    "slug": "international-trade-commission",
}


@dataclass
class FederalRegisterFixture:
    """The search data set: the 792 real records plus entries built from the real full-text
    samples; tests may add records (malformed ones too) or impose a result cap."""

    records: list[dict[str, Any]]
    result_cap: int | None = None  # the real API stops serving results past a cap

    def add_record(self, record: dict[str, Any]) -> None:
        self.records.append(record)


def register_federal_register_routes(server: FixtureServer) -> None:
    fixture = FederalRegisterFixture(records=_federal_register_records(server.samples_dir / FR_SAMPLE_DIR))
    server.sources["federal_register"] = fixture
    server.add_route(r"/api/v1/documents\.json", lambda r: _fr_search(r, fixture))
    server.add_route(r"/api/v1/documents/(?P<num>[\w-]+)\.json", lambda r: _fr_document(r, fixture))
    server.add_route(
        r"/documents/full_text/(?P<kind>text|xml)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<num>[\w-]+)\.(?P<ext>txt|xml)",
        lambda r: _fr_full_text(r, fixture),
    )


def _federal_register_records(folder: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads((folder / FR_LISTING).read_text(encoding="utf-8"))
    records.extend(_constructed_records(folder))
    return records


def _constructed_records(folder: Path) -> list[dict[str, Any]]:
    """CONSTRUCTED FROM SAMPLES: search-result entries for the two notices whose full text was
    captured but which are not among the 792 listing records.  Every value is read from the
    captured text itself (FR Doc number, title, publication date, SUMMARY paragraph)."""
    from ipsentry.crawlers.parsers.federal_register import parse_full_text_xml
    from ipsentry.crawlers.parsers.itc337_notice import read_gpo_notice

    constructed: list[dict[str, Any]] = []
    for number, name in FR_RAW_TEXT.items():
        facts = read_gpo_notice((folder / name).read_text(encoding="utf-8"))
        if facts.document_number == number and facts.published:
            constructed.append(_listing_record(number, facts.title, facts.published, facts.summary))
    for number, name in FR_XML.items():
        published = date.fromisoformat(FR_XML_PUBLICATION_DATES[number])
        parsed = parse_full_text_xml((folder / name).read_bytes())
        for document in parsed.documents:
            if document.native_id == number:
                constructed.append(_listing_record(number, document.title, published, document.summary))
    return constructed


def _listing_record(number: str, title: str, published: date, abstract: str) -> dict[str, Any]:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:100]
    return {
        "document_number": number,
        "publication_date": published.isoformat(),
        "title": title,
        "abstract": abstract,
        "html_url": f"https://www.federalregister.gov/documents/{published:%Y/%m/%d}/{number}/{slug}",
        "constructed_from_sample": True,
    }


def _fr_full_record(record: dict[str, Any], base: str) -> dict[str, Any]:
    """A stored record with the fields the real API derives (paths point at this server)."""
    full = dict(record)
    number = str(record.get("document_number") or "")
    published = str(record.get("publication_date") or "")
    day = published.replace("-", "/") if re.fullmatch(r"\d{4}-\d{2}-\d{2}", published) else "0000/00/00"
    full.setdefault("type", "Notice")
    full.setdefault("agencies", [dict(USITC_AGENCY)])
    full.setdefault("raw_text_url", f"{base}/documents/full_text/text/{day}/{number}.txt")
    full.setdefault("full_text_xml_url", f"{base}/documents/full_text/xml/{day}/{number}.xml")
    full.setdefault("json_url", f"{base}/api/v1/documents/{number}.json")
    full.pop("constructed_from_sample", None)
    return full


def _fr_search(request: FixtureRequest, fixture: FederalRegisterFixture) -> FixtureResponse:
    query = request.query
    errors: dict[str, list[str]] = {}
    bounds: dict[str, date] = {}
    for key in ("gte", "lte", "is"):
        value = request.param(f"conditions[publication_date][{key}]")
        if value is None:
            continue
        try:
            bounds[key] = date.fromisoformat(value)
        except ValueError:
            errors.setdefault("publication_date", []).append(f"{key} is not a valid date: {value!r}")
    per_page_text = request.param("per_page", str(FR_DEFAULT_PER_PAGE)) or ""
    page_text = request.param("page", "1") or ""
    if not per_page_text.isdigit() or not 1 <= int(per_page_text) <= FR_MAX_PER_PAGE:
        errors.setdefault("per_page", []).append(f"must be between 1 and {FR_MAX_PER_PAGE}")
    if not page_text.isdigit() or int(page_text) < 1:
        errors.setdefault("page", []).append("must be a positive integer")
    order = request.param("order", "relevance")
    if order not in {"relevance", "newest", "oldest", "executive_order_number"}:
        errors.setdefault("order", []).append(f"unknown order: {order!r}")
    if errors:
        return FixtureResponse.json({"errors": errors}, status=400)

    base = request.server.url
    agencies = query.get("conditions[agencies][]")
    types = [t.upper() for t in query.get("conditions[type][]", [])]
    if (agencies and USITC_AGENCY["slug"] not in agencies) or (types and "NOTICE" not in types):
        matched: list[dict[str, Any]] = []
    else:
        # conditions[term] is accepted but not applied: the real search runs over full texts we
        # do not have, and every stored record is a Section 337 notice it would find.
        matched = [r for r in fixture.records if _in_bounds(r.get("publication_date"), bounds)]
    matched.sort(key=lambda r: (str(r.get("publication_date") or ""), str(r.get("document_number") or "")))
    if order != "oldest":
        matched.reverse()
    if fixture.result_cap is not None:
        matched = matched[: fixture.result_cap]
    per_page, page = int(per_page_text), int(page_text)
    total_pages = max(1, -(-len(matched) // per_page))
    payload: dict[str, Any] = {"count": len(matched), "description": "Documents matching the search"}
    chunk = matched[(page - 1) * per_page : page * per_page]
    if matched and chunk:
        payload["total_pages"] = total_pages
        if page < total_pages:
            payload["next_page_url"] = _page_url(request, base, page + 1)
        if page > 1:
            payload["previous_page_url"] = _page_url(request, base, page - 1)
        fields = query.get("fields[]")
        payload["results"] = [_select(_fr_full_record(r, base), fields) for r in chunk]
    return FixtureResponse.json(payload)


def _in_bounds(value: Any, bounds: dict[str, date]) -> bool:
    try:
        published = date.fromisoformat(str(value))
    except ValueError:
        return not bounds  # a malformed stored record shows up only in unbounded searches
    return (
        ("gte" not in bounds or published >= bounds["gte"])
        and ("lte" not in bounds or published <= bounds["lte"])
        and ("is" not in bounds or published == bounds["is"])
    )


def _page_url(request: FixtureRequest, base: str, page: int) -> str:
    query = {k: v for k, v in request.query.items() if k != "page"}
    query["page"] = [str(page)]
    return f"{base}{request.path}?{urlencode(query, doseq=True)}"


def _select(record: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    return {f: record.get(f) for f in fields} if fields else record


def _fr_document(request: FixtureRequest, fixture: FederalRegisterFixture) -> FixtureResponse:
    number = request.match.group("num")
    for record in fixture.records:
        if record.get("document_number") == number:
            return FixtureResponse.json(
                _select(_fr_full_record(record, request.server.url), request.query.get("fields[]"))
            )
    return FixtureResponse.json({"status": 404, "message": f"Document {number} not found"}, status=404)


def _fr_full_text(request: FixtureRequest, fixture: FederalRegisterFixture) -> FixtureResponse:
    groups = request.match.groupdict()
    if (groups["kind"], groups["ext"]) not in {("text", "txt"), ("xml", "xml")}:
        return FixtureResponse(404, b"Not found", "text/plain; charset=utf-8")
    number = groups["num"]
    published = f"{groups['y']}-{groups['m']}-{groups['d']}"
    known = {r.get("document_number"): r.get("publication_date") for r in fixture.records}
    samples, content_type = (FR_RAW_TEXT, HTML) if groups["kind"] == "text" else (FR_XML, XML)
    if number in samples and known.get(number) == published:
        return FixtureResponse(
            200, (request.server.samples_dir / FR_SAMPLE_DIR / samples[number]).read_bytes(), content_type
        )
    # No capture of this document's full text: the real site answers 404 for unknown paths too.
    return FixtureResponse(404, b"<html><body><h1>Not Found</h1></body></html>", HTML)


# =============================================================================================


def main(argv: Sequence[str] | None = None) -> None:
    from ipsentry.config.settings import Settings

    parser = argparse.ArgumentParser(description="Serve the captured source samples on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--samples-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    server = FixtureServer(args.samples_dir or Settings().samples_dir, port=args.port).start()
    print(f"fixture server on {server.url} (Ctrl-C stops it)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
