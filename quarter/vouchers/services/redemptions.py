"""The till: quote and redeem the best voucher, refunds, review of held ones, expiry.

A resident shows the wallet pay code (`codes`: a QR token, or 18 typed
digits); merchant staff scan or type it with the bill. The best voucher is
chosen (largest face whose threshold the bill reaches, usable at this shop's
type, within validity, in a campaign the shop pledged to, under the per-shop
daily cap); only one voucher per payment. Risk rules may hold the redemption
for an operator. State changes go through the tables in `models.py`.

Every redemption also records its visit (`quarter.card.visits.record_visit`,
same transaction, same key); with the community card the till calls
`_do_redeem` from `quarter.card.payments` with the card's price cut, and
refunds refund the visit too. The pay-code guard below
(`guard_till_attempt`, `count_till_failure`) is shared with the card's QR and
the printed household card's PIN.

Pay codes are guarded at the till: each quote counts against the till and
the code (`ratelimit` scopes ``till`` and ``code``); a wrong code counts a
failure of the till (``till_fail``: too many and the till must wait) and, when
it names a resident, of that resident's code (``code_fail``: the fifth locks
it for the window, records `wallet_code_locked`, and the risk rule
`code_guessed` holds that wallet's redemptions for review for a day).

What one redemption costs (`test_redeem_query_budget` counts it): the staff
check, the idempotency key, one statement for the pay-code counters, then in
one transaction: the resident's row locked — every redemption of one
resident queues there, so the per-day cap read next cannot be passed by two
tills at once —, the usable vouchers with today's uses (one query), the
risk context (one query), the redemption, the voucher's and the claim's
transitions, the ledger movement and the event.

Refund rule: a refund gives back cash, at most what the customer paid
(`payable_fen`). Refunding all of it is a full refund and restores the
voucher. A partial refund restores nothing (the Hangzhou rule) and takes back
the same share of the face value from the merchant (`refund_cut_fen` =
face × refunded ÷ paid, rounded down), which settlement never pays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from quarter.card.models import Visit
from quarter.card.visits import record_visit, refund_visit
from quarter.core import clock, sql
from quarter.core.errors import DomainError
from quarter.core.money import format_yuan
from quarter.people.models import Resident
from quarter.places.models import (
    Community,
    Merchant,
    MerchantStaff,
    OpeningException,
    OpeningHours,
)
from quarter.vouchers import access, accounts, codes, events, ratelimit, risk
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.locks import lock_redemption, lock_resident, lock_vouchers
from quarter.vouchers.models import (
    CLAIM_TRANSITIONS,
    REDEMPTION_TRANSITIONS,
    VOUCHER_TRANSITIONS,
    Claim,
    Redemption,
    Voucher,
    VoucherEvent,
    VoucherEventKind,
)

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
    """Pick the best voucher for this bill; write nothing but the pay-code counters.

    Raises `shop_not_owned`, `bill_invalid`, `voucher_code_invalid`,
    `voucher_code_locked`, `rate_limited`, `no_applicable_voucher`,
    `daily_cap_reached`.
    """
    _require_staff(actor, merchant)
    access.require_in_programme(merchant)
    _check_bill(bill_fen)
    now = clock.now()
    resident_id = _resident_id_from_code(code, merchant=merchant, now=now)
    resident = Resident.objects.filter(pk=resident_id).first()
    if resident is None:
        raise _code_invalid()
    voucher = _best_voucher(
        resident_id=resident.pk, merchant=merchant, bill_fen=bill_fen, now=now
    )
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
    `idempotency_key_reused` (same key, different bill). Locks the resident's
    row, then checks the daily cap and picks the voucher under that lock.
    Ledger: redeem (round claimed -> merchant receivable, the whole face
    value; a co-funded share is netted at settlement). Event:
    redemption_made. Risk flags hold it for review.
    """
    _require_staff(actor, merchant)
    key = (key or "").strip()
    if not key or len(key) > 80:
        raise DomainError(Code.KEY_REQUIRED, "缺少幂等键", field="key")
    first = Redemption.objects.filter(merchant=merchant, key=key).first()
    if first is not None:
        return _same_or_refuse(first, bill_fen)
    access.require_in_programme(merchant)
    _check_bill(bill_fen)
    now = clock.now()
    resident_id = _resident_id_from_code(code, merchant=merchant, now=now)
    try:
        with transaction.atomic():
            resident = lock_resident(resident_id)
            if resident is None:
                raise _code_invalid()
            return _do_redeem(
                actor=actor,
                merchant=merchant,
                resident=resident,
                bill_fen=bill_fen,
                key=key,
                device=device,
                ip=ip,
                now=now,
            )
    except IntegrityError:
        first = Redemption.objects.filter(merchant=merchant, key=key).first()
        if first is None:
            raise
        return _same_or_refuse(first, bill_fen)


