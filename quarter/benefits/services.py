"""The verbs of 免申即享: write a rule, switch it, preview it, run the grants.

`run_grants` is the daily job (`manage.py grant_benefits`): for every enabled
rule and its current period it grants what is due to everyone the rule
matches, once per rule, person and period (a unique constraint, the granted
round's claim id and the ledger keys all say so), and tells each person with
a notification keyed by the grant. A voucher packet is paid from the rule's
campaign through `vouchers.services.grants`; when the budget cannot cover a
person's packet nothing is written for them, the shortfall is recorded and
the rule's managers are told. Safe to run twice, and on two machines at
once: grants of one rule period queue on its `RulePeriod` row.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction

from quarter.benefits import access, events, rules
from quarter.benefits.errors import BenefitErrorCode as Code
from quarter.benefits.models import (
    BenefitGrant,
    BenefitKind,
    BenefitRule,
    BenefitRun,
    BenefitShortfall,
    HouseholdType,
    Recurrence,
    RulePeriod,
    RuleState,
    Subject,
)
from quarter.core import clock
from quarter.core.actors import SYSTEM, is_system
from quarter.core.errors import DomainError, PermissionDenied
from quarter.core.money import format_yuan
from quarter.ledger import selectors as ledger
from quarter.notifications.services import notify
from quarter.places.models import BusinessType, Community, Compound, District, Tier
from quarter.vouchers import accounts as voucher_accounts
from quarter.vouchers.models import Campaign
from quarter.vouchers.services.campaigns import CouponSpec
from quarter.vouchers.services.grants import GrantRoundSpec, grant_packet

logger = logging.getLogger("quarter.benefits")

MAX_AGE = 120


@dataclass(frozen=True)
class RuleInput:
    """What a rule says, as parsed from a form (money already in fen)."""

    name: str
    starts_on: dt.date | None
    subject: str = Subject.RESIDENT
    community: Community | None = None
    district: District | None = None
    min_age: int | None = None
    max_age: int | None = None
    compound: Compound | None = None
    registered_only: bool = True
    household_type: str = HouseholdType.ANY
    tier: str = ""
    business_type_codes: tuple[str, ...] = ()
    small_only: bool = False
    gap_households_min: int | None = None
    employees_max: int | None = None
    campaign: Campaign | None = None
    face_fen: int = 0
    threshold_fen: int = 0
    coupon_count: int = 1
    coupon_business_type_code: str = ""
    relief_fen: int = 0
    ends_on: dt.date | None = None
    recurrence: str = Recurrence.MONTHLY


def _bad(code: Code, message: str, field: str) -> DomainError:
    return DomainError(code, message, field=field, status_code=400)


def create_rule(*, actor, data: RuleInput) -> BenefitRule:
    """Write a draft rule for the actor's community or district.

    Raises `not_rule_manager` (403: not an operator/issuer, or another
    community's or district's rule), `name_required`, `scope_required`,
    `age_band_invalid`, `compound_outside_community`, `period_invalid`,
    `condition_not_for_subject`, `campaign_not_covering`, `benefit_invalid`
    (400, with the field). Writes nothing when it raises. Event: rule_created.
    """
    access.require_rule_writer(actor)
    _check_scope(actor, data)
    _check_who(data)
    _check_when(data)
    types = _check_what(actor, data)
    now = clock.now()
    with transaction.atomic():
        rule = BenefitRule.objects.create(
            **_rule_fields(data, types),
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        rule.business_types.set(types.get("merchant", []))
        events.rule_created(rule, actor=actor, snapshot=describe_rule(rule))
    return rule


EDITABLE_STATES = (RuleState.DRAFT, RuleState.PAUSED)


def update_rule(*, actor, rule: BenefitRule, data: RuleInput) -> BenefitRule:
    """Change a draft or paused rule's conditions, benefit or period.

    An enabled rule is paused first, so a daily run never grants under terms
    that are half changed; grants already made keep the facts they were made
    on. Raises what `create_rule` raises, and `state_transition_not_allowed`
    (409) for an enabled or ended rule. Writes nothing when it raises.
    Event: rule_updated, with the terms before and after.
    """
    access.require_rule_manager(actor, rule)
    _check_scope(actor, data)
    _check_who(data)
    _check_when(data)
    types = _check_what(actor, data)
    with transaction.atomic():
        locked = BenefitRule.objects.select_for_update().get(pk=rule.pk)
        if locked.state not in EDITABLE_STATES:
            raise DomainError(
                Code.TRANSITION_REFUSED,
                "只能修改草稿或已暂停的规则:已启用的规则请先暂停",
                status_code=409,
            )
        before = describe_rule(locked)
        for name, value in _rule_fields(data, types).items():
            setattr(locked, name, value)
        locked.updated_at = clock.now()
        locked.save()
        locked.business_types.set(types.get("merchant", []))
        after = describe_rule(locked)
        changed = {k for k in after if after[k] != before.get(k)}
        events.rule_updated(
            locked,
            actor=actor,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )
    return locked


def _rule_fields(data: RuleInput, types: dict) -> dict:
    resident = data.subject == Subject.RESIDENT
    return {
        "name": data.name.strip(),
        "subject": data.subject,
        "community": data.community,
        "district": data.district if data.community is None else None,
        "min_age": data.min_age,
        "max_age": data.max_age,
        "compound": data.compound,
        "registered_only": data.registered_only,
        "household_type": data.household_type or "",
        "tier": data.tier or "",
        "small_only": data.small_only,
        "gap_households_min": data.gap_households_min,
        "employees_max": data.employees_max,
        "kind": BenefitKind.VOUCHER if resident else BenefitKind.FEE_RELIEF,
        "campaign": data.campaign if resident else None,
        "face_fen": data.face_fen if resident else 0,
        "threshold_fen": data.threshold_fen if resident else 0,
        "coupon_count": data.coupon_count if resident else 1,
        "coupon_business_type": types.get("coupon"),
        "relief_fen": data.relief_fen if not resident else 0,
        "starts_on": data.starts_on,
        "ends_on": data.ends_on,
        "recurrence": data.recurrence,
    }


def _check_scope(actor, data: RuleInput) -> None:
    name = (data.name or "").strip()
    if not name or len(name) > 80:
        raise _bad(Code.NAME_REQUIRED, "请填写规则名称(80字以内)", "name")
    if data.subject not in Subject.values:
        raise _bad(Code.BENEFIT_INVALID, "对象只能是居民或商户", "subject")
    if (data.community is None) == (data.district is None):
        raise _bad(Code.SCOPE_REQUIRED, "请选择规则适用的社区或区县(二选一)", "scope")
    if data.community is not None:
        if (
            not access.communities_for_rules(actor)
            .filter(pk=data.community.pk)
            .exists()
        ):
            raise PermissionDenied(Code.NOT_RULE_MANAGER, "只能为您所在的社区制定规则")
    elif not access.districts_for_rules(actor).filter(pk=data.district.pk).exists():
        raise PermissionDenied(Code.NOT_RULE_MANAGER, "只能为您发券的区县制定规则")


def _check_who(data: RuleInput) -> None:
    for field, value in (("min_age", data.min_age), ("max_age", data.max_age)):
        if value is not None and (type(value) is not int or not 0 <= value <= MAX_AGE):  # noqa: E721
            raise _bad(Code.AGE_BAND_INVALID, f"年龄应在0到{MAX_AGE}周岁之间", field)
    if (
        data.min_age is not None
        and data.max_age is not None
        and data.min_age > data.max_age
    ):
        raise _bad(Code.AGE_BAND_INVALID, "最低年龄不能高于最高年龄", "max_age")
    if data.household_type not in HouseholdType.values:
        raise _bad(Code.BENEFIT_INVALID, "家庭类型不正确", "household_type")
    if data.tier and data.tier not in Tier.values:
        raise _bad(Code.BENEFIT_INVALID, "业态类别不正确", "tier")
    if data.compound is not None:
        inside = (
            data.compound.community_id == data.community.pk
            if data.community is not None
            else data.compound.community.street_office.district_id == data.district.pk
        )
        if not inside:
            raise _bad(
                Code.COMPOUND_OUTSIDE_COMMUNITY,
                f"小区“{data.compound.name}”不在本规则适用的范围内",
                "compound",
            )
    resident_only = (
        data.min_age is not None
        or data.max_age is not None
        or data.compound is not None
        or data.household_type
    )
    if data.gap_households_min is not None and (
        type(data.gap_households_min) is not int  # noqa: E721
        or not 1 <= data.gap_households_min <= 100_000
    ):
        raise _bad(
            Code.BENEFIT_INVALID, "独家服务户数应在1到100000之间", "gap_households_min"
        )
    if data.employees_max is not None and (
        type(data.employees_max) is not int  # noqa: E721
        or not 1 <= data.employees_max <= 10_000
    ):
        raise _bad(
            Code.BENEFIT_INVALID, "从业人数上限应在1到10000之间", "employees_max"
        )
    merchant_only = (
        data.tier
        or data.business_type_codes
        or data.small_only
        or data.gap_households_min is not None
        or data.employees_max is not None
    )
    if data.subject == Subject.MERCHANT and resident_only:
        raise _bad(
            Code.CONDITION_NOT_FOR_SUBJECT,
            "年龄、小区、家庭类型只适用于居民规则",
            "subject",
        )
    if data.subject == Subject.RESIDENT and merchant_only:
        raise _bad(
            Code.CONDITION_NOT_FOR_SUBJECT,
            "业态类别、业态、非连锁小店、填补缺口只适用于商户规则",
            "subject",
        )


def _check_when(data: RuleInput) -> None:
    if not isinstance(data.starts_on, dt.date):
        raise _bad(Code.PERIOD_INVALID, "请填写开始日期", "starts_on")
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise _bad(Code.PERIOD_INVALID, "结束日期不能早于开始日期", "ends_on")
    if data.recurrence not in Recurrence.values:
        raise _bad(Code.PERIOD_INVALID, "发放周期不正确", "recurrence")
    if data.recurrence == Recurrence.ONCE and data.ends_on is None:
        raise _bad(Code.PERIOD_INVALID, "一次性发放需要填写结束日期", "ends_on")


def _check_what(actor, data: RuleInput) -> dict:
    types: dict = {}
    if data.subject == Subject.MERCHANT:
        if type(data.relief_fen) is not int or data.relief_fen <= 0:  # noqa: E721
            raise _bad(Code.BENEFIT_INVALID, "请填写大于0的减免金额", "relief")
        codes = [c for c in data.business_type_codes if c]
        found = list(BusinessType.objects.filter(code__in=codes))
        if len(found) != len(set(codes)):
            raise _bad(Code.BENEFIT_INVALID, "业态不存在", "business_types")
        types["merchant"] = found
        return types
    campaign = data.campaign
    if campaign is None:
        raise _bad(Code.BENEFIT_INVALID, "请选择出资的消费券活动", "campaign")
    if not access.campaigns_for_rules(actor).filter(pk=campaign.pk).exists():
        raise _bad(Code.CAMPAIGN_NOT_COVERING, "只能选择本区发券机构的活动", "campaign")
    covers = (
        campaign.covers(data.community)
        if data.community is not None
        else campaign.issuer.district_id == data.district.pk
        and campaign.area_community_ids() is None
    )
    if not covers:
        raise _bad(
            Code.CAMPAIGN_NOT_COVERING,
            f"活动“{campaign.name}”的适用范围不包括本规则的范围",
            "campaign",
        )
    if type(data.face_fen) is not int or data.face_fen <= 0:  # noqa: E721
        raise _bad(Code.BENEFIT_INVALID, "请填写大于0的面值", "face")
    if type(data.threshold_fen) is not int or data.threshold_fen < data.face_fen:  # noqa: E721
        raise _bad(Code.BENEFIT_INVALID, "使用门槛不能低于面值", "threshold")
    if type(data.coupon_count) is not int or not 1 <= data.coupon_count <= 20:  # noqa: E721
        raise _bad(Code.BENEFIT_INVALID, "每次发放张数应在1到20之间", "coupon_count")
    if data.coupon_business_type_code:
        btype = BusinessType.objects.filter(code=data.coupon_business_type_code).first()
        if btype is None:
            raise _bad(Code.BENEFIT_INVALID, "业态不存在", "coupon_business_type")
        types["coupon"] = btype
    return types


def describe_rule(rule: BenefitRule) -> dict:
    """The rule's conditions and benefit as plain values (audit snapshots)."""
    return {
        "name": rule.name,
        "subject": rule.subject,
        "community": rule.community_id,
        "district": rule.district_id,
        "min_age": rule.min_age,
        "max_age": rule.max_age,
        "compound": rule.compound_id,
        "registered_only": rule.registered_only,
        "household_type": rule.household_type,
        "tier": rule.tier,
        "small_only": rule.small_only,
        "gap_households_min": rule.gap_households_min,
        "employees_max": rule.employees_max,
        "campaign": rule.campaign_id,
        "face_fen": rule.face_fen,
        "threshold_fen": rule.threshold_fen,
        "coupon_count": rule.coupon_count,
        "relief_fen": rule.relief_fen,
        "starts_on": rule.starts_on.isoformat(),
        "ends_on": rule.ends_on.isoformat() if rule.ends_on else None,
        "recurrence": rule.recurrence,
    }


