"""Every error becomes an RFC 9457 problem document here, and only here."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Response

from dogcare import errors

PROBLEM_JSON = "application/problem+json"

# Most specific first: the first class an error is an instance of decides its status.
STATUS: tuple[tuple[type[errors.DogcareError], int], ...] = (
    (errors.NotFound, 404),
    (errors.VersionMismatch, 412),
    (errors.Conflict, 409),
    (errors.ValidationFailed, 422),
    (errors.InvalidCursor, 400),
    (errors.InvalidWebhook, 400),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.RateLimited, 429),
    (errors.StorageUnavailable, 503),
    (errors.PaymentProviderUnavailable, 503),
    (errors.PaymentProviderError, 502),
)


def problem(
    status: int,
    kind: str,
    title: str,
    detail: str,
    *,
    field_errors: Iterable[Mapping[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[Any]:
    body: dict[str, Any] = {"type": f"/problems/{kind}", "title": title, "status": status, "detail": detail}
    if field_errors is not None:
        body["errors"] = list(field_errors)
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    return Response(status_code=status, content_type=PROBLEM_JSON, body=json.dumps(body), headers=all_headers)


def status_of(error: errors.DogcareError) -> int:
    for cls, status in STATUS:
        if isinstance(error, cls):
            return status
    return 400


def from_error(error: errors.DogcareError) -> Response[Any]:
    status = status_of(error)
    headers: dict[str, str] = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after))
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="dogcare"'
    field_errors = None
    if isinstance(error, errors.ValidationFailed):
        field_errors = [{"field": e.field, "message": e.message, "code": e.code} for e in error.errors]
    return problem(status, error.kind, error.title, error.detail, field_errors=field_errors, headers=headers)


def _location(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


def from_validation(error_list: Iterable[Mapping[str, Any]]) -> Response[Any]:
    """Powertools/pydantic validation errors -> 422 naming every bad field."""
    field_errors = []
    for e in error_list:
        loc = list(e.get("loc", ()))
        message = str(e.get("msg") or e.get("type") or "invalid value")
        if e.get("type") == "extra_forbidden":
            message = "unknown field (not accepted here)"
        if e.get("type") == "missing":
            message = "field required"
        field_errors.append({"field": _location(loc), "message": message, "code": str(e.get("type", "invalid"))})
    if any(fe["code"] == "json_invalid" for fe in field_errors):
        return problem(400, "malformed-json", "Malformed JSON", "the request body is not valid JSON")
    return problem(
        422, "validation", "Validation failed", "the request has invalid or unknown fields", field_errors=field_errors
    )


def internal_error() -> Response[Any]:
    return problem(500, "internal", "Internal error", "something went wrong on our side; it has been logged")
