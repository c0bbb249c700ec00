"""Owners: profile items plus a unique-email guard, moved atomically when the email changes.

The guard's key is the address's confusable skeleton (``dogcare.domain.skeleton.email_key``),
so ``alice@example.com`` and a copy with a Cyrillic ``e`` (U+0435) cannot both be registered; the
profile keeps the address exactly as the identity provider verified it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from pynamodb.exceptions import DoesNotExist

from dogcare.domain.clock import iso, parse_iso
from dogcare.domain.ids import normalise_email
from dogcare.domain.model import Address, Owner
from dogcare.domain.skeleton import email_key
from dogcare.errors import AlreadyRegistered, DuplicateEmail, InvalidCursor, NotFound, VersionMismatch
from dogcare.repositories.base import MAX_PAGE, Page, Repository
from dogcare.storage.cursors import binding
from dogcare.storage.entities import AddressMap, index, new_item
from dogcare.storage.patterns import GET_OWNER, LIST_OWNERS
from dogcare.storage.shards import OWNER_DIRECTORY_SHARDS
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
        return new_item(
            m,
            id=owner.id,
            name=owner.name,
            email=owner.email,
            phone=owner.phone,
            address=address,
            created_at=iso(owner.created_at),
            updated_at=iso(owner.updated_at),
        )

    def _guard(self, email: str, owner_id: str) -> Any:
        return self._guard_at(email_key(email), owner_id)

    def _guard_at(self, key: str, owner_id: str) -> Any:
        return new_item(self.models.EmailGuard, email_key=key, owner_id=owner_id)

    def create(self, owner: Owner) -> Owner:
        """Owner and email guard in one transaction: both are written, or neither."""
        item, guard = self._item(owner), self._guard(owner.email, owner.id)
        tx = Tx(self.store)
        tx.put("owner", item, self.models.Owner.pk.does_not_exist())
        tx.put("email", guard, self.models.EmailGuard.pk.does_not_exist())
        try:
            tx.commit()
        except TransactionFailed as exc:
            # One request whatever the cause, and one answer over HTTP (RegistrationConflict).
            if "owner" in exc.failed:
                raise AlreadyRegistered() from exc
            raise DuplicateEmail() from exc
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
        if email_key(changed.email) != email_key(current.email):
            old = self._guard(current.email, current.id)
            # Only the owner's own guard is released; a guard not moved to its skeleton key yet
            # (before migrate_email_guards) is simply absent here, and must not block the change.
            tx.delete("old_email", old, (Guard.owner_id == current.id) | Guard.pk.does_not_exist())
            tx.put("email", self._guard(changed.email, changed.id), Guard.pk.does_not_exist())
        tx.put("owner", item, self.models.Owner.pk.exists())
        try:
            tx.commit()
        except TransactionFailed as exc:
            if "email" in exc.failed:
                raise DuplicateEmail() from exc
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
        bound = binding(LIST_OWNERS.name, "admin", {"shards": OWNER_DIRECTORY_SHARDS})
        positions: dict[str, Any] = {str(n): None for n in range(OWNER_DIRECTORY_SHARDS)}
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

    # --- migration -----------------------------------------------------------------------

    def _guard_owner(self, key: str) -> str | None:
        try:
            with storage_errors():
                Guard = self.models.EmailGuard
                item = Guard.get(*Guard.declaration.key(email_key=key), consistent_read=True)
        except (DoesNotExist, ValueError):
            return None
        return str(item.owner_id)

    def migrate_guard(self, owner: Owner) -> str:
        """Move ``owner``'s email guard to its skeleton key; ``"moved"``, ``"current"`` or ``"conflict"``.

        Earlier guards were keyed by the NFKC-lowercased address. The new guard is put only if
        its key is free or already the owner's, and the old one is deleted only if it is the
        owner's, in one transaction; a key held by another owner (two existing look-alike
        addresses) is a conflict, and then nothing is written.
        """
        new_key, old_key = email_key(owner.email), normalise_email(owner.email)
        if self._guard_owner(new_key) == owner.id and (old_key == new_key or self._guard_owner(old_key) is None):
            return "current"
        Guard = self.models.EmailGuard
        tx = Tx(self.store)
        tx.put("email", self._guard_at(new_key, owner.id), Guard.pk.does_not_exist() | (Guard.owner_id == owner.id))
        if old_key != new_key:
            old = self._guard_at(old_key, owner.id)
            tx.delete("old_email", old, (Guard.owner_id == owner.id) | Guard.pk.does_not_exist(), versioned=False)
        try:
            tx.commit()
        except TransactionFailed:
            return "conflict"
        return "moved"


@dataclass
class GuardMigration:
    """What :func:`migrate_email_guards` did: counts, and the owners whose key was taken."""

    moved: int = 0
    current: int = 0
    conflicts: list[str] = field(default_factory=list)


def migrate_email_guards(app: Any) -> GuardMigration:
    """Re-key every owner's email guard by the address's confusable skeleton. Idempotent.

    ``app`` is a :class:`dogcare.Dogcare`. Safe to run while the API serves: each owner is
    one conditional transaction, and a second run finds everything ``current``. Owners in
    ``conflicts`` share a skeleton with another owner's address and keep their old guard
    until staff resolve it.
    """
    repo: OwnerRepository = app.owner_repository
    report = GuardMigration()
    cursor: str | None = None
    while True:
        page = repo.list(100, cursor)
        for owner in page.items:
            outcome = repo.migrate_guard(owner)
            if outcome == "moved":
                report.moved += 1
            elif outcome == "current":
                report.current += 1
            else:
                report.conflicts.append(owner.id)
        cursor = page.next_cursor
        if cursor is None:
            return report
