"""Per-container singletons, created on first use (never at import time).

Tests and the local server reset them with ``reset()`` after changing the environment.
"""

from __future__ import annotations

from functools import lru_cache

from dogcare.facade import Dogcare
from dogcare.repositories.ratelimits import RateLimiter
from dogcare.settings import get_settings


@lru_cache(maxsize=1)
def dogcare() -> Dogcare:
    return Dogcare.from_settings(get_settings())


@lru_cache(maxsize=1)
def rate_limiter() -> RateLimiter:
    return RateLimiter(dogcare().store, get_settings().rate_limit_per_minute)


def reset() -> None:
    from handlers.common import idempotency

    idempotency.reset()
    get_settings.cache_clear()
    dogcare.cache_clear()
    rate_limiter.cache_clear()
