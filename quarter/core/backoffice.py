"""The back office (Django admin), limited to what each worker may touch.

One mechanism, not per-field patches: `QuarterAdminSite.register` gives every
ModelAdmin (and its inlines) `ScopedAdminMixin`, which runs through
`quarter.core.scope.limit`:

- the changelist, change, delete and history pages (`get_queryset`);
- every foreign-key and many-to-many choice, whatever the widget (select,
  autocomplete, raw id): the form field's queryset is limited, so a posted id
  outside the actor's reach is refused by form validation, server-side;
- every list filter that lists related objects (only related rows the actor
  can already see are offered);
- and, after a save, the saved row itself: a row that would fall outside the
  actor's reach is refused with 403 and the whole change rolled back.

A ModelAdmin may define `record_admin_change(request, obj, *, created, before,
after)` and `record_admin_delete(request, obj)` to audit its changes; the
mixin works out the before and after values of the changed fields and inlines.

Superusers see everything, issuers their district, operators their community.
Enable with `quarter.core.backoffice.QuarterAdminConfig` in INSTALLED_APPS in
place of `django.contrib.admin`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.filters import (
    RelatedFieldListFilter,
    RelatedOnlyFieldListFilter,
)
from django.contrib.admin.utils import get_fields_from_path
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from quarter.core import admin_units, scope


def _reach(request) -> scope.Reach:
    reach = getattr(request, "_quarter_reach", None)
    if reach is None:
        reach = scope.reach_of(request.user)
        request._quarter_reach = reach
    return reach


def _limit_formfield(formfield, request):
    if formfield is not None and hasattr(formfield, "queryset"):
        formfield.queryset = scope.limit(
            formfield.queryset, request.user, reach=_reach(request)
        )
    return formfield


def _jsonable(value):
    if isinstance(value, models.Model):
        return {"id": value.pk, "name": str(value)}
    if isinstance(value, (list, tuple, set)) or hasattr(value, "all"):
        items = value.all() if hasattr(value, "all") else value
        return [_jsonable(v) for v in items]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


def _field_value(obj, name: str):
    field = obj._meta.get_field(name)
    if field.many_to_many:
        return _jsonable(list(getattr(obj, name).all()))
    return _jsonable(getattr(obj, name))


def _model_fields(obj, names) -> list[str]:
    out = []
    for name in names:
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.concrete or field.many_to_many:
            out.append(name)
    return out


def _scoped_list_filter(model, item):
    """Replace a related-object list filter with one that lists only reachable rows."""
    if isinstance(item, str):
        path, cls = item, None
    elif isinstance(item, (tuple, list)) and len(item) == 2:
        path, cls = item
    else:
        return item  # a SimpleListFilter class: it builds its own choices
    try:
        last = get_fields_from_path(model, path)[-1]
    except (FieldDoesNotExist, Exception):  # noqa: BLE001 - left to admin checks
        return item
    related = last.is_relation and (
        cls is None
        or (isinstance(cls, type) and issubclass(cls, RelatedFieldListFilter))
    )
    if related:
        return (path, RelatedOnlyFieldListFilter)
    return item


class _PeopleUnits:
    """Show and take ¥, 折, % and HH:MM where the model stores fen, permille, minutes.

    Editable fields get the unit-aware form fields of `admin_units`; list
    columns and read-only fields (and every field of a view-only page) are
    replaced by a display that formats the stored value.
    """

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = admin_units.formfield_for(db_field, **kwargs)
        if field is not None:
            return field
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def _unit_readonly(self, request, obj, readonly) -> set[str]:
        units = admin_units.unit_fields(self.model)
        if not units:
            return set()
        if not self.has_change_permission(request, obj):
            return units
        return units & {name for name in readonly if isinstance(name, str)}

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        replaced = self._unit_readonly(request, obj, readonly)
        shown = [admin_units.display_for(self.model, n) for n in sorted(replaced)]
        # The raw names stay read-only (so no form field is made for them);
        # get_fields shows the formatted display in their place.
        extra = [n for n in sorted(replaced) if n not in readonly]
        if admin_units.has_change_json(self.model):
            extra += [n for n in ("before", "after") if n not in readonly]
            shown.append(admin_units.change_display(self.model))
        return tuple(readonly + extra + [c for c in shown if c not in readonly])

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        readonly = super().get_readonly_fields(request, obj)
        replaced = self._unit_readonly(request, obj, readonly)
        json_change = admin_units.has_change_json(self.model)
        out = []
        for name in fields:
            if isinstance(name, str) and name in replaced:
                name = admin_units.display_for(self.model, name)
            if json_change and name in ("before", "after"):
                name = admin_units.change_display(self.model)
            if name not in out:
                out.append(name)
        return out

    def get_list_display(self, request):
        units = admin_units.unit_fields(self.model)
        return [
            admin_units.display_for(self.model, name)
            if isinstance(name, str) and name in units
            else name
            for name in super().get_list_display(request)
        ]


class _ScopedFormfields(_PeopleUnits):
    """Limit the querysets and relation choices of a ModelAdmin or an inline."""

    def get_queryset(self, request):
        return scope.limit(
            super().get_queryset(request), request.user, reach=_reach(request)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _limit_formfield(
            super().formfield_for_foreignkey(db_field, request, **kwargs), request
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return _limit_formfield(
            super().formfield_for_manytomany(db_field, request, **kwargs), request
        )


class ScopedInlineMixin(_ScopedFormfields):
    """What `ScopedAdminMixin` does, for the inlines of a scoped ModelAdmin."""


# Fields that grant power: only a superuser may change them, whatever the model.
PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


_SCOPED_INLINES: dict[type, type] = {}


def _scoped_inline_class(cls: type) -> type:
    """The scoped subclass of an inline class, made once per class."""
    if cls not in _SCOPED_INLINES:
        _SCOPED_INLINES[cls] = type(
            cls.__name__, (ScopedInlineMixin, cls), {"__module__": cls.__module__}
        )
    return _SCOPED_INLINES[cls]


class ScopedAdminMixin(_ScopedFormfields):
    """Scope a ModelAdmin to the actor's communities or districts; audit its saves."""

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        names = {f.name for f in self.model._meta.get_fields()}
        return fields + tuple(
            f for f in PRIVILEGE_FIELDS if f in names and f not in fields
        )

    def get_list_filter(self, request):
        return [
            _scoped_list_filter(self.model, item)
            for item in super().get_list_filter(request)
        ]

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            if not isinstance(inline, ScopedInlineMixin):
                inline.__class__ = _scoped_inline_class(inline.__class__)
        return inlines

    def save_model(self, request, obj, form, change):
        names = _model_fields(obj, form.changed_data)
        before = {}
        if change and obj.pk is not None:
            old = type(obj)._default_manager.filter(pk=obj.pk).first()
            if old is not None:
                before = {name: _field_value(old, name) for name in names}
        form._quarter_audit = (names, before)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        # The form's choices are limited already; this also catches a row
        # whose own place is decided by something the form does not show.
        if not scope.reaches(request.user, obj, reach=_reach(request)):
            raise PermissionDenied("不能把记录改到您管辖的范围以外")
        names, before = getattr(form, "_quarter_audit", ([], {}))
        after = {name: _field_value(obj, name) for name in names}
        for formset in formsets:
            changes = _formset_changes(formset)
            if changes:
                key = formset.model._meta.model_name
                after[key] = changes
                before.setdefault(key, None)
        if (after or not change) and hasattr(self, "record_admin_change"):
            self.record_admin_change(
                request, obj, created=not change, before=before, after=after
            )

    def delete_model(self, request, obj):
        if hasattr(self, "record_admin_delete"):
            self.record_admin_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        if hasattr(self, "record_admin_delete"):
            for obj in queryset:
                self.record_admin_delete(request, obj)
        super().delete_queryset(request, queryset)


