"""The stored entities as PynamoDB models, built per table layout.

PynamoDB binds a table name (and each index) to a model class, so a ``ModelSet`` is made
for one layout and prefix: the same code can then use the single table or four tables,
and both can live in one process (the tests run both side by side).

Every item carries ``entity_type`` (the discriminator: PynamoDB picks the class from it)
and ``schema_version``. Key attributes are generic (``pk``/``sk``/``gsiNpk``/``gsiNsk``) and
set only from the entity's own fields, by the key functions of ``dogcare.storage.keys``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
from dogcare.storage.layout import CALENDAR, DOG_OVERLAY, OWNER_OVERLAY, IndexSpec, LogicalTable, TableLayout

SCHEMA_VERSION = 1
# Bookings record what they took (capacity counter keys, roster days, schedule interval, zone)
# from version 2 on; ``dogcare migrate`` brings older items up (``dogcare.maintenance``).
BOOKING_SCHEMA_VERSION = 2


class AddressMap(MapAttribute[str, Any]):
    street = UnicodeAttribute()
    city = UnicodeAttribute()
    state = UnicodeAttribute()
    zip = UnicodeAttribute()


class VaccinationMap(MapAttribute[str, Any]):
    name = UnicodeAttribute()
    expires_on = UnicodeAttribute()


class MoneyMap(MapAttribute[str, Any]):
    amount = NumberAttribute()
    currency = UnicodeAttribute()


def _timestamps() -> dict[str, Any]:
    return {"created_at": UnicodeAttribute(), "updated_at": UnicodeAttribute()}


# --- entity attribute sets: functions, so that every model gets fresh attribute objects ---


def owner_fields() -> dict[str, Any]:
    return {
        "id": UnicodeAttribute(),
        "name": UnicodeAttribute(),
        "email": UnicodeAttribute(),
        "phone": UnicodeAttribute(null=True),
        "address": AddressMap(null=True),
        "version": VersionAttribute(),
        **_timestamps(),
    }


def email_guard_fields() -> dict[str, Any]:
    return {"owner_id": UnicodeAttribute()}


def counter_fields() -> dict[str, Any]:
    return {"used": NumberAttribute(default=0)}


def dog_fields() -> dict[str, Any]:
    return {
        "id": UnicodeAttribute(),
        "owner_id": UnicodeAttribute(),
        "name": UnicodeAttribute(),
        "breed": UnicodeAttribute(null=True),
        "age": NumberAttribute(null=True),
        "size": UnicodeAttribute(),
        "vaccinations": ListAttribute(of=VaccinationMap, default=list),
        "special_needs": ListAttribute(of=UnicodeAttribute, default=list),
        "emergency_contact": UnicodeAttribute(null=True),
        "version": VersionAttribute(),
        **_timestamps(),
    }


def dog_schedule_fields() -> dict[str, Any]:
    """The times a dog is booked: booking id -> "start/end". Guards against overlaps."""
    return {"dog_id": UnicodeAttribute(), "intervals": MapAttribute(default=dict), "rev": NumberAttribute(default=0)}


def booking_fields() -> dict[str, Any]:
    return {
        "id": UnicodeAttribute(),
        "owner_id": UnicodeAttribute(),
        "dog_id": UnicodeAttribute(),
        "service_type": UnicodeAttribute(),
        "start_time": UnicodeAttribute(),
        "end_time": UnicodeAttribute(),
        "status": UnicodeAttribute(),
        "price": MoneyMap(),
        "payment_id": UnicodeAttribute(null=True),
        "special_instructions": UnicodeAttribute(null=True),
        "checked_in_at": UnicodeAttribute(null=True),
        "checked_out_at": UnicodeAttribute(null=True),
        "cancelled_at": UnicodeAttribute(null=True),
        # The recorded plan (absent on version-1 items): the days of the service's capacity
        # counters it holds (with ``service_type``, the counter keys), its roster days, the
        # exact interval in the dog's schedule item, the zone it was computed under. Days, not
        # whole keys: a typical booking stays within one write unit (1 KB).
        "capacity_days": ListAttribute(of=UnicodeAttribute, null=True),
        "roster_days": ListAttribute(of=UnicodeAttribute, null=True),
        "schedule_interval": UnicodeAttribute(null=True),
        "zone": UnicodeAttribute(null=True),
        "schema_version": NumberAttribute(default=BOOKING_SCHEMA_VERSION),
        "hold_expires_at": UnicodeAttribute(null=True),  # while pending (the unpaid hold's deadline)
        "version": VersionAttribute(),
        **_timestamps(),
    }


def booking_day_fields() -> dict[str, Any]:
    """One day of an active booking, projected into the sparse calendar index."""
    return {
        "booking_id": UnicodeAttribute(),
        "owner_id": UnicodeAttribute(),
        "dog_id": UnicodeAttribute(),
        "dog_name": UnicodeAttribute(),
        "service_type": UnicodeAttribute(),
        "day": UnicodeAttribute(),
        "start_time": UnicodeAttribute(),
        "end_time": UnicodeAttribute(),
        "status": UnicodeAttribute(),
        "hold_expires_at": UnicodeAttribute(null=True),  # while pending: staff see the hold's deadline
    }


def capacity_config_fields() -> dict[str, Any]:
    return {
        "service_type": UnicodeAttribute(),
        "daily_capacity": NumberAttribute(),
        "updated_at": UnicodeAttribute(),
    }


def payment_fields() -> dict[str, Any]:
    return {
        "id": UnicodeAttribute(),
        "owner_id": UnicodeAttribute(),
        "booking_id": UnicodeAttribute(),
        "amount": MoneyMap(),
        "status": UnicodeAttribute(),
        "provider": UnicodeAttribute(),
        "provider_reference": UnicodeAttribute(null=True),
        "amount_refunded": NumberAttribute(default=0),
        "refund_due": NumberAttribute(null=True),
        "failure_reason": UnicodeAttribute(null=True),
        "version": VersionAttribute(),
        **_timestamps(),
    }


def provider_event_fields() -> dict[str, Any]:
    return {"event_type": UnicodeAttribute(), "outcome": UnicodeAttribute(), "processed_at": UnicodeAttribute()}


# The entity classes are built at run time (one set per layout and prefix), so a type checker
# cannot know their attributes: they are typed loosely, and the tests pin their behaviour.
ModelClass = Any


@dataclass(frozen=True)
class ModelSet:
    """The model classes of one layout. Attribute names match the entity names."""

    layout: TableLayout
    Owner: ModelClass
    EmailGuard: ModelClass
    RateWindow: ModelClass
    Dog: ModelClass
    DogSchedule: ModelClass
    Booking: ModelClass
    BookingDay: ModelClass
    CapacityCounter: ModelClass
    CapacityConfig: ModelClass
    PendingCounter: ModelClass
    Payment: ModelClass
    ProviderEvent: ModelClass

    def bases(self) -> list[ModelClass]:
        """One model per physical table (for creating and describing tables)."""
        seen: dict[str, ModelClass] = {}
        for cls in (self.Owner, self.Dog, self.Booking, self.Payment):
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
    for spec in (OWNER_OVERLAY, DOG_OVERLAY, CALENDAR):
        namespace[spec.hash_attr] = UnicodeAttribute(null=True)
        namespace[spec.range_attr] = UnicodeAttribute(null=True)
    for spec in indexes:
        namespace[f"index_{spec.name}"] = _index_class(spec)()
    return type(name, (Model,), namespace)


def _entity(name: str, fields: dict[str, Any], base: Any, stamp: str) -> ModelClass:
    return type(name, (base,), fields, discriminator=stamp)


def build_models(layout: TableLayout, host: str | None, region: str) -> ModelSet:
    bases: dict[str, Any] = {}

    def base(logical: LogicalTable) -> Any:
        table = layout.table_name(logical)
        if table not in bases:
            bases[table] = _table_base(f"{logical.title()}Table", table, layout.indexes_of(logical), host, region)
        return bases[table]

    owners, dogs, bookings, payments = base("owners"), base("dogs"), base("bookings"), base("payments")
    return ModelSet(
        layout=layout,
        Owner=_entity("Owner", owner_fields(), owners, "owner"),
        EmailGuard=_entity("EmailGuard", email_guard_fields(), owners, "email_guard"),
        RateWindow=_entity("RateWindow", counter_fields(), owners, "rate_window"),
        Dog=_entity("Dog", dog_fields(), dogs, "dog"),
        DogSchedule=_entity("DogSchedule", dog_schedule_fields(), dogs, "dog_schedule"),
        Booking=_entity("Booking", booking_fields(), bookings, "booking"),
        BookingDay=_entity("BookingDay", booking_day_fields(), bookings, "booking_day"),
        CapacityCounter=_entity("CapacityCounter", counter_fields(), bookings, "capacity_counter"),
        CapacityConfig=_entity("CapacityConfig", capacity_config_fields(), bookings, "capacity_config"),
        PendingCounter=_entity("PendingCounter", counter_fields(), bookings, "pending_counter"),
        Payment=_entity("Payment", payment_fields(), payments, "payment"),
        ProviderEvent=_entity("ProviderEvent", provider_event_fields(), payments, "provider_event"),
    )


def stamp_actions(model: Any) -> list[Any]:
    """Items made by an ``UpdateItem`` (counters, rate windows) rather than a put still get
    the type stamp and schema version every item carries."""
    return [model.entity_type.set(model), model.schema_version.set(SCHEMA_VERSION)]


def index(model: type[Model], spec: IndexSpec) -> Any:
    """The PynamoDB index object of ``spec`` on ``model``'s table."""
    return getattr(model, f"index_{spec.name}")


__all__ = ["BOOKING_SCHEMA_VERSION", "SCHEMA_VERSION", "ModelSet", "build_models", "index", "keys"]
