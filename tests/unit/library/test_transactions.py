"""How a failed TransactWriteItems is read: the caller's rule, a new attempt, a re-send, or a bug."""

from __future__ import annotations

import pytest
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

from dogcare.errors import StorageUnavailable
from dogcare.storage.store import is_transient, storage_errors
from dogcare.storage.transactions import classify


def failed(code: str, *reasons: str | None) -> TransactWriteError:
    cause = VerboseClientError(
        {"Error": {"Code": code, "Message": "injected"}},
        "TransactWriteItems",
        cancellation_reasons=[CancellationReason(code=r) if r else None for r in reasons],
    )
    return TransactWriteError("Failed to write transaction items", cause)


CANCELLED = "TransactionCanceledException"


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (failed(CANCELLED, None, "TransactionConflict"), "new-attempt"),
        (failed(CANCELLED, "ThrottlingError", None), "new-attempt"),
        (failed(CANCELLED, "TransactionConflict", "ProvisionedThroughputExceeded"), "new-attempt"),
        # A false condition is the caller's, even beside a conflict on another action.
        (failed(CANCELLED, "ConditionalCheckFailed", "TransactionConflict"), "rule"),
        (failed(CANCELLED, None, "ConditionalCheckFailed"), "rule"),
        (failed(CANCELLED, "ItemCollectionSizeLimitExceeded"), "fatal"),
        (failed(CANCELLED, "ValidationError"), "fatal"),
        (failed(CANCELLED), "fatal"),  # cancelled without reasons: not something a retry mends
        (failed("TransactionInProgressException"), "resend"),
        (failed("ProvisionedThroughputExceededException"), "resend"),
        (failed("ThrottlingException"), "resend"),
        (failed("InternalServerError"), "resend"),
        (TransactWriteError("no answer", ConnectionClosedError(endpoint_url="http://db")), "resend"),
        (TransactWriteError("no answer", ReadTimeoutError(endpoint_url="http://db")), "resend"),
        (failed("ValidationException"), "fatal"),
        (failed("IdempotentParameterMismatchException"), "fatal"),
    ],
)
def test_classify(error: TransactWriteError, outcome: str) -> None:
    assert classify(error) == outcome


def test_a_conflict_is_never_a_conflict_error_for_the_caller() -> None:
    """``storage_errors`` (used around single requests) reads a cancellation the same way: a
    conflict is the database being busy (503), a false condition is passed on."""
    with pytest.raises(StorageUnavailable), storage_errors():
        raise failed(CANCELLED, None, "TransactionConflict")
    with pytest.raises(StorageUnavailable), storage_errors():
        raise failed("TransactionInProgressException")
    with pytest.raises(TransactWriteError), storage_errors():
        raise failed(CANCELLED, "ConditionalCheckFailed", "TransactionConflict")


def test_the_api_reads_a_conflict_as_transient_and_a_false_condition_as_not() -> None:
    """``is_transient`` decides between a 503 and a 500 for an error that escaped a handler."""
    assert is_transient(failed(CANCELLED, None, "TransactionConflict"))
    assert is_transient(failed("TransactionInProgressException"))
    assert not is_transient(failed(CANCELLED, "ConditionalCheckFailed", "TransactionConflict"))
    assert not is_transient(failed("ValidationException"))
