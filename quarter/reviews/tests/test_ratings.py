"""Ratings: who may rate (after a visit or voucher payment), replies, bursts."""

from __future__ import annotations

import datetime as dt

import pytest

from quarter.core import clock
from quarter.core.errors import DomainError, PermissionDenied
from quarter.notifications.models import Notification
from quarter.places.models import MerchantStaff
from quarter.reviews import selectors, services
from quarter.reviews.models import Rating, ReviewEvent
from quarter.reviews.tests.factories import rating, visit, voucher_payment
from quarter.vouchers.services import redemptions
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db

GOOD = services.Stars(quality=5, service=4, price=4)


def _rate(actor, shop, **kw):
    return services.rate_merchant(actor=actor, merchant=shop, stars=GOOD, **kw)


def test_rate_merchant_refused_before_any_visit():
    w = World()
    resident = w.resident()
    with pytest.raises(DomainError) as exc:
        _rate(resident.user, w.shop)
    assert exc.value.code == "no_recent_visit"
    assert "30天内" in exc.value.message
    assert not Rating.objects.exists()


def test_rate_merchant_after_visit_once_per_visit():
    w = World()
    resident = w.resident()
    v = visit(w, resident)
    r = _rate(resident.user, w.shop, text="豆浆很香")
    assert (r.visit, r.status, r.text) == (v, "visible", "豆浆很香")
    assert ReviewEvent.objects.filter(rating=r, kind="rated").exists()
    with pytest.raises(DomainError) as exc:
        _rate(resident.user, w.shop)
    assert exc.value.code == "no_recent_visit"
    visit(w, resident)  # a second visit allows a second rating
    assert _rate(resident.user, w.shop).visit != v


def test_rate_merchant_household_card_visit_counts_for_its_residents():
    w = World()
    resident = w.resident()
    neighbour = w.resident()  # another household
    visit(w, household=resident.household)  # printed card: no resident named
    with pytest.raises(DomainError):
        _rate(neighbour.user, w.shop)
    assert _rate(resident.user, w.shop).visit.resident is None


def test_rate_merchant_visit_older_than_30_days_refused():
    w = World()
    resident = w.resident()
    visit(w, resident)
    clock.freeze(clock.now() + dt.timedelta(days=31))
    with pytest.raises(DomainError) as exc:
        _rate(resident.user, w.shop)
    assert exc.value.code == "no_recent_visit"


def test_rate_merchant_refunded_visit_does_not_count():
    from quarter.card.visits import refund_visit

    w = World()
    resident = w.resident()
    refund_visit(visit(w, resident))
    with pytest.raises(DomainError):
        _rate(resident.user, w.shop)


def test_rate_merchant_after_voucher_payment_but_not_after_a_rejected_one():
    w = World()
    resident = w.resident()
    paid = voucher_payment(w, resident)
    r = _rate(resident.user, w.shop)
    # The till recorded the voucher payment as a visit: the rating names both.
    assert r.redemption == paid and r.visit == paid.visit
    with pytest.raises(DomainError):
        _rate(resident.user, w.shop)


def test_rate_merchant_rejected_redemption_allows_no_rating():
    w = World()
    resident = w.resident()
    held = voucher_payment(w, resident, held=True)
    redemptions.review_redemption(
        actor=w.operator_user, redemption=held, release=False, reason="虚假交易"
    )
    with pytest.raises(DomainError) as exc:
        _rate(resident.user, w.shop)
    assert exc.value.code == "no_recent_visit"


def test_rate_merchant_own_staff_refused_even_with_a_visit():
    w = World()
    resident = w.resident()
    MerchantStaff.objects.create(merchant=w.shop, user=resident.user, role="staff")
    visit(w, resident)
    with pytest.raises(PermissionDenied) as exc:
        _rate(resident.user, w.shop)
    assert exc.value.code == "cannot_rate_own_merchant"


def test_rate_merchant_bad_input_writes_nothing():
    w = World()
    resident = w.resident()
    visit(w, resident)
    with pytest.raises(DomainError) as exc:
        _rate(resident.user, w.shop, text="好" * 1001)
    assert (exc.value.code, exc.value.field) == ("text_too_long", "text")
    with pytest.raises(DomainError) as exc:
        services.parse_stars({"quality": "6", "service": "3", "price": "3"})
    assert (exc.value.code, exc.value.field) == ("stars_out_of_range", "quality")
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("a.jpg", b"<svg onload=alert(1)>", "image/jpeg")
    with pytest.raises(DomainError) as exc:
        _rate(resident.user, w.shop, photos=[fake])
    assert exc.value.code == "upload_rejected"
    assert not Rating.objects.exists()


def test_reply_to_rating_once_by_the_shops_staff_only():
    w = World()
    resident = w.resident()
    visit(w, resident)
    r = _rate(resident.user, w.shop)
    with pytest.raises(PermissionDenied):
        services.reply_to_rating(actor=resident.user, rating=r, text="谢谢")
    services.reply_to_rating(actor=w.cashier, rating=r, text="谢谢光临")
    with pytest.raises(DomainError) as exc:
        services.reply_to_rating(actor=w.cashier, rating=r, text="再次感谢")
    assert exc.value.code == "already_replied"
    r.refresh_from_db()
    assert r.reply_text == "谢谢光临"


