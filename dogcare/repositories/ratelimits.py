"""Per-caller rate limits: a sliding window estimated from two one-minute counters in DynamoDB.

Each request is one atomic ``UpdateItem ... ADD used 1`` on the caller's counter for the
current minute; the counter lives in the table, so the limit holds across every Lambda
container. The previous minute's counter is read once per caller per minute and container
(it is closed by then) and weighted by how much of it still lies within the last 60 seconds:

    estimate = previous * (1 - elapsed / 60) + current

so a burst straddling a minute boundary meets the requests of the minute before it instead
of a fresh allowance (a fixed window let 2x the limit through in a few seconds).

Key spaces: a token's subject is counted under ``sub#{sub}`` and an anonymous caller (the
webhook) under ``ip#{address}`` (``keys.rate_subject``, ``keys.rate_address``); no subject can
produce a key of the other kind.

Once a caller is over its limit, this container notes until when the estimate stays over it
and refuses the caller's requests from memory until then: an abusive caller costs no
DynamoDB request while it is refused, and cannot make its own counter item hot.

If DynamoDB throttles the counter item (the caller's own partition, so the caller is the one
sending too much), the caller gets a ``429``; if DynamoDB fails for any other reason the
request is let through (fail open) — the requests' own reads and writes then answer for
themselves, and API Gateway's stage throttling still caps the whole API.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from dogcare.domain.clock import utcnow
from dogcare.errors import RateLimited, StorageUnavailable
from dogcare.storage import keys
from dogcare.storage.entities import key_item, stamp_actions
from dogcare.storage.store import Store, response_code, storage_errors

WINDOW_SECONDS = 60
THROTTLED_RETRY_AFTER = 1  # seconds a caller whose counter item is throttled waits
MAX_NOTES = 10_000  # callers remembered per container (least recently used dropped first)
THROTTLE_CODES = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"})


class RateLimiter:
    def __init__(self, store: Store, per_minute: int, clock: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        # caller key -> epoch second until which the caller is refused without asking DynamoDB
        self._blocked: OrderedDict[str, float] = OrderedDict()
        # (caller key, window start) -> requests counted in that (closed) window
        self._previous: OrderedDict[tuple[str, int], int] = OrderedDict()
        store.share_connection()

    def hit_subject(self, subject: str, now: datetime | None = None) -> float:
        return self.hit(keys.rate_subject(subject), now)

    def hit_ip(self, address: str, now: datetime | None = None) -> float:
        return self.hit(keys.rate_address(address), now)

    def hit(self, key: str, now: datetime | None = None) -> float:
        """Count one request of ``key``; raise ``RateLimited`` past the limit. Returns the
        sliding-window estimate including this request."""
        if self.per_minute <= 0:
            return 0.0
        moment = (now or self.clock()).timestamp()
        with self._lock:
            until = self._blocked.get(key)
            if until is not None and moment >= until:
                del self._blocked[key]
                until = None
        if until is not None:
            raise RateLimited(self._detail(), max(1, math.ceil(until - moment)))

        window = int(moment) - int(moment) % WINDOW_SECONDS
        try:
            current = self._count(key, window, moment)
            previous = self._previous_count(key, window - WINDOW_SECONDS)
        except StorageUnavailable as exc:
            if exc.__cause__ is not None and response_code(exc.__cause__) in THROTTLE_CODES:
                self._block(key, moment + THROTTLED_RETRY_AFTER)
                raise RateLimited(self._detail(), THROTTLED_RETRY_AFTER) from exc
            return 0.0  # fail open: see the module docstring

        elapsed = (moment - window) / WINDOW_SECONDS
        estimate = previous * (1 - elapsed) + current
        if estimate > self.per_minute:
            until = self._allowed_again(window, previous, current)
            self._block(key, until)
            raise RateLimited(self._detail(), max(1, math.ceil(until - moment)))
        return estimate

    # --- helpers ------------------------------------------------------------------------------

    def clock(self) -> datetime:
        return self._clock() if self._clock is not None else utcnow()

    def _detail(self) -> str:
        return f"more than {self.per_minute} requests a minute; slow down"

    def _count(self, key: str, window: int, moment: float) -> int:
        m = self.store.models.RateWindow
        item = key_item(m, subject=key, window_start=window)
        expires = datetime.fromtimestamp(window, self.clock().tzinfo) + timedelta(seconds=3 * WINDOW_SECONDS)
        with storage_errors():
            item.update(actions=[*stamp_actions(m), m.used.add(1), m.expiration.set(expires)])
        return int(item.used)

    def _previous_count(self, key: str, window: int) -> int:
        with self._lock:
            known = self._previous.get((key, window))
        if known is not None:
            return known
        m = self.store.models.RateWindow
        try:
            with storage_errors():
                count = int(m.get(*m.declaration.key(subject=key, window_start=window), consistent_read=True).used or 0)
        except DoesNotExist:
            count = 0
        with self._lock:
            self._previous[(key, window)] = count
            while len(self._previous) > MAX_NOTES:
                self._previous.popitem(last=False)
        return count

    def _allowed_again(self, window: int, previous: int, current: int) -> float:
        """The first moment one more request fits under the limit, if the caller waits till then."""
        limit = self.per_minute
        if current + 1 <= limit and previous > 0:
            # previous * (1 - (t - window) / 60) + current + 1 <= limit, within this window
            return window + WINDOW_SECONDS * (1 - (limit - current - 1) / previous)
        # In the next window this one's count is the previous one, weighted down as it passes:
        # current * (1 - (t - next) / 60) + 1 <= limit.
        return window + WINDOW_SECONDS + WINDOW_SECONDS * (1 - (limit - 1) / current)

    def _block(self, key: str, until: float) -> None:
        with self._lock:
            self._blocked[key] = until
            self._blocked.move_to_end(key)
            while len(self._blocked) > MAX_NOTES:
                self._blocked.popitem(last=False)
