"""The domain: plain data types and pure rules. No boto3, no PynamoDB, no HTTP.

The names below are imported on first use, so that a function needing only the vocabulary
(the authorizer checks ``Role``) does not load the whole domain on its cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dogcare.lazy import lazy_exports

if TYPE_CHECKING:
    from dogcare.domain.actor import Actor
    from dogcare.domain.model import (
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
    from dogcare.domain.payments import RefundPolicy
    from dogcare.domain.vocabulary import ACTIVE_BOOKING_STATUSES, BookingStatus, PaymentStatus, Role, ServiceType

_EXPORTS = {
    "Actor": "dogcare.domain.actor",
    "ACTIVE_BOOKING_STATUSES": "dogcare.domain.vocabulary",
    "BOOKING_STATUSES": "dogcare.domain.model",
    "DOG_SIZES": "dogcare.domain.model",
    "PAYMENT_STATUSES": "dogcare.domain.model",
    "SERVICE_TYPES": "dogcare.domain.model",
    "Address": "dogcare.domain.model",
    "Booking": "dogcare.domain.model",
    "BookingStatus": "dogcare.domain.vocabulary",
    "Dog": "dogcare.domain.model",
    "Money": "dogcare.domain.money",
    "Owner": "dogcare.domain.model",
    "Payment": "dogcare.domain.model",
    "PaymentStatus": "dogcare.domain.vocabulary",
    "RefundPolicy": "dogcare.domain.payments",
    "Role": "dogcare.domain.vocabulary",
    "ServiceType": "dogcare.domain.vocabulary",
    "Vaccination": "dogcare.domain.model",
}
__all__ = [
    "ACTIVE_BOOKING_STATUSES",
    "BOOKING_STATUSES",
    "DOG_SIZES",
    "PAYMENT_STATUSES",
    "SERVICE_TYPES",
    "Actor",
    "Address",
    "Booking",
    "BookingStatus",
    "Dog",
    "Money",
    "Owner",
    "Payment",
    "PaymentStatus",
    "RefundPolicy",
    "Role",
    "ServiceType",
    "Vaccination",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
