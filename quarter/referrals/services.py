"""Verbs of the sharing rewards: links, bindings, promotions, rewards, withdrawals.

One level only (禁止传销条例): a payment earns its share for the payer's own
referrer, never for anyone further up. Every movement of money is one ledger
transaction (see `accounts.py`) keyed by the row that caused it, so a retried
call posts nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum

from quarter.core import clock
from quarter.core.actors import SYSTEM, is_person, is_system
from quarter.core.errors import DomainError, PermissionDenied
from quarter.core.identity import mask_phone
from quarter.core.money import format_yuan
from quarter.ledger import selectors as ledger
from quarter.notifications.services import notify
from quarter.people.models import Resident
from quarter.places.models import Merchant, MerchantStaff
from quarter.referrals import access, accounts, events
from quarter.referrals.errors import ReferralErrorCode as Code
from quarter.referrals.models import (
    REWARD_STATES,
    WITHDRAWAL_STATES,
    Promotion,
    Referral,
    ReferralEvent,
    ReferralLink,
    Reward,
    TopUp,
    Withdrawal,
)

logger = logging.getLogger("quarter.referrals")
SESSION_KEY = "referral_code"
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely


def monthly_cap_fen() -> int:
    return int(getattr(settings, "QUARTER_REFERRAL_MONTHLY_CAP_FEN", 20_000))


def refund_window() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "QUARTER_REFERRAL_WINDOW_DAYS", 7)))


def _plus_months(when: dt.datetime, months: int) -> dt.datetime:
    year, month = divmod(when.month - 1 + months, 12)
    year += when.year
    day = when.day
    while True:
        try:
            return when.replace(year=year, month=month + 1, day=day)
        except ValueError:  # 29 Feb, 31st: the month's last day
            day -= 1


# --- links and bindings ---


def get_or_create_link(*, actor) -> ReferralLink:
    """Return the actor's referral link, creating it the first time.

    Raises `not_a_resident`, `referrer_not_verified` (only real-name verified
    residents invite: a second account of one person can never be verified).
    """
    resident = access.require_resident(actor)
    if not access.may_refer(resident):
        raise DomainError(
            Code.REFERRER_NOT_VERIFIED,
            "完成实名认证后才能邀请邻居",
            status_code=403,
        )
    link = ReferralLink.objects.filter(resident=resident).first()
    if link is not None:
        return link
    for _ in range(5):
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        try:
            with transaction.atomic():
                return ReferralLink.objects.create(
                    resident=resident, code=code, created_at=clock.now()
                )
        except IntegrityError:
            link = ReferralLink.objects.filter(resident=resident).first()
            if link is not None:
                return link
    raise RuntimeError("no free referral code after 5 tries")


def same_person_reason(referrer: Resident, referee: Resident) -> str | None:
    """Return why two accounts look like one real person, or None.

    Compares the keyed ID hash, the register entry and the phone numbers of
    both accounts (the login's and the profile's).
    """
    if referrer.pk == referee.pk or referrer.user_id == referee.user_id:
        return "不能邀请自己"
    if referrer.id_hash and referrer.id_hash == referee.id_hash:
        return "两个账号属于同一身份证号,不能互相邀请"
    if referrer.register_entry_id and (
        referrer.register_entry_id == referee.register_entry_id
    ):
        return "两个账号对应居民名册上的同一人,不能互相邀请"
    phones_a = {p for p in (referrer.phone, referrer.user.phone) if p}
    phones_b = {p for p in (referee.phone, referee.user.phone) if p}
    if phones_a & phones_b:
        return "两个账号使用同一手机号,不能互相邀请"
    return None


def bind_referee(*, actor, code: str) -> Referral:
    """Bind the actor (a new resident) to the owner of `code`, once and for good.

    Raises `not_a_resident`, `referral_code_unknown`, `self_referral`,
    `referral_same_person`, `referral_circular`, `referee_already_bound`.
    A refusal is recorded (who, which code, why). Notifies the referrer.
    """
    referee = access.require_resident(actor)
    code = (code or "").strip().upper()
    link = (
        ReferralLink.objects.filter(code=code).select_related("resident__user").first()
        if code
        else None
    )
    try:
        if link is None:
            raise DomainError(Code.CODE_UNKNOWN, "邀请码不存在或已失效", field="code")
        referrer = link.resident
        _check_binding(referrer, referee)
        with transaction.atomic():
            now = clock.now()
            referral = Referral.objects.create(
                referee=referee,
                referrer=referrer,
                code=code,
                bound_at=now,
                rewards_until=_plus_months(now, 12),
            )
            events.bound(referral, actor=actor)
    except IntegrityError:
        raise _refused(
            actor, referee, code, Code.ALREADY_BOUND, "您已有推荐人,推荐关系不能更改"
        ) from None
    except DomainError as exc:
        events.refused(actor=actor, resident=referee, code=code, why=exc.message)
        raise
    notify(
        referrer.user,
        kind="referral_bound",
        title=f"邻居 {mask_phone(referee.phone)} 通过您的邀请注册了",
        body="对方在参加推广的商户用大家卡或消费券消费后,您可获得商户提供的分享奖励。",
        url="/referrals/me/",
        key=f"referrals:bound:{referral.pk}",
    )
    return referral


def _refused(actor, referee, code, error_code, message) -> DomainError:
    events.refused(actor=actor, resident=referee, code=code, why=message)
    return DomainError(error_code, message, field="code")


def _check_binding(referrer: Resident, referee: Resident) -> None:
    if referrer.pk == referee.pk:
        raise DomainError(Code.SELF_REFERRAL, "不能使用自己的邀请码", field="code")
    if reason := same_person_reason(referrer, referee):
        raise DomainError(Code.SAME_PERSON, reason, field="code")
    if Referral.objects.filter(referee=referee).exists():
        raise DomainError(
            Code.ALREADY_BOUND, "您已有推荐人,推荐关系不能更改", field="code"
        )
    # Walk up the referrer's chain: binding must never close a circle.
    seen, current = set(), referrer.pk
    while current is not None and current not in seen:
        if current == referee.pk:
            raise DomainError(
                Code.CIRCULAR, "对方是由您邀请的(直接或间接),不能互相邀请", field="code"
            )
        seen.add(current)
        current = (
            Referral.objects.filter(referee_id=current)
            .values_list("referrer_id", flat=True)
            .first()
        )


def bind_pending_referral(*, actor, session) -> str | None:
    """After sign-up: bind to the code kept in the session, if any.

    Returns a sentence for the new resident (bound, or why not); never raises
    a refusal, so sign-up itself always succeeds.
    """
    code = session.pop(SESSION_KEY, None)
    if not code:
        return None
    try:
        referral = bind_referee(actor=actor, code=code)
    except DomainError as exc:
        return f"邀请未生效:{exc.message}"
    return f"您已接受邻居 {mask_name(referral.referrer)} 的邀请"


def mask_name(resident: Resident) -> str:
    """Return a resident's name masked for others: 张** (or the masked phone)."""
    name = (resident.real_name or "").strip()
    if name:
        return name[0] + "*" * max(1, len(name) - 1)
    return mask_phone(resident.phone)


