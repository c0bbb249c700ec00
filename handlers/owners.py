"""owner-management: register, read and update the caller's own owner profile.

The owner's email is never in a body: it is the verified ``email`` of the OpenID Connect ID
token the client sends in ``X-Id-Token`` (``dogcare.auth.id_token``), which must belong to
the same user as the access token.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Header

from dogcare.commands import RegisterOwner, UpdateOwner
from dogcare.settings import get_settings
from handlers.common import runtime
from handlers.common.http import if_match, json_response, responses
from handlers.common.observability import count, lambda_entrypoint
from handlers.common.resolver import identity
from handlers.common.views import OwnerView

router = Router()  # type: ignore[no-untyped-call]  # unannotated upstream

ID_HEADER_HELP = (
    "The OpenID Connect ID token of the caller's sign-in (same user as the access token). "
    "Its verified `email` becomes the owner's address."
)
# Optional for the framework, so that a missing one gets our own 422 message (register) or
# leaves the email as it is (profile update).
RegisterIdToken = Annotated[
    str | None, Header(alias="x-id-token", description=f"Required. {ID_HEADER_HELP} Missing: 422; invalid: 401.")
]
UpdateIdToken = Annotated[
    str | None, Header(alias="x-id-token", description=f"Optional: without it the email stays. {ID_HEADER_HELP}")
]


def _verified_email(subject: str, token: str | None) -> str:
    # Imported here: only these two routes verify an ID token, so the other routes of the
    # function (and every other function) never load PyJWT and cryptography.
    from dogcare.auth.id_token import build_id_token_verifier

    return build_id_token_verifier(get_settings()).verified_email(token, subject)


@router.post(
    "/owners/register",
    summary="Register the caller as an owner (the email is the ID token's verified one)",
    tags=["owners"],
    responses=responses(201, OwnerView, 409, 413, 415, 422),
)
def register(body: RegisterOwner, x_id_token: RegisterIdToken = None) -> Response[OwnerView]:
    caller = identity(router)
    email = _verified_email(caller.subject, x_id_token)
    owner = runtime.dogcare().owners.register(caller.actor, body, email)
    count("OwnersRegistered")
    return json_response(OwnerView.of(owner), 201, owner.version)


@router.get(
    "/owners/profile", summary="The caller's owner profile", tags=["owners"], responses=responses(200, OwnerView, 404)
)
def profile() -> Response[OwnerView]:
    owner = runtime.dogcare().owners.profile(identity(router).actor)
    return json_response(OwnerView.of(owner), 200, owner.version)


@router.put(
    "/owners/profile",
    summary="Update the caller's owner profile (a new ID token updates the email)",
    tags=["owners"],
    responses=responses(200, OwnerView, 404, 409, 412, 413, 415, 422),
)
def update_profile(body: UpdateOwner, x_id_token: UpdateIdToken = None) -> Response[OwnerView]:
    caller = identity(router)
    # Without an ID token the email stays as it is; with one, it must be valid.
    email = _verified_email(caller.subject, x_id_token) if x_id_token is not None else None
    owner = runtime.dogcare().owners.update_profile(caller.actor, body, if_match(router), email)
    return json_response(OwnerView.of(owner), 200, owner.version)


get_app, lambda_handler = lambda_entrypoint(router)
