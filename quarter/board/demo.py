"""Notice-board demo data for both communities (seed 004's 热点信息 … 建议版块).

Called by `quarter.demo.services.load_demo()` after the communities, shops and
demo users exist. Everything goes through the board's services as the people
who would do it: operators publish (one pinned consumer tip each), 阿明理发店
has a published promotion and a notice waiting for approval, the shop has
two job posts (one approved, one pending), and the demo residents have
suggestions with an answer, so the home page, the lists, the desk and the inbox
all have something to show. Idempotent: does nothing if any notice exists.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from quarter.board import services
from quarter.board.models import Notice, NoticeKind
from quarter.core import clock
from quarter.people.models import Operator, Resident
from quarter.places.models import MerchantStaff

TIPS = {
    "donghe": (
        "消费主张:大家卡与会员卡,先比一比",
        "结账前出示大家卡。社区规定大家卡优惠不低于商家会员卡,"
        "例如阿明理发店会员卡7折,大家卡5.5折。",
    ),
    "jinxiu": (
        "养生知识:冬季饮食少盐少油",
        "天冷更要注意血压。社区卫生服务站每周三上午免费量血压。",
    ),
}


def load_board_demo() -> int:
    """Create the demo notices, jobs and suggestions; return how many notices."""
    # Drafts made automatically from shop events (e.g. the Haidian shops the
    # demo admits before this runs) do not count as the board demo.
    if Notice.objects.filter(source_event__isnull=True).exists():
        return 0
    with transaction.atomic():
        for operator in Operator.objects.select_related("user", "community"):
            _community_notices(operator)
        _shop_posts()
        _suggestions()
    return Notice.objects.count()


def _community_notices(operator: Operator) -> None:
    community = operator.community
    tip = TIPS.get(community.slug)
    if tip:
        services.publish_notice(
            actor=operator.user,
            community=community,
            kind=NoticeKind.CONSUMER_TIP,
            title=tip[0],
            body=tip[1],
            pinned=True,
        )
    services.publish_notice(
        actor=operator.user,
        community=community,
        kind=NoticeKind.COMMUNITY,
        title="本周六上午社区便民服务日",
        body="理发、修鞋、磨刀、量血压,地点:社区服务中心门口。",
        expire_at=clock.now() + dt.timedelta(days=7),
    )


def _shop_posts() -> None:
    staff = (
        MerchantStaff.objects.filter(merchant__name="阿明理发店")
        .select_related("merchant", "user")
        .first()
    )
    if staff is None:
        return
    shop, user = staff.merchant, staff.user
    operator = Operator.objects.filter(community=shop.community).first()
    promotion = services.submit_notice(
        actor=user,
        merchant=shop,
        kind=NoticeKind.PROMOTION,
        title="阿明理发店:老人理发周二半价",
        body="65岁以上居民每周二理发半价,持大家卡再享5.5折(两者取低)。",
    )
    if operator is not None:
        services.approve_notice(actor=operator.user, notice=promotion)
    services.submit_notice(
        actor=user,
        merchant=shop,
        kind=NoticeKind.PROMOTION,
        title="阿明理发店:新年烫染8折",
        body="12月烫发、染发8折。",
    )
    today = clock.local_now().date()
    job = services.submit_job(
        actor=user,
        merchant=shop,
        title="理发助理(洗头、打扫)",
        pay_min_fen=400_000,
        pay_max_fen=550_000,
        pay_unit="month",
        hours="10:00-20:00,月休4天",
        contact="阿明 请到店面谈",
        expires_on=today + dt.timedelta(days=30),
        description="有无经验均可,包午餐。",
    )
    if operator is not None:
        services.approve_job(actor=operator.user, job=job)
    # A second post waits on the operator's desk.
    services.submit_job(
        actor=user,
        merchant=shop,
        title="周末兼职理发师",
        pay_min_fen=2500,
        pay_max_fen=3500,
        pay_unit="hour",
        hours="周六、周日 09:00-18:00",
        contact="阿明 请到店面谈",
        expires_on=today + dt.timedelta(days=14),
    )


def _suggestions() -> None:
    residents = list(
        Resident.objects.filter(user__username__in=["13800000001", "13800000002"])
        .select_related("user", "household__compound__community")
        .order_by("phone")
    )
    for resident in residents:
        community = resident.household.compound.community
        idea = services.post_suggestion(
            actor=resident.user,
            category="missing",
            text="希望在小区附近引进一家修鞋配钥匙的便民维修点。"
            if community.slug == "jinxiu"
            else "建议东河边增设几张长椅,方便老人晨练后休息。",
        )
        operator = Operator.objects.filter(community=community).first()
        if operator is not None:
            services.answer_suggestion(
                actor=operator.user,
                suggestion=idea,
                status="received",
                reply="收到,社区已记录,本月内给您答复。",
            )