def _do_redeem(
    *,
    actor,
    merchant,
    resident,
    bill_fen,
    key,
    device,
    ip,
    now,
    voucher: Voucher | None = None,
    base_fen: int | None = None,
    card_discount_fen: int = 0,
) -> Redemption:
    """Write one redemption and its visit. Precondition: inside atomic, resident locked.

    Alone (the voucher till of old), the best voucher for `bill_fen` is
    picked. With the community card (`quarter.card.payments`), the caller
    passes the `voucher` it chose, the `base_fen` its threshold was measured
    on (the redemption's bill) and the card's `card_discount_fen` off the
    `bill_fen`; the redemption's payable is what the customer pays.
    """
    if voucher is None:
        voucher = _best_voucher(
            resident_id=resident.pk, merchant=merchant, bill_fen=bill_fen, now=now
        )
    base_fen = bill_fen if base_fen is None else base_fen
    payable_fen = bill_fen - card_discount_fen - voucher.face_fen
    campaign = voucher.round.campaign
    flags = risk.evaluate(_risk_context(voucher, resident, merchant, base_fen, now))
    redemption = Redemption.objects.create(
        voucher=voucher,
        merchant=merchant,
        resident=resident,
        staff=actor,
        key=key,
        bill_fen=base_fen,
        face_fen=voucher.face_fen,
        cofund_fen=campaign.merchant_share_fen(voucher.face_fen),
        payable_fen=payable_fen,
        status=Redemption.Status.HELD if flags else Redemption.Status.ACCEPTED,
        flags=[{"code": f.code, "reason": f.reason} for f in flags],
        device=(device or "")[:80],
        ip=ip or None,
        created_at=now,
    )
    _save_voucher_transition(voucher, Voucher.Status.USED, now=now)
    if voucher.claim_unused == 1:  # it was the claim's last unused voucher
        _close_spent_claims([voucher.claim_id])
    accounts.move(
        accounts.claimed(campaign.pk, voucher.round_id),
        accounts.receivable(campaign.pk, merchant.pk),
        voucher.face_fen,
        key=f"redeem:{redemption.pk}",
        kind="redeem",
        reference=f"redemption:{redemption.pk}",
        memo=f"消费{format_yuan(bill_fen)} 抵扣{format_yuan(voucher.face_fen)}",
    )
    events.redemption_made(redemption, actor=actor)
    record_visit(
        merchant=merchant,
        staff=actor,
        key=key,
        bill_fen=bill_fen,
        card_discount_fen=card_discount_fen,
        voucher_face_fen=voucher.face_fen,
        resident=resident,
        redemption=redemption,
    )
    return redemption


def refund_cut_fen(redemption: Redemption, *, refunded_fen: int) -> int:
    """Return the face value a refund of `refunded_fen` in total takes back (the rule).

    The voucher paid for the same share of the returned goods as the cash
    did: face × refunded ÷ paid, rounded down (the merchant keeps the odd fen
    until the refund is full). All of the face value when all is refunded.
    """
    if refunded_fen >= redemption.payable_fen:
        return redemption.face_fen
    return redemption.face_fen * refunded_fen // redemption.payable_fen


