"""Owners: profile items plus a unique-email guard, moved atomically when the email changes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dogcare.domain.clock import iso, parse_iso
from dogcare.domain.model import Address, Owner
from dogcare.errors import AlreadyRegistered, DuplicateEmail, InvalidCursor, NotFound, VersionMismatch
from dogcare.repositories.base import MAX_PAGE, Page, Repository
from dogcare.storage import keys
from dogcare.storage.cursors import binding
from dogcare.storage.entities import AddressMap, index
from dogcare.storage.patterns import GET_OWNER, LIST_OWNERS
from dogcare.storage.store import storage_errors
from dogcare.storage.transactions import TransactionFailed, Tx

DONE = "done"  # a directory shard's position once every owner in it was handed out


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
            gsi3pk=keys.owner_directory_pk(owner.id),
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
        """A page of the sharded directory, oldest registration first across all shards.

        Each shard that has more gets one Query of ``limit`` items after its position; the
        first ``limit`` of the merge are exactly the next owners overall (every one of them is
        among its own shard's next ``limit``). The cursor records, per shard, the last owner
        handed out (or that the shard is done), so no owner is skipped or repeated.
        """
        limit = max(1, min(limit, MAX_PAGE))
        bound = binding(LIST_OWNERS.name, "admin", {"shards": keys.OWNER_DIRECTORY_SHARDS})
        positions: dict[str, Any] = {str(n): None for n in range(keys.OWNER_DIRECTORY_SHARDS)}
        if cursor:
            decoded = self.cursors.decode(cursor, bound).get("shards")
            if not isinstance(decoded, dict) or set(decoded) != set(positions):
                raise InvalidCursor("the cursor is not valid")
            positions = decoded
        Owner_ = self.models.Owner
        directory = index(Owner_, LIST_OWNERS.index)  # type: ignore[arg-type]
        candidates: list[tuple[str, str, Any]] = []  # (sort key, shard, item)
        more: dict[str, bool] = {}
        for shard, position in positions.items():
            if position == DONE:
                continue
            with storage_errors():
                pages = directory.query(
                    LIST_OWNERS.hash_value(shard=shard),
                    page_size=limit,
                    last_evaluated_key=position,
                    consistent_read=False,
                ).page_iter
                page = next(pages)
            more[shard] = pages.last_evaluated_key is not None
            for raw in page.get("Items", []):
                candidates.append((raw["gsi3sk"]["S"], shard, raw))
            if not page.get("Items") and not more[shard]:
                positions[shard] = DONE
        candidates.sort(key=lambda c: c[0])
        taken = candidates[:limit]
        for _, shard, raw in taken:
            positions[shard] = {name: raw[name] for name in ("pk", "sk", "gsi3pk", "gsi3sk")}
        for shard, has_more in more.items():
            if not has_more and all(c[1] != shard for c in candidates[limit:]):
                positions[shard] = DONE  # everything it had was handed out
        finished = all(p == DONE for p in positions.values())
        next_cursor = None if finished else self.cursors.encode({"shards": positions}, bound)
        return Page([to_owner(Owner_.from_raw_data(raw)) for _, _, raw in taken], next_cursor)
