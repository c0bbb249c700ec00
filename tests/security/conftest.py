"""Security fixtures: `dogcare serve` as a subprocess (the one the e2e suite drives).

Each security module starts its own server, so the data one module makes (or the settings
it changes) never meets another module's assertions about what the tables hold.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Server, start_server

# The handler-level fixtures (each function's lambda_handler on moto) for the modules here that
# test below HTTP.
from tests.integration.api.conftest import api, handler_home, layout_name  # noqa: F401

FUZZ_REQUESTS = "schemathesis_requests"


class SecurityServer(Server):
    """A served API whose DynamoDB client is made once: almost every case snapshots the tables."""

    _client: Any = None

    def dynamodb(self) -> Any:
        if self._client is None:
            self._client = super().dynamodb()
        return self._client


def serve(tmp_path_factory: pytest.TempPathFactory, name: str, **env: str) -> SecurityServer:
    started = start_server(tmp_path_factory.mktemp(name), **env)
    return SecurityServer(started.url, started.home, started.state, started.process, started.env)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The number of requests the fuzzer sent, summed over every worker."""
    total = operations = 0
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        if getattr(report, "when", None) != "call":
            continue
        for name, value in getattr(report, "user_properties", ()):
            if name == FUZZ_REQUESTS:
                total += int(value)
                operations += 1
    if operations:
        terminalreporter.write_line(f"schemathesis: {total} generated requests across {operations} operations")
