"""Shared fixtures: moto-backed stores in both table layouts, a controllable clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Never let a test reach AWS: fake credentials and a fixed region for every botocore client.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.pop("AWS_PROFILE", None)

from dogcare.facade import Dogcare
from dogcare.settings import Settings
from dogcare.storage.store import Store
from dogcare.storage.tables import create_tables
from dogcare.testing.aws import moto_settings
from dogcare.testing.clock import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["single", "four"])
def layout(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_settings(layout: str, home: Path, **overrides: object) -> Settings:
    return moto_settings(layout, home, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def moto() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def app(moto: None, layout: str, tmp_path: Path, clock: Clock) -> Dogcare:
    settings = make_settings(layout, tmp_path)
    store = Store(settings)
    create_tables(store)
    return Dogcare(settings, store, clock)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the measurements tests record as a ``measured`` property (the reliability soak's
    throughput and latency); a property reaches the summary under xdist too, unlike output."""
    lines = [
        str(value)
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == "measured"
    ]
    if lines:
        terminalreporter.write_sep("-", "measured")
        for line in lines:
            terminalreporter.write_line(line)
