"""The Actor: who acts, what they own, and the one conversion from a verified token."""

from __future__ import annotations

import pytest

from dogcare.auth.identity import Identity, identity_from_authorizer_context
from dogcare.domain.actor import HOLD_SWEEPER, MAINTENANCE, PAYMENT_PROVIDER, Actor
from dogcare.domain.ids import owner_id_for
from dogcare.domain.vocabulary import Role
from dogcare.errors import Forbidden


def test_a_person_acts_as_the_owner_their_subject_names() -> None:
    ana = Actor("sub-ana")
    assert ana.owner_id == owner_id_for("sub-ana")
    assert not ana.is_staff and not ana.system
    with pytest.raises(Forbidden, match="staff function"):
        ana.require_staff()
    with pytest.raises(Forbidden, match="only the system"):
        ana.require_system()


def test_staff_are_people_with_the_admin_role() -> None:
    staff = Actor.staff("sub-staff")
    assert staff.roles == frozenset({Role.ADMIN}) and staff.is_staff
    staff.require_staff()
    assert staff.owner_id == owner_id_for("sub-staff")  # staff may also be customers
    with pytest.raises(Forbidden):
        staff.require_system()


@pytest.mark.parametrize("system", [PAYMENT_PROVIDER, HOLD_SWEEPER, MAINTENANCE], ids=lambda a: a.subject)
def test_the_system_owns_nothing_and_is_not_staff(system: Actor) -> None:
    system.require_system()
    assert not system.is_staff
    with pytest.raises(Forbidden):
        _ = system.owner_id
    with pytest.raises(Forbidden):
        system.require_staff()
    # Even a system actor given the admin role is not staff: the role is a person's.
    assert not Actor(system.subject, frozenset({Role.ADMIN}), system=True).is_staff


def test_an_actor_needs_a_subject() -> None:
    with pytest.raises(ValueError, match="subject"):
        Actor("")


def test_the_token_becomes_a_person_with_only_the_roles_it_names() -> None:
    identity = identity_from_authorizer_context({"sub": "u-1", "groups": "admin,staff,beta"})
    assert identity is not None
    assert identity.actor == Actor("u-1", frozenset({Role.ADMIN}))
    assert Identity("u-2", frozenset({"staff", "Admin"})).actor == Actor("u-2")


@pytest.mark.parametrize("subject", ["system:payment-provider", "system:hold-sweeper"])
def test_no_token_names_the_system(subject: str) -> None:
    identity = identity_from_authorizer_context({"sub": subject, "groups": "admin"})
    assert identity is not None
    actor = identity.actor
    assert not actor.system
    with pytest.raises(Forbidden):
        actor.require_system()
    assert actor != PAYMENT_PROVIDER and actor != HOLD_SWEEPER
