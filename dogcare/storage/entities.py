"""The stored entities as PynamoDB models, derived from the declarations and built per layout.

PynamoDB binds a table name (and each index) to a model class, so a ``ModelSet`` is made
for one layout and prefix: the same code can then use the single table or four tables,
and both can live in one process (the tests run both side by side).

Every item carries ``entity_type`` (the discriminator: PynamoDB picks the class from it)
and ``schema_version``. Key attributes are generic (``pk``/``sk``/``gsiNpk``/``gsiNsk``) and
set only from the entity's own fields, by its declaration (``new_item``, ``key_item``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.attributes import (
    Attribute as PynamoAttribute,
)
from pynamodb.attributes import (
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from dogcare.storage import keys
from dogcare.storage.declarations import BOOKING_SCHEMA_VERSION, SCHEMA, SCHEMA_VERSION
from dogcare.storage.layout import ALL_INDEXES, IndexSpec, LogicalTable, TableLayout
from dogcare.storage.schema import INDEXES, Attribute, Entity, Schema

# --- attributes from their declarations ---------------------------------------------------------

_MAP_CLASSES: dict[str, tuple[tuple[tuple[str, Attribute], ...], type[MapAttribute[str, Any]]]] = {}
_SCALARS: dict[str, type[PynamoAttribute[Any]]] = {"string": UnicodeAttribute, "number": NumberAttribute}


def map_class(spec: Attribute) -> type[MapAttribute[str, Any]]:
    """The MapAttribute class of a shaped map (one class per shape name, shared by every model)."""
    assert spec.shape is not None, "a free-form map has no class"
    known = _MAP_CLASSES.get(spec.shape)
    if known is None:
        namespace = {name: attribute(field) for name, field in spec.fields}
        known = _MAP_CLASSES[spec.shape] = (spec.fields, type(spec.shape, (MapAttribute,), namespace))
    elif known[0] != spec.fields:
        raise ValueError(f"two shapes named {spec.shape}")
    return known[1]


def attribute(spec: Attribute) -> PynamoAttribute[Any]:
    """A fresh PynamoDB attribute for one declared attribute (PynamoDB binds each to one class)."""
    options: dict[str, Any] = {}
    if spec.null:
        options["null"] = True
    if spec.default is not None:
        options["default"] = spec.default
    scalar = _SCALARS.get(spec.kind)
    if scalar is not None:
        return scalar(**options)
    if spec.kind == "version":
        return VersionAttribute()
    if spec.kind == "map":
        return map_class(spec)(**options) if spec.shape else MapAttribute(**options)  # type: ignore[no-untyped-call]  # PynamoDB leaves it unannotated
    assert spec.of is not None, "a list declares what it holds"
    of = map_class(spec.of) if spec.of.kind == "map" else _SCALARS[spec.of.kind]
    return ListAttribute(of=of, **options)


# The nested shapes the repositories build values with.
AddressMap = map_class(SCHEMA.entity("owner").attributes["address"])
VaccinationMap = map_class(SCHEMA.entity("dog").attributes["vaccinations"].of)  # type: ignore[arg-type]
MoneyMap = map_class(SCHEMA.entity("booking").attributes["price"])


# --- models per layout --------------------------------------------------------------------------

# The entity classes are built at run time (one set per layout and prefix), so a type checker
# cannot know their attributes: they are typed loosely, and the tests pin their behaviour.
ModelClass = Any


class ModelSet:
    """The model classes of one layout, one per declared entity: ``models.Dog`` (by model
    name) or ``models.of("dog")`` (by type stamp). A new entity needs no change here."""

    def __init__(self, layout: TableLayout, classes: dict[str, ModelClass]) -> None:
        self.layout = layout
        self._by_stamp = classes
        for cls in classes.values():
            setattr(self, cls.__name__, cls)

    def __getattr__(self, name: str) -> ModelClass:  # only for names not set: a clear error
        raise AttributeError(f"no entity model {name!r} in this schema")

    def of(self, stamp: str) -> ModelClass:
        return self._by_stamp[stamp]

    def __iter__(self) -> Iterator[ModelClass]:
        return iter(self._by_stamp.values())

    def bases(self) -> list[ModelClass]:
        """One model per physical table (for creating and describing tables)."""
        seen: dict[str, ModelClass] = {}
        for cls in self:
            base = cls.__mro__[1]
            seen.setdefault(base.Meta.table_name, base)
        return list(seen.values())


def _index_class(spec: IndexSpec) -> type[GlobalSecondaryIndex[Any]]:
    # Index classes are made per model: PynamoDB binds an index's Meta to one model.
    meta = type("Meta", (), {"index_name": spec.name, "projection": AllProjection()})
    namespace = {
        "Meta": meta,
        spec.hash_attr: UnicodeAttribute(hash_key=True),
        spec.range_attr: UnicodeAttribute(range_key=True),
    }
    return type(f"Index_{spec.name}", (GlobalSecondaryIndex,), namespace)


def _table_base(name: str, table_name: str, indexes: tuple[IndexSpec, ...], host: str | None, region: str) -> Any:
    meta = type(
        "Meta",
        (),
        {
            "table_name": table_name,
            "host": host,
            "region": region,
            "billing_mode": "PAY_PER_REQUEST",
            "max_retry_attempts": 3,
            "connect_timeout_seconds": 2,
            "read_timeout_seconds": 5,
        },
    )
    namespace: dict[str, Any] = {
        "Meta": meta,
        "pk": UnicodeAttribute(hash_key=True),
        "sk": UnicodeAttribute(range_key=True),
        "entity_type": DiscriminatorAttribute(),
        "schema_version": NumberAttribute(default=SCHEMA_VERSION),
        "expiration": TTLAttribute(null=True),
    }
    for spec in ALL_INDEXES:
        namespace[spec.hash_attr] = UnicodeAttribute(null=True)
        namespace[spec.range_attr] = UnicodeAttribute(null=True)
    for spec in indexes:
        namespace[f"index_{spec.name}"] = _index_class(spec)()
    return type(name, (Model,), namespace)


def _entity_model(entity: Entity, base: Any) -> ModelClass:
    fields: dict[str, Any] = {name: attribute(spec) for name, spec in entity.attributes.items()}
    if entity.schema_version != SCHEMA_VERSION:
        fields["schema_version"] = NumberAttribute(default=entity.schema_version)
    fields["declaration"] = entity
    return type(entity.model, (base,), fields, discriminator=entity.name)


def build_models(layout: TableLayout, host: str | None, region: str, schema: Schema = SCHEMA) -> ModelSet:
    bases: dict[str, Any] = {}

    def base(logical: LogicalTable) -> Any:
        table = layout.table_name(logical)
        if table not in bases:
            bases[table] = _table_base(f"{logical.title()}Table", table, layout.indexes_of(logical), host, region)
        return bases[table]

    return ModelSet(layout, {e.name: _entity_model(e, base(e.table)) for e in schema.entities})


# --- items from their declarations --------------------------------------------------------------


def new_item(model: ModelClass, **values: Any) -> Any:
    """A model instance with its attributes and every key attribute derived from ``values``
    (which may also hold fields only the keys use, such as a counter's day)."""
    attributes = model.get_attributes()
    stored = {name: value for name, value in values.items() if name in attributes}
    return model(**model.declaration.key_attributes(**values), **stored)


def key_item(model: ModelClass, **values: Any) -> Any:
    """A model instance holding only its base-table key (for updates, deletes, condition checks)."""
    pk, sk = model.declaration.key(**values)
    return model(pk, sk)


def key_of(model: ModelClass, **values: Any) -> tuple[str, str, str]:
    """``(table, pk, sk)`` of an item, as batch reads name their keys."""
    pk, sk = model.declaration.key(**values)
    return model.Meta.table_name, pk, sk


def index_key_actions(model: ModelClass, index: str, **values: Any) -> list[Any]:
    """Update actions that set one index's key attributes of an item (a sparse index's entry)."""
    return [getattr(model, name).set(value) for name, value in model.declaration.index_key(index, **values).items()]


def index_key_removals(model: ModelClass, index: str) -> list[Any]:
    """Update actions that take an item out of one (sparse) index: its key attributes removed."""
    spec = INDEXES[index]
    return [getattr(model, spec.hash_attr).remove(), getattr(model, spec.range_attr).remove()]


def stamp_actions(model: Any) -> list[Any]:
    """Items made by an ``UpdateItem`` (counters, rate windows) rather than a put still get
    the type stamp and schema version every item carries."""
    return [model.entity_type.set(model), model.schema_version.set(SCHEMA_VERSION)]


def index(model: type[Model], spec: IndexSpec) -> Any:
    """The PynamoDB index object of ``spec`` on ``model``'s table."""
    return getattr(model, f"index_{spec.name}")


__all__ = [
    "BOOKING_SCHEMA_VERSION",
    "SCHEMA_VERSION",
    "AddressMap",
    "ModelSet",
    "MoneyMap",
    "VaccinationMap",
    "build_models",
    "index",
    "index_key_actions",
    "index_key_removals",
    "key_item",
    "key_of",
    "keys",
    "new_item",
]
