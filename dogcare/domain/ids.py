"""Identifiers: ``{entity}-{uuid}``; an owner's id is derived from the token subject."""

from __future__ import annotations

import random
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

# A fixed namespace: the same subject always maps to the same owner id, with no lookup.
_OWNER_NAMESPACE = uuid.UUID("6f1d0f3e-6a8c-4d9e-9c52-1b7d3f2a9e10")


_source: random.Random | None = None


def new_id(prefix: str) -> str:
    if _source is not None:
        return f"{prefix}-{uuid.UUID(int=_source.getrandbits(128), version=4)}"
    return f"{prefix}-{uuid.uuid4()}"


@contextmanager
def deterministic_ids(rng: random.Random) -> Iterator[None]:
    """Draw new ids from ``rng`` (demo data that is the same on every run with one seed)."""
    global _source
    previous, _source = _source, rng
    try:
        yield
    finally:
        _source = previous


# Ids derived from a client's request key: a retried request names the same record.
_REQUEST_NAMESPACE = uuid.UUID("1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b")


def id_for_request(prefix: str, owner_id: str, request_key: str) -> str:
    """The id of the record an owner's keyed request creates: the same on every retry, so a
    retry after a lost answer finds the record the first attempt wrote instead of adding one."""
    name = owner_id + "\x00" + request_key
    return f"{prefix}-{uuid.uuid5(_REQUEST_NAMESPACE, name)}"


def owner_id_for(subject: str) -> str:
    return f"owner-{uuid.uuid5(_OWNER_NAMESPACE, subject)}"


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email).strip().lower()
