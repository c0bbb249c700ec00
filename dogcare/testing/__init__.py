"""Test helpers for services built on dogcare: nothing here is used by the product at run time.

* :class:`InMemoryPaymentGateway` - an in-process fake of the payment provider with Stripe's
  semantics (idempotency keys, signed webhooks, failure switches);
* :mod:`dogcare.testing.factories` - owners, dogs, bookings and payments with valid defaults;
* :func:`dogcare_on_moto` - a ``Dogcare`` on moto's DynamoDB in either layout (no pytest);
* :mod:`dogcare.testing.pytest_plugin` - the same as pytest fixtures, opt-in.

Names are imported on first use, so importing the gateway does not load the library's storage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dogcare.lazy import lazy_exports

if TYPE_CHECKING:
    from dogcare.testing.aws import dogcare_on_moto, moto_settings
    from dogcare.testing.clock import Clock
    from dogcare.testing.factories import (
        Paid,
        actor_of,
        add_dog,
        book,
        deliver,
        next_weekday,
        pay,
        register_owner,
        start_payment,
        vaccinations,
    )
    from dogcare.testing.payment_gateway import InMemoryPaymentGateway, sign_payload

_EXPORTS = {
    "Clock": "dogcare.testing.clock",
    "InMemoryPaymentGateway": "dogcare.testing.payment_gateway",
    "Paid": "dogcare.testing.factories",
    "actor_of": "dogcare.testing.factories",
    "add_dog": "dogcare.testing.factories",
    "book": "dogcare.testing.factories",
    "deliver": "dogcare.testing.factories",
    "dogcare_on_moto": "dogcare.testing.aws",
    "moto_settings": "dogcare.testing.aws",
    "next_weekday": "dogcare.testing.factories",
    "pay": "dogcare.testing.factories",
    "register_owner": "dogcare.testing.factories",
    "sign_payload": "dogcare.testing.payment_gateway",
    "start_payment": "dogcare.testing.factories",
    "vaccinations": "dogcare.testing.factories",
}
__all__ = [
    "Clock",
    "InMemoryPaymentGateway",
    "Paid",
    "actor_of",
    "add_dog",
    "book",
    "deliver",
    "dogcare_on_moto",
    "moto_settings",
    "next_weekday",
    "pay",
    "register_owner",
    "sign_payload",
    "start_payment",
    "vaccinations",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
