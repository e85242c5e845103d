"""The demo gives 东河 ratings, a merchant's reply and last year's star badges."""

import pytest

from quarter.core import clock
from quarter.demo.services import load_demo
from quarter.reviews import selectors
from quarter.reviews.models import Evaluation, Rating

pytestmark = pytest.mark.django_db


def test_load_demo_rates_donghe_shops_and_opens_last_years_evaluation():
    load_demo()
    ratings = Rating.objects.filter(merchant__community__slug="donghe")
    assert ratings.count() >= 16
    assert set(ratings.values_list("status", flat=True)) == {"visible"}  # no burst
    assert ratings.filter(reply_text__contains="欢迎常来").exists()
    evaluation = Evaluation.objects.get(community__slug="donghe")
    assert evaluation.year == clock.local_now().year - 1
    shop = ratings.first().merchant
    assert selectors.get_stars(merchant_ids=[shop.pk])[shop.pk] in range(1, 6)
