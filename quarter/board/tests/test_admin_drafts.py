"""A community worker's edit in the back office drafts the same notices as the
shop's own change would (status is changed by actions, which call the
services; a card discount can be typed in the change form)."""

from __future__ import annotations

import pytest
from django.test import Client

from quarter.board.models import Notice, NoticeKind, NoticeStatus
from quarter.vouchers.tests.factories import World
from tests.access.test_backoffice import _form_data

pytestmark = pytest.mark.django_db


def _operator_client(world) -> Client:
    """The community's worker signed in to the back office (workers are staff)."""
    world.operator_user.is_staff = True
    world.operator_user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(world.operator_user)
    return client


def _edit_in_admin(client, merchant, **changes):
    url = f"/admin/places/merchant/{merchant.pk}/change/"
    data = _form_data(client.get(url))
    data.update({k: str(v) for k, v in changes.items()})
    resp = client.post(url, data)
    assert resp.status_code == 302, resp.content.decode()[:2000]


def test_a_deeper_card_discount_set_in_the_back_office_drafts_a_promotion():
    world = World()
    world.shop.card_discount_permille, world.shop.vip_discount_permille = 950, None
    world.shop.save()
    # The back office takes the discount as 折 (8.5), not 千分比.
    _edit_in_admin(_operator_client(world), world.shop, card_discount_permille="8.5")
    draft = Notice.objects.get(merchant=world.shop)
    assert draft.kind == NoticeKind.PROMOTION
    assert draft.status == NoticeStatus.DRAFT
    assert draft.title == f"{world.shop.name}大家卡优惠8.5折"
    assert "原9.5折" in draft.body


def test_an_unrelated_back_office_edit_drafts_nothing():
    world = World()
    _edit_in_admin(_operator_client(world), world.shop, phone="0571-88886666")
    assert not Notice.objects.filter(merchant=world.shop).exists()


def test_approving_an_applied_shop_with_the_back_office_action_drafts_new_shop():
    from quarter.places.models import Admission
    from quarter.places.tests.factories import make_merchant

    world = World()
    applied = make_merchant(
        world.community, name="潮鸣修鞋铺", admission=Admission.APPLIED
    )
    response = _operator_client(world).post(
        "/admin/places/merchant/",
        {
            "action": "approve_merchant_action",
            "_selected_action": [str(applied.pk)],
            "apply": "1",
            "reason": "资料齐全",
        },
    )
    assert response.status_code == 302
    applied.refresh_from_db()
    assert applied.admission == Admission.APPROVED
    draft = Notice.objects.get(merchant=applied)
    assert (draft.kind, draft.status) == (NoticeKind.NEW_SHOP, NoticeStatus.DRAFT)
    assert "潮鸣修鞋铺" in draft.title
