"""Verbs that touch personal data on purpose, each one logged (PIPL).

`reveal_phone` shows an operator one resident's full phone number and writes
an `AccessLog` line saying who, when and why. `log_personal_data_access` is
the one function any export of personal data calls (other apps included).
"""

from __future__ import annotations

from quarter.core.errors import DomainError
from quarter.people import access, events
from quarter.people.errors import PeopleErrorCode as Code
from quarter.people.models import AccessLog, Resident


def reveal_phone(
    *, actor, resident: Resident, reason: str, ip: str | None = None
) -> str:
    """Return the resident's full phone number to an operator of their community.

    Raises `not_operator_of_community`, `reason_required`. Writes an
    `AccessLog` line (view, 手机号).
    """
    access.require_may_see_resident(actor, resident)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            Code.REASON_REQUIRED, "请填写查看原因,如:电话联系核实住址", field="reason"
        )
    events.personal_data_accessed(
        actor=actor,
        action=AccessLog.Action.VIEW,
        data="手机号",
        subject=f"居民#{resident.pk} {resident}",
        reason=reason,
        ip=ip,
    )
    return resident.phone


def log_personal_data_access(
    *,
    actor,
    action: str,
    data: str,
    subject: str = "",
    reason: str = "",
    ip: str | None = None,
) -> AccessLog:
    """Record that `actor` viewed or exported personal data (`action`: view/export).

    Call it from every export of personal data, in the same request.
    """
    return events.personal_data_accessed(
        actor=actor, action=action, data=data, subject=subject, reason=reason, ip=ip
    )
