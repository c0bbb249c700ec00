"""dog-management: the caller's dogs."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from dogcare.commands import NewDog, UpdateDog
from dogcare.domain.actor import Actor
from handlers.common import runtime
from handlers.common.http import Cursor, Limit, if_match, json_response, no_content, responses
from handlers.common.observability import count, lambda_entrypoint
from handlers.common.resolver import identity
from handlers.common.views import DogView, PageView

router = Router()  # type: ignore[no-untyped-call]  # unannotated upstream
DogId = Annotated[str, Path(min_length=1, max_length=64, description="A dog id, e.g. dog-6f1d...")]


def _actor() -> Actor:
    return identity(router).actor


@router.get(
    "/dogs", summary="List the caller's dogs", tags=["dogs"], responses=responses(200, PageView[DogView], 400, 422)
)
def list_dogs(limit: Limit = 20, cursor: Cursor = None) -> Response[PageView[DogView]]:
    page = runtime.dogcare().dogs.list(_actor(), limit, cursor)
    return json_response(PageView[DogView](items=[DogView.of(d) for d in page.items], next_cursor=page.next_cursor))


@router.post("/dogs", summary="Add a dog", tags=["dogs"], responses=responses(201, DogView, 409, 413, 415, 422))
def add_dog(body: NewDog) -> Response[DogView]:
    dog = runtime.dogcare().dogs.add(_actor(), body)
    count("DogsAdded")
    return json_response(DogView.of(dog), 201, dog.version)


@router.get("/dogs/<id>", summary="One of the caller's dogs", tags=["dogs"], responses=responses(200, DogView, 404))
def get_dog(id: DogId) -> Response[DogView]:
    dog = runtime.dogcare().dogs.get(_actor(), id)
    return json_response(DogView.of(dog), 200, dog.version)


@router.put(
    "/dogs/<id>", summary="Update a dog", tags=["dogs"], responses=responses(200, DogView, 404, 412, 413, 415, 422)
)
def update_dog(id: DogId, body: UpdateDog) -> Response[DogView]:
    dog = runtime.dogcare().dogs.update(_actor(), id, body, if_match(router))
    return json_response(DogView.of(dog), 200, dog.version)


@router.delete(
    "/dogs/<id>",
    summary="Remove a dog (not while it has active bookings)",
    tags=["dogs"],
    responses=responses(204, None, 404, 409, 412),
)
def delete_dog(id: DogId) -> Response[None]:
    runtime.dogcare().dogs.delete(_actor(), id, if_match(router))
    return no_content()


get_app, lambda_handler = lambda_entrypoint(router)
