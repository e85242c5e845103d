"""Back office for accounts: ID numbers appear only masked, phones masked in lists."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from quarter.core.identity import mask_phone
from quarter.people import access  # noqa: F401 - declares the back-office scopes
from quarter.people.models import Household, Issuer, Operator, Resident, User

admin.site.register(User, UserAdmin)
admin.site.site_header = "一刻钟便民生活圈 · 社区后台"
admin.site.site_title = "Quarter"


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = (
        "real_name",
        "masked_phone",
        "id_masked",
        "household",
        "verified_at",
    )
    search_fields = ("real_name", "phone")
    exclude = ("id_hash",)
    readonly_fields = ("id_masked", "verified_at", "birth_date")
    list_select_related = ("household__compound",)

    @admin.display(description="手机号")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(household__compound__community__operators__user=request.user)


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ("compound", "address", "card_number")
    list_filter = ("compound__community", "compound")
    search_fields = ("address", "card_number")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(compound__community__operators__user=request.user)


admin.site.register(Operator)
admin.site.register(Issuer)
