"""Services of the places app: admission, the card rule, hours, status, audit."""

import datetime as dt

import pytest

from quarter.core import clock
from quarter.core.errors import DomainError, PermissionDenied
from quarter.places import access, services
from quarter.places.models import Admission, BusinessType, Merchant, MerchantEvent
from quarter.places.tests.factories import (
    make_community,
    make_merchant,
    make_operator,
    make_owner,
    make_user,
)

pytestmark = pytest.mark.django_db


def _application(community, **overrides):
    data = dict(
        community=community,
        name="新开早餐店",
        main_type=BusinessType.objects.get(code="breakfast"),
        address="建国北路8号",
        lat=30.2690,
        lng=120.1780,
        phone="13812345678",
        contact_person="李女士",
        services=[("小笼包", 800)],
        hours_text="1-7 06:00-10:30",
        card_discount_permille=800,
        vip_discount_permille=900,
    )
    data.update(overrides)
    return services.MerchantApplication(**data)


def test_apply_for_admission_creates_pending_merchant_owned_by_applicant():
    community = make_community()
    applicant = make_user()
    merchant = services.apply_for_admission(
        actor=applicant, application=_application(community)
    )
    assert merchant.admission == Admission.APPLIED
    assert access.is_staff_of(applicant, merchant)
    assert applicant.groups.filter(name="merchant").exists()
    assert [(h.weekday, h.open_minute, h.close_minute) for h in merchant.hours.all()][
        0
    ] == (0, 360, 630)
    assert MerchantEvent.objects.get(merchant=merchant).kind == "applied"


def test_apply_for_admission_refuses_card_worse_than_vip_and_writes_nothing():
    community = make_community()
    with pytest.raises(DomainError) as err:
        services.apply_for_admission(
            actor=make_user(),
            application=_application(
                community, card_discount_permille=700, vip_discount_permille=600
            ),
        )
    assert err.value.code == "card_rate_worse_than_vip"
    assert err.value.field == "card_discount"
    assert "7折" in err.value.message and "6折" in err.value.message
    assert Merchant.objects.count() == 0


def test_apply_for_admission_refuses_bad_hours_and_missing_brand():
    community = make_community()
    with pytest.raises(DomainError) as err:
        services.apply_for_admission(
            actor=make_user(), application=_application(community, hours_text="每天")
        )
    assert err.value.code == "invalid_hours"
    with pytest.raises(DomainError) as err:
        services.apply_for_admission(
            actor=make_user(), application=_application(community, is_chain=True)
        )
    assert err.value.field == "brand_name"
    assert Merchant.objects.count() == 0


def test_check_card_rule_accepts_better_or_equal_card_rate():
    services.check_card_rule(550, 600)
    services.check_card_rule(600, 600)
    services.check_card_rule(550, None)
    services.check_card_rule(None, 600)


def test_approve_merchant_by_operator_of_its_community_records_who_and_why():
    community = make_community()
    merchant = make_merchant(community, admission=Admission.APPLIED)
    operator = make_operator(community)
    services.approve_merchant(actor=operator, merchant=merchant, reason="材料齐全")
    merchant.refresh_from_db()
    assert merchant.admission == Admission.APPROVED
    event = merchant.events.filter(kind="approved").get()
    assert (event.actor, event.reason) == (operator, "材料齐全")
    assert event.before["admission"] == "applied"


def test_approve_merchant_refuses_operator_of_another_community():
    merchant = make_merchant(make_community(), admission=Admission.APPLIED)
    stranger = make_operator(make_community(name="锦绣社区"))
    with pytest.raises(PermissionDenied):
        services.approve_merchant(actor=stranger, merchant=merchant)
    merchant.refresh_from_db()
    assert merchant.admission == Admission.APPLIED


def test_reject_merchant_requires_reason_and_cannot_repeat():
    community = make_community()
    merchant = make_merchant(community, admission=Admission.APPLIED)
    operator = make_operator(community)
    with pytest.raises(DomainError) as err:
        services.reject_merchant(actor=operator, merchant=merchant, reason="  ")
    assert err.value.code == "reason_required"
    services.reject_merchant(actor=operator, merchant=merchant, reason="证照不全")
    with pytest.raises(DomainError) as err:
        services.reject_merchant(actor=operator, merchant=merchant, reason="再次")
    assert err.value.code == "admission_not_pending"


def test_suspend_and_reinstate_merchant_keep_an_audit_trail():
    community = make_community()
    merchant = make_merchant(community)
    operator = make_operator(community)
    services.suspend_merchant(
        actor=operator, merchant=merchant, reason="居民投诉价格欺诈"
    )
    merchant.refresh_from_db()
    assert merchant.status == "suspended"
    owner = make_owner(merchant)
    with pytest.raises(DomainError) as err:
        services.set_merchant_status(actor=owner, merchant=merchant, status="open")
    assert err.value.code == "invalid_status"
    services.reinstate_merchant(actor=operator, merchant=merchant, reason="已整改")
    kinds = list(merchant.events.values_list("kind", flat=True))
    assert kinds[:2] == ["reinstated", "suspended"]