def test_hide_rating_by_the_communitys_operator_with_a_reason():
    w = World()
    other = World()
    resident = w.resident()
    visit(w, resident)
    r = _rate(resident.user, w.shop)
    with pytest.raises(PermissionDenied):
        services.hide_rating(actor=other.operator_user, rating=r, reason="广告")
    with pytest.raises(DomainError) as exc:
        services.hide_rating(actor=w.operator_user, rating=r, reason=" ")
    assert exc.value.code == "reason_required"
    services.hide_rating(actor=w.operator_user, rating=r, reason="含有广告")
    r.refresh_from_db()
    assert (r.status, r.status_reason) == ("hidden", "含有广告")
    event = ReviewEvent.objects.get(rating=r, kind="hidden")
    assert (event.actor, event.reason) == (w.operator_user, "含有广告")
    assert selectors.get_merchant_average(merchant=w.shop).count == 0
    assert selectors.list_recent_reviews(merchant=w.shop) == []
    services.show_rating(actor=w.operator_user, rating=r)
    assert selectors.get_merchant_average(merchant=w.shop).count == 1


def test_burst_of_new_accounts_is_flagged_and_left_out_of_the_average(settings):
    settings.QUARTER_REVIEWS_BURST_COUNT = 3
    w = World()
    old = w.resident()
    type(old.user).objects.filter(pk=old.user.pk).update(
        date_joined=clock.now() - dt.timedelta(days=400)
    )
    old.user.refresh_from_db()
    visit(w, old)
    _rate(old.user, w.shop)
    new = [w.resident() for _ in range(3)]
    for resident in new:
        visit(w, resident)
    r1 = services.rate_merchant(
        actor=new[0].user, merchant=w.shop, stars=services.Stars(5, 5, 5)
    )
    r2 = services.rate_merchant(
        actor=new[1].user, merchant=w.shop, stars=services.Stars(5, 5, 5)
    )
    assert selectors.get_merchant_average(merchant=w.shop).count == 3
    r3 = services.rate_merchant(
        actor=new[2].user, merchant=w.shop, stars=services.Stars(5, 5, 5)
    )
    statuses = dict(Rating.objects.values_list("pk", "status"))
    assert [statuses[r.pk] for r in (r1, r2, r3)] == ["flagged"] * 3
    assert selectors.get_merchant_average(merchant=w.shop).count == 1  # the old one
    assert (
        Notification.objects.filter(
            recipient=w.operator_user, kind="reviews.burst"
        ).count()
        == 1
    )
    services.clear_rating(actor=w.operator_user, rating=r1)
    assert selectors.get_merchant_average(merchant=w.shop).count == 2


def test_ratings_from_old_accounts_are_never_a_burst(settings):
    settings.QUARTER_REVIEWS_BURST_COUNT = 2
    w = World()
    residents = [w.resident() for _ in range(3)]
    type(residents[0].user).objects.update(
        date_joined=clock.now() - dt.timedelta(days=30)
    )
    for resident in residents:
        resident.user.refresh_from_db()
        visit(w, resident)
        _rate(resident.user, w.shop)
    assert set(Rating.objects.values_list("status", flat=True)) == {"visible"}


def test_smoothed_average_two_fives_do_not_beat_fifty_4_8():
    w = World()
    resident = w.resident()
    newcomer, _ = w.merchant("新开张小店")
    favourite, _ = w.merchant("老字号面馆")
    ordinary, _ = w.merchant("普通小超市")
    for _ in range(2):
        rating(visit(w, resident, shop=newcomer), stars=(5, 5, 5))
    for i in range(50):  # 40 fives and 10 fours: a mean of 4.8
        stars = (5, 5, 5) if i % 5 else (4, 4, 4)
        rating(visit(w, resident, shop=favourite), stars=stars)
    for _ in range(20):
        rating(visit(w, resident, shop=ordinary), stars=(4, 3, 3))
    two = selectors.get_merchant_average(merchant=newcomer)
    fifty = selectors.get_merchant_average(merchant=favourite)
    assert (two.raw, round(fifty.raw, 2)) == (5.0, 4.8)
    assert two.smoothed < fifty.smoothed
    assert two.count == 2 and fifty.count == 50


def test_smoothed_average_formula_is_the_published_one(settings):
    settings.QUARTER_REVIEWS_PRIOR_WEIGHT = 10
    w = World()
    resident = w.resident()
    rating(visit(w, resident), stars=(5, 5, 5))
    rating(visit(w, resident), stars=(2, 2, 2))
    # Community mean C = 3.5; (10 × 3.5 + 5 + 2) ÷ (10 + 2) = 3.5.
    avg = selectors.get_merchant_average(merchant=w.shop)
    assert avg.smoothed == pytest.approx(3.5)
    other, _ = w.merchant("隔壁店")
    rating(visit(w, resident, shop=other), stars=(1, 1, 1))
    # C = (5 + 2 + 1) / 3 = 8/3; shop: (10 × 8/3 + 7) / 12.
    avg = selectors.get_merchant_average(merchant=w.shop)
    assert avg.smoothed == pytest.approx((10 * 8 / 3 + 7) / 12)


def _png(name="a.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_rate_merchant_keeps_up_to_three_photos(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = World()
    resident = w.resident()
    visit(w, resident)
    with pytest.raises(DomainError) as exc:
        _rate(resident.user, w.shop, photos=[_png() for _ in range(4)])
    assert (exc.value.code, exc.value.field) == ("too_many_photos", "photos")
    r = _rate(resident.user, w.shop, photos=[_png(), _png("b.png")])
    assert r.photos.count() == 2
