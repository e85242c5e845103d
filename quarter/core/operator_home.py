"""The operator's home in the back office: what waits today, in their community.

Each tile counts rows through `quarter.core.scope.limit` (the same reach the
back office uses), so an operator sees only their community's work and an
issuer or superuser their own reach. The admin index shows these tiles first.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from quarter.core import scope


@dataclass(frozen=True)
class Task:
    key: str
    title: str
    hint: str
    url: str
    waiting: int | None


def _url(name: str, query: str = "") -> str:
    try:
        return reverse(name) + query
    except NoReverseMatch:
        return ""


def _count(queryset, user) -> int:
    return scope.limit(queryset, user).count()


def tasks_for(user) -> list[Task]:
    """The tiles of the operator home, each with how many items wait."""
    from quarter.board.models import Suggestion, SuggestionStatus
    from quarter.civic.models import OPEN_STATUSES, Report
    from quarter.people.models import RegisterEntry, RegisterStatus
    from quarter.places.models import Admission, Merchant
    from quarter.vouchers.models import Redemption, Round

    held = Redemption.objects.filter(status=Redemption.Status.HELD)
    live_rounds = Round.objects.filter(
        status=Round.Status.SCHEDULED, sold_out_at__isnull=True
    )
    return [
        Task(
            "merchants",
            _("商户审核"),
            _("待审核的入驻申请"),
            _url("admin:places_merchant_changelist", "?admission__exact=applied"),
            _count(Merchant.objects.filter(admission=Admission.APPLIED), user),
        ),
        Task(
            "risk",
            _("风控审核"),
            _("被风控规则拦下、待放行或驳回的核销"),
            _url("vouchers:review"),
            _count(held, user),
        ),
        Task(
            "planning",
            _("规划"),
            _("生活圈覆盖与缺口、建议选址"),
            _url("planning_home"),
            None,
        ),
        Task(
            "register",
            _("居民名册"),
            _("在册居民"),
            _url("admin:people_registerentry_changelist"),
            _count(RegisterEntry.objects.filter(status=RegisterStatus.ACTIVE), user),
        ),
        Task(
            "vouchers",
            _("消费券"),
            _("未结束的发放轮次"),
            _url("admin:vouchers_round_changelist"),
            _count(live_rounds, user),
        ),
        Task(
            "civic",
            _("民情"),
            _("未办结的居民诉求"),
            _url("civic:queue", "?status=open"),
            _count(Report.objects.filter(status__in=OPEN_STATUSES), user),
        ),
        Task(
            "suggestions",
            _("建议"),
            _("待回复的居民建议"),
            _url("board:suggestions"),
            _count(Suggestion.objects.filter(status=SuggestionStatus.SUBMITTED), user),
        ),
    ]
