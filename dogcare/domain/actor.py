"""Who acts: the one way the services name their caller.

Every use case takes an :class:`Actor` first and decides there whether it may act:

* a **person** is named by their login ``subject``; they act as the owner
  ``owner_id_for(subject)`` on their own data, and with the staff role (``Role.ADMIN``) they
  may also use the staff operations;
* the **system** acts for work no person starts: the payment provider's signed webhook,
  the hold sweeper, maintenance. It has no owner data and no staff role; only the use
  cases made for it accept it.

The HTTP layer builds a person from the verified token (``dogcare.auth.identity``) and can
never produce a system actor: that is only ever named in code (:data:`PAYMENT_PROVIDER`,
:data:`HOLD_SWEEPER`, :data:`MAINTENANCE`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dogcare.domain.ids import owner_id_for
from dogcare.domain.vocabulary import Role
from dogcare.errors import Forbidden

SYSTEM_PREFIX = "system:"


@dataclass(frozen=True)
class Actor:
    """The acting identity: a person's ``subject`` and roles, or a named system actor."""

    subject: str
    roles: frozenset[Role] = frozenset()
    system: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        if not self.subject:
            raise ValueError("an actor needs a subject")

    @classmethod
    def staff(cls, subject: str) -> Actor:
        """A person with the staff role."""
        return cls(subject, frozenset({Role.ADMIN}))

    @classmethod
    def system_actor(cls, name: str) -> Actor:
        return cls(SYSTEM_PREFIX + name, system=True)

    @property
    def is_staff(self) -> bool:
        return not self.system and Role.ADMIN in self.roles

    @property
    def owner_id(self) -> str:
        """The owner this person acts as; ``Forbidden`` for the system, which owns nothing."""
        if self.system:
            raise Forbidden(f"{self.subject} does not act as an owner")
        return owner_id_for(self.subject)

    def require_staff(self) -> None:
        if not self.is_staff:
            raise Forbidden("this is a staff function: the admin role is required")

    def require_system(self) -> None:
        if not self.system:
            raise Forbidden("only the system runs this (the provider's signed webhook, the sweeper, maintenance)")


# The named system actors: who acts when no person does.
PAYMENT_PROVIDER = Actor.system_actor("payment-provider")  # its signed webhook
HOLD_SWEEPER = Actor.system_actor("hold-sweeper")
MAINTENANCE = Actor.system_actor("maintenance")  # migrations, reconciliation, demo data

__all__ = ["HOLD_SWEEPER", "MAINTENANCE", "PAYMENT_PROVIDER", "Actor"]
