"""Key templates: every key is computed here from an entity's fields, never by callers.

Keys are identical in both table layouts; only the table an item lives in changes.
"""

from __future__ import annotations

from datetime import date

PROFILE = "#PROFILE"


def owner_pk(owner_id: str) -> str:
    return f"OWNER#{owner_id}"


def email_pk(email: str) -> str:
    return f"EMAIL#{email}"


EMAIL_SK = "#UNIQUE"
OWNER_DIRECTORY_PK = "OWNERS"


def owner_directory_sk(created_at: str, owner_id: str) -> str:
    return f"{created_at}#{owner_id}"


def dog_pk(dog_id: str) -> str:
    return f"DOG#{dog_id}"


def owner_dog_sk(dog_id: str) -> str:
    return f"DOG#{dog_id}"


SCHEDULE_SK = "#SCHEDULE"


def booking_pk(booking_id: str) -> str:
    return f"BOOKING#{booking_id}"


def timeline_sk(start: str, booking_id: str) -> str:
    """Sort key of a booking in the owner and dog overlays: by start time, then id."""
    return f"BOOKING#{start}#{booking_id}"


def booking_day_sk(day: date) -> str:
    return f"DAY#{day.isoformat()}"


def calendar_pk(day: date) -> str:
    return f"DAY#{day.isoformat()}"


def calendar_sk(service_type: str, start: str, booking_id: str) -> str:
    return f"{service_type}#{start}#{booking_id}"


def capacity_pk(service_type: str, day: date) -> str:
    return f"CAPACITY#{service_type}#{day.isoformat()}"


COUNTER_SK = "#COUNTER"
CAPACITY_CONFIG_PK = "CONFIG#CAPACITY"


def capacity_config_sk(service_type: str) -> str:
    return f"SERVICE#{service_type}"


PENDING_SK = "#PENDING_BOOKINGS"


def payment_pk(payment_id: str) -> str:
    return f"PAYMENT#{payment_id}"


def owner_payment_sk(created_at: str, payment_id: str) -> str:
    return f"PAYMENT#{created_at}#{payment_id}"


def provider_event_pk(event_id: str) -> str:
    return f"PROVIDER_EVENT#{event_id}"


PROCESSED_SK = "#PROCESSED"


def rate_pk(subject: str) -> str:
    return f"RATE#{subject}"


# The rate limiter's callers, in key spaces of their own: a token's subject can never produce
# the key of a source address (a subject "ip:1.2.3.4" is "sub#ip:1.2.3.4").
def rate_subject(subject: str) -> str:
    return f"sub#{subject}"


def rate_address(address: str) -> str:
    return f"ip#{address}"


def rate_sk(window_start: int) -> str:
    return f"WINDOW#{window_start}"


def idempotency_pk(function_name: str) -> str:
    return f"IDEMPOTENCY#{function_name}"
