"""Pluggable SMS senders for one-time codes.

`get_sender()` returns the sender named by `QUARTER_SMS_BACKEND`:

- `console` (default; the demo and the tests): writes the message to the log
  and appends it to `outbox`, where tests read the code.
- `aliyun`: Alibaba Cloud SMS (Dysmsapi `SendSms`, API version 2017-05-25)
  over HTTPS, signed with the RPC signature (HMAC-SHA1, signature version
  1.0) using only the standard library. Configure it with
  `QUARTER_SMS_ALIYUN_ACCESS_KEY_ID`, `QUARTER_SMS_ALIYUN_ACCESS_KEY_SECRET`,
  `QUARTER_SMS_ALIYUN_SIGN_NAME` (the approved 签名),
  `QUARTER_SMS_ALIYUN_TEMPLATE_CODE` (an approved 验证码 template whose
  variable is `${code}`), and optionally `QUARTER_SMS_ALIYUN_ENDPOINT`
  (default `https://dysmsapi.aliyuncs.com/`) and `QUARTER_SMS_ALIYUN_REGION`
  (default `cn-hangzhou`).

A sender raises `SmsError` when the message was not accepted.
Another gateway is one class with a `send_code(phone, code)` method and a
branch in `get_sender()`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

from quarter.core.identity import mask_phone

logger = logging.getLogger("quarter.sms")


class SmsError(Exception):
    """The gateway did not accept the message."""


class SmsSender(Protocol):
    def send_code(self, phone: str, code: str) -> None: ...

    def send_notice(self, phone: str, text: str) -> None: ...


@dataclass(frozen=True)
class SentMessage:
    phone: str
    code: str
    text: str
    kind: str = "code"


# Messages the console sender "sent", newest last (tests read codes here).
outbox: list[SentMessage] = []


class ConsoleSender:
    """Write the code to the server log instead of sending it (demo, tests)."""

    def send_code(self, phone: str, code: str) -> None:
        text = f"【一刻钟生活圈】您的验证码是{code},5分钟内有效。请勿告诉他人。"
        outbox.append(SentMessage(phone=phone, code=code, text=text))
        # Warning level so `quarter demo` prints it with the default log level.
        logger.warning("短信(演示,未真实发送)至 %s: %s", mask_phone(phone), text)

    def send_notice(self, phone: str, text: str) -> None:
        text = f"【一刻钟生活圈】{text}"
        outbox.append(SentMessage(phone=phone, code="", text=text, kind="notice"))
        logger.warning("短信(演示,未真实发送)至 %s: %s", mask_phone(phone), text)


def last_code(phone: str) -> str | None:
    """Return the last code the console sender sent to `phone` (tests, demo)."""
    for message in reversed(outbox):
        if message.phone == phone and message.kind == "code":
            return message.code
    return None


def percent_encode(value: str) -> str:
    """Encode as Alibaba Cloud's signature asks (RFC 3986: space %20, keep ~)."""
    return urllib.parse.quote(str(value), safe="-_.~")


def rpc_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """Return the Alibaba Cloud RPC signature (v1.0, HMAC-SHA1) of `params`."""
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSender:
    """Send through Alibaba Cloud SMS (Dysmsapi SendSms) with a signed HTTPS GET."""

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        template_code: str,
        notice_template_code: str = "",
        endpoint: str = "https://dysmsapi.aliyuncs.com/",
        region: str = "cn-hangzhou",
        timeout: float = 5.0,
    ) -> None:
        missing = [
            name
            for name, value in (
                ("ACCESS_KEY_ID", access_key_id),
                ("ACCESS_KEY_SECRET", access_key_secret),
                ("SIGN_NAME", sign_name),
                ("TEMPLATE_CODE", template_code),
            )
            if not value
        ]
        if missing:
            raise SmsError(
                "QUARTER_SMS_ALIYUN_" + ", QUARTER_SMS_ALIYUN_".join(missing) + " unset"
            )
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.notice_template_code = notice_template_code
        self.endpoint = endpoint
        self.region = region
        self.timeout = timeout

    def signed_url(
        self,
        phone: str,
        code: str,
        *,
        now: dt.datetime | None = None,
        template_code: str = "",
        template_param: dict[str, str] | None = None,
    ):
        now = now or dt.datetime.now(dt.UTC)
        template_param = template_param or {"code": code}
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template_code or self.template_code,
            "TemplateParam": json.dumps(template_param, separators=(",", ":")),
            "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = rpc_signature(params, self.access_key_secret)
        query = "&".join(
            f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items()
        )
        return f"{self.endpoint}?{query}"

    def send_code(self, phone: str, code: str) -> None:
        self._send(self.signed_url(phone, code), phone)

    def send_notice(self, phone: str, text: str) -> None:
        """Send `text` through the approved notice template (variable `${content}`)."""
        if not self.notice_template_code:
            raise SmsError("QUARTER_SMS_ALIYUN_NOTICE_TEMPLATE_CODE unset")
        url = self.signed_url(
            phone,
            "",
            template_code=self.notice_template_code,
            template_param={"content": text},
        )
        self._send(url, phone)

    def _send(self, url: str, phone: str) -> None:
        request = urllib.request.Request(url, method="GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.loads(response.read().decode() or "{}")
        except urllib.error.HTTPError as exc:
            try:
                body = json.loads(exc.read().decode() or "{}")
            except ValueError:
                body = {}
            raise SmsError(f"HTTP {exc.code}: {body.get('Code', '')}") from None
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise SmsError(f"gateway unreachable: {exc}") from None
        if body.get("Code") != "OK":
            raise SmsError(f"{body.get('Code')}: {body.get('Message')}")
        logger.info("SMS sent to %s (BizId %s)", mask_phone(phone), body.get("BizId"))


def get_sender() -> SmsSender:
    """Return the sender `QUARTER_SMS_BACKEND` names (read at call time)."""
    backend = settings.QUARTER_SMS_BACKEND
    if backend == "aliyun":
        return AliyunSender(
            access_key_id=settings.QUARTER_SMS_ALIYUN_ACCESS_KEY_ID,
            access_key_secret=settings.QUARTER_SMS_ALIYUN_ACCESS_KEY_SECRET,
            sign_name=settings.QUARTER_SMS_ALIYUN_SIGN_NAME,
            template_code=settings.QUARTER_SMS_ALIYUN_TEMPLATE_CODE,
            notice_template_code=getattr(
                settings, "QUARTER_SMS_ALIYUN_NOTICE_TEMPLATE_CODE", ""
            ),
            endpoint=settings.QUARTER_SMS_ALIYUN_ENDPOINT,
            region=settings.QUARTER_SMS_ALIYUN_REGION,
        )
    if backend == "console":
        return ConsoleSender()
    raise SmsError(f"unknown QUARTER_SMS_BACKEND {backend!r}")
