"""Rate limits per client IP and per token, by route group, on the `limits` library's moving window.

Counters live in Redis when REDIS_URL is set (every API replica and worker process shares them), in
memory otherwise (ratelimit_memory.py). When Redis cannot be reached the limits still hold, per process,
from memory: a Redis outage slows nobody down and lets no flood through unchecked.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from limits.util import WindowStats

from paycrypt.api.errors import RateLimited
from paycrypt.api.ratelimit_memory import LoopMemoryStorage
from paycrypt.core.api_settings import ApiSettings
from paycrypt.core.secrets import Secret

log = logging.getLogger(__name__)

KEY_PREFIX = "paycrypt-api"
_WARN_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class RateState:
    """What is left of the tightest limit a request counted against (the X-RateLimit-* headers)."""

    limit: int
    remaining: int
    reset: int  # Unix time when the window frees the next request

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The same headers as ASGI sends them (lower-case names, bytes)."""
        return [(name.lower().encode(), value.encode()) for name, value in self.headers().items()]

    @staticmethod
    def tightest(*states: RateState | None) -> RateState | None:
        present = [s for s in states if s is not None]
        return min(present, key=lambda s: (s.remaining, -s.reset)) if present else None


class ApiRateLimiter:
    def __init__(self, settings: ApiSettings, redis_url: Secret | None, *, key_prefix: str = KEY_PREFIX):
        self._settings = settings
        self._memory = MovingWindowRateLimiter(LoopMemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if redis_url is not None:
            url = redis_url.reveal()
            if url.startswith("unix://"):
                url = "redis+" + url
            storage = storage_from_string(
                url,
                key_prefix=key_prefix,
                wrap_exceptions=True,
                socket_timeout=0.5,
                socket_connect_timeout=0.5,
            )
            self._shared = MovingWindowRateLimiter(storage)
        self._items: dict[str, RateLimitItem] = {}
        self._lock = threading.Lock()
        self._last_warning = 0.0

    @property
    def shared(self) -> bool:
        return self._shared is not None

    def check_ip(self, group: str, ip: str) -> RateState:
        return self._check(group, "ip", ip, str(self._settings.limit(group, per_token=False)))

    def check_token(self, group: str, subject: str) -> RateState:
        return self._check(group, "token", subject, str(self._settings.limit(group, per_token=True)))

    def _check(self, group: str, kind: str, who: str, rate: str) -> RateState:
        item = self._item(rate)
        identity = (group, kind, who)
        allowed, stats = self._hit(item, identity)
        reset = math.ceil(stats.reset_time)
        state = RateState(limit=item.amount, remaining=max(stats.remaining, 0), reset=reset)
        if not allowed:
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            by = "this client address" if kind == "ip" else "this token"
            raise RateLimited(
                f"too many requests from {by}: at most {item.amount} per {_window(item)}; "
                f"try again in {retry_after} s",
                headers={"Retry-After": str(retry_after), **state.headers()},
            )
        return state

    def _hit(self, item: RateLimitItem, identity: tuple[str, str, str]) -> tuple[bool, WindowStats]:
        if self._shared is not None:
            try:
                allowed = self._shared.hit(item, *identity)
                return allowed, self._shared.get_window_stats(item, *identity)
            except StorageError as err:
                self._warn(err)
        allowed = self._memory.hit(item, *identity)
        return allowed, self._memory.get_window_stats(item, *identity)

    def _item(self, rate: str) -> RateLimitItem:
        with self._lock:
            if rate not in self._items:
                self._items[rate] = parse(rate)
            return self._items[rate]

    def _warn(self, err: StorageError) -> None:
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_SECONDS:
            self._last_warning = now
            cause = type(err.storage_error).__name__
            log.warning("rate limits: Redis unavailable (%s); counting in this process meanwhile", cause)


def _window(item: RateLimitItem) -> str:
    period = item.GRANULARITY.name
    return period if item.multiples == 1 else f"{item.multiples} {period}s"