# --- merchants: opt-in and budget ---


def set_promotion(
    *, actor, merchant: Merchant, rate_permille: int | None
) -> Promotion | None:
    """Opt the shop in at `rate_permille` of each bill (None: opt out).

    Raises `merchant_not_owned`, `promotion_rate_invalid` (1‰–20 %). A shop
    whose budget is empty starts paused. Recorded as an event.
    """
    access.require_promotion_manager(actor, merchant)
    if rate_permille is not None and not 1 <= rate_permille <= 200:
        raise DomainError(
            Code.RATE_INVALID, "推广比例应在 0.1% 到 20% 之间", field="rate"
        )
    with transaction.atomic():
        promo = Promotion.objects.select_for_update().filter(merchant=merchant).first()
        before = (
            {"rate_permille": promo.rate_permille, "state": promo.state}
            if promo
            else {}
        )
        if rate_permille is None:
            if promo is None:
                return None
            promo.state = Promotion.State.OFF
        else:
            has_budget = budget_fen(merchant) > 0
            state = Promotion.State.ACTIVE if has_budget else Promotion.State.PAUSED
            if promo is None:
                promo = Promotion(merchant=merchant, rate_permille=rate_permille)
            promo.rate_permille = rate_permille
            promo.state = state
        promo.updated_at = clock.now()
        promo.save()
        events.promotion_set(
            merchant,
            actor=actor,
            before=before,
            after={"rate_permille": promo.rate_permille, "state": promo.state},
        )
    return promo


def budget_fen(merchant: Merchant) -> int:
    return ledger.get_balance(code=accounts.budget(merchant.pk).code)


