"""Identifiers: ``{entity}-{uuid}``; an owner's id is derived from the token subject."""

from __future__ import annotations

import unicodedata
import uuid

# A fixed namespace: the same subject always maps to the same owner id, with no lookup.
_OWNER_NAMESPACE = uuid.UUID("6f1d0f3e-6a8c-4d9e-9c52-1b7d3f2a9e10")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


def owner_id_for(subject: str) -> str:
    return f"owner-{uuid.uuid5(_OWNER_NAMESPACE, subject)}"


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email).strip().lower()
