"""Back office of problem reporting: departments, categories (SLA), Open311 clients.

Operators edit their community's categories (deadline in hours, default
department) and departments, and create Open311 API keys (shown once, stored
hashed). Reports are read here; they are handled on their own pages
(/civic/reports/<id>/), through the services. What an operator sees is limited
by the scopes declared in `civic/access.py`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from quarter.civic import (
    access,  # noqa: F401 - declares the back-office scopes
    services,
)
from quarter.civic.models import ApiClient, Category, Department, Report, ReportEvent
from quarter.core import clock
from quarter.core.admin_units import sentence


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "district", "phone")
    search_fields = ("name",)
    filter_horizontal = ("staff",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "community", "department", "sla_hours", "active")
    list_editable = ("department", "sla_hours", "active")
    list_filter = ("community", "active")
    search_fields = ("name", "code", "keywords")


class ReportEventInline(admin.TabularInline):
    model = ReportEvent
    extra = 0
    can_delete = False
    fields = (sentence, "department")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "category",
        "status",
        "department",
        "created_at",
        "deadline_at",
        "page",
    )
    list_filter = ("status", "category", "community")
    date_hierarchy = "created_at"
    inlines = [ReportEventInline]
    # The closed loop is changed only through the services (the report's page);
    # who reported is not shown here (the report's page shows it to those who may).
    fields = (
        "community",
        "category",
        "status",
        "department",
        "description",
        "address",
        "lat",
        "lng",
        "photo",
        "merchant",
        "deadline_at",
        "reply",
        "reply_photo",
        "reject_reason",
        "reopen_count",
        "escalated_at",
        "created_at",
        "resolved_at",
        "closed_at",
        "source",
    )
    readonly_fields = fields

    @admin.display(description=_("办理页面"))
    def page(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("civic:report_detail", args=[obj.pk]),
            _("打开"),
        )

    def has_add_permission(self, request):
        return False


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("name", "community", "key_prefix", "active", "last_used_at")
    list_filter = ("active",)
    fields = ("name", "community", "active", "key_prefix", "created_at", "last_used_at")
    readonly_fields = ("key_prefix", "created_at", "last_used_at")

    def save_model(self, request, obj, form, change):
        if not change:
            key, prefix, digest = services.new_api_key()
            obj.key_prefix, obj.key_hash = prefix, digest
            obj.created_at = clock.now()
            messages.warning(
                request,
                _("接口密钥(只显示这一次,请立即复制保存):%(key)s") % {"key": key},
            )
        super().save_model(request, obj, form, change)
