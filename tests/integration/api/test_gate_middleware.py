"""The request gate as an Event Handler middleware: where it runs among the resolver's
middlewares, and its answers going out through Powertools' response path (CORS included)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response, Router
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from pydantic import BaseModel, ConfigDict

from handlers.common.resolver import EXPOSED_HEADERS, build_app
from tests.integration.api.events import LambdaContext, Result, rest_event
from tests.integration.api.support import Api, booking_body, day

ALLOWED = "https://app.dogcare.example"
OTHER = "https://evil.example"


class Greeting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str


class Greeted(BaseModel):
    greeting: str


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What ran, in order: the gate, Powertools' request and response validation, the route."""
    from aws_lambda_powertools.event_handler.middlewares import openapi_validation

    from handlers.common import gate

    ran: list[str] = []

    def recorded(name: str, original: Any) -> Any:
        def step(*args: Any, **kwargs: Any) -> Any:
            ran.append(name)
            return original(*args, **kwargs)

        return step

    monkeypatch.setattr(gate, "gate", recorded("gate", gate.gate))
    for cls, name in (
        (openapi_validation.OpenAPIRequestValidationMiddleware, "request validation"),
        (openapi_validation.OpenAPIResponseValidationMiddleware, "response validation"),
    ):
        monkeypatch.setattr(cls, "handler", recorded(name, cls.handler))
    return ran


def greeting_app(steps: list[str]) -> APIGatewayRestResolver:
    router = Router()

    @router.post("/greetings")
    def greet(body: Greeting) -> Greeted:
        steps.append("route")
        return Greeted(greeting=f"hello {body.name}")

    return build_app(router)


def send(app: APIGatewayRestResolver, body: Any, **kwargs: Any) -> Result:
    event = rest_event("POST", "/greetings", body=body, **kwargs)
    return Result.of(app.resolve(event, LambdaContext()))


def test_the_gate_runs_first_then_validation_around_the_route(api: Api, steps: list[str]) -> None:
    result = send(greeting_app(steps), {"name": "Ana"}, authorizer={"sub": "alice", "principalId": "alice"})
    assert result.status == 200 and result.body == {"greeting": "hello Ana"}
    # in the order they are entered, each once: Powertools adds no validation of its own
    assert steps == ["gate", "request validation", "response validation", "route"]


def test_an_anonymous_invalid_body_is_answered_by_the_gate_before_validation(api: Api, steps: list[str]) -> None:
    result = send(greeting_app(steps), {"unknown": 1}, authorizer=None)
    assert result.status == 401 and result.body["type"] == "/problems/unauthenticated"
    assert steps == ["gate"]


def test_an_invalid_body_of_a_caller_is_answered_by_validation(api: Api, steps: list[str]) -> None:
    result = send(greeting_app(steps), {"unknown": 1}, authorizer={"sub": "alice", "principalId": "alice"})
    assert result.status == 422 and result.body["type"] == "/problems/validation"
    assert steps == ["gate", "request validation"]


def test_an_unknown_route_passes_the_gate_and_is_a_404_problem(api: Api, steps: list[str]) -> None:
    event = rest_event("GET", "/nowhere", authorizer={"sub": "alice", "principalId": "alice"})
    result = Result.of(greeting_app(steps).resolve(event, LambdaContext()))
    assert result.status == 404 and result.body["type"] == "/problems/no-route"
    assert steps[0] == "gate"


def test_powertools_own_validation_runs_before_every_middleware() -> None:
    """Why build_app installs the validation middlewares itself: with ``enable_validation=True``,
    Powertools 3.37 validates before the first middleware added with ``use`` runs, so a gate
    there would come too late. Should this change, the installed order may go back to Powertools."""
    router = Router()
    ran: list[str] = []

    def first(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
        ran.append("first middleware")
        return next_middleware(app)

    @router.post("/greetings")
    def greet(body: Greeting) -> Greeted:
        return Greeted(greeting=body.name)

    app = APIGatewayRestResolver(enable_validation=True)
    app.use(middlewares=[first])
    app.include_router(router)
    result = Result.of(app.resolve(rest_event("POST", "/greetings", body={"unknown": 1}), LambdaContext()))
    assert result.status == 422
    assert ran == []


# --- CORS on the gate's answers ---------------------------------------------------------------


def cors_headers(result: Result) -> dict[str, str]:
    return {k: v for k, v in result.headers.items() if k.startswith("access-control-")}


JSON = {"Content-Type": "application/json"}
# What the gate refuses: (the request's arguments, its headers, the gate's status)
GATE_ANSWERS = {
    "401 anonymous": ({"authorizer": None, "body": {"name": "N"}}, {}, 401),
    "413 too large": ({"raw_body": "{" + " " * 70_000 + "}"}, JSON, 413),
    "415 not json": ({"raw_body": "name=N"}, {"Content-Type": "text/plain"}, 415),
    "400 malformed": ({"raw_body": '{"name": '}, JSON, 400),
}


@pytest.mark.parametrize("origin", [ALLOWED, OTHER])
@pytest.mark.parametrize(("request_", "headers", "status"), GATE_ANSWERS.values(), ids=GATE_ANSWERS.keys())
def test_a_gate_answer_carries_the_resolvers_cors_headers_for_allowed_origins_only(
    api: Api, request_: dict[str, Any], headers: dict[str, str], status: int, origin: str
) -> None:
    result = api.call("POST", "/dogs", headers={"Origin": origin, **headers}, **request_)
    assert result.status == status
    cors = cors_headers(result)
    if origin == OTHER:
        assert cors == {}
        return
    assert cors["access-control-allow-origin"] == ALLOWED
    assert {h.strip() for h in cors["access-control-expose-headers"].split(",")} == set(EXPOSED_HEADERS)


def test_a_rate_limited_caller_gets_cors_headers_too(api: Api) -> None:
    api.reconfigure(DOGCARE_RATE_LIMIT_PER_MINUTE="1")
    api.register("alice")  # the one request of this minute
    refused = api.call("POST", "/bookings", headers={"Origin": ALLOWED}, body=booking_body("dog-1", start=day(5)))
    assert refused.status == 429 and refused.body["type"] == "/problems/rate-limited"
    assert cors_headers(refused)["access-control-allow-origin"] == ALLOWED
