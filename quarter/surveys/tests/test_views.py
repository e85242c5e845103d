"""Survey pages: refused input is shown again and writes nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from quarter.surveys.models import Answer, Participation, Response
from quarter.surveys.tests.factories import all_answers, open_wave
from quarter.surveys.views import poster_token
from quarter.vouchers.tests.factories import World
from tests.inputs.test_forms_fuzz import HOSTILE

pytestmark = pytest.mark.django_db


def _nothing_written() -> bool:
    return not (
        Response.objects.exists()
        or Answer.objects.exists()
        or Participation.objects.exists()
    )


def test_answer_page_with_a_missing_answer_says_which_and_writes_nothing(client):
    world = World()
    resident = world.resident()
    wave = open_wave(world)
    raw = all_answers(wave, 5)
    raw.pop(f"q{wave.questions.get(position=3).pk}")
    client.force_login(resident.user)

    page = client.post(f"/me/surveys/{wave.pk}/", raw)

    assert page.status_code == 400
    assert "请回答第3题" in page.content.decode()
    assert _nothing_written()


def test_answer_page_keeps_what_was_ticked_after_a_refusal(client):
    world = World()
    resident = world.resident()
    wave = open_wave(world)
    raw = all_answers(wave, 4)
    raw[f"q{wave.questions.get(position=1).pk}"] = "9"
    client.force_login(resident.user)

    page = client.post(f"/me/surveys/{wave.pk}/", raw).content.decode()

    second = wave.questions.get(position=2).pk
    assert f'name="q{second}" value="4" checked' in page
    assert _nothing_written()


def test_poster_code_without_a_phone_is_a_clear_400(client):
    world = World()
    wave = open_wave(world)
    resp = client.post(f"/s/{poster_token(wave, world.compound)}/code", {})
    assert resp.status_code == 400
    assert resp.json()["ok"] is False and resp.json()["field"] == "phone"


def test_forged_poster_token_is_404(client):
    world = World()
    wave = open_wave(world)
    token = poster_token(wave, world.compound)
    assert client.get(f"/s/{token[:-2]}xx/").status_code == 404


@pytest.fixture
def paper_world():
    world = World()
    return world, open_wave(world)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=HOSTILE)
def test_paper_form_survives_hostile_values(client, paper_world, value):
    """Every field of the paper form set to one hostile value: never a 5xx,
    and a refused form writes nothing."""
    world, wave = paper_world
    client.force_login(world.operator_user)
    before = Response.objects.count()
    form = {f"q{q.pk}": value for q in wave.questions.all()}
    form.update(compound=value, birth_year=value, comment=value)

    resp = client.post(f"/surveys/{wave.pk}/paper/", form)

    assert resp.status_code < 500
    if resp.status_code != 302:
        assert Response.objects.count() == before
