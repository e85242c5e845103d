"""Who may see or do what with benefit rules and grants (免申即享).

An operator writes, previews and switches rules of their own community; an
issuer those of their district (paid from their own campaigns); superusers and
SYSTEM (the daily job) reach every rule. A resident sees only their own
grants, a merchant's staff only their own shop's fee relief. The scopes at the
bottom tell the back office how each model reaches a community or district.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from quarter.benefits.errors import BenefitErrorCode as Code
from quarter.benefits.models import (
    BenefitEvent,
    BenefitGrant,
    BenefitRule,
    BenefitRun,
    BenefitShortfall,
    RulePeriod,
)
from quarter.core import scope
from quarter.core.actors import is_person, is_system
from quarter.core.errors import PermissionDenied
from quarter.places.access import communities_operated_by
from quarter.places.models import Community, District
from quarter.vouchers.models import Campaign


def _sees_all(actor) -> bool:
    return is_system(actor) or (is_person(actor) and actor.is_superuser)


def district_ids_issued_by(actor) -> list[int]:
    """Return the districts `actor` issues vouchers for."""
    if not is_person(actor):
        return []
    return list(actor.issuer_roles.values_list("district_id", flat=True))


def rules_managed_by(actor) -> QuerySet[BenefitRule]:
    """Return the rules `actor` may preview, enable, pause and end."""
    qs = BenefitRule.objects.all()
    if _sees_all(actor):
        return qs
    if not is_person(actor):
        return qs.none()
    districts = district_ids_issued_by(actor)
    # An issuer also manages the community rules of its district (it pays for
    # them, and may pause one); an operator only their community's rules.
    return qs.filter(
        Q(community__in=communities_operated_by(actor))
        | Q(district_id__in=districts)
        | Q(community__street_office__district_id__in=districts)
    )


def can_manage_rules(actor) -> bool:
    """Return whether `actor` writes rules anywhere (operator, issuer, superuser)."""
    if _sees_all(actor):
        return True
    return is_person(actor) and (
        actor.operator_roles.exists() or actor.issuer_roles.exists()
    )


def require_rule_writer(actor) -> None:
    """Raise `not_rule_manager` unless `actor` is an operator, issuer or superuser."""
    if not can_manage_rules(actor):
        raise PermissionDenied(
            Code.NOT_RULE_MANAGER, "只有社区工作者或发券机构可以管理免申即享规则"
        )


def require_rule_manager(actor, rule: BenefitRule) -> None:
    """Raise `not_rule_manager` unless `actor` manages the rule's area."""
    if not rules_managed_by(actor).filter(pk=rule.pk).exists():
        raise PermissionDenied(
            Code.NOT_RULE_MANAGER, "这条规则不属于您管理的社区或区县"
        )


def communities_for_rules(actor) -> QuerySet[Community]:
    """Return the communities `actor` may write community rules for."""
    return communities_operated_by(actor)


def districts_for_rules(actor) -> QuerySet[District]:
    """Return the districts `actor` may write district rules for."""
    if _sees_all(actor):
        return District.objects.order_by("pk")
    return District.objects.filter(pk__in=district_ids_issued_by(actor)).order_by("pk")


def campaigns_for_rules(actor) -> QuerySet[Campaign]:
    """Return the campaigns a rule of `actor` may draw on.

    An issuer's own district's campaigns; for an operator, the campaigns of
    their community's district (the rule's community must be inside the
    campaign's area, checked when the rule is written).
    """
    qs = Campaign.objects.select_related("issuer").order_by("-created_at", "-pk")
    if _sees_all(actor):
        return qs
    districts = set(district_ids_issued_by(actor)) | set(
        communities_operated_by(actor).values_list(
            "street_office__district_id", flat=True
        )
    )
    return qs.filter(issuer__district_id__in=districts)


def grants_of(actor) -> QuerySet[BenefitGrant]:
    """Return the grants `actor` may see as their own (resident or shop staff)."""
    if not is_person(actor):
        return BenefitGrant.objects.none()
    return BenefitGrant.objects.filter(
        Q(resident__user=actor) | Q(merchant__staff__user=actor)
    ).distinct()


# --- back-office scopes ---

_RULE = ("rule__community",)
scope.declare(BenefitRule, community="community", district="district")
scope.declare(RulePeriod, community=_RULE, district="rule__district")
scope.declare(BenefitEvent, community=_RULE, district="rule__district")
# Personal data: operators of the person's community only, never issuers.
scope.declare(
    BenefitGrant,
    community=("resident__household__compound__community", "merchant__community"),
    issuers_via_community=False,
)
scope.declare(
    BenefitShortfall,
    community="resident__household__compound__community",
    issuers_via_community=False,
)
scope.declare(BenefitRun, superuser_only=True)
