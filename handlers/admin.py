"""admin: the staff surface. The admin role is checked by the staff service on every call."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from dogcare.commands import CapacityUpdate
from handlers.common import runtime
from handlers.common.http import Cursor, Limit, json_response, responses
from handlers.common.observability import count, lambda_entrypoint
from handlers.common.resolver import identity
from handlers.common.views import BookingView, CapacityView, CareCardView, OwnerView, PageView, RosterEntryView

router = Router()  # type: ignore[no-untyped-call]  # unannotated upstream
BookingId = Annotated[str, Path(min_length=1, max_length=64)]
ServiceType = Literal["daycare", "boarding", "parking"]


@router.get(
    "/admin/bookings",
    summary="The day's roster",
    tags=["staff"],
    responses=responses(200, PageView[RosterEntryView], 400, 403, 422),
)
def roster(
    day: Annotated[date, Query(alias="date", description="YYYY-MM-DD")],
    service_type: Annotated[ServiceType | None, Query()] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response[PageView[RosterEntryView]]:
    page = runtime.dogcare().staff.roster(identity(router).actor, day, service_type, limit, cursor)
    view = PageView[RosterEntryView](items=[RosterEntryView.of(r) for r in page.items], next_cursor=page.next_cursor)
    return json_response(view)


@router.post(
    "/admin/bookings/<id>/check-in",
    summary="Check a dog in",
    tags=["staff"],
    responses=responses(200, BookingView, 403, 404, 409),
)
def check_in(id: BookingId) -> Response[BookingView]:
    booking = runtime.dogcare().staff.check_in(identity(router).actor, id)
    count("CheckIns")
    return json_response(BookingView.of(booking), 200, booking.version)


@router.post(
    "/admin/bookings/<id>/check-out",
    summary="Check a dog out",
    tags=["staff"],
    responses=responses(200, BookingView, 403, 404, 409),
)
def check_out(id: BookingId) -> Response[BookingView]:
    booking = runtime.dogcare().staff.check_out(identity(router).actor, id)
    count("CheckOuts")
    return json_response(BookingView.of(booking), 200, booking.version)


@router.get(
    "/admin/bookings/<id>/care-card",
    summary="A booking's care card: booking, dog (vaccination status per record), owner contact",
    tags=["staff"],
    responses=responses(200, CareCardView, 403, 404),
)
def care_card(id: BookingId) -> Response[CareCardView]:
    return json_response(CareCardView.of(runtime.dogcare().staff.care_card(identity(router).actor, id)))


@router.get(
    "/admin/owners",
    summary="All owners, paginated",
    tags=["staff"],
    responses=responses(200, PageView[OwnerView], 400, 403, 422),
)
def owners(limit: Limit = 20, cursor: Cursor = None) -> Response[PageView[OwnerView]]:
    page = runtime.dogcare().staff.owners_page(identity(router).actor, limit, cursor)
    return json_response(PageView[OwnerView](items=[OwnerView.of(o) for o in page.items], next_cursor=page.next_cursor))


@router.put(
    "/admin/capacity/<service_type>",
    summary="Set a service's daily capacity",
    tags=["staff"],
    responses=responses(200, CapacityView, 403, 413, 415, 422),
)
def set_capacity(service_type: Annotated[ServiceType, Path()], body: CapacityUpdate) -> Response[CapacityView]:
    capacity = runtime.dogcare().staff.set_capacity(identity(router).actor, service_type, body.daily_capacity)
    return json_response(CapacityView(**capacity))


get_app, lambda_handler = lambda_entrypoint(router)
