"""A lean WSGI callable in front of Django for the claim rush.

``POST /vouchers/rush/<round>/claim`` with header ``X-Rush-Ticket`` is answered
here without Django's request stack: the ticket (issued on the countdown page
after the eligibility checks, see `services.claims.issue_rush_ticket`) is
checked with one HMAC, then

- with Redis, one Lua script does rate limits, release time, stock,
  one-per-resident, one-per-person, one-per-week and appends the claim to the
  round's stream, all atomically;
- with the database engine, `services.claims.claim_with_ticket` does the same
  in one short transaction of plain SQL.

Every other request goes to Django unchanged. Without the gate (runserver,
tests) the same URL is served by Django's `views.rush_claim`.

The ticket travels in a custom header, which a cross-site form cannot send,
so the path needs no CSRF cookie. Serve with
``granian --interface wsgi quarter.vouchers.rushgate:application``.
"""

from __future__ import annotations

import json
import os
import re
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quarter.settings")

from http import HTTPStatus  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core import signals  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from quarter.core import clock  # noqa: E402
from quarter.core.errors import DomainError  # noqa: E402
from quarter.vouchers import codes, ratelimit  # noqa: E402

_PATH = re.compile(r"^/vouchers/rush/(\d+)/claim$")
_JSON = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
_MESSAGES = {
    "ok": "领取成功,已放入卡包",
    "repeated": "您已领过本轮券包",
    "sold_out": "抢完了",
    "person_dup": "同一身份证本轮已领过券包",
    "week_dup": "本周您已领过本活动的券包",
    "not_released": "还没到开抢时间",
    "round_closed": "本轮已结束",
    "rate_limited": "操作太频繁,请稍后再试",
    "not_loaded": "系统繁忙,请再试一次",
}
_STATUS = {
    "ok": "200 OK",
    "repeated": "200 OK",
    "sold_out": "200 OK",
    "person_dup": "409 Conflict",
    "week_dup": "409 Conflict",
    "not_released": "409 Conflict",
    "round_closed": "409 Conflict",
    "rate_limited": "429 Too Many Requests",
    "not_loaded": "503 Service Unavailable",
}


class RushGate:
    def __init__(self, app) -> None:
        self.app = app
        self.redis = (
            bool(settings.REDIS_URL)
            and os.environ.get("QUARTER_CLAIM_ENGINE", "redis") != "db"
        )
        if self.redis:
            from quarter.vouchers.engines.redis_engine import (
                CLAIM_LUA,
                RedisEngine,
                claim_keys,
                client_for,
            )

            self.claim_keys = claim_keys
            self.client = client_for(settings.REDIS_URL)
            RedisEngine(settings.REDIS_URL, client=self.client).check_durability()
            self.script = self.client.register_script(CLAIM_LUA)
            self.key = codes.rush_key()

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        match = _PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        if not self.redis:
            return self._claim_db(int(match.group(1)), environ, start_response)
        return self._claim(int(match.group(1)), environ, start_response)

    def _claim_db(self, round_id: int, environ, start_response):
        from quarter.vouchers.services.claims import claim_with_ticket
        from quarter.vouchers.views import outcome_json

        # The signals Django's own handler sends: they recycle database
        # connections that are too old or broken.
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            outcome = claim_with_ticket(
                ticket=environ.get("HTTP_X_RUSH_TICKET", ""),
                round_id=round_id,
                ip=environ.get("REMOTE_ADDR") or None,
                device=environ.get("HTTP_X_DEVICE_ID", ""),
            )
            status, body = "200 OK", outcome_json(outcome)
        except DomainError as exc:
            code = HTTPStatus(exc.status_code)
            status, body = f"{code.value} {code.phrase}", {"ok": False, **exc.as_dict()}
        finally:
            signals.request_finished.send(sender=self.__class__)
        return _reply(start_response, status, body)

    def _claim(self, round_id: int, environ, start_response):
        now = clock.now().timestamp()  # the one clock seam (tests freeze it)
        ticket = codes.verify_ticket(
            environ.get("HTTP_X_RUSH_TICKET", ""), key=self.key, now=now
        )
        if ticket is None or ticket.round_id != round_id:
            return _reply(
                start_response,
                "403 Forbidden",
                {
                    "ok": False,
                    "code": "rush_ticket_invalid",
                    "message": "领券凭证无效或已过期,请刷新页面",
                },
            )
        ip = environ.get("REMOTE_ADDR", "")
        device = environ.get("HTTP_X_DEVICE_ID", "")[:64]
        acct, ip_limit = ratelimit.limits()["account"][0], ratelimit.limits()["ip"][0]
        reply = self.script(
            keys=self.claim_keys(
                campaign_id=ticket.campaign_id,
                round_id=round_id,
                user_id=ticket.user_id,
                ip=ip,
                now=now,
                rl_ttl=10,
            ),
            args=[
                ticket.resident_id,
                ticket.person_hash,
                ticket.user_id,
                int(now * 1000),
                ip,
                device,
                acct,
                ip_limit,
                10,
            ],
        )
        status = reply[0].decode()
        body = {
            "ok": status in ("ok", "repeated"),
            "code": status,
            "message": _MESSAGES.get(status, "领取失败"),
        }
        if len(reply) > 1 and reply[1]:
            value = reply[1].decode()
            if status in ("ok", "repeated"):
                body["id"] = value
            elif status == "sold_out":
                body["sold_out_at"] = (
                    time.strftime("%H:%M:%S", time.localtime(int(value) / 1000))
                    if value
                    else None
                )
        return _reply(start_response, _STATUS.get(status, "409 Conflict"), body)


def _reply(start_response, status: str, body: dict):
    data = json.dumps(body, ensure_ascii=False).encode()
    start_response(status, [*_JSON, ("Content-Length", str(len(data)))])
    return [data]


application = RushGate(get_wsgi_application())
