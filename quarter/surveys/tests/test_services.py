"""Survey services: one answer per person, poster answers apart, bad input refused."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from quarter.core.errors import DomainError, PermissionDenied
from quarter.notifications.models import Notification
from quarter.people import sms
from quarter.surveys import selectors, services
from quarter.surveys.models import (
    Answer,
    Participation,
    Response,
    Source,
    WaveState,
)
from quarter.surveys.tests.factories import all_answers, open_wave, paper
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Response.objects.count(),
        Answer.objects.count(),
        Participation.objects.count(),
    )


def test_submit_app_response_once_per_registered_resident():
    world = World()
    resident = world.resident(born="19500101")
    wave = open_wave(world)

    out = services.submit_app_response(
        actor=resident.user, wave=wave, raw=all_answers(wave, 4), comment="菜场太远"
    )
    with pytest.raises(DomainError) as again:
        services.submit_app_response(
            actor=resident.user, wave=wave, raw=all_answers(wave, 1)
        )

    assert again.value.code == "survey_already_answered"
    assert out.response.source == Source.APP and out.response.verified
    assert out.response.age_band == "75+"  # born 1950, wave in 2026
    assert Response.objects.filter(wave=wave).count() == 1
    # The database itself refuses a second participation of the person.
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(
            wave=wave, resident=resident, created_at=wave.opened_at
        )


def test_submit_app_response_refuses_a_resident_not_on_the_register():
    world = World()
    stranger = world.resident(verified=False)
    wave = open_wave(world)
    with pytest.raises(PermissionDenied):
        services.submit_app_response(
            actor=stranger.user, wave=wave, raw=all_answers(wave, 5)
        )
    assert _counts() == (0, 0, 0)


def test_poster_response_is_unverified_and_counted_apart():
    world = World()
    wave = open_wave(world)
    paper(world, wave, value=5, n=5)  # five verified, all satisfied
    sms.outbox.clear()

    services.send_poster_code(wave=wave, phone="13912345678", ip="10.0.0.9")
    code = sms.outbox[-1].code
    out = services.submit_poster_response(
        wave=wave,
        compound=world.compound,
        device="device-1",
        phone="13912345678",
        code=code,
        birth_year="1990",
        raw=all_answers(wave, 1),
    )

    assert out.response.source == Source.POSTER and not out.response.verified
    results = selectors.get_circle_results(wave=wave, community=world.community)
    assert results.overall.rate == 1.0  # the poster's 1s are not in it
    assert results.overall.responses == 5
    assert results.unverified.responses == 1
    assert results.unverified.rate is None  # fewer than 5: not shown


def test_poster_response_once_per_device_and_per_phone():
    world = World()
    wave = open_wave(world)
    sms.outbox.clear()
    services.send_poster_code(wave=wave, phone="13912345678", ip="10.0.0.9")
    services.submit_poster_response(
        wave=wave,
        compound=world.compound,
        device="device-1",
        phone="13912345678",
        code=sms.outbox[-1].code,
        birth_year="1990",
        raw=all_answers(wave, 4),
    )
    before = _counts()
    with pytest.raises(DomainError) as same_phone:
        services.send_poster_code(wave=wave, phone="13912345678", ip="10.0.0.9")
    with pytest.raises(DomainError) as same_device:
        services.submit_poster_response(
            wave=wave,
            compound=world.compound,
            device="device-1",
            phone="13900000001",
            code="000000",
            birth_year="1990",
            raw=all_answers(wave, 4),
        )
    assert same_phone.value.code == "survey_already_answered"
    assert same_device.value.code == "survey_already_answered"
    assert _counts() == before


def test_poster_response_with_a_wrong_code_changes_nothing():
    world = World()
    wave = open_wave(world)
    sms.outbox.clear()
    services.send_poster_code(wave=wave, phone="13912345678", ip="10.0.0.9")
    wrong = "000000" if sms.outbox[-1].code != "000000" else "111111"
    with pytest.raises(DomainError) as exc:
        services.submit_poster_response(
            wave=wave,
            compound=world.compound,
            device="device-1",
            phone="13912345678",
            code=wrong,
            birth_year="1990",
            raw=all_answers(wave, 4),
        )
    assert exc.value.code == "sms_code_wrong"
    assert _counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"value": "7"}, "survey_answer_invalid"),
        ({"value": ""}, "survey_answer_missing"),
        ({"birth_year": "2020"}, "survey_birth_year_invalid"),
        ({"birth_year": "abc"}, "survey_birth_year_invalid"),
        ({"comment": "长" * 501}, "survey_text_too_long"),
    ],
)
def test_submit_paper_response_bad_input_changes_nothing(change, code):
    world = World()
    wave = open_wave(world)
    raw = all_answers(wave, 4)
    if "value" in change:
        raw[next(iter(raw))] = change["value"]
    with pytest.raises(DomainError) as exc:
        services.submit_paper_response(
            actor=world.operator_user,
            wave=wave,
            compound=world.compound,
            birth_year=change.get("birth_year", "1950"),
            raw=raw,
            comment=change.get("comment", ""),
        )
    assert exc.value.code == code
    assert _counts() == (0, 0, 0)


def test_submit_paper_response_is_recorded_as_paper_by_the_worker():
    world = World()
    wave = open_wave(world)
    out = services.submit_paper_response(
        actor=world.operator_user,
        wave=wave,
        compound=world.compound,
        birth_year="1940",
        raw=all_answers(wave, 3),
    )
    assert out.response.source == Source.PAPER and out.response.verified
    assert out.response.entered_by == world.operator_user
    assert out.response.age_band == "75+"


def test_submit_paper_response_refuses_another_communitys_worker():
    world, other = World(), World()
    wave = open_wave(world)
    with pytest.raises(PermissionDenied):
        services.submit_paper_response(
            actor=other.operator_user,
            wave=wave,
            compound=world.compound,
            birth_year="1950",
            raw=all_answers(wave, 5),
        )
    assert _counts() == (0, 0, 0)


def test_closed_wave_takes_no_answers_and_cannot_reopen():
    world = World()
    wave = open_wave(world)
    services.change_wave_state(
        actor=world.operator_user, wave=wave, target=WaveState.CLOSED
    )
    with pytest.raises(DomainError) as late:
        paper(world, wave)
    with pytest.raises(DomainError) as reopen:
        services.change_wave_state(
            actor=world.operator_user, wave=wave, target=WaveState.OPEN
        )
    assert late.value.code == "survey_wave_not_open"
    assert reopen.value.code == "survey_wave_bad_transition"
    assert _counts() == (0, 0, 0)


def test_edit_questions_only_while_draft():
    world = World()
    wave = services.create_wave(
        actor=world.operator_user,
        name="测评",
        communities=[world.community],
        target_responses=50,
    )
    first = wave.questions.first()
    services.edit_questions(
        actor=world.operator_user,
        wave=wave,
        texts={first.pk: "步行15分钟能买到菜吗?"},
        free_text_prompt="还有什么建议?",
    )
    first.refresh_from_db()
    assert first.text == "步行15分钟能买到菜吗?"
    services.change_wave_state(
        actor=world.operator_user, wave=wave, target=WaveState.OPEN
    )
    with pytest.raises(DomainError) as exc:
        services.edit_questions(
            actor=world.operator_user,
            wave=wave,
            texts={first.pk: "改"},
            free_text_prompt="",
        )
    assert exc.value.code == "survey_wave_not_draft"
    first.refresh_from_db()
    assert first.text == "步行15分钟能买到菜吗?"


def test_create_wave_refuses_a_community_the_actor_does_not_manage():
    world, other = World(), World()
    with pytest.raises(PermissionDenied):
        services.create_wave(
            actor=world.operator_user,
            name="测评",
            communities=[world.community, other.community],
            target_responses=50,
        )


def test_opening_draws_quotas_from_the_register():
    world = World()
    world.resident(born="19500101")
    world.resident(born="19900101")
    world.resident(born="19910101")
    wave = open_wave(world)
    quotas = {q.age_band: (q.population, q.target) for q in wave.quotas.all()}
    assert quotas["75+"] == (1, 34)  # ceil(100 * 1/3)
    assert quotas["18-39"] == (2, 67)
    assert quotas["40-59"] == (0, 0)


def test_send_reminders_once_per_wave_and_person():
    world = World()
    waiting = world.resident()
    done = world.resident()
    wave = open_wave(world)
    services.submit_app_response(actor=done.user, wave=wave, raw=all_answers(wave, 4))

    first = services.send_reminders(actor=world.operator_user, wave=wave, url="/x")
    second = services.send_reminders(actor=world.operator_user, wave=wave, url="/x")

    assert (first, second) == (1, 0)
    notes = Notification.objects.filter(kind="survey")
    assert list(notes.values_list("recipient", flat=True)) == [waiting.user.pk]
