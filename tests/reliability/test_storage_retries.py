"""The library's own retries, request by request, behind the fault layer: which token each
transaction attempt carries, how many attempts there are, and batch reads and writes failing
closed."""

from __future__ import annotations

from typing import Any

import pytest

from dogcare.commands import RegisterOwner
from dogcare.domain.actor import Actor
from dogcare.errors import StorageUnavailable
from dogcare.facade import Dogcare
from dogcare.storage import keys
from dogcare.storage.batch import batch_get, batch_write
from tests.faults import CONFLICT, LOST, PARTIAL, THROTTLED, FaultProxy
from tests.reliability.conftest import AppFactory, scan_all
from tests.reliability.faults import no_backoff

pytestmark = pytest.mark.server


@pytest.fixture
def app(make_app: AppFactory, faults: FaultProxy, monkeypatch: pytest.MonkeyPatch) -> Dogcare:
    no_backoff(monkeypatch)  # what is sent is under test here, not how long it waits
    return make_app(dynamodb_endpoint=faults.endpoint)


def tokens(app: Dogcare) -> list[str]:
    """The ClientRequestToken of every TransactWriteItems call the library makes (botocore's own
    retries re-send the same serialized request, so the same token)."""
    seen: list[str] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "TransactWriteItems":
            seen.append(params["ClientRequestToken"])

    app.store.client.meta.events.register("provide-client-params.dynamodb", record)
    return seen


def everything(app: Dogcare) -> list[dict[str, Any]]:
    return scan_all(app.store.client, sorted(app.store.layout.tables()))


@pytest.mark.parametrize("kind", [CONFLICT, THROTTLED])
def test_a_cancelled_transaction_is_tried_five_times_each_with_a_new_token_then_503(
    app: Dogcare, faults: FaultProxy, kind: str
) -> None:
    sent = tokens(app)
    faults.configure(rates={"TransactWriteItems": {kind: 1.0}})
    with pytest.raises(StorageUnavailable, match="nothing was written"):
        app.owners.register(Actor("always-busy"), RegisterOwner(name="Ana"), "busy@example.com")
    # botocore never retries a cancellation: each attempt is one request, a new transaction.
    assert faults.requests["TransactWriteItems"] == 5
    assert len(sent) == 5 and len(set(sent)) == 5
    faults.off()
    assert everything(app) == []


def test_a_conflict_then_success_writes_once(app: Dogcare, faults: FaultProxy) -> None:
    faults.configure(rates={"TransactWriteItems": {CONFLICT: 1.0}}, limit={"TransactWriteItems:conflict": 3})
    owner = app.owners.register(Actor("busy-then-free"), RegisterOwner(name="Ana"), "free@example.com")
    assert faults.requests["TransactWriteItems"] == 4
    assert app.owners.profile(Actor("busy-then-free")) == owner


def test_lost_answers_are_resent_with_the_same_token(app: Dogcare, faults: FaultProxy) -> None:
    sent = tokens(app)
    faults.configure(rates={"TransactWriteItems": {LOST: 1.0}}, limit={"TransactWriteItems:lost": 6})
    app.owners.register(Actor("lossy"), RegisterOwner(name="Ana"), "lossy@example.com")
    # Four tries by botocore, then the library's second call: two more lost, then the answer.
    assert faults.requests["TransactWriteItems"] == 7
    assert len(sent) == 2 and set(sent) == {sent[0]}
    assert faults.replayed == 6  # applied by the first send only
    assert app.owners.profile(Actor("lossy")).version == 1


def test_a_false_condition_is_not_retried(app: Dogcare, faults: FaultProxy) -> None:
    app.owners.register(Actor("first"), RegisterOwner(name="Ana"), "same@example.com")
    faults.configure()
    from dogcare.errors import DuplicateEmail

    with pytest.raises(DuplicateEmail):
        app.owners.register(Actor("second"), RegisterOwner(name="Bob"), "same@example.com")
    assert faults.requests["TransactWriteItems"] == 1


# --- batches ---------------------------------------------------------------------------------


def put_owners(app: Dogcare, n: int) -> list[tuple[str, str, str]]:
    table = app.store.layout.table_name("owners")
    items = [{"pk": {"S": f"T#{i:03d}"}, "sk": {"S": "#"}, "n": {"N": str(i)}} for i in range(n)]
    assert batch_write(app.store, table, items) == n
    return [(table, f"T#{i:03d}", "#") for i in range(n)]


def test_batch_reads_retry_unprocessed_keys_and_read_everything(app: Dogcare, faults: FaultProxy) -> None:
    wanted = put_owners(app, 140)  # two BatchGetItem requests of at most 100 keys
    faults.configure(seed=4, rates={"BatchGetItem": {PARTIAL: 0.5}})
    found = batch_get(app.store, [*wanted, (wanted[0][0], "T#absent", "#")])
    assert sorted(found) == sorted(wanted)  # the absent key was read and is absent
    assert faults.injected["BatchGetItem:partial"] >= 1


def test_batch_reads_left_unprocessed_fail_closed(app: Dogcare, faults: FaultProxy) -> None:
    wanted = put_owners(app, 10)
    faults.configure(rates={"BatchGetItem": {PARTIAL: 1.0}})
    with pytest.raises(StorageUnavailable, match=r"\(\d+ records could not be read\)"):
        batch_get(app.store, wanted)


def test_batch_writes_retry_unprocessed_items(app: Dogcare, faults: FaultProxy) -> None:
    faults.configure(seed=9, rates={"BatchWriteItem": {PARTIAL: 0.5}})
    wanted = put_owners(app, 60)
    assert faults.injected["BatchWriteItem:partial"] >= 1
    faults.off()
    assert sorted(i["pk"] for i in everything(app)) == [k[1] for k in wanted]
    deleted = batch_write(app.store, wanted[0][0], deletes=[(pk, sk) for _, pk, sk in wanted[:30]])
    assert deleted == 30 and len(everything(app)) == 30


def test_batch_writes_left_unprocessed_fail_closed_and_say_how_many(app: Dogcare, faults: FaultProxy) -> None:
    faults.configure(seed=1, rates={"BatchWriteItem": {PARTIAL: 1.0}})
    table = app.store.layout.table_name("owners")
    items = [{"pk": {"S": keys.owner_pk(f"x{i}")}, "sk": {"S": "#"}} for i in range(30)]
    with pytest.raises(StorageUnavailable, match=r"\(\d+ records were not written\)"):
        batch_write(app.store, table, items)
