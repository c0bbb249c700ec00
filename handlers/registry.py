"""The functions of the API and the routes each serves: the one route table.

Routes are read from the functions' own resolvers, so the code is the source of truth;
the local gateway dispatches with this table and the template is checked against it.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dogcare.storage import declarations as _d
from dogcare.storage.layout import LogicalTable

# Logical function name (as in template.yaml) -> handler module.
FUNCTIONS: dict[str, str] = {
    "OwnersFunction": "handlers.owners",
    "DogsFunction": "handlers.dogs",
    "BookingsFunction": "handlers.bookings",
    "PaymentsFunction": "handlers.payments",
    "AdminFunction": "handlers.admin",
}
AUTHORIZER_FUNCTION = ("AuthorizerFunction", "handlers.authorizer")
# Functions run by a schedule (no routes, no caller): logical name -> handler module.
SCHEDULED_FUNCTIONS: dict[str, str] = {
    "SweeperFunction": "handlers.sweeper",
}
# What the scheduled functions are called in the access-pattern registry's ``used_by``.
SCHEDULED_USES = frozenset({"sweeper"})
PUBLIC = frozenset({("POST", "/payments/webhook")})


@dataclass(frozen=True)
class TableAccess:
    """What one function does to one logical table: IAM actions on the table, GSIs it queries,
    and the partition keys it may name (``dynamodb:LeadingKeys`` patterns): ``keys`` for the
    table's items, ``index_keys`` for the partitions of the indexes it queries."""

    actions: frozenset[str]
    query_indexes: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()
    index_keys: frozenset[str] = frozenset()


def _access(
    *actions: str,
    query: tuple[str, ...] = (),
    keys: tuple[str, ...] = (),
    index_keys: tuple[str, ...] = (),
) -> TableAccess:
    return TableAccess(
        frozenset(f"dynamodb:{a}" for a in actions), frozenset(query), frozenset(keys), frozenset(index_keys)
    )


# Partition key patterns, the wildcard forms of the declared key templates, so that a changed
# template changes the roles' conditions (tests/deploy checks the template against them).
_RATE_OF_CALLERS = _d.RATE_WINDOW.pk.wildcard(subject=_d.RATE_SUBJECT.wildcard())  # RATE#sub#*: per token subject
_RATE_OF_ADDRESSES = _d.RATE_WINDOW.pk.wildcard(subject=_d.RATE_ADDRESS.wildcard())  # RATE#ip#*: per source address
_OWNER = _d.OWNER.pk.wildcard()
_EMAIL = _d.EMAIL_GUARD.pk.wildcard()
_DOG = _d.DOG.pk.wildcard()
_BOOKING = _d.BOOKING.pk.wildcard()
_CAPACITY = _d.CAPACITY_COUNTER.pk.wildcard()
_CAPACITY_CONFIG = _d.CAPACITY_CONFIG.pk.wildcard()
_PAYMENT = _d.PAYMENT.pk.wildcard()
_PROVIDER_EVENT = _d.PROVIDER_EVENT.pk.wildcard()
_DAY = _d.BOOKING_DAY.indexes["gsi3"].pk.wildcard()
_HOLDS = _d.BOOKING.indexes["gsi3"].pk.wildcard()
_OWNER_DIRECTORY = _d.OWNER.indexes["gsi3"].pk.wildcard()
_IDEMPOTENCY_OF_BOOKINGS = _d.IDEMPOTENCY_KEY.wildcard(function="bookings")  # every shard
_IDEMPOTENCY_OF_PAYMENTS = _d.IDEMPOTENCY_KEY.wildcard(function="payments")

