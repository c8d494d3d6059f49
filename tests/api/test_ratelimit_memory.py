"""The API's in-process rate-limit storage: limits' moving window, kept without a background thread."""

from __future__ import annotations

import threading

import pytest
from limits import parse
from limits.strategies import MovingWindowRateLimiter

from paycrypt.api.ratelimit_memory import SWEEP_EVERY_SECONDS, LoopMemoryStorage


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_window_admits_its_limit_and_frees_each_entry_when_it_leaves(clock):
    storage = LoopMemoryStorage(clock=clock)
    taken = [storage.acquire_entry("k", 3, 10) for _ in range(3)]
    clock.now += 4
    assert taken == [True, True, True] and storage.acquire_entry("k", 3, 10) is False
    assert storage.get_moving_window("k", 3, 10) == (1_000_000.0, 3)
    clock.now += 6  # the three first entries are exactly a window old: gone
    assert storage.get_moving_window("k", 3, 10) == (clock.now, 0)
    assert [storage.acquire_entry("k", 3, 10) for _ in range(4)] == [True, True, True, False]
    assert storage.acquire_entry("other", 3, 10) is True  # each key on its own


def test_a_cost_larger_than_what_is_left_is_refused_whole(clock):
    storage = LoopMemoryStorage(clock=clock)
    assert storage.acquire_entry("k", 5, 60, amount=6) is False
    assert storage.acquire_entry("k", 5, 60, amount=4) is True
    assert storage.acquire_entry("k", 5, 60, amount=2) is False
    assert storage.get_moving_window("k", 5, 60) == (clock.now, 4)


def test_through_the_limits_strategy_the_stats_tell_remaining_and_reset(clock):
    limiter = MovingWindowRateLimiter(LoopMemoryStorage(clock=clock))
    item = parse("2/minute")
    assert limiter.hit(item, "api", "ip", "10.0.0.1")
    clock.now += 15
    assert limiter.hit(item, "api", "ip", "10.0.0.1")
    assert not limiter.hit(item, "api", "ip", "10.0.0.1")
    stats = limiter.get_window_stats(item, "api", "ip", "10.0.0.1")
    assert stats.remaining == 0 and stats.reset_time == 1_000_000.0 + 60  # when the first hit leaves
    assert limiter.hit(item, "api", "ip", "10.0.0.2")


def test_keys_nobody_uses_are_forgotten(clock):
    storage = LoopMemoryStorage(clock=clock)
    for n in range(1000):
        storage.acquire_entry(f"client-{n}", 10, 1)
    storage.incr("counter", 1)
    assert storage.keys() == 1001
    clock.now += SWEEP_EVERY_SECONDS + 1
    storage.acquire_entry("busy", 10, 60)  # the next call sweeps
    assert storage.keys() == 1


def test_counters_for_fixed_windows(clock):
    storage = LoopMemoryStorage(clock=clock)
    assert [storage.incr("k", 10) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and storage.get_expiry("k") == clock.now + 10
    clock.now += 10
    assert storage.get("k") == 0 and storage.incr("k", 10) == 1
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check() is True
    storage.acquire_entry("w", 1, 10)
    assert storage.reset() == 1 and storage.keys() == 0


def test_threads_never_get_more_than_the_limit_between_them():
    storage = LoopMemoryStorage()
    admitted = []

    def hammer() -> None:
        admitted.append(sum(storage.acquire_entry("k", 5000, 60) for _ in range(1000)))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(admitted) == 5000
