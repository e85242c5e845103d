"""Forms of the voucher pages: they parse input (yuan into fen, local times).

Services validate; each form's `to_input()` is what its service takes.
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from quarter.core.fields import (
    BoundedIntegerField,
    SafeModelMultipleChoiceField,
    SaneDateTimeField,
    YuanField,
)
from quarter.core.money import parse_yuan
from quarter.core.numbers import NumberProblem, normalize, parse_int
from quarter.places.models import BusinessType, Community, StreetOffice
from quarter.vouchers import presets
from quarter.vouchers.inputs import (
    CampaignInput,
    RefundInput,
    ReviewInput,
    RoundChangeInput,
    RoundInput,
)
from quarter.vouchers.models import CardStacking, ClaimMode, PersonLimit
from quarter.vouchers.services.campaigns import CouponSpec

DT_INPUT = forms.DateTimeInput(
    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
)
DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("活动名称"), max_length=80)
    budget = YuanField(label=_("活动预算(元)"))
    street_offices = SafeModelMultipleChoiceField(
        label=_("限定街道"),
        queryset=StreetOffice.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    communities = SafeModelMultipleChoiceField(
        label=_("限定社区(街道和社区都不选表示全区)"),
        queryset=Community.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    business_types = SafeModelMultipleChoiceField(
        label=_("限定业态(不选表示全部)"),
        queryset=BusinessType.objects.all(),
        required=False,
        to_field_name="code",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    max_per_merchant_per_day = BoundedIntegerField(
        label=_("每人每店每日最多用券"), initial=1, min_value=1, max_value=20
    )
    cofund_percent = forms.DecimalField(
        label=_("商户配资比例(%)"),
        help_text=_("每张券面值中由收券商户承担的比例,0 表示全部由财政补贴"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=1,
    )
    open_to_unregistered = forms.BooleanField(
        label=_("未登记居民也可领取"),
        help_text=_("不勾选时,只有社区居民名册中的居民可以领取"),
        required=False,
    )
    card_stacking = forms.ChoiceField(
        label=_("满减券与大家卡"),
        choices=CardStacking.choices,
        initial=CardStacking.AFTER_CARD,
        required=False,
        help_text=_("收银台按此计算大家卡折扣与满减券的最优组合"),
    )

    def __init__(self, *args, district=None, **kwargs):
        super().__init__(*args, **kwargs)
        if district is not None:
            self.fields["communities"].queryset = Community.objects.filter(
                street_office__district=district
            )
            self.fields["street_offices"].queryset = StreetOffice.objects.filter(
                district=district
            )

    def clean(self):
        data = super().clean()
        percent = data.pop("cofund_percent", None)
        data["cofund_permille"] = int(percent * 10) if percent else 0
        return data

    def to_input(self) -> CampaignInput:
        d = self.cleaned_data
        return CampaignInput(
            name=d["name"],
            budget_fen=d["budget"],
            community_ids=[c.pk for c in d["communities"]],
            street_office_ids=[s.pk for s in d["street_offices"]],
            business_type_codes=[t.code for t in d["business_types"]],
            max_per_merchant_per_day=d["max_per_merchant_per_day"],
            cofund_permille=d["cofund_permille"],
            open_to_unregistered=d["open_to_unregistered"],
            card_stacking=d["card_stacking"] or CardStacking.AFTER_CARD,
        )


MAX_PACKETS = 10_000_000
# One coupon's threshold or face: ¥1,000,000 is far past any real voucher.
MAX_COUPON_FEN = 100_000_000
MAX_COUPONS_PER_LINE = 100

_COUPON_LINE = re.compile(
    r"^\s*满?\s*(\d+(?:\.\d{1,2})?)\s*减\s*(\d+(?:\.\d{1,2})?)\s*"
    r"(?:[×xX*]\s*(\d+))?\s*$"
)


class RoundForm(forms.Form):
    name = forms.CharField(label=_("轮次名称"), max_length=80)
    preset = forms.ChoiceField(
        label=_("券包"),
        choices=[(k, v["label"]) for k, v in presets.PRESETS.items()]
        + [("custom", _("自定义(在下方填写)"))],
    )
    custom = forms.CharField(
        label=_("自定义券包(每行一种,如 满40减10×5)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    packets_total = BoundedIntegerField(
        label=_("券包数量"), min_value=1, max_value=MAX_PACKETS
    )
    release_at = SaneDateTimeField(
        label=_("开抢时间"), widget=DT_INPUT, input_formats=DT_FORMATS
    )
    claim_closes_at = SaneDateTimeField(
        label=_("领取截止"), widget=DT_INPUT, input_formats=DT_FORMATS
    )
    valid_from = SaneDateTimeField(
        label=_("使用开始"), widget=DT_INPUT, input_formats=DT_FORMATS
    )
    valid_until = SaneDateTimeField(
        label=_("使用截止"), widget=DT_INPUT, input_formats=DT_FORMATS
    )
    person_limit = forms.ChoiceField(label=_("每人限领"), choices=PersonLimit.choices)
    mode = forms.ChoiceField(
        label=_("发放方式"), choices=ClaimMode.choices, required=False
    )
    min_age = BoundedIntegerField(
        label=_("最低年龄(可空,如 60)"), required=False, min_value=1, max_value=119
    )

    def clean(self):
        data = super().clean()
        if data.get("preset") == "custom":
            data["coupons"] = parse_coupons(data.get("custom", ""), form=self)
        elif data.get("preset"):
            face_rows = presets.PRESETS[data["preset"]]["coupons"]
            data["coupons"] = [CouponSpec(f, t, c) for f, t, c in face_rows]
        return data

    def to_input(self) -> RoundInput:
        """The new round as `campaigns.create_round` takes it (mode included)."""
        d = self.cleaned_data
        return RoundInput(
            name=d["name"],
            release_at=d["release_at"],
            claim_closes_at=d["claim_closes_at"],
            valid_from=d["valid_from"],
            valid_until=d["valid_until"],
            packets_total=d["packets_total"],
            coupons=d["coupons"],
            person_limit=d["person_limit"],
            min_age=d.get("min_age"),
            mode=d.get("mode") or ClaimMode.FIRST_COME,
        )


class RoundChangeForm(RoundForm):
    """Change a scheduled round: what `change_round` can change, and why.

    How people claim (mode, per-person limit, minimum age) is fixed once the
    round exists, so those fields are not offered here.
    """

    reason = forms.CharField(label=_("修改原因"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("person_limit", "mode", "min_age"):
            self.fields.pop(name)

    def to_input(self) -> RoundChangeInput:
        d = self.cleaned_data
        return RoundChangeInput(
            reason=d["reason"],
            name=d["name"],
            release_at=d["release_at"],
            claim_closes_at=d["claim_closes_at"],
            valid_from=d["valid_from"],
            valid_until=d["valid_until"],
            packets_total=d["packets_total"],
            coupons=d["coupons"],
        )


def parse_coupons(text: str, *, form: forms.Form) -> list[CouponSpec]:
    """Parse lines like '满40减10×5' (full-width digits read as ASCII)."""
    coupons = []
    for line in [ln for ln in (text or "").splitlines() if ln.strip()]:
        match = _COUPON_LINE.match(normalize(line).replace("元", ""))
        if not match:
            form.add_error(
                "custom",
                _("看不懂“%(line)s”,请写成 满40减10×5") % {"line": line.strip()},
            )
            return []
        try:
            coupons.append(
                CouponSpec(
                    face_fen=parse_yuan(match.group(2), max_fen=MAX_COUPON_FEN),
                    threshold_fen=parse_yuan(match.group(1), max_fen=MAX_COUPON_FEN),
                    count=parse_int(
                        match.group(3) or "1",
                        minimum=1,
                        maximum=MAX_COUPONS_PER_LINE,
                        label=_("每行张数"),
                    ),
                )
            )
        except NumberProblem as exc:
            form.add_error("custom", f"{line.strip()}:{exc}")
            return []
    if not coupons:
        form.add_error("custom", _("请至少填写一种券,如 满40减10×5"))
    return coupons


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("release", _("放行结算")), ("reject", _("驳回不结算"))]
    )
    reason = forms.CharField(label=_("审核理由"), max_length=300)

    def to_input(self) -> ReviewInput:
        return ReviewInput(
            release=self.cleaned_data["decision"] == "release",
            reason=self.cleaned_data["reason"],
        )


class RefundForm(forms.Form):
    amount = YuanField(label=_("退款金额(元)"))

    def to_input(self) -> RefundInput:
        return RefundInput(amount_fen=self.cleaned_data["amount"])
