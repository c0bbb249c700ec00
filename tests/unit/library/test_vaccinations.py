"""Vaccination status: derived from the records, the required set and today's date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dogcare.domain.model import Vaccination
from dogcare.domain.vaccinations import (
    EXPIRED,
    EXPIRING,
    MISSING,
    UP_TO_DATE,
    lapses_before,
    latest_expiry,
    vaccination_status,
)

TODAY = date(2030, 3, 4)
REQUIRED = ("rabies", "dhpp", "bordetella")


def records(**expiries: date) -> list[Vaccination]:
    return [Vaccination(name, when) for name, when in expiries.items()]


def all_valid_until(when: date) -> list[Vaccination]:
    return records(rabies=when, dhpp=when, bordetella=when)


def test_up_to_date_when_every_required_vaccine_is_valid_beyond_the_window() -> None:
    assert vaccination_status(all_valid_until(TODAY + timedelta(days=31)), REQUIRED, TODAY) == UP_TO_DATE


@pytest.mark.parametrize("days", [0, 1, 15, 30])
def test_expiring_within_30_days(days: int) -> None:
    recs = [*all_valid_until(date(2031, 1, 1))[:2], Vaccination("bordetella", TODAY + timedelta(days=days))]
    assert vaccination_status(recs, REQUIRED, TODAY) == EXPIRING


def test_expiring_window_is_configurable() -> None:
    recs = all_valid_until(TODAY + timedelta(days=10))
    assert vaccination_status(recs, REQUIRED, TODAY, expiring_days=7) == UP_TO_DATE
    assert vaccination_status(recs, REQUIRED, TODAY, expiring_days=10) == EXPIRING


def test_expired_when_any_required_vaccine_expired_before_today() -> None:
    recs = [*all_valid_until(date(2031, 1, 1))[1:], Vaccination("rabies", TODAY - timedelta(days=1))]
    assert vaccination_status(recs, REQUIRED, TODAY) == EXPIRED


def test_missing_when_a_required_vaccine_has_no_record() -> None:
    recs = records(rabies=date(2031, 1, 1), dhpp=date(2031, 1, 1))
    assert vaccination_status(recs, REQUIRED, TODAY) == MISSING
    assert vaccination_status([], REQUIRED, TODAY) == MISSING


def test_missing_outranks_expired() -> None:
    recs = records(rabies=TODAY - timedelta(days=100))
    assert vaccination_status(recs, REQUIRED, TODAY) == MISSING


def test_extra_vaccines_do_not_matter() -> None:
    recs = [*all_valid_until(date(2031, 1, 1)), Vaccination("leptospirosis", TODAY - timedelta(days=400))]
    assert vaccination_status(recs, REQUIRED, TODAY) == UP_TO_DATE


def test_newest_record_wins_whatever_the_order() -> None:
    old, new = TODAY - timedelta(days=200), TODAY + timedelta(days=200)
    base = all_valid_until(date(2031, 1, 1))[1:]
    for recs in (
        [Vaccination("rabies", old), Vaccination("rabies", new)],
        [Vaccination("rabies", new), Vaccination("rabies", old)],
    ):
        assert vaccination_status([*base, *recs], REQUIRED, TODAY) == UP_TO_DATE
        assert latest_expiry(recs)["rabies"] == new


def test_names_are_compared_case_insensitively() -> None:
    recs = records(Rabies=date(2031, 1, 1), DHPP=date(2031, 1, 1), bordetella=date(2031, 1, 1))
    assert vaccination_status(recs, ("RABIES", "dhpp", "Bordetella"), TODAY) == UP_TO_DATE
    assert latest_expiry([Vaccination(" Rabies ", TODAY)]) == {"rabies": TODAY}


def test_lapses_before_lists_missing_and_expiring_before_the_last_day() -> None:
    recs = records(rabies=date(2030, 3, 10), dhpp=date(2030, 3, 7))
    assert lapses_before(recs, REQUIRED, date(2030, 3, 7)) == ["bordetella"]
    assert lapses_before(recs, REQUIRED, date(2030, 3, 8)) == ["dhpp", "bordetella"]
    assert lapses_before(recs, REQUIRED, date(2030, 3, 11)) == ["rabies", "dhpp", "bordetella"]
    assert lapses_before(all_valid_until(date(2030, 3, 11)), REQUIRED, date(2030, 3, 11)) == []
