"""The back office's view of the board: lists with filters and search, read-only.

Decisions (publish, approve, reject, answer) go through the board's desk page
(`/board/desk/`), which calls the services that check the operator's community,
keep the history and notify people; the admin lists here never write, so no
edit can skip those. What an operator sees is scoped by `quarter.core.backoffice`
from the declarations in `board/access.py`.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from quarter.board import access  # noqa: F401 - declares the back-office scopes
from quarter.board.models import JobPost, Notice, Suggestion, SuggestionAnswer
from quarter.core.money import format_yuan


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = (
        "title",
        "kind",
        "status",
        "pinned",
        "community",
        "merchant",
        "publish_at",
        "expire_at",
    )
    list_filter = ("status", "kind", "pinned", "community")
    search_fields = ("title", "body")
    date_hierarchy = "created_at"


@admin.register(JobPost)
class JobPostAdmin(ReadOnlyAdmin):
    list_display = ("title", "merchant", "pay", "status", "expires_on", "community")
    list_filter = ("status", "pay_unit", "community")
    search_fields = ("title", "merchant__name")

    @admin.display(description=_("薪资"))
    def pay(self, obj):
        return (
            f"{format_yuan(obj.pay_min_fen)}–{format_yuan(obj.pay_max_fen)}"
            f"/{obj.get_pay_unit_display()}"
        )


class AnswerInline(admin.TabularInline):
    model = SuggestionAnswer
    extra = 0
    can_delete = False
    fields = ("created_at", "status_before", "status", "reply", "actor")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "category", "status", "community", "created_at")
    list_filter = ("status", "category", "community")
    search_fields = ("text",)
    date_hierarchy = "created_at"
    inlines = [AnswerInline]
