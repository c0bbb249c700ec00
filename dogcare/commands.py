"""The inputs the services accept, validated with pydantic.

These are the request bodies of the API too, so the library and the HTTP layer validate
with one definition. Unknown fields are rejected, every string and list is bounded, and
fields the server owns (ids, owner_id, price, status, payment_id, vaccination_status,
timestamps, version) do not exist here, so they can never be assigned by a client.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

ServiceType = Literal["daycare", "boarding", "parking"]
DogSize = Literal["small", "medium", "large", "giant"]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")


def _clean(value: str) -> str:
    """Printable text only: control and invisible format characters (NUL, bidi overrides,
    zero-width spaces) are refused, because they hide or reorder what staff read."""
    value = unicodedata.normalize("NFC", value)
    for ch in value:
        # Zl/Zp: U+2028 and U+2029 break lines in most viewers (and end a line in JavaScript).
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") and ch not in "\n\t":
            raise ValueError(f"contains a control or invisible character (U+{ord(ch):04X})")
    return value


# Times the API accepts, in UTC: wide enough for any real query, narrow enough that converting
# an offset or adding a day or a time zone never leaves Python's datetime range (years 1-9999).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-23:59 is well-formed and has no UTC equivalent
        raise ValueError("out of range: must be between 1900 and 9000 (UTC)") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError("out of range: must be between 1900 and 9000 (UTC)")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_clean)]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_clean)
]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(_clean)
]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=254),
    AfterValidator(_clean),  # invisible characters would make two addresses look alike
    AfterValidator(_email),
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()\-]{4,24}$")]
Zip = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9 \-]{1,11}$")]
DogId = Annotated[str, StringConstraints(pattern=r"^dog-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
BookingId = Annotated[
    str, StringConstraints(pattern=r"^booking-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]
Age = Annotated[int, Field(strict=True, ge=0, le=30)]


class Command(BaseModel):
    # defer_build: a model's validator is built when it is first used, not at import, so a cold
    # start builds only those of the route it serves (docs/performance.md).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class AddressInput(Command):
    street: ShortText
    city: Name
    state: Name
    zip: Zip


class RegisterOwner(Command):
    # No email: the owner's address is the verified one of their ID token (X-Id-Token),
    # never one a request body names.
    name: Name
    phone: Phone | None = None
    address: AddressInput | None = None


class UpdateOwner(Command):
    # No email: a changed address comes from a new ID token (X-Id-Token) only.
    name: Name | None = None
    phone: Phone | None = None
    address: AddressInput | None = None


class VaccinationInput(Command):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), AfterValidator(_clean)]
    expires_on: date


class NewDog(Command):
    name: Name
    breed: Name | None = None
    age: Age | None = None
    size: DogSize
    vaccinations: list[VaccinationInput] = Field(default_factory=list, max_length=20)
    special_needs: list[ShortText] = Field(default_factory=list, max_length=20)
    emergency_contact: ShortText | None = None


class UpdateDog(Command):
    name: Name | None = None
    breed: Name | None = None
    age: Age | None = None
    size: DogSize | None = None
    vaccinations: list[VaccinationInput] | None = Field(default=None, max_length=20)
    special_needs: list[ShortText] | None = Field(default=None, max_length=20)
    emergency_contact: ShortText | None = None


class NewBooking(Command):
    dog_id: DogId
    service_type: ServiceType
    start_time: Moment
    end_time: Moment
    special_instructions: LongText | None = None


class UpdateBooking(Command):
    start_time: Moment | None = None
    end_time: Moment | None = None
    special_instructions: LongText | None = None


class NewPayment(Command):
    booking_id: BookingId


class CapacityUpdate(Command):
    daily_capacity: Annotated[int, Field(strict=True, ge=0, le=1000)]
