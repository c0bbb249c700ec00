"""Typed domain errors.

The library and the services raise only these; the HTTP layer maps each class to a
status code and a problem document in one place, so a rule never knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One bad field: where it is (``body.start_time``), what is wrong, a stable code."""

    field: str
    message: str
    code: str = "invalid"


class DogcareError(Exception):
    """Base of every error the library raises on purpose."""

    kind: str = "error"
    title: str = "Error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DogcareError):
    """Unknown id, or an id that belongs to somebody else (never reveal which)."""

    kind = "not-found"
    title = "Not found"


class Conflict(DogcareError):
    kind = "conflict"
    title = "Conflict"


class RegistrationConflict(Conflict):
    """The profile cannot be saved with this account and email address.

    Its two causes answer identically over HTTP (same kind, title and detail): telling
    "the address is someone else's" from "you are registered already" would let a caller
    learn which addresses belong to customers (docs/security.md). The library still raises
    the precise subclass, for its own callers and tests.
    """

    kind = "registration-conflict"
    title = "Registration conflict"
    DETAIL = (
        "the profile cannot be saved with this account and email address; "
        "if you have registered before, read your profile instead"
    )

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.DETAIL)


class DuplicateEmail(RegistrationConflict):
    """The email's uniqueness key (its confusable skeleton) belongs to another owner."""


class AlreadyRegistered(RegistrationConflict):
    """The caller already has an owner profile."""


class NotRegistered(Conflict):
    """A dog was added for an owner with no profile yet."""

    kind = "not-registered"
    title = "Owner not registered"


class OverlappingBooking(Conflict):
    kind = "overlapping-booking"
    title = "Overlapping booking"


class CapacityFull(Conflict):
    kind = "capacity-full"
    title = "Capacity full"


class InvalidTransition(Conflict):
    kind = "invalid-transition"
    title = "Invalid status change"


class ResourceInUse(Conflict):
    kind = "resource-in-use"
    title = "Resource in use"


class LimitReached(Conflict):
    kind = "limit-reached"
    title = "Limit reached"


class BookingNotPayable(Conflict):
    """The booking cannot be paid for in its current state."""

    kind = "booking-not-payable"
    title = "Booking not payable"


class BookingAlreadyPaid(BookingNotPayable):
    kind = "booking-already-paid"
    title = "Booking already paid"


class BookingCancelled(BookingNotPayable):
    kind = "booking-cancelled"
    title = "Booking cancelled"


class VersionMismatch(DogcareError):
    """The caller's ``If-Match`` version is not the stored one."""

    kind = "version-mismatch"
    title = "Version mismatch"


class ConcurrentUpdate(Conflict):
    """Somebody else changed the item between our read and our write."""

    kind = "concurrent-update"
    title = "Concurrent update"


class ValidationFailed(DogcareError):
    kind = "validation"
    title = "Validation failed"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []

    @classmethod
    def field(cls, field: str, message: str, code: str = "invalid") -> ValidationFailed:
        return cls(message, [FieldError(field, message, code)])


class InvalidCursor(DogcareError):
    kind = "invalid-cursor"
    title = "Invalid cursor"


class Unauthenticated(DogcareError):
    kind = "unauthenticated"
    title = "Unauthenticated"


class InvalidIdToken(Unauthenticated):
    """The ``X-Id-Token`` header is missing, invalid, or does not prove a verified email."""

    kind = "invalid-id-token"
    title = "Invalid ID token"


class Forbidden(DogcareError):
    kind = "forbidden"
    title = "Forbidden"


class RateLimited(DogcareError):
    kind = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class StorageUnavailable(DogcareError):
    """DynamoDB throttled or failed; nothing was written, the caller may retry."""

    kind = "storage-unavailable"
    title = "Storage temporarily unavailable"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PaymentProviderUnavailable(DogcareError):
    """The payment provider did not answer or answered 5xx; safe to retry later."""

    kind = "payment-provider-unavailable"
    title = "Payment provider unavailable"

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PaymentProviderError(DogcareError):
    """The payment provider refused a request we sent (a bug or misconfiguration)."""

    kind = "payment-provider-error"
    title = "Payment provider error"


class InvalidWebhook(DogcareError):
    kind = "invalid-webhook"
    title = "Invalid webhook"


# --- signals between a repository and its service: they never leave the library --------


class ScheduleChanged(Exception):
    """The dog's schedule moved on between our read and our write: re-read and retry."""


class BookingExists(Exception):
    """A booking with this id is already stored (a retried request whose first attempt landed)."""


class AlreadyLinked(Exception):
    """The booking already has a payment (a concurrent or earlier request made it)."""


class EventAlreadyProcessed(Exception):
    """The provider's event was recorded before: a redelivery."""
