"""Eligibility: which people (or shops) a rule matches today, and why.

Reads only. Every condition a person passes becomes a `Fact` with a Chinese
sentence; the grant keeps these facts as its snapshot and the resident's page
shows them as the answer to "why did I get this".

Where the facts come from:

- **Registered** (在册): an active entry of the community's resident register
  (居民名册) bound to a real-name verified account placed in the compound the
  entry names (the same test as `people.access.is_registered_resident`).
- **Age**: the birth year of the register entry (for registered people) or of
  the real-name check (otherwise); the age is the one reached this calendar
  year (only the year is kept, PIPL), as the voucher claim computes it.
- **Compound**: the compound of the register entry (or of the household the
  account is placed in, when unregistered).
- **Household type**, derived from the register only, by the people who are
  registered at the same compound and door number (门牌) and are active:
  独居 = the only one registered there; 纯老年人家庭 = everyone registered
  there is 60 or older this year; 有未成年人家庭 = someone registered there is
  under 18 this year. This is what the register says about a door number, not
  a civil-status record: a lodger not on the register is not seen. People not
  on the register have no household type and never match a rule that asks
  for one.
- **Merchants**: admitted (已入驻) and open shops of the rule's area; the tier
  and business type of their main type; 非连锁小店 = not marked as a chain.
  填补缺口 = the shop is the only one of its type within a 15-minute walk
  for at least the rule's number of households (`benefits.gaps`); 小微商户 =
  the shop's declared head count (`Merchant.employees`, its owner fills it in
  on the application or the console) is at most the rule's; a shop that has
  not declared one does not match.

A person the register matches whose entry has no verified account yet cannot
hold a voucher: they are counted as waiting (`Matches.waiting`) and granted
by the first daily run after they verify, within the same period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from quarter.benefits.models import (
    BenefitRule,
    HouseholdType,
    Recurrence,
    Subject,
)
from quarter.core import clock
from quarter.core.identity import mask_phone
from quarter.people.models import RegisterEntry, RegisterStatus, Resident
from quarter.places.models import Admission, Community, Merchant, MerchantStatus

ELDERLY_AGE = 60
ADULT_AGE = 18


@dataclass(frozen=True)
class Fact:
    key: str
    value: object
    text: str

    def as_dict(self) -> dict:
        return {"key": self.key, "value": self.value, "text": self.text}


@dataclass
class Match:
    """One person (or shop) the rule matches, with the facts that made it so."""

    person_key: str
    facts: list[Fact]
    resident: Resident | None = None
    merchant: Merchant | None = None
    name: str = ""
    compound: str = ""
    age: int | None = None

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.resident.phone) if self.resident else ""


@dataclass
class Matches:
    """Who a rule matches today: those it can grant to, and those waiting."""

    eligible: list[Match] = field(default_factory=list)
    # On the register and eligible, but no verified account to hold a voucher.
    waiting: list[Match] = field(default_factory=list)


@dataclass(frozen=True)
class Period:
    key: str
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def label(self) -> str:
        if self.key == "once":
            return "本期"
        year, month = self.key.split("-")
        return f"{year}年{int(month)}月"


def mask_name(name: str) -> str:
    """王小明 -> 王*明, 李四 -> 李*: enough for a worker to recognise, no more."""
    name = name or ""
    if len(name) <= 1:
        return name or "—"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def age_band_text(rule: BenefitRule) -> str:
    lo, hi = rule.min_age, rule.max_age
    if lo is not None and hi is not None:
        return f"{lo}至{hi}周岁"
    if lo is not None:
        return f"{lo}周岁及以上"
    if hi is not None:
        return f"{hi}周岁及以下"
    return "不限年龄"


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=clock.SHANGHAI)


def period_for(rule: BenefitRule, today: dt.date) -> Period | None:
    """Return the rule's period that contains `today`, or None outside its span."""
    if today < rule.starts_on or (rule.ends_on and today > rule.ends_on):
        return None
    last = rule.ends_on + dt.timedelta(days=1) if rule.ends_on else None
    if rule.recurrence == Recurrence.ONCE:
        end = last or rule.starts_on.replace(year=rule.starts_on.year + 1)
        return Period("once", _midnight(rule.starts_on), _midnight(end))
    first = today.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    start = max(first, rule.starts_on)
    end = min(nxt, last) if last else nxt
    return Period(f"{today:%Y-%m}", _midnight(start), _midnight(end))


