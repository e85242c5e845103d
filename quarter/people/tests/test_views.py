"""Account pages: sign-up with an SMS code, real-name on the register, login limit."""

import pytest

from quarter.people import sms
from quarter.people.models import PhoneCode, User
from quarter.people.tests.factories import register_entry, valid_id
from quarter.places.tests.factories import make_community, make_compound

pytestmark = pytest.mark.django_db


def _sign_up(client, phone="13800001234"):
    response = client.post("/accounts/signup/", {"phone": phone, "send_code": "1"})
    assert response.status_code == 200 and "验证码已发送" in response.content.decode()
    return client.post(
        "/accounts/signup/",
        {"phone": phone, "code": sms.last_code(phone), "password": "Lao-Pan-2026"},
    )


def test_signup_needs_the_sms_code(client):
    response = client.post(
        "/accounts/signup/", {"phone": "13800001234", "password": "Lao-Pan-2026"}
    )
    assert response.status_code == 400
    assert "短信验证码" in response.content.decode()
    assert not User.objects.exists()
    client.post("/accounts/signup/", {"phone": "13800001234", "send_code": "1"})
    wrong = "000000" if sms.last_code("13800001234") != "000000" else "111111"
    response = client.post(
        "/accounts/signup/",
        {"phone": "13800001234", "code": wrong, "password": "Lao-Pan-2026"},
    )
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert not User.objects.exists()
    assert _sign_up_second_step(client).status_code == 302


def _sign_up_second_step(client):
    return client.post(
        "/accounts/signup/",
        {
            "phone": "13800001234",
            "code": sms.last_code("13800001234"),
            "password": "Lao-Pan-2026",
        },
    )


def test_signup_resend_too_soon_answers_429(client):
    client.post("/accounts/signup/", {"phone": "13800001234", "send_code": "1"})
    response = client.post(
        "/accounts/signup/", {"phone": "13800001234", "send_code": "1"}
    )
    assert response.status_code == 429
    assert "秒后再试" in response.content.decode()
    assert PhoneCode.objects.count() == 1


def test_signup_real_name_then_card_shows_register_household(client):
    compound = make_compound(make_community(), name="河滨公寓")
    number = valid_id()
    register_entry(compound, name="潘建国", id_number=number, address="3栋501")
    assert _sign_up(client).status_code == 302
    response = client.post(
        "/accounts/real-name/",
        {"name": "潘建国", "id_number": number, "community": compound.community_id},
    )
    assert response.status_code == 302
    page = client.get("/me/card/").content.decode()
    assert "4205************" in page and number not in page
    assert "河滨公寓 3栋501" in page
    assert "138****1234" in page
    # The card's rotating QR, as an image the page's script refreshes.
    assert 'id="card-qr"' in page and 'src="data:image/svg+xml' in page


def test_real_name_not_on_register_is_refused_with_reason(client):
    compound = make_compound(make_community())
    _sign_up(client)
    response = client.post(
        "/accounts/real-name/",
        {
            "name": "潘建国",
            "id_number": valid_id(birth="19700101", serial=5),
            "community": compound.community_id,
        },
    )
    assert response.status_code == 403
    assert "居民名册" in response.content.decode()
    assert "实名认证" in client.get("/me/card/").content.decode()


def test_real_name_bad_id_shows_reason_and_changes_nothing(client):
    compound = make_compound(make_community())
    _sign_up(client)
    response = client.post(
        "/accounts/real-name/",
        {
            "name": "潘建国",
            "id_number": "420502195603120110",
            "community": compound.community_id,
        },
    )
    assert response.status_code == 400
    assert (
        "校验位" in response.content.decode() or "出生日期" in response.content.decode()
    )
    assert "实名认证" in client.get("/me/card/").content.decode()
