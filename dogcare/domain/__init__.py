"""The domain: plain data types and pure rules. No boto3, no PynamoDB, no HTTP."""

from dogcare.domain.model import (
    ACTIVE_BOOKING_STATUSES,
    BOOKING_STATUSES,
    DOG_SIZES,
    PAYMENT_STATUSES,
    SERVICE_TYPES,
    Address,
    Booking,
    Dog,
    Owner,
    Payment,
    Vaccination,
)
from dogcare.domain.money import Money

__all__ = [
    "ACTIVE_BOOKING_STATUSES",
    "BOOKING_STATUSES",
    "DOG_SIZES",
    "PAYMENT_STATUSES",
    "SERVICE_TYPES",
    "Address",
    "Booking",
    "Dog",
    "Money",
    "Owner",
    "Payment",
    "Vaccination",
]
