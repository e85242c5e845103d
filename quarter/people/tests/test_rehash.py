"""rehash_id_numbers moves stored ID hashes to a new key, using roster files."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from quarter.core.identity import hash_id_number, id_check_char
from quarter.people.models import RegisterEntry, Resident
from quarter.vouchers.engines import use_engine
from quarter.vouchers.engines.db_engine import DatabaseEngine
from quarter.vouchers.models import Claim
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import World, at, id_number

pytestmark = pytest.mark.django_db
OLD = "old-id-hash-key-0123456789abcdef0123456789"
NEW = "new-id-hash-key-0123456789abcdef0123456789"


def test_rehash_moves_every_copy_for_listed_people(settings, tmp_path, monkeypatch):
    settings.QUARTER_ID_HASH_KEY = OLD
    world = World()
    listed = world.resident(id_n=11)
    unlisted = world.resident(id_n=12)
    round_ = world.round(world.campaign())
    at(round_)
    use_engine(DatabaseEngine())
    try:
        claim_packet(actor=listed.user, round_=round_)
    finally:
        use_engine(None)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        f"姓名,身份证号,小区\n居民,{id_number(11, '19800101')},东河小区\n", "utf-8"
    )

    settings.QUARTER_ID_HASH_KEY = NEW
    monkeypatch.setenv("QUARTER_ID_HASH_KEY_OLD", OLD)
    out = io.StringIO()
    call_command("rehash_id_numbers", str(roster), stdout=out)

    new_hash = hash_id_number(id_number(11, "19800101"))
    assert Resident.objects.get(pk=listed.pk).id_hash == new_hash
    assert Claim.objects.get().person_hash == new_hash
    assert RegisterEntry.objects.get(pk=listed.register_entry_id).id_hash == new_hash
    assert Resident.objects.get(pk=unlisted.pk).id_hash == unlisted.id_hash
    # Moved: the resident, the claim and the register entry; left: the unlisted
    # resident and their register entry.
    assert "迁移哈希 3 处" in out.getvalue() and "2 处" in out.getvalue()


def test_rehash_needs_the_old_key(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("QUARTER_ID_HASH_KEY_OLD", raising=False)
    roster = tmp_path / "r.csv"
    first17 = "33010619900101123"
    roster.write_text(first17 + id_check_char(first17), "utf-8")
    with pytest.raises(CommandError, match="OLD"):
        call_command("rehash_id_numbers", str(roster), stdout=io.StringIO())
