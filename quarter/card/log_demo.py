"""Visit log (联系本) demo data: four months of card payments in both communities.

Called by `quarter.demo.services.load_demo()` after the communities, the demo
users and the voucher demo exist. For each demo community a handful of
shops that take the card (阿明理发店 always, so `merchant_amin` has a log)
get payments from the community's residents and from a few printed
household cards, spread over the current month and the three before it; a
few are refunded, wholly or in part. Every visit goes through
`quarter.card.visits.record_visit` with the clock frozen at its moment.
Deterministic for a given day (seeded); idempotent: does nothing if the demo
visits exist.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from quarter.card import visits
from quarter.card.models import Visit
from quarter.core import clock
from quarter.people.models import Household, Resident, User
from quarter.people.services import add_role
from quarter.places.models import Community, Merchant, MerchantStaff

KEY_PREFIX = "demo-log-"
SLUGS = ("jinxiu", "donghe")
SHOPS_PER_COMMUNITY = 6
PRINTED_CARDS = 4
MONTHS = 4


def load_visit_log_demo(*, seed: int = 2026) -> int:
    """Record the demo visits; return how many were recorded (0 if already there)."""
    if Visit.objects.filter(key__startswith=KEY_PREFIX).exists():
        return 0
    rng = random.Random(seed)
    now = clock.local_now()
    count = 0
    try:
        with transaction.atomic():
            for community in Community.objects.filter(slug__in=SLUGS).order_by("pk"):
                count += _community_visits(community, now, rng)
    finally:
        clock.freeze(None)
    return count


def _community_visits(community: Community, now: dt.datetime, rng) -> int:
    shops = _shops(community)
    customers = _customers(community)
    if not shops or not customers:
        return 0
    count = 0
    for month_start in _month_starts(now):
        for shop, cashier in shops:
            for _ in range(rng.randint(3, 12)):
                at = _moment(month_start, now, rng)
                _visit(shop, cashier, rng.choice(customers), at, rng)
                count += 1
    return count


def _shops(community: Community) -> list[tuple[Merchant, User]]:
    """The card shops of the community (阿明理发店 first), each with a cashier."""
    qs = Merchant.objects.filter(
        community=community, admission="approved", card_discount_permille__isnull=False
    ).order_by("pk")
    chosen = list(qs.filter(name="阿明理发店")) + list(
        qs.exclude(name="阿明理发店")[:SHOPS_PER_COMMUNITY]
    )
    return [(shop, _cashier(shop)) for shop in chosen[:SHOPS_PER_COMMUNITY]]


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


def _customers(community: Community) -> list[tuple[Resident | None, Household]]:
    """Residents of the community (the demo logins weigh more) and printed cards."""
    people: list[tuple[Resident | None, Household]] = []
    residents = Resident.objects.filter(
        household__compound__community=community
    ).select_related("household")
    for resident in residents.order_by("pk")[:40]:
        weight = 4 if resident.phone.startswith("13800000") else 1
        people += [(resident, resident.household)] * weight
    compounds = list(community.compounds.order_by("pk"))
    for i in range(PRINTED_CARDS):
        household, _ = Household.objects.get_or_create(
            compound=compounds[i % len(compounds)], address=f"演示纸质户卡{i + 1}号"
        )
        people.append((None, household))
    return people


def _month_starts(now: dt.datetime) -> list[dt.datetime]:
    index = now.year * 12 + now.month - 1
    return [
        dt.datetime(i // 12, i % 12 + 1, 1, tzinfo=clock.SHANGHAI)
        for i in range(index - MONTHS + 1, index + 1)
    ]


def _moment(month_start: dt.datetime, now: dt.datetime, rng) -> dt.datetime:
    """A shop-hours moment in the month, never after now."""
    next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
    last_day = (min(next_month, now) - month_start).days
    day = rng.randint(0, max(last_day - 1, 0))
    at = month_start + dt.timedelta(
        days=day, hours=rng.randint(8, 19), minutes=rng.randint(0, 59)
    )
    return min(at, now - dt.timedelta(minutes=5))


def _visit(shop: Merchant, cashier: User, customer, at: dt.datetime, rng) -> None:
    resident, household = customer
    bill_fen = rng.randint(15, 200) * 100
    card_fen = bill_fen - bill_fen * shop.card_discount_permille // 1000
    clock.freeze(at)
    visit = visits.record_visit(
        merchant=shop,
        staff=cashier,
        key=f"{KEY_PREFIX}{shop.pk}-{at:%Y%m%d%H%M}-{rng.randrange(10**6)}",
        bill_fen=bill_fen,
        card_discount_fen=card_fen,
        resident=resident,
        household=household if resident is None else None,
    )
    roll = rng.random()
    if roll < 0.05:
        visits.refund_visit(visit)
    elif roll < 0.10 and visit.payable_fen > 1000:
        visits.refund_visit(visit, refunded_fen=1000)
