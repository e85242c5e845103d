"""免申即享: eligibility facts, idempotent daily runs, periods, budget, ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from quarter.benefits import rules, services
from quarter.benefits.models import (
    BenefitGrant,
    BenefitRule,
    BenefitShortfall,
    HouseholdType,
    RuleState,
    Subject,
)
from quarter.benefits.tests.factories import DEC_15, meal_rule, meal_world
from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.core.errors import DomainError, PermissionDenied
from quarter.ledger import selectors as ledger
from quarter.ledger.models import Transaction
from quarter.notifications.models import Notification
from quarter.people.models import RegisterStatus, Resident
from quarter.people.tests.factories import register_entry, valid_id
from quarter.places.models import Merchant
from quarter.vouchers import accounts, codes
from quarter.vouchers.models import Claim, Redemption, Round, Voucher
from quarter.vouchers.selectors import list_public_rounds
from quarter.vouchers.services import redemptions, settlement
from quarter.vouchers.services.claims import claim_packet
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def dec15():
    clock.freeze(DEC_15)
    return DEC_15


def _names(matches):
    return sorted(m.resident.real_name for m in matches.eligible)


# --- eligibility ---------------------------------------------------------------


def test_match_rule_takes_age_from_the_register_and_says_why(dec15):
    w, campaign, *_ = meal_world()
    old = w.resident(born="19540312")  # 72 in 2026
    w.resident(born="19570101")  # 69: too young
    rule = meal_rule(w, campaign)

    matches = rules.match_rule(rule, today=dec15.date())

    assert [m.resident for m in matches.eligible] == [old]
    texts = [f.text for f in matches.eligible[0].facts]
    assert texts[0].startswith(f"您登记在{w.community.name}居民名册中")
    assert texts[1] == (
        "按居民名册记载的出生年份1954年,您今年满72周岁,符合“70周岁及以上”的条件"
    )


def test_match_rule_registered_only_leaves_out_verified_people_off_the_register(
    dec15,
):
    w, campaign, *_ = meal_world()
    on = w.resident(born="19500101")
    off = w.resident(born="19500101")
    Resident.objects.filter(pk=off.pk).update(register_entry=None)
    moved = w.resident(born="19500101")
    moved.register_entry.status = RegisterStatus.MOVED_AWAY
    moved.register_entry.save()

    strict = meal_rule(w, campaign)
    loose = meal_rule(w, campaign, registered_only=False)

    assert [m.resident for m in rules.match_rule(strict).eligible] == [on]
    loose_matches = rules.match_rule(loose).eligible
    assert {m.resident for m in loose_matches} == {on, off, moved}
    facts = next(m for m in loose_matches if m.resident == off).facts
    assert "本规则不要求在居民名册中" in facts[0].text
    assert "实名认证记载的出生年份1950年" in facts[1].text


def test_match_rule_counts_register_people_without_an_account_as_waiting(dec15):
    w, campaign, *_ = meal_world()
    register_entry(w.compound, name="张阿婆", id_number=valid_id("19500101"))
    rule = meal_rule(w, campaign)

    matches = rules.match_rule(rule)

    assert matches.eligible == []
    assert [m.masked_name for m in matches.waiting] == ["张*婆"]


def test_match_rule_household_types_come_from_people_at_one_door(dec15):
    w, campaign, *_ = meal_world()
    alone = w.resident(born="19500101")
    couple_a = w.resident(born="19500101")
    couple_b = w.resident(born="19520101", household=couple_a.household)
    grandma = w.resident(born="19500101")
    register_entry(
        w.compound,
        name="小孙",
        id_number=valid_id("20150101", serial=77),
        address=grandma.household.address,
    )

    def who(kind):
        rule = meal_rule(w, campaign, min_age=None, household_type=kind)
        return {m.resident for m in rules.match_rule(rule).eligible}

    assert who(HouseholdType.ALONE) == {alone}
    assert who(HouseholdType.ELDERLY_ONLY) == {alone, couple_a, couple_b}
    assert who(HouseholdType.WITH_MINOR) == {grandma}


def test_match_rule_limits_to_the_rules_compound(dec15):
    from quarter.places.models import Compound

    w, campaign, *_ = meal_world()
    other = Compound.objects.create(
        community=w.community,
        name="西河小区",
        lat=30.26,
        lng=120.17,
        households=10,
        population=20,
    )
    w.resident(born="19500101")
    there = w.resident(born="19500101", compound=other)

    rule = meal_rule(w, campaign, compound=other)

    (match,) = rules.match_rule(rule).eligible
    assert match.resident == there
    assert match.facts[-1].text == "您家在西河小区,属于本规则限定的小区"


# --- the daily run -------------------------------------------------------------


def test_run_grants_twice_grants_once_with_one_ledger_posting(dec15):
    w, campaign, canteen, _ = meal_world()
    old = w.resident(born="19540312")
    meal_rule(w, campaign)

    first = services.run_grants(actor=SYSTEM)
    clock.freeze(dec15 + dt.timedelta(minutes=1))
    second = services.run_grants(actor=SYSTEM)

    assert (first.granted, second.granted, second.already) == (1, 0, 1)
    grant = BenefitGrant.objects.get()
    assert grant.resident == old and grant.amount_fen == 10_000
    assert [f["key"] for f in grant.facts] == ["registered", "age"]
    (voucher,) = Voucher.objects.filter(resident=old)
    assert voucher.face_fen == 10_000
    assert voucher.business_type.code == "elderly_care"
    assert Transaction.objects.filter(kind="claim").count() == 1
    assert Transaction.objects.filter(kind="allocate").count() == 1
    (note,) = Notification.objects.filter(recipient=old.user, kind="benefit_granted")
    assert note.title == "您已自动获得“高龄老人助餐券”¥100.00消费券"
    assert "您今年满72周岁" in note.body
    assert grant.claim.round.granted is True


def test_grant_benefits_command_prints_what_it_did(dec15, capsys):
    w, campaign, *_ = meal_world()
    w.resident(born="19540312")
    meal_rule(w, campaign)

    call_command("grant_benefits")
    call_command("grant_benefits")

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "granted=1 already=0 shortfalls=0 waiting=0",
        "granted=0 already=1 shortfalls=0 waiting=0",
    ]


def test_run_grants_across_a_month_boundary_grants_the_new_month(dec15):
    w, campaign, *_ = meal_world()
    old = w.resident(born="19540312")
    meal_rule(w, campaign)
    clock.freeze(dt.datetime(2026, 12, 31, 23, 59, tzinfo=clock.SHANGHAI))
    services.run_grants()
    clock.freeze(dt.datetime(2027, 1, 1, 0, 1, tzinfo=clock.SHANGHAI))

    run = services.run_grants()
    services.run_grants()

    assert run.granted == 1
    periods = list(
        BenefitGrant.objects.filter(resident=old)
        .order_by("period")
        .values_list("period", flat=True)
    )
    assert periods == ["2026-12", "2027-01"]
    dec, jan = Voucher.objects.filter(resident=old).order_by("valid_from")
    new_year = dt.datetime(2027, 1, 1, tzinfo=clock.SHANGHAI)
    assert dec.valid_until == new_year and jan.valid_from == new_year
    assert Round.objects.filter(granted=True).count() == 2
    # In 2027 the resident is 73: the January grant's facts say so.
    jan_grant = BenefitGrant.objects.get(period="2027-01")
    assert "您今年满73周岁" in jan_grant.facts[1]["text"]


def test_run_grants_without_budget_grants_nothing_partial_and_tells_operator(
    dec15,
):
    w, campaign, *_ = meal_world(budget_fen=15_000)  # ¥150: one ¥100 packet
    people = [w.resident(born="19500101") for _ in range(3)]
    rule = meal_rule(w, campaign)

    run = services.run_grants()
    again = services.run_grants()

    assert (run.granted, run.shortfalls) == (1, 2)
    assert (again.granted, again.already, again.shortfalls) == (0, 1, 2)
    granted = {g.resident for g in BenefitGrant.objects.all()}
    short = BenefitShortfall.objects.filter(rule=rule)
    assert {s.resident for s in short} | granted == set(people)
    assert all(s.available_fen == 5_000 and s.needed_fen == 10_000 for s in short)
    # Nothing half made for the two: no claim, voucher or stock of theirs.
    assert Claim.objects.count() == 1 and Voucher.objects.count() == 1
    assert Round.objects.get(granted=True).packets_total == 1
    balance = ledger.get_balance(code=accounts.unallocated(campaign.pk).code)
    assert balance == 5_000
    (note,) = Notification.objects.filter(
        recipient=w.operator_user, kind="benefit_shortfall"
    )
    assert note.title == "“高龄老人助餐券”预算不足:2026年12月有2人未能发放"
    assert ledger.get_total() == 0


def test_paused_and_ended_rules_grant_nothing(dec15):
    w, campaign, *_ = meal_world()
    w.resident(born="19500101")
    rule = meal_rule(w, campaign)
    services.change_rule_state(
        actor=w.operator_user, rule=rule, target=RuleState.PAUSED
    )

    assert services.run_grants().granted == 0
    services.change_rule_state(actor=w.operator_user, rule=rule, target="ended")
    with pytest.raises(DomainError) as exc:
        services.change_rule_state(actor=w.operator_user, rule=rule, target="enabled")
    assert exc.value.code == "state_transition_not_allowed"
    assert services.run_grants().granted == 0


def test_rule_outside_its_dates_grants_nothing(dec15):
    w, campaign, *_ = meal_world()
    w.resident(born="19500101")
    meal_rule(w, campaign, starts_on=dt.date(2027, 1, 1))

    assert services.run_grants().granted == 0


def test_fee_relief_rule_records_an_entitlement_for_small_basic_shops(dec15):
    w, campaign, canteen, canteen_cashier = meal_world()
    data = services.RuleInput(
        name="小店房租减免",
        subject=Subject.MERCHANT,
        community=w.community,
        tier="quality",
        small_only=True,
        relief_fen=50_000,
        starts_on=dt.date(2026, 12, 1),
        ends_on=dt.date(2027, 2, 28),
    )
    rule = services.create_rule(actor=w.operator_user, data=data)
    services.change_rule_state(actor=w.operator_user, rule=rule, target="enabled")

    services.run_grants()
    services.run_grants()

    (grant,) = BenefitGrant.objects.filter(rule=rule)
    assert grant.merchant == canteen and grant.amount_fen == 50_000
    assert grant.kind == "fee_relief" and grant.claim is None
    assert "贵店为非连锁小店" in [f["text"] for f in grant.facts]
    (note,) = Notification.objects.filter(recipient=canteen_cashier)
    assert note.title == "您已自动获得“小店房租减免”¥500.00费用减免"


# --- the granted vouchers in the voucher engine --------------------------------


def test_granted_voucher_is_redeemed_at_the_canteen_and_settled(dec15):
    w, campaign, canteen, canteen_cashier = meal_world()
    old = w.resident(born="19540312")
    meal_rule(w, campaign)
    services.run_grants()

    result = redemptions.redeem_voucher(
        actor=canteen_cashier,
        merchant=canteen,
        bill_fen=12_000,
        key="meal-1",
        code=codes.wallet_code(old.pk, at=clock.now().timestamp()),
    )
    clock.freeze(dec15 + dt.timedelta(days=1))
    settlement.settle_day(actor=SYSTEM, business_date=dec15.date())

    redemption = Redemption.objects.get()
    assert (redemption.face_fen, redemption.status) == (10_000, "settled")
    assert result is not None
    roles = ledger.get_bucket_balances(bucket=campaign.bucket)
    assert sum(roles.values()) == campaign.budget_fen
    assert roles.get("settled") == 10_000
    assert roles.get("claimed", 0) == 0 and roles.get("unclaimed", 0) == 0
    assert ledger.get_total() == 0


def test_granted_voucher_is_not_usable_at_a_shop_of_another_type(dec15):
    w, campaign, *_ = meal_world()
    old = w.resident(born="19540312")
    w.pledge(campaign)  # the breakfast shop accepts the campaign too
    meal_rule(w, campaign)
    services.run_grants()

    with pytest.raises(DomainError):
        redemptions.redeem_voucher(
            actor=w.cashier,
            merchant=w.shop,
            bill_fen=12_000,
            key="x",
            code=codes.wallet_code(old.pk, at=clock.now().timestamp()),
        )


def test_granted_round_is_not_listed_and_a_tap_finds_no_packet(dec15):
    w, campaign, *_ = meal_world()
    w.resident(born="19540312")
    young = w.resident(born="19900101")
    meal_rule(w, campaign)
    services.run_grants()
    granted = Round.objects.get(granted=True)

    assert granted not in list(list_public_rounds())
    outcome = claim_packet(actor=young.user, round_=granted)
    assert not outcome.ok and outcome.code == "packet_sold_out"
    assert Claim.objects.filter(round=granted).count() == 1


def test_grants_and_claims_keep_the_campaign_books_exact(dec15):
    w, campaign, *_ = meal_world()
    claimer = w.resident()
    old = w.resident(born="19500101")
    rush = w.round(campaign, packets=3, preset="hz2022")
    meal_rule(w, campaign)
    services.run_grants()
    clock.freeze(rush.release_at + dt.timedelta(seconds=1))
    assert claim_packet(actor=claimer.user, round_=rush).ok

    roles = ledger.get_bucket_balances(bucket=campaign.bucket)
    assert sum(roles.values()) == campaign.budget_fen
    unused = Voucher.objects.filter(status="unused")
    assert roles["claimed"] == sum(v.face_fen for v in unused)
    assert roles["unclaimed"] == 2 * rush.packet_face_fen
    assert Voucher.objects.filter(resident=old).count() == 1
    assert ledger.get_total() == 0


# --- bad input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"min_age": 200}, "age_band_invalid", "min_age"),
        ({"min_age": 80, "max_age": 70}, "age_band_invalid", "max_age"),
        ({"ends_on": dt.date(2026, 11, 1)}, "period_invalid", "ends_on"),
        ({"name": "  "}, "name_required", "name"),
        ({"face_fen": 0}, "benefit_invalid", "face"),
        ({"tier": "basic"}, "condition_not_for_subject", "subject"),
    ],
)
def test_create_rule_refuses_bad_input_with_field_and_writes_nothing(
    dec15, changes, code, field
):
    w, campaign, *_ = meal_world()

    with pytest.raises(DomainError) as exc:
        meal_rule(w, campaign, **changes)

    assert (exc.value.code, exc.value.field, exc.value.status_code) == (
        code,
        field,
        400,
    )
    from quarter.benefits.models import BenefitRule

    assert not BenefitRule.objects.exists()


def test_create_rule_refuses_another_communitys_compound(dec15):
    w, campaign, *_ = meal_world()
    other = World()

    with pytest.raises(DomainError) as exc:
        meal_rule(w, campaign, compound=other.compound)

    assert exc.value.code == "compound_outside_community"
    assert exc.value.status_code == 400


def test_create_rule_refuses_another_communitys_scope_and_foreign_campaign(dec15):
    w, campaign, *_ = meal_world()
    other, other_campaign, *_ = meal_world()

    with pytest.raises(DomainError) as exc:
        meal_rule(w, campaign, community=other.community)
    assert (exc.value.code, exc.value.status_code) == ("not_rule_manager", 403)
    with pytest.raises(DomainError) as exc:
        meal_rule(w, other_campaign)
    assert exc.value.code == "campaign_not_covering"


def test_preview_is_only_for_the_rules_managers(dec15):
    w, campaign, *_ = meal_world()
    w.resident(born="19500101")
    rule = meal_rule(w, campaign, enable=False)
    other = World()

    preview = services.preview_rule(actor=w.operator_user, rule=rule)

    assert preview.count == 1 and preview.cost_fen == 10_000
    for actor in (other.operator_user, other.issuer_user, w.cashier):
        with pytest.raises(DomainError) as exc:
            services.preview_rule(actor=actor, rule=rule)
        assert exc.value.status_code == 403
    assert rule.events.filter(kind="rule_previewed").count() == 1


def test_granted_round_on_the_redis_engine_finds_no_packet_either(dec15, redis_url):
    from quarter.vouchers.engines import use_engine
    from quarter.vouchers.tests.conftest import _durable_redis_engine

    use_engine(_durable_redis_engine(redis_url))
    try:
        w, campaign, *_ = meal_world()
        old = w.resident(born="19540312")
        young = w.resident(born="19900101")
        meal_rule(w, campaign)
        services.run_grants()
        granted = Round.objects.get(granted=True)

        outcome = claim_packet(actor=young.user, round_=granted)
        again = services.run_grants()
    finally:
        use_engine(None)

    assert not outcome.ok and outcome.code == "packet_sold_out"
    assert again.already == 1
    assert [c.resident for c in Claim.objects.filter(round=granted)] == [old]
    assert Claim.objects.get(round=granted).engine == "grant"


def test_period_for_clips_months_to_the_rules_dates(dec15):
    from quarter.benefits.models import BenefitRule

    rule = BenefitRule(
        starts_on=dt.date(2026, 12, 10),
        ends_on=dt.date(2027, 1, 20),
        recurrence="monthly",
    )
    day = dt.date

    dec = rules.period_for(rule, day(2026, 12, 15))
    jan = rules.period_for(rule, day(2027, 1, 20))

    at = lambda y, m, d: dt.datetime(y, m, d, tzinfo=clock.SHANGHAI)  # noqa: E731
    assert (dec.key, dec.starts_at, dec.ends_at) == (
        "2026-12",
        at(2026, 12, 10),
        at(2027, 1, 1),
    )
    assert (jan.key, jan.ends_at, jan.label) == (
        "2027-01",
        at(2027, 1, 21),
        "2027年1月",
    )
    assert rules.period_for(rule, day(2026, 12, 9)) is None
    assert rules.period_for(rule, day(2027, 1, 21)) is None
    rule.recurrence = "once"
    once = rules.period_for(rule, day(2027, 1, 5))
    assert (once.key, once.starts_at, once.ends_at) == (
        "once",
        at(2026, 12, 10),
        at(2027, 1, 21),
    )


# --- shops that fill a gap, and editing rules -----------------------------------


def test_gap_rule_relieves_only_the_shop_that_is_some_households_only_one(dec15):
    from quarter.core.geo import METERS_PER_DEG_LAT
    from quarter.coverage.tests.factories import make_compound

    w, campaign, canteen, _ = meal_world()
    home = w.compound
    home.households = 300
    home.save(update_fields=["households"])
    canteen.lat, canteen.lng = home.lat + 50 / METERS_PER_DEG_LAT, home.lng
    canteen.save(update_fields=["lat", "lng"])
    # 3 km north, a compound served by two canteens: neither is its only one.
    far_lat = home.lat + 3000 / METERS_PER_DEG_LAT
    make_compound(w.community, "北苑", lat=far_lat, lng=home.lng, households=200)
    pair = [w.merchant(f"北苑食堂{i}", type_code="elderly_care")[0] for i in (1, 2)]
    for shop in pair:
        shop.lat, shop.lng = far_lat, home.lng
        shop.save(update_fields=["lat", "lng"])
    rule = services.create_rule(
        actor=w.operator_user,
        data=services.RuleInput(
            name="缺口补贴",
            subject=Subject.MERCHANT,
            community=w.community,
            business_type_codes=("elderly_care",),
            gap_households_min=100,
            relief_fen=30_000,
            starts_on=dt.date(2026, 12, 1),
        ),
    )
    matches = rules.match_rule(rule)
    assert [m.merchant for m in matches.eligible] == [canteen]
    (fact,) = [f for f in matches.eligible[0].facts if f.key == "gap_households"]
    assert fact.value == 300
    assert "300户居民步行15分钟内唯一的" in fact.text
    # A resident rule cannot ask for it.
    with pytest.raises(DomainError) as err:
        services.create_rule(
            actor=w.operator_user,
            data=services.RuleInput(
                name="错的",
                community=w.community,
                gap_households_min=5,
                campaign=campaign,
                face_fen=100,
                threshold_fen=100,
                starts_on=dt.date(2026, 12, 1),
            ),
        )
    assert err.value.code == "condition_not_for_subject"


def test_a_size_condition_matches_only_shops_that_declared_a_small_head_count(dec15):
    w, campaign, canteen, _ = meal_world()
    big, _ = w.merchant("大食堂", type_code="elderly_care")
    unknown, _ = w.merchant("未填报食堂", type_code="elderly_care")
    Merchant.objects.filter(pk=canteen.pk).update(employees=6)
    Merchant.objects.filter(pk=big.pk).update(employees=45)
    assert Merchant.objects.get(pk=unknown.pk).employees is None
    rule = services.create_rule(
        actor=w.operator_user,
        data=services.RuleInput(
            name="小微食堂补贴",
            subject=Subject.MERCHANT,
            community=w.community,
            business_type_codes=("elderly_care",),
            employees_max=10,
            relief_fen=20_000,
            starts_on=dt.date(2026, 12, 1),
        ),
    )
    matches = rules.match_rule(rule)
    assert [m.merchant for m in matches.eligible] == [canteen]
    (fact,) = [f for f in matches.eligible[0].facts if f.key == "employees"]
    assert fact.text == "贵店自报从业人员6人,不超过10人,属小微商户"
    # Out of range, or asked of residents: refused, nothing written.
    for bad in (0, 10_001):
        with pytest.raises(DomainError) as err:
            services.create_rule(
                actor=w.operator_user,
                data=services.RuleInput(
                    name="错的",
                    subject=Subject.MERCHANT,
                    community=w.community,
                    employees_max=bad,
                    relief_fen=20_000,
                    starts_on=dt.date(2026, 12, 1),
                ),
            )
        assert err.value.code == "benefit_invalid"
        assert err.value.field == "employees_max"
    with pytest.raises(DomainError) as err:
        services.create_rule(
            actor=w.operator_user,
            data=services.RuleInput(
                name="错的",
                community=w.community,
                employees_max=10,
                campaign=campaign,
                face_fen=100,
                threshold_fen=100,
                starts_on=dt.date(2026, 12, 1),
            ),
        )
    assert err.value.code == "condition_not_for_subject"
    assert BenefitRule.objects.count() == 1


def test_a_draft_rule_is_edited_with_an_audit_of_what_changed(dec15):
    w, campaign, *_ = meal_world()
    rule = meal_rule(w, campaign, enable=False)
    data = services.RuleInput(**{**rules_input_of(rule).__dict__, "min_age": 75})
    edited = services.update_rule(actor=w.operator_user, rule=rule, data=data)
    assert edited.min_age == 75
    event = rule.events.get(kind="rule_updated")
    assert (event.before, event.after) == ({"min_age": 70}, {"min_age": 75})
    assert event.changed_labels() == ["最低年龄"]


def test_an_enabled_rule_must_be_paused_before_it_is_edited(dec15):
    w, campaign, *_ = meal_world()
    rule = meal_rule(w, campaign)
    data = services.RuleInput(**{**rules_input_of(rule).__dict__, "coupon_count": 2})
    with pytest.raises(DomainError) as err:
        services.update_rule(actor=w.operator_user, rule=rule, data=data)
    assert err.value.status_code == 409
    rule.refresh_from_db()
    assert rule.coupon_count == 1
    other = World()
    with pytest.raises(PermissionDenied):
        services.update_rule(actor=other.operator_user, rule=rule, data=data)
    services.change_rule_state(actor=w.operator_user, rule=rule, target="paused")
    edited = services.update_rule(actor=w.operator_user, rule=rule, data=data)
    assert edited.coupon_count == 2


def rules_input_of(rule) -> services.RuleInput:
    return services.RuleInput(
        name=rule.name,
        community=rule.community,
        min_age=rule.min_age,
        campaign=rule.campaign,
        face_fen=rule.face_fen,
        threshold_fen=rule.threshold_fen,
        coupon_business_type_code="elderly_care",
        starts_on=rule.starts_on,
    )
