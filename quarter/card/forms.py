"""Forms of the card pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from quarter.card.inputs import ConfirmInput, PaymentInput
from quarter.core.fields import YuanField


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("家庭卡密码(6位数字)"),
        min_length=6,
        max_length=6,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "new-password"}
        ),
    )


class HouseholdSearchForm(forms.Form):
    q = forms.CharField(label=_("卡号或门牌"), required=False, max_length=40)


class PayForm(forms.Form):
    """The till: what the customer shows, and the bill (quote)."""

    code = forms.CharField(
        label=_("顾客码(扫大家卡/付款码,或输入数字、家庭卡号)"), max_length=64
    )
    pin = forms.CharField(
        label=_("家庭卡密码(仅家庭卡)"),
        required=False,
        max_length=6,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off"}
        ),
    )
    bill = YuanField(label=_("消费金额(元)"))

    def to_input(self) -> PaymentInput:
        d = self.cleaned_data
        return PaymentInput(code=d["code"], bill_fen=d["bill"], pin=d["pin"])


class ConfirmForm(PayForm):
    """The till's confirm: the quote's fields, its payable and the idempotency key."""

    key = forms.CharField(max_length=80)
    # The quote's payable in fen; refused with 409 when the price changed.
    # Optional for callers of the voucher till before the card (no check).
    expected = forms.IntegerField(min_value=0, max_value=10_000_000, required=False)

    def to_input(self) -> ConfirmInput:
        d = self.cleaned_data
        return ConfirmInput(
            code=d["code"],
            bill_fen=d["bill"],
            pin=d["pin"],
            key=d["key"],
            expected_payable_fen=d["expected"],
        )


class VisitRefundForm(forms.Form):
    amount = YuanField(label=_("退款金额(元)"))
