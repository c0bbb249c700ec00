"""Shared repository plumbing: run a registered access pattern, page with signed cursors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from dogcare.domain.clock import utcnow
from dogcare.errors import NotFound
from dogcare.storage.cursors import CursorCodec, binding
from dogcare.storage.entities import index
from dogcare.storage.patterns import AccessPattern
from dogcare.storage.store import Store, storage_errors

T = TypeVar("T")
MAX_PAGE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class Repository:
    def __init__(self, store: Store, cursors: CursorCodec, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.models = store.models
        self.cursors = cursors
        self.clock = clock  # the services' clock: stamps and "today" follow it, not the host's
        store.share_connection()

    def _get(self, pattern: AccessPattern, model: type[Model], **params: Any) -> Any:
        """One strongly consistent GetItem; ``NotFound`` if absent."""
        hash_key = pattern.hash_value(**params)
        range_key = pattern.range_values(**params)[0]
        try:
            with storage_errors():
                return model.get(hash_key, range_key, consistent_read=True)
        except (DoesNotExist, ValueError) as exc:  # ValueError: another entity type under that key
            raise NotFound(f"{pattern.entity.replace('_', ' ')} not found") from exc

    def _get_owned(self, pattern: AccessPattern, model: type[Model], owner_id: str, **params: Any) -> Any:
        """One strongly consistent GetItem of an item that must belong to ``owner_id``.

        The owner is compared on the raw item, before it is deserialised: another owner's item
        costs exactly what an unknown id costs (the same one request, no model built), so the two
        ``NotFound`` answers cannot be told apart by their timing either.
        """
        hash_key, range_key = model._serialize_keys(pattern.hash_value(**params), pattern.range_values(**params)[0])
        with storage_errors():
            raw = model._get_connection().get_item(hash_key, range_key=range_key, consistent_read=True)
        item = (raw or {}).get("Item") or {}
        owner = item.get(model.owner_id.attr_name, {}).get("S")  # type: ignore[attr-defined]
        if owner != owner_id:
            raise NotFound(f"{pattern.entity.replace('_', ' ')} not found")  # absent, or not theirs
        try:
            return model.from_raw_data(item)
        except ValueError as exc:  # another entity type under that key
            raise NotFound(f"{pattern.entity.replace('_', ' ')} not found") from exc

    def _query(
        self,
        pattern: AccessPattern,
        model: type[Model],
        *,
        scope: str,
        params: dict[str, Any],
        limit: int,
        cursor: str | None,
        variant: str | None = None,
        forward: bool = True,
        filter_condition: Condition | None = None,
        bound_extra: dict[str, Any] | None = None,
        consistent: bool = False,
    ) -> tuple[list[Any], str | None]:
        """One Query (one page) on the pattern's key; the cursor is bound to pattern, scope and params.

        A ``filter_condition`` narrows the page after the key condition, so a filtered page
        may come back shorter than ``limit`` (even empty) with a cursor for the next one;
        it never turns into more requests. ``bound_extra`` binds the cursor to the filter.
        ``consistent`` asks for a strongly consistent read (base-table patterns only: DynamoDB
        refuses it on a GSI), for reads that must see a write just made.
        """
        if consistent and pattern.index is not None:
            raise ValueError(f"{pattern.name} reads an index: it cannot be strongly consistent")
        limit = max(1, min(limit, MAX_PAGE))
        bound = binding(pattern.name, scope, {**params, **(bound_extra or {}), "_v": variant, "_f": forward})
        last_key = self.cursors.decode(cursor, bound) if cursor else None
        target = model if pattern.index is None else index(model, pattern.index)
        range_attr = getattr(model, pattern.range_attr)
        values = pattern.range_values(variant, **params)
        key = pattern.range_key(variant)
        condition = None
        if key is not None:
            if key.op == "eq":
                condition = range_attr == values[0]
            elif key.op == "begins_with":
                condition = range_attr.startswith(values[0])
            else:
                condition = range_attr.between(values[0], values[1])
        with storage_errors():
            results = target.query(
                pattern.hash_value(**params),
                range_key_condition=condition,
                filter_condition=filter_condition,
                page_size=limit,
                last_evaluated_key=last_key,
                scan_index_forward=forward,
                consistent_read=consistent,
            )
            # Exactly one request: PynamoDB's item iterator would keep fetching pages
            # until ``limit`` items passed the filter, i.e. walk the whole partition.
            pages = results.page_iter
            page = next(pages)
        items = [model.from_raw_data(raw) for raw in page.get("Items", [])]
        next_key = pages.last_evaluated_key
        return items, (self.cursors.encode(next_key, bound) if next_key else None)
