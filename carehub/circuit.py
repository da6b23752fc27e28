"""A circuit breaker for an optional dependency (the API throttle's Redis cache).

A Redis that hangs (paused, a half-open connection) answers nothing until the socket
timeout: without a breaker every request pays that timeout. After one failure the breaker
opens for ``cooldown`` seconds, during which callers skip the dependency at once (the
throttle lets requests through, as it does when Redis refuses connections); then one caller
tries again (half-open): success closes the breaker, failure opens it for another cooldown.
Per process, so each web worker finds out for itself; cheap enough to ask on every request.
"""

from __future__ import annotations

import threading
import time


class CircuitBreaker:
    def __init__(self, *, cooldown: float):
        self.cooldown = cooldown
        self._open_until = 0.0
        self._trying = False
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Whether to call the dependency now. While open: no. Once the cooldown has passed,
        one caller at a time gets to try."""
        now = time.monotonic()
        if now >= self._open_until:
            if self._open_until == 0.0:
                return True  # closed
            with self._lock:
                if not self._trying:
                    self._trying = True
                    return True
        return False

    def succeeded(self) -> None:
        if self._open_until:
            with self._lock:
                self._open_until, self._trying = 0.0, False

    def failed(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self.cooldown
            self._trying = False

    @property
    def is_open(self) -> bool:
        return self._open_until != 0.0
