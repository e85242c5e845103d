"""Forms of the referral pages: amounts in yuan, the rate in percent."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from quarter.core.fields import YuanField
from quarter.core.numbers import normalize

_RATE_RE = re.compile(r"^(\d{1,2})(?:\.(\d))?%?$")


class PromotionForm(forms.Form):
    """The shop's promotion rate as a percentage of the bill ('3' or '2.5')."""

    rate = forms.CharField(
        label=_("推广比例(%)"),
        max_length=6,
        required=False,
        help_text=_("如 3 表示邻居在本店每实付 ¥100(大家卡折后),奖励邀请人 ¥3"),
    )
    opt_out = forms.BooleanField(label=_("退出分享推广"), required=False)

    def clean_rate(self) -> int | None:
        text = normalize(self.cleaned_data.get("rate"))
        if not text:
            return None
        match = _RATE_RE.match(text)
        if not match:
            raise forms.ValidationError(
                _("请填写百分比,如 3 或 2.5(最多一位小数)"),
                code="promotion_rate_invalid",
            )
        return int(match.group(1)) * 10 + int(match.group(2) or 0)

    def clean(self):
        data = super().clean()
        if not data.get("opt_out") and data.get("rate") is None and not self.errors:
            self.add_error("rate", _("请填写推广比例,或勾选退出"))
        return data


class TopUpForm(forms.Form):
    amount = YuanField(
        label=_("充值金额(元)"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": _("金额(元)"), "size": 8}),
    )
    note = forms.CharField(
        label=_("凭证说明"),
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": _("凭证,如转账单号"), "size": 12}),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=40)


class WithdrawForm(forms.Form):
    amount = YuanField(label=_("提现金额(元)"), max_length=20)
    key = forms.CharField(widget=forms.HiddenInput, max_length=40)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("批准")), ("reject", _("驳回"))], label=_("决定")
    )
    reason = forms.CharField(
        label=_("原因"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("驳回原因"), "size": 10}),
    )
