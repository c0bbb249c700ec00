"""The library's one backoff policy: bounded in tries and in time, full jitter."""

from __future__ import annotations

from dogcare.storage.retry import DEFAULT_BACKOFF, Backoff


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_five_tries_with_growing_capped_pauses() -> None:
    t = FakeTime()
    backoff = Backoff(sleep=t.sleep, rand=lambda: 1.0, clock=lambda: t.now)
    assert list(backoff.tries()) == [0, 1, 2, 3, 4]
    assert t.slept == [0.025, 0.05, 0.1, 0.2]  # the most full jitter can draw
    assert DEFAULT_BACKOFF.attempts == 5 and sum(t.slept) < DEFAULT_BACKOFF.budget


def test_no_try_starts_after_the_time_budget() -> None:
    t = FakeTime()
    backoff = Backoff(sleep=t.sleep, rand=lambda: 0.5, clock=lambda: t.now)
    tries = []
    for n in backoff.tries():
        tries.append(n)
        t.now += 0.6  # each try takes 0.6 s (botocore retrying a throttle inside it)
    assert tries == [0, 1]  # a third would start after 1.2 s


def test_jitter_spreads_pauses_between_zero_and_the_cap() -> None:
    draws = iter([0.0, 0.5, 0.25, 1.0])
    t = FakeTime()
    backoff = Backoff(sleep=t.sleep, rand=lambda: next(draws), clock=lambda: t.now)
    list(backoff.tries())
    assert t.slept == [0.0, 0.025, 0.025, 0.2]
