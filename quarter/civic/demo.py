"""Problem-reporting demo data for 锦绣社区 and 东河社区 (民情地图).

Called by `quarter.demo.services.load_demo()` after the communities and demo
users exist. Each community gets departments (its own grid station, the
district's street-lighting office, sanitation and market supervision),
categories with deadlines, and about 25 reports made over the last three
months through the services with the clock moved back: most resolved and
closed, some rejected, some open, a few overdue and escalated, so the map,
the queue and the monthly statistics have something to show. The lighting
office's staff log in as `dept_lighting` (demo password). Idempotent.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from quarter.civic import services
from quarter.civic.models import Category, Department, Report
from quarter.core import clock
from quarter.core.actors import SYSTEM
from quarter.people.models import Resident, User
from quarter.people.services import add_role
from quarter.places.models import Admission, Community, Merchant

# code, name, group, keywords, department key, SLA hours, about a shop
CATEGORIES = [
    ("street-lamp", "路灯损坏", "市政设施", "路灯,照明,不亮", "lighting", 48, False),
    ("garbage", "垃圾堆放", "环境卫生", "垃圾,堆放,清运", "sanitation", 24, False),
    ("flying-wire", "飞线充电", "安全隐患", "电动车,充电,飞线", "grid", 12, False),
    ("road-occupation", "占道经营", "市容秩序", "占道,摊贩", "grid", 48, False),
    ("shop-complaint", "商户投诉", "市场监管", "投诉,商户,价格", "market", 72, True),
    ("other", "其他问题", "其他", "", None, 72, False),
]
TEXTS = {
    "street-lamp": ["{c}门口路灯晚上不亮", "小区主干道两盏路灯闪烁"],
    "garbage": ["{c}东侧堆放废弃家具", "垃圾桶满溢两天无人清运"],
    "flying-wire": ["{c}3栋有电动车飞线充电", "楼道里拉线给电动车充电"],
    "road-occupation": ["早市摊贩占用人行道", "路口水果摊占道"],
    "shop-complaint": ["店里标价与结账价格不一致", "服务态度差,拒绝使用大家卡"],
    "other": ["健身器材损坏", "井盖松动有响声"],
}


def load_civic_demo(*, seed: int = 311) -> int:
    """Create the demo's departments, categories and reports; return the count."""
    if Category.objects.exists():
        return 0
    rng = random.Random(seed)
    previous = clock._frozen
    made = 0
    try:
        for community in Community.objects.filter(slug__in=["jinxiu", "donghe"]):
            made += _community_demo(community, rng)
    finally:
        clock.freeze(previous)
    return made


def _departments(community: Community) -> dict[str, Department]:
    district = community.street_office.district
    depts = {
        "grid": Department.objects.create(
            name=f"{community.name}网格站", community=community
        ),
        "lighting": Department.objects.get_or_create(
            name=f"{district.name}路灯管理所", district=district
        )[0],
        "sanitation": Department.objects.get_or_create(
            name=f"{district.name}环卫所", district=district
        )[0],
        "market": Department.objects.get_or_create(
            name=f"{district.name}市场监管所", district=district
        )[0],
    }
    staff, created = User.objects.get_or_create(username="dept_lighting")
    if created:
        from quarter.demo.services import DEMO_PASSWORD

        staff.set_password(DEMO_PASSWORD)
        staff.save()
        add_role(staff, "department")
    depts["lighting"].staff.add(staff)
    return depts


@transaction.atomic
def _community_demo(community: Community, rng: random.Random) -> int:
    depts = _departments(community)
    cats = {}
    for order, (code, name, group, kw, dept, sla, shop) in enumerate(CATEGORIES):
        cats[code] = Category.objects.create(
            community=community,
            code=code,
            name=name,
            group=group,
            keywords=kw,
            department=depts[dept] if dept else None,
            sla_hours=sla,
            about_merchant=shop,
            sort_order=order,
        )
    residents = list(
        Resident.objects.filter(
            household__compound__community=community
        ).select_related("user", "household__compound")[:30]
    )
    if not residents:
        return 0
    merchants = list(
        Merchant.objects.filter(community=community, admission=Admission.APPROVED)[:20]
    )
    operator = User.objects.filter(operator_roles__community=community).first()
    now = clock.now()
    made = 0
    for _ in range(25):
        at = now - dt.timedelta(days=rng.randint(0, 88), hours=rng.randint(0, 12))
        clock.freeze(at)
        resident = rng.choice(residents)
        code = rng.choice(list(cats))
        compound = resident.household.compound
        report = services.submit_report(
            actor=resident.user,
            report=services.NewReport(
                category=cats[code],
                description=rng.choice(TEXTS[code]).format(c=compound.name),
                lat=compound.lat + rng.uniform(-0.0015, 0.0015),
                lng=compound.lng + rng.uniform(-0.0015, 0.0015),
                address=compound.name,
                merchant=rng.choice(merchants)
                if code == "shop-complaint" and merchants
                else None,
            ),
        )
        made += 1
        _advance(report, rng, operator, depts, at, now)
    clock.freeze(now)
    services.escalate_overdue_reports(actor=SYSTEM)
    return made


def _advance(report: Report, rng, operator, depts, at, now) -> None:
    """Move a demo report along the loop as far as its age and luck allow."""
    fate = rng.random()
    if report.department_id is None:
        if fate < 0.2 and operator:
            services.reject_report(
                actor=operator, report=report, reason="属于物业管理范围,已转告物业"
            )
            return
        if operator:
            services.dispatch_report(
                actor=operator, report=report, department=depts["grid"]
            )
            report.refresh_from_db()
    staff = report.department.staff.first()
    if staff is None:
        staff = User.objects.get(username="dept_lighting")
        report.department.staff.add(staff)
    if fate > 0.85 or at > now - dt.timedelta(hours=6):
        return  # still waiting in the department's queue (may become overdue)
    sla = report.category.sla_hours
    took = dt.timedelta(
        hours=sla * (rng.uniform(0.2, 0.9) if fate < 0.75 else rng.uniform(1.1, 2))
    )
    if at + took >= now:
        return
    clock.freeze(at + took / 3)
    services.start_report(actor=staff, report=report)
    clock.freeze(at + took)
    services.resolve_report(
        actor=staff, report=report, reply="已现场处理完毕,感谢您的反映。"
    )
    if at + took + dt.timedelta(days=1) < now and report.reporter_id:
        clock.freeze(at + took + dt.timedelta(hours=20))
        services.close_report(actor=report.reporter, report=report)
