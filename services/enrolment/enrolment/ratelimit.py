"""A per-client limit on writes, kept in the process (each gunicorn worker
counts on its own, which is enough to blunt a script hammering the form)."""
from __future__ import annotations

import threading
import time
from collections import deque
from math import ceil


class RateLimiter:
    """At most ``limit`` hits per ``window`` seconds per key (sliding
    window); ``limit`` 0 turns it off."""

    def __init__(self, limit: int, window: float, max_keys: int = 50_000):
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count a hit; None when allowed, else seconds until the next one is."""
        if self.limit <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._forget_idle(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            return None

    def refusal(self, key: str) -> dict | None:
        """Count a hit; None when allowed, else the headers of the 429."""
        wait = self.hit(key)
        return None if wait is None else {"Retry-After": str(max(1, ceil(wait)))}

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[key]