def change_rule_state(
    *, actor, rule: BenefitRule, target: str, reason: str = ""
) -> BenefitRule:
    """Enable, pause or end a rule (draft -> enabled -> paused/ended).

    Raises `not_rule_manager` (403), `state_transition_not_allowed` (409).
    Event: rule_state_changed.
    """
    access.require_rule_manager(actor, rule)
    with transaction.atomic():
        locked = BenefitRule.objects.select_for_update().get(pk=rule.pk)
        before = locked.state
        fields = locked._transition(target)
        locked.updated_at = clock.now()
        locked.save(update_fields=[*fields, "updated_at"])
        events.rule_state_changed(
            locked, actor=actor, before=before, after=target, reason=reason
        )
    return locked


@dataclass
class Preview:
    period: rules.Period | None
    matches: rules.Matches
    cost_fen: int
    available_fen: int | None

    @property
    def count(self) -> int:
        return len(self.matches.eligible)

    @property
    def first(self) -> list[rules.Match]:
        return self.matches.eligible[:10]


def preview_rule(*, actor, rule: BenefitRule, today: dt.date | None = None) -> Preview:
    """Return who the rule would match today (count, first rows to mask) and the cost.

    Raises `not_rule_manager`. Event: rule_previewed (masked personal data shown).
    """
    access.require_rule_manager(actor, rule)
    today = today or clock.local_now().date()
    matches = rules.match_rule(rule, today=today)
    per_person = (
        rule.packet_face_fen if rule.kind == BenefitKind.VOUCHER else rule.relief_fen
    )
    available = (
        ledger.get_balance(code=voucher_accounts.unallocated(rule.campaign_id).code)
        if rule.campaign_id
        else None
    )
    events.rule_previewed(rule, actor=actor, matched=len(matches.eligible))
    return Preview(
        period=rules.period_for(rule, today),
        matches=matches,
        cost_fen=per_person * len(matches.eligible),
        available_fen=available,
    )


