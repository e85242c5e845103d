"""Satisfaction-survey demo: results to look at in 东河 and 锦绣, one wave to answer.

Called by `quarter.demo.services.load_demo()`. For each of 东河社区 and
锦绣社区 (they lie in different districts, so each has its own waves): two
closed waves, half a year apart, with about 80 verified answers each (paper,
typed in by the community's operator) and a few unverified poster answers,
so the results, the trend and the district roll-up show figures. 锦绣 also
has an open wave that the README's resident 13800000001 can answer, with a
few paper answers already in so the quota progress moves. Seeded, so every
demo shows the same figures. Idempotent: does nothing if a wave exists.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import F

from quarter.core import clock
from quarter.people.models import User
from quarter.places.models import Community
from quarter.surveys import services
from quarter.surveys.models import Source, Wave, WaveState

SEED = 20261202
OPEN_WAVE_NAME = "2026年第四季度居民满意度测评"
COMMENTS = (
    "希望菜场早上再早点开门",
    "小区附近缺少修鞋修伞的地方",
    "老年食堂饭菜不错,价格实惠",
    "晚上九点以后买东西不方便",
    "希望多一些儿童活动的场地",
    "早餐店太少,上班前排队很久",
    "电动车乱停,人行道不好走",
    "希望菜场价格再便宜一点",
    "理发店服务很好",
    "社区食堂希望周末也开",
    "快递驿站离得太远",
    "老人不会用手机下单,希望保留现金",
)


def load_surveys_demo() -> None:
    if Wave.objects.exists():
        return
    rng = random.Random(SEED)
    names = ("2026年第二季度居民满意度测评", "2026年第三季度居民满意度测评")
    for slug, username, levels in (
        ("donghe", "operator_donghe", (0.86, 0.92)),
        ("jinxiu", "operator_jinxiu", (0.80, 0.87)),
    ):
        community = Community.objects.filter(slug=slug).first()
        operator = User.objects.filter(username=username).first()
        if community is None or operator is None:
            continue
        for i, (name, level) in enumerate(zip(names, levels, strict=True)):
            wave = _wave(operator, community, name)
            _answers(rng, operator, community, wave, n=80, level=level)
            _poster_answers(rng, community, wave, n=6, level=level - 0.1)
            services.change_wave_state(
                actor=operator, wave=wave, target=WaveState.CLOSED
            )
            _backdate(wave, days=150 - 75 * i)
    jinxiu = Community.objects.filter(slug="jinxiu").first()
    operator = User.objects.filter(username="operator_jinxiu").first()
    if jinxiu is not None and operator is not None:
        wave = _wave(operator, jinxiu, OPEN_WAVE_NAME)
        _answers(rng, operator, jinxiu, wave, n=12, level=0.88, elderly=True)


def _wave(operator, community, name) -> Wave:
    wave = services.create_wave(
        actor=operator, name=name, communities=[community], target_responses=120
    )
    return services.change_wave_state(actor=operator, wave=wave, target=WaveState.OPEN)


def _values(rng: random.Random, wave: Wave, level: float) -> dict[str, str]:
    raw = {}
    for q in wave.questions.all():
        roll = rng.random()
        if roll < 0.05:
            value = 0  # 不了解
        elif roll < 0.05 + 0.95 * level:
            value = rng.choice((4, 5, 5))
        else:
            value = rng.choice((1, 2, 3, 3))
        raw[f"q{q.pk}"] = str(value)
    return raw


def _answers(rng, operator, community, wave, *, n, level, elderly=False) -> None:
    compounds = list(community.compounds.order_by("id"))
    year = clock.local_now().year
    for _ in range(n):
        born = year - (rng.randint(66, 90) if elderly else rng.randint(20, 88))
        services.submit_paper_response(
            actor=operator,
            wave=wave,
            compound=rng.choice(compounds),
            birth_year=born,
            raw=_values(rng, wave, level),
            comment=rng.choice(COMMENTS) if rng.random() < 0.4 else "",
        )


def _poster_answers(rng, community, wave, *, n, level) -> None:
    """Unverified answers as the poster would record them (SMS step skipped)."""
    compounds = list(community.compounds.order_by("id"))
    for k in range(n):
        values = {int(key[1:]): int(v) for key, v in _values(rng, wave, level).items()}
        services._record_response(
            wave=wave,
            compound=rng.choice(compounds),
            band="18-39",
            source=Source.POSTER,
            values=values,
            comment="",
            participation={"device_hash": f"demo-{wave.pk}-{k}"},
        )


def _backdate(wave: Wave, *, days: int) -> None:
    """Move a demo wave into the past (opened `days` ago, closed 20 days later)."""
    shift = clock.now() - dt.timedelta(days=days) - wave.opened_at
    Wave.objects.filter(pk=wave.pk).update(
        created_at=F("created_at") + shift,
        opened_at=F("opened_at") + shift,
        closed_at=F("opened_at") + shift + dt.timedelta(days=20),
    )