def test_set_merchant_discounts_enforces_card_rule_for_owner_only():
    merchant = make_merchant(make_community(), card=550, vip=600)
    owner = make_owner(merchant)
    with pytest.raises(DomainError) as err:
        services.set_merchant_discounts(
            actor=owner,
            merchant=merchant,
            card_discount_permille=700,
            vip_discount_permille=600,
        )
    assert err.value.code == "card_rate_worse_than_vip"
    merchant.refresh_from_db()
    assert merchant.card_discount_permille == 550
    with pytest.raises(PermissionDenied):
        services.set_merchant_discounts(
            actor=make_user(),
            merchant=merchant,
            card_discount_permille=500,
            vip_discount_permille=600,
        )
    services.set_merchant_discounts(
        actor=owner,
        merchant=merchant,
        card_discount_permille=500,
        vip_discount_permille=600,
    )
    merchant.refresh_from_db()
    assert merchant.card_discount_permille == 500


@pytest.mark.parametrize(
    "text,expected",
    [
        ("5.5", 550),
        ("5.5折", 550),
        ("8", 800),
        ("10", 1000),
        ("", None),
        (None, None),
    ],
)
def test_parse_discount(text, expected):
    assert services.parse_discount(text, field="x") == expected


@pytest.mark.parametrize("text", ["0", "11", "abc", "-1"])
def test_parse_discount_rejects_out_of_range(text):
    with pytest.raises(DomainError) as err:
        services.parse_discount(text, field="card_discount")
    assert err.value.field == "card_discount"


def test_set_merchant_status_renovating_until_date():
    merchant = make_merchant(make_community())
    owner = make_owner(merchant)
    clock.freeze(dt.datetime(2026, 11, 23, 10, 0))
    services.set_merchant_status(
        actor=owner,
        merchant=merchant,
        status="renovating",
        until=dt.date(2026, 12, 10),
        reason="店面翻新",
    )
    merchant.refresh_from_db()
    assert (merchant.status, merchant.status_until) == (
        "renovating",
        dt.date(2026, 12, 10),
    )
    with pytest.raises(DomainError):
        services.set_merchant_status(
            actor=owner,
            merchant=merchant,
            status="renovating",
            until=dt.date(2026, 1, 1),
        )


def test_update_merchant_profile_reindexes_search_text():
    from quarter.places.selectors import search_merchants

    community = make_community()
    merchant = make_merchant(community, name="老店")
    owner = make_owner(merchant)
    assert search_merchants(query="修手表").total == 0
    services.update_merchant_profile(
        actor=owner, merchant=merchant, introduction="可修手表"
    )
    assert [h.merchant for h in search_merchants(query="修手表").hits] == [merchant]


def test_update_merchant_profile_refuses_unknown_fields():
    merchant = make_merchant(make_community())
    owner = make_owner(merchant)
    with pytest.raises(DomainError):
        services.update_merchant_profile(
            actor=owner, merchant=merchant, admission="approved"
        )
    merchant.refresh_from_db()
    assert merchant.admission == "approved"


def test_check_photo_rejects_non_images_and_accepts_png():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    fake = SimpleUploadedFile(
        "shop.jpg", b"<?php echo 1; ?>", content_type="image/jpeg"
    )
    with pytest.raises(DomainError) as err:
        services.check_photo(fake)
    assert err.value.code == "upload_rejected"
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    services.check_photo(SimpleUploadedFile("shop.png", buffer.getvalue()))


def test_add_opening_exception_closes_a_day_and_sets_special_hours():
    from quarter.places.hours import is_open_at

    merchant = make_merchant(make_community(), hours="1-7 08:00-20:00")
    owner = make_owner(merchant)
    clock.freeze(dt.datetime(2026, 11, 23, 9, 0))
    services.add_opening_exception(
        actor=owner,
        merchant=merchant,
        date=dt.date(2026, 11, 25),
        closed=True,
        note="盘点",
    )
    at = dt.datetime(2026, 11, 25, 10, 0, tzinfo=clock.SHANGHAI)
    assert not is_open_at(Merchant.objects.get(pk=merchant.pk), at)
    services.add_opening_exception(
        actor=owner,
        merchant=merchant,
        date=dt.date(2026, 11, 25),
        closed=False,
        hours_text="09:00-12:00, 14:00-16:00",
    )
    m = Merchant.objects.get(pk=merchant.pk)
    assert is_open_at(m, at) and not is_open_at(m, at.replace(hour=13))
    with pytest.raises(DomainError) as err:
        services.add_opening_exception(
            actor=owner,
            merchant=merchant,
            date=dt.date(2026, 11, 26),
            closed=False,
            hours_text="",
        )
    assert err.value.field == "hours"
    with pytest.raises(DomainError):
        services.add_opening_exception(
            actor=owner, merchant=merchant, date=dt.date(2026, 11, 1), closed=True
        )
