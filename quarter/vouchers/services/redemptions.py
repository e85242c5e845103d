"""The till: quote and redeem the best voucher, refunds, review of held ones, expiry.

A resident shows the rotating wallet code (`codes.wallet_code`); merchant staff
type or scan it with the bill. The best voucher is chosen (largest face whose
threshold the bill reaches, usable at this shop's type, within validity, in a
campaign the shop pledged to, under the per-shop daily cap); only one voucher
per payment. Risk rules may hold the redemption for an operator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.core.money import format_yuan
from quarter.people.models import Resident
from quarter.places.hours import is_open_at
from quarter.places.models import Merchant, MerchantStaff
from quarter.vouchers import access, accounts, codes, events, ratelimit, risk
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.locks import lock_redemption, lock_vouchers
from quarter.vouchers.models import Claim, Redemption, Voucher

LIVE = (Redemption.Status.ACCEPTED, Redemption.Status.HELD, Redemption.Status.SETTLED)


@dataclass
class Quote:
    resident: Resident
    voucher: Voucher
    bill_fen: int
    face_fen: int
    payable_fen: int
    cofund_fen: int = 0  # the shop's co-funded share of face_fen


def quote_redemption(*, actor, merchant: Merchant, code: str, bill_fen: int) -> Quote:
    """Pick the best voucher for this bill; write nothing.

    Raises `shop_not_owned`, `bill_invalid`, `voucher_code_invalid`,
    `no_applicable_voucher`, `daily_cap_reached`.
    """
    _require_staff(actor, merchant)
    _check_bill(bill_fen)
    resident = _resident_from_code(code)
    voucher = _best_voucher(resident=resident, merchant=merchant, bill_fen=bill_fen)
    return Quote(
        resident=resident,
        voucher=voucher,
        bill_fen=bill_fen,
        face_fen=voucher.face_fen,
        payable_fen=bill_fen - voucher.face_fen,
        cofund_fen=voucher.round.campaign.merchant_share_fen(voucher.face_fen),
    )


def redeem_voucher(
    *,
    actor,
    merchant: Merchant,
    code: str,
    bill_fen: int,
    key: str,
    device: str = "",
    ip: str | None = None,
) -> Redemption:
    """Redeem the best voucher for a bill; a retry with the same key returns the first.

    Raises the codes of `quote_redemption`, `idempotency_key_required`,
    `idempotency_key_reused` (same key, different bill), `rate_limited`.
    Locks the voucher row. Ledger: redeem (round claimed -> merchant
    receivable, the whole face value; a co-funded share is netted at settlement). Event: redemption_made. Risk flags hold it for review.
    """
    _require_staff(actor, merchant)
    key = (key or "").strip()
    if not key or len(key) > 80:
        raise DomainError(Code.KEY_REQUIRED, "缺少幂等键", field="key")
    first = Redemption.objects.filter(merchant=merchant, key=key).first()
    if first is not None:
        return _same_or_refuse(first, bill_fen)
    ratelimit.hit("till", f"m{merchant.pk}", redis_client=ratelimit.redis_or_none())
    quote = quote_redemption(
        actor=actor, merchant=merchant, code=code, bill_fen=bill_fen
    )
    try:
        with transaction.atomic():
            voucher = lock_vouchers([quote.voucher.pk])[quote.voucher.pk]
            if voucher.status != Voucher.Status.UNUSED:
                raise DomainError(
                    Code.NO_APPLICABLE_VOUCHER, "这张券刚刚已被使用,请重试"
                )
            now = clock.now()
            flags = risk.evaluate(_risk_context(voucher, merchant, bill_fen, now))
            redemption = Redemption.objects.create(
                voucher=voucher,
                merchant=merchant,
                resident=quote.resident,
                staff=actor,
                key=key,
                bill_fen=bill_fen,
                face_fen=voucher.face_fen,
                cofund_fen=quote.cofund_fen,
                payable_fen=bill_fen - voucher.face_fen,
                status=Redemption.Status.HELD if flags else Redemption.Status.ACCEPTED,
                flags=[{"code": f.code, "reason": f.reason} for f in flags],
                device=(device or "")[:80],
                ip=ip or None,
                created_at=now,
            )
            voucher.status, voucher.status_at = Voucher.Status.USED, now
            voucher.save(update_fields=["status", "status_at"])
            c = quote.voucher.round.campaign_id
            accounts.move(
                accounts.claimed(c, voucher.round_id),
                accounts.receivable(c, merchant.pk),
                voucher.face_fen,
                key=f"redeem:{redemption.pk}",
                kind="redeem",
                reference=f"redemption:{redemption.pk}",
                memo=f"消费{format_yuan(bill_fen)} 抵扣{format_yuan(voucher.face_fen)}",
            )
            events.redemption_made(redemption, actor=actor)
    except IntegrityError:
        first = Redemption.objects.filter(merchant=merchant, key=key).first()
        if first is None:
            raise
        return _same_or_refuse(first, bill_fen)
    return redemption


def refund_redemption(*, actor, redemption: Redemption, amount_fen: int) -> Redemption:
    """Record a refund of the bill; a full refund inside validity restores the voucher.

    A partial refund restores nothing (the Hangzhou rule). Raises
    `shop_not_owned`, `redemption_not_refundable` (settled, rejected or already
    refunded), `refund_amount_invalid`. Ledger on a full refund: refund
    (receivable -> round claimed), then expire if the validity has passed.
    """
    _require_staff(actor, redemption.merchant)
    with transaction.atomic():
        r = lock_redemption(redemption.pk)
        if r.status not in (Redemption.Status.ACCEPTED, Redemption.Status.HELD):
            raise DomainError(
                Code.REDEMPTION_NOT_REFUNDABLE, "该笔核销已结算或已退款,不能再退"
            )
        if (
            type(amount_fen) is not int
            or amount_fen <= 0
            or (  # noqa: E721
                amount_fen > r.bill_fen - r.refunded_fen
            )
        ):
            raise DomainError(
                Code.REFUND_INVALID,
                f"退款金额应在0.01到{format_yuan(r.bill_fen - r.refunded_fen)}之间",
                field="amount_fen",
            )
        before = r.status
        r.refunded_fen += amount_fen
        full = r.refunded_fen == r.bill_fen
        if full:
            _restore_voucher(r)
            r.status = Redemption.Status.REFUNDED
        r.save(update_fields=["refunded_fen", "status"])
        events.redemption_refunded(
            r, actor=actor, amount_fen=amount_fen, full=full, before=before
        )
    return r


def review_redemption(
    *, actor, redemption: Redemption, release: bool, reason: str
) -> Redemption:
    """Release (pay it) or reject (never pay it) a held redemption, with a reason.

    Raises `not_operator`, `redemption_not_held`, `reason_required`.
    Ledger on reject: reject (receivable -> round rejected). Event: redemption_reviewed.
    """
    access.require_reviewer_of(actor, redemption)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(Code.REASON_REQUIRED, "请填写审核理由", field="reason")
    with transaction.atomic():
        r = lock_redemption(redemption.pk)
        if r.status != Redemption.Status.HELD:
            raise DomainError(Code.REDEMPTION_NOT_HELD, "该笔核销不在待审状态")
        before = r.status
        r.status = Redemption.Status.ACCEPTED if release else Redemption.Status.REJECTED
        r.reviewed_by, r.reviewed_at, r.review_reason = actor, clock.now(), reason
        r.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
        if not release:
            v = r.voucher
            c = v.round.campaign_id
            accounts.move(
                accounts.receivable(c, r.merchant_id),
                accounts.rejected(c, v.round_id),
                r.face_fen,
                key=f"reject:{r.pk}",
                kind="reject",
                reference=f"redemption:{r.pk}",
                memo=reason[:200],
            )
        events.redemption_reviewed(r, actor=actor, reason=reason, before=before)
    return r


def expire_vouchers(*, now: dt.datetime | None = None, limit: int = 5000) -> int:
    """Expire unused vouchers past their validity and release their money; return count.

    Idempotent and safe to run on two machines at once (rows are claimed with
    SKIP LOCKED on PostgreSQL). Ledger per round: expire (claimed -> expired).
    """
    from quarter.vouchers.models import Round

    now = now or clock.now()
    total = 0
    with transaction.atomic():
        qs = Voucher.objects.filter(
            status=Voucher.Status.UNUSED, valid_until__lte=now
        ).order_by("pk")
        rows = list(
            qs.select_for_update(skip_locked=True).values_list(
                "pk", "round_id", "face_fen"
            )[:limit]
        )
        by_round: dict[int, list] = {}
        for pk, round_id, face in rows:
            by_round.setdefault(round_id, []).append((pk, face))
        for round_id, items in by_round.items():
            ids = [pk for pk, _ in items]
            Voucher.objects.filter(pk__in=ids, status=Voucher.Status.UNUSED).update(
                status=Voucher.Status.EXPIRED, status_at=now
            )
            amount = sum(face for _, face in items)
            round_ = Round.objects.get(pk=round_id)
            accounts.move(
                accounts.claimed(round_.campaign_id, round_id),
                accounts.expired(round_.campaign_id, round_id),
                amount,
                key=f"expire:{round_id}:{ids[0]}:{ids[-1]}:{len(ids)}",
                kind="expire",
                reference=f"round:{round_id}",
                memo=f"{len(ids)} 张过期",
            )
            events.vouchers_expired(round_, count=len(ids), amount_fen=amount)
            total += len(ids)
    return total


# --- steps ------------------------------------------------------------------


def _require_staff(actor, merchant: Merchant) -> None:
    access.require_till_staff(actor, merchant)


def _check_bill(bill_fen) -> None:
    if type(bill_fen) is not int or bill_fen <= 0 or bill_fen > 10_000_000:  # noqa: E721
        raise DomainError(
            Code.BILL_INVALID, "请输入正确的消费金额(0.01元至10万元)", field="bill_fen"
        )


def _resident_from_code(code: str) -> Resident:
    resident_id = codes.parse_wallet_code(code, at=clock.now().timestamp())
    resident = Resident.objects.filter(pk=resident_id).first() if resident_id else None
    if resident is None:
        raise DomainError(
            Code.CODE_INVALID, "券码无效或已过期,请让顾客刷新付款码", field="code"
        )
    return resident


def usable_vouchers(*, resident: Resident, merchant: Merchant, now: dt.datetime):
    """Return the resident's unused, valid vouchers this shop may accept (any bill)."""
    district_id = merchant.community.street_office.district_id
    return (
        Voucher.objects.filter(
            resident=resident,
            status=Voucher.Status.UNUSED,
            valid_from__lte=now,
            valid_until__gt=now,
            round__campaign__pledges__merchant=merchant,
            round__campaign__issuer__district_id=district_id,
        )
        .filter(Q(business_type__isnull=True) | Q(business_type=merchant.main_type_id))
        .filter(
            Q(round__campaign__business_types__isnull=True)
            | Q(round__campaign__business_types=merchant.main_type_id)
        )
        .filter(
            Q(
                round__campaign__communities__isnull=True,
                round__campaign__street_offices__isnull=True,
            )
            | Q(round__campaign__communities=merchant.community_id)
            | Q(round__campaign__street_offices=merchant.community.street_office_id)
        )
        .select_related("round__campaign")
        .distinct()
    )


