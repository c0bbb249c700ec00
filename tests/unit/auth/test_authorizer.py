"""The Lambda REQUEST authorizer, driven with real API Gateway (REST) authorizer events."""

from __future__ import annotations

import io
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from aws_lambda_powertools import Logger
from cryptography.hazmat.primitives.asymmetric import rsa

from dogcare.auth import DEV_CLIENT_ID, DevIssuer, Identity, Unauthenticated, reset_verifier_cache
from dogcare.auth.dev_issuer import public_jwk
from dogcare.auth.identity import identity_from_authorizer_context
from dogcare.settings import get_settings
from handlers import authorizer
from handlers.authorizer import authorize_request, lambda_handler, stage_resource

from .conftest import JwksServer

ACCOUNT = "123456789012"
API_ID = "abcdef123"
STAGE = "prod"
STAGE_RESOURCE = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}/{STAGE}/*/*"


def request_event(
    headers: dict[str, str] | None, method: str = "GET", path: str = "/dogs/dog-1", **overrides: Any
) -> dict[str, Any]:
    """A REQUEST authorizer event as API Gateway (REST) sends it."""
    all_headers = {
        "Accept": "application/json",
        "CloudFront-Forwarded-Proto": "https",
        "CloudFront-Viewer-Country": "US",
        "Host": f"{API_ID}.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "Mozilla/5.0",
        "X-Amzn-Trace-Id": "Root=1-5e66d96f-7491f09xmpl79d18acf3d050",
        "X-Forwarded-For": "203.0.113.10",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **(headers or {}),
    }
    event: dict[str, Any] = {
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}/{STAGE}/{method}{path}",
        "resource": "/dogs/{dogId}",
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": {},
        "multiValueQueryStringParameters": {},
        "pathParameters": {"dogId": path.rsplit("/", 1)[-1]},
        "stageVariables": {},
        "requestContext": {
            "resourceId": "a1b2c3",
            "resourcePath": "/dogs/{dogId}",
            "httpMethod": method,
            "extendedRequestId": "JKJaXmPLvHcESHA=",
            "requestTime": "10/Mar/2020:00:03:59 +0000",
            "path": f"/{STAGE}{path}",
            "accountId": ACCOUNT,
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": API_ID,
            "requestTimeEpoch": 1583798639428,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "203.0.113.10", "userAgent": "Mozilla/5.0"},
            "domainName": f"{API_ID}.execute-api.us-east-1.amazonaws.com",
            "apiId": API_ID,
        },
    }
    event.update(overrides)
    return event


@pytest.fixture
def local_env(dev_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings for local mode: the dev issuer in ``dev_home``."""
    for name in [
        "DOGCARE_AUTH_JWKS_URL",
        "DOGCARE_AUTH_ISSUER",
        "DOGCARE_AUTH_AUDIENCE",
        "DOGCARE_AUTH_TOKEN_USE",
        "AWS_LAMBDA_FUNCTION_NAME",
    ]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOGCARE_HOME", str(dev_home))
    get_settings.cache_clear()
    reset_verifier_cache()
    yield
    get_settings.cache_clear()
    reset_verifier_cache()


@pytest.fixture
def log_output(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    buffer = io.StringIO()
    logger = Logger(
        service=f"authorizer-test-{uuid.uuid4().hex}",
        level="DEBUG",
        logger_handler=logging.StreamHandler(buffer),
    )
    monkeypatch.setattr(authorizer, "_logger", logger)
    return buffer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- allow --------------------------------------------------------------------------


@pytest.mark.usefixtures("local_env")
def test_a_valid_token_is_allowed_on_the_whole_stage(dev_issuer: DevIssuer) -> None:
    token = dev_issuer.mint("owner-1", admin=True, groups=["staff"])
    answer = lambda_handler(request_event(bearer(token)), None)

    assert answer == {
        "principalId": "owner-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": STAGE_RESOURCE}],
        },
        "context": {
            "sub": "owner-1",
            "groups": "admin,staff",
            "client_id": DEV_CLIENT_ID,
            # the token's own expiry: the functions refuse it once a cached answer outlives it
            "exp": str(jwt.decode(token, options={"verify_signature": False})["exp"]),
        },
    }
    assert all(isinstance(value, str) for value in answer["context"].values())


@pytest.mark.usefixtures("local_env")
def test_the_policy_does_not_depend_on_the_path(dev_issuer: DevIssuer) -> None:
    token = dev_issuer.mint("owner-1")
    answers = [
        lambda_handler(request_event(bearer(token), method, path), None)
        for method, path in [("GET", "/dogs/dog-1"), ("DELETE", "/admin/users/u-9"), ("POST", "/bookings")]
    ]
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["policyDocument"]["Statement"][0]["Resource"] == STAGE_RESOURCE


@pytest.mark.usefixtures("local_env")
def test_the_context_round_trips_to_the_same_identity(dev_issuer: DevIssuer) -> None:
    token = dev_issuer.mint("owner-1", groups=["staff", "x,admin"])
    answer = lambda_handler(request_event(bearer(token)), None)
    # What API Gateway hands the backend in event["requestContext"]["authorizer"].
    forwarded = {**answer["context"], "principalId": answer["principalId"], "integrationLatency": 41}
    identity = identity_from_authorizer_context(forwarded)
    assert identity == Identity("owner-1", frozenset({"staff"}), DEV_CLIENT_ID)
    assert identity is not None
    assert not identity.actor.is_staff


@pytest.mark.usefixtures("local_env")
def test_the_header_name_is_case_insensitive(dev_issuer: DevIssuer) -> None:
    token = dev_issuer.mint("owner-1")
    answer = lambda_handler(request_event({"authorization": f"bearer {token}"}), None)
    assert answer["principalId"] == "owner-1"


@pytest.mark.usefixtures("local_env")
def test_also_works_as_a_token_authorizer(dev_issuer: DevIssuer) -> None:
    event = {
        "type": "TOKEN",
        "authorizationToken": f"Bearer {dev_issuer.mint('owner-1')}",
        "methodArn": f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}/{STAGE}/GET/dogs",
    }
    assert lambda_handler(event, None)["principalId"] == "owner-1"


def test_cognito_configuration_end_to_end(
    jwks_server: JwksServer, second_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool1"
    monkeypatch.setenv("DOGCARE_AUTH_JWKS_URL", jwks_server.url)
    monkeypatch.setenv("DOGCARE_AUTH_ISSUER", issuer)
    monkeypatch.setenv("DOGCARE_AUTH_AUDIENCE", "7example23clientid")
    monkeypatch.delenv("DOGCARE_AUTH_TOKEN_USE", raising=False)
    get_settings.cache_clear()
    reset_verifier_cache()
    jwks_server.state.document = {
        "keys": [{**public_jwk(second_key.public_key()), "kid": "cognito-kid-1", "alg": "RS256", "use": "sig"}]
    }
    now = int(time.time())
    claims = {
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["admin"],
        "iss": issuer,
        "version": 2,
        "client_id": "7example23clientid",
        "origin_jti": str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()),
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "username": "jane",
    }
    token = jwt.encode(claims, second_key, algorithm="RS256", headers={"kid": "cognito-kid-1", "typ": None})
    try:
        answer = lambda_handler(request_event(bearer(token)), None)
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            lambda_handler(
                request_event(
                    bearer(
                        jwt.encode(
                            {**claims, "client_id": "other"},
                            second_key,
                            algorithm="RS256",
                            headers={"kid": "cognito-kid-1"},
                        )
                    )
                ),
                None,
            )
    finally:
        get_settings.cache_clear()
        reset_verifier_cache()
    assert answer["context"] == {
        "sub": claims["sub"],
        "groups": "admin",
        "client_id": "7example23clientid",
        "exp": str(claims["exp"]),
    }
    assert jwks_server.state.hits == 1


# --- deny -----------------------------------------------------------------------------


@pytest.mark.usefixtures("local_env")
@pytest.mark.parametrize(
    "headers",
    [
        None,
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic b3duZXI6cGFzc3dvcmQ="},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Bearer a.b.c"},
    ],
)
def test_missing_or_bad_credentials_answer_unauthorized(headers: dict[str, str] | None) -> None:
    event = request_event(None)
    event["headers"] = {**event["headers"], **(headers or {})} if headers is not None else None
    with pytest.raises(Exception, match=r"^Unauthorized$") as caught:
        lambda_handler(event, None)
    assert type(caught.value) is Exception


@pytest.mark.usefixtures("local_env")
def test_expired_and_forged_tokens_answer_unauthorized(dev_issuer: DevIssuer, second_key: rsa.RSAPrivateKey) -> None:
    expired = dev_issuer.mint("owner-1", expires_in=-120)
    forged = jwt.encode(
        jwt.decode(dev_issuer.mint("owner-1", admin=True), options={"verify_signature": False}),
        second_key,
        algorithm="RS256",
        headers={"kid": dev_issuer.kid},
    )
    for token in (expired, forged):
        with pytest.raises(Exception, match=r"^Unauthorized$"):
            lambda_handler(request_event(bearer(token)), None)


@pytest.mark.usefixtures("local_env")
def test_two_authorization_headers_answer_unauthorized(dev_issuer: DevIssuer) -> None:
    good = dev_issuer.mint("owner-1")
    event = request_event(bearer(good))
    event["multiValueHeaders"]["Authorization"] = [f"Bearer {good}", f"Bearer {dev_issuer.mint('owner-2')}"]
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        lambda_handler(event, None)


@pytest.mark.usefixtures("local_env")
@pytest.mark.parametrize(
    "method_arn",
    ["", "not-an-arn", "arn:aws:lambda:us-east-1:1:function:x", "arn:aws:execute-api:us-east-1:1:*"],
)
def test_an_unusable_method_arn_answers_unauthorized(dev_issuer: DevIssuer, method_arn: str) -> None:
    event = request_event(bearer(dev_issuer.mint("owner-1")), methodArn=method_arn)
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        lambda_handler(event, None)


def test_misconfiguration_fails_closed_not_open(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOGCARE_AUTH_JWKS_URL", "https://idp.example/.well-known/jwks.json")
    monkeypatch.delenv("DOGCARE_AUTH_ISSUER", raising=False)
    get_settings.cache_clear()
    reset_verifier_cache()
    try:
        with pytest.raises(ValueError, match="DOGCARE_AUTH_ISSUER"):
            lambda_handler(request_event(bearer("a.b.c")), None)
    finally:
        get_settings.cache_clear()
        reset_verifier_cache()


@pytest.mark.usefixtures("local_env")
def test_tokens_are_never_logged(dev_issuer: DevIssuer, log_output: io.StringIO) -> None:
    good = dev_issuer.mint("owner-1")
    bad = dev_issuer.mint("owner-1", expires_in=-600)
    lambda_handler(request_event(bearer(good)), None)
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        lambda_handler(request_event(bearer(bad)), None)

    logged = log_output.getvalue()
    assert "request denied" in logged
    assert "token expired" in logged
    for token in (good, bad):
        for segment in token.split("."):
            assert segment not in logged


# --- the shared code path and the ARN --------------------------------------------------


def test_authorize_request_is_the_shared_path(dev_issuer: DevIssuer, verifier: Any) -> None:
    identity = authorize_request(bearer(dev_issuer.mint("owner-3", groups=["staff"])), verifier)
    assert identity == Identity("owner-3", frozenset({"staff"}), DEV_CLIENT_ID)
    with pytest.raises(Unauthenticated, match=r"^missing bearer token$"):
        authorize_request({"Accept": "*/*"}, verifier)


