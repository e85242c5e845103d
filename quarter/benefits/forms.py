"""The rule form: parses what an operator or issuer typed; the service validates."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from quarter.benefits import access
from quarter.benefits.models import HouseholdType, Recurrence, Subject
from quarter.benefits.services import RuleInput
from quarter.core.money import format_yuan, parse_yuan
from quarter.places.models import BusinessType, Compound, Tier


class RuleForm(forms.Form):
    name = forms.CharField(label=_("规则名称"), max_length=80)
    scope = forms.ChoiceField(label=_("适用范围"))
    subject = forms.ChoiceField(label=_("对象"), choices=Subject.choices)
    min_age = forms.IntegerField(label=_("最低年龄(周岁)"), required=False)
    max_age = forms.IntegerField(label=_("最高年龄(周岁)"), required=False)
    compound = forms.IntegerField(
        label=_("限定小区"), required=False, widget=forms.Select
    )
    registered_only = forms.BooleanField(
        label=_("仅限居民名册在册居民"), required=False, initial=True
    )
    household_type = forms.ChoiceField(
        label=_("家庭类型"), choices=HouseholdType.choices, required=False
    )
    tier = forms.ChoiceField(
        label=_("商户业态类别"),
        choices=[("", _("不限"))] + Tier.choices,
        required=False,
    )
    small_only = forms.BooleanField(label=_("仅限非连锁小店"), required=False)
    gap_households_min = forms.IntegerField(
        label=_("仅限填补缺口的商户:独家服务至少多少户"),
        help_text=_("该店是这么多户居民步行15分钟内唯一的同类店;留空表示不限"),
        required=False,
        min_value=1,
        max_value=100_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    employees_max = forms.IntegerField(
        label=_("仅限小微商户:从业人数不超过"),
        help_text=_("按商户自报的从业人数;未填报的商户不符合;留空表示不限"),
        required=False,
        min_value=1,
        max_value=10_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    campaign = forms.IntegerField(
        label=_("出资活动"), required=False, widget=forms.Select
    )
    face = forms.CharField(label=_("每张面值(元)"), required=False)
    threshold = forms.CharField(label=_("使用门槛(元,满多少可用)"), required=False)
    coupon_count = forms.IntegerField(label=_("每次张数"), required=False, initial=1)
    coupon_business_type = forms.ChoiceField(label=_("限定使用业态"), required=False)
    relief = forms.CharField(label=_("商户减免金额(元)"), required=False)
    starts_on = forms.DateField(
        label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("结束日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    recurrence = forms.ChoiceField(label=_("发放周期"), choices=Recurrence.choices)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        communities = list(access.communities_for_rules(actor))
        districts = list(access.districts_for_rules(actor))
        self.fields["scope"].choices = [
            (f"c:{c.pk}", f"{c.name}(社区)") for c in communities
        ] + [(f"d:{d.pk}", f"{d.city}{d.name}(全区)") for d in districts]
        compounds = Compound.objects.filter(
            community__in=[c.pk for c in communities]
        ).order_by("name")
        self.fields["compound"].widget.choices = [("", _("不限"))] + [
            (c.pk, c.name) for c in compounds
        ]
        self.fields["campaign"].widget.choices = [("", "—")] + [
            (c.pk, c.name) for c in access.campaigns_for_rules(actor)
        ]
        types = [(t.code, t.name_zh) for t in BusinessType.objects.all()]
        self.fields["coupon_business_type"].choices = [("", _("不限"))] + types

    def _yuan(self, field: str) -> int:
        text = (self.cleaned_data.get(field) or "").strip()
        if not text:
            return 0
        try:
            return parse_yuan(text)
        except ValueError as exc:
            self.add_error(field, str(exc))
            return 0

    def to_input(self) -> RuleInput | None:
        """Return the typed input, or None when a field could not be parsed."""
        from quarter.places.models import Community, District
        from quarter.vouchers.models import Campaign

        d = self.cleaned_data
        kind, _sep, pk = (d.get("scope") or "").partition(":")
        community = Community.objects.filter(pk=pk).first() if kind == "c" else None
        district = District.objects.filter(pk=pk).first() if kind == "d" else None
        compound = Compound.objects.filter(pk=d.get("compound") or 0).first()
        if d.get("compound") and compound is None:
            self.add_error("compound", _("没有这个小区"))
        campaign = Campaign.objects.filter(pk=d.get("campaign") or 0).first()
        face, threshold, relief = (
            self._yuan("face"),
            self._yuan("threshold"),
            self._yuan("relief"),
        )
        if self.errors:
            return None
        return RuleInput(
            name=d["name"],
            subject=d["subject"],
            community=community,
            district=district,
            min_age=d.get("min_age"),
            max_age=d.get("max_age"),
            compound=compound,
            registered_only=bool(d.get("registered_only")),
            household_type=d.get("household_type") or "",
            tier=d.get("tier") or "",
            small_only=bool(d.get("small_only")),
            gap_households_min=d.get("gap_households_min"),
            employees_max=d.get("employees_max"),
            campaign=campaign,
            face_fen=face,
            threshold_fen=threshold or face,
            coupon_count=d.get("coupon_count") or 1,
            coupon_business_type_code=d.get("coupon_business_type") or "",
            relief_fen=relief,
            starts_on=d["starts_on"],
            ends_on=d.get("ends_on"),
            recurrence=d["recurrence"],
        )


def initial_from_rule(rule) -> dict:
    """The form's values for editing `rule` (money back in yuan)."""
    scope = f"c:{rule.community_id}" if rule.community_id else f"d:{rule.district_id}"
    return {
        "name": rule.name,
        "scope": scope,
        "subject": rule.subject,
        "min_age": rule.min_age,
        "max_age": rule.max_age,
        "compound": rule.compound_id,
        "registered_only": rule.registered_only,
        "household_type": rule.household_type,
        "tier": rule.tier,
        "small_only": rule.small_only,
        "gap_households_min": rule.gap_households_min,
        "employees_max": rule.employees_max,
        "campaign": rule.campaign_id,
        "face": _yuan_text(rule.face_fen) if rule.face_fen else "",
        "threshold": _yuan_text(rule.threshold_fen) if rule.threshold_fen else "",
        "coupon_count": rule.coupon_count,
        "coupon_business_type": rule.coupon_business_type.code
        if rule.coupon_business_type_id
        else "",
        "relief": _yuan_text(rule.relief_fen) if rule.relief_fen else "",
        "starts_on": rule.starts_on,
        "ends_on": rule.ends_on,
        "recurrence": rule.recurrence,
    }


def _yuan_text(fen: int) -> str:
    return format_yuan(fen, symbol=False)
