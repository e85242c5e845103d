"""Scenario builders for survey tests: a community with a register and a wave."""

from __future__ import annotations

import datetime as dt
import itertools

from quarter.core import clock
from quarter.people.models import RegisterEntry
from quarter.places.models import Compound
from quarter.surveys import services
from quarter.surveys.models import Wave, WaveState
from quarter.vouchers.tests.factories import World

OPENED = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
_seq = itertools.count(1)


def add_register_people(compound: Compound, *, born: int, count: int) -> None:
    """Put `count` people born in `born` on the compound's register (bulk)."""
    now = clock.now()
    RegisterEntry.objects.bulk_create(
        RegisterEntry(
            community=compound.community,
            compound=compound,
            address=f"{n}幢",
            name="某某",
            id_hash=f"h{next(_seq)}",
            id_masked="33****",
            birth_year=born,
            created_at=now,
            updated_at=now,
        )
        for n in range(count)
    )


def second_compound(world: World, name: str = "锦绣华庭") -> Compound:
    return Compound.objects.create(
        community=world.community,
        name=name,
        lat=30.261,
        lng=120.171,
        households=50,
        population=120,
    )


def open_wave(world: World, *, name: str = "2026年居民满意度测评") -> Wave:
    clock.freeze(OPENED)
    wave = services.create_wave(
        actor=world.operator_user,
        name=name,
        communities=[world.community],
        target_responses=100,
    )
    return services.change_wave_state(
        actor=world.operator_user, wave=wave, target=WaveState.OPEN
    )


def all_answers(wave: Wave, value: int) -> dict[str, str]:
    return {f"q{q.pk}": str(value) for q in wave.questions.all()}


def paper(world: World, wave: Wave, *, compound=None, born=1980, value=5, n=1):
    for _ in range(n):
        services.submit_paper_response(
            actor=world.operator_user,
            wave=wave,
            compound=compound or world.compound,
            birth_year=born,
            raw=all_answers(wave, value),
        )


def matrix_values(side) -> dict:
    """Objects of community A for the access matrix: an open wave and its poster."""
    from quarter.surveys.views import poster_token

    world = side.world
    wave = services.create_wave(
        actor=world.operator_user,
        name="矩阵测评",
        communities=[world.community],
        target_responses=50,
    )
    services.change_wave_state(
        actor=world.operator_user, wave=wave, target=WaveState.OPEN
    )
    return {"wave_A": wave.pk, "poster_A": poster_token(wave, world.compound)}