def record_topup(
    *, actor, merchant: Merchant, amount_fen: int, note: str, key: str
) -> TopUp:
    """Record the merchant's payment into its promotion budget (operator).

    Raises `not_community_operator`, `amount_invalid`, `note_required`. Posts
    outside -> budget under the top-up's key (a retry returns the first
    top-up); a promotion paused for lack of budget resumes.
    """
    access.require_operator_of_merchant(actor, merchant)
    if type(amount_fen) is not int or not 0 < amount_fen <= 100_000_000:  # noqa: E721
        raise DomainError(
            Code.AMOUNT_INVALID, "充值金额应大于 0 且不超过 ¥1,000,000", field="amount"
        )
    note = (note or "").strip()
    if not note:
        raise DomainError(Code.NOTE_REQUIRED, "请填写凭证说明,如转账单号", field="note")
    full_key = f"m{merchant.pk}:{key}"
    existing = TopUp.objects.filter(key=full_key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        topup = TopUp.objects.create(
            merchant=merchant,
            amount_fen=amount_fen,
            note=note[:120],
            recorded_by=actor if is_person(actor) else None,
            key=full_key,
            created_at=clock.now(),
        )
        accounts.move(
            accounts.merchant_outside(merchant.pk),
            accounts.budget(merchant.pk),
            amount_fen,
            key=f"referrals:topup:{topup.pk}",
            kind="referral_topup",
            reference=f"merchant:{merchant.pk}",
            memo=f"推广预算充值 {note[:60]}",
        )
        Promotion.objects.filter(
            merchant=merchant, state=Promotion.State.PAUSED
        ).update(state=Promotion.State.ACTIVE, updated_at=clock.now())
        events.topped_up(topup, actor=actor)
    return topup


# --- rewards: earned, reversed, released ---


def earn_reward(visit) -> Reward | None:
    """Give the payer's referrer the shop's share of this visit, if due.

    Called inside the payment's transaction (signal `visit_recorded`); its
    own savepoint makes a refusal leave the payment untouched. Due when the
    payer was bound less than 12 months ago, is real-name verified and is
    not the same person as the referrer, neither works at the shop, and the
    shop's promotion is active. The share is `rate` of what the shop was
    paid (bill less the card discount, customer and voucher together),
    limited by the referrer's monthly cap and the shop's budget; the budget
    running out pauses the promotion and tells the shop's staff.
    """
    if visit.resident_id is None:
        return None
    # The one look-up a payer nobody referred costs the till.
    referral = (
        Referral.objects.filter(referee_id=visit.resident_id)
        .select_related("referrer__user", "referee__user")
        .first()
    )
    if referral is None or visit.occurred_at >= referral.rewards_until:
        return None
    try:
        with transaction.atomic():
            return _do_earn_reward(visit, referral)
    except DomainError as exc:  # e.g. the budget emptied by a concurrent post
        logger.warning("no referral reward for visit %s: %s", visit.pk, exc.code)
        return None


def _do_earn_reward(visit, referral: Referral) -> Reward | None:
    referee, referrer = referral.referee, referral.referrer
    if not referee.verified_at or same_person_reason(referrer, referee):
        return None
    if MerchantStaff.objects.filter(
        merchant_id=visit.merchant_id, user_id__in=[referee.user_id, referrer.user_id]
    ).exists():
        return None
    # Lock order: the promotion (the budget's guard), then the referrer's
    # link (the monthly cap's guard); every writer takes them in this order.
    promo = (
        Promotion.objects.select_for_update()
        .filter(merchant_id=visit.merchant_id, state=Promotion.State.ACTIVE)
        .first()
    )
    if promo is None:
        return None
    list(ReferralLink.objects.select_for_update().filter(resident=referrer))
    base = visit.bill_fen - visit.card_discount_fen
    share = base * promo.rate_permille // 1000
    month = visit.occurred_at.astimezone(clock.SHANGHAI).strftime("%Y-%m")
    earned = _net_earned(referrer, month)
    budget = budget_fen(visit.merchant)
    amount = min(share, max(0, monthly_cap_fen() - earned), budget)
    if amount > 0:
        reward = Reward.objects.create(
            visit=visit,
            referral=referral,
            referrer=referrer,
            merchant_id=visit.merchant_id,
            base_fen=base,
            rate_permille=promo.rate_permille,
            amount_fen=amount,
            month=month,
            created_at=clock.now(),
            release_at=visit.occurred_at + refund_window(),
        )
        accounts.move(
            accounts.budget(visit.merchant_id),
            accounts.pending(referrer.pk),
            amount,
            key=f"referrals:reward:visit:{visit.pk}",
            kind="referral_reward",
            reference=f"visit:{visit.pk}",
            memo="分享奖励(待到账)",
        )
    else:
        reward = None
    if budget - amount <= 0 and share > 0:
        _pause(promo)
    return reward


def _net_earned(referrer: Resident, month: str) -> int:
    row = Reward.objects.filter(referrer=referrer, month=month).aggregate(
        a=Sum("amount_fen"), r=Sum("reversed_fen")
    )
    return int(row["a"] or 0) - int(row["r"] or 0)


def _pause(promo: Promotion) -> None:
    promo.state = Promotion.State.PAUSED
    promo.updated_at = clock.now()
    promo.save(update_fields=["state", "updated_at"])
    merchant = promo.merchant
    events.paused(merchant)
    topups = TopUp.objects.filter(merchant=merchant).count()
    for staff in MerchantStaff.objects.filter(merchant=merchant).select_related("user"):
        notify(
            staff.user,
            kind="referral_budget_empty",
            title=f"{merchant.name} 的推广预算已用完,分享推广已暂停",
            body="请向社区缴纳推广预算;社区工作人员记录充值后,推广自动恢复。",
            url=f"/referrals/merchant/{merchant.pk}/",
            key=f"referrals:paused:{merchant.pk}:{topups}",
        )


def reverse_reward(visit, refunded_fen: int) -> Reward | None:
    """Reverse the refunded share of the visit's pending reward (`visit_refunded`).

    The reversed part is the visit's refunded share of what the customer
    paid (all of it once wholly refunded), computed on the running total so
    partial refunds never drift. A released reward is not reversed: the
    refund window is over. Posts pending -> budget.
    """
    with transaction.atomic():
        reward = Reward.objects.select_for_update().filter(visit_id=visit.pk).first()
        if reward is None or reward.status != Reward.Status.PENDING:
            return reward
        if visit.refunded_fen >= visit.payable_fen:
            target = reward.amount_fen
        else:
            target = reward.amount_fen * visit.refunded_fen // visit.payable_fen
        delta = target - reward.reversed_fen
        if delta <= 0:
            return reward
        accounts.move(
            accounts.pending(reward.referrer_id),
            accounts.budget(reward.merchant_id),
            delta,
            key=f"referrals:reverse:visit:{visit.pk}:{visit.refunded_fen}",
            kind="referral_reverse",
            reference=f"visit:{visit.pk}",
            memo="退款冲回分享奖励",
        )
        reward.reversed_fen = target
        if target == reward.amount_fen:
            REWARD_STATES.check(reward.status, Reward.Status.REVERSED)
            reward.status = Reward.Status.REVERSED
        reward.save(update_fields=["reversed_fen", "status"])
    return reward


def release_rewards(*, actor=SYSTEM, batch: int = 500) -> int:
    """Make pending rewards past their refund window withdrawable; return how many.

    Idempotent and safe on two machines at once: rows are claimed with
    `SELECT … FOR UPDATE SKIP LOCKED`, each posts pending -> withdrawable
    under the reward's own key. Only SYSTEM and superusers run it.
    """
    if not (is_system(actor) or getattr(actor, "is_superuser", False)):
        raise PermissionDenied(Code.NOT_OPERATOR, "只有系统任务可以发放奖励")
    done = 0
    while True:
        with transaction.atomic():
            now = clock.now()
            rows = list(
                Reward.objects.select_for_update(skip_locked=True)
                .filter(status=Reward.Status.PENDING, release_at__lte=now)
                .order_by("pk")[:batch]
            )
            for reward in rows:
                REWARD_STATES.check(reward.status, Reward.Status.RELEASED)
                accounts.move(
                    accounts.pending(reward.referrer_id),
                    accounts.withdrawable(reward.referrer_id),
                    reward.net_fen,
                    key=f"referrals:release:{reward.pk}",
                    kind="referral_release",
                    reference=f"visit:{reward.visit_id}",
                    memo="分享奖励到账(可提现)",
                )
                reward.status = Reward.Status.RELEASED
                reward.released_at = now
                reward.save(update_fields=["status", "released_at"])
            done += len(rows)
        if len(rows) < batch:
            return done


# --- withdrawals ---


def request_withdrawal(*, actor, amount_fen: int, key: str) -> Withdrawal:
    """Ask to be paid `amount_fen` of the withdrawable rewards (operator approves).

    Raises `not_a_resident`, `amount_invalid`, `withdrawable_insufficient`.
    Posts withdrawable -> requested; a retry with the same key returns the
    first request.
    """
    resident = access.require_resident(actor)
    full_key = f"r{resident.pk}:{key}"[:80]
    existing = Withdrawal.objects.filter(key=full_key).first()
    if existing is not None:
        return existing
    if type(amount_fen) is not int or amount_fen <= 0:  # noqa: E721
        raise DomainError(Code.AMOUNT_INVALID, "提现金额应大于 0", field="amount")
    if resident.household_id is None:
        raise DomainError(
            Code.NOT_A_RESIDENT, "请先完成实名认证,提现由所在社区审核", field="amount"
        )
    available = ledger.get_balance(code=accounts.withdrawable(resident.pk).code)
    if amount_fen > available:
        raise DomainError(
            Code.INSUFFICIENT_WITHDRAWABLE,
            f"可提现余额只有 {format_yuan(available)}",
            field="amount",
        )
    try:
        with transaction.atomic():
            withdrawal = Withdrawal.objects.create(
                resident=resident,
                amount_fen=amount_fen,
                key=full_key,
                requested_at=clock.now(),
            )
            accounts.move(
                accounts.withdrawable(resident.pk),
                accounts.requested(resident.pk),
                amount_fen,
                key=f"referrals:withdrawal:{withdrawal.pk}:request",
                kind="referral_withdraw_request",
                reference=f"withdrawal:{withdrawal.pk}",
                memo="申请提现",
            )
            events.withdrawal_changed(
                withdrawal, actor=actor, kind=ReferralEvent.Kind.WITHDRAWAL_REQUESTED
            )
    except DomainError as exc:  # a concurrent request took the balance first
        if exc.code != "ledger_insufficient_funds":
            raise
        raise DomainError(
            Code.INSUFFICIENT_WITHDRAWABLE, "可提现余额不足", field="amount"
        ) from None
    return withdrawal


def decide_withdrawal(
    *, actor, withdrawal: Withdrawal, approve: bool, reason: str = ""
) -> Withdrawal:
    """Approve (pay out) or reject (back to withdrawable) a withdrawal request.

    Raises `not_community_operator` (operators of the resident's community,
    never for themselves), `reason_required` (a rejection says why),
    `withdrawal_already_decided`. Posts requested -> paid or -> withdrawable,
    records who and why, and tells the resident.
    """
    access.require_withdrawal_approver(actor, withdrawal)
    if is_person(actor) and withdrawal.resident.user_id == actor.pk:
        raise PermissionDenied(Code.NOT_OPERATOR, "不能审核自己的提现申请")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise DomainError(Code.REASON_REQUIRED, "驳回时请填写原因", field="reason")
    target = Withdrawal.Status.APPROVED if approve else Withdrawal.Status.REJECTED
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal.pk)
        WITHDRAWAL_STATES.check(withdrawal.status, target)
        rid = withdrawal.resident_id
        accounts.move(
            accounts.requested(rid),
            accounts.paid(rid) if approve else accounts.withdrawable(rid),
            withdrawal.amount_fen,
            key=f"referrals:withdrawal:{withdrawal.pk}:{target}",
            kind=f"referral_withdraw_{target}",
            reference=f"withdrawal:{withdrawal.pk}",
            memo="提现已批准" if approve else f"提现被驳回:{reason[:60]}",
        )
        withdrawal.status = target
        withdrawal.decided_by = actor if is_person(actor) else None
        withdrawal.decided_at = clock.now()
        withdrawal.reason = reason[:200]
        withdrawal.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        events.withdrawal_changed(
            withdrawal,
            actor=actor,
            kind=ReferralEvent.Kind.WITHDRAWAL_APPROVED
            if approve
            else ReferralEvent.Kind.WITHDRAWAL_REJECTED,
            reason=reason,
        )
    amount = format_yuan(withdrawal.amount_fen)
    notify(
        withdrawal.resident.user,
        kind="referral_withdrawal",
        title=f"提现 {amount} 已批准" if approve else f"提现 {amount} 被驳回",
        body="" if approve else f"原因:{reason},金额已退回可提现余额。",
        url="/referrals/me/",
        key=f"referrals:withdrawal:{withdrawal.pk}:{target}",
    )
    return withdrawal
