"""Survey results: weighting by the register, intervals, privacy of small cells."""

from __future__ import annotations

import io
import math

import pytest
from openpyxl import load_workbook

from quarter.places.models import Compound
from quarter.surveys import selectors, services
from quarter.surveys.models import WaveState
from quarter.surveys.tests.factories import (
    add_register_people,
    open_wave,
    paper,
    second_compound,
)
from quarter.vouchers.tests.factories import World

pytestmark = pytest.mark.django_db


def _hand_example():
    """Register: 60 people aged 40–59 and 40 aged 75+ in one compound.

    Paper answers (all eight questions alike): 40–59: six all-5, two all-2;
    75+: two all-5. Satisfied share 6/8 = 0.75 and 2/2 = 1.0.
    """
    world = World()
    add_register_people(world.compound, born=1976, count=60)  # 50 in 2026
    add_register_people(world.compound, born=1946, count=40)  # 80 in 2026
    wave = open_wave(world)
    paper(world, wave, born=1976, value=5, n=6)
    paper(world, wave, born=1976, value=2, n=2)
    paper(world, wave, born=1946, value=5, n=2)
    return world, wave


def test_weighting_reproduces_the_hand_computed_example():
    world, wave = _hand_example()
    results = selectors.get_circle_results(wave=wave, community=world.community)

    # Weighted: (60 * 0.75 + 40 * 1.0) / 100 = 0.85 (unweighted it is 8/10).
    assert results.overall.rate == pytest.approx(0.85)
    # Kish: weights 60/8 and 40/2 -> n_eff = 100^2 / (60^2/8 + 40^2/2) = 8.
    z, p, n = 1.959964, 0.85, 8
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert results.overall.low == pytest.approx(centre - half, abs=1e-5)
    assert results.overall.high == pytest.approx(centre + half, abs=1e-5)
    assert results.overall.responses == 10


def test_satisfaction_by_community_gives_latest_and_previous_closed_wave():
    world, wave = _hand_example()
    services.change_wave_state(
        actor=world.operator_user, wave=wave, target=WaveState.CLOSED
    )
    later = open_wave(world, name="第二次测评")
    paper(world, later, born=1976, value=5, n=5)
    services.change_wave_state(
        actor=world.operator_user, wave=later, target=WaveState.CLOSED
    )
    other = World()

    got = selectors.satisfaction_by_community([world.community.pk, other.community.pk])

    mine = got[world.community.pk]
    assert mine.wave_name == "第二次测评"
    assert mine.rate == pytest.approx(1.0)
    assert mine.responses == 5
    assert mine.previous_rate == pytest.approx(0.85)
    assert mine.closed_at is not None
    assert got[other.community.pk].rate is None
    assert got[other.community.pk].responses == 0


def test_satisfaction_by_community_hides_a_community_under_five():
    world = World()
    wave = open_wave(world)
    paper(world, wave, value=5, n=4)
    services.change_wave_state(
        actor=world.operator_user, wave=wave, target=WaveState.CLOSED
    )
    got = selectors.satisfaction_by_community([world.community.pk])
    assert got[world.community.pk].rate is None
    assert got[world.community.pk].low is None


def _small_cell_world():
    """Six answers from compound A (all satisfied), four from compound B (all not)."""
    world = World()
    small = second_compound(world)
    wave = open_wave(world)
    paper(world, wave, value=5, n=6)
    paper(world, wave, compound=small, value=1, n=4)
    return world, wave, small


def test_api_returns_no_cell_under_five(client):
    world, wave, small = _small_cell_world()
    client.force_login(world.operator_user)

    body = client.get(
        f"/api/surveys/waves/{wave.pk}/results/{world.community.slug}"
    ).json()

    by_compound = {g["label"]: g["result"] for g in body["compounds"]}
    assert by_compound[small.name] == {
        "rate": None,
        "low": None,
        "high": None,
        "responses": None,
        "suppressed": True,
    }
    assert by_compound[world.compound.name]["responses"] == 6
    for group in body["compounds"] + body["age_bands"] + body["dimensions"]:
        result = group["result"]
        assert result["responses"] is None or result["responses"] >= 5


