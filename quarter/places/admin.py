"""Operators' back office for merchants: filters, search, admission with a reason.

Actions call the places services, which check that the operator belongs to the
merchant's community and record every change. What an operator sees and may
point to (their own communities only) is decided once for every ModelAdmin by
`quarter.core.backoffice` from the scopes in `places/access.py`; edits of a
merchant or a compound are recorded as events with before and after values.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from quarter.core.admin_units import sentence
from quarter.core.errors import DomainError
from quarter.places import (
    access,  # noqa: F401 - declares the back-office scopes
    events,
    services,
)
from quarter.places.hours import Span, check_spans
from quarter.places.models import (
    BusinessType,
    Community,
    Compound,
    CompoundEvent,
    District,
    Merchant,
    MerchantEvent,
    MerchantPhoto,
    MerchantService,
    MerchantStaff,
    OpeningException,
    OpeningHours,
    SearchLog,
    StreetOffice,
)


@admin.register(BusinessType)
class BusinessTypeAdmin(admin.ModelAdmin):
    list_display = ("name_zh", "name_en", "tier", "groupings", "code")
    list_filter = ("tier",)
    search_fields = ("name_zh", "name_en", "code", "keywords")


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("city", "name")


@admin.register(StreetOffice)
class StreetOfficeAdmin(admin.ModelAdmin):
    list_display = ("name", "district")


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("name", "street_office", "area_km2", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "kind", "households", "population")
    list_filter = ("community", "kind")
    search_fields = ("name",)

    def record_admin_change(self, request, obj, *, created, before, after):
        events.compound_changed(
            obj, actor=request.user, created=created, before=before, after=after
        )

    def record_admin_delete(self, request, obj):
        events.compound_deleted(
            obj,
            actor=request.user,
            before={
                "name": obj.name,
                "community": {"id": obj.community_id, "name": str(obj.community)},
                "households": obj.households,
                "population": obj.population,
            },
        )


@admin.register(CompoundEvent)
class CompoundEventAdmin(admin.ModelAdmin):
    list_display = (sentence, "compound_name", "community")
    list_filter = ("kind", "community")
    search_fields = ("compound_name",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "created_at",
        "compound",
        "compound_name",
        "community",
        "kind",
        "actor",
        "reason",
        "before",
        "after",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceInline(admin.TabularInline):
    model = MerchantService
    extra = 0


class PhotoInline(admin.TabularInline):
    model = MerchantPhoto
    extra = 0


class HoursFormSet(forms.BaseInlineFormSet):
    """Refuse spans of one day that overlap (周一 07:00-12:00 与 11:00-14:00)."""

    def clean(self):
        super().clean()
        spans = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            if None in (data.get("weekday"), data.get("open_minute")):
                continue
            if data.get("close_minute") is None:
                continue
            spans.append(
                Span(data["weekday"], data["open_minute"], data["close_minute"])
            )
        try:
            check_spans(spans)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None


class HoursInline(admin.TabularInline):
    """The week as rows of 星期 / 开门 / 关门 with HH:MM pickers."""

    model = OpeningHours
    formset = HoursFormSet
    extra = 0
    fields = ("weekday", "open_minute", "close_minute")


class ExceptionInline(admin.TabularInline):
    model = OpeningException
    extra = 0


class StaffInline(admin.TabularInline):
    model = MerchantStaff
    extra = 0
    raw_id_fields = ("user",)


class EventInline(admin.TabularInline):
    model = MerchantEvent
    extra = 0
    can_delete = False
    fields = (sentence,)
    readonly_fields = fields
    ordering = ("-created_at",)
    verbose_name_plural = _("审核与修改记录")

    def has_add_permission(self, request, obj=None):
        return False


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )


def _reason_action(service, title: str, done: str):
    def action(modeladmin, request, queryset):
        if "apply" in request.POST:
            form = ReasonForm(request.POST)
            if form.is_valid():
                ok, failures = 0, []
                # One transaction, one savepoint per shop: a refusal undoes only
                # that shop, and coverage refreshes every changed type once.
                with transaction.atomic():
                    for merchant in queryset.select_related("community"):
                        try:
                            with transaction.atomic():
                                service(
                                    actor=request.user,
                                    merchant=merchant,
                                    reason=form.cleaned_data["reason"],
                                )
                            ok += 1
                        except DomainError as exc:
                            failures.append(f"{merchant.name}:{exc.message}")
                if ok:
                    modeladmin.message_user(
                        request, f"{done} {ok} 家", messages.SUCCESS
                    )
                for failure in failures:
                    modeladmin.message_user(request, failure, messages.ERROR)
                return None
        else:
            form = ReasonForm()
        return TemplateResponse(
            request,
            "admin/places/merchant/reason.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": title,
                "form": form,
                "merchants": queryset,
                "action": request.POST.get("action"),
                "opts": modeladmin.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    action.short_description = title
    action.__name__ = f"{service.__name__}_action"
    return action


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "main_type",
        "tier",
        "community",
        "admission",
        "status",
        "card_rate",
        "is_chain",
        "updated_at",
    )
    list_filter = (
        "admission",
        "status",
        "main_type__tier",
        "main_type",
        "is_chain",
        "community",
    )
    search_fields = ("name", "address", "brand_name", "contact_person", "phone")
    list_select_related = ("main_type", "community")
    readonly_fields = (
        "admission",
        "status",
        "status_since",
        "status_until",
        "created_at",
        "updated_at",
    )
    inlines = [
        ServiceInline,
        PhotoInline,
        HoursInline,
        ExceptionInline,
        StaffInline,
        EventInline,
    ]
    actions = [
        _reason_action(services.approve_merchant, _("审核通过"), _("已通过")),
        _reason_action(services.reject_merchant, _("驳回申请"), _("已驳回")),
        _reason_action(services.suspend_merchant, _("暂停服务"), _("已暂停")),
        _reason_action(services.reinstate_merchant, _("恢复服务"), _("已恢复")),
        _reason_action(services.remove_merchant, _("清退"), _("已清退")),
    ]

    @admin.display(description=_("类别"), ordering="main_type__tier")
    def tier(self, obj):
        return obj.main_type.get_tier_display()

    @admin.display(description=_("大家卡"))
    def card_rate(self, obj):
        from quarter.core.money import format_discount

        return format_discount(obj.card_discount_permille)

    def save_model(self, request, obj, form, change):
        # Discounts keep the card rule even when edited here.
        services.check_card_rule(obj.card_discount_permille, obj.vip_discount_permille)
        super().save_model(request, obj, form, change)
        services.index_merchant(obj)

    def record_admin_change(self, request, obj, *, created, before, after):
        events.admin_changed(obj, actor=request.user, before=before, after=after)

    def has_delete_permission(self, request, obj=None):
        return False  # a merchant leaves the map by 清退, which keeps its history

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class CardRuleForm(form):
            def clean(self):
                data = super().clean()
                try:
                    services.check_card_rule(
                        data.get("card_discount_permille"),
                        data.get("vip_discount_permille"),
                    )
                except DomainError as exc:
                    raise forms.ValidationError(
                        {"card_discount_permille": exc.message}
                    ) from None
                return data

        return CardRuleForm


@admin.register(MerchantEvent)
class MerchantEventAdmin(admin.ModelAdmin):
    list_display = (sentence, "merchant")
    list_filter = ("kind",)
    search_fields = ("merchant__name", "reason")
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("merchant", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SearchLog)
class SearchLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "query", "result_count", "compound")
    list_filter = ("compound__community", "compound")
    search_fields = ("query",)
