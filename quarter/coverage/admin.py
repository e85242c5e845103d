"""Back office of coverage: imported networks and each community's last computation."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from quarter.coverage import (
    access,  # noqa: F401 - declares the back-office scopes
    services,
)
from quarter.coverage.models import CoverageRun, StreetNetwork


@admin.register(StreetNetwork)
class StreetNetworkAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "source_name",
        "node_count",
        "edge_count",
        "length_km",
        "imported_at",
        "imported_by",
    )
    search_fields = ("name", "source_name")
    exclude = ("data",)
    readonly_fields = (
        "name",
        "source_name",
        "source_sha256",
        "min_lat",
        "min_lng",
        "max_lat",
        "max_lng",
        "node_count",
        "edge_count",
        "length_km",
        "imported_at",
        "imported_by",
    )

    def has_add_permission(self, request):
        return False  # networks come from `quarter import-osm`


@admin.register(CoverageRun)
class CoverageRunAdmin(admin.ModelAdmin):
    list_display = ("community", "estimated", "network", "computed_at")
    list_filter = ("estimated",)
    readonly_fields = (
        "community",
        "network",
        "estimated",
        "fingerprint",
        "computed_at",
    )
    actions = ["recompute"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("重新计算步行可达性"))
    def recompute(self, request, queryset):
        for run in queryset.select_related("community"):
            services.refresh_community(actor=request.user, community=run.community)
        self.message_user(request, _("已重新计算"), messages.SUCCESS)