def test_export_returns_no_cell_under_five(client):
    world, wave, small = _small_cell_world()
    client.force_login(world.operator_user)

    resp = client.get(f"/surveys/{wave.pk}/results/{world.community.slug}/export.xlsx")

    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith(
        f'attachment; filename="survey-{wave.pk}-{world.community.slug}.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(resp.content)).active
    rows = {r[0]: r[1:] for r in sheet.iter_rows(values_only=True) if r and r[0]}
    assert rows[small.name][0] == "样本不足"
    assert rows[small.name][3] == "<5"
    assert rows[world.compound.name][3] == 6
    for label, values in rows.items():
        if isinstance(values[3], int):
            assert values[3] >= 5, label


def test_results_page_hides_small_cells_and_never_names_a_resident(client):
    world, wave, small = _small_cell_world()
    resident = world.resident()
    services.submit_app_response(
        actor=resident.user,
        wave=wave,
        raw={f"q{q.pk}": "4" for q in wave.questions.all()},
    )
    client.force_login(world.operator_user)
    page = client.get(f"/surveys/{wave.pk}/results/{world.community.slug}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "样本不足5份,不显示" in text
    assert resident.real_name not in text and resident.phone not in text


def test_district_results_ranks_communities_and_pools_them():
    world, wave = _hand_example()
    services.change_wave_state(
        actor=world.operator_user, wave=wave, target=WaveState.CLOSED
    )
    d = selectors.district_results(world.district)
    assert d.rows[0].community == world.community
    assert d.overall.rate == pytest.approx(0.85)
    assert (d.meeting_target, d.measured) == (0, 1)


def test_progress_counts_against_quotas():
    world = World()
    add_register_people(world.compound, born=1946, count=10)
    wave = open_wave(world)
    paper(world, wave, born=1946, n=3)
    rows = selectors.get_progress(wave=wave, community_ids=[world.community.pk])
    cells = {band: (n, t) for band, n, t in rows[0].cells}
    assert cells["75+"] == (3, 100)
    assert Compound.objects.filter(community=world.community).count() == len(rows)


def test_satisfaction_by_community_takes_three_queries_for_any_number(
    django_assert_max_num_queries,
):
    worlds = [World() for _ in range(3)]
    for world in worlds:
        wave = open_wave(world)
        paper(world, wave, value=5, n=5)
        services.change_wave_state(
            actor=world.operator_user, wave=wave, target=WaveState.CLOSED
        )
    with django_assert_max_num_queries(3):
        got = selectors.satisfaction_by_community([w.community.pk for w in worlds])
    assert all(got[w.community.pk].rate == 1.0 for w in worlds)


def _with_comments(world, wave, comments):
    for text in comments:
        services.submit_paper_response(
            actor=world.operator_user,
            wave=wave,
            compound=world.compound,
            birth_year=1950,
            raw={f"q{q.pk}": "4" for q in wave.questions.all()},
            comment=text,
        )


def test_open_answers_are_grouped_by_keyword():
    world = World()
    wave = open_wave(world)
    _with_comments(
        world,
        wave,
        [
            "菜场太远了",
            "希望菜场早点开门",
            "菜场价格贵",
            "缺少修鞋的地方",
            "修鞋不方便",
        ],
    )
    results = selectors.get_circle_results(wave=wave, community=world.community)
    groups = {g.keyword: g for g in results.comments}
    assert groups["菜场"].count == 3
    assert "菜场太远了" in groups["菜场"].examples
    assert sum(g.count for g in results.comments) == 5


def test_open_answers_are_hidden_under_five_responses():
    world = World()
    wave = open_wave(world)
    _with_comments(world, wave, ["菜场太远了", "菜场价格贵", "修鞋不方便", "菜场"])
    results = selectors.get_circle_results(wave=wave, community=world.community)
    assert results.comments == [] and results.comments_hidden
