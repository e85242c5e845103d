"""The demo gives the README's resident a feed: breakfast first in the morning."""

from __future__ import annotations

import pytest

from quarter.core import clock
from quarter.demo.services import load_demo
from quarter.feed import selectors
from quarter.feed.tests.factories import committed, days_ago
from quarter.people.models import Resident

pytestmark = pytest.mark.django_db


def test_demo_resident_sees_breakfast_first_in_the_morning_and_the_new_shop():
    with committed():  # the demo's visits count once its transaction commits
        load_demo()
    # Tomorrow at 07:30: the demo's new shop was announced at the real time
    # of loading, which is after today's 07:30 for most of the day.
    clock.freeze(days_ago(-1, 7, 30))
    resident = Resident.objects.get(phone="13800000001")
    selectors.clear_cache()
    items = selectors.get_feed(actor=resident.user)
    assert items[0].name == "王姐热干面"
    assert items[0].reason.startswith("你早上常来")
    fresh = [i for i in items if i.new]
    assert len(fresh) == 1
    assert fresh[0].reason.startswith("你常去的老宜昌洗衣店附近新开了")
