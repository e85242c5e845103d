"""Reviews demo data for 东河社区: visits, ratings, a reply, and last year's stars.

Called by `quarter.demo.services.load_demo()` after the voucher demo (which
gives every approved 东河 shop a cashier). Eight shops get a few card visits
each, spread over the last four weeks, each rated by its resident through
`services.rate_merchant` with the clock moved back (ratings of one shop are
days apart, so none is a burst); 阿明理发店 replies to one; the operator then
opens last year's star evaluation so the map and the shop pages show badges.
Idempotent: does nothing once 东河 has a rating.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random

from django.db import transaction

from quarter.card.visits import record_visit
from quarter.core import clock
from quarter.people.models import Operator, Resident
from quarter.places.models import Community, Merchant, MerchantStaff
from quarter.reviews import services
from quarter.reviews.models import Evaluation, Rating

TEXTS = [
    "老板很热情,价格实在。",
    "离家近,很方便,下次还来。",
    "排队有点久,味道不错。",
    "服务一般,东西还可以。",
    "用大家卡打折,很划算!",
    "",
]


def load_reviews_demo(*, seed: int = 2026) -> Evaluation | None:
    community = Community.objects.filter(slug="donghe").first()
    if (
        community is None
        or Rating.objects.filter(merchant__community=community).exists()
    ):
        return None
    rng = random.Random(seed)
    residents = list(
        Resident.objects.filter(
            household__compound__community=community, verified_at__isnull=False
        ).order_by("pk")[:24]
    )
    shops = list(
        Merchant.objects.filter(community=community, admission="approved")
        .filter(staff__isnull=False)
        .distinct()
        .order_by("pk")[:8]
    )
    if not residents or not shops:
        return None
    real_now = clock.now()
    people = itertools.cycle(residents)
    try:
        with transaction.atomic():
            for index, shop in enumerate(shops):
                _rate_shop(
                    shop, people, rng, base=real_now, low=index == len(shops) - 1
                )
            clock.freeze(real_now)
            operator = Operator.objects.filter(community=community).first()
            return services.open_evaluation(
                actor=operator.user, community=community, year=real_now.year - 1
            )
    finally:
        clock.freeze(None)


def _rate_shop(shop, people, rng, *, base: dt.datetime, low: bool) -> None:
    staff = MerchantStaff.objects.filter(merchant=shop).select_related("user").first()
    for days_ago in (26, 19, 12, 5):
        resident = next(people)
        clock.freeze(_at(base, days_ago, rng))
        record_visit(
            merchant=shop,
            staff=staff.user,
            key=f"demo-review-{shop.pk}-{days_ago}",
            bill_fen=rng.choice([1800, 3500, 6000, 8800]),
            resident=resident,
        )
        clock.freeze(clock.now() + dt.timedelta(hours=1))
        top = 2 if low else 5
        stars = services.Stars(
            quality=rng.randint(top - 1, top),
            service=rng.randint(top - 1, top),
            price=rng.randint(max(1, top - 2), top),
        )
        rating = services.rate_merchant(
            actor=resident.user, merchant=shop, stars=stars, text=rng.choice(TEXTS)
        )
        if days_ago == 26 and staff.user.username == "merchant_amin":
            services.reply_to_rating(
                actor=staff.user, rating=rating, text="谢谢您的支持,欢迎常来!"
            )


def _at(base: dt.datetime, days_ago: int, rng) -> dt.datetime:
    day = base.astimezone(clock.SHANGHAI).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    return day - dt.timedelta(days=days_ago, minutes=-rng.randint(0, 300))
