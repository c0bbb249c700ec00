"""A labelled TransactWriteItems builder: failures come back as the labels that failed.

DynamoDB reports a cancelled transaction as one reason per action, in request order.
PynamoDB sends condition checks, then deletes, puts and updates; this builder keeps the
labels in that same order so a repository can say *which* rule stopped the write.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from dogcare.errors import LimitReached
from dogcare.storage.store import Store, storage_errors

MAX_ITEMS = 100  # DynamoDB's limit of actions in one transaction


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

    def commit(self, token: str | None = None) -> None:
        if len(self) > MAX_ITEMS:
            raise LimitReached(f"this change touches {len(self)} records, more than one atomic write allows")
        self._store.share_connection()
        from pynamodb.transactions import TransactWrite

        tx = TransactWrite(connection=self._store.connection, client_request_token=token)
        for _, (model, hash_key, range_key, condition) in self._checks:
            tx.condition_check(model, hash_key, range_key, condition=condition)
        for _, (item, condition, versioned) in self._deletes:
            tx.delete(item, condition=condition, add_version_condition=versioned)
        for _, (item, condition) in self._puts:
            tx.save(item, condition=condition)
        for _, (item, actions, condition, versioned) in self._updates:
            tx.update(item, actions, condition=condition, add_version_condition=versioned)
        try:
            with storage_errors():
                tx._commit()
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            codes = [r.code if r is not None else None for r in reasons]
            failed = [
                label for label, code in zip(self.labels(), codes, strict=False) if code == "ConditionalCheckFailed"
            ]
            if failed:
                raise TransactionFailed(failed, codes) from exc
            raise
