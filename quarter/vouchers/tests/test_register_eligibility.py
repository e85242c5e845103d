"""Voucher eligibility follows the register (people.access.is_registered_resident)."""

import pytest

from quarter.core.errors import DomainError
from quarter.people import register
from quarter.people.models import Resident
from quarter.vouchers.models import Claim, Round
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import at
from quarter.vouchers.tests.test_engines import _persist


def _claim(resident, round_):
    resident = Resident.objects.select_related("user").get(pk=resident.pk)
    return claim_packet(actor=resident.user, round_=Round.objects.get(pk=round_.pk))


def _off_register(resident):
    Resident.objects.filter(pk=resident.pk).update(register_entry=None)


def test_registered_person_claims_once(world, engine):
    round_ = world.round(world.campaign(), packets=3)
    resident = world.resident()
    at(round_)
    first = _claim(resident, round_)
    again = _claim(resident, round_)
    assert first.ok and again.repeated and again.claim_id == first.claim_id
    _persist(round_)  # with Redis the persister writes the claim rows
    assert Claim.objects.filter(resident=resident).count() == 1


def test_verified_resident_not_on_register_only_claims_open_campaigns(world, engine):
    closed = world.round(world.campaign(), packets=3)
    resident = world.resident()
    _off_register(resident)
    at(closed)
    with pytest.raises(DomainError) as err:
        _claim(resident, closed)
    assert err.value.code == "not_on_register" and err.value.status_code == 403
    open_round = world.round(world.campaign(open_to_unregistered=True), packets=3)
    at(open_round)
    assert _claim(resident, open_round).ok


def test_moved_away_cannot_claim(world, engine):
    round_ = world.round(world.campaign(), packets=3)
    resident = world.resident()
    register.mark_moved_away(
        actor=world.operator_user, entry=resident.register_entry, reason="搬走了"
    )
    at(round_)
    with pytest.raises(DomainError) as err:
        _claim(resident, round_)
    assert err.value.code in {"not_on_register", "not_in_campaign_area"}
    assert Claim.objects.count() == 0
