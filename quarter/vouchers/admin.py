"""Back office of vouchers: read mostly; every change goes through a service."""

from django.contrib import admin, messages

from quarter.core.admin_units import sentence
from quarter.core.errors import DomainError
from quarter.vouchers import access  # noqa: F401 - declares the back-office scopes
from quarter.vouchers.models import (
    Campaign,
    Claim,
    MerchantPledge,
    Redemption,
    Round,
    RoundCoupon,
    Settlement,
    Voucher,
    VoucherEvent,
)
from quarter.vouchers.services import redemptions


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RoundCouponInline(admin.TabularInline):
    model = RoundCoupon
    extra = 0
    can_delete = False
    readonly_fields = ("face_fen", "threshold_fen", "count", "business_type")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ("name", "issuer", "budget_fen", "created_at")
    search_fields = ("name",)


@admin.register(Round)
class RoundAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "campaign",
        "release_at",
        "packets_total",
        "packet_face_fen",
        "status",
        "sold_out_at",
    )
    list_filter = ("status", "mode")
    inlines = [RoundCouponInline]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ("round", "resident", "engine", "claimed_at")
    list_filter = ("engine",)
    raw_id_fields = ("resident",)


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "resident",
        "face_fen",
        "threshold_fen",
        "status",
        "valid_until",
    )
    list_filter = ("status",)


@admin.action(description="放行所选待审核销(理由:后台批量审核)")
def release_held(modeladmin, request, queryset):
    _review(request, queryset, release=True)


@admin.action(description="驳回所选待审核销(理由:后台批量审核)")
def reject_held(modeladmin, request, queryset):
    _review(request, queryset, release=False)


def _review(request, queryset, *, release: bool):
    done = 0
    for r in queryset.filter(status="held").order_by("pk"):
        try:
            redemptions.review_redemption(
                actor=request.user, redemption=r, release=release, reason="后台批量审核"
            )
            done += 1
        except DomainError as exc:
            messages.error(request, f"#{r.pk}: {exc.message}")
    messages.success(request, f"已处理 {done} 笔")


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ("id", "merchant", "bill_fen", "face_fen", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("merchant__name", "key")
    actions = [release_held, reject_held]


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ("merchant", "business_date", "count", "amount_fen", "created_at")
    date_hierarchy = "business_date"


@admin.register(MerchantPledge)
class MerchantPledgeAdmin(ReadOnlyAdmin):
    list_display = ("campaign", "merchant", "signed_at")


@admin.register(VoucherEvent)
class VoucherEventAdmin(ReadOnlyAdmin):
    list_display = (sentence, "campaign", "round")
    list_filter = ("kind",)