@pytest.mark.parametrize(
    ("method_arn", "expected"),
    [
        (f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}/{STAGE}/GET/dogs/1", STAGE_RESOURCE),
        (f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}/{STAGE}/POST/", STAGE_RESOURCE),
        (f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}/{STAGE}/ANY/a/b/c", STAGE_RESOURCE),
        (
            f"arn:aws-cn:execute-api:cn-north-1:{ACCOUNT}:{API_ID}/dev_2/GET/x",
            f"arn:aws-cn:execute-api:cn-north-1:{ACCOUNT}:{API_ID}/dev_2/*/*",
        ),
    ],
)
def test_stage_resource(method_arn: str, expected: str) -> None:
    assert stage_resource(method_arn) == expected


@pytest.mark.parametrize(
    "method_arn",
    [
        f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}",
        f"arn:aws:execute-api:us-east-1:{ACCOUNT}:*/{STAGE}/GET/x",
        f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}/*/GET/x",
        f"arn:aws:execute-api::{ACCOUNT}:{API_ID}/{STAGE}/GET/x",
        f"arn:aws:s3:us-east-1:{ACCOUNT}:{API_ID}/{STAGE}/GET/x",
    ],
)
def test_stage_resource_refuses_odd_arns(method_arn: str) -> None:
    with pytest.raises(ValueError, match="ARN"):
        stage_resource(method_arn)
