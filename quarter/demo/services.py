"""Generate the seeds' two communities, deterministically (fixed seed).

锦绣社区 (宜昌, seed 000) and 东河社区 (杭州, seed 004), with demo logins for every
role. `load_demo()` is idempotent: a second call finds the data and returns.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction

from quarter.core import clock
from quarter.core.geo import METERS_PER_DEG_LAT, meters_per_deg_lng
from quarter.core.identity import (
    birth_year_from_id,
    hash_id_number,
    id_check_char,
    mask_id_number,
)
from quarter.demo import catalogue as cat
from quarter.people.models import (
    Household,
    Issuer,
    Operator,
    Planner,
    RegisterEntry,
    RegisterEvent,
    Resident,
    User,
)
from quarter.places.hours import parse_weekly_text
from quarter.places.models import (
    Admission,
    BusinessType,
    Community,
    Compound,
    District,
    Merchant,
    MerchantEvent,
    MerchantService,
    MerchantStaff,
    MerchantStatus,
    OpeningHours,
    StreetOffice,
)
from quarter.places.services import reindex_merchants

SEED = 20211115  # the guide's publication month; any fixed number would do
DEMO_PASSWORD = "quarter-demo-2026"
JINXIU_CENTER = (30.72145, 111.29060)  # 葛洲坝生活区, 西陵区, 宜昌
DONGHE_CENTER = (30.26880, 120.17770)  # 潮鸣街道 between 东河 and 建国北路, 杭州


@dataclass
class DemoLogin:
    role: str
    username: str
    password: str
    note: str


@dataclass
class DemoSummary:
    created: bool
    logins: list[DemoLogin] = field(default_factory=list)


def demo_logins() -> list[DemoLogin]:
    return [
        DemoLogin(
            "居民 resident",
            "13800000001",
            DEMO_PASSWORD,
            "锦绣华庭, 实名已认证, 在居民名册",
        ),
        DemoLogin(
            "居民 resident", "13800000002", DEMO_PASSWORD, "东河社区 利兹城市公寓"
        ),
        DemoLogin(
            "商户 merchant", "merchant_amin", DEMO_PASSWORD, "东河社区 阿明理发店"
        ),
        DemoLogin("社区工作者 operator", "operator_jinxiu", DEMO_PASSWORD, "锦绣社区"),
        DemoLogin("社区工作者 operator", "operator_donghe", DEMO_PASSWORD, "东河社区"),
        DemoLogin(
            "社区工作者 operator",
            "operator_haidian",
            DEMO_PASSWORD,
            "学院路社区(北京海淀,真实路网)",
        ),
        DemoLogin(
            "发券机构 issuer", "issuer_hangzhou", DEMO_PASSWORD, "杭州市下城区商务局"
        ),
        DemoLogin(
            "发券机构 issuer", "issuer_yichang", DEMO_PASSWORD, "宜昌市西陵区商务局"
        ),
        DemoLogin(
            "区规划 planner", "planner_xiacheng", DEMO_PASSWORD, "下城区全区规划"
        ),
        DemoLogin("管理员 admin", "admin", DEMO_PASSWORD, "超级用户"),
    ]


def load_demo() -> DemoSummary:
    """Create both communities, their shops and the demo users, once."""
    if Community.objects.filter(slug__in=["jinxiu", "donghe"]).exists():
        return DemoSummary(created=False, logins=demo_logins())
    rng = random.Random(SEED)
    types = {t.code: t for t in BusinessType.objects.all()}
    with transaction.atomic():
        jinxiu = _community(
            "锦绣社区",
            "jinxiu",
            "宜昌市",
            "西陵区",
            "葛洲坝街道",
            "0.150",
            JINXIU_CENTER,
            "宜昌市老国企葛洲坝集团生活区,3个物业型小区和2个老旧小区,现有居民3010户。",
        )
        donghe = _community(
            "东河社区",
            "donghe",
            "杭州市",
            "下城区",
            "潮鸣街道",
            "0.180",
            DONGHE_CENTER,
            "东临建国北路,西接东河,南至庆春路,北及运河;居民1115户2553人,住宅小区7个。",
        )
        _compounds(jinxiu, cat.JINXIU_COMPOUNDS, JINXIU_CENTER)
        _compounds(donghe, cat.DONGHE_COMPOUNDS, DONGHE_CENTER)
        merchants = _jinxiu_merchants(jinxiu, types, rng)
        merchants += _donghe_merchants(donghe, types, rng)
        _record_admission(merchants)
        reindex_merchants([m.id for m in merchants])
        _register(jinxiu, "420502", rng)
        _register(donghe, "330103", rng)
        _users(jinxiu, donghe)
        _load_app_demos()
    return DemoSummary(created=True, logins=demo_logins())


def _community(name, slug, city, district, street, area, center, intro) -> Community:
    d, _ = District.objects.get_or_create(city=city, name=district)
    s, _ = StreetOffice.objects.get_or_create(district=d, name=street)
    return Community.objects.create(
        name=name,
        slug=slug,
        street_office=s,
        area_km2=Decimal(area),
        center_lat=center[0],
        center_lng=center[1],
        introduction=intro,
    )


def _offset(center, east_m: float, north_m: float) -> tuple[float, float]:
    lat = center[0] + north_m / METERS_PER_DEG_LAT
    lng = center[1] + east_m / meters_per_deg_lng(center[0])
    return round(lat, 6), round(lng, 6)


def _compounds(community, rows, center) -> None:
    for name, kind, households, population, east, north in rows:
        lat, lng = _offset(center, east, north)
        Compound.objects.create(
            community=community,
            name=name,
            kind=kind,
            lat=lat,
            lng=lng,
            households=households,
            population=population,
        )


def _shop_position(rng, center, half_side_m=260) -> tuple[float, float]:
    # Shops line the streets around and between the compounds: a square a little
    # larger than the community's 0.15 km², so a few stand just outside it.
    return _offset(
        center,
        rng.uniform(-half_side_m, half_side_m),
        rng.uniform(-half_side_m, half_side_m),
    )


def _jinxiu_merchants(community, types, rng) -> list[Merchant]:
    plan = [(code, n) for code, n in cat.JINXIU_BASIC.items()]
    plan += [(code, n) for code, n in cat.JINXIU_QUALITY.items()]
    slots = [code for code, n in plan for _ in range(n)]
    outlets = len(slots)
    chain_target = round(outlets * cat.JINXIU_CHAIN_SHARE_PERMILLE / 1000)
    chain_slots = _pick_chain_slots(slots, chain_target, rng)
    merchants: list[Merchant] = []
    used_names: set[str] = set()
    for index, code in enumerate(slots):
        brand = ""
        if index in chain_slots:
            brand = rng.choice(cat.CHAIN_BRANDS[code])
            name = f"{brand}({rng.choice(cat.STREETS_JINXIU)}店)"
        else:
            name = rng.choice(cat.NAME_PREFIXES) + rng.choice(cat.TYPE_SUFFIXES[code])
        name = _unique(name, used_names)
        hours = cat.TYPE_HOURS.get(code, cat.DEFAULT_HOURS)
        if code == "convenience_store" and index % 3 == 0:
            hours, name = (
                "* 00:00-24:00",
                _unique(name.replace("便利店", "") + "24小时便利店", used_names),
            )
        merchants.append(
            _merchant(
                community,
                types[code],
                name,
                rng,
                cat.STREETS_JINXIU,
                JINXIU_CENTER,
                hours,
                brand=brand,
                services=cat.TYPE_SERVICES[code],
            )
        )
    for code, name, intro in cat.JINXIU_PUBLIC:
        merchants.append(
            _merchant(
                community,
                types[code],
                name,
                rng,
                cat.STREETS_JINXIU,
                JINXIU_CENTER,
                cat.TYPE_HOURS.get(code, cat.DEFAULT_HOURS),
                intro=intro,
                discount=False,
                services=[],
            )
        )
    # One shop under renovation and one closed, so the banners have something to show.
    merchants[3].status = MerchantStatus.RENOVATING
    merchants[3].status_until = clock.local_now().date().replace(day=28)
    merchants[3].save(update_fields=["status", "status_until"])
    return merchants


def _pick_chain_slots(slots, target, rng) -> set[int]:
    eligible = [i for i, code in enumerate(slots) if code in cat.CHAIN_BRANDS]
    rng.shuffle(eligible)
    return set(eligible[:target])


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        candidate = f"{name}{n}号店"
        n += 1
    used.add(candidate)
    return candidate


def _merchant(
    community,
    btype,
    name,
    rng,
    streets,
    center,
    hours_text,
    *,
    brand="",
    services=(),
    intro="",
    discount=True,
    card=None,
    vip=None,
    note="",
) -> Merchant:
    lat, lng = _shop_position(rng, center)
    if discount and card is None:
        vip = rng.choice([None, 700, 800, 850, 880, 900])
        card = rng.choice([550, 600, 700, 800, 850, 880, 900, 950])
        if vip is not None and card > vip:
            card = vip
    merchant = Merchant.objects.create(
        community=community,
        name=name,
        main_type=btype,
        introduction=intro or f"{name},服务{community.name}居民。{btype.name_zh}。",
        address=f"{rng.choice(streets)}{rng.randint(1, 220)}号",
        lat=lat,
        lng=lng,
        phone=f"0{rng.choice(['717', '571'])}-{rng.randint(6000000, 8999999)}",
        contact_person=rng.choice("张王李赵刘陈杨黄周吴")
        + rng.choice(["先生", "女士", "师傅", "姐"]),
        card_discount_permille=card,
        vip_discount_permille=vip,
        card_offer_note=note,
        is_chain=bool(brand),
        brand_name=brand,
        admission=Admission.APPROVED,
        status=MerchantStatus.OPEN,
        status_since=clock.local_now().date(),
    )
    MerchantService.objects.bulk_create(
        MerchantService(merchant=merchant, name=s, price_fen=p, sort_order=i)
        for i, (s, p) in enumerate(services)
    )
    OpeningHours.objects.bulk_create(
        OpeningHours(
            merchant=merchant,
            weekday=s.weekday,
            open_minute=s.open_minute,
            close_minute=s.close_minute,
        )
        for s in parse_weekly_text(hours_text)
    )
    return merchant


def _donghe_merchants(community, types, rng) -> list[Merchant]:
    merchants = []
    for name, code, card, vip, services, note in cat.DONGHE_MERCHANTS:
        brand = (
            "克莉丝汀"
            if name.startswith("克莉丝汀")
            else ("丝域养发" if "丝域" in name else "")
        )
        merchants.append(
            _merchant(
                community,
                types[code],
                name,
                rng,
                cat.STREETS_DONGHE,
                DONGHE_CENTER,
                cat.TYPE_HOURS.get(code, cat.DEFAULT_HOURS),
                brand=brand,
                services=services,
                card=card,
                vip=vip,
                note=note,
                discount=card is not None,
            )
        )
    return merchants


def _record_admission(merchants) -> None:
    now = clock.now()
    MerchantEvent.objects.bulk_create(
        MerchantEvent(
            merchant=m,
            kind=MerchantEvent.Kind.APPROVED,
            reason="演示数据:已入驻",
            after={"admission": "approved"},
            created_at=now,
        )
        for m in merchants
    )


def demo_id_number(birth: str, serial: int, *, region: str = "420502") -> str:
    """A syntactically valid ID number (GB 11643) for a fictitious demo person."""
    first17 = f"{region}{birth}{serial:03d}"
    return first17 + id_check_char(first17)


def _user(username, *, roles, staff=False, superuser=False, first_name="") -> User:
    user = User.objects.create_user(
        username=username,
        password=DEMO_PASSWORD,
        first_name=first_name,
        is_staff=staff or superuser,
        is_superuser=superuser,
    )
    user.groups.add(*Group.objects.filter(name__in=roles))
    return user


def _resident(phone, name, id_number, compound, address) -> Resident:
    user = _user(phone, roles=["resident"], first_name=name)
    user.phone = phone
    user.save(update_fields=["phone"])
    household, _ = Household.objects.get_or_create(compound=compound, address=address)
    resident = Resident.objects.create(
        user=user,
        phone=phone,
        household=household,
        real_name=name,
        id_hash=hash_id_number(id_number),
        id_masked=mask_id_number(id_number),
        birth_year=birth_year_from_id(id_number),
        verified_at=clock.now(),
    )
    put_on_demo_register(resident, id_number)
    return resident


# --- the resident register (居民名册) --------------------------------------------
# Fictitious people, as many as the seeds count per compound (东河: 1,115
# households, 2,553 people), so real-name verification and the register-only
# voucher rule have a register to match in the demo.

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文志海林波斌宇浩凯鹏"
    "飞燕玲婷雪梅琳晨阳欣怡子涵梓轩浩然一诺思远嘉怡雨桐"
)


def _register(community: Community, region: str, rng: random.Random) -> None:
    """Generate the register rows of every household of `community` (bulk)."""
    now = clock.now()
    entries: list[RegisterEntry] = []
    used: set[str] = set()
    for compound in Compound.objects.filter(community=community).order_by("pk"):
        per_household = [
            compound.population // compound.households
        ] * compound.households
        for h in range(compound.population % compound.households):
            per_household[h] += 1
        for h, members in enumerate(per_household):
            building, rest = divmod(h, 24)
            unit, room = divmod(rest, 12)
            address = f"{building + 1}幢{unit + 1}单元{room // 2 + 1}0{room % 2 + 1}"
            surname = rng.choice(_SURNAMES)
            for _ in range(members):
                number = _unused_id(region, rng, used)
                given = rng.choice((1, 2))
                name = surname + "".join(rng.choice(_GIVEN) for _ in range(given))
                entries.append(
                    RegisterEntry(
                        community=community,
                        compound=compound,
                        address=address,
                        name=name,
                        id_hash=hash_id_number(number),
                        id_masked=mask_id_number(number),
                        birth_year=int(number[6:10]),
                        created_at=now,
                        updated_at=now,
                    )
                )
    RegisterEntry.objects.bulk_create(entries, batch_size=2000)
    RegisterEvent.objects.create(
        community=community,
        kind=RegisterEvent.Kind.IMPORTED,
        reason="演示数据:按社区户数生成的虚构居民名册",
        after={"created": len(entries)},
        created_at=now,
    )


def _unused_id(region: str, rng: random.Random, used: set[str]) -> str:
    while True:
        year = rng.randint(1935, 2020)
        birth = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        # Serials from 500 up: the named demo people use lower ones.
        number = demo_id_number(birth, rng.randint(500, 999), region=region)
        if number not in used:
            used.add(number)
            return number


def put_on_demo_register(resident: Resident, id_number: str) -> RegisterEntry:
    """Put a demo resident on their community's register, bound to their account."""
    compound = resident.household.compound
    now = clock.now()
    entry, _ = RegisterEntry.objects.get_or_create(
        community_id=compound.community_id,
        id_hash=hash_id_number(id_number),
        defaults={
            "compound": compound,
            "address": resident.household.address,
            "name": resident.real_name,
            "id_masked": mask_id_number(id_number),
            "birth_year": birth_year_from_id(id_number),
            "created_at": now,
            "updated_at": now,
        },
    )
    Resident.objects.filter(pk=resident.pk).update(register_entry=entry)
    resident.register_entry = entry
    return entry


