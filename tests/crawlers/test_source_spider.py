"""The base spider's bookkeeping, in process (no reactor needed)."""

from __future__ import annotations

import sys
from pathlib import Path

from scrapy.utils.test import get_crawler

from ipsentry.crawlers.fixture_server import FixtureRequest, FixtureResponse, FixtureServer
from ipsentry.crawlers.spiders.federal_register import FederalRegisterSpider


def _spider(**kwargs: object) -> FederalRegisterSpider:
    crawler = get_crawler(FederalRegisterSpider)
    spider = FederalRegisterSpider.from_crawler(crawler, base_url="http://127.0.0.1:9/", **kwargs)
    crawler.spider = spider
    return spider


def test_zero_items_from_new_records_is_a_sanity_failure() -> None:
    spider = _spider(state={})
    spider.new_records = 3
    spider.closed("finished")
    stats = spider.crawler.stats
    assert stats is not None
    assert stats.get_value("ipsentry/federal_register/sanity/zero_items") == 1


def test_problems_are_counted_and_sampled() -> None:
    spider = _spider()
    for index in range(25):
        spider.problem("http_404", f"https://example.invalid/{index}")
    stats = spider.crawler.stats
    assert stats is not None
    assert stats.get_value("ipsentry/federal_register/errors") == 25
    assert stats.get_value("ipsentry/federal_register/errors/http_404") == 25
    samples = stats.get_value("ipsentry/federal_register/error_samples")
    assert len(samples) == 20 and samples[0] == "http_404: https://example.invalid/0"


def test_state_given_as_json_and_windows_per_month() -> None:
    spider = _spider(
        state='{"last_date": "2026-01-20", "seen": {"2026-01-19": ["2026-00001"]}, "pending": {}}',
        until="2026-03-05",
    )
    assert spider.base_url == "http://127.0.0.1:9"
    assert [(a.isoformat(), b.isoformat()) for a, b in spider.windows()] == [
        ("2026-01-17", "2026-01-31"),  # three days of overlap before the last run's end
        ("2026-02-01", "2026-02-28"),
        ("2026-03-01", "2026-03-05"),
    ]
    assert spider.new_state() == {"last_date": "2026-03-05", "seen": {}, "pending": {}}


def test_route_modules_register_their_routes(tmp_path: Path, itc337_dir: Path) -> None:
    (tmp_path / "fixture_routes_example.py").write_text(
        "from ipsentry.crawlers.fixture_server import FixtureResponse\n"
        "def register_routes(server):\n"
        "    server.add_route(r'/ping', lambda request: FixtureResponse.json({'pong': True}))\n",
        encoding="utf-8",
    )
    sys.path.insert(0, str(tmp_path))
    try:
        server = FixtureServer(itc337_dir.parent, route_modules=["fixture_routes_example"])
    finally:
        sys.path.remove(str(tmp_path))
    route = next(r for r in server._routes if r.pattern.pattern == "/ping")
    response = route.handler(FixtureRequest("GET", "/ping", {}, None, None, server))  # type: ignore[arg-type]
    assert response == FixtureResponse.json({"pong": True})
