"""Account pages: sign-up to card, and the login rate limit as a resident meets it."""

import pytest

from quarter.core.identity import id_check_char
from quarter.places.tests.factories import make_community, make_compound

pytestmark = pytest.mark.django_db


def test_signup_real_name_then_card_shows_masked_data(client):
    compound = make_compound(make_community())
    response = client.post(
        "/accounts/signup/", {"phone": "13800001234", "password": "Lao-Pan-2026"}
    )
    assert response.status_code == 302
    first17 = "42050219560312011"
    number = first17 + id_check_char(first17)
    response = client.post(
        "/accounts/real-name/",
        {
            "name": "潘建国",
            "id_number": number,
            "compound": compound.id,
            "address": "3栋501",
        },
    )
    assert response.status_code == 302
    page = client.get("/me/card/").content.decode()
    assert "4205**********" in page and number not in page
    assert "138****1234" in page and "<svg" in page


def test_real_name_bad_id_shows_reason_and_changes_nothing(client):
    compound = make_compound(make_community())
    client.post(
        "/accounts/signup/", {"phone": "13800001234", "password": "Lao-Pan-2026"}
    )
    response = client.post(
        "/accounts/real-name/",
        {
            "name": "潘建国",
            "id_number": "420502195603120110",
            "compound": compound.id,
            "address": "3栋501",
        },
    )
    assert response.status_code == 400
    assert (
        "校验位" in response.content.decode() or "出生日期" in response.content.decode()
    )
    assert "实名认证" in client.get("/me/card/").content.decode()
