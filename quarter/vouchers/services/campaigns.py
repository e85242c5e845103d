"""Campaigns and rounds: design, fund, change a future round, stop an open one.

Every verb checks the actor is an issuer of the campaign's district, validates
all input before writing (a refused request writes nothing), runs in one
transaction, posts its money movement to the ledger and records an event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.money import format_yuan
from quarter.ledger import selectors as ledger
from quarter.people.models import Issuer
from quarter.places.models import BusinessType, Community, Merchant, StreetOffice
from quarter.vouchers import access, accounts, events, presets
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.locks import lock_round
from quarter.vouchers.models import (
    Campaign,
    CardStacking,
    ClaimMode,
    MerchantPledge,
    PersonLimit,
    Phase,
    Round,
    RoundCoupon,
)


@dataclass(frozen=True)
class CouponSpec:
    face_fen: int
    threshold_fen: int
    count: int = 1
    business_type_code: str | None = None


# Decided in access.py; kept importable from here for existing callers.
issuer_for = access.issuer_for
require_issuer_of = access.require_issuer_of


def create_campaign(
    *,
    actor,
    name: str,
    budget_fen: int,
    community_ids=(),
    street_office_ids=(),
    business_type_codes=(),
    max_per_merchant_per_day: int = 1,
    cofund_permille: int = 0,
    issuer: Issuer | None = None,
    open_to_unregistered: bool = False,
    card_stacking: str = CardStacking.AFTER_CARD,
) -> Campaign:
    """Create a campaign and fund its budget from the issuer's treasury.

    The eligible area is the given streets and communities together (none:
    the issuer's whole district). Raises `not_issuer`, `name_required`,
    `amount_not_positive`, `community_outside_district`, `unknown_business_type`.
    Ledger: fund (treasury -> campaign unallocated). Event: campaign_created.
    """
    issuer = issuer or issuer_for(actor)
    if issuer.user_id != getattr(actor, "pk", None):
        issuer = issuer_for(actor, district_id=issuer.district_id)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise DomainError(Code.NAME_REQUIRED, "请填写活动名称(80字以内)", field="name")
    _positive(budget_fen, field="budget_fen", label="活动预算")
    if not 1 <= int(max_per_merchant_per_day) <= 20:
        raise DomainError(
            Code.AMOUNT_NOT_POSITIVE,
            "每人每店每日用券次数应在1到20之间",
            field="max_per_merchant_per_day",
        )
    if not 0 <= int(cofund_permille) <= 1000:
        raise DomainError(
            Code.AMOUNT_NOT_POSITIVE,
            "商户配资比例应在0到1000‰之间",
            field="cofund_permille",
        )
    if card_stacking not in CardStacking.values:
        raise DomainError(
            Code.UNKNOWN_STACKING,
            "请选择满减券与大家卡的叠加方式",
            field="card_stacking",
        )
    communities = list(Community.objects.filter(pk__in=list(community_ids)))
    if len(communities) != len(set(community_ids)) or any(
        c.street_office.district_id != issuer.district_id for c in communities
    ):
        raise DomainError(
            Code.COMMUNITY_OUTSIDE_DISTRICT, "只能选择本区的社区", field="community_ids"
        )
    streets = list(StreetOffice.objects.filter(pk__in=list(street_office_ids)))
    if len(streets) != len(set(street_office_ids)) or any(
        s.district_id != issuer.district_id for s in streets
    ):
        raise DomainError(
            Code.COMMUNITY_OUTSIDE_DISTRICT,
            "只能选择本区的街道",
            field="street_office_ids",
        )
    types = _business_types(business_type_codes)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            issuer=issuer,
            name=name,
            budget_fen=budget_fen,
            max_per_merchant_per_day=max_per_merchant_per_day,
            cofund_permille=cofund_permille,
            open_to_unregistered=bool(open_to_unregistered),
            card_stacking=card_stacking,
            created_by=actor,
            created_at=clock.now(),
        )
        campaign.communities.set(communities)
        campaign.street_offices.set(streets)
        campaign.business_types.set(types)
        accounts.move(
            accounts.treasury(issuer.pk),
            accounts.unallocated(campaign.pk),
            budget_fen,
            key=f"fund:campaign:{campaign.pk}",
            kind="fund",
            reference=campaign.bucket,
            memo=f"{campaign.name} 预算",
        )
        events.campaign_created(campaign, actor=actor)
    return campaign


def coupons_from_preset(code: str) -> list[CouponSpec]:
    preset = presets.PRESETS.get(code)
    if preset is None:
        raise DomainError(Code.UNKNOWN_PRESET, "没有这个券包模板", field="preset")
    return [
        CouponSpec(face, threshold, count)
        for face, threshold, count in preset["coupons"]
    ]


def create_round(
    *,
    actor,
    campaign: Campaign,
    name: str,
    release_at: dt.datetime,
    claim_closes_at: dt.datetime,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    packets_total: int,
    coupons: list[CouponSpec],
    person_limit: str = PersonLimit.ROUND,
    min_age: int | None = None,
    mode: str = ClaimMode.FIRST_COME,
    stock_shards: int = 16,
) -> Round:
    """Create a future round and allocate its face value from the campaign budget.

    Raises `not_issuer`, `name_required`, `amount_not_positive`,
    `threshold_below_face`, `packet_empty`, `times_not_ordered`,
    `budget_exceeded`, `unknown_business_type`.
    Ledger: allocate (campaign unallocated -> round unclaimed). Event: round_created.
    On commit: the claim engine loads the stock.
    """
    require_issuer_of(actor, campaign)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise DomainError(Code.NAME_REQUIRED, "请填写轮次名称(80字以内)", field="name")
    coupon_rows = _check_coupons(coupons)
    _check_times(release_at, claim_closes_at, valid_from, valid_until, now=clock.now())
    _positive(packets_total, field="packets_total", label="券包数量")
    if person_limit not in PersonLimit.values:
        raise DomainError(
            Code.AMOUNT_NOT_POSITIVE, "每人限领方式不正确", field="person_limit"
        )
    if mode not in ClaimMode.values:
        raise DomainError(Code.AMOUNT_NOT_POSITIVE, "发放方式不正确", field="mode")
    if mode == ClaimMode.LOTTERY and person_limit == PersonLimit.WEEK:
        # A draw has no claim week to count against; say so instead of
        # silently ignoring the limit.
        raise DomainError(
            Code.AMOUNT_NOT_POSITIVE,
            "摇号轮次每轮每人一份,不能按周限领",
            field="person_limit",
        )
    if min_age is not None and not 0 < int(min_age) < 120:
        raise DomainError(
            Code.AMOUNT_NOT_POSITIVE, "年龄限制应在1到119岁之间", field="min_age"
        )
    face = presets.packet_face_fen(
        [(c.face_fen, c.threshold_fen, c.count) for c in coupons]
    )
    with transaction.atomic():
        _check_budget(campaign, extra_fen=packets_total * face)
        round_ = Round.objects.create(
            campaign=campaign,
            name=name,
            release_at=release_at,
            claim_closes_at=claim_closes_at,
            valid_from=valid_from,
            valid_until=valid_until,
            packets_total=packets_total,
            packet_face_fen=face,
            person_limit=person_limit,
            min_age=min_age,
            mode=mode,
            stock_shards=max(1, min(int(stock_shards), 64)),
            created_at=clock.now(),
        )
        for i, row in enumerate(coupon_rows):
            RoundCoupon.objects.create(round=round_, position=i, **row)
        _allocate(round_, packets_total * face, version="create")
        events.round_created(round_, actor=actor, snapshot=round_snapshot(round_))
        _load_stock(round_)
    return round_


def change_round(*, actor, round_: Round, reason: str, **changes) -> Round:
    """Change a round that has not opened yet (faces, quantity, times), with a reason.

    `changes` may hold name, release_at, claim_closes_at, valid_from,
    valid_until, packets_total, coupons. Raises `round_already_open`,
    `reason_required` and every validation code of `create_round`.
    Ledger: allocate or release the difference. Event: round_changed.
    """
    require_issuer_of(actor, round_.campaign)
    reason = _reason(reason)
    with transaction.atomic():
        locked = lock_round(round_.pk)
        now = clock.now()
        if locked.phase(now) != Phase.SCHEDULED:
            raise DomainError(
                Code.ROUND_ALREADY_OPEN, "该轮次已开始发放,只能停止,不能修改"
            )
        before = round_snapshot(locked)
        times = {
            k: changes.get(k, getattr(locked, k))
            for k in ("release_at", "claim_closes_at", "valid_from", "valid_until")
        }
        _check_times(*times.values(), now=now)
        packets = changes.get("packets_total", locked.packets_total)
        _positive(packets, field="packets_total", label="券包数量")
        coupons = changes.get("coupons")
        if coupons is not None:
            coupon_rows = _check_coupons(coupons)
            face = presets.packet_face_fen(
                [(c.face_fen, c.threshold_fen, c.count) for c in coupons]
            )
        else:
            coupon_rows, face = None, locked.packet_face_fen
        if "name" in changes:
            name = (changes["name"] or "").strip()
            if not name or len(name) > 80:
                raise DomainError(
                    Code.NAME_REQUIRED, "请填写轮次名称(80字以内)", field="name"
                )
            locked.name = name
        delta = packets * face - locked.committed_fen
        if delta > 0:
            _check_budget(locked.campaign, extra_fen=delta)
        for k, v in times.items():
            setattr(locked, k, v)
        locked.packets_total, locked.packet_face_fen = packets, face
        locked.save()
        if coupon_rows is not None:
            locked.coupons.all().delete()
            for i, row in enumerate(coupon_rows):
                RoundCoupon.objects.create(round=locked, position=i, **row)
        version = f"change:{locked.events.count()}"
        if delta > 0:
            _allocate(locked, delta, version=version)
        elif delta < 0:
            _release(locked, -delta, version=version)
        events.round_changed(
            locked,
            actor=actor,
            reason=reason,
            before=before,
            after=round_snapshot(locked),
        )
        _load_stock(locked)
    return locked


def stop_round(*, actor, round_: Round, reason: str) -> Round:
    """Stop a scheduled or open round; its unclaimed packets go back to the budget.

    Raises `round_not_stoppable` (already stopped or closed), `reason_required`.
    Ledger: release (round unclaimed -> campaign unallocated). Event: round_stopped.
    """
    from quarter.vouchers.engines import get_engine

    require_issuer_of(actor, round_.campaign)
    reason = _reason(reason)
    with transaction.atomic():
        locked = lock_round(round_.pk)
        try:
            changed = locked._transition(Phase.STOPPED, now=clock.now())
        except DomainError:
            raise DomainError(
                Code.ROUND_NOT_STOPPABLE, "该轮次已结束或已停止"
            ) from None
        locked.save(update_fields=changed)
        released = get_engine().stop(locked)
        if released:
            _release(locked, released * locked.packet_face_fen, version="stop")
        events.round_stopped(
            locked, actor=actor, reason=reason, released_packets=released
        )
    return locked


def sign_pledge(*, actor, campaign: Campaign, merchant: Merchant) -> MerchantPledge:
    """Record the merchant's pledge (no fake prices, no disguised rises)
    to accept vouchers."""
    access.require_till_staff(actor, merchant)
    access.require_in_programme(merchant)
    with transaction.atomic():
        pledge, created = MerchantPledge.objects.get_or_create(
            campaign=campaign,
            merchant=merchant,
            defaults={"signed_by": actor, "signed_at": clock.now()},
        )
        if created:
            events.merchant_pledged(campaign, actor=actor, merchant_id=merchant.pk)
    return pledge


def round_snapshot(round_: Round) -> dict:
    return {
        "name": round_.name,
        "release_at": round_.release_at.isoformat(),
        "claim_closes_at": round_.claim_closes_at.isoformat(),
        "valid_from": round_.valid_from.isoformat(),
        "valid_until": round_.valid_until.isoformat(),
        "packets_total": round_.packets_total,
        "packet_face_fen": round_.packet_face_fen,
        "coupons": [
            [c.face_fen, c.threshold_fen, c.count] for c in round_.coupons.all()
        ],
    }


# --- steps ------------------------------------------------------------------


def _positive(value, *, field: str, label: str) -> None:
    if type(value) is not int or value <= 0:  # noqa: E721 - floats and bools refused
        raise DomainError(
            Code.AMOUNT_NOT_POSITIVE, f"{label}必须是大于0的整数", field=field
        )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(Code.REASON_REQUIRED, "请填写原因", field="reason")
    return reason


def _business_types(codes) -> list[BusinessType]:
    codes = [c for c in codes if c]
    types = list(BusinessType.objects.filter(code__in=codes))
    if len(types) != len(set(codes)):
        raise DomainError(
            Code.UNKNOWN_BUSINESS_TYPE, "业态不存在", field="business_types"
        )
    return types


def _check_coupons(coupons: list[CouponSpec]) -> list[dict]:
    if not coupons:
        raise DomainError(Code.PACKET_EMPTY, "券包至少要有一种券", field="coupons")
    rows = []
    for i, c in enumerate(coupons):
        field = f"coupons.{i}"
        _positive(c.face_fen, field=f"{field}.face_fen", label="面值")
        _positive(c.threshold_fen, field=f"{field}.threshold_fen", label="使用门槛")
        _positive(c.count, field=f"{field}.count", label="张数")
        if c.threshold_fen < c.face_fen:
            raise DomainError(
                Code.THRESHOLD_BELOW_FACE,
                f"使用门槛({format_yuan(c.threshold_fen)})不能低于面值({format_yuan(c.face_fen)})",
                field=f"{field}.threshold_fen",
            )
        if c.count > 20:
            raise DomainError(
                Code.AMOUNT_NOT_POSITIVE, "每种券每包最多20张", field=f"{field}.count"
            )
        btype = (
            _business_types([c.business_type_code])[0] if c.business_type_code else None
        )
        rows.append(
            {
                "face_fen": c.face_fen,
                "threshold_fen": c.threshold_fen,
                "count": c.count,
                "business_type": btype,
            }
        )
    return rows


def _check_times(release_at, claim_closes_at, valid_from, valid_until, *, now) -> None:
    for field, value in (
        ("release_at", release_at),
        ("claim_closes_at", claim_closes_at),
        ("valid_from", valid_from),
        ("valid_until", valid_until),
    ):
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise DomainError(
                Code.TIMES_NOT_ORDERED, "请填写完整的日期和时间", field=field
            )
    if release_at <= now:
        raise DomainError(
            Code.TIMES_NOT_ORDERED, "开抢时间必须晚于现在", field="release_at"
        )
    if claim_closes_at <= release_at:
        raise DomainError(
            Code.TIMES_NOT_ORDERED, "领取截止必须晚于开抢时间", field="claim_closes_at"
        )
    if valid_until <= valid_from:
        raise DomainError(
            Code.TIMES_NOT_ORDERED, "使用截止必须晚于使用开始", field="valid_until"
        )
    if valid_from < release_at:
        raise DomainError(
            Code.TIMES_NOT_ORDERED, "使用开始不能早于开抢时间", field="valid_from"
        )
    if valid_until < claim_closes_at:
        raise DomainError(
            Code.TIMES_NOT_ORDERED, "使用截止不能早于领取截止", field="valid_until"
        )


def _check_budget(campaign: Campaign, *, extra_fen: int) -> None:
    available = ledger.get_balance(code=accounts.unallocated(campaign.pk).code)
    if extra_fen > available:
        raise DomainError(
            Code.BUDGET_EXCEEDED,
            f"预算不足:本轮需要{format_yuan(extra_fen)},活动剩余可分配{format_yuan(available)}",
            field="packets_total",
            params={"needed_fen": extra_fen, "available_fen": available},
        )


def _allocate(round_: Round, amount_fen: int, *, version: str) -> None:
    c = round_.campaign_id
    try:
        accounts.move(
            accounts.unallocated(c),
            accounts.unclaimed(c, round_.pk),
            amount_fen,
            key=f"allocate:round:{round_.pk}:{version}",
            kind="allocate",
            reference=f"round:{round_.pk}",
        )
    except DomainError as exc:  # the ledger guard agrees with _check_budget
        if exc.code == "ledger_insufficient_funds":
            raise DomainError(
                Code.BUDGET_EXCEEDED, "预算不足,不能超额分配", field="packets_total"
            ) from None
        raise


def _release(round_: Round, amount_fen: int, *, version: str) -> None:
    c = round_.campaign_id
    accounts.move(
        accounts.unclaimed(c, round_.pk),
        accounts.unallocated(c),
        amount_fen,
        key=f"release:round:{round_.pk}:{version}",
        kind="release",
        reference=f"round:{round_.pk}",
    )


def _load_stock(round_: Round) -> None:
    """Load the round's stock into the claim engine: in this transaction for the
    database engine, after commit for Redis (a rolled-back round loads nothing)."""
    from quarter.vouchers.engines import get_engine

    engine = get_engine()
    if engine.transactional:
        engine.prepare(round_)
    else:
        round_id = round_.pk
        transaction.on_commit(lambda: engine.prepare(Round.objects.get(pk=round_id)))
