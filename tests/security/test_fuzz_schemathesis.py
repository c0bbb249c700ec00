"""Schema-driven fuzzing of every documented operation against `dogcare serve`.

Schemathesis generates requests from ``docs/openapi.json`` — valid ones and deliberately
invalid ones — and sends them with real tokens: an owner who has registered and has a dog,
a booking and a payment, and an admin for the staff routes. Every other request carries
that owner's real ids (path ``id``, body ``dog_id``/``booking_id``) instead of generated
ones, so the fuzzed bodies reach the services and not only the 404 path. Every response
must be documented for its operation (status code, content type, body schema), and none
may be a server error.

The run is bounded for CI (a few examples per operation, no shrinking, derandomized, so
every run sends the same requests); ``SECURITY_FUZZ_EXAMPLES`` raises the budget for a
longer local run. Run with ``-s`` to see the requests sent per operation; the total is
also printed in the terminal summary.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.conftest import FUZZ_REQUESTS, SecurityServer, serve

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("SECURITY_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

SCHEMA = schemathesis.openapi.from_path(
    ROOT / "docs" / "openapi.json",
    config=schemathesis.Config.from_dict(
        {
            # Valid and invalid data; no coverage or stateful phase, so every operation sends
            # at most max-examples requests.
            "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "no-shrink": True},
            "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        }
    ),
)


@dataclass
class Fuzzing:
    server: SecurityServer
    owner: str  # bearer header values
    admin: str
    ids: dict[str, str]  # entity -> a real id of the owner's
    sent: dict[str, int] = field(default_factory=dict)

    def count(self, label: str) -> int:
        self.sent[label] = self.sent.get(label, 0) + 1
        return self.sent[label]


def _real_ids(fuzzing: Fuzzing, case: schemathesis.Case, nth: int) -> None:
    """On every other request of an operation, use the owner's real ids (deterministic)."""
    if nth % 2:
        return
    path = case.path
    if case.path_parameters and "id" in case.path_parameters:
        entity = "payment" if path.startswith("/payments") else "dog" if path.startswith("/dogs") else "booking"
        case.path_parameters["id"] = fuzzing.ids[entity]
    if isinstance(case.body, dict):
        for name, entity in (("dog_id", "dog"), ("booking_id", "booking")):
            if name in case.body:
                case.body[name] = fuzzing.ids[entity]


@pytest.fixture(scope="module")
def fuzzing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzing]:
    """Its own server: the fuzzer changes capacity, profiles and bookings, which other tests must not see."""
    srv = serve(tmp_path_factory, "fuzz-serve", DOGCARE_RATE_LIMIT_PER_MINUTE="0")
    try:
        owner = srv.headers("fuzz-owner")

        def create(path: str, body: dict[str, Any], **extra: str) -> str:
            response = requests.post(f"{srv.url}{path}", json=body, headers={**owner, **extra}, timeout=30)
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

        create("/owners/register", {"name": "Fuzz Owner"}, **{"X-Id-Token": srv.id_token("fuzz-owner")})
        vaccinations = [{"name": n, "expires_on": "2099-01-01"} for n in ("rabies", "dhpp", "bordetella")]
        dog = create("/dogs", {"name": "Fuzzy", "size": "small", "vaccinations": vaccinations})
        day = (datetime.now(UTC) + timedelta(days=7)).date()
        booking = create(
            "/bookings",
            {
                "dog_id": dog,
                "service_type": "daycare",
                "start_time": f"{day}T09:00:00Z",
                "end_time": f"{day}T17:00:00Z",
            },
        )
        payment = create("/payments", {"booking_id": booking})
        fuzzing = Fuzzing(
            srv,
            owner["Authorization"],
            srv.headers("fuzz-admin", admin=True)["Authorization"],
            {"dog": dog, "booking": booking, "payment": payment},
        )
        yield fuzzing
        total = sum(fuzzing.sent.values())
        lines = [f"  {n:4d}  {label}" for label, n in sorted(fuzzing.sent.items())]
        print("\nschemathesis requests per operation:", *lines, f"  {total:4d}  in all", sep="\n")
    finally:
        srv.stop()


@SCHEMA.parametrize()
@settings(
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=EXAMPLES,
    suppress_health_check=list(HealthCheck),
)
def test_documented_responses_and_no_server_errors(
    case: schemathesis.Case, fuzzing: Fuzzing, request: pytest.FixtureRequest
) -> None:
    label = f"{case.method.upper()} {case.path}"
    nth = fuzzing.count(label)
    properties = request.node.user_properties
    properties[:] = [p for p in properties if p[0] != FUZZ_REQUESTS] + [(FUZZ_REQUESTS, nth)]
    _real_ids(fuzzing, case, nth)
    token = fuzzing.admin if case.path.startswith("/admin/") else fuzzing.owner
    # No shared session: a new connection per request (the local server answers keep-alive slowly).
    case.call_and_validate(base_url=fuzzing.server.url, headers={"Authorization": token}, checks=CHECKS, timeout=30)
