"""Owner use cases. The owner is always the caller: their id comes from the verified token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from dogcare.commands import AddressInput, RegisterOwner, UpdateOwner
from dogcare.domain.clock import utcnow
from dogcare.domain.ids import normalise_email, owner_id_for
from dogcare.domain.model import Address, Owner
from dogcare.errors import NotFound, VersionMismatch
from dogcare.repositories.base import Page
from dogcare.repositories.owners import OwnerRepository


def _address(value: AddressInput | None) -> Address | None:
    return Address(value.street, value.city, value.state, value.zip) if value else None


class OwnerService:
    def __init__(self, owners: OwnerRepository, clock: Callable[[], datetime] = utcnow) -> None:
        self.owners = owners
        self.clock = clock

    def register(self, subject: str, command: RegisterOwner) -> Owner:
        now = self.clock()
        owner = Owner(
            id=owner_id_for(subject),
            name=command.name,
            email=normalise_email(command.email),
            phone=command.phone,
            address=_address(command.address),
            created_at=now,
            updated_at=now,
            version=0,
        )
        return self.owners.create(owner)

    def profile(self, subject: str) -> Owner:
        try:
            return self.owners.get(owner_id_for(subject))
        except NotFound as exc:
            raise NotFound("no owner profile yet: register first") from exc

    def update_profile(self, subject: str, command: UpdateOwner, expected_version: int | None = None) -> Owner:
        current = self.profile(subject)
        fields = command.model_dump(exclude_unset=True)
        changed = replace(
            current,
            name=command.name if "name" in fields and command.name else current.name,
            email=normalise_email(command.email) if "email" in fields and command.email else current.email,
            phone=command.phone if "phone" in fields else current.phone,
            address=_address(command.address) if "address" in fields else current.address,
        )
        if changed == current:
            # Nothing to change: no write, no new version (but a stale If-Match still fails).
            if expected_version is not None and expected_version != current.version:
                raise VersionMismatch(f"the profile is at version {current.version}, not {expected_version}")
            return current
        return self.owners.update(current, changed, expected_version)

    def list_owners(self, limit: int, cursor: str | None) -> Page[Owner]:
        return self.owners.list(limit, cursor)
