"""Booking time rules (``check_times``) and the days a booking occupies (``stay``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dogcare.domain.scheduling import (
    MAX_BOARDING_NIGHTS,
    MAX_PARKING_HOURS,
    Facility,
    check_times,
    overlaps,
    stay,
)
from dogcare.errors import ValidationFailed

NOW = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)  # a Monday
FACILITY = Facility()


def at(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2030) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def codes(service: str, start: datetime, end: datetime, facility: Facility = FACILITY) -> list[tuple[str, str]]:
    try:
        check_times(service, start, end, NOW, facility)
    except ValidationFailed as exc:
        return [(e.field, e.code) for e in exc.errors]
    return []


@pytest.mark.parametrize(
    ("service", "start", "end"),
    [
        ("daycare", at(5, 9), at(5, 17)),
        ("daycare", at(4, 8), at(4, 20)),  # starts right now, ends at closing time
        ("daycare", at(5, 6), at(5, 20)),  # opening and closing minutes are inside
        ("parking", at(5, 7), at(5, 7) + timedelta(hours=MAX_PARKING_HOURS)),
        ("parking", at(5, 9), at(5, 9, 30)),
        ("boarding", at(5, 9), at(6, 9)),
        ("boarding", at(5, 9), at(5, 9) + timedelta(days=MAX_BOARDING_NIGHTS)),
    ],
)
def test_acceptable_times(service: str, start: datetime, end: datetime) -> None:
    assert codes(service, start, end) == []


def test_end_before_start() -> None:
    assert codes("daycare", at(5, 12), at(5, 9)) == [("body.end_time", "end_before_start")]
    assert codes("daycare", at(5, 12), at(5, 12)) == [("body.end_time", "end_before_start")]


def test_start_in_the_past() -> None:
    assert codes("daycare", at(4, 7, 59), at(4, 12)) == [("body.start_time", "in_past")]


def test_beyond_the_booking_horizon() -> None:
    start = NOW + timedelta(days=365, hours=1)
    assert codes("daycare", start, start + timedelta(hours=1)) == [("body.start_time", "too_far")]
    start = NOW + timedelta(days=365)
    assert codes("daycare", start, start + timedelta(hours=1)) == []
    short = Facility(horizon_days=7)
    assert codes("daycare", at(12, 9), at(12, 10), short) == [("body.start_time", "too_far")]


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        (at(5, 5, 59), at(5, 12), ["body.start_time"]),
        (at(5, 9), at(5, 20, 1), ["body.end_time"]),
        (at(5, 21), at(5, 22), ["body.start_time", "body.end_time"]),
        (at(5, 3), at(5, 23), ["body.start_time", "body.end_time"]),
    ],
)
def test_outside_opening_hours(start: datetime, end: datetime, fields: list[str]) -> None:
    assert codes("daycare", start, end) == [(f, "outside_opening_hours") for f in fields]


def test_opening_hours_are_local_to_the_facility() -> None:
    berlin = Facility(timezone="Europe/Berlin")  # UTC+1 in March
    assert codes("daycare", at(5, 5, 30), at(5, 18), berlin) == []  # 06:30-19:00 local
    assert codes("daycare", at(5, 19, 30), at(5, 19, 45), berlin) == [
        ("body.start_time", "outside_opening_hours"),
        ("body.end_time", "outside_opening_hours"),
    ]


def test_every_broken_rule_is_reported() -> None:
    assert codes("daycare", at(3, 22), at(3, 21)) == [
        ("body.end_time", "end_before_start"),
        ("body.start_time", "in_past"),
        ("body.start_time", "outside_opening_hours"),
        ("body.end_time", "outside_opening_hours"),
    ]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationFailed) as info:
        check_times("daycare", datetime(2030, 3, 5, 9), datetime(2030, 3, 5, 10), NOW, FACILITY)
    assert info.value.errors[0].code == "naive_datetime"


def test_daycare_starts_and_ends_the_same_day() -> None:
    assert codes("daycare", at(5, 9), at(6, 9)) == [("body.end_time", "too_long")]


def test_parking_lasts_at_most_12_hours() -> None:
    assert codes("parking", at(5, 7), at(5, 19, 1)) == [("body.end_time", "too_long")]
    assert codes("parking", at(5, 19), at(6, 7, 1)) == [("body.end_time", "too_long")]


def test_boarding_lasts_one_to_thirty_nights() -> None:
    assert codes("boarding", at(5, 9), at(5, 18)) == [("body.end_time", "too_short")]
    start = at(5, 9)
    assert codes("boarding", start, start + timedelta(days=MAX_BOARDING_NIGHTS + 1)) == [("body.end_time", "too_long")]


def test_boarding_stay_uses_nights_for_capacity_and_every_day_for_the_roster() -> None:
    s = stay("boarding", at(5, 9), at(8, 11), "UTC")
    assert s.capacity_days == (date(2030, 3, 5), date(2030, 3, 6), date(2030, 3, 7))
    assert s.roster_days == (date(2030, 3, 5), date(2030, 3, 6), date(2030, 3, 7), date(2030, 3, 8))
    assert s.nights == 3


def test_thirty_night_stay() -> None:
    start = at(5, 9)
    s = stay("boarding", start, start + timedelta(days=30), "UTC")
    assert (len(s.capacity_days), len(s.roster_days), s.nights) == (30, 31, 30)


@pytest.mark.parametrize("service", ["daycare", "parking"])
def test_day_services_use_one_day(service: str) -> None:
    s = stay(service, at(5, 9), at(5, 17), "UTC")
    assert s.capacity_days == s.roster_days == (date(2030, 3, 5),)
    assert s.nights == 0


def test_stay_days_are_local_days() -> None:
    s = stay("daycare", at(4, 23, 30), at(5, 1), "Asia/Tokyo")  # 08:30-10:00 on the 5th in Tokyo
    assert s.capacity_days == (date(2030, 3, 5),)
    s = stay("boarding", at(4, 23), at(6, 1), "Asia/Tokyo")  # 5th 08:00 -> 6th 10:00 Tokyo
    assert s.capacity_days == (date(2030, 3, 5),)
    assert s.roster_days == (date(2030, 3, 5), date(2030, 3, 6))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((at(5, 9), at(5, 12)), (at(5, 11), at(5, 13)), True),
        ((at(5, 9), at(5, 12)), (at(5, 10), at(5, 11)), True),
        ((at(5, 9), at(5, 12)), (at(5, 12), at(5, 13)), False),  # touching is not overlapping
        ((at(5, 9), at(5, 12)), (at(5, 7), at(5, 9)), False),
        ((at(5, 9), at(8, 9)), (at(6, 9), at(6, 17)), True),
    ],
)
def test_overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime], expected: bool) -> None:
    assert overlaps(*a, *b) is expected
    assert overlaps(*b, *a) is expected