def _best_voucher(*, resident: Resident, merchant: Merchant, bill_fen: int) -> Voucher:
    now = clock.now()
    candidates = list(usable_vouchers(resident=resident, merchant=merchant, now=now))
    if not candidates:
        raise DomainError(Code.NO_APPLICABLE_VOUCHER, "顾客没有可在本店使用的消费券")
    reachable = [v for v in candidates if v.threshold_fen <= bill_fen]
    if not reachable:
        lowest = min(v.threshold_fen for v in candidates)
        raise DomainError(
            Code.NO_APPLICABLE_VOUCHER,
            f"消费金额未达到使用门槛(最低满{format_yuan(lowest)}可用)",
            field="bill_fen",
        )
    day_start = now.astimezone(clock.SHANGHAI).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    used_today = dict(
        Redemption.objects.filter(
            resident=resident,
            merchant=merchant,
            status__in=LIVE,
            created_at__gte=day_start,
        )
        .values_list("voucher__round__campaign_id")
        .annotate(n=Count("id"))
    )
    allowed = [
        v
        for v in reachable
        if used_today.get(v.round.campaign_id, 0)
        < v.round.campaign.max_per_merchant_per_day
    ]
    if not allowed:
        raise DomainError(Code.DAILY_CAP, "该顾客今天在本店的用券次数已达上限")
    return max(allowed, key=lambda v: (v.face_fen, -v.valid_until.timestamp(), -v.pk))


