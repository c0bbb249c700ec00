"""Owners: profile items plus a unique-email guard, moved atomically when the email changes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dogcare.domain.clock import iso, parse_iso
from dogcare.domain.model import Address, Owner
from dogcare.errors import AlreadyRegistered, DuplicateEmail, NotFound, VersionMismatch
from dogcare.repositories.base import Page, Repository
from dogcare.storage import keys
from dogcare.storage.entities import AddressMap
from dogcare.storage.patterns import GET_OWNER, LIST_OWNERS
from dogcare.storage.transactions import TransactionFailed, Tx


def to_owner(item: Any) -> Owner:
    address = None
    if item.address is not None:
        address = Address(item.address.street, item.address.city, item.address.state, item.address.zip)
    return Owner(
        id=item.id,
        name=item.name,
        email=item.email,
        phone=item.phone,
        address=address,
        created_at=parse_iso(item.created_at),
        updated_at=parse_iso(item.updated_at),
        version=int(item.version),
    )


class OwnerRepository(Repository):
    def _item(self, owner: Owner) -> Any:
        m = self.models.Owner
        address = None
        if owner.address is not None:
            a = owner.address
            address = AddressMap(street=a.street, city=a.city, state=a.state, zip=a.zip)
        created = iso(owner.created_at)
        return m(
            keys.owner_pk(owner.id),
            keys.PROFILE,
            id=owner.id,
            name=owner.name,
            email=owner.email,
            phone=owner.phone,
            address=address,
            created_at=created,
            updated_at=iso(owner.updated_at),
            gsi3pk=keys.OWNER_DIRECTORY_PK,
            gsi3sk=keys.owner_directory_sk(created, owner.id),
        )

    def _guard(self, email: str, owner_id: str) -> Any:
        return self.models.EmailGuard(keys.email_pk(email), keys.EMAIL_SK, owner_id=owner_id)

    def create(self, owner: Owner) -> Owner:
        """Owner and email guard in one transaction: both are written, or neither."""
        item, guard = self._item(owner), self._guard(owner.email, owner.id)
        tx = Tx(self.store)
        tx.put("owner", item, self.models.Owner.pk.does_not_exist())
        tx.put("email", guard, self.models.EmailGuard.pk.does_not_exist())
        try:
            tx.commit()
        except TransactionFailed as exc:
            if "owner" in exc.failed:
                raise AlreadyRegistered("this account already has an owner profile") from exc
            raise DuplicateEmail("that email address is already registered") from exc
        return replace(owner, version=1)

    def get(self, owner_id: str) -> Owner:
        return to_owner(self._get(GET_OWNER, self.models.Owner, owner_id=owner_id))

    def update(self, current: Owner, changed: Owner, expected_version: int | None = None) -> Owner:
        """Save ``changed`` if the stored version is still ``current``'s (or ``expected_version``)."""
        if expected_version is not None and expected_version != current.version:
            raise VersionMismatch(f"the profile is at version {current.version}, not {expected_version}")
        changed = replace(changed, updated_at=self.clock())
        item = self._item(changed)
        item.version = current.version
        tx = Tx(self.store)
        Guard = self.models.EmailGuard
        if changed.email != current.email:
            old = self._guard(current.email, current.id)
            tx.delete("old_email", old, Guard.owner_id == current.id)
            tx.put("email", self._guard(changed.email, changed.id), Guard.pk.does_not_exist())
        tx.put("owner", item, self.models.Owner.pk.exists())
        try:
            tx.commit()
        except TransactionFailed as exc:
            if "email" in exc.failed:
                raise DuplicateEmail("that email address is already registered") from exc
            if "owner" in exc.failed:
                raise VersionMismatch("the profile was changed by another request") from exc
            raise NotFound("owner not found") from exc
        return replace(changed, version=current.version + 1)

    def list(self, limit: int, cursor: str | None) -> Page[Owner]:
        items, next_cursor = self._query(
            LIST_OWNERS, self.models.Owner, scope="admin", params={}, limit=limit, cursor=cursor
        )
        return Page([to_owner(i) for i in items], next_cursor)