def refund_redemption(*, actor, redemption: Redemption, amount_fen: int) -> Redemption:
    """Give back cash, at most what the customer paid; all of it restores the voucher.

    A partial refund restores nothing (the Hangzhou rule) and takes back the
    face value `refund_cut_fen` says, which settlement then never pays.
    Raises `shop_not_owned`, `redemption_not_refundable` (settled, rejected or
    already refunded), `refund_amount_invalid`. Ledger: on a partial refund,
    refund_cut (receivable -> round refund cut); on the full refund, refund
    (receivable and refund cut -> round claimed), then expire if the validity
    has passed. Event: redemption_refunded.
    """
    _require_staff(actor, redemption.merchant)
    if type(amount_fen) is not int:  # noqa: E721 - floats and bools refused
        raise _refund_invalid(redemption.payable_fen - redemption.refunded_fen)
    with transaction.atomic():
        r = lock_redemption(redemption.pk)
        if not REDEMPTION_TRANSITIONS.allowed(r.status, Redemption.Status.REFUNDED):
            raise DomainError(
                Code.REDEMPTION_NOT_REFUNDABLE, "该笔核销已结算或已退款,不能再退"
            )
        left = r.payable_fen - r.refunded_fen
        if not (0 < amount_fen <= left or amount_fen == left == 0):
            raise _refund_invalid(left)
        before, cut_before = r.status, r.refund_cut_fen
        r.refunded_fen += amount_fen
        full = r.refunded_fen == r.payable_fen
        changed = ["refunded_fen", "refund_cut_fen"]
        if full:
            _restore_voucher(r)
            r.refund_cut_fen = 0
            changed += r._transition(Redemption.Status.REFUNDED)
        else:
            r.refund_cut_fen = refund_cut_fen(r, refunded_fen=r.refunded_fen)
            _post_refund_cut(r, r.refund_cut_fen - cut_before)
        r.save(update_fields=changed)
        visit = Visit.objects.filter(redemption_id=r.pk).first()
        if visit is not None:  # redemptions from before the visit log have none
            refund_visit(visit, refunded_fen=None if full else amount_fen)
        events.redemption_refunded(
            r,
            actor=actor,
            amount_fen=amount_fen,
            full=full,
            before=before,
            cut_fen=r.refund_cut_fen - cut_before,
        )
    return r


