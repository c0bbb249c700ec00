"""Vaccination status, derived from the records and the required set (never stored by callers)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from dogcare.domain.model import Vaccination

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