# --- the daily run -------------------------------------------------------------


def run_grants(*, actor=SYSTEM, today: dt.date | None = None) -> BenefitRun:
    """Grant what every enabled rule owes for its current period; return the run.

    Only SYSTEM or a superuser runs it. Idempotent: a person granted this
    period is counted as `already` and nothing is written for them. A
    person whose packet the budget cannot cover gets nothing, a
    `BenefitShortfall` row, and the rule's managers one notification per
    rule, period and day. Each grant is its own transaction.
    """
    if not (is_system(actor) or getattr(actor, "is_superuser", False)):
        raise PermissionDenied(Code.NOT_RULE_MANAGER, "只有系统任务可以发放")
    today = today or clock.local_now().date()
    run = BenefitRun.objects.create(started_at=clock.now())
    for rule in (
        BenefitRule.objects.filter(state=RuleState.ENABLED)
        .select_related("campaign", "community", "district", "coupon_business_type")
        .order_by("pk")
    ):
        period = rules.period_for(rule, today)
        if period is None:
            continue
        _run_rule(rule, period, run, today=today)
    run.finished_at = clock.now()
    run.save()
    logger.info(
        "grant_benefits granted=%s already=%s shortfalls=%s waiting=%s",
        run.granted,
        run.already,
        run.shortfalls,
        run.waiting,
    )
    return run


