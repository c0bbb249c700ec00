"""Per-caller rate limits as fixed one-minute windows in DynamoDB.

One atomic ``UpdateItem ... ADD hits 1`` per request; the counter lives in the table, so
the limit holds across every Lambda container. Windows expire by TTL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dogcare.domain.clock import utcnow
from dogcare.errors import RateLimited
from dogcare.storage import keys
from dogcare.storage.entities import stamp_actions
from dogcare.storage.store import Store, storage_errors

WINDOW_SECONDS = 60


class RateLimiter:
    def __init__(self, store: Store, per_minute: int) -> None:
        self.store = store
        self.per_minute = per_minute
        store.share_connection()

    def hit(self, subject: str, now: datetime | None = None) -> int:
        """Count one request of ``subject``; raise ``RateLimited`` past the limit."""
        if self.per_minute <= 0:
            return 0
        now = now or utcnow()
        epoch = int(now.timestamp())
        window = epoch - epoch % WINDOW_SECONDS
        m = self.store.models.RateWindow
        item = m(keys.rate_pk(subject), keys.rate_sk(window))
        with storage_errors():
            item.update(
                actions=[
                    *stamp_actions(m),
                    m.used.add(1),
                    m.expiration.set(
                        datetime.fromtimestamp(window, now.tzinfo) + timedelta(seconds=2 * WINDOW_SECONDS)
                    ),
                ]
            )
        hits = int(item.used)
        if hits > self.per_minute:
            retry_after = max(1, window + WINDOW_SECONDS - epoch)
            raise RateLimited(f"more than {self.per_minute} requests a minute; slow down", retry_after)
        return hits
