"""Command validation: unknown fields, invisible characters, strict ints and bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from dogcare.commands import (
    CapacityUpdate,
    Email,
    NewBooking,
    NewDog,
    NewPayment,
    RegisterOwner,
    UpdateBooking,
    UpdateDog,
    UpdateOwner,
)

DOG_ID = "dog-0b6f5c1e-2c7a-4a55-9d0e-3f1b2a4c5d6e"
BOOKING_ID = "booking-0b6f5c1e-2c7a-4a55-9d0e-3f1b2a4c5d6e"
START = "2030-03-05T09:00:00Z"
END = "2030-03-05T17:00:00Z"


def booking(**changes: Any) -> dict[str, Any]:
    return {"dog_id": DOG_ID, "service_type": "daycare", "start_time": START, "end_time": END, **changes}


def email_errors(value: str) -> set[str]:
    with pytest.raises(ValidationError) as info:
        TypeAdapter(Email).validate_python(value)
    return {e["type"] for e in info.value.errors()}


def error_types(model: type[BaseModel], data: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return {e["type"] for e in info.value.errors()}


def test_valid_commands() -> None:
    owner = RegisterOwner.model_validate(
        {
            "name": "  Ana  ",
            "phone": "+1 (555) 010-0000",
            "address": {"street": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701"},
        }
    )
    assert owner.name == "Ana"
    dog = NewDog.model_validate(
        {
            "name": "Rex",
            "size": "large",
            "age": 3,
            "vaccinations": [{"name": "rabies", "expires_on": "2031-01-01"}],
        }
    )
    assert dog.vaccinations[0].expires_on == date(2031, 1, 1)
    b = NewBooking.model_validate(booking(special_instructions="Feed at noon.\nWalk twice."))
    assert b.start_time == datetime(2030, 3, 5, 9, tzinfo=UTC)
    assert CapacityUpdate.model_validate({"daily_capacity": 0}).daily_capacity == 0
    assert NewPayment.model_validate({"booking_id": BOOKING_ID}).booking_id == BOOKING_ID


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (RegisterOwner, {"name": "Ana", "id": "owner-x"}),
        (RegisterOwner, {"name": "Ana", "owner_id": "owner-x"}),
        # The owner's email is the ID token's verified one: no body may carry it.
        (RegisterOwner, {"name": "Ana", "email": "ana@example.com"}),
        (UpdateOwner, {"email": "ana@example.com"}),
        (UpdateOwner, {"version": 3}),
        (NewDog, {"name": "Rex", "size": "large", "vaccination_status": "up-to-date"}),
        (NewDog, {"name": "Rex", "size": "large", "owner_id": "owner-x"}),
        (UpdateDog, {"created_at": "2030-01-01T00:00:00Z"}),
        (NewBooking, booking(price={"amount": 1, "currency": "USD"})),
        (NewBooking, booking(status="confirmed")),
        (NewBooking, booking(payment_id="payment-x")),
        (UpdateBooking, {"status": "cancelled"}),
        (NewPayment, {"booking_id": BOOKING_ID, "amount": 1}),
        (CapacityUpdate, {"daily_capacity": 5, "service_type": "daycare"}),
    ],
)
def test_unknown_and_server_owned_fields_are_rejected(model: type[BaseModel], data: dict[str, Any]) -> None:
    assert error_types(model, data) == {"extra_forbidden"}


def test_nested_unknown_fields_are_rejected() -> None:
    data = {
        "name": "Rex",
        "size": "small",
        "vaccinations": [{"name": "rabies", "expires_on": "2031-01-01", "x": 1}],
    }
    assert error_types(NewDog, data) == {"extra_forbidden"}


@pytest.mark.parametrize(
    "char",
    [
        "\x00",
        "\x07",
        "\x1b",
        "\x7f",
        "\u202e",
        "\u202d",
        "\u2066",
        "\u200b",
        "\u200d",
        "\ufeff",
        "\u00ad",
        "\ue000",
    ],
)
def test_control_bidi_and_zero_width_characters_are_rejected(char: str) -> None:
    assert error_types(RegisterOwner, {"name": f"An{char}a"}) == {"value_error"}
    assert email_errors(f"an{char}a@example.com") == {"value_error"}
    assert error_types(NewDog, {"name": "Rex", "size": "small", "special_needs": [f"meds{char}"]}) == {"value_error"}
    assert error_types(NewBooking, booking(special_instructions=f"gate code 1{char}2")) == {"value_error"}


def test_newlines_and_tabs_are_allowed_in_text() -> None:
    assert NewBooking.model_validate(booking(special_instructions="a\tb\nc")).special_instructions == "a\tb\nc"


def test_text_is_nfc_normalised() -> None:
    assert RegisterOwner.model_validate({"name": "Jose\u0301"}).name == "Jos\u00e9"


@pytest.mark.parametrize("age", ["3", 3.0, 3.5, True, [3]])
def test_age_is_a_strict_int(age: object) -> None:
    types = error_types(NewDog, {"name": "Rex", "size": "small", "age": age})
    assert types
    assert types <= {"int_type"}


@pytest.mark.parametrize("value", ["5", 5.0, False])
def test_capacity_is_a_strict_int(value: object) -> None:
    assert error_types(CapacityUpdate, {"daily_capacity": value}) == {"int_type"}


@pytest.mark.parametrize(
    ("model", "data", "kind"),
    [
        (NewDog, {"name": "Rex", "size": "small", "age": -1}, "greater_than_equal"),
        (NewDog, {"name": "Rex", "size": "small", "age": 31}, "less_than_equal"),
        (CapacityUpdate, {"daily_capacity": -1}, "greater_than_equal"),
        (CapacityUpdate, {"daily_capacity": 1001}, "less_than_equal"),
        (RegisterOwner, {"name": "x" * 101}, "string_too_long"),
        (RegisterOwner, {"name": "   "}, "string_too_short"),
        (NewDog, {"name": "Rex", "size": "small", "special_needs": ["x" * 201]}, "string_too_long"),
        (NewDog, {"name": "Rex", "size": "small", "special_needs": ["meds"] * 21}, "too_long"),
        (
            NewDog,
            {
                "name": "Rex",
                "size": "small",
                "vaccinations": [{"name": "r", "expires_on": "2031-01-01"}] * 21,
            },
            "too_long",
        ),
        (NewBooking, booking(special_instructions="x" * 2001), "string_too_long"),
        (NewDog, {"name": "Rex", "size": "huge"}, "literal_error"),
        (NewBooking, booking(service_type="grooming"), "literal_error"),
        (NewBooking, booking(dog_id="dog-1"), "string_pattern_mismatch"),
        (NewBooking, booking(dog_id=BOOKING_ID), "string_pattern_mismatch"),
        (NewPayment, {"booking_id": DOG_ID}, "string_pattern_mismatch"),
        (
            RegisterOwner,
            {"name": "Ana", "phone": "call me"},
            "string_pattern_mismatch",
        ),
        (NewBooking, booking(start_time="2030-03-05T09:00:00"), "timezone_aware"),
    ],
)
def test_bounds(model: type[BaseModel], data: dict[str, Any], kind: str) -> None:
    assert kind in error_types(model, data)


def test_bounds_are_inclusive() -> None:
    assert NewDog.model_validate({"name": "x" * 100, "size": "giant", "age": 30}).age == 30
    assert NewDog.model_validate({"name": "Rex", "size": "giant", "age": 0}).age == 0
    assert CapacityUpdate.model_validate({"daily_capacity": 1000}).daily_capacity == 1000
    assert len(NewBooking.model_validate(booking(special_instructions="x" * 2000)).special_instructions or "") == 2000


@pytest.mark.parametrize("email", ["ana", "ana@", "@example.com", "ana@example", "a b@example.com", "ana@-x.com"])
def test_invalid_emails(email: str) -> None:
    # An identity provider's address passes the same rules before it is stored.
    assert email_errors(email) == {"value_error"}


def test_email_bounds() -> None:
    assert email_errors("a" * 250 + "@example.com") == {"string_too_long"}
    assert TypeAdapter(Email).validate_python(" ana@example.com ") == "ana@example.com"


def test_required_fields() -> None:
    assert error_types(RegisterOwner, {}) == {"missing"}
    assert error_types(NewBooking, {"dog_id": DOG_ID}) == {"missing"}


def test_commands_are_frozen() -> None:
    command = UpdateOwner.model_validate({"name": "Ana"})
    with pytest.raises(ValidationError):
        command.name = "Bob"  # type: ignore[misc]
