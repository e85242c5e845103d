"""Voucher demo data for 东河社区 (Hangzhou): a campaign with the Hangzhou presets.

Called by `quarter.demo.services.load_demo()` after the communities and demo
users exist. Round 1 (2020 phase 1, 5 × 满40减10) opened two days ago and has
claims, redemptions (some held by the risk rules) and one T+1 settlement, so
the wallet, till, review queue and dashboard have something to show; round 2
(2020 phase 2) opens tomorrow and round 3 (2022 packet) in ten minutes, for the
countdown. Runs through the services with the clock moved back, so every
movement is on the ledger. Idempotent: does nothing if the campaign exists.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from quarter.core import clock
from quarter.core.identity import hash_id_number, id_check_char, mask_id_number
from quarter.people.models import Household, Issuer, Resident, User
from quarter.people.services import add_role
from quarter.places.models import Merchant, MerchantStaff
from quarter.vouchers import codes
from quarter.vouchers.models import Campaign, Round
from quarter.vouchers.services import campaigns, redemptions, settlement
from quarter.vouchers.services.claims import claim_packet

CAMPAIGN_NAME = "杭州市电子消费券(东河社区演示)"


def load_voucher_demo(*, residents: int = 40, seed: int = 2020) -> Campaign | None:
    issuer = (
        Issuer.objects.filter(user__username="issuer_hangzhou")
        .select_related("user")
        .first()
    )
    if issuer is None or Campaign.objects.filter(name=CAMPAIGN_NAME).exists():
        return None
    rng = random.Random(seed)
    real_now = clock.now()
    # Two days ago at 09:00 local time, so the demo's shopping falls in opening hours.
    start = (clock.local_now() - dt.timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    try:
        with transaction.atomic():
            clock.freeze(start)
            campaign = campaigns.create_campaign(
                actor=issuer.user,
                issuer=issuer,
                name=CAMPAIGN_NAME,
                budget_fen=100_000_000,
            )
            shops = _pledge_shops(campaign, issuer)
            first = _round(
                issuer,
                campaign,
                "第一轮",
                "hz2020_p1",
                start + dt.timedelta(hours=1),
                packets=300,
                closes=real_now + dt.timedelta(days=3),
            )
            people = _demo_residents(issuer, residents)
            _claims_and_spending(first, people, shops, rng)
            clock.freeze(real_now)
            settlement.settle_day(actor=issuer.user, business_date=start.date())
            _round(
                issuer,
                campaign,
                "第二轮",
                "hz2020_p2",
                real_now + dt.timedelta(days=1),
                packets=1000,
            )
            _round(
                issuer,
                campaign,
                "第三轮",
                "hz2022",
                real_now + dt.timedelta(minutes=10),
                packets=1000,
            )
    finally:
        clock.freeze(None)
    return campaign


def _round(issuer, campaign, name, preset, release, *, packets, closes=None) -> Round:
    return campaigns.create_round(
        actor=issuer.user,
        campaign=campaign,
        name=name,
        release_at=release,
        claim_closes_at=closes or release + dt.timedelta(days=2),
        valid_from=release,
        valid_until=(closes or release + dt.timedelta(days=2)) + dt.timedelta(days=7),
        packets_total=packets,
        coupons=campaigns.coupons_from_preset(preset),
    )


def _pledge_shops(campaign, issuer) -> list[tuple[Merchant, User]]:
    """Every approved 东河 shop signs the pledge; staffless shops get a cashier."""
    shops = []
    district = issuer.district_id
    for shop in Merchant.objects.filter(
        admission="approved", community__street_office__district_id=district
    ):
        staff = (
            MerchantStaff.objects.filter(merchant=shop).select_related("user").first()
        )
        if staff is None:
            user = User.objects.create_user(
                username=f"cashier_{shop.pk}", password=None
            )
            add_role(user, "merchant")
            staff = MerchantStaff.objects.create(merchant=shop, user=user, role="staff")
        campaigns.sign_pledge(actor=staff.user, campaign=campaign, merchant=shop)
        shops.append((shop, staff.user))
    return shops


def _demo_residents(issuer, count: int) -> list[Resident]:
    from quarter.demo.services import put_on_demo_register

    people = list(
        Resident.objects.filter(
            verified_at__isnull=False,
            household__compound__community__street_office__district_id=issuer.district_id,
        )
    )
    compound = people[0].household.compound if people else None
    if compound is None:
        return people
    for i in range(count):
        first17 = f"330103{1950 + i % 50}0{1 + i % 9}1{i % 10}{500 + i:03d}"
        number = first17 + id_check_char(first17)
        user = User.objects.create_user(username=f"1390000{i:04d}", password=None)
        add_role(user, "resident")
        household = Household.objects.create(
            compound=compound, address=f"演示{i + 1}号"
        )
        resident = Resident.objects.create(
            user=user,
            phone=f"1390000{i:04d}",
            household=household,
            real_name=f"居民{i + 1}",
            id_hash=hash_id_number(number),
            id_masked=mask_id_number(number),
            birth_year=1950 + i % 50,
            verified_at=clock.now(),
        )
        put_on_demo_register(resident, number)
        people.append(resident)
    return people


def _persist(round_) -> None:
    """With Redis, write the demo's claims now, as `persist_claims --loop` would."""
    from quarter.vouchers.engines import get_engine

    engine = get_engine()
    if engine.name == "redis":
        from quarter.vouchers.engines.redis_engine import persist_pending

        persist_pending(client=engine.client, round_ids=[round_.pk])