def _formset_changes(formset) -> dict:
    out = {}
    added = [str(o) for o in getattr(formset, "new_objects", [])]
    changed = [
        {"row": str(o), "fields": list(fields)}
        for o, fields in getattr(formset, "changed_objects", [])
    ]
    deleted = [str(o) for o in getattr(formset, "deleted_objects", [])]
    if added:
        out["added"] = added
    if changed:
        out["changed"] = changed
    if deleted:
        out["deleted"] = deleted
    return out


class QuarterAdminSite(admin.AdminSite):
    """The default admin site: every registered ModelAdmin is scoped."""

    site_header = _("一刻钟便民生活圈 · 社区后台")
    site_title = _("社区后台")
    index_title = _("今日待办")
    index_template = "admin/operator_home.html"

    def index(self, request, extra_context=None):
        """The operator home: what waits in their community, then every table."""
        from quarter.core.operator_home import tasks_for

        extra = {"tasks": tasks_for(request.user), **(extra_context or {})}
        return super().index(request, extra_context=extra)

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, ScopedAdminMixin):
            admin_class = type(
                admin_class.__name__,
                (ScopedAdminMixin, admin_class),
                {"__module__": admin_class.__module__},
            )
        return super().register(model_or_iterable, admin_class, **options)

    def check(self, app_configs):
        errors = list(super().check(app_configs))
        for model in unscoped_models(self):
            errors.append(
                checks.Error(
                    f"{model._meta.label} is in the back office without an access "
                    "scope; declare it with quarter.core.scope.declare().",
                    id="quarter.E001",
                )
            )
        return errors


def admin_models(site) -> set[type[models.Model]]:
    """Every model the site shows: registered ones, inlines, and their relations."""
    seen: set[type[models.Model]] = set()
    for model, model_admin in site._registry.items():
        seen.add(model)
        for inline in model_admin.inlines:
            seen.add(inline.model)
    for model in list(seen):
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model:
                seen.add(field.related_model)
    return seen


def unscoped_models(site) -> list[type[models.Model]]:
    return sorted(
        (m for m in admin_models(site) if not scope.is_declared(m)),
        key=lambda m: m._meta.label,
    )


class QuarterAdminConfig(AdminConfig):
    default_site = "quarter.core.backoffice.QuarterAdminSite"

    def ready(self):
        super().ready()
        _declare_framework_models()


def _declare_framework_models() -> None:
    """Django's own models in the back office: only superusers manage them."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    for model in (Group, Permission, ContentType):
        scope.declare(model, superuser_only=True)
