"""The fixture server answers like the Federal Register API, from the real samples."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from ipsentry.crawlers.fixture_server import (
    BLOCK_PAGE_HTML,
    FixtureRequest,
    FixtureResponse,
    FixtureServer,
)


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _search(server: FixtureServer, **params: Any) -> tuple[int, dict[str, Any]]:
    query = urlencode(params, doseq=True)
    status, _, body = _get(f"{server.url}/api/v1/documents.json?{query}")
    return status, json.loads(body)


def test_search_window_order_paging_and_fields(fixture_server: FixtureServer) -> None:
    status, page1 = _search(
        fixture_server,
        **{
            "conditions[agencies][]": "international-trade-commission",
            "conditions[type][]": "NOTICE",
            "conditions[publication_date][gte]": "2026-01-01",
            "conditions[publication_date][lte]": "2026-02-28",
            "fields[]": ["document_number", "publication_date", "raw_text_url"],
            "per_page": 10,
            "order": "oldest",
        },
    )
    assert status == 200
    # 28 real records of 2026 plus 2026-02297, built from its captured raw text.
    assert (page1["count"], page1["total_pages"]) == (29, 3)
    assert set(page1["results"][0]) == {"document_number", "publication_date", "raw_text_url"}
    assert page1["results"][0]["document_number"] == "2025-24146"  # published 2026-01-02
    assert page1["results"][0]["raw_text_url"] == (
        f"{fixture_server.url}/documents/full_text/text/2026/01/02/2025-24146.txt"
    )
    assert "page=2" in page1["next_page_url"] and "previous_page_url" not in page1
    _, _, body = _get(page1["next_page_url"].replace("page=2", "page=3"))
    page3 = json.loads(body)
    assert len(page3["results"]) == 9 and "next_page_url" not in page3
    assert page3["results"][-1]["document_number"] == "2026-02297"


def test_search_newest_first_and_empty_results(fixture_server: FixtureServer) -> None:
    _, newest = _search(fixture_server, order="newest", per_page=1)
    assert newest["count"] == 794 and newest["results"][0]["document_number"] == "2026-02297"
    _, empty = _search(fixture_server, **{"conditions[publication_date][gte]": "2030-01-01"})
    assert empty == {"count": 0, "description": "Documents matching the search"}  # no "results" key
    _, other_agency = _search(fixture_server, **{"conditions[agencies][]": "commerce-department"})
    assert other_agency["count"] == 0


def test_invalid_query_is_http_400_with_errors(fixture_server: FixtureServer) -> None:
    status, body = _search(
        fixture_server, **{"conditions[publication_date][gte]": "2026-02-30", "per_page": 5000}
    )
    assert status == 400
    assert set(body["errors"]) == {"publication_date", "per_page"}


def test_constructed_entry_is_read_from_the_captured_text(fixture_server: FixtureServer) -> None:
    status, _, body = _get(f"{fixture_server.url}/api/v1/documents/2026-02297.json")
    record = json.loads(body)
    assert status == 200
    assert record["publication_date"] == "2026-02-05"
    assert record["title"].startswith(
        "Certain Semiconductor Devices and Products Containing the Same; Notice of"
    )
    assert record["abstract"].startswith(
        "Notice is hereby given that the U.S. International Trade Commission"
    )
    assert "constructed_from_sample" not in record  # a marker in code, not a field of the API
    status, _, _ = _get(f"{fixture_server.url}/api/v1/documents/1999-00001.json")
    assert status == 404


def test_full_text_routes_content_types_and_404(fixture_server: FixtureServer, itc337_dir: Path) -> None:
    status, headers, body = _get(f"{fixture_server.url}/documents/full_text/text/2026/02/05/2026-02297.txt")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert body == (itc337_dir / "fr_raw_text_2026-02297.html").read_bytes()
    status, headers, _ = _get(f"{fixture_server.url}/documents/full_text/xml/2016/04/15/2016-08680.xml")
    assert status == 200 and headers["Content-Type"] == "application/xml; charset=utf-8"
    # Right number, wrong date; and a notice whose text was never captured.
    assert _get(f"{fixture_server.url}/documents/full_text/text/2026/02/06/2026-02297.txt")[0] == 404
    assert _get(f"{fixture_server.url}/documents/full_text/text/2026/02/03/2026-02107.txt")[0] == 404


def test_etag_revalidation_gives_304(fixture_server: FixtureServer) -> None:
    url = f"{fixture_server.url}/documents/full_text/text/2026/02/05/2026-02297.txt"
    _, headers, _ = _get(url)
    status, _, body = _get(url, {"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")
    assert _get(url, {"If-None-Match": '"other"'})[0] == 200


def test_scripted_faults_then_normal_answers(fixture_server: FixtureServer) -> None:
    fixture_server.fail_next("/api/v1/documents.json", status=429, retry_after=7, times=2)
    url = f"{fixture_server.url}/api/v1/documents.json?per_page=1"
    first, second, third = _get(url), _get(url), _get(url)
    assert (first[0], first[1]["Retry-After"]) == (429, "7")
    assert second[0] == 429 and third[0] == 200
    fixture_server.fail_next(
        "/documents/full_text/",
        status=200,
        retry_after=None,
        body=BLOCK_PAGE_HTML,
        content_type="text/html; charset=utf-8",
    )
    status, _, body = _get(f"{fixture_server.url}/documents/full_text/text/2026/02/05/2026-02297.txt")
    assert status == 200 and body == BLOCK_PAGE_HTML


def test_request_log_and_added_routes(fixture_server: FixtureServer) -> None:
    def echo(request: FixtureRequest) -> FixtureResponse:
        return FixtureResponse.json({"court": request.match.group("court"), "q": request.param("q")})

    fixture_server.add_route(r"/cgi-bin/(?P<court>\w+)/rss", echo)
    status, _, body = _get(f"{fixture_server.url}/cgi-bin/ilnd/rss?q=schedule+a")
    assert status == 200 and json.loads(body) == {"court": "ilnd", "q": "schedule a"}
    assert fixture_server.requests[-1] == ("GET", "/cgi-bin/ilnd/rss?q=schedule+a")
    assert fixture_server.requests_to("/cgi-bin/") == ["/cgi-bin/ilnd/rss?q=schedule+a"]
    assert _get(f"{fixture_server.url}/nothing/here")[0] == 404


def test_post_routes_get_the_body_and_other_methods_a_405(fixture_server: FixtureServer) -> None:
    def echo(request: FixtureRequest) -> FixtureResponse:
        return FixtureResponse.json({"form": request.form(), "body": request.body.decode()})

    fixture_server.add_route(r"/echo", echo, methods=("POST",))
    # One kept-alive connection: each body is read whole, so the next request is not garbled.
    with httpx.Client(base_url=fixture_server.url) as client:
        form = client.post("/echo", data={"grant_type": "client_credentials", "scope": "uid"})
        raw = client.post("/echo", content=b'{"a": 1}', headers={"Content-Type": "application/json"})
        refused = client.get("/echo")
        after = client.get("/api/v1/documents/2026-02297.json")
    assert form.status_code == 200
    assert form.json()["form"] == {"grant_type": ["client_credentials"], "scope": ["uid"]}
    assert "ETag" not in form.headers  # no revalidation of a POST's answer
    assert raw.json() == {"form": None, "body": '{"a": 1}'}
    assert refused.status_code == 405 and refused.headers["Allow"] == "POST"
    assert after.status_code == 200 and after.json()["document_number"] == "2026-02297"
    # A GET route refuses POST the same way; an unknown path is still a 404.
    assert httpx.post(f"{fixture_server.url}/api/v1/documents.json", data={"a": "b"}).status_code == 405
    assert httpx.post(f"{fixture_server.url}/nothing/here").status_code == 404
    assert fixture_server.requests_to("/echo", method="POST") == ["/echo", "/echo"]
    assert fixture_server.requests_to("/echo", method="GET") == ["/echo"]
    assert fixture_server.bodies[0] == b"grant_type=client_credentials&scope=uid"


def test_url_needs_a_started_server(itc337_dir: Path) -> None:
    server = FixtureServer(itc337_dir.parent)
    with pytest.raises(RuntimeError):
        _ = server.url
    with server:
        assert server.url.startswith("http://127.0.0.1:")
