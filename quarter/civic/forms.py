"""Forms of the civic pages: they parse; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from quarter.civic.models import Category, Department
from quarter.civic.services import MAX_DESCRIPTION
from quarter.core.fields import LatitudeField, LongitudeField
from quarter.maps.widgets import CoordinateInput, LocationPicker
from quarter.places.models import Admission, Merchant


class ReportForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(), label=_("问题类别"), empty_label=_("请选择")
    )
    description = forms.CharField(
        label=_("问题描述"),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_DESCRIPTION}),
        help_text=_("最多4000字"),
    )
    lat = LatitudeField(
        label=_("纬度"), widget=LocationPicker(legend=_("在地图上点选问题位置"))
    )
    lng = LongitudeField(label=_("经度"), widget=CoordinateInput())
    address = forms.CharField(
        label=_("位置说明"),
        max_length=200,
        required=False,
        help_text=_("如:3栋东侧路口"),
    )
    # A plain file field: the service checks type and size (by content).
    photo = forms.FileField(
        label=_("现场照片"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp"}
        ),
    )
    merchant = forms.ModelChoiceField(
        queryset=Merchant.objects.none(),
        label=_("涉及商户(投诉时选择)"),
        required=False,
    )

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(
            community__in=communities, active=True
        ).select_related("community")
        self.fields["merchant"].queryset = Merchant.objects.filter(
            community__in=communities, admission=Admission.APPROVED
        ).order_by("name")
        first = communities.first() if communities is not None else None
        if first is not None:
            self.fields["lat"].widget.center = (first.center_lat, first.center_lng)
        self.fields["lat"].error_messages["required"] = _("请在地图上点选问题位置")
        self.fields["lng"].error_messages["required"] = _("请在地图上点选问题位置")


class DispatchForm(forms.Form):
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), label=_("承办部门"), empty_label=_("请选择")
    )

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


class ResolveForm(forms.Form):
    reply = forms.CharField(
        label=_("办理答复"),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.FileField(label=_("办结照片"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)
