"""``Dogcare``: the library's front door, wiring repositories and services from settings.

    from dogcare import Actor, Dogcare
    app = Dogcare.from_settings()          # reads DOGCARE_* from the environment
    ana = Actor("user-sub")                # who acts: a person, by their login subject
    owner = app.owners.register(ana, RegisterOwner(name="Ana"), "ana@example.com")

Everything is built lazily, once, so a Lambda container pays only for what its routes use.
Each service gets exactly the repositories, policies and clock it uses; the payment side
(and the payment provider's SDK) is built only when a payment is touched.
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
    from dogcare.domain.payments import RefundPolicy
    from dogcare.domain.vaccinations import VaccinationRules
    from dogcare.payments.gateway import PaymentGateway
    from dogcare.repositories.bookings import BookingRepository
    from dogcare.repositories.dogs import DogRepository
    from dogcare.repositories.lookups import LookupRepository
    from dogcare.repositories.owners import OwnerRepository
    from dogcare.repositories.payments import PaymentRepository
    from dogcare.services.bookings import BookingPolicy, BookingService
    from dogcare.services.dogs import DogService
    from dogcare.services.holds import HoldSweeper
    from dogcare.services.owners import OwnerService
    from dogcare.services.payments import PaymentService
    from dogcare.services.settlement import CancellationSettlement
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

        return DogRepository(self.store, self.cursors, self.clock)

    @cached_property
    def booking_repository(self) -> BookingRepository:
        from dogcare.repositories.bookings import BookingRepository

        return BookingRepository(self.store, self.cursors, self.clock)

    @cached_property
    def payment_repository(self) -> PaymentRepository:
        from dogcare.repositories.payments import PaymentRepository

        return PaymentRepository(self.store, self.cursors, self.clock)

    @cached_property
    def lookup_repository(self) -> LookupRepository:
        from dogcare.repositories.lookups import LookupRepository

        return LookupRepository(self.store, self.cursors, self.clock)

    # --- policies --------------------------------------------------------------------

    @cached_property
    def vaccination_rules(self) -> VaccinationRules:
        from dogcare.domain.vaccinations import VaccinationRules

        return VaccinationRules(self.settings.required_vaccinations, self.settings.vaccination_expiring_days)

    @cached_property
    def refund_policy(self) -> RefundPolicy:
        from dogcare.domain.payments import RefundPolicy

        return RefundPolicy(self.settings.refund_full_hours, self.settings.refund_late_percent)

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
            vaccinations=self.vaccination_rules,
            default_daily_capacity=s.default_daily_capacity,
            max_pending=s.max_pending_bookings,
            hold=timedelta(seconds=s.hold_seconds),
        )

    # --- services --------------------------------------------------------------------

    @cached_property
    def owners(self) -> OwnerService:
        from dogcare.services.owners import OwnerService

        return OwnerService(self.owner_repository, self.clock)

    @cached_property
    def dogs(self) -> DogService:
        from dogcare.services.dogs import DogService

        return DogService(self.dog_repository, self.vaccination_rules, self.clock)

    @cached_property
    def bookings(self) -> BookingService:
        from dogcare.services.bookings import BookingService

        # The settlement is built on the first cancellation of a booking with a payment.
        return BookingService(
            self.booking_repository, self.lookup_repository, self.policy, self.clock, lambda: self.settlement
        )

    @cached_property
    def staff(self) -> StaffService:
        from dogcare.services.staff import StaffService

        return StaffService(
            self.booking_repository,
            self.owner_repository,
            self.lookup_repository,
            self.vaccination_rules,
            self.settings.default_daily_capacity,  # the setting itself: no booking rules to load
            self.clock,
        )

    @cached_property
    def holds(self) -> HoldSweeper:
        from dogcare.services.holds import HoldSweeper

        return HoldSweeper(self.booking_repository, self.clock, self.settings.sweep_batch)

    # --- payments (built on first use: the provider's SDK comes with them) ----------------

    def gateway(self) -> PaymentGateway:
        """The injected gateway, or this process's Stripe gateway (keys re-read, SDK imported on use)."""
        if self.payment_gateway is not None:
            return self.payment_gateway
        from dogcare.payments.secrets import build_gateway

        return build_gateway(self.settings)

    @cached_property
    def settlement(self) -> CancellationSettlement:
        from dogcare.services.settlement import CancellationSettlement

        return CancellationSettlement(self.payment_repository, self.gateway, self.refund_policy, self.clock)

    @cached_property
    def payments(self) -> PaymentService:
        from dogcare.services.payments import PaymentService

        return PaymentService(
            self.payment_repository,
            self.booking_repository,
            self.gateway,
            self.settlement,
            self.refund_policy,
            payment_hold=timedelta(seconds=self.settings.hold_payment_seconds),
            default_daily_capacity=self.settings.default_daily_capacity,
            clock=self.clock,
        )