def _same_or_refuse(first: Redemption, bill_fen: int) -> Redemption:
    if first.bill_fen != bill_fen:
        raise DomainError(Code.KEY_REUSED, "同一笔核销请求的金额不一致,请刷新后重试")
    return first


def _restore_voucher(r: Redemption) -> None:
    v = lock_vouchers([r.voucher_id])[r.voucher_id]
    c = v.round.campaign_id
    accounts.move(
        accounts.receivable(c, r.merchant_id),
        accounts.claimed(c, v.round_id),
        r.face_fen,
        key=f"refund:{r.pk}",
        kind="refund",
        reference=f"redemption:{r.pk}",
    )
    now = clock.now()
    if now < v.valid_until:
        v.status = Voucher.Status.UNUSED
    else:
        v.status = Voucher.Status.EXPIRED
        accounts.move(
            accounts.claimed(c, v.round_id),
            accounts.expired(c, v.round_id),
            v.face_fen,
            key=f"refund-expire:{r.pk}",
            kind="expire",
            reference=f"voucher:{v.pk}",
        )
    v.status_at = now
    v.save(update_fields=["status", "status_at"])


def _risk_context(
    voucher: Voucher, merchant: Merchant, bill_fen: int, now: dt.datetime
) -> risk.RiskContext:
    local = now.astimezone(clock.SHANGHAI)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    shop = Redemption.objects.filter(merchant=merchant).exclude(status="rejected")
    pair = list(
        shop.filter(
            resident_id=voucher.resident_id, created_at__gte=now - risk.PAIR_WINDOW
        ).values_list("created_at", flat=True)
    )
    recent = list(
        shop.filter(created_at__gte=now - dt.timedelta(days=7)).values_list(
            "bill_fen", "voucher__threshold_fen"
        )[:200]
    )
    today = shop.filter(created_at__gte=day_start).count()
    history = []
    for back in range(1, 15):
        start = day_start - dt.timedelta(days=back)
        history.append(
            shop.filter(
                created_at__gte=start, created_at__lt=start + dt.timedelta(days=1)
            ).count()
        )
    history = history if any(history) else []
    has_hours = merchant.hours.exists()
    claim = (
        Claim.objects.filter(pk=voucher.claim_id)
        .values("ip", "device", "round_id")
        .first()
    )
    sharing = 0
    if claim and (claim["ip"] or claim["device"]):
        same = Q(ip=claim["ip"]) if claim["ip"] else Q()
        if claim["device"]:
            same = (
                same | Q(device=claim["device"])
                if claim["ip"]
                else Q(device=claim["device"])
            )
        sharing = (
            Claim.objects.filter(round_id=claim["round_id"])
            .filter(same)
            .values("resident_id")
            .distinct()
            .count()
        )
    staff = MerchantStaff.objects.filter(merchant=merchant)
    resident = Resident.objects.get(pk=voucher.resident_id)
    staff_users = set(staff.values_list("user_id", flat=True))
    staff_households = set(
        Resident.objects.filter(
            user_id__in=staff_users, household__isnull=False
        ).values_list("household_id", flat=True)
    )
    return risk.RiskContext(
        at=local,
        bill_fen=bill_fen,
        threshold_fen=voucher.threshold_fen,
        pair_recent=[t.astimezone(clock.SHANGHAI) for t in pair],
        shop_recent=recent,
        shop_today=today,
        shop_daily_history=history,
        shop_open=is_open_at(merchant, local) if has_hours else None,
        claim_source_residents=sharing,
        resident_is_staff=resident.user_id in staff_users,
        resident_is_staff_family=bool(
            resident.household_id and resident.household_id in staff_households
        ),
    )
