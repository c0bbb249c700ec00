"""The API Gateway (REST) Lambda REQUEST authorizer.

It only authenticates: it verifies the bearer token and answers with a policy that
allows ``execute-api:Invoke`` on the whole stage, passing the caller's identity on in
``context`` (``sub``, ``groups`` as ``"a,b"``, ``client_id``). Every authorization
decision is made by the services from that identity, so a policy API Gateway caches
for a token can never carry one path's decision over to another path.

A missing or invalid token raises ``Exception("Unauthorized")``, which API Gateway
turns into a 401. Tokens are never logged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dogcare.auth.identity import Identity, groups_to_context
from dogcare.auth.verifier import TokenVerifier, bearer_token, build_verifier
from dogcare.errors import Unauthenticated
from dogcare.settings import get_settings
from handlers.gc_pause import released_after_first_call

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway maps to 401

_ARN_PART = re.compile(r"[A-Za-z0-9_-]+")
_logger: Logger | None = None


def _log() -> Logger:
    global _logger
    if _logger is None:
        from aws_lambda_powertools import Logger

        _logger = Logger(service="dogcare-authorizer")
    return _logger


def authorize_request(headers: Mapping[str, str] | None, verifier: TokenVerifier) -> Identity:
    """The identity proven by the request's ``Authorization: Bearer`` header.

    The one code path shared by this authorizer and the local gateway; raises
    :class:`~dogcare.errors.Unauthenticated`.
    """
    return verifier.verify(bearer_token(headers))


def token_expiry(headers: Mapping[str, str] | None) -> int | None:
    """The ``exp`` of the bearer token in ``headers``, read only after ``authorize_request``
    verified it (so the claims are the issuer's). Passed on in the context: API Gateway caches
    this answer per token for up to 300 s, and the functions refuse a token past its ``exp``."""
    import jwt

    claims = jwt.decode(bearer_token(headers), options={"verify_signature": False})  # verified above
    exp = claims.get("exp")
    return int(exp) if isinstance(exp, int | float) and not isinstance(exp, bool) else None


def stage_resource(method_arn: str) -> str:
    """``arn:…:execute-api:{region}:{account}:{apiId}/{stage}/*/*`` from a ``methodArn``."""
    parts = method_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "execute-api":
        raise ValueError("not an execute-api ARN")
    _, partition, _, region, account, path = parts
    api_id, _, rest = path.partition("/")
    stage = rest.partition("/")[0]
    if not all(_ARN_PART.fullmatch(value) for value in (partition, region, account, api_id, stage)):
        raise ValueError("not an execute-api method ARN")
    return f"arn:{partition}:execute-api:{region}:{account}:{api_id}/{stage}/*/*"


def allow_policy(identity: Identity, resource: str, expires: int | None = None) -> dict[str, Any]:
    """The authorizer answer that lets ``identity`` invoke ``resource`` (until ``expires``)."""
    context: dict[str, str] = {"sub": identity.subject, "groups": groups_to_context(identity.groups)}
    if identity.client_id:
        context["client_id"] = identity.client_id  # API Gateway refuses null context values
    if expires is not None:
        context["exp"] = str(expires)
    return {
        "principalId": identity.subject,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}],
        },
        "context": context,
    }


def _request_headers(event: Mapping[str, Any]) -> Mapping[str, str] | None:
    if event.get("type") == "TOKEN":  # also usable as a TOKEN authorizer
        token = event.get("authorizationToken")
        return {"Authorization": token} if isinstance(token, str) else None
    multi = event.get("multiValueHeaders")
    if isinstance(multi, Mapping):
        for name, values in multi.items():
            is_authorization = isinstance(name, str) and name.lower() == "authorization"
            if is_authorization and isinstance(values, list) and len(values) > 1:
                raise Unauthenticated("invalid authorization header")
    headers = event.get("headers")
    return headers if isinstance(headers, Mapping) else None


@released_after_first_call
def lambda_handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    request_context = event.get("requestContext")
    request_id = request_context.get("requestId") if isinstance(request_context, Mapping) else None
    try:
        resource = stage_resource(str(event.get("methodArn", "")))
    except ValueError:
        _log().error("authorizer event without a usable methodArn", extra={"request_id": request_id})
        raise Exception(UNAUTHORIZED) from None

    verifier = build_verifier(get_settings())  # a configuration error fails closed (500)
    try:
        headers = _request_headers(event)
        identity = authorize_request(headers, verifier)
    except Unauthenticated as exc:
        _log().info("request denied", extra={"reason": exc.detail, "request_id": request_id})
        raise Exception(UNAUTHORIZED) from None

    _log().debug("request authenticated", extra={"sub": identity.subject, "request_id": request_id})
    return allow_policy(identity, resource, token_expiry(headers))
