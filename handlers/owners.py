"""owner-management: register, read and update the caller's own owner profile."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from dogcare.commands import RegisterOwner, UpdateOwner
from handlers.common import runtime
from handlers.common.http import if_match, json_response, responses
from handlers.common.observability import count, lambda_entrypoint
from handlers.common.resolver import identity
from handlers.common.views import OwnerView

router = Router()


@router.post(
    "/owners/register",
    summary="Register the caller as an owner",
    tags=["owners"],
    responses=responses(201, OwnerView, 409, 413, 415, 422),
)
def register(body: RegisterOwner) -> Response[OwnerView]:
    owner = runtime.dogcare().owners.register(identity(router).subject, body)
    count("OwnersRegistered")
    return json_response(OwnerView.of(owner), 201, owner.version)


@router.get(
    "/owners/profile", summary="The caller's owner profile", tags=["owners"], responses=responses(200, OwnerView, 404)
)
def profile() -> Response[OwnerView]:
    owner = runtime.dogcare().owners.profile(identity(router).subject)
    return json_response(OwnerView.of(owner), 200, owner.version)


@router.put(
    "/owners/profile",
    summary="Update the caller's owner profile",
    tags=["owners"],
    responses=responses(200, OwnerView, 404, 409, 412, 413, 415, 422),
)
def update_profile(body: UpdateOwner) -> Response[OwnerView]:
    owner = runtime.dogcare().owners.update_profile(identity(router).subject, body, if_match(router))
    return json_response(OwnerView.of(owner), 200, owner.version)


get_app, lambda_handler = lambda_entrypoint(router)
