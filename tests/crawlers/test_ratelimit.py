"""The token bucket that keeps a spider inside its account's quotas, and its middleware."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

from ipsentry.crawlers.ratelimit import (
    DEFAULT_PENALTY_SECONDS,
    Limit,
    RateLimitMiddleware,
    TokenBucket,
    parse_limits,
)

COURTLISTENER_DEFAULTS = "5/minute, 50/hour, 125/day"


class Clock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_parse_limits_reads_the_account_quota_notation() -> None:
    assert parse_limits(COURTLISTENER_DEFAULTS) == [Limit(5, 60), Limit(50, 3600), Limit(125, 86400)]
    assert parse_limits("100/30s") == [Limit(100, 30)]
    assert parse_limits(["2/second", {"requests": 7, "seconds": 10}]) == [Limit(2, 1), Limit(7, 10)]
    for bad in ("", "five/minute", "5/fortnight", "0/minute"):
        with pytest.raises(ValueError):
            parse_limits(bad)


def test_bursts_up_to_the_window_then_one_request_per_refill() -> None:
    clock = Clock()
    bucket = TokenBucket(parse_limits(COURTLISTENER_DEFAULTS), clock=clock)

    waits = [bucket.reserve() for _ in range(7)]

    # Five at once; then one every 12 s (60 s / 5), queued behind each other.
    assert waits == [0.0, 0.0, 0.0, 0.0, 0.0, 12.0, 24.0]
    clock.advance(36)
    assert bucket.reserve() == 0.0


def test_the_hourly_window_binds_after_the_minute_ones() -> None:
    clock = Clock()
    bucket = TokenBucket([Limit(5, 60), Limit(6, 3600)], clock=clock, max_wait=10_000)
    for _ in range(5):
        assert bucket.reserve() == 0.0
    clock.advance(60)  # the minute bucket is full again, the hour bucket has 1 token left
    assert bucket.reserve() == pytest.approx(0.0, abs=0.2)
    # The next hourly token takes 600 s (3600 / 6) to come back.
    assert bucket.wait_time() == pytest.approx(600 - 60, abs=1)


def test_a_wait_beyond_max_wait_is_refused_and_takes_nothing() -> None:
    clock = Clock()
    bucket = TokenBucket([Limit(1, 3600)], clock=clock, max_wait=30)
    assert bucket.reserve() == 0.0
    tokens = dict(bucket.tokens)

    assert bucket.reserve() is None
    assert bucket.tokens == tokens and bucket.refused == 1 and bucket.reserved == 1


def test_retry_after_blocks_every_request_until_then() -> None:
    clock = Clock()
    bucket = TokenBucket(parse_limits("600/minute"), clock=clock)
    bucket.penalise(7.5)
    assert bucket.reserve() == 7.5
    clock.advance(8)
    assert bucket.reserve() == 0.0
    bucket.penalise(None)  # a 429 without Retry-After: a default pause
    assert bucket.wait_time() == DEFAULT_PENALTY_SECONDS


def test_snapshot_carries_the_quota_across_runs() -> None:
    clock = Clock()
    first = TokenBucket(parse_limits(COURTLISTENER_DEFAULTS), clock=clock)
    for _ in range(5):
        first.reserve()
    first.penalise(20)
    saved = first.snapshot()

    clock.advance(6)  # the next run, a separate process, six seconds later
    second = TokenBucket(parse_limits(COURTLISTENER_DEFAULTS), clock=clock, snapshot=saved)

    assert second.tokens["5/60s"] == pytest.approx(0.5)
    assert second.tokens["50/3600s"] == pytest.approx(45 + 6 * 50 / 3600)
    assert second.wait_time() == pytest.approx(14.0)  # the Retry-After still holds
    # Other limits than those saved (the account changed): the saved tokens of other windows
    # are ignored, the matching ones kept; a damaged snapshot is ignored altogether.
    other = TokenBucket([Limit(5, 60), Limit(1000, 86400)], clock=clock, snapshot=saved)
    assert other.tokens == {"5/60s": pytest.approx(0.5), "1000/86400s": 1000.0}
    damaged = TokenBucket([Limit(5, 60)], clock=clock, snapshot={"updated": "yesterday"})
    assert damaged.tokens == {"5/60s": 5.0}


def _middleware(bucket: TokenBucket | None) -> RateLimitMiddleware:
    spider = SimpleNamespace(name="courtlistener", rate_limiter=bucket)
    return RateLimitMiddleware(SimpleNamespace(spider=spider, stats=None))  # type: ignore[arg-type]


def test_middleware_drops_a_request_the_quota_cannot_serve_soon() -> None:
    clock = Clock()
    bucket = TokenBucket([Limit(1, 86400)], clock=clock, max_wait=60)
    middleware = _middleware(bucket)
    request = Request("http://127.0.0.1/api/rest/v4/search/")

    assert asyncio.run(middleware.process_request(request)) is None  # the one token of the day
    with pytest.raises(IgnoreRequest, match="left for the next run"):
        asyncio.run(middleware.process_request(request))
    # Requests marked dont_rate_limit, and spiders without a bucket, pass untouched.
    exempt = Request("http://127.0.0.1/x", meta={"dont_rate_limit": True})
    assert asyncio.run(middleware.process_request(exempt)) is None
    assert asyncio.run(_middleware(None).process_request(request)) is None


def test_middleware_hears_a_429_and_its_retry_after() -> None:
    clock = Clock()
    bucket = TokenBucket(parse_limits("600/minute"), clock=clock)
    middleware = _middleware(bucket)
    request = Request("http://127.0.0.1/api/rest/v4/search/")
    throttled = Response(request.url, status=429, headers={"Retry-After": "3"}, request=request)

    assert middleware.process_response(request, throttled) is throttled
    assert bucket.blocked_until == clock.now + 3
    ok = Response(request.url, status=200, request=request)
    assert middleware.process_response(request, ok) is ok
    assert bucket.blocked_until == clock.now + 3
