"""A per-client token bucket for the public verification routes: enough for a person at a counter or a
phone, not for harvesting the register. In memory, per process (a restart forgets; so does a second worker)."""

from __future__ import annotations

import threading
import time

from examsvc.errors import ExamServiceError

MAX_CLIENTS = 100_000


class VerifyRateLimited(ExamServiceError):
    status_code = 429
    code = "verify_rate_limited"
    message = "查询过于频繁，请稍后再试。"


class RateLimiter:
    def __init__(self, per_minute: int, *, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else max(5, per_minute // 4))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                return False
            if len(self._buckets) >= MAX_CLIENTS and client not in self._buckets:
                self._buckets.clear()  # a flood of addresses: start over rather than grow without bound
            self._buckets[client] = (tokens - 1.0, now)
            return True

    def check(self, client: str) -> None:
        if not self.allow(client):
            raise VerifyRateLimited()