def match_rule(rule: BenefitRule, *, today: dt.date | None = None) -> Matches:
    """Return who `rule` matches on `today` (default: today in China time)."""
    today = today or clock.local_now().date()
    if rule.subject == Subject.MERCHANT:
        return Matches(eligible=_merchants(rule))
    return _residents(rule, today.year)


# --- residents -----------------------------------------------------------------


def _communities(rule: BenefitRule):
    if rule.community_id:
        return Community.objects.filter(pk=rule.community_id)
    return Community.objects.filter(street_office__district_id=rule.district_id)


def _registered_account(entry: RegisterEntry) -> Resident | None:
    resident = getattr(entry, "resident", None)
    if (
        resident is None
        or not resident.verified_at
        or not resident.id_hash
        or resident.household is None
        or resident.household.compound_id != entry.compound_id
    ):
        return None
    return resident


def _residents(rule: BenefitRule, year: int) -> Matches:
    communities = _communities(rule)
    entries = RegisterEntry.objects.filter(
        community__in=communities, status=RegisterStatus.ACTIVE
    ).select_related("community", "compound", "resident__household")
    if rule.compound_id:
        entries = entries.filter(compound_id=rule.compound_id)
    doors = _doors(communities, year) if rule.household_type else {}
    out = Matches()
    seen: set[int] = set()
    for entry in entries.order_by("compound__name", "address", "pk"):
        facts = _entry_facts(rule, entry, year, doors)
        if facts is None:
            continue
        resident = _registered_account(entry)
        match = Match(
            person_key=entry.id_hash,
            facts=facts,
            resident=resident,
            name=entry.name,
            compound=entry.compound.name,
            age=year - entry.birth_year if entry.birth_year else None,
        )
        if resident is None:
            out.waiting.append(match)
        else:
            seen.add(resident.pk)
            out.eligible.append(match)
    if not rule.registered_only and not rule.household_type:
        out.eligible.extend(_unregistered(rule, communities, year, seen))
    return out


def _doors(communities, year: int) -> dict[tuple[int, str], list[int | None]]:
    """Birth years of everyone active on the register, per compound and door."""
    doors: dict[tuple[int, str], list[int | None]] = defaultdict(list)
    rows = RegisterEntry.objects.filter(
        community__in=communities, status=RegisterStatus.ACTIVE
    ).values_list("compound_id", "address", "birth_year")
    for compound_id, address, born in rows:
        doors[(compound_id, address.strip())].append(born)
    return doors


def _entry_facts(rule, entry: RegisterEntry, year, doors) -> list[Fact] | None:
    facts = [
        Fact(
            "registered",
            True,
            f"您登记在{entry.community.name}居民名册中"
            f"({entry.compound.name} {entry.address})",
        )
    ]
    age = _age_fact(rule, entry.birth_year, year, source="居民名册")
    if age is False:
        return None
    facts += [age] if age else []
    if rule.compound_id:
        facts.append(
            Fact(
                "compound",
                entry.compound.name,
                f"您家在{entry.compound.name},属于本规则限定的小区",
            )
        )
    if rule.household_type:
        household = _household_fact(
            rule.household_type,
            doors.get((entry.compound_id, entry.address.strip()), []),
            year,
        )
        if household is None:
            return None
        facts.append(household)
    return facts


def _age_fact(rule, born: int | None, year: int, *, source: str):
    """A Fact, None when the rule asks no age, False when the person fails it."""
    if rule.min_age is None and rule.max_age is None:
        return None
    if born is None:
        return False
    age = year - born
    if (rule.min_age is not None and age < rule.min_age) or (
        rule.max_age is not None and age > rule.max_age
    ):
        return False
    return Fact(
        "age",
        age,
        f"按{source}记载的出生年份{born}年,您今年满{age}周岁,"
        f"符合“{age_band_text(rule)}”的条件",
    )


