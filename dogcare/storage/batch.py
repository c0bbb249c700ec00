"""Batch reads that fail closed.

``BatchGetItem`` may leave keys in ``UnprocessedKeys`` whenever a partition is throttled
(not only above 16 MB, as the local emulator does). A key left unread is *unknown*, not
absent: deciding on it (a missing capacity record read as "default capacity", a missing dog
as 404) is how a full day gets overbooked. So unprocessed keys are retried with backoff and,
if any is still unread, the whole read fails with ``StorageUnavailable`` (503, retry later).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dogcare.errors import StorageUnavailable
from dogcare.storage.retry import DEFAULT_BACKOFF, Backoff
from dogcare.storage.store import Store, storage_errors

MAX_BATCH_KEYS = 100  # DynamoDB's limit of keys in one BatchGetItem

Key = tuple[str, str, str]  # (table name, pk, sk)
RawItem = dict[str, Any]


def batch_get(
    store: Store, keys: Sequence[Key], *, consistent: bool = True, backoff: Backoff = DEFAULT_BACKOFF
) -> dict[Key, RawItem]:
    """Read ``keys`` (deduplicated, in requests of at most 100); return the items found by key.

    A key missing from the result was read and is absent. Raises ``StorageUnavailable`` if
    DynamoDB still left some keys unprocessed after the retries.
    """
    wanted = list(dict.fromkeys(keys))
    found: dict[Key, RawItem] = {}
    for start in range(0, len(wanted), MAX_BATCH_KEYS):
        _read_chunk(store, wanted[start : start + MAX_BATCH_KEYS], consistent, backoff, found)
    return found


def _read_chunk(
    store: Store, chunk: Sequence[Key], consistent: bool, backoff: Backoff, found: dict[Key, RawItem]
) -> None:
    pending: dict[str, Any] = {}
    for table, pk, sk in chunk:
        pending.setdefault(table, {"Keys": [], "ConsistentRead": consistent})
        pending[table]["Keys"].append({"pk": {"S": pk}, "sk": {"S": sk}})
    for _ in backoff.tries():
        with storage_errors():
            response = store.client.batch_get_item(RequestItems=pending)
        for table, rows in response.get("Responses", {}).items():
            for row in rows:
                found[(table, row["pk"]["S"], row["sk"]["S"])] = row
        pending = response.get("UnprocessedKeys") or {}
        if not pending:
            return
    unread = sum(len(entry.get("Keys", [])) for entry in pending.values())
    raise StorageUnavailable(f"the database is busy ({unread} records could not be read); please retry")
