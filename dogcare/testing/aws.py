"""A ``Dogcare`` on moto's in-process DynamoDB, in either table layout, without pytest.

    from dogcare.testing import dogcare_on_moto

    with dogcare_on_moto(layout="four") as app:
        owner = register_owner(app)

Inside the block every AWS call of the process goes to moto (``moto.mock_aws``), with fake
credentials set for the duration, so nothing can reach a real account. The tables of the
layout are created empty; they vanish with the block. moto is a test dependency: install
``moto[dynamodb]`` in the environment that runs your tests.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Literal

from dogcare.facade import Dogcare
from dogcare.payments.gateway import PaymentGateway
from dogcare.settings import Settings
from dogcare.storage.declarations import SCHEMA
from dogcare.storage.schema import Schema
from dogcare.storage.store import Store
from dogcare.storage.tables import create_tables
from dogcare.testing.clock import Clock

# Credentials moto accepts and AWS does not: set while the block runs.
_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
TEST_CURSOR_SECRET = "test-cursor-secret-0123456789abcdef"  # noqa: S105 - signs test cursors only


def moto_settings(layout: Literal["single", "four"], home: Path, **overrides: object) -> Settings:
    """Settings for tables on moto: ``layout``, a fixed test prefix and cursor secret, no endpoint."""
    base = Settings(
        table_layout=layout,
        table_prefix="dogcare-test",
        region="us-east-1",
        home=home,
        cursor_secret=TEST_CURSOR_SECRET,
        dynamodb_endpoint=None,
    )
    return base.with_changes(**overrides)


@contextmanager
def _fake_environment() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in (*_FAKE_ENVIRONMENT, "AWS_PROFILE")}
    os.environ.update(_FAKE_ENVIRONMENT)
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def dogcare_on_moto(
    layout: Literal["single", "four"] = "single",
    *,
    clock: Callable[[], datetime] | None = None,
    payment_gateway: PaymentGateway | None = None,
    home: Path | None = None,
    schema: Schema = SCHEMA,
    **settings: object,
) -> Iterator[Dogcare]:
    """Yield a ``Dogcare`` whose tables (of ``layout``) live in moto for the block.

    ``clock`` defaults to a :class:`~dogcare.testing.clock.Clock` (Monday 2030-03-04 08:00
    UTC) the caller can reach as ``app.clock``; ``payment_gateway`` to none (pass an
    ``InMemoryPaymentGateway`` to use payments); ``home`` (the local secrets directory) to a
    temporary one; ``schema`` to dogcare's (pass one extended with your own entities to store
    them too). Other keyword arguments override ``Settings`` fields.
    """
    from moto import mock_aws  # a test dependency: imported only when a test asks for it

    with _fake_environment(), mock_aws(), tempfile.TemporaryDirectory(prefix="dogcare-") as scratch:
        config = moto_settings(layout, home or Path(scratch), **settings)
        store = Store(config, schema)
        create_tables(store)
        yield Dogcare(config, store, clock or Clock(), payment_gateway=payment_gateway)


__all__ = ["TEST_CURSOR_SECRET", "dogcare_on_moto", "moto_settings"]
