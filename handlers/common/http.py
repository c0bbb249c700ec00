"""Small HTTP helpers shared by the routes: JSON responses, ETags, If-Match, paging params."""

from __future__ import annotations

import re
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel

from dogcare.errors import VersionMismatch
from handlers.common.views import ProblemView

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (1 to 100).")]
Cursor = Annotated[
    str | None, Query(max_length=2048, description="Opaque cursor from the previous page's next_cursor.")
]
_ETAG = re.compile(r'^(?:W/)?"?(\d{1,12})"?$')


def etag(version: int) -> str:
    return f'"{version}"'


def json_response(view: BaseModel, status: int = 200, version: int | None = None) -> Response[Any]:
    headers = {"Cache-Control": "no-store"}
    if version is not None:
        headers["ETag"] = etag(version)
    # The body stays a model dump (not a string) so Powertools validates it against the route's
    # documented response type before serializing it.
    body = view.model_dump(mode="json")
    return Response(status_code=status, content_type="application/json", body=body, headers=headers)


def no_content() -> Response[Any]:
    return Response(status_code=204, body=None, headers={"Cache-Control": "no-store"})


def if_match(router: Router) -> int | None:
    """The version the caller expects (``If-Match: "3"``), or None when absent or ``*``."""
    value = router.current_event.headers.get("If-Match")
    if value is None or value.strip() == "*":
        return None
    match = _ETAG.match(value.strip())
    if not match:
        raise VersionMismatch('If-Match must be an ETag returned by this API, e.g. "3"')
    return int(match.group(1))


def idempotency_key(router: Router) -> str | None:
    return router.current_event.headers.get("Idempotency-Key")


def _content(model: Any, media: str = "application/json") -> dict[str, Any]:
    return {media: {"model": model}}


ERROR_TEXT = {
    400: "Malformed or too deeply nested JSON, or a bad cursor",
    401: "Missing or invalid bearer token",
    403: "Not allowed (staff only)",
    404: "Unknown id, or not yours",
    409: "Conflict with the current state",
    412: "If-Match version mismatch",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Invalid or unknown fields",
    429: "Rate limited (see Retry-After)",
    502: "Payment provider error",
    503: "Temporarily unavailable (see Retry-After)",
}


def responses(success: int, model: Any | None, *errors: int) -> dict[int, Any]:
    """OpenAPI responses of a route: its success shape and the problems it can answer.

    Every route can answer 401, 422 (a problem document, replacing Powertools' default
    shape), 429 and 503. A route that takes a body (it lists 415) can also answer 400: the
    request gate refuses malformed or too deeply nested JSON there.
    """
    statuses = {401, 422, 429, 503, *errors}
    if 415 in statuses:
        statuses.add(400)
    # 422 first, where the published document has always had it (Powertools' own request
    # validation put its default 422 there before handlers.common.resolver installed it itself).
    result: dict[int, Any] = {422: _problem_response(422)}
    if model is None:
        # An explicit empty content map: without one, Powertools documents the handler's
        # return annotation as a JSON body, which a 204 never has.
        result[success] = {"description": "No content", "content": {}}
    else:
        result[success] = {"description": "OK" if success == 200 else "Created", "content": _content(model)}
    for status in sorted(statuses - {422}):
        result[status] = _problem_response(status)
    return result


def _problem_response(status: int) -> dict[str, Any]:
    return {"description": ERROR_TEXT[status], "content": _content(ProblemView, "application/problem+json")}
