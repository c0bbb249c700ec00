"""Batch reads and writes that fail closed: the one path for BatchGetItem and BatchWriteItem.

``BatchGetItem`` may leave keys in ``UnprocessedKeys`` whenever a partition is throttled
(not only above 16 MB, as the local emulator does). A key left unread is *unknown*, not
absent: deciding on it (a missing capacity record read as "default capacity", a missing dog
as 404) is how a full day gets overbooked. So unprocessed keys are retried with backoff and,
if any is still unread, the whole read fails with ``StorageUnavailable`` (503, retry later).

``BatchWriteItem`` does the same with ``UnprocessedItems``: a write left unprocessed is not
written, so ``batch_write`` retries it and otherwise raises ``StorageUnavailable`` saying how
many were not written (batch writes are unconditional puts and deletes: re-sending one that
did get written is harmless).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dogcare.errors import StorageUnavailable
from dogcare.storage import retry
from dogcare.storage.retry import Backoff
from dogcare.storage.store import Store, storage_errors

MAX_BATCH_KEYS = 100  # DynamoDB's limit of keys in one BatchGetItem
MAX_BATCH_WRITES = 25  # and of puts and deletes in one BatchWriteItem

Key = tuple[str, str, str]  # (table name, pk, sk)
RawItem = dict[str, Any]


def batch_get(
    store: Store, keys: Sequence[Key], *, consistent: bool = True, backoff: Backoff | None = None
) -> dict[Key, RawItem]:
    """Read ``keys`` (deduplicated, in requests of at most 100); return the items found by key.

    A key missing from the result was read and is absent. Raises ``StorageUnavailable`` if
    DynamoDB still left some keys unprocessed after the retries.
    """
    wanted = list(dict.fromkeys(keys))
    found: dict[Key, RawItem] = {}
    for start in range(0, len(wanted), MAX_BATCH_KEYS):
        _read_chunk(store, wanted[start : start + MAX_BATCH_KEYS], consistent, backoff or retry.DEFAULT_BACKOFF, found)
    return found


def _read_chunk(
    store: Store, chunk: Sequence[Key], consistent: bool, backoff: Backoff, found: dict[Key, RawItem]
) -> None:
    pending: dict[str, Any] = {}
    for table, pk, sk in chunk:
        pending.setdefault(table, {"Keys": [], "ConsistentRead": consistent})
        pending[table]["Keys"].append({"pk": {"S": pk}, "sk": {"S": sk}})

    def collect(response: dict[str, Any]) -> None:
        for table, rows in response.get("Responses", {}).items():
            for row in rows:
                found[(table, row["pk"]["S"], row["sk"]["S"])] = row

    pending, failure = _until_processed(store.client.batch_get_item, pending, "UnprocessedKeys", backoff, collect)
    if not pending:
        return
    unread = sum(len(entry.get("Keys", [])) for entry in pending.values())
    message = f"the database is busy ({unread} records could not be read); please retry"
    raise StorageUnavailable(message) from failure


def batch_write(
    store: Store,
    table: str,
    puts: Sequence[RawItem] = (),
    deletes: Sequence[tuple[str, str]] = (),
    *,
    backoff: Backoff | None = None,
) -> int:
    """Put ``puts`` (raw items) and delete ``deletes`` ((pk, sk)) in ``table``, 25 per request.

    Returns how many writes were sent. Raises ``StorageUnavailable`` if DynamoDB still left some
    unprocessed after the retries (the ones before were written: batch writes are not atomic).
    """
    requests: list[dict[str, Any]] = [{"PutRequest": {"Item": dict(item)}} for item in puts]
    requests += [{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}} for pk, sk in deletes]
    for start in range(0, len(requests), MAX_BATCH_WRITES):
        pending: dict[str, Any] = {table: requests[start : start + MAX_BATCH_WRITES]}
        pending, failure = _until_processed(
            store.client.batch_write_item, pending, "UnprocessedItems", backoff or retry.DEFAULT_BACKOFF
        )
        if pending:
            later = max(0, len(requests) - start - MAX_BATCH_WRITES)  # the chunks not sent yet
            unwritten = sum(len(entries) for entries in pending.values()) + later
            message = f"the database is busy ({unwritten} records were not written); please retry"
            raise StorageUnavailable(message) from failure
    return len(requests)


def _until_processed(
    send: Callable[..., dict[str, Any]],
    pending: dict[str, Any],
    unprocessed: str,
    backoff: Backoff,
    on_response: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[dict[str, Any], StorageUnavailable | None]:
    """Send ``pending`` until DynamoDB has processed all of it or the tries are spent; returns
    what is left (empty: done) and the last failure. A request throttled as a whole counts as
    a try like a partial answer: botocore's own tries are spent by then, ours go on."""
    failure: StorageUnavailable | None = None
    for _ in backoff.tries():
        try:
            with storage_errors():
                response = send(RequestItems=pending)
        except StorageUnavailable as exc:
            failure = exc
            continue
        if on_response is not None:
            on_response(response)
        pending = response.get(unprocessed) or {}
        if not pending:
            return {}, None
    return pending, failure
