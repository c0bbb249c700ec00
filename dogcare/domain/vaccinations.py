"""Vaccination status, derived from the records and the required set (never stored by callers)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from dogcare.domain.model import Dog, Vaccination

UP_TO_DATE = "up-to-date"
EXPIRING = "expiring"
EXPIRED = "expired"
MISSING = "missing"


def latest_expiry(records: Iterable[Vaccination]) -> dict[str, date]:
    """The furthest expiry per vaccine name (a newer shot supersedes an older one)."""
    best: dict[str, date] = {}
    for record in records:
        name = record.name.strip().lower()
        if name not in best or record.expires_on > best[name]:
            best[name] = record.expires_on
    return best


def vaccination_status(
    records: Iterable[Vaccination], required: Iterable[str], today: date, expiring_days: int = 30
) -> str:
    expiries = latest_expiry(records)
    required_names = [name.lower() for name in required]
    if any(name not in expiries for name in required_names):
        return MISSING
    if any(expiries[name] < today for name in required_names):
        return EXPIRED
    horizon = today + timedelta(days=expiring_days)
    if any(expiries[name] <= horizon for name in required_names):
        return EXPIRING
    return UP_TO_DATE


def lapses_before(records: Iterable[Vaccination], required: Iterable[str], through: date) -> list[str]:
    """Required vaccines that are missing or expire before ``through`` (the booking's last day)."""
    expiries = latest_expiry(records)
    return [name for name in (r.lower() for r in required) if name not in expiries or expiries[name] < through]


def assessed_status(dog: Dog) -> str:
    """The status a service assessed; ``ValueError`` (a bug) for a dog as storage returned it."""
    if dog.vaccination_status is None:
        raise ValueError(f"dog {dog.id} was not assessed (VaccinationRules.assess)")
    return dog.vaccination_status


@dataclass(frozen=True)
class VaccinationRules:
    """The facility's required vaccines and how early a coming expiry is flagged."""

    required: tuple[str, ...]
    expiring_days: int = 30

    def assess(self, dog: Dog, today: date) -> Dog:
        """``dog`` with its vaccination status as of ``today`` (stored dogs carry none)."""
        status = vaccination_status(dog.vaccinations, self.required, today, self.expiring_days)
        return replace(dog, vaccination_status=status)

    def record_status(self, record: Vaccination, today: date) -> str:
        """One record's own status: the rule asked of that vaccine alone (the care card)."""
        return vaccination_status([record], [record.name], today, self.expiring_days)

    def lapsed(self, dog: Dog, through: date) -> list[str]:
        """The required vaccines missing or expiring before ``through``."""
        return lapses_before(dog.vaccinations, self.required, through)
