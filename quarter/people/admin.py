"""Back office for accounts and the resident register.

ID numbers appear only masked; phones are masked on every list and detail,
and a "显示" link reveals one number after the operator gives a reason (the
reveal is written to the access log). The register is imported from a
roster file through a preview (see `people.register`), and a registered
person can be marked as moved away.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt

from quarter.core import uploads
from quarter.core.admin_units import sentence
from quarter.core.clientip import client_ip
from quarter.core.errors import DomainError
from quarter.core.fields import SafeModelChoiceField
from quarter.core.identity import mask_phone
from quarter.people import access, privacy, register
from quarter.people.models import (
    AccessLog,
    Household,
    Issuer,
    Operator,
    Planner,
    RegisterEntry,
    RegisterEvent,
    RegisterImport,
    Resident,
    User,
)
from quarter.people.roster import too_large

admin.site.site_header = "一刻钟便民生活圈 · 社区后台"
admin.site.site_title = "Quarter"


@admin.register(User)
class QuarterUserAdmin(UserAdmin):
    # Residents' usernames are their phone numbers: masked in the list.
    list_display = ("account", "first_name", "is_staff", "is_active")

    @admin.display(description=_("用户名"), ordering="username")
    def account(self, obj):
        return str(obj)

    def _is_phone_login(self, obj) -> bool:
        return obj is not None and str(obj) != obj.username

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._is_phone_login(obj):
            return fieldsets
        # A phone-number login is shown masked and cannot be edited here.
        return [
            (
                name,
                {
                    **opts,
                    "fields": tuple(
                        "account" if f == "username" else f for f in opts["fields"]
                    ),
                },
            )
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "account") if self._is_phone_login(obj) else fields


class RevealReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("查看原因"),
        max_length=200,
        help_text=_("将记入个人信息访问记录,如:电话联系核实住址"),
    )


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = (
        "real_name",
        "phone_with_reveal",
        "id_masked",
        "household",
        "on_register",
        "verified_at",
    )
    search_fields = ("real_name", "phone")
    fields = (
        "real_name",
        "phone_with_reveal",
        "id_masked",
        "birth_year",
        "household",
        "register_entry",
        "verified_at",
    )
    readonly_fields = fields
    list_select_related = ("household__compound",)

    @admin.display(description=_("手机号"))
    def phone_with_reveal(self, obj):
        url = reverse("admin:people_resident_reveal_phone", args=[obj.pk])
        return format_html(
            '{} <a class="reveal-phone" href="{}">{}</a>',
            mask_phone(obj.phone),
            url,
            _("显示"),
        )

    @admin.display(description=_("在册"), boolean=True)
    def on_register(self, obj):
        return bool(obj.register_entry_id)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(household__compound__community__operators__user=request.user)

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/phone/",
                self.admin_site.admin_view(self.reveal_phone_view),
                name="people_resident_reveal_phone",
            ),
            *super().get_urls(),
        ]

    def reveal_phone_view(self, request, pk):
        resident = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, resident):
            raise DjangoPermissionDenied
        form = RevealReasonForm(request.POST or None)
        phone = None
        if request.method == "POST" and form.is_valid():
            try:
                phone = privacy.reveal_phone(
                    actor=request.user,
                    resident=resident,
                    reason=form.cleaned_data["reason"],
                    ip=client_ip(request),
                )
            except DomainError as exc:
                form.add_error("reason" if exc.field == "reason" else None, exc.message)
        context = {
            **self.admin_site.each_context(request),
            "title": _("显示手机号"),
            "resident": resident,
            "masked": mask_phone(resident.phone),
            "phone": phone,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/people/reveal_phone.html", context)


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


class RegisterUploadForm(forms.Form):
    community = SafeModelChoiceField(label=_("社区"), queryset=None)
    file = forms.FileField(
        label=_("名册文件"),
        help_text=_(
            "CSV 或 Excel(.xlsx),表头为:姓名、身份证号、小区、门牌。"
            "文件只在内存中读取,不保存。"
        ),
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        if communities.count() == 1:
            self.fields["community"].initial = communities.first()


class MoveAwayForm(forms.Form):
    reason = forms.CharField(
        label=_("迁出原因"), max_length=200, help_text=_("如:已搬离本社区(2026年11月)")
    )


@admin.register(RegisterEntry)
class RegisterEntryAdmin(admin.ModelAdmin):
    change_list_template = "admin/people/registerentry/change_list.html"
    list_display = (
        "name",
        "id_masked",
        "compound",
        "address",
        "status",
        "bound",
        "move_away_link",
    )
    list_filter = ("status", "compound")
    search_fields = ("name", "address")
    list_select_related = ("compound",)
    fields = (
        "name",
        "id_masked",
        "birth_year",
        "community",
        "compound",
        "address",
        "status",
        "moved_away_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("已实名绑定"), boolean=True)
    def bound(self, obj):
        return hasattr(obj, "resident")

    @admin.display(description=_("操作"))
    def move_away_link(self, obj):
        if not obj.is_active:
            return ""
        url = reverse("admin:people_registerentry_move_away", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("标记迁出"))

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("resident")
        if request.user.is_superuser:
            return qs
        return qs.filter(community__in=access.operator_communities(request.user))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "import/",
                _roster_in_memory(self.admin_site.admin_view(self.import_view)),
                name="people_registerentry_import",
            ),
            path(
                "import/<int:batch_id>/",
                self.admin_site.admin_view(self.import_preview_view),
                name="people_registerentry_import_preview",
            ),
            path(
                "<int:pk>/move-away/",
                self.admin_site.admin_view(self.move_away_view),
                name="people_registerentry_move_away",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            **extra,
        }

    def _require_change(self, request):
        if not self.has_change_permission(request):
            raise DjangoPermissionDenied

    def import_view(self, request):
        self._require_change(request)
        communities = access.operator_communities(request.user)
        form = RegisterUploadForm(
            request.POST or None, request.FILES or None, communities=communities
        )
        status = 200
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = register.preview_register_import(
                    actor=request.user,
                    community=form.cleaned_data["community"],
                    data=_read_upload(upload),
                    filename=upload.name,
                    ip=client_ip(request),
                )
            except DomainError as exc:
                form.add_error("file" if exc.field == "file" else None, exc.message)
            else:
                return redirect(
                    "admin:people_registerentry_import_preview", batch_id=batch.pk
                )
        if form.errors:
            status = 400
        return TemplateResponse(
            request,
            "admin/people/register_import.html",
            self._context(request, title=_("导入居民名册"), form=form),
            status=status,
        )

    def import_preview_view(self, request, batch_id):
        self._require_change(request)
        batch = get_object_or_404(
            RegisterImport.objects.filter(
                community__in=access.operator_communities(request.user)
            ),
            pk=batch_id,
        )
        if request.method == "POST":
            try:
                if "discard" in request.POST:
                    register.discard_register_import(actor=request.user, batch=batch)
                    messages.info(request, _("已放弃这次导入,名册没有变化"))
                    return redirect("admin:people_registerentry_import")
                batch = register.commit_register_import(actor=request.user, batch=batch)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("名册已导入:新增 %(created)s 人,更新 %(updated)s 人")
                    % batch.counts,
                )
                return redirect("admin:people_registerentry_changelist")
        rows = batch.rows
        shown = [r for r in rows if r["outcome"] != register.NEW]
        shown += [r for r in rows if r["outcome"] == register.NEW][:200]
        counts = batch.counts
        return TemplateResponse(
            request,
            "admin/people/register_preview.html",
            self._context(
                request,
                title=_("确认导入居民名册"),
                batch=batch,
                rows=sorted(shown, key=lambda r: r["line"]),
                labels=register.OUTCOME_LABELS,
                new=counts.get(register.NEW, 0),
                update=counts.get(register.UPDATE, 0),
                unchanged=counts.get(register.UNCHANGED, 0),
                errors=counts.get(register.ERROR, 0),
                hidden_new=max(counts.get(register.NEW, 0) - 200, 0),
            ),
        )

    def move_away_view(self, request, pk):
        self._require_change(request)
        entry = get_object_or_404(self.get_queryset(request), pk=pk)
        form = MoveAwayForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                register.mark_moved_away(
                    actor=request.user, entry=entry, reason=form.cleaned_data["reason"]
                )
            except DomainError as exc:
                form.add_error("reason" if exc.field == "reason" else None, exc.message)
            else:
                messages.success(
                    request, _("已将 %(name)s 标记为迁出") % {"name": entry.name}
                )
                return redirect("admin:people_registerentry_changelist")
        return TemplateResponse(
            request,
            "admin/people/move_away.html",
            self._context(request, title=_("标记迁出"), entry=entry, form=form),
            status=400 if form.errors else 200,
        )


def _roster_in_memory(view):
    """Swap the upload handlers before CSRF checking reads the request body."""

    @csrf_exempt  # the wrapped admin view still runs csrf_protect itself
    def wrapper(request, *args, **kwargs):
        uploads.keep_uploads_in_memory(request)
        return view(request, *args, **kwargs)

    return wrapper


def _read_upload(upload) -> bytes:
    """Read an upload into memory, refusing more than the configured size."""
    limit = settings.QUARTER_REGISTER_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise too_large(limit)
    return upload.read(limit + 1)


@admin.register(RegisterEvent)
class RegisterEventAdmin(admin.ModelAdmin):
    list_display = (sentence, "entry")
    list_filter = ("kind",)

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("entry__compound", "actor")
        if request.user.is_superuser:
            return qs
        return qs.filter(community__in=access.operator_communities(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only, for the administrator: who viewed or exported personal data."""

    list_display = (sentence, "ip")
    list_filter = ("action", "data")
    search_fields = ("subject", "reason")
    date_hierarchy = "created_at"

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Operator)
admin.site.register(Issuer)
admin.site.register(Planner)
