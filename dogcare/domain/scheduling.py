"""Booking time rules and the calendar days a booking occupies.

Pure functions: given the times, the service and the facility's settings, decide whether a
booking is acceptable, which days it uses of the service's daily capacity, and which days
it appears on the staff roster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dogcare.domain.clock import iso
from dogcare.domain.vocabulary import ServiceType
from dogcare.errors import FieldError, ValidationFailed

MAX_PARKING_HOURS = 12
MAX_BOARDING_NIGHTS = 30


@dataclass(frozen=True)
class Facility:
    timezone: str = "UTC"
    opening_hour: int = 6
    closing_hour: int = 20
    horizon_days: int = 365


@dataclass(frozen=True)
class Stay:
    """What a booking occupies: capacity days (counted per service) and roster days."""

    capacity_days: tuple[date, ...]
    roster_days: tuple[date, ...]
    nights: int


@dataclass(frozen=True)
class Stayplan:
    """What a booking occupies, as recorded on the booking when its times were written.

    Computed once, under the facility's zone of that moment; every later change of the
    booking releases or moves exactly these, whatever the configuration says by then.
    ``interval`` is the exact string put into the dog's schedule item.
    """

    capacity_days: tuple[date, ...]
    roster_days: tuple[date, ...]
    interval: str = ""
    timezone: str = "UTC"


def schedule_interval(start: datetime, end: datetime) -> str:
    """The dog's schedule item entry of a stay (compared byte for byte by reconciliation)."""
    return f"{iso(start)}/{iso(end)}"


def plan_stay(service_type: str, start: datetime, end: datetime, timezone: str) -> Stayplan:
    """The plan a booking with these times records, under ``timezone``."""
    s = stay(service_type, start, end, timezone)
    return Stayplan(s.capacity_days, s.roster_days, schedule_interval(start, end), timezone)


def _within_hours(moment: datetime, facility: Facility) -> bool:
    local = moment.astimezone(ZoneInfo(facility.timezone))
    minutes = local.hour * 60 + local.minute
    return facility.opening_hour * 60 <= minutes <= facility.closing_hour * 60


def check_times(service_type: str, start: datetime, end: datetime, now: datetime, facility: Facility) -> None:
    """Raise ``ValidationFailed`` naming every rule the times break."""
    errors: list[FieldError] = []
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed.field("body.start_time", "times must be ISO 8601 with a UTC offset", "naive_datetime")
    if end <= start:
        errors.append(FieldError("body.end_time", "end_time must be after start_time", "end_before_start"))
    if start < now:
        errors.append(FieldError("body.start_time", "start_time is in the past", "in_past"))
    if start > now + timedelta(days=facility.horizon_days):
        errors.append(
            FieldError("body.start_time", f"bookings open at most {facility.horizon_days} days ahead", "too_far")
        )
    for name, moment in (("start_time", start), ("end_time", end)):
        if not _within_hours(moment, facility):
            errors.append(
                FieldError(
                    f"body.{name}",
                    f"{name} must be within opening hours "
                    f"{facility.opening_hour:02d}:00-{facility.closing_hour:02d}:00 ({facility.timezone})",
                    "outside_opening_hours",
                )
            )
    if not errors:
        tz = ZoneInfo(facility.timezone)
        start_day, end_day = start.astimezone(tz).date(), end.astimezone(tz).date()
        if service_type in (ServiceType.DAYCARE, ServiceType.PARKING) and start_day != end_day:
            # The facility closes at night: only boarding keeps a dog overnight.
            errors.append(FieldError("body.end_time", f"{service_type} starts and ends on the same day", "too_long"))
        elif service_type == ServiceType.PARKING and end - start > timedelta(hours=MAX_PARKING_HOURS):
            errors.append(FieldError("body.end_time", f"parking lasts at most {MAX_PARKING_HOURS} hours", "too_long"))
        elif service_type == ServiceType.BOARDING:
            nights = (end_day - start_day).days
            if nights < 1:
                errors.append(FieldError("body.end_time", "boarding lasts at least one night", "too_short"))
            elif nights > MAX_BOARDING_NIGHTS:
                errors.append(
                    FieldError("body.end_time", f"boarding lasts at most {MAX_BOARDING_NIGHTS} nights", "too_long")
                )
    if errors:
        raise ValidationFailed("the booking times are not acceptable", errors)


def stay(service_type: str, start: datetime, end: datetime, timezone: str) -> Stay:
    tz = ZoneInfo(timezone)
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if service_type == ServiceType.BOARDING:
        nights = tuple(span[:-1]) or (first,)
        return Stay(capacity_days=nights, roster_days=tuple(span), nights=len(nights))
    return Stay(capacity_days=(first,), roster_days=(first,), nights=0)


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end
