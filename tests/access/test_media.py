"""Uploads under /media/: a shop's photos for anyone, people's photos only for
whom may see what they belong to; anything else is not served."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from quarter.board import services as board
from quarter.board.tests.factories import png_bytes
from quarter.civic import services as civic
from quarter.civic.tests.factories import CivicWorld, png
from quarter.places.models import MerchantPhoto
from quarter.reviews.models import RatingPhoto
from quarter.reviews.tests.factories import rating, visit
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _status(user, url) -> int:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(url).status_code


def test_a_suggestions_photo_is_for_its_community_only():
    world = World()
    author, neighbour = world.resident(), world.resident()
    s = board.post_suggestion(
        actor=author.user,
        category="environment",
        text="小区门口积水",
        photo=SimpleUploadedFile("IMG_0001.png", png_bytes(), "image/png"),
    )
    url = s.photo.url
    elsewhere = World().resident()
    assert _status(author.user, url) == 200
    assert _status(neighbour.user, url) == 200
    assert _status(world.operator_user, url) == 200
    assert _status(elsewhere.user, url) == 404
    assert _status(None, url) == 404


def test_a_reports_photo_is_for_its_reporter_workers_and_handlers_only():
    cw = CivicWorld()
    reporter = cw.world.resident()
    report = civic.submit_report(actor=reporter.user, report=cw.new_report(photo=png()))
    url = report.photo.url
    assert _status(reporter.user, url) == 200
    assert _status(cw.world.operator_user, url) == 200
    assert _status(cw.staff, url) == 200  # the lighting department it went to
    assert _status(cw.parks_staff, url) == 404  # another department
    assert _status(cw.world.resident().user, url) == 404
    assert _status(None, url) == 404


def test_a_rating_photo_is_public_while_the_rating_is_and_hidden_with_it():
    world = World()
    author = world.resident()
    r = rating(visit(world, author))
    photo = RatingPhoto.objects.create(
        rating=r, image=ContentFile(png_bytes(), "a.png")
    )
    url = photo.image.url
    assert url.startswith("/media/ratings/")
    assert _status(None, url) == 200
    r.status = "hidden"
    r.save(update_fields=["status"])
    assert _status(None, url) == 404
    assert _status(World().resident().user, url) == 404
    assert _status(author.user, url) == 200


def test_shop_photos_are_public_and_undeclared_folders_or_escapes_are_not(
    settings, tmp_path
):
    world = World()
    photo = MerchantPhoto.objects.create(
        merchant=world.shop, image=ContentFile(png_bytes(), "front.png")
    )
    assert _status(None, photo.image.url) == 200
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "roster.csv").write_text("姓名,身份证号\n")
    assert _status(world.operator_user, "/media/exports/roster.csv") == 404
    assert _status(None, "/media/merchants/../exports/roster.csv") == 404
