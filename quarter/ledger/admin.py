"""Read-only admin of the ledger: posted rows are never edited."""

from django.contrib import admin

from quarter.core import scope
from quarter.ledger.models import Account, Line, Transaction

# The platform's books: only superusers open them in the back office.
for _model in (Account, Line, Transaction):
    scope.declare(_model, superuser_only=True)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LineInline(admin.TabularInline):
    model = Line
    fields = ("account", "amount_fen")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(_ReadOnly):
    list_display = ("code", "name", "bucket", "role", "party", "is_outside")
    list_filter = ("role", "is_outside")
    search_fields = ("code", "name", "bucket", "party")


@admin.register(Transaction)
class TransactionAdmin(_ReadOnly):
    list_display = ("id", "kind", "key", "reference", "created_at")
    list_filter = ("kind",)
    search_fields = ("key", "reference")
    inlines = [LineInline]
