"""A representative subset against moto's HTTP server: real sockets, both layouts.

The library is pointed at the server with ``Settings(dynamodb_endpoint=...)``, exactly as
local mode points it at a local endpoint. Each test gets its own table prefix, so tests
never see each other's items and need no reset in between.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from dogcare.domain.actor import Actor
from dogcare.errors import CapacityFull, DuplicateEmail, OverlappingBooking
from dogcare.facade import Dogcare
from dogcare.storage import keys
from dogcare.storage.store import Store
from dogcare.storage.tables import create_tables, delete_tables
from dogcare.testing.factories import actor_of
from tests.conftest import Clock, make_settings

from .conftest import add_dog, at, book, keys_with_prefix, nothing_written, recording, register

STAFF = Actor.staff("staff-1")

pytestmark = pytest.mark.server


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def server_app(moto_endpoint: str, layout: str, tmp_path: Path, clock: Clock) -> Iterator[Dogcare]:
    prefix = f"dogcare-{uuid.uuid4().hex[:12]}"
    settings = make_settings(layout, tmp_path, table_prefix=prefix, dynamodb_endpoint=moto_endpoint)
    store = Store(settings)
    created = create_tables(store)
    assert len(created) == (1 if layout == "single" else 4)
    yield Dogcare(settings, store, clock)
    delete_tables(store)


def test_requests_go_over_http(server_app: Dogcare, moto_endpoint: str) -> None:
    assert server_app.store.client.meta.endpoint_url == moto_endpoint
    tables = server_app.store.client.list_tables()["TableNames"]
    assert set(server_app.store.layout.tables()) <= set(tables)


def test_register_add_dog_book_overlap_capacity_cancel(server_app: Dogcare) -> None:
    app = server_app
    ana = register(app, "sub-a", "ana@example.com")
    with nothing_written(app), pytest.raises(DuplicateEmail):
        register(app, "sub-b", "ana@example.com")
    bob = register(app, "sub-b", "bob@example.com")
    rex, max_, fido = add_dog(app, ana), add_dog(app, ana, name="Max"), add_dog(app, bob, name="Fido")

    app.staff.set_capacity(STAFF, "daycare", 2)
    with recording(app) as rec:
        first = book(app, ana, rex)
    assert rec.counts == {"BatchGetItem": 1, "TransactWriteItems": 1}
    assert first.status == "pending"

    with nothing_written(app), pytest.raises(OverlappingBooking):
        book(app, ana, rex, "daycare", at(5, 12), at(5, 13))
    book(app, ana, max_)
    with nothing_written(app), pytest.raises(CapacityFull):
        book(app, bob, fido)

    app.bookings.cancel(actor_of(ana), first.id)
    assert keys_with_prefix(app, keys.booking_pk(first.id)) == [(keys.booking_pk(first.id), keys.PROFILE)]
    assert app.booking_repository.capacity_used("daycare", date(2030, 3, 5)) == 1
    book(app, bob, fido)  # the released place
    roster = app.staff.roster(STAFF, date(2030, 3, 5), "daycare", 10, None).items
    assert sorted(r.dog_name for r in roster) == ["Fido", "Max"]


def test_boarding_stay_over_http(server_app: Dogcare) -> None:
    app = server_app
    ana = register(app)
    dog = add_dog(app, ana)
    stay = book(app, ana, dog, "boarding", at(5, 9), at(9, 9))
    assert [app.booking_repository.capacity_used("boarding", date(2030, 3, d)) for d in (5, 8, 9)] == [
        1,
        1,
        0,
    ]
    assert len(app.staff.roster(STAFF, date(2030, 3, 9), None, 10, None).items) == 1
    app.bookings.cancel(actor_of(ana), stay.id)
    assert app.dog_repository.schedule(dog.id).intervals == {}
