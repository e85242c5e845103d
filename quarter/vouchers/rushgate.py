"""A lean WSGI callable in front of Django for the claim rush.

``POST /vouchers/rush/<round>/claim`` with header ``X-Rush-Ticket`` — what the
resident's button sends (``static/vouchers/rush.js``) — is answered here
without Django's request stack, by the one claim service every entry point
uses: `services.claims.claim_with_ticket` (one HMAC check of the ticket, then
`submit_claim`: with Redis one Lua script and no database access, with the
database engine one short transaction of plain SQL), answered by
`answers.claim_answer`, the same function the API and the fallback view use.

Every other request goes to Django unchanged. Without the gate (runserver)
the same URL is served by Django's `views.rush_claim`, which calls the same
two functions.

The ticket travels in a custom header, which a cross-site form cannot send,
so the path needs no CSRF cookie. Serve with
``granian --interface wsgi quarter.vouchers.rushgate:application``
(`quarter serve` does; the browser journeys serve it too).
"""

from __future__ import annotations

import json
import os
import re

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quarter.settings")

from http import HTTPStatus  # noqa: E402

from django.core import signals  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connections  # noqa: E402

from quarter.core.clientip import client_ip_of  # noqa: E402
from quarter.core.errors import DomainError  # noqa: E402

_PATH = re.compile(r"^/vouchers/rush/(\d+)/claim$")
_JSON = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    # Which path answered: operators (and the browser journeys) can tell.
    ("X-Claim-Path", "gate"),
]


class RushGate:
    def __init__(self, app) -> None:
        from quarter.vouchers.engines import get_engine

        self.app = app
        # Fail at start-up, not mid-rush, if Redis would not fsync before replying.
        engine = get_engine()
        if hasattr(engine, "check_durability"):
            engine.check_durability()

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        match = _PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        return self._claim(int(match.group(1)), environ, start_response)

    def _claim(self, round_id: int, environ, start_response):
        from quarter.vouchers.answers import claim_answer
        from quarter.vouchers.services.claims import claim_with_ticket

        # The signals Django's own handler sends recycle database connections
        # that are too old or broken. With Redis a claim opens none (a round
        # rebuilt after a Redis loss does), so they are sent only around a
        # connection that is open.
        if _database_open():
            signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            try:
                result = claim_with_ticket(
                    ticket=environ.get("HTTP_X_RUSH_TICKET", ""),
                    round_id=round_id,
                    ip=client_ip_of(environ),
                    device=environ.get("HTTP_X_DEVICE_ID", ""),
                )
            except DomainError as exc:
                result = exc
            status, body = claim_answer(result)
        finally:
            if _database_open():
                signals.request_finished.send(sender=self.__class__)
        return _reply(start_response, status, body)


def _database_open() -> bool:
    return any(
        conn.connection is not None for conn in connections.all(initialized_only=True)
    )


def _reply(start_response, status: int, body: dict):
    data = json.dumps(body, ensure_ascii=False).encode()
    line = f"{status} {HTTPStatus(status).phrase}"
    start_response(line, [*_JSON, ("Content-Length", str(len(data)))])
    return [data]


application = RushGate(get_wsgi_application())
