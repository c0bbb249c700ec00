"""dogcare: dog daycare, boarding and parking on DynamoDB.

The public API of the library::

    from dogcare import Actor, Dogcare, RegisterOwner, NewDog, NewBooking
    app = Dogcare.from_settings()       # DOGCARE_* environment variables
    ana = Actor("cognito-sub-of-ana")   # who acts: every use case takes the actor first
    owner = app.owners.register(ana, RegisterOwner(name="Ana"), "ana@example.com")

Names are imported on first use, so ``import dogcare`` is cheap and needs neither
Powertools, Stripe nor the Lambda handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dogcare.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # the facade and its configuration
    "Dogcare": "dogcare.facade",
    "Settings": "dogcare.settings",
    "get_settings": "dogcare.settings",
    "Store": "dogcare.storage.store",
    "create_tables": "dogcare.storage.tables",
    # entity types
    "Owner": "dogcare.domain.model",
    "Address": "dogcare.domain.model",
    "Dog": "dogcare.domain.model",
    "Vaccination": "dogcare.domain.model",
    "Booking": "dogcare.domain.model",
    "Payment": "dogcare.domain.model",
    "RosterEntry": "dogcare.domain.model",
    "Money": "dogcare.domain.money",
    "Page": "dogcare.repositories.base",
    # inputs
    "RegisterOwner": "dogcare.commands",
    "UpdateOwner": "dogcare.commands",
    "AddressInput": "dogcare.commands",
    "NewDog": "dogcare.commands",
    "UpdateDog": "dogcare.commands",
    "VaccinationInput": "dogcare.commands",
    "NewBooking": "dogcare.commands",
    "UpdateBooking": "dogcare.commands",
    "NewPayment": "dogcare.commands",
    "CapacityUpdate": "dogcare.commands",
    # services and repositories
    "OwnerService": "dogcare.services.owners",
    "DogService": "dogcare.services.dogs",
    "BookingService": "dogcare.services.bookings",
    "StaffService": "dogcare.services.staff",
    "OwnerRepository": "dogcare.repositories.owners",
    "DogRepository": "dogcare.repositories.dogs",
    "BookingRepository": "dogcare.repositories.bookings",
    "PaymentRepository": "dogcare.repositories.payments",
    "Actor": "dogcare.domain.actor",
    # errors
    "DogcareError": "dogcare.errors",
    "NotFound": "dogcare.errors",
    "Conflict": "dogcare.errors",
    "DuplicateEmail": "dogcare.errors",
    "OverlappingBooking": "dogcare.errors",
    "CapacityFull": "dogcare.errors",
    "InvalidTransition": "dogcare.errors",
    "VersionMismatch": "dogcare.errors",
    "ValidationFailed": "dogcare.errors",
    "InvalidCursor": "dogcare.errors",
    "Forbidden": "dogcare.errors",
    "StorageUnavailable": "dogcare.errors",
}

__all__ = [
    "Actor",
    "Address",
    "AddressInput",
    "Booking",
    "BookingRepository",
    "BookingService",
    "CapacityFull",
    "CapacityUpdate",
    "Conflict",
    "Dog",
    "DogRepository",
    "DogService",
    "Dogcare",
    "DogcareError",
    "DuplicateEmail",
    "Forbidden",
    "InvalidCursor",
    "InvalidTransition",
    "Money",
    "NewBooking",
    "NewDog",
    "NewPayment",
    "NotFound",
    "OverlappingBooking",
    "Owner",
    "OwnerRepository",
    "OwnerService",
    "Page",
    "Payment",
    "PaymentRepository",
    "RegisterOwner",
    "RosterEntry",
    "Settings",
    "StaffService",
    "StorageUnavailable",
    "Store",
    "UpdateBooking",
    "UpdateDog",
    "UpdateOwner",
    "Vaccination",
    "VaccinationInput",
    "ValidationFailed",
    "VersionMismatch",
    "__version__",
    "create_tables",
    "get_settings",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:
    from dogcare.commands import (
        AddressInput,
        CapacityUpdate,
        NewBooking,
        NewDog,
        NewPayment,
        RegisterOwner,
        UpdateBooking,
        UpdateDog,
        UpdateOwner,
        VaccinationInput,
    )
    from dogcare.domain.actor import Actor
    from dogcare.domain.model import Address, Booking, Dog, Owner, Payment, RosterEntry, Vaccination
    from dogcare.domain.money import Money
    from dogcare.errors import (
        CapacityFull,
        Conflict,
        DogcareError,
        DuplicateEmail,
        Forbidden,
        InvalidCursor,
        InvalidTransition,
        NotFound,
        OverlappingBooking,
        StorageUnavailable,
        ValidationFailed,
        VersionMismatch,
    )
    from dogcare.facade import Dogcare
    from dogcare.repositories.base import Page
    from dogcare.repositories.bookings import BookingRepository
    from dogcare.repositories.dogs import DogRepository
    from dogcare.repositories.owners import OwnerRepository
    from dogcare.repositories.payments import PaymentRepository
    from dogcare.services.bookings import BookingService
    from dogcare.services.dogs import DogService
    from dogcare.services.owners import OwnerService
    from dogcare.services.staff import StaffService
    from dogcare.settings import Settings, get_settings
    from dogcare.storage.store import Store
    from dogcare.storage.tables import create_tables
