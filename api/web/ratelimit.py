"""A light limit on failed logins, per user name and per client address, in this process's
memory: it slows password guessing down without a table or a cache server.  Several workers
each keep their own count, which multiplies the allowance but not the idea."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence


class LoginLimiter:
    def __init__(
        self,
        *,
        per_name: int = 5,
        per_address: int = 20,
        window_seconds: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {"name": per_name, "address": per_address}
        self._window = window_seconds
        self._clock = clock
        self._failures: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _keys(self, name: str, address: str) -> Sequence[tuple[str, str]]:
        return (("name", name.casefold()), ("address", address))

    def retry_after(self, name: str, address: str) -> float:
        """Seconds to wait before the next try (0 when a try is allowed now)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in self._keys(name, address):
                failures = self._failures[key]
                while failures and now - failures[0] > self._window:
                    failures.popleft()
                if len(failures) >= self._limits[key[0]]:
                    wait = max(wait, self._window - (now - failures[0]))
        return wait

    def failed(self, name: str, address: str) -> None:
        with self._lock:
            for key in self._keys(name, address):
                self._failures[key].append(self._clock())

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop(("name", name.casefold()), None)