# The DynamoDB access of each function, per logical table: exactly what its code does, so that
# the template's policies can be checked against it (in the single layout every logical table is
# the one table, and a function gets the union). A transaction needs the per-item actions
# (PutItem, UpdateItem, DeleteItem, ConditionCheckItem) on every table it touches. Every API
# function counts requests in the owners table (the rate limiter's UpdateItem on the current
# minute, and a GetItem of the minute before).
PERMISSIONS: dict[str, dict[LogicalTable, TableAccess]] = {
    # register, profile, update (owner + unique-email guard moved in one transaction)
    "OwnersFunction": {
        "owners": _access("GetItem", "PutItem", "UpdateItem", "DeleteItem", keys=(_OWNER, _EMAIL, _RATE_OF_CALLERS)),
    },
    # the owner must exist (a condition check on the owners table); dog + schedule items
    "DogsFunction": {
        "owners": _access("GetItem", "UpdateItem", "ConditionCheckItem", keys=(_OWNER, _RATE_OF_CALLERS)),
        "dogs": _access("GetItem", "PutItem", "DeleteItem", query=("gsi1",), keys=(_DOG,), index_keys=(_OWNER,)),
    },
    # dog, schedule and capacity setting in one BatchGetItem; the booking transaction (booking,
    # roster days, counters, the owner's pending-bookings counter) updates the dog's schedule;
    # Idempotency-Key records live here too. Cancelling a booking with a payment settles it
    # (cancels the intent or refunds, through the payment service): the payment record is read
    # and rewritten.
    "BookingsFunction": {
        "owners": _access("GetItem", "UpdateItem", keys=(_RATE_OF_CALLERS,)),
        "dogs": _access("BatchGetItem", "UpdateItem", keys=(_DOG,)),
        "bookings": _access(
            "BatchGetItem",
            "GetItem",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            query=("gsi1",),
            keys=(_BOOKING, _CAPACITY, _CAPACITY_CONFIG, _OWNER, _IDEMPOTENCY_OF_BOOKINGS),
            index_keys=(_OWNER,),
        ),
        "payments": _access("GetItem", "PutItem", keys=(_PAYMENT,)),
    },
    # payment records, provider-event markers and Idempotency-Key records; linking a payment to
    # its booking, and confirming the booking when the money arrives (booking, roster days,
    # pending counter: all updates); money for an expired hold takes its places again (dog and
    # schedule read in one BatchGetItem, roster days put, the schedule and counters updated)
    "PaymentsFunction": {
        "owners": _access("GetItem", "UpdateItem", keys=(_RATE_OF_CALLERS, _RATE_OF_ADDRESSES)),
        "dogs": _access("BatchGetItem", "UpdateItem", keys=(_DOG,)),
        "bookings": _access(
            "BatchGetItem",
            "GetItem",
            "PutItem",
            "UpdateItem",
            keys=(_BOOKING, _OWNER, _CAPACITY, _CAPACITY_CONFIG),
        ),
        "payments": _access(
            "GetItem",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            keys=(_PAYMENT, _PROVIDER_EVENT, _IDEMPOTENCY_OF_PAYMENTS),
        ),
    },
    # expiring unpaid holds: the hold index (gsi3) read, each booking re-read, then one
    # transaction per hold (booking, roster days deleted, counters, the pending counter, the
    # dog's schedule)
    "SweeperFunction": {
        "dogs": _access("UpdateItem", keys=(_DOG,)),
        "bookings": _access(
            "GetItem",
            "UpdateItem",
            "DeleteItem",
            query=("gsi3",),
            keys=(_BOOKING, _CAPACITY, _OWNER),
            index_keys=(_HOLDS,),
        ),
    },
    # roster (calendar index), owner directory, capacity settings, check-in/check-out
    # (booking, roster days and, on check-out, the dog's schedule); the care card reads the
    # booking, then its dog and owner in one BatchGetItem
    "AdminFunction": {
        "owners": _access(
            "BatchGetItem",
            "GetItem",
            "UpdateItem",
            query=("gsi3",),
            keys=(_RATE_OF_CALLERS, _OWNER),
            index_keys=(_OWNER_DIRECTORY,),
        ),
        "dogs": _access("BatchGetItem", "UpdateItem", keys=(_DOG,)),
        "bookings": _access(
            "GetItem",
            "PutItem",
            "UpdateItem",
            "Query",
            query=("gsi3",),
            keys=(_BOOKING, _CAPACITY_CONFIG),
            index_keys=(_DAY,),
        ),
    },
}
# Secrets a function reads at run time (logical ids of the template's secrets): the Stripe keys
# for payments and for settling cancelled bookings. The cursor key is resolved by CloudFormation
# into DOGCARE_CURSOR_SECRET at deploy time, so no function reads it.
SECRETS: dict[str, frozenset[str]] = {
    "BookingsFunction": frozenset({"StripeSecret"}),
    "PaymentsFunction": frozenset({"StripeSecret"}),
}


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str  # API Gateway form: /dogs/{id}
    function: str
    module: str
    public: bool

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path) + "$")


def handler_module(name: str) -> Any:
    return importlib.import_module(name)


@lru_cache(maxsize=1)
def routes() -> tuple[RouteSpec, ...]:
    # Here, not at the top: the build check imports this module without Powertools installed.
    from handlers.common.powertools_adapter import route_keys

    found: list[RouteSpec] = []
    for function, module_name in FUNCTIONS.items():
        module = handler_module(module_name)
        for rule, methods in route_keys(module.router):
            path = re.sub(r"<(\w+)>", r"{\1}", rule)
            for method in methods:
                public = (method.upper(), path) in PUBLIC
                found.append(RouteSpec(method.upper(), path, function, module_name, public))
    return tuple(sorted(found, key=lambda r: (r.path, r.method)))


def match(method: str, path: str) -> tuple[RouteSpec, dict[str, str]] | None:
    """The route serving ``method path`` and its path parameters (static paths win)."""
    candidates = [r for r in routes() if r.method == method.upper()]
    for route in sorted(candidates, key=lambda r: "{" in r.path):
        found = route.pattern.match(path)
        if found:
            return route, found.groupdict()
    return None


def paths() -> set[str]:
    return {r.path for r in routes()}
