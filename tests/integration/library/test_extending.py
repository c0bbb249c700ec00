"""docs/extending.md's recipe, followed with a throwaway entity: a dog's toys.

Declared here (a library user's own schema, ``SCHEMA.with_entities``), with a repository and a
service of its own, run on moto in both table layouts: its items and keys, its two access
patterns, its documentation and the table definitions all come from the one declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from dogcare.domain.actor import Actor
from dogcare.domain.clock import iso, parse_iso, utcnow
from dogcare.domain.ids import new_id
from dogcare.errors import NotFound
from dogcare.repositories.base import Page, Repository
from dogcare.repositories.dogs import DogRepository
from dogcare.settings import Settings
from dogcare.storage import patterns_doc
from dogcare.storage.declarations import DOG_KEY, SCHEMA
from dogcare.storage.entities import new_item
from dogcare.storage.schema import Entity, KeyTemplate, begins_with, string, timestamps
from dogcare.storage.store import Store, storage_errors
from dogcare.storage.tables import table_definitions
from dogcare.testing import actor_of, dogcare_on_moto

from .conftest import add_dog, items_by_key, register

# --- 1. declare it ------------------------------------------------------------------------------

TOY = Entity(
    "toy",
    model="Toy",
    title="Toy",
    table="dogs",  # with its dog: one partition holds the dog, its schedule and its toys
    attributes={"id": string(), "dog_id": string(), "name": string(), **timestamps()},
    pk=DOG_KEY,
    sk=KeyTemplate("TOY#{toy_id}"),
    sources={"toy_id": "id"},
    example={"dog_id": "dog-9a2e4c6b-1d3f-4a5b-8c7d-9e0f1a2b3c4d", "toy_id": "toy-1"},
    item_bytes=200,
)
GET_TOY = TOY.get("get_toy", "One toy of a dog.", ("GET /dogs/{id}/toys/{toy_id}",))
LIST_DOG_TOYS = TOY.query("list_dog_toys", "A dog's toys.", ("GET /dogs/{id}/toys",), range_key=begins_with(TOY.sk))
WITH_TOYS = SCHEMA.with_entities(TOY, patterns=(GET_TOY, LIST_DOG_TOYS))


# --- 2. its repository --------------------------------------------------------------------------


@dataclass(frozen=True)
class Toy:
    id: str
    dog_id: str
    name: str
    created_at: datetime


def to_toy(item: Any) -> Toy:
    return Toy(item.id, item.dog_id, item.name, parse_iso(item.created_at))


class ToyRepository(Repository):
    def add(self, toy: Toy) -> Toy:
        stamp = iso(toy.created_at)
        item = new_item(
            self.models.Toy, id=toy.id, dog_id=toy.dog_id, name=toy.name, created_at=stamp, updated_at=stamp
        )
        with storage_errors():
            item.save(condition=self.models.Toy.pk.does_not_exist())
        return toy

    def get(self, dog_id: str, toy_id: str) -> Toy:
        return to_toy(self._get(GET_TOY, self.models.Toy, dog_id=dog_id, toy_id=toy_id))

    def list(self, dog_id: str, limit: int, cursor: str | None) -> Page[Toy]:
        items, next_cursor = self._query(
            LIST_DOG_TOYS, self.models.Toy, scope=dog_id, params={"dog_id": dog_id}, limit=limit, cursor=cursor
        )
        return Page([to_toy(i) for i in items], next_cursor)


# --- 3. its service -----------------------------------------------------------------------------


class ToyService:
    """A dog's toys, for the dog's owner only."""

    def __init__(self, toys: ToyRepository, dogs: DogRepository, clock: Callable[[], datetime] = utcnow) -> None:
        self.toys, self.dogs, self.clock = toys, dogs, clock

    def add(self, actor: Actor, dog_id: str, name: str) -> Toy:
        self.dogs.get(actor.owner_id, dog_id)  # NotFound unless the dog is the caller's
        return self.toys.add(Toy(new_id("toy"), dog_id, name, self.clock()))

    def get(self, actor: Actor, dog_id: str, toy_id: str) -> Toy:
        self.dogs.get(actor.owner_id, dog_id)
        return self.toys.get(dog_id, toy_id)

    def list(self, actor: Actor, dog_id: str, limit: int = 20, cursor: str | None = None) -> Page[Toy]:
        self.dogs.get(actor.owner_id, dog_id)
        return self.toys.list(dog_id, limit, cursor)


# --- 4. wire it, and use it ---------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["single", "four"])
def test_a_declared_entity_works_end_to_end(layout: str) -> None:
    with dogcare_on_moto(layout, schema=WITH_TOYS) as app:  # type: ignore[arg-type]
        toys = ToyService(ToyRepository(app.store, app.cursors, app.clock), app.dog_repository, app.clock)
        ana = register(app)
        rex = add_dog(app, ana)
        as_ana = actor_of(ana)
        ball = toys.add(as_ana, rex.id, "ball")
        rope = toys.add(as_ana, rex.id, "rope")

        assert toys.get(as_ana, rex.id, ball.id) == ball
        first = toys.list(as_ana, rex.id, limit=1)
        second = toys.list(as_ana, rex.id, limit=1, cursor=first.next_cursor)
        assert {t.name for t in first.items + second.items} == {"ball", "rope"}
        assert app.dogs.get(as_ana, rex.id) == rex  # the dog's own items are read as before

        stored = items_by_key(app)[(f"DOG#{rex.id}", f"TOY#{ball.id}")]
        assert stored["entity_type"] == {"S": "toy"} and stored["schema_version"] == {"N": "1"}
        assert app.store.models.Toy.Meta.table_name == app.store.layout.table_name("dogs")

        ben = register(app, "sub-b", name="Ben")
        with pytest.raises(NotFound):
            toys.get(actor_of(ben), rex.id, rope.id)  # not Ben's dog: his toys are not Ben's to see
        with pytest.raises(NotFound):
            toys.get(as_ana, rex.id, "toy-unknown")


@pytest.mark.parametrize("layout", ["single", "four"])
def test_the_new_entity_is_documented_and_needs_no_new_table(layout: str) -> None:
    settings = Settings(table_layout=layout, table_prefix="dogcare-dev")  # type: ignore[arg-type]
    assert table_definitions(Store(settings, WITH_TOYS)) == table_definitions(Store(settings))

    document = patterns_doc.render(schema=WITH_TOYS)
    assert "### `get_toy`" in document and "### `list_dog_toys`" in document
    assert "`pk = 'DOG#{dog_id}' AND begins_with(sk, 'TOY#')`" in document
    assert "Each `toy` item is about 200 bytes" in document
    assert patterns_doc.render() == patterns_doc.render(schema=SCHEMA)  # dogcare's own is unchanged
