"""The one place a claim's result becomes an HTTP status and a JSON body.

The page (through the gate), the Django fallback view, the JSON API and the
benchmark all read the same answer for the same result: `claim_answer` takes
a `ClaimOutcome` or the `DomainError` the claim service raised and returns
``(status, body)``. `refusal` builds the `DomainError` of a refusal code from
the same table, so a code has one status and one message wherever it is said.

Body: ``ok``, ``code`` (``ok``, ``already_claimed``, ``registered`` or a
`VoucherErrorCode`), ``message`` (Chinese, for the resident), and where they
apply ``repeated``, ``wallet_url``, ``id`` (the engine's id of the claim,
unique within the round) and ``sold_out_at`` (HH:MM:SS, China time).
"""

from __future__ import annotations

from functools import lru_cache

from django.utils.translation import gettext_lazy as _

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.vouchers.engines.base import ClaimOutcome
from quarter.vouchers.errors import VoucherErrorCode as Code

OK = "ok"
REGISTERED = "registered"

ANSWERS: dict[str, tuple[int, object]] = {
    OK: (200, _("领取成功,已放入卡包")),
    Code.ALREADY_CLAIMED: (200, _("您已领过本轮券包,已在卡包中")),
    REGISTERED: (200, _("报名成功,截止后公开摇号")),
    Code.SOLD_OUT: (200, _("抢完了")),
    Code.PERSON_ALREADY_CLAIMED: (
        409,
        _("同一身份证本轮已领过券包(一人只能领一份)"),
    ),
    Code.WEEK_LIMIT: (409, _("本周您已领过本活动的券包")),
    Code.NOT_RELEASED: (409, _("还没到开抢时间")),
    Code.ROUND_CLOSED: (409, _("本轮已结束")),
    Code.RATE_LIMITED: (429, _("操作太频繁,请稍后再试")),
    Code.TICKET_INVALID: (403, _("领券凭证无效或已过期,请刷新页面")),
    Code.NOT_VERIFIED: (403, _("请先完成实名认证再领券")),
    Code.ENGINE_NOT_READY: (503, _("系统繁忙,请再试一次")),
}
_FALLBACK = (409, _("领取失败,请稍后再试"))


def refusal(code: str, *, params: dict | None = None) -> DomainError:
    """Return the DomainError of a claim refusal, with its one status and message."""
    status, message = ANSWERS.get(code, _FALLBACK)
    return DomainError(code, str(message), status_code=status, params=params)


def claim_answer(result: ClaimOutcome | DomainError) -> tuple[int, dict]:
    """Turn a claim's outcome (or the refusal raised) into (HTTP status, JSON body)."""
    if isinstance(result, DomainError):
        return result.status_code, {"ok": False, **result.as_dict()}
    if result.ok:
        if result.code == REGISTERED:
            code = REGISTERED
        else:
            code = Code.ALREADY_CLAIMED if result.repeated else OK
        status, message = ANSWERS[code]
        body = {
            "ok": True,
            "code": str(code),
            "repeated": result.repeated,
            "message": str(message),
            "wallet_url": _wallet_url(),
        }
        if result.source_id:
            body["id"] = result.source_id
        return status, body
    status, message = ANSWERS.get(result.code, _FALLBACK)
    body = {
        "ok": False,
        "code": str(result.code),
        "field": None,
        "message": str(message),
    }
    if result.code == Code.SOLD_OUT:
        at = result.sold_out_at
        body["sold_out_at"] = (
            at.astimezone(clock.SHANGHAI).strftime("%H:%M:%S") if at else None
        )
    return status, body


@lru_cache(maxsize=1)
def _wallet_url() -> str:
    from django.urls import reverse

    return reverse("vouchers:wallet")
