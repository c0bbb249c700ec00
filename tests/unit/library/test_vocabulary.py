"""The vocabulary: one definition of each kind and state, which every other spelling must match.

The handlers' and the commands' ``Literal`` types stay literal (they shape the OpenAPI
document); these tests keep them equal to the enums, so the two cannot drift apart.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest

from dogcare import commands, settings
from dogcare.auth.identity import ADMIN_GROUP
from dogcare.domain import model, pricing
from dogcare.domain.vocabulary import (
    ACTIVE_BOOKING_STATUSES,
    PAID_BOOKING_STATUSES,
    RELEASED_BOOKING_STATUSES,
    BookingStatus,
    PaymentStatus,
    Role,
    ServiceType,
)


def values(enum: Any) -> set[str]:
    return {member.value for member in enum}


def test_the_stored_strings_are_unchanged() -> None:
    # These strings are in stored items and in the API: an enum member may be renamed, never its value.
    assert values(ServiceType) == {"daycare", "boarding", "parking"}
    assert values(BookingStatus) == {"pending", "confirmed", "checked_in", "completed", "cancelled", "expired"}
    assert values(PaymentStatus) == {
        "creating",
        "requires_payment_method",
        "processing",
        "failed",
        "canceled",
        "succeeded",
        "refund_pending",
        "partially_refunded",
        "refunded",
    }
    assert values(Role) == {"admin"} and ADMIN_GROUP == Role.ADMIN


def test_members_are_their_strings() -> None:
    assert BookingStatus.PENDING == "pending" and f"{BookingStatus.CHECKED_IN}" == "checked_in"
    assert json.dumps({"status": PaymentStatus.REFUND_PENDING}) == '{"status": "refund_pending"}'
    assert BookingStatus("cancelled") is BookingStatus.CANCELLED


def test_status_groups_partition_the_booking_statuses() -> None:
    active, released = set(ACTIVE_BOOKING_STATUSES), set(RELEASED_BOOKING_STATUSES)
    assert active | released | {BookingStatus.COMPLETED} == set(BookingStatus)
    assert not active & released
    assert {BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED} == PAID_BOOKING_STATUSES


@pytest.mark.parametrize(
    ("spelling", "enum"),
    [
        (get_args(commands.ServiceType), ServiceType),
        (model.SERVICE_TYPES, ServiceType),
        (settings.SERVICE_TYPES, ServiceType),
        (tuple(pricing.DEFAULT_PRICES), ServiceType),
        (tuple(pricing.UNITS), ServiceType),
        (model.BOOKING_STATUSES, BookingStatus),
        (model.PAYMENT_STATUSES, PaymentStatus),
    ],
)
def test_library_spellings_match_the_vocabulary(spelling: tuple[str, ...], enum: Any) -> None:
    assert len(spelling) == len(set(spelling))
    assert set(spelling) == values(enum)


def test_handler_literals_match_the_vocabulary() -> None:
    from handlers import admin, bookings

    assert set(get_args(bookings.Status)) == values(BookingStatus)
    assert set(get_args(bookings.ServiceType)) == values(ServiceType)
    assert set(get_args(admin.ServiceType)) == values(ServiceType)


def test_the_vocabulary_imports_without_the_rest_of_the_domain() -> None:
    # The authorizer needs only Role: it must not load the domain's models on its cold start.
    code = "import sys, dogcare.auth.identity\nprint(sorted(m for m in sys.modules if m.startswith('dogcare.domain')))"
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "['dogcare.domain', 'dogcare.domain.vocabulary']"
