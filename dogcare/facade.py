"""``Dogcare``: the library's front door, wiring repositories and services from settings.

    from dogcare import Dogcare
    app = Dogcare.from_settings()          # reads DOGCARE_* from the environment
    owner = app.owners.register("user-sub", RegisterOwner(name="Ana"), "ana@example.com")

Everything is built lazily, once, so a Lambda container pays only for what its routes use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from dogcare.domain.clock import utcnow
from dogcare.settings import Settings, get_settings
from dogcare.storage.store import Store

# The repositories and services are imported where they are built: a Lambda function imports
# only those of its own routes (the dogs function never loads the booking rules or the staff
# service), which is a measurable part of its cold start (docs/performance.md).
if TYPE_CHECKING:
    from dogcare.domain.model import Booking
    from dogcare.payments.gateway import PaymentGateway
    from dogcare.repositories.bookings import BookingRepository
    from dogcare.repositories.dogs import DogRepository
    from dogcare.repositories.owners import OwnerRepository
    from dogcare.repositories.payments import PaymentRepository
    from dogcare.services.bookings import BookingPolicy, BookingService
    from dogcare.services.dogs import DogService
    from dogcare.services.owners import OwnerService
    from dogcare.services.payments import PaymentService
    from dogcare.services.staff import StaffService
    from dogcare.storage.cursors import CursorCodec


class Dogcare:
    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        clock: Callable[[], datetime] = utcnow,
        payment_gateway: PaymentGateway | None = None,
    ) -> None:
        self.settings = settings
        self.store = store or Store(settings)
        self.clock = clock
        # None: the Stripe gateway configured by the settings, built on the first payment call.
        self.payment_gateway = payment_gateway

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Dogcare:
        return cls(settings or get_settings())

    @cached_property
    def cursors(self) -> CursorCodec:
        from dogcare.storage.cursors import CursorCodec, local_secret

        secret = self.settings.cursor_secret
        if secret:
            return CursorCodec(secret.encode())
        home = self.settings.home
        return CursorCodec(lambda: local_secret(home))  # read (or made) only when a list is paged

    # --- repositories ----------------------------------------------------------------

    @cached_property
    def owner_repository(self) -> OwnerRepository:
        from dogcare.repositories.owners import OwnerRepository

        return OwnerRepository(self.store, self.cursors, self.clock)

    @cached_property
    def dog_repository(self) -> DogRepository:
        from dogcare.repositories.dogs import DogRepository

        repo = DogRepository(self.store, self.cursors, self.clock)
        repo.configure_vaccinations(self.settings.required_vaccinations, self.settings.vaccination_expiring_days)
        return repo

    @cached_property
    def booking_repository(self) -> BookingRepository:
        from dogcare.repositories.bookings import BookingRepository

        return BookingRepository(self.store, self.cursors, self.clock)

    @cached_property
    def payment_repository(self) -> PaymentRepository:
        from dogcare.repositories.payments import PaymentRepository

        return PaymentRepository(self.store, self.cursors, self.clock)

    # --- services --------------------------------------------------------------------

    @cached_property
    def policy(self) -> BookingPolicy:
        from dogcare.domain.pricing import PriceTable
        from dogcare.domain.scheduling import Facility
        from dogcare.services.bookings import BookingPolicy

        s = self.settings
        return BookingPolicy(
            facility=Facility(s.timezone, s.opening_hour, s.closing_hour, s.booking_horizon_days),
            prices=PriceTable.from_json(s.price_table_json, s.currency)
            if s.price_table_json
            else PriceTable.default(s.currency),
            required_vaccinations=s.required_vaccinations,
            default_daily_capacity=s.default_daily_capacity,
            max_pending=s.max_pending_bookings,
            hold=timedelta(seconds=s.hold_seconds),
        )

    @cached_property
    def owners(self) -> OwnerService:
        from dogcare.services.owners import OwnerService

        return OwnerService(self.owner_repository, self.clock)

    @cached_property
    def dogs(self) -> DogService:
        from dogcare.services.dogs import DogService

        return DogService(self.dog_repository, self.clock)

    @cached_property
    def bookings(self) -> BookingService:
        from dogcare.services.bookings import BookingService

        settler = _PaymentsSettler(self)
        return BookingService(self.booking_repository, self.dog_repository, self.policy, self.clock, settler)

    @cached_property
    def staff(self) -> StaffService:
        from dogcare.services.staff import StaffService

        return StaffService(self.bookings, self.owners)

    @cached_property
    def payments(self) -> PaymentService:
        from dogcare.services.payments import PaymentService

        return PaymentService(self, gateway=self.payment_gateway)


class _PaymentsSettler:
    """Settles cancelled bookings through ``app.payments``, built only when a booking has a payment.

    Cancelling goes through it whether or not ``app.payments`` was used before in this
    process, and a container that never touches a payment never imports the payment code.
    """

    def __init__(self, app: Dogcare) -> None:
        self._app = app

    def settle_cancellation(self, before: Booking, after: Booking) -> None:
        self._app.payments.settle_cancellation(before, after)

    def settlement_pending(self, booking: Booking) -> bool:
        return self._app.payments.settlement_pending(booking)
