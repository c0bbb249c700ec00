"""The garbage collector held back while a Lambda function starts, released after its first
request.

A cold start (importing a function's modules, building its resolver and DynamoDB client,
serving the first request) creates some 100,000 container objects that nearly all live as long
as the process, and almost no garbage. CPython's collector, triggered by every 700 net
allocations, would meanwhile run about 150 times, each pass traversing more of those same
objects, and end in a full collection: 40-90 ms of every cold start, measured
(docs/performance.md), for nothing to free.

``hold()`` raises the first generation's threshold so that no collection runs during the cold
start; ``release()`` then moves every object alive at that point to the permanent generation
(``gc.freeze``: later collections no longer traverse them, the pattern CPython documents for
long-lived startup state) and restores the thresholds, so the warm requests that follow are
collected as usual. Were ``release`` never called, collections would still run, only rarely.

Only in a Lambda runtime (``AWS_LAMBDA_RUNTIME_API`` is set by Lambda and ``sam local``): a test
process or ``dogcare serve`` that imports the handlers keeps its collector as it is.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

# Net allocations between first-generation collections while held: above what a cold start
# allocates (about 100,000), and still a bound should a function never release.
HELD_THRESHOLD = 1_000_000

Handler = TypeVar("Handler", bound=Callable[..., Any])

_saved: tuple[int, ...] | None = None


def hold() -> None:
    """No collection until ``release()`` (in a Lambda runtime only; once per process)."""
    global _saved
    if _saved is not None or "AWS_LAMBDA_RUNTIME_API" not in os.environ:
        return
    _saved = gc.get_threshold()
    gc.set_threshold(HELD_THRESHOLD, *_saved[1:])


def release() -> None:
    """Freeze what the cold start built and collect as usual from now on."""
    global _saved
    if _saved is None:
        return
    gc.freeze()
    gc.set_threshold(*_saved)
    _saved = None


def released_after_first_call(handler: Handler) -> Handler:
    """``handler``, releasing the collector once its first invocation has returned or raised."""

    @wraps(handler)
    def invoke(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        finally:
            release()

    return invoke  # type: ignore[return-value]
