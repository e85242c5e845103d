"""English (the second UI language) keeps today's new strings.

A regeneration of locale/en that drops or fuzzes these entries makes the pages
fall back to Chinese, and these tests fail.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import translation

from quarter.places.tests.factories import make_community, make_operator
from quarter.vouchers.answers import claim_answer, refusal
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.models import VoucherEventKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    # What the language switch (django.conf.urls.i18n set_language) leaves behind.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_register_import_page_is_in_english(english):
    community = make_community(name="东河社区", slug="donghe")
    english.force_login(make_operator(community, "operator_donghe"))
    page = english.get("/admin/people/registerentry/import/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Import resident register" in html
    assert "导入居民名册" not in html


def test_signup_sms_code_button_is_in_english(english):
    html = english.get("/accounts/signup/").content.decode()
    assert 'id="send-code">Get code</button>' in html
    assert "SMS code" in html
    assert "获取验证码" not in html


def test_claim_answers_are_in_english():
    with translation.override("en"):
        status, body = claim_answer(refusal(Code.SOLD_OUT))
        assert (status, body["code"], body["message"]) == (
            200,
            "packet_sold_out",
            "All gone",
        )
        _, body = claim_answer(refusal(Code.PERSON_ALREADY_CLAIMED))
        assert body["message"] == (
            "This ID card has already claimed a voucher packet in this round "
            "(one per person)"
        )


def test_pay_code_lock_is_named_in_english():
    with translation.override("en"):
        assert str(VoucherEventKind.WALLET_CODE_LOCKED.label) == (
            "Pay code locked after repeated wrong entries"
        )
