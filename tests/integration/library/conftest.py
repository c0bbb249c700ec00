"""Helpers for the library tests against moto: factories, table snapshots, request recording.

Every test here gets the ``app`` fixture wrapped in a guard that fails the test if the
library issued a Scan (only the snapshot helper may scan, and it says so).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from weakref import WeakKeyDictionary

import pytest

from dogcare.commands import VaccinationInput
from dogcare.domain.model import Booking, Dog, Owner
from dogcare.facade import Dogcare
from dogcare.storage.store import Store
from dogcare.testing import factories

VALID_UNTIL = date(2031, 12, 31)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A time in March 2030 (the test clock starts on Monday 2030-03-04 08:00 UTC)."""
    return datetime(2030, month, day, hour, minute, tzinfo=UTC)


# The library's factories, with this suite's fixed expiry and owner subject (tests compare
# stored items and counts, so their inputs stay the same from run to run).


def vaccinations(until: date = VALID_UNTIL, **overrides: date | None) -> list[VaccinationInput]:
    return factories.vaccinations(until, **overrides)


def register(app: Dogcare, subject: str = "sub-a", email: str | None = None, name: str = "Ana") -> Owner:
    return factories.register_owner(app, subject, name=name, email=email)


def add_dog(app: Dogcare, owner: Owner, name: str = "Rex", size: str = "large", **fields: Any) -> Dog:
    fields.setdefault("vaccinations", vaccinations())
    return factories.add_dog(app, owner, name=name, size=size, **fields)


def book(
    app: Dogcare,
    owner: Owner,
    dog: Dog,
    service: str = "daycare",
    start: datetime | None = None,
    end: datetime | None = None,
    **fields: Any,
) -> Booking:
    """Default: daycare on Tuesday 2030-03-05, 09:00-17:00 UTC (boarding: three nights)."""
    return factories.book(app, owner, dog, service, start or at(5, 9), end, **fields)


# --- request recording -----------------------------------------------------------------


class Recorder:
    """Counts DynamoDB operations on the app's shared botocore client."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.transactions: list[list[dict[str, Any]]] = []  # the actions of each TransactWriteItems
        self.requests: list[dict[str, Any]] = []  # the body of every request
        self.paused = False

    def __call__(self, model: Any, params: dict[str, Any] | None = None, **_: Any) -> None:
        if self.paused:
            return
        self.calls.append(model.name)
        if params is not None:
            self.requests.append(json.loads(params["body"]))
        if model.name == "TransactWriteItems" and params is not None:
            # ``params`` is the serialised request: DynamoDB's JSON body.
            self.transactions.append(list(json.loads(params["body"])["TransactItems"]))

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.calls)

    def clear(self) -> None:
        self.calls.clear()
        self.transactions.clear()
        self.requests.clear()

    @contextmanager
    def pause(self) -> Iterator[None]:
        self.paused = True
        try:
            yield
        finally:
            self.paused = False


# Keyed by store: apps that share a store share its botocore client and its hooks.
_RECORDERS: WeakKeyDictionary[Store, list[Recorder]] = WeakKeyDictionary()


def recorder(app: Dogcare) -> Recorder:
    """Start recording every DynamoDB operation the app sends from now on."""
    rec = Recorder()
    app.store.on_request(rec)
    _RECORDERS.setdefault(app.store, []).append(rec)
    return rec


@contextmanager
def recording(app: Dogcare) -> Iterator[Recorder]:
    rec = Recorder()
    undo = app.store.on_request(rec)
    _RECORDERS.setdefault(app.store, []).append(rec)
    try:
        yield rec
    finally:
        undo()
        _RECORDERS[app.store].remove(rec)


@pytest.fixture(scope="session", autouse=True)
def _one_botocore_session() -> Iterator[None]:
    """Every connection the tests build shares one botocore session.

    A fresh session re-reads botocore's endpoint and service data (a few hundred ms per test);
    a Lambda container does that once, and so does this suite. Nothing else is shared: each
    test still gets its own client, event hooks, tables and moto backend.
    """
    import botocore.session
    import moto  # noqa: F401  (moto registers its request hook on import: before the session exists)
    import pynamodb.connection.base

    session = botocore.session.get_session()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pynamodb.connection.base, "get_session", lambda: session)
        yield


@pytest.fixture
def app(app: Dogcare) -> Iterator[Dogcare]:
    """The shared ``app``; the test fails if the library ever sent a Scan."""
    guard = recorder(app)
    yield app
    assert "Scan" not in guard.calls, "the library must never scan a table"


# --- table snapshots -------------------------------------------------------------------


def table_names(app: Dogcare) -> list[str]:
    return sorted(app.store.layout.tables())


def snapshot(app: Dogcare) -> dict[str, list[dict[str, Any]]]:
    """Every item of every table of the layout (raw, typed values), sorted by key."""
    client = app.store.client
    result: dict[str, list[dict[str, Any]]] = {}
    with _paused(app):
        for name in table_names(app):
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


@contextmanager
def _paused(app: Dogcare) -> Iterator[None]:
    recs = list(_RECORDERS.get(app.store, []))
    was = [rec.paused for rec in recs]  # nested pauses restore what they found
    for rec in recs:
        rec.paused = True
    try:
        yield
    finally:
        for rec, paused in zip(recs, was, strict=True):
            rec.paused = paused


@contextmanager
def nothing_written(app: Dogcare) -> Iterator[None]:
    """Assert that the block leaves every table exactly as it was (use around a failing write)."""
    before = snapshot(app)
    yield
    assert snapshot(app) == before


def items_by_key(app: Dogcare) -> dict[tuple[str, str], dict[str, Any]]:
    """Every item of the layout by (pk, sk), with the physical table under ``_table``."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for table, items in snapshot(app).items():
        for item in items:
            out[(item["pk"]["S"], item["sk"]["S"])] = {**item, "_table": table}
    return out


def keys_with_prefix(app: Dogcare, prefix: str) -> list[tuple[str, str]]:
    return sorted(k for k in items_by_key(app) if k[0].startswith(prefix))


@contextmanager
def operator_tools(app: Dogcare) -> Iterator[None]:
    """Maintenance (``dogcare migrate``, ``dogcare reconcile``) reads whole tables by design:
    the no-Scan guard holds for everything the API does, not for these operator tools."""
    with _paused(app):
        yield


def raw_item(app: Dogcare, logical: str, pk: str, sk: str) -> dict[str, Any]:
    table = app.store.layout.table_name(logical)  # type: ignore[arg-type]
    with _paused(app):
        item = app.store.client.get_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
    return dict(item.get("Item") or {})


def put_raw(app: Dogcare, logical: str, item: dict[str, Any]) -> None:
    """Write an item as it is (bypassing the library): old shapes, injected drift."""
    with _paused(app):
        app.store.client.put_item(TableName=app.store.layout.table_name(logical), Item=item)  # type: ignore[arg-type]


def delete_raw(app: Dogcare, logical: str, pk: str, sk: str) -> None:
    table = app.store.layout.table_name(logical)  # type: ignore[arg-type]
    with _paused(app):
        app.store.client.delete_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": sk}})
