"""Sliding-window rate limits (in memory: one process answers one user's updates)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Literal


class RateLimiter:
    """At most `limit` events per `window` seconds per key."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[Hashable, deque[float]] = {}

    def allow(self, key: Hashable) -> bool:
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        if len(self._events) > 100_000:  # forget idle users so memory stays bounded
            self._events = {k: v for k, v in self._events.items() if v and now - v[-1] < self.window}
        return True


class Throttle(RateLimiter):
    """A rate limit that says "slow down" once per window to whoever exceeds it, then stays silent."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(limit, window, clock)
        self._warned = Once(window, clock)

    def check(self, key: Hashable) -> Literal["allow", "warn", "drop"]:
        if self.allow(key):
            return "allow"
        return "warn" if self._warned.first(key) else "drop"


class Once:
    """True the first time a key is seen in a window, False for repeats until the window has passed."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._seen: dict[Hashable, float] = {}

    def first(self, key: Hashable) -> bool:
        now = self._clock()
        last = self._seen.get(key)
        if last is not None and now - last < self.window:
            return False
        self._seen[key] = now
        if len(self._seen) > 100_000:  # forget old keys so memory stays bounded
            self._seen = {k: t for k, t in self._seen.items() if now - t < self.window}
        return True
