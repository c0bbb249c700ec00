"""booking-management: the caller's bookings."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from dogcare.commands import Moment, NewBooking, UpdateBooking
from dogcare.domain.actor import Actor
from handlers.common import runtime
from handlers.common.http import Cursor, Limit, idempotency_key, if_match, json_response, responses
from handlers.common.idempotency import KeyedRequest, idempotent_use_case
from handlers.common.observability import count, lambda_entrypoint
from handlers.common.resolver import identity
from handlers.common.views import AvailabilityView, BookingView, CancellationView, PageView, QuoteView

router = Router()  # type: ignore[no-untyped-call]  # unannotated upstream
BookingId = Annotated[str, Path(min_length=1, max_length=64, description="A booking id, e.g. booking-77b0...")]
Status = Literal["pending", "confirmed", "checked_in", "completed", "cancelled", "expired"]
ServiceType = Literal["daycare", "boarding", "parking"]


def _actor() -> Actor:
    return identity(router).actor


@router.get(
    "/bookings",
    summary="List the caller's bookings",
    tags=["bookings"],
    responses=responses(200, PageView[BookingView], 400, 422),
)
def list_bookings(
    limit: Limit = 20,
    cursor: Cursor = None,
    start_from: Annotated[Moment | None, Query(alias="from", description="Start at or after")] = None,
    start_to: Annotated[Moment | None, Query(alias="to", description="Start at or before")] = None,
    status: Annotated[Status | None, Query()] = None,
) -> Response[PageView[BookingView]]:
    page = runtime.dogcare().bookings.list(
        _actor(), limit=limit, cursor=cursor, start_from=start_from, start_to=start_to, status=status
    )
    view = PageView[BookingView](items=[BookingView.of(b) for b in page.items], next_cursor=page.next_cursor)
    return json_response(view)


@idempotent_use_case("bookings", "bookings")
def book(request: KeyedRequest[NewBooking]) -> BookingView:
    """The use case of ``POST /bookings``; a replay with its key gets the first booking back."""
    booking = runtime.dogcare().bookings.create(request.actor, request.command, request_key=request.key)
    count("BookingsCreated")
    return BookingView.of(booking)


@router.post(
    "/bookings",
    summary="Book care for a dog (honours Idempotency-Key)",
    tags=["bookings"],
    responses=responses(201, BookingView, 404, 409, 413, 415, 422),
)
def create_booking(body: NewBooking) -> Response[BookingView]:
    request = KeyedRequest[NewBooking](actor=_actor(), key=idempotency_key(router), command=body)
    view = book(request=request, lambda_context=router.lambda_context)
    return json_response(view, 201, view.version)


@router.post(
    "/bookings/quote",
    summary="Price and places for a booking, by the rules of POST /bookings (nothing is written)",
    tags=["bookings"],
    responses=responses(200, QuoteView, 404, 409, 413, 415, 422),
)
def quote_booking(body: NewBooking) -> Response[QuoteView]:
    return json_response(QuoteView.of(runtime.dogcare().bookings.quote(_actor(), body)))


@router.get(
    "/availability",
    summary="Places left per facility-local day (at most 62 days, from today on)",
    tags=["bookings"],
    responses=responses(200, AvailabilityView, 422),
)
def availability(
    service_type: Annotated[ServiceType, Query()],
    first: Annotated[date, Query(alias="from", description="First day, YYYY-MM-DD (facility-local)")],
    last: Annotated[date, Query(alias="to", description="Last day, inclusive, YYYY-MM-DD")],
) -> Response[AvailabilityView]:
    availability = runtime.dogcare().bookings.availability(_actor(), service_type, first, last)
    return json_response(AvailabilityView.of(availability))


@router.get(
    "/bookings/<id>/cancellation",
    summary="What cancelling the booking now would do (refund by the policy; nothing is written)",
    tags=["bookings"],
    responses=responses(200, CancellationView, 404),
)
def cancellation_preview(id: BookingId) -> Response[CancellationView]:
    return json_response(CancellationView.of(runtime.dogcare().payments.cancellation_preview(_actor(), id)))


@router.get(
    "/bookings/<id>",
    summary="One of the caller's bookings",
    tags=["bookings"],
    responses=responses(200, BookingView, 404),
)
def get_booking(id: BookingId) -> Response[BookingView]:
    booking = runtime.dogcare().bookings.get(_actor(), id)
    return json_response(BookingView.of(booking), 200, booking.version)


@router.put(
    "/bookings/<id>",
    summary="Change times (while pending) or instructions (until check-in)",
    tags=["bookings"],
    responses=responses(200, BookingView, 404, 409, 412, 413, 415, 422),
)
def update_booking(id: BookingId, body: UpdateBooking) -> Response[BookingView]:
    booking = runtime.dogcare().bookings.update(_actor(), id, body, if_match(router))
    return json_response(BookingView.of(booking), 200, booking.version)


@router.delete(
    "/bookings/<id>",
    summary="Cancel a booking (it stays, with status cancelled)",
    tags=["bookings"],
    responses=responses(200, BookingView, 404, 409, 502),
)
def cancel_booking(id: BookingId) -> Response[BookingView]:
    booking = runtime.dogcare().bookings.cancel(_actor(), id)
    count("BookingsCancelled")
    return json_response(BookingView.of(booking), 200, booking.version)


get_app, lambda_handler = lambda_entrypoint(router)
