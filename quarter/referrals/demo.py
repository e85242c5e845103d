"""Sharing-rewards demo for 东河社区: 阿明理发店 promotes at 3 %, 朱丽华 invites.

Called by `quarter.demo.services.load_demo()` after the communities and demo
users exist. The operator records the shop's ¥200 budget, the shop opts in,
three neighbours registered through 朱丽华's link (13800000002) ten days ago
and paid with the card: one reward is withdrawable, one still pending, one
was refunded and reversed. Runs through the services with the clock moved
back, so every movement is on the ledger. Idempotent: does nothing if the
shop already has a promotion.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from quarter.card import visits
from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.core.identity import hash_id_number, id_check_char, mask_id_number
from quarter.people.models import Household, Resident, User
from quarter.people.services import add_role
from quarter.places.models import Merchant
from quarter.referrals import services
from quarter.referrals.models import Promotion

NEIGHBOURS = [("陈美玲", "19760214"), ("王建华", "19630923"), ("李晓燕", "19910507")]


def load_referral_demo() -> Promotion | None:
    shop = Merchant.objects.filter(name="阿明理发店").first()
    referrer = (
        Resident.objects.filter(phone="13800000002")
        .select_related("household__compound")
        .first()
    )
    owner = User.objects.filter(username="merchant_amin").first()
    operator = User.objects.filter(username="operator_donghe").first()
    if None in (shop, referrer, owner, operator) or referrer.household is None:
        return None
    if Promotion.objects.filter(merchant=shop).exists():
        return None
    real_now = clock.now()
    start = real_now - dt.timedelta(days=10)
    try:
        with transaction.atomic():
            clock.freeze(start)
            services.record_topup(
                actor=operator,
                merchant=shop,
                amount_fen=20_000,
                note="演示:商户银行转账",
                key="demo-1",
            )
            promo = services.set_promotion(actor=owner, merchant=shop, rate_permille=30)
            link = services.get_or_create_link(actor=referrer.user)
            neighbours = [
                _neighbour(referrer, name, born, i)
                for i, (name, born) in enumerate(NEIGHBOURS)
            ]
            for n in neighbours:
                services.bind_referee(actor=n.user, code=link.code)
            for i, (n, days_ago, bill) in enumerate(
                [
                    (neighbours[0], 9, 6000),
                    (neighbours[1], 2, 4500),
                    (neighbours[2], 8, 8000),
                ]
            ):
                clock.freeze(real_now - dt.timedelta(days=days_ago))
                visit = _pay(shop, owner, n, bill, key=f"demo-referral-{i}")
                if i == 2:
                    visits.refund_visit(visit)
            clock.freeze(real_now)
            services.release_rewards(actor=SYSTEM)
    finally:
        clock.freeze(None)
    return promo


def _neighbour(referrer, name, born, i) -> Resident:
    from quarter.demo.services import put_on_demo_register

    phone = f"1370000{i:04d}"
    first17 = f"330103{born}6{i}{i}"
    number = first17 + id_check_char(first17)
    user = User.objects.create_user(username=phone, password=None)
    add_role(user, "resident")
    household = Household.objects.create(
        compound=referrer.household.compound, address=f"邻居{i + 1}号"
    )
    resident = Resident.objects.create(
        user=user,
        phone=phone,
        household=household,
        real_name=name,
        id_hash=hash_id_number(number),
        id_masked=mask_id_number(number),
        birth_year=int(born[:4]),
        verified_at=clock.now(),
    )
    put_on_demo_register(resident, number)
    return resident


def _pay(shop, staff, resident, bill, *, key):
    rate = shop.card_discount_permille or 1000
    discount = bill - bill * rate // 1000
    return visits.record_visit(
        merchant=shop,
        staff=staff,
        key=key,
        bill_fen=bill,
        card_discount_fen=discount,
        resident=resident,
    )