def _users(jinxiu, donghe) -> None:
    for phone, name, birth, serial, community, compound_name, address in [
        ("13800000001", "潘建国", "19560312", 11, jinxiu, "锦绣华庭", "3栋2单元501"),
        ("13800000002", "朱丽华", "19880605", 22, donghe, "利兹城市公寓", "1幢1203"),
    ]:
        id_number = demo_id_number(birth, serial)
        compound = Compound.objects.get(community=community, name=compound_name)
        _resident(phone, name, id_number, compound, address)
    owner = _user("merchant_amin", roles=["merchant"], first_name="阿明")
    MerchantStaff.objects.create(
        merchant=Merchant.objects.get(name="阿明理发店"), user=owner
    )
    for username, community in (
        ("operator_jinxiu", jinxiu),
        ("operator_donghe", donghe),
    ):
        Operator.objects.create(
            user=_user(username, roles=["operator"], staff=True), community=community
        )
    Issuer.objects.create(
        user=_user("issuer_hangzhou", roles=["issuer"]),
        organisation="杭州市下城区商务局",
        district=donghe.street_office.district,
    )
    Planner.objects.create(
        user=_user("planner_xiacheng", roles=["planner"]),
        organisation="下城区规划(15分钟生活圈专班)",
        district=donghe.street_office.district,
    )
    _user("admin", roles=[], superuser=True)


def _load_app_demos() -> None:
    """Let later apps add their own demo data (vouchers, coverage) if they ship it."""
    import importlib

    for module, function in (
        ("quarter.demo.haidian", "load_haidian_demo"),
        ("quarter.vouchers.demo", "load_voucher_demo"),
        ("quarter.vouchers.demo", "load_jinxiu_voucher_demo"),
        ("quarter.benefits.demo", "load_benefits_demo"),
        ("quarter.coverage.demo", "load_coverage_demo"),
        ("quarter.card.log_demo", "load_visit_log_demo"),
        ("quarter.reviews.demo", "load_reviews_demo"),
        ("quarter.referrals.demo", "load_referral_demo"),
        ("quarter.board.demo", "load_board_demo"),
        ("quarter.civic.demo", "load_civic_demo"),
        ("quarter.feed.demo", "load_feed_demo"),
        ("quarter.surveys.demo", "load_surveys_demo"),
    ):
        try:
            loader = getattr(importlib.import_module(module), function)
        except (ImportError, AttributeError):
            continue
        loader()
