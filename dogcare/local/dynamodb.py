"""The embedded DynamoDB of local mode: moto's server, applying one request at a time.

moto's DynamoDB backend is not safe under concurrent requests. ``TransactWriteItems``
deep-copies every table it touches before applying its actions and puts the copy back when
the transaction is cancelled, so two requests at once can crash the copy ("dictionary
changed size during iteration", answered as a 500) or, worse, a cancelled transaction can
restore a stale copy and silently drop a write another request made meanwhile.

DynamoDB applies every request atomically (a transaction is serializable against every
other write to its items). Handling moto's requests one at a time gives local mode and the
tests that same guarantee, while clients on many threads still interleave freely between
their requests, exactly where the application's own races live.

With requests applied one at a time, a cancelled transaction only has to undo its own
actions. So, inside this server, moto does not copy whole tables any more: the items a
transaction names are saved before it runs and put back if it is cancelled. That makes a
transaction cost what its items cost instead of growing with the table (with plain moto a
booking takes ~0.1 s against 2,000 items and ~0.2 s against 5,000). Requests reaching moto
any other way (``mock_aws`` in the same process) are not affected.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

_applying = threading.local()  # set on the server thread that holds the lock, for one request
_install_lock = threading.Lock()
_installed: list[bool] = []


def _inside() -> bool:
    return bool(getattr(_applying, "active", False))


class _OneAtATime:
    """A WSGI wrapper that runs the wrapped application for one request at a time."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            _applying.active = True
            try:
                result = self._app(environ, start_response)
                try:
                    return list(result)  # the whole body is produced while the lock is held
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            finally:
                _applying.active = False


# --- transactions: undo by item instead of by table copy ---------------------------------


class _CopyWithoutTables:
    """Stands in for the ``copy`` module in moto's DynamoDB backend: inside this server a table
    is not copied for a rollback (the transaction's items are saved instead); everything else,
    and every request outside this server, is copied as before."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, Table) and _inside():
            return value
        return copy.deepcopy(value, memo)


def _named_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple[Table, Any, Any]]:
    """(table, hash key, range key) of every item a transaction names (those that exist as tables)."""
    found = []
    for entry in transact_items:
        try:
            _, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName"))
            attrs = op["Item"] if "Item" in op else op["Key"]
            hash_key = DynamoType(attrs[table.hash_key_attr]) if table is not None else None
            range_key = DynamoType(attrs[table.range_key_attr]) if table is not None and table.range_key_attr else None
        except (AttributeError, KeyError, StopIteration, TypeError):
            continue  # malformed: moto's own validation answers it
        if table is not None:
            found.append((table, hash_key, range_key))
    return found


def _stored(table: Table, hash_key: Any, range_key: Any) -> Any:
    if range_key is not None:
        return table.items.get(hash_key, {}).get(range_key)
    return table.items.get(hash_key)


def _put_back(table: Table, hash_key: Any, range_key: Any, item: Any) -> None:
    if range_key is not None:
        partition = table.items[hash_key]
        if item is None:
            partition.pop(range_key, None)
            if not partition:
                table.items.pop(hash_key, None)
        else:
            partition[range_key] = item
    elif item is None:
        table.items.pop(hash_key, None)
    else:
        table.items[hash_key] = item


_moto_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if not _inside():
        return _moto_transact_write_items(self, transact_items)
    saved = [(t, h, r, copy.deepcopy(_stored(t, h, r))) for t, h, r in _named_items(self, transact_items)]
    try:
        return _moto_transact_write_items(self, transact_items)
    except BaseException:
        for table, hash_key, range_key, item in reversed(saved):
            _put_back(table, hash_key, range_key, item)
        raise


def _install() -> None:
    with _install_lock:
        if not _installed:
            dynamodb_models.copy = _CopyWithoutTables()  # type: ignore[assignment,attr-defined]
            DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
            _installed.append(True)


class EmbeddedDynamoDB(ThreadedMotoServer):
    """moto's threaded server with requests applied one at a time. ``port=0`` picks a free port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(ip_address=host, port=port, verbose=False)
        _install()

    def _server_entry(self) -> None:
        app = _OneAtATime(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def endpoint(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"
