"""为你推荐 demo data: habits for 锦绣社区's residents, one new shop, a trained model.

Called by `quarter.demo.services.load_demo()` after the visit log demo. The
README's resident 13800000001 (潘建国, 锦绣华庭) gets six weeks of breakfast
visits in the morning at 王姐热干面 and evening visits at 老宜昌洗衣店; fifteen
demo neighbours (演示居民, no password) in 锦绣's compounds get habits of
their own, so the item-item model and the compound counts have something to
learn; the operator announces the repair shop nearest the laundry as a new
shop on the board (新店加入), which the feed's freshness slot picks up. Every
visit goes through `quarter.card.visits.record_visit` with the clock frozen at
its moment, so the feed's counters fill through the same signals as in
production. Deterministic (seeded); idempotent.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from quarter.card import visits
from quarter.card.models import Visit
from quarter.core import clock
from quarter.core.geo import haversine_m
from quarter.feed import selectors, services
from quarter.people.models import Household, Resident, User
from quarter.people.services import add_role
from quarter.places.models import Admission, Community, Merchant, MerchantStaff

KEY_PREFIX = "demo-feed-"
README_RESIDENT = "13800000001"
BREAKFAST_SHOP = "王姐热干面"
LAUNDRY_SHOP = "老宜昌洗衣店"
NEIGHBOURS = 15
DAYS = 42
# Habits of the demo neighbours: (business type, part of the day, visits a month).
HABITS = [
    ("breakfast", (7, 9), 8),
    ("laundry", (17, 20), 2),
    ("fresh_grocery", (8, 11), 6),
    ("hair_beauty", (14, 17), 1),
    ("convenience_store", (18, 21), 5),
    ("pharmacy", (9, 11), 1),
    ("restaurant", (11, 13), 3),
]


def load_feed_demo(*, seed: int = 2026) -> int:
    """Record the demo habits and train the model; return visits recorded."""
    if Visit.objects.filter(key__startswith=KEY_PREFIX).exists():
        return 0
    community = Community.objects.filter(slug="jinxiu").first()
    resident = Resident.objects.filter(phone=README_RESIDENT).first()
    if community is None or resident is None:
        return 0
    rng = random.Random(seed)
    now = clock.now()
    count = 0
    try:
        with transaction.atomic():
            count += _readme_resident(resident, community, now, rng)
            count += _neighbours(community, now, rng)
    finally:
        clock.freeze(None)
    _new_shop(community)
    services.train_neighbours()
    selectors.clear_cache()
    return count


def _shop(community, name: str) -> Merchant | None:
    return Merchant.objects.filter(
        community=community, name=name, admission=Admission.APPROVED
    ).first()


def _cashier(shop: Merchant) -> User:
    staff = MerchantStaff.objects.filter(merchant=shop).select_related("user").first()
    if staff is not None:
        return staff.user
    user, created = User.objects.get_or_create(username=f"cashier_{shop.pk}")
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        add_role(user, "merchant")
    MerchantStaff.objects.create(merchant=shop, user=user, role="staff")
    return user


def _pay(shop, resident, at: dt.datetime, rng) -> None:
    clock.freeze(at)
    bill = rng.randint(8, 60) * 100
    rate = shop.card_discount_permille or 1000
    visits.record_visit(
        merchant=shop,
        staff=_cashier(shop),
        key=f"{KEY_PREFIX}{shop.pk}-{resident.pk}-{at:%Y%m%d%H%M}",
        bill_fen=bill,
        card_discount_fen=bill - bill * rate // 1000,
        resident=resident,
    )


def _moment(now, days_ago: int, hours: tuple[int, int], rng) -> dt.datetime:
    day = (now - dt.timedelta(days=days_ago)).astimezone(clock.SHANGHAI).date()
    hour = rng.randint(hours[0], hours[1] - 1)
    return dt.datetime(
        day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=clock.SHANGHAI
    )


def _readme_resident(resident, community, now, rng) -> int:
    count = 0
    for name, hours, every in (
        (BREAKFAST_SHOP, (7, 9), 3),
        (LAUNDRY_SHOP, (18, 20), 9),
    ):
        shop = _shop(community, name)
        if shop is None:
            continue
        for days_ago in range(DAYS, 0, -every):
            _pay(shop, resident, _moment(now, days_ago, hours, rng), rng)
            count += 1
    return count


def _neighbours(community, now, rng) -> int:
    compounds = list(community.compounds.order_by("pk"))
    by_type: dict[str, list[Merchant]] = {}
    for shop in Merchant.objects.filter(
        community=community, admission=Admission.APPROVED, status="open"
    ).select_related("main_type"):
        by_type.setdefault(shop.main_type.code, []).append(shop)
    count = 0
    for i in range(NEIGHBOURS):
        compound = compounds[i % len(compounds)]
        resident = _demo_neighbour(i, compound)
        for code, hours, per_month in HABITS:
            shops = by_type.get(code)
            if not shops or rng.random() < 0.3:
                continue
            shops = sorted(
                shops,
                key=lambda s: (s.lat - compound.lat) ** 2 + (s.lng - compound.lng) ** 2,
            )
            shop = rng.choice(shops[:3])
            for _ in range(per_month * DAYS // 30):
                at = _moment(now, rng.randint(1, DAYS), hours, rng)
                _pay(shop, resident, at, rng)
                count += 1
    return count


def _demo_neighbour(i: int, compound) -> Resident:
    phone = f"1990000{i:04d}"  # a range no other demo uses
    user, created = User.objects.get_or_create(username=f"demo_neighbour_{i}")
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        add_role(user, "resident")
    household, _ = Household.objects.get_or_create(
        compound=compound, address=f"演示{i + 1}栋"
    )
    resident, _ = Resident.objects.get_or_create(
        user=user, defaults={"phone": phone, "household": household}
    )
    return resident


def _new_shop(community) -> None:
    """The community's operator announces the repair shop nearest the laundry
    as a new shop (新店加入) on the board: the feed's freshness slot shows it."""
    from quarter.board.models import NoticeKind
    from quarter.board.services import publish_notice
    from quarter.people.models import Operator

    laundry = _shop(community, LAUNDRY_SHOP)
    operator = Operator.objects.filter(community=community).first()
    if laundry is None or operator is None:
        return
    repair = min(
        Merchant.objects.filter(
            community=community, main_type__code="repair", admission=Admission.APPROVED
        ),
        key=lambda m: haversine_m(m.lat, m.lng, laundry.lat, laundry.lng),
        default=None,
    )
    if repair is None:
        return
    publish_notice(
        actor=operator.user,
        community=community,
        kind=NoticeKind.NEW_SHOP,
        title=f"新店加入:{repair.name}开业",
        body="修鞋、配钥匙、换拉链,老师傅手艺,欢迎街坊光临。",
        merchant=repair,
    )
