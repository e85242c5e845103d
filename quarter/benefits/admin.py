"""Back office of 免申即享: read only; rules are written and switched on the
rules pages (`/benefits/rules/`), where the services check everything."""

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from quarter.benefits import access  # noqa: F401 - declares the back-office scopes
from quarter.benefits.models import (
    BenefitEvent,
    BenefitGrant,
    BenefitRule,
    BenefitRun,
    BenefitShortfall,
)
from quarter.core.admin_units import sentence
from quarter.core.money import format_yuan


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BenefitRule)
class BenefitRuleAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "state",
        "community",
        "district",
        "kind",
        "amount",
        "starts_on",
        "ends_on",
    )
    list_filter = ("state", "kind")
    search_fields = ("name",)

    @admin.display(description=_("每期金额"))
    def amount(self, obj):
        return format_yuan(
            obj.packet_face_fen if obj.kind == "voucher" else obj.relief_fen
        )


@admin.register(BenefitGrant)
class BenefitGrantAdmin(ReadOnlyAdmin):
    list_display = ("rule", "period", "resident", "merchant", "amount", "created_at")
    list_filter = ("kind", "period")
    readonly_fields = ("why",)
    exclude = ("person_key", "facts")

    @admin.display(description=_("金额"))
    def amount(self, obj):
        return format_yuan(obj.amount_fen)

    @admin.display(description=_("符合条件的事实"))
    def why(self, obj):
        return format_html_join(
            "", "<p>{}</p>", ((f.get("text", ""),) for f in obj.facts)
        )


@admin.register(BenefitShortfall)
class BenefitShortfallAdmin(ReadOnlyAdmin):
    list_display = (
        "rule",
        "period",
        "resident",
        "needed",
        "available",
        "last_seen_at",
        "resolved_at",
    )
    exclude = ("person_key",)

    @admin.display(description=_("需要"))
    def needed(self, obj):
        return format_yuan(obj.needed_fen)

    @admin.display(description=_("剩余预算"))
    def available(self, obj):
        return format_yuan(obj.available_fen)


@admin.register(BenefitRun)
class BenefitRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "finished_at",
        "granted",
        "already",
        "shortfalls",
        "waiting",
    )


@admin.register(BenefitEvent)
class BenefitEventAdmin(ReadOnlyAdmin):
    list_display = (sentence, "rule")
    list_filter = ("kind",)
