"""Token buckets kept in memory, per process (web chat, the assistant try panel). Behind several web
processes each enforces its own share, which a small business can live with."""

from __future__ import annotations

import time


class RateLimiter:
    def __init__(self, per_minute: int, *, max_keys: int = 50_000) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Take one token. Returns 0 if allowed, else seconds until one is free."""
        now = time.monotonic()
        tokens, stamp = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - stamp) * self.refill)
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.refill
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) > self.max_keys:
            self._prune(now)
        return 0.0

    def _prune(self, now: float) -> None:
        full = self.capacity / self.refill
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}
