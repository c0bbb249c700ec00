"""Helpers for the payment service tests: an owner with a dog and a booking, table snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from dogcare.domain.model import Booking, Dog, Owner
from dogcare.facade import Dogcare
from dogcare.storage import keys
from dogcare.storage.store import Store
from dogcare.testing import factories

VALID_UNTIL = date(2031, 12, 31)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2030 (the test clock starts on Monday 2030-03-04 08:00 UTC)."""
    return datetime(2030, 3, day, hour, minute, tzinfo=UTC)


@dataclass
class Customer:
    owner: Owner
    dog: Dog

    @property
    def id(self) -> str:
        return self.owner.id


def customer(app: Dogcare, name: str = "Ana") -> Customer:
    """A newly registered owner (a fresh subject every time) with a vaccinated large dog."""
    owner = factories.register_owner(app, name=name)
    return Customer(owner, factories.add_dog(app, owner, vaccinations=factories.vaccinations(VALID_UNTIL)))


def book(
    app: Dogcare,
    who: Customer,
    start: datetime | None = None,
    end: datetime | None = None,
    service: str = "daycare",
) -> Booking:
    """A pending booking (default: daycare on Tuesday 2030-03-05, 09:00-17:00 UTC, 45.00 USD)."""
    return factories.book(app, who.owner, who.dog, service, start or at(5, 9), end)


def snapshot(app: Dogcare) -> dict[str, list[dict[str, Any]]]:
    """Every item of every table of the layout, sorted by key (a test-only Scan)."""
    client = app.store.client
    result: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(app.store.layout.tables()):
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": name, "ConsistentRead": True}
        while True:
            page = client.scan(**kwargs)
            items.extend(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        result[name] = sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    return result


def empty_tables(store: Store) -> None:
    """Delete every item of the layout (cheaper than new tables for each test)."""
    client = store.client
    for name in store.layout.tables():
        for page in client.get_paginator("scan").paginate(TableName=name, ProjectionExpression="pk, sk"):
            rows = page["Items"]
            for start in range(0, len(rows), 25):
                deletes = [{"DeleteRequest": {"Key": row}} for row in rows[start : start + 25]]
                client.batch_write_item(RequestItems={name: deletes})


def event_outcome(app: Dogcare, event_id: str) -> str | None:
    """The outcome recorded for a processed provider event, or None if it was never recorded."""
    model = app.store.models.ProviderEvent
    try:
        return str(model.get(keys.provider_event_pk(event_id), keys.PROCESSED_SK, consistent_read=True).outcome)
    except model.DoesNotExist:
        return None
