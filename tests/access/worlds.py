"""Two small cities for access tests: community A in district X, B in district Y.

Each world has a compound, a household and a resident, a shop with its
cashier, an operator, an issuer, a campaign with an open round, a pledge, a
claimed packet, a redemption, a settlement, audit rows of every kind and a
search log. `build_two_worlds()` also records which rows of every model each
world created, so a test can say "no row of B" without trusting the code
under test to tell it which rows those are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.apps import apps
from django.test import TestCase

from quarter.board.tests.factories import board_rows
from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.coverage.models import CoverageRun
from quarter.people.models import User
from quarter.places import events as place_events
from quarter.places.models import MerchantService, OpeningHours, SearchLog
from quarter.vouchers import codes
from quarter.vouchers.engines import use_engine
from quarter.vouchers.models import Settlement
from quarter.vouchers.services import claims, redemptions, settlement
from quarter.vouchers.tests.factories import World


@dataclass
class Side:
    world: World
    resident: object
    campaign: object
    round: object
    settlement: Settlement
    rows: dict[str, set] = field(default_factory=dict)
    board: dict[str, int] = field(default_factory=dict)  # ids of board rows

    def rows_of(self, model) -> set:
        return self.rows.get(model._meta.label_lower, set())


def _snapshot() -> dict[str, set]:
    return {
        m._meta.label_lower: set(m._default_manager.values_list("pk", flat=True))
        for m in apps.get_models()
        if not m._meta.proxy
    }


def _diff(after: dict[str, set], before: dict[str, set]) -> dict[str, set]:
    return {
        k: v - before.get(k, set())
        for k, v in after.items()
        if v - before.get(k, set())
    }


def _side(district: str, when: dt.datetime) -> Side:
    clock.freeze(when)
    w = World(district=district)
    for user in (w.operator_user, w.issuer_user):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    resident = w.resident()
    campaign = w.campaign()
    round_ = w.round(campaign, packets=5, preset="hz2022")
    w.pledge(campaign)
    clock.freeze(round_.release_at + dt.timedelta(seconds=1))
    out = claims.claim_packet(actor=resident.user, round_=round_)
    assert out.ok, out
    redemptions.redeem_voucher(
        actor=w.cashier,
        merchant=w.shop,
        bill_fen=4500,
        key=f"k{w.shop.pk}",
        code=codes.wallet_code(resident.pk, at=clock.now().timestamp()),
    )
    day = clock.local_now().date()
    clock.freeze(clock.now() + dt.timedelta(days=1))
    with TestCase.captureOnCommitCallbacks(execute=True):
        (paid,) = [
            s
            for s in settlement.settle_day(actor=SYSTEM, business_date=day)
            if s.merchant_id == w.shop.pk
        ]
    MerchantService.objects.create(merchant=w.shop, name="豆浆", price_fen=300)
    OpeningHours.objects.create(
        merchant=w.shop, weekday=0, open_minute=420, close_minute=1260
    )
    place_events.applied(w.shop, actor=w.cashier)
    place_events.compound_changed(
        w.compound, actor=w.operator_user, created=True, before={}, after={}
    )
    SearchLog.objects.create(
        query="理发", result_count=0, compound=w.compound, created_at=clock.now()
    )
    CoverageRun.objects.create(
        community=w.community, fingerprint="x", computed_at=clock.now()
    )
    # Problem reporting: departments, categories and one report by the resident.
    from quarter.civic.services import submit_report
    from quarter.civic.tests.factories import CivicWorld

    w.civic = CivicWorld(world=w)
    w.civic_report = submit_report(actor=resident.user, report=w.civic.new_report())
    board = board_rows(w, resident)
    return Side(w, resident, campaign, round_, paid, board=board)


def build_two_worlds() -> tuple[Side, Side, User]:
    """Build A (district X), B (district Y) and a superuser; record their rows."""
    from quarter.vouchers.engines.db_engine import DatabaseEngine

    use_engine(DatabaseEngine())
    try:
        start = clock.now()
        before = _snapshot()
        a = _side("X区", start)
        after_a = _snapshot()
        b = _side("Y区", start + dt.timedelta(days=3))
        after_b = _snapshot()
    finally:
        use_engine(None)
    a.rows = _diff(after_a, before)
    b.rows = _diff(after_b, after_a)
    admin = User.objects.create_superuser("root", password="Quarter-2026!")
    return a, b, admin
