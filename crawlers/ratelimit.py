"""A token bucket per rate window, for sources whose account has hard request quotas.

CourtListener allows a default account about 5 requests a minute, 50 an hour and 125 a day,
and answers HTTP 429 with ``Retry-After`` beyond that.  Scrapy's politeness (a fixed delay,
AutoThrottle) knows nothing of hourly or daily quotas, so a spider that has them gives itself
a :class:`TokenBucket` (attribute ``rate_limiter``) and :class:`RateLimitMiddleware` makes
every request of that spider wait for a token:

* each window is a bucket of ``requests`` tokens refilled continuously over ``seconds``
  (bursts up to the window's size, never more than its rate on average);
* a reservation may run a bucket into debt, so concurrent requests queue up behind each
  other instead of all waking at the same instant;
* a 429's ``Retry-After`` blocks every bucket until then (``penalise``);
* a wait longer than ``max_wait`` is not slept through: the request is dropped
  (``IgnoreRequest``, its errback runs) and the spider leaves it for the next run;
* the buckets are saved in the spider's incremental state (``snapshot``), so the hourly and
  daily quotas hold across runs, which are separate processes.  Times are wall-clock
  seconds for that reason (a monotonic clock does not survive the process).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import sleep

from ipsentry.crawlers.settings import retry_after_seconds

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

Clock = Callable[[], float]

_UNITS = {"s": 1.0, "sec": 1.0, "second": 1.0, "min": 60.0, "minute": 60.0}
_UNITS |= {"h": 3600.0, "hour": 3600.0, "d": 86400.0, "day": 86400.0}
_LIMIT_RE = re.compile(
    r"^\s*(?P<requests>\d+)\s*/\s*(?P<count>\d+(?:\.\d+)?)?\s*(?P<unit>[a-z]+?)s?\s*$", re.IGNORECASE
)
# When a 429 comes without Retry-After, wait this long before the next request.
DEFAULT_PENALTY_SECONDS = 60.0


@dataclass(frozen=True)
class Limit:
    """At most ``requests`` requests per ``seconds``."""

    requests: int
    seconds: float

    def __post_init__(self) -> None:
        if self.requests < 1 or self.seconds <= 0:
            raise ValueError(f"a rate limit needs at least one request per positive time: {self}")

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def key(self) -> str:
        return f"{self.requests}/{self.seconds:g}s"


def parse_limits(value: str | Iterable[str | Limit | Mapping[str, Any]]) -> list[Limit]:
    """ "5/minute, 50/hour, 125/day" (also "5/min", "100/30s", "2/second") → limits."""
    items = value.split(",") if isinstance(value, str) else list(value)
    limits: list[Limit] = []
    for item in items:
        if isinstance(item, Limit):
            limits.append(item)
        elif isinstance(item, Mapping):
            limits.append(Limit(int(item["requests"]), float(item["seconds"])))
        elif str(item).strip():
            match = _LIMIT_RE.match(str(item))
            unit = _UNITS.get(match["unit"].lower()) if match else None
            if match is None or unit is None:
                raise ValueError(f"unreadable rate limit {item!r} (expected e.g. '5/minute')")
            limits.append(Limit(int(match["requests"]), float(match["count"] or 1) * unit))
    if not limits:
        raise ValueError("no rate limit given")
    return limits


class TokenBucket:
    """Tokens per window; :meth:`reserve` says how long to wait before the next request."""

    def __init__(
        self,
        limits: Iterable[Limit],
        *,
        max_wait: float = 120.0,
        clock: Clock = time.time,
        snapshot: Mapping[str, Any] | None = None,
    ) -> None:
        self.limits = list(limits)
        if not self.limits:
            raise ValueError("a token bucket needs at least one limit")
        self.max_wait = max_wait
        self.clock = clock
        now = clock()
        self.tokens = {limit.key: float(limit.requests) for limit in self.limits}
        self.updated = now
        self.blocked_until = 0.0
        self.reserved = 0  # requests let through (or queued) by this bucket
        self.refused = 0  # requests dropped because the wait was longer than max_wait
        if snapshot:
            self._restore(snapshot, now)

    # -- state across runs -----------------------------------------------------------------

    def _restore(self, snapshot: Mapping[str, Any], now: float) -> None:
        """Continue from a saved state; a damaged or foreign one (other limits) is ignored
        where it does not fit, since a fresh bucket is the safe default only for a new account."""
        saved = snapshot.get("tokens") if isinstance(snapshot.get("tokens"), Mapping) else {}
        try:
            updated = float(snapshot.get("updated", now))
            blocked = float(snapshot.get("blocked_until", 0.0))
        except (TypeError, ValueError):
            return
        for limit in self.limits:
            value = saved.get(limit.key)
            if isinstance(value, int | float):
                self.tokens[limit.key] = min(float(limit.requests), float(value))
        self.updated = min(updated, now)
        self.blocked_until = blocked
        self._refill(now)

    def snapshot(self) -> dict[str, Any]:
        self._refill(self.clock())
        return {
            "tokens": {key: round(value, 3) for key, value in self.tokens.items()},
            "updated": round(self.updated, 3),
            "blocked_until": round(self.blocked_until, 3),
        }

    # -- tokens ----------------------------------------------------------------------------

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        for limit in self.limits:
            self.tokens[limit.key] = min(float(limit.requests), self.tokens[limit.key] + elapsed * limit.rate)
        self.updated = max(self.updated, now)

    def wait_time(self) -> float:
        """Seconds until a request may be sent, without reserving it."""
        now = self.clock()
        self._refill(now)
        waits = [max(0.0, self.blocked_until - now)]
        for limit in self.limits:
            missing = 1.0 - self.tokens[limit.key]
            waits.append(max(0.0, missing / limit.rate))
        return max(waits)

    def reserve(self) -> float | None:
        """Take a token for one request; returns the seconds to wait before sending it, or
        ``None`` (nothing taken) when that wait would exceed ``max_wait``."""
        wait = self.wait_time()
        if wait > self.max_wait:
            self.refused += 1
            return None
        for limit in self.limits:
            self.tokens[limit.key] -= 1.0
        self.reserved += 1
        return wait

    def penalise(self, seconds: float | None) -> None:
        """The server refused a request (429): send nothing before ``seconds`` from now (its
        ``Retry-After``; a default pause when it gave none)."""
        now = self.clock()
        delay = DEFAULT_PENALTY_SECONDS if seconds is None else max(0.0, seconds)
        self.blocked_until = max(self.blocked_until, now + delay)


class RateLimitMiddleware:
    """Downloader middleware: requests of a spider with a ``rate_limiter`` wait for a token;
    429 answers penalise the bucket.  Sits nearer the downloader than the retry middleware,
    so the bucket hears of a 429 before the retry is scheduled (and the retry waits too)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RateLimitMiddleware:
        return cls(crawler)

    def _bucket(self) -> TokenBucket | None:
        bucket = getattr(self.crawler.spider, "rate_limiter", None)
        return bucket if isinstance(bucket, TokenBucket) else None

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            source = getattr(self.crawler.spider, "name", "unknown")
            self.crawler.stats.inc_value(f"ipsentry/{source}/ratelimit/{key}")

    async def process_request(self, request: Request) -> None:
        bucket = self._bucket()
        if bucket is None or request.meta.get("dont_rate_limit"):
            return
        wait = bucket.reserve()
        if wait is None:
            self._count("refused")
            raise IgnoreRequest(
                f"rate limit: next request allowed in {bucket.wait_time():.0f}s "
                f"(more than {bucket.max_wait:.0f}s): left for the next run"
            )
        if wait > 0:
            self._count("waits")
            logger.debug("rate limit: waiting %.1fs before %s", wait, request.url)
            await sleep(wait)

    def process_response(self, request: Request, response: Response) -> Response:
        bucket = self._bucket()
        if bucket is not None and response.status == 429:
            self._count("throttled")
            bucket.penalise(retry_after_seconds(response.headers.get(b"Retry-After")))
        return response
