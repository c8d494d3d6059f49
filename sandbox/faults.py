"""Faults the sandbox can inject into the next submissions, to test how clients survive a bad network.

A FaultPlan is a queue of faults, each good for `count` submissions (POST /transactions and
/transactions_async). It is shared between the HTTP server's thread and the tests' thread, hence the lock.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    TIMEOUT_AFTER_APPLY = "timeout_after_apply"  # the ledger takes the transaction; the client gets 504
    TIMEOUT_BEFORE_APPLY = "timeout_before_apply"  # 504 and the transaction never reaches the ledger
    UNAVAILABLE = "unavailable"  # 503, transaction not taken
    RATE_LIMITED = "rate_limited"  # 429 with Retry-After, transaction not taken
    DROP_CONNECTION = "drop_connection"  # the connection closes without an answer; transaction not taken
    DROP_AFTER_APPLY = "drop_after_apply"  # the ledger takes it, then the connection closes without answer
    LATENCY = "latency"  # wait `seconds`, then answer normally


class FaultError(ValueError):
    """A fault description that cannot be used."""


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind
    count: int = 1
    seconds: float = 0.0  # latency, or how long to wait before answering a timeout
    retry_after: int = 1  # seconds, for rate_limited

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Fault:
        try:
            kind = FaultKind(body["kind"])
            fault = cls(
                kind=kind,
                count=int(body.get("count", 1)),
                seconds=float(body.get("seconds", 0.0)),
                retry_after=int(body.get("retry_after", 1)),
            )
        except (KeyError, TypeError, ValueError) as err:
            kinds = ", ".join(kind.value for kind in FaultKind)
            raise FaultError(f"expected a kind ({kinds}), a count and seconds: {err}") from None
        if fault.count < 1 or fault.seconds < 0 or fault.retry_after < 0:
            raise FaultError("count must be at least 1; seconds and retry_after cannot be negative")
        return fault

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "count": self.count,
            "seconds": self.seconds,
            "retry_after": self.retry_after,
        }


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Fault] = deque()
        self._injected = 0

    def add(
        self, kind: FaultKind | str, count: int = 1, *, seconds: float = 0.0, retry_after: int = 1
    ) -> Fault:
        """Queues a fault for the next `count` submissions (after any fault already queued)."""
        fault = Fault.from_json(
            {"kind": kind, "count": count, "seconds": seconds, "retry_after": retry_after}
        )
        with self._lock:
            self._queue.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._queue)

    @property
    def injected(self) -> int:
        """How many submissions were given a fault so far."""
        with self._lock:
            return self._injected

    def take(self) -> Fault | None:
        """The fault for this submission, if any; each call uses one of the front fault's `count`."""
        with self._lock:
            if not self._queue:
                return None
            fault = self._queue[0]
            if fault.count <= 1:
                self._queue.popleft()
            else:
                self._queue[0] = replace(fault, count=fault.count - 1)
            self._injected += 1
            return replace(fault, count=1)
