"""Who is calling: the identity established by the authorizer from a verified token.

:class:`Identity` is the auth layer's own record of a verified token (its subject, its
groups as the identity provider named them, the client). The services never see it: they
decide from the :class:`~dogcare.domain.actor.Actor` that :attr:`Identity.actor` makes of it,
the one conversion from a token to who acts. In AWS the REQUEST authorizer verifies the
token and API Gateway forwards the authorizer's ``context`` (string values only) to the
handler in ``event["requestContext"]["authorizer"]``; :func:`identity_from_authorizer_context`
turns that back into an :class:`Identity`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dogcare.domain.vocabulary import Role

if TYPE_CHECKING:
    from dogcare.domain.actor import Actor

# The group whose members may use the staff operations.
ADMIN_GROUP: str = Role.ADMIN
GROUP_SEPARATOR = ","
_ROLES = {role.value: role for role in Role}


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: the token's ``sub``, its groups and the client it came from."""

    subject: str
    groups: frozenset[str] = frozenset()
    client_id: str | None = None

    @property
    def actor(self) -> Actor:
        """Who acts: this person, with the roles among their groups (other groups grant nothing).

        Always a person: no token names the system."""
        # Imported here: the authorizer verifies tokens and never needs an actor.
        from dogcare.domain.actor import Actor

        return Actor(self.subject, frozenset(_ROLES[g] for g in self.groups if g in _ROLES))


def clean_groups(raw: Iterable[Any]) -> frozenset[str]:
    """Keep only group names that survive the trip through the authorizer context.

    Groups travel as one comma-separated string, so a name containing a comma could
    otherwise be split into other names (``"x,admin"`` must never become ``admin``).
    Such names, non-strings and blanks are dropped: dropping can only remove rights.
    """
    return frozenset(
        group
        for group in raw
        if isinstance(group, str) and group.strip() == group and group and GROUP_SEPARATOR not in group
    )


def groups_to_context(groups: Iterable[str]) -> str:
    """The context encoding of ``groups``: sorted, comma-separated."""
    return GROUP_SEPARATOR.join(sorted(clean_groups(groups)))


def identity_from_authorizer_context(ctx: Mapping[str, Any] | None) -> Identity | None:
    """The identity the authorizer passed on, or ``None`` when there is none.

    Accepts the shape the authorizer produces (``sub``, ``groups`` as ``"a,b"``,
    optional ``client_id``); a list of groups is accepted too, for callers that do
    not go through API Gateway's string-only context.
    """
    if not ctx:
        return None
    subject = ctx.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        return None

    raw_groups = ctx.get("groups")
    if isinstance(raw_groups, str):
        groups = clean_groups(raw_groups.split(GROUP_SEPARATOR))
    elif isinstance(raw_groups, list | tuple | set | frozenset):
        groups = clean_groups(raw_groups)
    else:
        groups = frozenset()

    client_id = ctx.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        client_id = None
    return Identity(subject=subject, groups=groups, client_id=client_id)
