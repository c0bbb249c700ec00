"""Fixtures of the reliability tests: a DynamoDB over HTTP (moto's threaded server), apps on
their own tables, and the helpers that set owners, dogs and bookings up.

The server is local mode's ``EmbeddedDynamoDB``: moto's ``ThreadedMotoServer`` applying one
request at a time, as DynamoDB applies each request atomically (moto's own server does not:
see ``dogcare.local.dynamodb``). Threads still race freely between their requests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from dogcare.commands import NewBooking, NewDog, VaccinationInput
from dogcare.domain.model import Booking, Dog, Owner
from dogcare.facade import Dogcare
from dogcare.local.dynamodb import EmbeddedDynamoDB
from dogcare.storage.store import Store
from dogcare.storage.tables import create_tables
from dogcare.testing.factories import actor_of, register_owner
from tests.conftest import Clock, make_settings
from tests.faults import FaultProxy
from tests.reliability.invariants import Rules, scan_all, violations

REQUIRED = ("rabies", "dhpp", "bordetella")


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = EmbeddedDynamoDB("127.0.0.1", 0)
    server.start()
    yield server.endpoint
    server.stop()


@pytest.fixture(scope="session")
def fault_proxy(dynamodb_endpoint: str) -> Iterator[FaultProxy]:
    """The fault layer in front of the session's DynamoDB (see ``tests.faults``)."""
    proxy = FaultProxy(dynamodb_endpoint).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def faults(fault_proxy: FaultProxy) -> Iterator[FaultProxy]:
    """The fault layer with no faults yet: ``faults.configure(seed=..., rates=...)`` turns them on,
    ``faults.endpoint`` is where to point an app (``make_app(dynamodb_endpoint=faults.endpoint)``),
    ``faults.injected`` counts what it did. Turned off again after the test."""
    fault_proxy.off()
    yield fault_proxy
    fault_proxy.off()


AppFactory = Callable[..., Dogcare]
_SESSION: list[Any] = []


def _shared_session() -> Any:
    """One botocore session for every app of the process: each app still gets its own client
    (and connection pool), without loading DynamoDB's service model from disk again."""
    if not _SESSION:
        from botocore.session import get_session

        _SESSION.append(get_session())
    return _SESSION[0]


@pytest.fixture
def make_app(dynamodb_endpoint: str, tmp_path: Path, clock: Clock) -> AppFactory:
    """``make_app()`` builds a Dogcare on this test's own tables (created on the first call).

    Every call gets its own store, so its own botocore client: one per thread stands for one
    Lambda container. All of them share the test's tables and clock."""
    prefix = f"rel-{uuid.uuid4().hex[:12]}"
    created: list[bool] = []

    def make(layout: str = "single", **overrides: Any) -> Dogcare:
        overrides.setdefault("dynamodb_endpoint", dynamodb_endpoint)  # or the fault proxy's
        settings = make_settings(layout, tmp_path, table_prefix=f"{prefix}-{layout}", **overrides)
        store = Store(settings)
        store.connection._local.session = _shared_session()
        app = Dogcare(settings, store, clock)
        if layout not in created:
            create_tables(app.store)
            created.append(layout)
        return app

    return make


# --- data helpers --------------------------------------------------------------------------


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2030 (the test clock starts on Monday 2030-03-04 08:00 UTC)."""
    return datetime(2030, 3, day, hour, minute, tzinfo=UTC)


def vaccinations(until: date = date(2031, 12, 31)) -> list[VaccinationInput]:
    return [VaccinationInput(name=name, expires_on=until) for name in REQUIRED]


def owner_with_dog(app: Dogcare, subject: str, dog_name: str = "Rex", size: str = "large") -> tuple[Owner, Dog]:
    owner = register_owner(app, subject, name=f"Owner {subject}")
    dog = app.dogs.add(actor_of(owner), NewDog(name=dog_name, size=size, vaccinations=vaccinations()))  # type: ignore[arg-type]
    return owner, dog


def daycare(dog: Dog, day: int, start_hour: int = 9, end_hour: int = 17, **fields: Any) -> NewBooking:
    return NewBooking(
        dog_id=dog.id, service_type="daycare", start_time=at(day, start_hour), end_time=at(day, end_hour), **fields
    )


def book(app: Dogcare, owner: Owner, command: NewBooking) -> Booking:
    return app.bookings.create(actor_of(owner), command)


def check_invariants(app: Dogcare, now: datetime | None = None) -> list[dict[str, Any]]:
    """Assert every invariant over the app's tables; returns the items for further checks."""
    items = scan_all(app.store.client, sorted(app.store.layout.tables()))
    problems = violations(items, now or app.clock(), Rules(default_capacity=app.settings.default_daily_capacity))
    assert not problems, "\n".join(problems)
    return items


def of_type(items: list[dict[str, Any]], entity_type: str) -> list[dict[str, Any]]:
    return [i for i in items if i.get("entity_type") == entity_type]