def _household_fact(kind: str, births: list, year: int) -> Fact | None:
    ages = [year - b for b in births if b is not None]
    size = len(births)
    if kind == HouseholdType.ALONE and size == 1:
        return Fact(
            "household", "alone", "居民名册中您家这个门牌只登记了您一人,属于独居"
        )
    if (
        kind == HouseholdType.ELDERLY_ONLY
        and size >= 1
        and len(ages) == size
        and min(ages) >= ELDERLY_AGE
    ):
        return Fact(
            "household",
            "elderly_only",
            f"居民名册中您家这个门牌登记的{size}人今年都满{ELDERLY_AGE}周岁,"
            "属于纯老年人家庭",
        )
    if kind == HouseholdType.WITH_MINOR and any(a < ADULT_AGE for a in ages):
        return Fact(
            "household",
            "with_minor",
            f"居民名册中您家这个门牌有未满{ADULT_AGE}周岁的家庭成员",
        )
    return None


def _unregistered(rule, communities, year, seen: set[int]) -> list[Match]:
    residents = (
        Resident.objects.filter(
            household__compound__community__in=communities,
            verified_at__isnull=False,
            id_hash__isnull=False,
        )
        .exclude(pk__in=seen)
        .select_related("household__compound__community")
        .order_by("pk")
    )
    if rule.compound_id:
        residents = residents.filter(household__compound_id=rule.compound_id)
    out = []
    for r in residents:
        compound = r.household.compound
        facts = [
            Fact(
                "registered",
                False,
                f"您已实名认证,住在{compound.community.name}{compound.name}"
                "(本规则不要求在居民名册中)",
            )
        ]
        age = _age_fact(rule, r.birth_year, year, source="实名认证")
        if age is False:
            continue
        facts += [age] if age else []
        if rule.compound_id:
            facts.append(
                Fact(
                    "compound",
                    compound.name,
                    f"您家在{compound.name},属于本规则限定的小区",
                )
            )
        out.append(
            Match(
                person_key=r.id_hash,
                facts=facts,
                resident=r,
                name=r.real_name,
                compound=compound.name,
                age=year - r.birth_year if r.birth_year else None,
            )
        )
    return out


# --- merchants -----------------------------------------------------------------


def _merchants(rule: BenefitRule) -> list[Match]:
    shops = (
        Merchant.objects.filter(
            community__in=_communities(rule),
            admission=Admission.APPROVED,
            status=MerchantStatus.OPEN,
        )
        .select_related("main_type", "community")
        .order_by("pk")
    )
    if rule.tier:
        shops = shops.filter(main_type__tier=rule.tier)
    types = list(rule.business_types.all())
    if types:
        shops = shops.filter(main_type__in=types)
    if rule.small_only:
        shops = shops.filter(is_chain=False)
    if rule.employees_max is not None:
        shops = shops.filter(employees__lte=rule.employees_max)
    sole = None
    if rule.gap_households_min is not None:
        from quarter.benefits.gaps import sole_provider_households

        sole = sole_provider_households(_communities(rule))
    out = []
    for shop in shops:
        if sole is not None and sole.get(shop.pk, 0) < rule.gap_households_min:
            continue
        btype = shop.main_type
        facts = [
            Fact(
                "merchant",
                shop.community.name,
                f"贵店已入驻{shop.community.name}便民生活圈,正常营业",
            )
        ]
        if rule.tier or types:
            facts.append(
                Fact(
                    "business_type",
                    btype.code,
                    f"贵店业态为“{btype.name_zh}”({btype.get_tier_display()})",
                )
            )
        if rule.small_only:
            facts.append(Fact("small", True, "贵店为非连锁小店"))
        if rule.employees_max is not None:
            facts.append(
                Fact(
                    "employees",
                    shop.employees,
                    f"贵店自报从业人员{shop.employees}人,"
                    f"不超过{rule.employees_max}人,属小微商户",
                )
            )
        if sole is not None:
            facts.append(
                Fact(
                    "gap_households",
                    sole[shop.pk],
                    f"贵店是{sole[shop.pk]}户居民步行15分钟内唯一的"
                    f"“{btype.name_zh}”,填补了服务缺口",
                )
            )
        out.append(
            Match(
                person_key=f"merchant:{shop.pk}",
                facts=facts,
                merchant=shop,
                name=shop.name,
                compound=shop.community.name,
            )
        )
    return out
