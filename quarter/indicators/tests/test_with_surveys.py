"""The indicator sheet reads the survey app's real figure: a closed wave's
综合满意度 appears on the circle's sheet, and a circle without one reads 尚未测评."""

from __future__ import annotations

import pytest

from quarter.indicators import selectors
from quarter.surveys import services as surveys
from quarter.surveys.models import WaveState
from quarter.surveys.tests.factories import add_register_people, open_wave, paper
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


def test_a_closed_waves_satisfaction_is_on_the_circles_sheet():
    world = World()
    add_register_people(world.compound, born=1980, count=20)
    unmeasured = selectors.circle_sheet(
        actor=world.operator_user, community=world.community
    )
    assert unmeasured.satisfaction.measured is False

    wave = open_wave(world)
    paper(world, wave, value=5, n=9)  # 9 satisfied
    paper(world, wave, value=2, n=1)  # 1 not
    surveys.change_wave_state(
        actor=world.operator_user, wave=wave, target=WaveState.CLOSED
    )
    sheet = selectors.circle_sheet(actor=world.operator_user, community=world.community)
    assert sheet.satisfaction.measured and sheet.satisfaction.responses == 10
    assert sheet.satisfaction.rate == pytest.approx(0.9)
    assert sheet.satisfaction.wave_name == wave.name
