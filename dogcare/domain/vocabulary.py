"""The words the system uses for kinds and states, one definition each.

They are ``StrEnum``s: each member *is* its string value, so stored items, the API, the
OpenAPI document and comparisons with strings read from DynamoDB are unchanged. Code names
a state through its member (``BookingStatus.PENDING``), never by retyping the string.
"""

from __future__ import annotations

from enum import StrEnum


class ServiceType(StrEnum):
    DAYCARE = "daycare"
    BOARDING = "boarding"
    PARKING = "parking"


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    # An unpaid hold whose time ran out; its places were released.
    EXPIRED = "expired"


class PaymentStatus(StrEnum):
    """The status of our payment record (``dogcare.domain.payments`` has the state machine)."""

    # Linked to its booking; the provider's intent is being made (or replaced).
    CREATING = "creating"
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    PROCESSING = "processing"
    # The last attempt was declined; the owner may pay again on the same intent.
    FAILED = "failed"
    # The intent was cancelled: it can never take money.
    CANCELED = "canceled"
    SUCCEEDED = "succeeded"
    # A refund is owed (``refund_due``) and not yet fully paid out.
    REFUND_PENDING = "refund_pending"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class Role(StrEnum):
    """The identity provider's groups the services act on. Staff operations need ``ADMIN``;
    every other authenticated caller is an owner acting on their own data."""

    ADMIN = "admin"


# Bookings that hold a place: they count against capacity and block the dog's time.
ACTIVE_BOOKING_STATUSES: tuple[BookingStatus, ...] = (
    BookingStatus.PENDING,
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
)
# Bookings whose places were given back.
RELEASED_BOOKING_STATUSES: tuple[BookingStatus, ...] = (BookingStatus.CANCELLED, BookingStatus.EXPIRED)
# Booking statuses that can only be reached by paying.
PAID_BOOKING_STATUSES: frozenset[BookingStatus] = frozenset(
    {BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED}
)

__all__ = [
    "ACTIVE_BOOKING_STATUSES",
    "PAID_BOOKING_STATUSES",
    "RELEASED_BOOKING_STATUSES",
    "BookingStatus",
    "PaymentStatus",
    "Role",
    "ServiceType",
]