def _run_rule(rule: BenefitRule, period: rules.Period, run: BenefitRun, *, today):
    matches = rules.match_rule(rule, today=today)
    run.waiting += len(matches.waiting)
    done = set(
        BenefitGrant.objects.filter(rule=rule, period=period.key).values_list(
            "person_key", flat=True
        )
    )
    RulePeriod.objects.get_or_create(
        rule=rule,
        period=period.key,
        defaults={"starts_at": period.starts_at, "ends_at": period.ends_at},
    )
    short = 0
    for match in matches.eligible:
        if match.person_key in done:
            run.already += 1
            continue
        try:
            grant = _grant(rule, period, match, run)
        except DomainError as exc:
            if exc.code != "budget_exceeded":
                raise
            _record_shortfall(rule, period, match)
            short += 1
            continue
        if grant is None:
            run.already += 1
        else:
            run.granted += 1
    run.shortfalls += short
    if short:
        _tell_managers_of_shortfall(rule, period, short, today=today)


def _grant(rule, period: rules.Period, match: rules.Match, run) -> BenefitGrant | None:
    """Grant one match in one transaction; None if another run was first."""
    with transaction.atomic():
        slot = RulePeriod.objects.select_for_update().get(rule=rule, period=period.key)
        if BenefitGrant.objects.filter(
            rule=rule, period=period.key, person_key=match.person_key
        ).exists():
            return None
        claim_id = None
        if rule.kind == BenefitKind.VOUCHER:
            granted = grant_packet(
                actor=SYSTEM,
                campaign=rule.campaign,
                resident=match.resident,
                source_id=f"b{rule.pk}:{period.key}:{match.resident.pk}",
                spec=_round_spec(rule, period),
                round_id=slot.round_id,
            )
            if slot.round_id is None:
                slot.round = granted.round
                slot.save(update_fields=["round"])
            claim_id = granted.claim_id
            amount = rule.packet_face_fen
        else:
            amount = rule.relief_fen
        grant = BenefitGrant.objects.create(
            rule=rule,
            period=period.key,
            person_key=match.person_key,
            resident=match.resident,
            merchant=match.merchant,
            kind=rule.kind,
            amount_fen=amount,
            claim_id=claim_id,
            valid_from=period.starts_at,
            valid_until=period.ends_at,
            facts=[f.as_dict() for f in match.facts],
            run=run,
            created_at=clock.now(),
        )
        BenefitShortfall.objects.filter(
            rule=rule, period=period.key, person_key=match.person_key
        ).update(resolved_at=clock.now())
        _tell_person(grant, rule, period)
    return grant


