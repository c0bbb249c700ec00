"""The one way maintenance reads a table: a strongly consistent Scan, one page at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dogcare.storage.store import Store, storage_errors

RawItem = dict[str, Any]


@dataclass(frozen=True)
class ScanPage:
    items: list[RawItem]
    next_key: RawItem | None  # where the next page starts (None: the table is done)


def scan_pages(
    store: Store,
    table: str,
    *,
    start_key: RawItem | None = None,
    page_size: int = 100,
    filter_expression: str | None = None,
    names: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Iterator[ScanPage]:
    """Every page of ``table`` from ``start_key`` on. A filter applies after the page is read,
    so a page can be empty and still have a next key (DynamoDB counts what it read)."""
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True, "Limit": page_size}
    if filter_expression:
        kwargs["FilterExpression"] = filter_expression
    if names:
        kwargs["ExpressionAttributeNames"] = names
    if values:
        kwargs["ExpressionAttributeValues"] = values
    key = start_key
    while True:
        if key is not None:
            kwargs["ExclusiveStartKey"] = key
        with storage_errors():
            page = store.client.scan(**kwargs)
        key = page.get("LastEvaluatedKey")
        yield ScanPage(page.get("Items", []), key)
        if key is None:
            return


def scan_all(store: Store) -> list[RawItem]:
    """Every item of every table of the store's layout."""
    items: list[RawItem] = []
    for table in sorted(store.layout.tables()):
        for page in scan_pages(store, table, page_size=500):
            items.extend(page.items)
    return items
