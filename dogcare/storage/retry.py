"""Bounded retries with full-jitter exponential backoff (AWS's recommended shape).

DynamoDB answers "not now" in ways botocore does not retry by itself: unprocessed keys of a
batch, and transactions cancelled for ``TransactionConflict`` or throttling reasons. The
library retries those with this one policy; when the budget is spent the caller gets
``StorageUnavailable`` (a 503 with ``Retry-After``), never a decision on data it did not read.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """``attempts`` tries in all; the sleep before try n+1 is uniform in [0, min(cap, base * 2**n)].

    ``budget`` bounds the time: no new try starts once it would begin more than ``budget``
    seconds after the first one (botocore's own retries inside one try can take seconds when
    DynamoDB throttles; a Lambda behind API Gateway has 29 s in all, a caller less patience).
    """

    attempts: int = 5
    base: float = 0.025
    cap: float = 0.4
    budget: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random
    clock: Callable[[], float] = time.monotonic

    def delays(self) -> Iterator[float]:
        """The pause before each retry (``attempts - 1`` of them)."""
        for n in range(self.attempts - 1):
            yield self.rand() * min(self.cap, self.base * (2**n))

    def tries(self) -> Iterator[int]:
        """Yield the try number 0..attempts-1, sleeping a jittered pause between tries.

        The caller breaks out on success; falling off the end means the budget is spent.
        """
        started = self.clock()
        yield 0
        for n, pause in enumerate(self.delays(), start=1):
            if self.clock() + pause - started > self.budget:
                return
            self.sleep(pause)
            yield n


# The library's default: 5 tries within 1 s, at most 0.025+0.05+0.1+0.2 = 0.375 s of it asleep.
# Users read it at call time (``retry.DEFAULT_BACKOFF``), so a test can swap in one that does not
# sleep (and has no time budget, so that a slow machine does not change how many tries it sees).
DEFAULT_BACKOFF = Backoff()
NO_SLEEP = Backoff(sleep=lambda _: None, budget=float("inf"))
