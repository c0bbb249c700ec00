"""A labelled TransactWriteItems builder: failures come back as the labels that failed.

DynamoDB reports a cancelled transaction as one reason per action, in request order.
PynamoDB sends condition checks, then deletes, puts and updates; this builder keeps the
labels in that same order so a repository can say *which* rule stopped the write.

``commit`` also absorbs what DynamoDB does under ordinary load, so that a caller only ever
hears about its *own* rules (``TransactionFailed``: a ``ConditionalCheckFailed`` on a
labelled action) or about the database being unavailable (``StorageUnavailable``, a 503):

* cancelled with only ``TransactionConflict`` / throttling reasons: nothing was written, so a
  new attempt goes out (with a new ``ClientRequestToken``: it is a new transaction);
* ``TransactionInProgressException``, throttling, or no answer at all (a lost response, which
  may have been applied): re-sent with the *same* token, so DynamoDB applies it at most once
  and answers a replay of an applied one with its success;

all with the one backoff policy of ``dogcare.storage.retry``. botocore has already retried the
second group on its own (with the same token); it never retries a cancellation.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from dogcare.errors import LimitReached, StorageUnavailable
from dogcare.storage import retry
from dogcare.storage.retry import Backoff
from dogcare.storage.store import NETWORK_ERRORS, TRANSIENT_CODES, TRANSIENT_REASONS, Store, response_code

MAX_ITEMS = 100  # DynamoDB's limit of actions in one transaction
# Reasons that say "not now" about an action, not "your condition is false".
RETRYABLE_REASONS = TRANSIENT_REASONS | {"TransactionConflict"}
Outcome = Literal["rule", "new-attempt", "resend", "fatal"]


def classify(exc: TransactWriteError) -> Outcome:
    """What a failed TransactWriteItems means for the caller.

    ``rule``: a condition of the caller's own is false (at least one ``ConditionalCheckFailed``;
    any conflict beside it does not make the condition true). ``new-attempt``: cancelled for
    conflicts or throttling only, nothing written. ``resend``: the same request again (in
    progress, throttled, or no answer). ``fatal``: anything else (a bug: validation, size).
    """
    codes = [r.code for r in (exc.cancellation_reasons or []) if r is not None]
    if "ConditionalCheckFailed" in codes:
        return "rule"
    code = response_code(exc)
    if code == "TransactionCanceledException":
        return "new-attempt" if codes and all(c in RETRYABLE_REASONS for c in codes) else "fatal"
    if code == "TransactionInProgressException" or code in TRANSIENT_CODES or isinstance(exc.cause, NETWORK_ERRORS):
        return "resend"
    return "fatal"


def new_token() -> str:
    return str(uuid.uuid4())


class TransactionFailed(Exception):
    def __init__(self, failed: list[str], codes: list[str | None]) -> None:
        super().__init__(f"transaction cancelled by {failed}")
        self.failed = failed
        self.codes = codes


class Tx:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._checks: list[tuple[str, Any]] = []
        self._deletes: list[tuple[str, Any]] = []
        self._puts: list[tuple[str, Any]] = []
        self._updates: list[tuple[str, Any]] = []

    def __len__(self) -> int:
        return len(self._checks) + len(self._deletes) + len(self._puts) + len(self._updates)

    def check(self, label: str, model: type[Model], hash_key: str, range_key: str, condition: Condition) -> None:
        self._checks.append((label, (model, hash_key, range_key, condition)))

    def delete(self, label: str, item: Model, condition: Condition | None = None, versioned: bool = True) -> None:
        self._deletes.append((label, (item, condition, versioned)))

    def put(self, label: str, item: Model, condition: Condition | None = None) -> None:
        self._puts.append((label, (item, condition)))

    def update(
        self, label: str, item: Model, actions: list[Action], condition: Condition | None = None, versioned: bool = True
    ) -> None:
        self._updates.append((label, (item, actions, condition, versioned)))

    def labels(self) -> list[str]:
        return [label for label, _ in (*self._checks, *self._deletes, *self._puts, *self._updates)]

    def commit(self, token: str | None = None, backoff: Backoff | None = None) -> None:
        """Write every action or none; retried as the module says, within ``backoff``'s budget.

        Raises ``TransactionFailed`` (the labels whose condition was false) or
        ``StorageUnavailable`` once the budget is spent."""
        if len(self) > MAX_ITEMS:
            raise LimitReached(f"this change touches {len(self)} records, more than one atomic write allows")
        self._store.share_connection()
        token = token or new_token()
        last: TransactWriteError | None = None
        for _ in (backoff or retry.DEFAULT_BACKOFF).tries():
            try:
                self._send(token)
                return
            except TransactWriteError as exc:
                last = exc
                outcome = classify(exc)
                if outcome == "rule":
                    codes = [r.code if r is not None else None for r in (exc.cancellation_reasons or [])]
                    failed = [
                        label
                        for label, code in zip(self.labels(), codes, strict=False)
                        if code == "ConditionalCheckFailed"
                    ]
                    raise TransactionFailed(failed, codes) from exc
                if outcome == "fatal":
                    raise
                if outcome == "new-attempt":
                    token = new_token()  # a cancelled transaction wrote nothing: this is a new one
        assert last is not None
        if isinstance(last.cause, NETWORK_ERRORS):
            # No answer to any try: it may have been applied (once, thanks to the token).
            raise StorageUnavailable(
                "the database did not answer; the change may have been saved, please retry"
            ) from last
        raise StorageUnavailable("the database is busy; nothing was written, please retry") from last

    def _send(self, token: str) -> None:
        from pynamodb.transactions import TransactWrite

        tx = TransactWrite(connection=self._store.connection, client_request_token=token)
        for _, (model, hash_key, range_key, condition) in self._checks:
            tx.condition_check(model, hash_key, range_key, condition=condition)
        for _, (item, condition, versioned) in self._deletes:
            tx.delete(item, condition=condition, add_version_condition=versioned)
        for _, (item, condition) in self._puts:
            tx.save(item, condition=condition)
        for _, (item, actions, condition, versioned) in self._updates:
            # A copy: PynamoDB appends the version increment to the list it is given, and a
            # retried transaction is built again from the same actions.
            tx.update(item, list(actions), condition=condition, add_version_condition=versioned)
        tx._commit()
