"""The live server the browser journeys talk to.

On SQLite the test database lives in memory, and the live server's request
threads use the test thread's own connection to it. A connection's
transaction state (in_atomic_block, savepoints) is not thread-safe: two
requests inside atomic blocks at once, or a late request beside the test's
teardown flush, leave the connection inside a broken block, and every later
test fails with TransactionManagementError (it happened in CI on a loaded
machine). So on a shared connection the server answers one request at a
time, and the test command's teardown hook (conftest.py) waits for the
request in flight. A request that was still waiting for the connection when
its test was torn down is answered 503 and never reaches the database: its
page is gone, and running it would overlap the next test's set-up.
"""

from __future__ import annotations

import os
import threading

SHARED_CONNECTION = threading.RLock()
_test_generation = [0]


def end_of_test() -> None:
    """Mark requests that arrived so far as stale; call with the lock held."""
    _test_generation[0] += 1


def _one_request_at_a_time(app):
    def serialized(environ, start_response):
        arrived = _test_generation[0]
        with SHARED_CONNECTION:
            if arrived != _test_generation[0]:
                start_response(
                    "503 Service Unavailable", [("Content-Type", "text/plain")]
                )
                return [b"the test that sent this request is over"]
            response = app(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                if hasattr(response, "close"):
                    response.close()

    return serialized


def start_live_server(addr: str | None = None, *, rush_gate: bool = False):
    """Start pytest-django's LiveServer; `rush_gate` puts the gate in front as
    `quarter serve` does. Stop it with `.stop()`."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer
    from pytest_django.live_server_helper import LiveServer

    class SerializedServer(ThreadedWSGIServer):
        def set_app(self, application):
            super().set_app(_one_request_at_a_time(application))

    addr = addr or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr, start=False)
    if rush_gate:
        from quarter.vouchers.rushgate import RushGate

        server.thread.static_handler = lambda app: RushGate(StaticFilesHandler(app))
    if server.thread.connections_override:
        server.thread.server_class = SerializedServer
    server.start()
    return server
