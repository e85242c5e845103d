"""Forms of the board pages: they parse input; services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from quarter.board.models import (
    ANSWER_STATUSES,
    MAX_BODY,
    MAX_TITLE,
    MERCHANT_KINDS,
    NoticeKind,
    PayUnit,
    SuggestionCategory,
    SuggestionStatus,
)
from quarter.core.fields import SaneDateField, SaneDateTimeField, YuanField


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def _when(label):
    return SaneDateTimeField(
        label=label,
        required=False,
        widget=LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )


class ScheduleForm(forms.Form):
    publish_at = _when(_("定时发布"))
    expire_at = _when(_("下线时间"))


class NoticeForm(ScheduleForm):
    """An operator's notice, published at once (or at `publish_at`)."""

    kind = forms.ChoiceField(
        label=_("类别"), choices=NoticeKind.choices, initial=NoticeKind.COMMUNITY
    )
    title = forms.CharField(label=_("标题"), max_length=MAX_TITLE)
    body = forms.CharField(
        label=_("内容"),
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    pinned = forms.BooleanField(label=_("置顶"), required=False)
    field_order = ["kind", "title", "body", "pinned", "publish_at", "expire_at"]


class ShopNoticeForm(ScheduleForm):
    """A shop's notice about itself, for the operators to approve."""

    kind = forms.ChoiceField(
        label=_("类别"), choices=[(k.value, k.label) for k in MERCHANT_KINDS]
    )
    title = forms.CharField(label=_("标题"), max_length=MAX_TITLE)
    body = forms.CharField(
        label=_("内容"),
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    field_order = ["kind", "title", "body", "publish_at", "expire_at"]


class ApproveForm(ScheduleForm):
    pinned = forms.BooleanField(label=_("置顶"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("驳回原因"), max_length=500)


class JobForm(forms.Form):
    title = forms.CharField(label=_("岗位"), max_length=60)
    pay_min = YuanField(label=_("最低薪资(元)"), max_fen=10_000_000)
    pay_max = YuanField(label=_("最高薪资(元)"), max_fen=10_000_000)
    pay_unit = forms.ChoiceField(label=_("计薪方式"), choices=PayUnit.choices)
    hours = forms.CharField(
        label=_("工作时间"), max_length=100, help_text=_("如:每天 07:00-13:00,月休4天")
    )
    contact = forms.CharField(label=_("联系方式"), max_length=60)
    expires_on = SaneDateField(
        label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=_("岗位说明"),
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def to_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "title": d["title"],
            "pay_min_fen": d["pay_min"],
            "pay_max_fen": d["pay_max"],
            "pay_unit": d["pay_unit"],
            "hours": d["hours"],
            "contact": d["contact"],
            "expires_on": d["expires_on"],
            "description": d["description"],
        }


class SuggestionForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=SuggestionCategory.choices)
    text = forms.CharField(
        label=_("建议内容"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("最多2000字"),
    )
    photo = forms.FileField(
        label=_("照片(可选)"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp"}
        ),
    )


class AnswerForm(forms.Form):
    status = forms.ChoiceField(
        label=_("答复状态"),
        choices=[(s, SuggestionStatus(s).label) for s in ANSWER_STATUSES],
    )
    reply = forms.CharField(
        label=_("答复内容"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
