"""API Gateway REST (v1) proxy events, shaped like the ones Lambda receives behind the authorizer.

``rest_event("GET", "/dogs/{id}", path_params={"id": "dog-1"})`` fills in the concrete path
from the resource template, both the single- and multi-value forms of the headers and the
query string, and ``requestContext.authorizer`` as API Gateway passes on a REQUEST
authorizer's ``context`` (string values only: ``sub`` and ``groups`` as ``"a,b"``).
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STAGE = "test"
ACCOUNT = "123456789012"
API_ID = "a1b2c3d4e5"
NO_AUTHORIZER: Mapping[str, str] = {}  # pass as ``authorizer=`` for an event without an identity


def concrete_path(resource: str, path_params: Mapping[str, str] | None) -> str:
    """``/dogs/{id}`` with ``{"id": "x"}`` -> ``/dogs/x``."""
    params = dict(path_params or {})

    def fill(m: re.Match[str]) -> str:
        return params[m.group(1)]

    return re.sub(r"\{(\w+)\}", fill, resource)


def authorizer_context(sub: str, groups: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    """What a REQUEST authorizer's ``context`` becomes in the integration event."""
    return {
        "principalId": sub,
        "sub": sub,
        "groups": ",".join(sorted(groups)),
        "client_id": "test-client",
        "integrationLatency": 12,
    }


def rest_event(
    method: str,
    resource: str,
    *,
    path_params: Mapping[str, str] | None = None,
    query: Mapping[str, str | list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    body: Any = None,
    raw_body: str | bytes | None = None,
    authorizer: Mapping[str, Any] | None = None,
    source_ip: str = "203.0.113.7",
) -> dict[str, Any]:
    """One REST proxy event.

    ``body`` is serialised as JSON (with ``Content-Type: application/json`` unless a
    content type is given); ``raw_body`` is sent as it is (bytes go base64-encoded, as
    API Gateway does for binary media). ``authorizer=None`` leaves the authorizer context
    out altogether; :data:`NO_AUTHORIZER` sends an empty one.
    """
    path = concrete_path(resource, path_params)
    all_headers: dict[str, str] = {
        "Accept": "application/json",
        "Host": f"{API_ID}.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "dogcare-tests",
        "X-Forwarded-For": source_ip,
        "X-Forwarded-Proto": "https",
    }
    text: str | None = None
    is_b64 = False
    if body is not None:
        text = json.dumps(body)
        all_headers["Content-Type"] = "application/json"
    if raw_body is not None:
        if isinstance(raw_body, bytes):
            text, is_b64 = base64.b64encode(raw_body).decode(), True
        else:
            text = raw_body
    all_headers.update(headers or {})
    multi_query: dict[str, list[str]] = {}
    for key, value in (query or {}).items():
        multi_query[key] = list(value) if isinstance(value, list) else [value]
    request_id = str(uuid.uuid4())
    context: dict[str, Any] = {
        "resourceId": "abc123",
        "resourcePath": resource,
        "httpMethod": method,
        "path": f"/{STAGE}{path}",
        "stage": STAGE,
        "requestId": request_id,
        "extendedRequestId": request_id,
        "accountId": ACCOUNT,
        "apiId": API_ID,
        "domainName": all_headers["Host"],
        "protocol": "HTTP/1.1",
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
        "requestTimeEpoch": int(time.time() * 1000),
        "identity": {"sourceIp": source_ip, "userAgent": all_headers["User-Agent"]},
    }
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_params) if path_params else None,
        "stageVariables": None,
        "requestContext": context,
        "body": text,
        "isBase64Encoded": is_b64,
    }


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that Powertools reads."""

    function_name: str = "dogcare-test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/dogcare-test"
    log_stream_name: str = "2030/01/01/[$LATEST]test"
    invoked_function_arn: str = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:dogcare-test"

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


@dataclass
class Result:
    """A Lambda proxy response, decoded."""

    status: int
    headers: dict[str, str]
    body: Any
    raw: dict[str, Any]

    @classmethod
    def of(cls, response: dict[str, Any]) -> Result:
        headers: dict[str, str] = {}
        for key, values in (response.get("multiValueHeaders") or {}).items():
            headers[key.lower()] = ", ".join(str(v) for v in values)
        for key, value in (response.get("headers") or {}).items():
            headers[key.lower()] = str(value)
        text = response.get("body") or ""
        if response.get("isBase64Encoded"):
            text = base64.b64decode(text).decode()
        body = json.loads(text) if text else None
        return cls(int(response["statusCode"]), headers, body, response)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip()