def review_redemption(
    *, actor, redemption: Redemption, release: bool, reason: str
) -> Redemption:
    """Release (pay it) or reject (never pay it) a held redemption, with a reason.

    Raises `not_operator`, `redemption_not_held`, `reason_required`.
    Ledger on reject: reject (receivable -> round rejected, what the
    receivable still holds of it). Event: redemption_reviewed.
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
        changed = r._transition(
            Redemption.Status.ACCEPTED if release else Redemption.Status.REJECTED
        )
        r.reviewed_by, r.reviewed_at, r.review_reason = actor, clock.now(), reason
        r.save(update_fields=[*changed, "reviewed_by", "reviewed_at", "review_reason"])
        if not release:
            v = r.voucher
            c = v.round.campaign_id
            accounts.move(
                accounts.receivable(c, r.merchant_id),
                accounts.rejected(c, v.round_id),
                r.face_fen - r.refund_cut_fen,
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
    Claims left with no unused voucher become done.
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
                "pk", "round_id", "face_fen", "claim_id"
            )[:limit]
        )
        VOUCHER_TRANSITIONS.check(Voucher.Status.UNUSED, Voucher.Status.EXPIRED)
        by_round: dict[int, list] = {}
        for pk, round_id, face, _claim in rows:
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
        _close_spent_claims(sorted({claim for *_, claim in rows}))
    return total


# --- steps ------------------------------------------------------------------


def _require_staff(actor, merchant: Merchant) -> None:
    access.require_till_staff(actor, merchant)


def _check_bill(bill_fen) -> None:
    if type(bill_fen) is not int or bill_fen <= 0 or bill_fen > 10_000_000:  # noqa: E721
        raise DomainError(
            Code.BILL_INVALID, "请输入正确的消费金额(0.01元至10万元)", field="bill_fen"
        )


def _code_invalid() -> DomainError:
    return DomainError(
        Code.CODE_INVALID, "券码无效或已过期,请让顾客刷新付款码", field="code"
    )


def _refund_invalid(left: int) -> DomainError:
    return DomainError(
        Code.REFUND_INVALID,
        f"退款金额不能超过顾客实付的剩余部分({format_yuan(left)})",
        field="amount_fen",
        params={"max_fen": left},
    )


def _resident_id_from_code(code: str, *, merchant: Merchant, now: dt.datetime) -> int:
    """Return whose valid pay code this is, counting the try against the limits.

    Raises `rate_limited` (the till or the code tried too often),
    `voucher_code_locked`, `voucher_code_invalid` (which also counts a
    failure, and locks the named resident's code at the limit).
    """
    parsed = codes.parse_wallet_code(code, at=now.timestamp())
    who = parsed.claimed_id
    guard_till_attempt(merchant, f"r{who}" if who else None)
    if parsed.resident_id is None:
        count_till_failure(merchant, f"r{who}" if who else None)
        raise _code_invalid()
    return parsed.resident_id


def guard_till_attempt(merchant: Merchant, subject: str | None) -> None:
    """Count one try at the till (and of `subject`'s code) and refuse if over a limit.

    The one brute-force guard of the till, shared by wallet pay codes
    (`subject` "r<resident id>"), community-card QR tokens (the same) and
    printed household cards with their PIN ("h<household id>"); None when the
    code names nobody. One round trip counts the till and the subject and
    reads both failure counters. Raises `rate_limited` (429) when the till or
    the code is tried too often or the till has failed too often, and
    `voucher_code_locked` (429) when the subject has failed too often.
    """
    till = ("till", f"m{merchant.pk}")
    pairs = [till] + ([("code", subject)] if subject else [])
    peek = [("till_fail", f"m{merchant.pk}")] + (
        [("code_fail", subject)] if subject else []
    )
    counts = ratelimit.count_all(
        pairs, peek=peek, redis_client=ratelimit.redis_or_none()
    )
    hits, fails = counts[: len(pairs)], counts[len(pairs) :]
    if any(
        n > ratelimit.limit_of(scope) for (scope, _), n in zip(pairs, hits, strict=True)
    ):
        raise DomainError(Code.RATE_LIMITED, "操作太频繁,请稍后再试", status_code=429)
    if fails[0] >= ratelimit.limit_of("till_fail"):
        raise DomainError(
            Code.RATE_LIMITED,
            "本收银台输错付款码次数过多,请10分钟后再试",
            field="code",
            status_code=429,
        )
    if subject and fails[1] >= ratelimit.limit_of("code_fail"):
        raise _code_locked()


def _code_locked() -> DomainError:
    return DomainError(
        Code.CODE_LOCKED,
        "该顾客的付款码因多次输错已临时锁定,请15分钟后再试或联系社区工作人员",
        field="code",
        status_code=429,
    )


def count_till_failure(merchant: Merchant, subject: str | None) -> int:
    """Count a wrong code at the till and of `subject`; return the subject's count.

    At the limit a resident's code ("r<id>") records `wallet_code_locked`
    (which the risk rule `code_guessed` reads); a household card ("h<id>")
    is locked the same way, and its caller records the card's own event.
    """
    pairs = [("till_fail", f"m{merchant.pk}")]
    if subject:
        pairs.append(("code_fail", subject))
    counts = ratelimit.count_all(pairs, redis_client=ratelimit.redis_or_none())
    limit = ratelimit.limit_of("code_fail")
    if subject and subject.startswith("r") and counts[1] == limit:
        resident = Resident.objects.filter(pk=int(subject[1:])).first()
        if resident is not None:
            events.wallet_code_locked(
                resident,
                merchant_id=merchant.pk,
                failures=limit,
                until=code_lock_until().isoformat(),
            )
    return counts[1] if subject else 0


def code_lock_until() -> dt.datetime:
    """Return when a code locked now opens again."""
    return clock.now() + dt.timedelta(seconds=ratelimit.limits()["code_fail"][1])


def usable_vouchers(*, resident_id: int, merchant: Merchant, now: dt.datetime):
    """Return the resident's unused, valid vouchers this shop may accept (any bill)."""
    community = Community.objects.filter(pk=merchant.community_id)
    district_id = Subquery(community.values("street_office__district_id")[:1])
    street_id = Subquery(community.values("street_office_id")[:1])
    return (
        Voucher.objects.filter(
            resident_id=resident_id,
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
            | Q(round__campaign__street_offices=street_id)
        )
        .select_related("round__campaign")
        .distinct()
    )


def _best_voucher(
    *, resident_id: int, merchant: Merchant, bill_fen: int, now: dt.datetime
) -> Voucher:
    """Pick the voucher to use; today's uses per campaign come in the same query."""
    candidates = _candidates(resident_id=resident_id, merchant=merchant, now=now)
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
    allowed = [
        v for v in reachable if v.used_today < v.round.campaign.max_per_merchant_per_day
    ]
    if not allowed:
        raise DomainError(Code.DAILY_CAP, "该顾客今天在本店的用券次数已达上限")
    return max(allowed, key=lambda v: (v.face_fen, -v.valid_until.timestamp(), -v.pk))


def vouchers_within_cap(
    *, resident_id: int, merchant: Merchant, now: dt.datetime
) -> list[Voucher]:
    """Return the vouchers the resident may use here today, whatever the bill.

    Each carries its campaign (`round.campaign`, for the card stacking rule)
    and `claim_unused`. One query.
    """
    return [
        v
        for v in _candidates(resident_id=resident_id, merchant=merchant, now=now)
        if v.used_today < v.round.campaign.max_per_merchant_per_day
    ]


def _candidates(*, resident_id: int, merchant: Merchant, now: dt.datetime) -> list:
    """Return the usable vouchers annotated with today's uses and unused siblings."""
    day_start = now.astimezone(clock.SHANGHAI).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    used_today = (
        Redemption.objects.filter(
            resident_id=resident_id,
            merchant=merchant,
            status__in=LIVE,
            created_at__gte=day_start,
            voucher__round__campaign_id=OuterRef("round__campaign_id"),
        )
        .order_by()
        .values("resident_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    # How many vouchers of the same claim are unused (this one included): the
    # claim is done once its last one is used, and the till need not ask again.
    claim_unused = (
        Voucher.objects.filter(
            claim_id=OuterRef("claim_id"), status=Voucher.Status.UNUSED
        )
        .order_by()
        .values("claim_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return list(
        usable_vouchers(resident_id=resident_id, merchant=merchant, now=now).annotate(
            used_today=Coalesce(Subquery(used_today, output_field=IntegerField()), 0),
            claim_unused=Subquery(claim_unused, output_field=IntegerField()),
        )
    )


def _same_or_refuse(first: Redemption, bill_fen: int) -> Redemption:
    if first.bill_fen != bill_fen:
        raise DomainError(Code.KEY_REUSED, "同一笔核销请求的金额不一致,请刷新后重试")
    return first


def _save_voucher_transition(voucher: Voucher, target: str, *, now) -> None:
    """Apply a voucher transition, guarded by the state it was read in."""
    source = voucher.status
    changed = voucher._transition(target, now=now)
    done = Voucher.objects.filter(pk=voucher.pk, status=source).update(
        **{name: getattr(voucher, name) for name in changed}
    )
    if not done:
        raise DomainError(Code.NO_APPLICABLE_VOUCHER, "这张券刚刚已被使用,请重试")


def _close_spent_claims(claim_ids) -> int:
    """Mark done the claims among `claim_ids` that have no unused voucher left."""
    if not claim_ids:
        return 0
    unused = Voucher.objects.filter(
        claim_id=OuterRef("pk"), status=Voucher.Status.UNUSED
    )
    return (
        Claim.objects.filter(
            pk__in=claim_ids,
            status__in=CLAIM_TRANSITIONS.sources(Claim.Status.DONE),
        )
        .exclude(Exists(unused))
        .update(status=Claim.Status.DONE)
    )


def _reopen_claim(claim_id: int) -> int:
    """Make a done claim active again (a voucher of it was restored)."""
    return Claim.objects.filter(
        pk=claim_id, status__in=CLAIM_TRANSITIONS.sources(Claim.Status.ACTIVE)
    ).update(status=Claim.Status.ACTIVE)


def _post_refund_cut(r: Redemption, step_fen: int) -> None:
    if step_fen <= 0:
        return
    v = r.voucher
    c = v.round.campaign_id
    accounts.move(
        accounts.receivable(c, r.merchant_id),
        accounts.refund_cut(c, v.round_id),
        step_fen,
        key=f"refund-cut:{r.pk}:{r.refunded_fen}",
        kind="refund_cut",
        reference=f"redemption:{r.pk}",
        memo=f"部分退款{format_yuan(r.refunded_fen)},扣减补贴{format_yuan(step_fen)}",
    )


def _restore_voucher(r: Redemption) -> None:
    v = lock_vouchers([r.voucher_id])[r.voucher_id]
    c = v.round.campaign_id
    lines = [
        (accounts.receivable(c, r.merchant_id), -(r.face_fen - r.refund_cut_fen)),
        (accounts.claimed(c, v.round_id), r.face_fen),
    ]
    if r.refund_cut_fen:
        lines.append((accounts.refund_cut(c, v.round_id), -r.refund_cut_fen))
    accounts.post(
        lines, key=f"refund:{r.pk}", kind="refund", reference=f"redemption:{r.pk}"
    )
    now = clock.now()
    if now < v.valid_until:
        v._transition(Voucher.Status.UNUSED, now=now)
        _reopen_claim(v.claim_id)
    else:
        v._transition(Voucher.Status.EXPIRED, now=now)
        accounts.move(
            accounts.claimed(c, v.round_id),
            accounts.expired(c, v.round_id),
            v.face_fen,
            key=f"refund-expire:{r.pk}",
            kind="expire",
            reference=f"voucher:{v.pk}",
        )
    v.save(update_fields=["status", "status_at"])


def _risk_context(
    voucher: Voucher,
    resident: Resident,
    merchant: Merchant,
    bill_fen: int,
    now: dt.datetime,
) -> risk.RiskContext:
    """Read everything the risk rules look at in one statement.

    The shop's counts (today, this resident within PAIR_WINDOW, each of the
    14 previous days) come from one scan of its redemptions; the newest
    NEAR_LAST - 1 of the last week and how many sat just above their
    threshold (the test of `risk.is_just_above`, in SQL), the residents
    claimed from this claim's device or IP, staff ties, opening hours and a
    recent pay-code lock are scalar subqueries beside it.
    """
    local = now.astimezone(clock.SHANGHAI)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    minute = local.hour * 60 + local.minute
    q, ts = sql.quote, connection.ops.adapt_datetimefield_value
    red, vou = q(Redemption._meta.db_table), q(Voucher._meta.db_table)
    clm, staff = q(Claim._meta.db_table), q(MerchantStaff._meta.db_table)
    res, hours = q(Resident._meta.db_table), q(OpeningHours._meta.db_table)
    exc, evt = q(OpeningException._meta.db_table), q(VoucherEvent._meta.db_table)
    days = [day_start - dt.timedelta(days=back) for back in range(0, 15)]
    history_sql, history_params = [], []
    for back in range(1, 15):
        history_sql.append(
            "COALESCE(SUM(CASE WHEN created_at >= %s AND created_at < %s "
            "THEN 1 ELSE 0 END), 0)"
        )
        history_params += [ts(days[back]), ts(days[back - 1])]
    margin = (
        f"CASE WHEN v.threshold_fen * {risk.NEAR_THRESHOLD_PERMILLE} / 1000 > "
        f"{risk.NEAR_THRESHOLD_FEN} THEN v.threshold_fen * "
        f"{risk.NEAR_THRESHOLD_PERMILLE} / 1000 ELSE {risk.NEAR_THRESHOLD_FEN} END"
    )
    text = f"""
        SELECT h.*, b.n, b.near,
          (SELECT COUNT(DISTINCT c2.resident_id) FROM {clm} c1, {clm} c2
            WHERE c1.id = %s AND c2.round_id = c1.round_id
              AND ((c1.ip IS NOT NULL AND c2.ip = c1.ip)
                   OR (c1.device <> '' AND c2.device = c1.device))),
          EXISTS(SELECT 1 FROM {staff} WHERE merchant_id = %s AND user_id = %s),
          EXISTS(SELECT 1 FROM {staff} s JOIN {res} r2 ON r2.user_id = s.user_id
            WHERE s.merchant_id = %s AND r2.household_id = %s),
          EXISTS(SELECT 1 FROM {hours} WHERE merchant_id = %s),
          EXISTS(SELECT 1 FROM {exc} WHERE merchant_id = %s AND date = %s),
          EXISTS(SELECT 1 FROM {exc} WHERE merchant_id = %s AND date = %s
            AND closed = %s AND open_minute <= %s AND close_minute > %s),
          EXISTS(SELECT 1 FROM {hours} WHERE merchant_id = %s AND weekday = %s
            AND open_minute <= %s AND close_minute > %s),
          EXISTS(SELECT 1 FROM {evt} WHERE kind = %s AND resident_id = %s
            AND created_at >= %s)
        FROM (
          SELECT
            COALESCE(SUM(CASE WHEN created_at >= %s THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN resident_id = %s AND created_at >= %s
              THEN 1 ELSE 0 END), 0),
            {", ".join(history_sql)}
          FROM {red}
          WHERE merchant_id = %s AND status <> %s AND created_at >= %s
        ) h CROSS JOIN (
          SELECT COUNT(*) AS n, COALESCE(SUM(near), 0) AS near FROM (
            SELECT CASE WHEN v.threshold_fen <= r.bill_fen
                         AND r.bill_fen <= v.threshold_fen + {margin}
                        THEN 1 ELSE 0 END AS near
            FROM {red} r JOIN {vou} v ON v.id = r.voucher_id
            WHERE r.merchant_id = %s AND r.status <> %s AND r.created_at >= %s
            ORDER BY r.created_at DESC, r.id DESC
            LIMIT {risk.NEAR_LAST - 1}
          ) recent
        ) b
    """
    rejected = Redemption.Status.REJECTED.value
    today = connection.ops.adapt_datefield_value(local.date())
    params = [
        voucher.claim_id,
        merchant.pk,
        resident.user_id,
        merchant.pk,
        resident.household_id,
        merchant.pk,
        merchant.pk,
        today,
        merchant.pk,
        today,
        False,
        minute,
        minute,
        merchant.pk,
        local.weekday(),
        minute,
        minute,
        VoucherEventKind.WALLET_CODE_LOCKED.value,
        resident.pk,
        ts(now - risk.CODE_LOCK_WATCH),
        ts(day_start),
        resident.pk,
        ts(now - risk.PAIR_WINDOW),
        *history_params,
        merchant.pk,
        rejected,
        ts(days[14]),
        merchant.pk,
        rejected,
        ts(now - dt.timedelta(days=7)),
    ]
    row = sql.select_rows(text, params)[0]
    today_n, pair_n, *rest = row
    history = [int(x) for x in rest[:14]]
    (
        recent_n,
        near_n,
        sharing,
        is_staff,
        family,
        has_hours,
        exc_today,
        exc_open,
        open_,
        locked,
    ) = rest[14:]
    shop_open = None
    if has_hours:
        shop_open = bool(exc_open) if exc_today else bool(open_)
    return risk.RiskContext(
        at=local,
        bill_fen=bill_fen,
        threshold_fen=voucher.threshold_fen,
        pair_recent=int(pair_n),
        shop_recent=int(recent_n),
        shop_recent_near=int(near_n),
        shop_today=int(today_n),
        shop_daily_history=history if any(history) else [],
        shop_open=shop_open,
        claim_source_residents=int(sharing or 0),
        resident_is_staff=bool(is_staff),
        resident_is_staff_family=bool(resident.household_id and family),
        code_locked_recently=bool(locked),
    )
