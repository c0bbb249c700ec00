"""Per-container singletons, created on first use (never at import time).

Tests and the local server reset them with ``reset()`` after changing the environment.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from dogcare.facade import Dogcare
from dogcare.repositories.ratelimits import RateLimiter
from dogcare.settings import get_settings


@lru_cache(maxsize=1)
def dogcare() -> Dogcare:
    return Dogcare.from_settings(get_settings())


@lru_cache(maxsize=1)
def rate_limiter() -> RateLimiter:
    return RateLimiter(dogcare().store, get_settings().rate_limit_per_minute)


# The resolvers of the functions loaded in this process: they hold configuration (CORS origins)
# read from the settings, so a reset rebuilds them too.
app_caches: list[Any] = []


def reset() -> None:
    from handlers.common import idempotency

    for cache in app_caches:
        cache.cache_clear()
    idempotency.reset()
    get_settings.cache_clear()
    dogcare.cache_clear()
    rate_limiter.cache_clear()