def _claims_and_spending(round_, people, shops, rng) -> None:
    for resident in people:
        clock.freeze(round_.release_at + dt.timedelta(seconds=rng.uniform(0.2, 90)))
        claim_packet(
            actor=resident.user,
            round_=Round.objects.get(pk=round_.pk),
            ip=f"10.8.{rng.randint(0, 3)}.{rng.randint(1, 250)}",
        )
    _persist(round_)
    if not shops:
        return
    for i, resident in enumerate(
        people[2:], start=1
    ):  # leave the named demo residents' wallets full
        if rng.random() > 0.7:
            continue
        shop, cashier = rng.choice(shops)
        clock.freeze(round_.release_at + dt.timedelta(minutes=10 + i * 3))
        bill = rng.choice([4200, 4580, 5600, 6800, 8800, 12000, 4050])
        try:
            redemptions.redeem_voucher(
                actor=cashier,
                merchant=shop,
                bill_fen=bill,
                key=f"demo-{i}",
                code=codes.wallet_code(resident.pk, at=clock.now().timestamp()),
            )
        except Exception:  # noqa: BLE001 - a refused demo redemption is simply skipped
            continue


# --- 锦绣社区 (宜昌): a round open from the moment the demo starts ----------------

JINXIU_CAMPAIGN = "宜昌市西陵区社区消费券(锦绣社区演示)"
JINXIU_ISSUER = "issuer_yichang"
README_RESIDENT = "13800000001"


def load_jinxiu_voucher_demo() -> Campaign | None:
    """A campaign the README's first resident (锦绣社区) can claim from at once.

    Round 1 opened eight days ago and 13800000001 claimed it then, so the
    wallet holds coupons; round 2 is released at demo start with packets
    left (claim it right after `make demo`); round 3 opens tomorrow at 10:00,
    for the countdown. Through the services, the clock moved back for the
    past. Idempotent: does nothing if the campaign exists.
    """
    from quarter.demo.services import DEMO_PASSWORD
    from quarter.places.models import Community

    jinxiu = (
        Community.objects.filter(slug="jinxiu")
        .select_related("street_office__district")
        .first()
    )
    resident = Resident.objects.filter(phone=README_RESIDENT).first()
    if jinxiu is None or resident is None:
        return None
    if Campaign.objects.filter(name=JINXIU_CAMPAIGN).exists():
        return None
    real_now = clock.now()
    past = (clock.local_now() - dt.timedelta(days=8)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=JINXIU_ISSUER, password=DEMO_PASSWORD
            )
            add_role(user, "issuer")
            issuer = Issuer.objects.create(
                user=user,
                organisation="宜昌市西陵区商务局",
                district=jinxiu.street_office.district,
            )
            clock.freeze(past)
            campaign = campaigns.create_campaign(
                actor=user,
                issuer=issuer,
                name=JINXIU_CAMPAIGN,
                budget_fen=20_000_000,
                community_ids=[jinxiu.pk],
            )
            first = _round(
                issuer,
                campaign,
                "第一轮",
                "hz2020_p1",
                past + dt.timedelta(hours=1),
                packets=200,
                closes=past + dt.timedelta(days=2),
            )
            clock.freeze(first.release_at + dt.timedelta(seconds=30))
            claim_packet(actor=resident.user, round_=Round.objects.get(pk=first.pk))
            _persist(first)
            clock.freeze(real_now - dt.timedelta(seconds=1))
            _round(
                issuer,
                campaign,
                "第二轮(演示开始即开抢)",
                "hz2022",
                real_now,
                packets=500,
                closes=real_now + dt.timedelta(days=3),
            )
            tomorrow = (clock.local_now() + dt.timedelta(days=1)).replace(
                hour=10, minute=0, second=0, microsecond=0
            )
            _round(issuer, campaign, "第三轮", "hz2020_p2", tomorrow, packets=1000)
    finally:
        clock.freeze(None)
    return campaign