def _round_spec(rule: BenefitRule, period: rules.Period) -> GrantRoundSpec:
    code = rule.coupon_business_type.code if rule.coupon_business_type_id else None
    return GrantRoundSpec(
        name=f"{rule.name} {period.label}",
        valid_from=period.starts_at,
        valid_until=period.ends_at,
        coupons=(
            CouponSpec(
                face_fen=rule.face_fen,
                threshold_fen=rule.threshold_fen,
                count=rule.coupon_count,
                business_type_code=code,
            ),
        ),
    )


def grant_title(grant: BenefitGrant) -> str:
    what = (
        f"{format_yuan(grant.amount_fen)}消费券"
        if grant.kind == BenefitKind.VOUCHER
        else f"{format_yuan(grant.amount_fen)}费用减免"
    )
    return f"您已自动获得“{grant.rule.name}”{what}"


def _tell_person(grant: BenefitGrant, rule: BenefitRule, period: rules.Period):
    why = ";".join(f["text"] for f in grant.facts)
    until = (period.ends_at - dt.timedelta(seconds=1)).astimezone(clock.SHANGHAI)
    body = (
        f"无需申请,系统已按规则自动发放({period.label},"
        f"有效期至{until:%Y-%m-%d})。符合条件的原因:{why}。"
    )
    if grant.kind == BenefitKind.VOUCHER and rule.coupon_business_type_id:
        body += f"限在“{rule.coupon_business_type.name_zh}”类商户使用。"
    users = (
        [grant.resident.user]
        if grant.resident_id
        else [s.user for s in grant.merchant.staff.select_related("user")]
    )
    for user in users:
        notify(
            user,
            kind="benefit_granted",
            title=grant_title(grant),
            body=body,
            url="/me/benefits/",
            key=f"benefit-grant:{grant.pk}",
        )


def _record_shortfall(rule, period: rules.Period, match: rules.Match) -> None:
    now = clock.now()
    available = ledger.get_balance(
        code=voucher_accounts.unallocated(rule.campaign_id).code
    )
    row, created = BenefitShortfall.objects.get_or_create(
        rule=rule,
        period=period.key,
        person_key=match.person_key,
        defaults={
            "resident": match.resident,
            "needed_fen": rule.packet_face_fen,
            "available_fen": available,
            "first_seen_at": now,
            "last_seen_at": now,
        },
    )
    if not created:
        row.available_fen, row.last_seen_at = available, now
        row.save(update_fields=["available_fen", "last_seen_at"])


def _tell_managers_of_shortfall(rule, period, count: int, *, today) -> None:
    from quarter.people.models import User

    if rule.community_id:
        managers = User.objects.filter(operator_roles__community_id=rule.community_id)
    else:
        managers = User.objects.filter(issuer_roles__district_id=rule.district_id)
    managers = set(managers) | {rule.created_by}
    for user in managers:
        notify(
            user,
            kind="benefit_shortfall",
            title=f"“{rule.name}”预算不足:{period.label}有{count}人未能发放",
            body=(
                f"活动“{rule.campaign.name}”剩余预算不足以发放每人"
                f"{format_yuan(rule.packet_face_fen)}的券包,这些居民本次未发放任何券。"
                "追加预算后,下一次每日发放会自动补发。"
            ),
            url=f"/benefits/rules/{rule.pk}/",
            key=f"benefit-shortfall:{rule.pk}:{period.key}:{today.isoformat()}",
        )
