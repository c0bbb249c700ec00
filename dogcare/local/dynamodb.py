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
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


class _OneAtATime:
    """A WSGI wrapper that runs the wrapped application for one request at a time."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            result = self._app(environ, start_response)
            try:
                return list(result)  # the whole body is produced while the lock is held
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


class EmbeddedDynamoDB(ThreadedMotoServer):
    """moto's threaded server with requests applied one at a time. ``port=0`` picks a free port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(ip_address=host, port=port, verbose=False)

    def _server_entry(self) -> None:
        app = _OneAtATime(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def endpoint(self) -> str:
        host, port = self.get_host_and_port()
        return f"http://{host}:{port}"
