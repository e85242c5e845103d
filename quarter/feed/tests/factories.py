"""A small street for the feed's tests: shops at set distances, visits at set times."""

from __future__ import annotations

import datetime as dt

from django.test import TestCase

from quarter.card.tests.log_factories import visit
from quarter.core import clock
from quarter.core.geo import METERS_PER_DEG_LAT
from quarter.feed import selectors
from quarter.places.models import BusinessType, Merchant, MerchantStaff
from quarter.vouchers.tests.factories import World


def shop(world: World, name: str, code: str, *, north_m: float) -> Merchant:
    """A listed, open shop `north_m` metres north of the world's compound."""
    m, cashier = world.merchant(name, type_code=code)
    m.lat = world.compound.lat + north_m / METERS_PER_DEG_LAT
    m.save(update_fields=["lat"])
    m.cashier = cashier
    return m


def cashier_of(m: Merchant):
    return MerchantStaff.objects.filter(merchant=m).first().user


def committed():
    """Run what waits for the commit (the feed's counters) when the block ends,
    as a real payment's commit would; tests run inside one transaction."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def pay(m: Merchant, resident, at: dt.datetime, bill_fen: int = 1500):
    with committed():
        return visit(m, cashier_of(m), at=at, bill_fen=bill_fen, resident=resident)


def days_ago(days: int, hour: int, minute: int = 0) -> dt.datetime:
    day = (clock.local_now() - dt.timedelta(days=days)).date()
    return dt.datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=clock.SHANGHAI
    )


def at_today(hour: int, minute: int = 0) -> dt.datetime:
    return days_ago(0, hour, minute)


def feed_of(resident, *, hour: int | None = None, limit: int = 10):
    selectors.clear_cache()
    if hour is not None:
        clock.freeze(at_today(hour))
    return selectors.get_feed(actor=resident.user, limit=limit)


def type_id(code: str) -> int:
    return BusinessType.objects.get(code=code).pk
