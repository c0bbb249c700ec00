"""Owner use cases. The owner is always the actor: their id is ``actor.owner_id``, derived
from the verified token's subject, so no caller can name another owner.

The owner's email is the address the identity provider verified (the ID token's ``email``,
checked by the HTTP layer): the services take it as an argument, and no command carries one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from pydantic import TypeAdapter, ValidationError

from dogcare.commands import AddressInput, Email, RegisterOwner, UpdateOwner
from dogcare.domain.actor import Actor
from dogcare.domain.clock import utcnow
from dogcare.domain.model import Address, Owner
from dogcare.errors import NotFound, ValidationFailed, VersionMismatch
from dogcare.repositories.owners import OwnerRepository

_EMAIL: TypeAdapter[str] = TypeAdapter(Email)
EMAIL_FIELD = "header.X-Id-Token"


def verified_address(email: str) -> str:
    """The verified address as it will be stored: trimmed, otherwise as the provider gave it.

    It still passes the same rules as any text we store (length, no invisible characters),
    so an identity provider's odd address is a clean 422, not a surprise in staff's lists.
    """
    try:
        _EMAIL.validate_python(email)
    except ValidationError:
        raise ValidationFailed.field(EMAIL_FIELD, "the ID token's email address is not one we can accept") from None
    return email.strip()


def _address(value: AddressInput | None) -> Address | None:
    return Address(value.street, value.city, value.state, value.zip) if value else None


class OwnerService:
    def __init__(self, owners: OwnerRepository, clock: Callable[[], datetime] = utcnow) -> None:
        self.owners = owners
        self.clock = clock

    def register(self, actor: Actor, command: RegisterOwner, email: str) -> Owner:
        """Register the actor with ``email``, the address their identity provider verified.

        A taken address (or look-alike) and an existing profile raise the same
        ``RegistrationConflict`` answer over HTTP (its subclasses say which, for the library).
        """
        address = verified_address(email)
        now = self.clock()
        owner = Owner(
            id=actor.owner_id,
            name=command.name,
            email=address,
            phone=command.phone,
            address=_address(command.address),
            created_at=now,
            updated_at=now,
            version=0,
        )
        return self.owners.create(owner)

    def profile(self, actor: Actor) -> Owner:
        try:
            return self.owners.get(actor.owner_id)
        except NotFound as exc:
            raise NotFound("no owner profile yet: register first") from exc

    def update_profile(
        self, actor: Actor, command: UpdateOwner, expected_version: int | None = None, email: str | None = None
    ) -> Owner:
        """Apply ``command``; ``email`` (a newly verified address) replaces the stored one if given."""
        new_email = verified_address(email) if email is not None else None
        current = self.profile(actor)
        fields = command.model_dump(exclude_unset=True)
        changed = replace(
            current,
            name=command.name if "name" in fields and command.name else current.name,
            email=new_email if new_email is not None else current.email,
            phone=command.phone if "phone" in fields else current.phone,
            address=_address(command.address) if "address" in fields else current.address,
        )
        if changed == current:
            # Nothing to change: no write, no new version (but a stale If-Match still fails).
            if expected_version is not None and expected_version != current.version:
                raise VersionMismatch(f"the profile is at version {current.version}, not {expected_version}")
            return current
        return self.owners.update(current, changed, expected_version)
