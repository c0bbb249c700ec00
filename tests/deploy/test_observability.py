"""What a deployed function writes for one request: a structured JSON log line carrying the
correlation id (API Gateway's request id) and an EMF metrics document with the business metric.

These are what the stage's dashboard, alarms and Logs Insights queries (docs/operations.md)
read, so they are checked on the real handler, with metrics enabled as in AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.common import observability
from tests.deploy.conftest import Caller, api_event, body_of, id_token_header, invoke


@pytest.fixture
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Metrics and INFO logs as in AWS (local mode turns metrics off, and may lower the level)."""
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    level = observability.logger.log_level
    observability.logger.setLevel("INFO")
    yield
    observability.logger.setLevel(level)


def json_lines(text: str) -> list[dict[str, Any]]:
    documents = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            documents.append(json.loads(line))
    return documents


def test_a_booking_request_logs_its_correlation_id_and_emits_bookings_created(
    lambda_env: Any, metrics_on: None, capsys: pytest.CaptureFixture[str]
) -> None:
    alice = Caller("alice-sub")
    invoke(
        "OwnersFunction",
        api_event(
            "POST",
            "/owners/register",
            caller=alice,
            body={"name": "Alice"},
            headers=id_token_header(alice.sub, "alice@example.com"),
        ),
    )
    vaccinations = [{"name": n, "expires_on": "2099-01-01"} for n in ("rabies", "dhpp", "bordetella")]
    dog = body_of(
        invoke(
            "DogsFunction",
            api_event(
                "POST",
                "/dogs",
                caller=alice,
                body={"name": "Rex", "size": "large", "vaccinations": vaccinations},
            ),
        )
    )
    day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    event = api_event(
        "POST",
        "/bookings",
        caller=alice,
        body={
            "dog_id": dog["id"],
            "service_type": "daycare",
            "start_time": f"{day}T09:00:00Z",
            "end_time": f"{day}T17:00:00Z",
        },
    )
    capsys.readouterr()  # only what the booking request writes

    response = invoke("BookingsFunction", event)

    assert response["statusCode"] == 201, response["body"]
    documents = json_lines(capsys.readouterr().out)
    request_id = event["requestContext"]["requestId"]

    (line,) = [d for d in documents if d.get("message") == "request handled"]
    assert line["correlation_id"] == request_id
    assert line["level"] == "INFO"
    assert line["http_method"] == "POST"
    assert line["resource"] == "/bookings"
    assert line["status_code"] == 201
    assert line["function_name"] == "dogcare-test-bookings"
    assert {"timestamp", "service", "cold_start", "function_request_id", "duration_ms"} <= set(line)

    emf = [d for d in documents if "_aws" in d and "BookingsCreated" in d]
    assert len(emf) == 1, documents
    (directive,) = emf[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == observability.metrics.namespace
    assert {"Name": "BookingsCreated", "Unit": "Count"} in directive["Metrics"]
    assert emf[0]["BookingsCreated"] == [1.0] or emf[0]["BookingsCreated"] == 1.0


def test_the_library_s_log_lines_are_json_with_the_correlation_id(
    lambda_env: Any, metrics_on: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # A signed webhook about no payment of ours: the payment service (standard-library logging)
    # warns that it is not applied.
    body, signature = lambda_env.payment_gateway.signed_event(
        {
            "id": "evt_not_ours",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": int(datetime.now(UTC).timestamp()),
            "data": {"object": {"id": "pi_not_ours", "object": "payment_intent", "metadata": {}}},
        }
    )
    event = api_event("POST", "/payments/webhook", body=body.decode(), headers={"Stripe-Signature": signature})
    capsys.readouterr()

    response = invoke("PaymentsFunction", event)

    assert response["statusCode"] == 200, response["body"]
    documents = json_lines(capsys.readouterr().out)
    (warning,) = [d for d in documents if d.get("level") == "WARNING"]
    assert "not about a payment of ours" in warning["message"]
    assert warning["name"] == "dogcare.services.payments"
    assert warning["correlation_id"] == event["requestContext"]["requestId"]
    emf = [d for d in documents if "WebhooksProcessed" in d]
    assert len(emf) == 1
