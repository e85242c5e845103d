"""The visit log's demo: months of visits in both communities, the same each run."""

import datetime as dt

import pytest
from django.db.models import Sum

from quarter.card import log
from quarter.card.log_demo import KEY_PREFIX, load_visit_log_demo
from quarter.card.models import Visit
from quarter.core import clock
from quarter.demo.services import load_demo
from quarter.people.models import User

pytestmark = pytest.mark.django_db


def _figures():
    demo = Visit.objects.filter(key__startswith=KEY_PREFIX)
    return demo.count(), demo.aggregate(s=Sum("bill_fen"))["s"]


NOW = dt.datetime(2026, 11, 20, 15, tzinfo=clock.SHANGHAI)


def _forget_demo_visits() -> None:
    """Delete the demo's visits and the demo ratings given on them (the reviews
    demo rates some of these visits; a rating protects its visit)."""
    from quarter.reviews.models import Rating

    Rating.objects.filter(visit__key__startswith=KEY_PREFIX).delete()
    Visit.objects.filter(key__startswith=KEY_PREFIX).delete()


def test_load_visit_log_demo_fills_four_months_for_both_communities():
    load_demo()  # loads the visit log demo among the app demos
    assert _figures()[0] > 0
    assert load_visit_log_demo() == 0  # idempotent
    # Again at a known moment (the loaders before it release the clock).
    _forget_demo_visits()
    clock.freeze(NOW)
    load_visit_log_demo()
    clock.freeze(NOW)
    first = _figures()

    for slug in ("jinxiu", "donghe"):
        months = {
            v.astimezone(clock.SHANGHAI).strftime("%Y-%m")
            for v in Visit.objects.filter(
                merchant__community__slug=slug, key__startswith=KEY_PREFIX
            ).values_list("occurred_at", flat=True)
        }
        assert months == {"2026-08", "2026-09", "2026-10", "2026-11"}
    # Other demos (ratings, referrals) add visits of their own: look at this one's.
    demo = Visit.objects.filter(key__startswith=KEY_PREFIX)
    assert demo.filter(status=Visit.Status.REFUNDED).exists()
    assert demo.filter(resident__isnull=True).exists()  # printed cards
    assert not demo.filter(occurred_at__gt=clock.now()).exists()

    amin = User.objects.get(username="merchant_amin")
    barber = amin.merchant_roles.get().merchant
    shop_log = log.get_shop_log(
        amin, merchant=barber, months=log.month_range_from_query({})
    )
    assert shop_log.total.visits > 0
    resident = User.objects.get(username="13800000002")
    assert log.list_my_visits(resident).exists()

    clock.freeze(NOW)
    _forget_demo_visits()
    load_visit_log_demo()
    assert _figures() == first  # deterministic
