"""Two daily runs at once (two machines): every person is granted exactly once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from quarter.benefits import rules, services
from quarter.benefits.models import BenefitGrant
from quarter.benefits.tests.factories import DEC_15, meal_rule, meal_world
from quarter.core import clock
from quarter.core.tests.locking import retry_while_locked
from quarter.ledger import selectors as ledger
from quarter.vouchers.models import Claim, Round


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_grant_each_person_once(monkeypatch):
    """Both runs match everyone before either grants, then race to grant.

    Without the per-period row lock and the re-check under it, both would
    grant (or one would fail on the unique constraint mid-run).
    """
    clock.freeze(DEC_15)
    w, campaign, *_ = meal_world()
    people = [w.resident(born="19500101") for _ in range(4)]
    meal_rule(w, campaign)
    both_matched = threading.Barrier(2, timeout=5)
    real_match = rules.match_rule

    def match_then_wait(rule, **kw):
        found = real_match(rule, **kw)
        try:
            both_matched.wait()
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(rules, "match_rule", match_then_wait)
    errors = []

    def run():
        try:
            retry_while_locked(services.run_grants)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sorted(g.resident_id for g in BenefitGrant.objects.all()) == sorted(
        p.pk for p in people
    )
    granted = Round.objects.get(granted=True)
    assert granted.packets_total == 4
    assert Claim.objects.filter(round=granted).count() == 4
    roles = ledger.get_bucket_balances(bucket=campaign.bucket)
    assert roles["claimed"] == 40_000 and roles.get("unclaimed", 0) == 0
    assert ledger.get_total() == 0
