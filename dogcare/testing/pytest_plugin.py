"""Fixtures for pytest users of the library: opt in with

    pytest_plugins = ["dogcare.testing.pytest_plugin"]

in your ``conftest.py``. Fixtures:

* ``dogcare_layout``: ``"single"``; override it (e.g. parametrized over ``"single"`` and
  ``"four"``) to run your tests in both layouts;
* ``dogcare_clock``: a :class:`~dogcare.testing.clock.Clock` the test moves by hand;
* ``payment_gateway``: a fresh :class:`~dogcare.testing.payment_gateway.InMemoryPaymentGateway`;
* ``dogcare_app``: a ``Dogcare`` on moto (see :func:`~dogcare.testing.aws.dogcare_on_moto`)
  with that layout, clock and gateway, and empty tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal, cast

import pytest

from dogcare.facade import Dogcare
from dogcare.testing.aws import dogcare_on_moto
from dogcare.testing.clock import Clock
from dogcare.testing.payment_gateway import InMemoryPaymentGateway


@pytest.fixture
def dogcare_layout() -> str:
    return "single"


@pytest.fixture
def dogcare_clock() -> Clock:
    return Clock()


@pytest.fixture
def payment_gateway() -> InMemoryPaymentGateway:
    return InMemoryPaymentGateway()


@pytest.fixture
def dogcare_app(
    dogcare_layout: str, dogcare_clock: Clock, payment_gateway: InMemoryPaymentGateway, tmp_path: Path
) -> Iterator[Dogcare]:
    layout = cast(Literal["single", "four"], dogcare_layout)
    with dogcare_on_moto(layout, clock=dogcare_clock, payment_gateway=payment_gateway, home=tmp_path) as app:
        yield app


__all__ = ["dogcare_app", "dogcare_clock", "dogcare_layout", "payment_gateway"]
