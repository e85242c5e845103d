"""The back office keeps every worker inside their community or district.

The tests walk `admin.site._registry`: every registered ModelAdmin, each of its
inlines, and every foreign key and many-to-many field on them. The operator
and the issuer hold *every* model permission here, so only the scoping stands
between them and the other community.
"""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from quarter.core import scope
from quarter.core.backoffice import ScopedAdminMixin, unscoped_models
from quarter.places.models import (
    Community,
    Compound,
    CompoundEvent,
    Merchant,
    MerchantEvent,
    MerchantStaff,
)
from tests.access.worlds import build_two_worlds

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    a, b, root = build_two_worlds()
    perms = list(Permission.objects.all())
    for side in (a, b):
        for user in (side.world.operator_user, side.world.issuer_user):
            user.user_permissions.set(perms)
    return a, b, root


def _registry():
    return sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label)


def _url(model, view, *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _relations(model):
    return [
        f
        for f in model._meta.get_fields()
        if f.concrete and (f.many_to_one or f.one_to_one or f.many_to_many)
    ]


def _roles(a):
    return {"operator": a.world.operator_user, "issuer": a.world.issuer_user}


def test_every_registered_model_admin_is_scoped_and_every_reachable_model_declared():
    assert _registry(), "no ModelAdmin registered"
    for model, model_admin in _registry():
        assert isinstance(model_admin, ScopedAdminMixin), model
        scope.scope_of(model)  # raises when undeclared
    assert unscoped_models(admin.site) == []


@pytest.mark.parametrize("role", ["operator", "issuer"])
def test_changelist_of_every_model_shows_only_own_rows(two, client, role):
    a, b, _ = two
    user = _roles(a)[role]
    client.force_login(user)
    checked_visible = 0
    for model in admin.site._registry:
        resp = client.get(_url(model, "changelist"))
        declared = scope.scope_of(model)
        if declared.superuser_only and resp.status_code == 403:
            continue  # e.g. the personal-data access log: the page itself is closed
        assert resp.status_code == 200, (model, resp.status_code)
        cl = resp.context["cl"]
        shown = set(cl.queryset.values_list("pk", flat=True))
        assert not shown & b.rows_of(model), f"{model._meta.label} shows B's rows"
        if declared.superuser_only:
            assert shown == set(), model
        reachable = (
            bool(declared.community)
            if role == "operator"
            else bool(declared.district)
            or (bool(declared.community) and declared.issuers_via_community)
        )
        if reachable and not declared.superuser_only and a.rows_of(model):
            assert shown & a.rows_of(model), f"{model._meta.label} hides A's rows"
            checked_visible += 1
        for spec in cl.filter_specs:
            if isinstance(spec, RelatedFieldListFilter):
                offered = {str(pk) for pk, _label in spec.lookup_choices}
                other = {str(pk) for pk in b.rows_of(spec.field.related_model)}
                assert not offered & other, (model, spec.field_path)
    assert checked_visible >= 8


@pytest.mark.parametrize("role", ["operator", "issuer"])
def test_every_relation_choice_of_every_admin_and_inline_excludes_other_side(two, role):
    a, b, _ = two
    request = _request(_roles(a)[role])
    checked = 0
    for _model, model_admin in _registry():
        admins = [model_admin] + model_admin.get_inline_instances(request, None)
        for ma in admins:
            for field in _relations(ma.model):
                formfield = ma.formfield_for_dbfield(field, request)
                if formfield is None or not hasattr(formfield, "queryset"):
                    continue
                offered = set(formfield.queryset.values_list("pk", flat=True))
                assert not offered & b.rows_of(field.related_model), (
                    f"{ma.model._meta.label}.{field.name} offers B's rows"
                )
                checked += 1
    assert checked >= 30


def _form_data(response) -> dict:
    """The POST a browser would send back for the change page, unchanged."""
    ctx = response.context
    forms_ = [ctx["adminform"].form]
    data = {}
    for inline in ctx["inline_admin_formsets"]:
        formset = inline.formset
        mgmt = formset.management_form
        for name in mgmt.fields:
            data[mgmt.add_prefix(name)] = mgmt[name].value()
        forms_.extend(formset.forms)
    for form in forms_:
        for name, field in form.fields.items():
            key = form.add_prefix(name)
            value = form[name].value()
            if isinstance(field.widget, forms.CheckboxInput):
                if value:
                    data[key] = "on"
            elif isinstance(field, forms.SplitDateTimeField):
                if value:
                    data[f"{key}_0"] = value.strftime("%Y-%m-%d")
                    data[f"{key}_1"] = value.strftime("%H:%M:%S")
            elif isinstance(value, (list, tuple)):
                data[key] = [str(v) for v in value]
            elif value is not None:
                data[key] = str(value)
    data["_save"] = "保存"
    return data


@pytest.mark.parametrize("role", ["operator", "issuer"])
def test_post_pointing_any_relation_to_other_side_is_refused(two, client, role):
    a, b, _ = two
    user = _roles(a)[role]
    client.force_login(user)
    request = _request(user)
    tried = []
    for model, model_admin in _registry():
        for pk in sorted(a.rows_of(model))[:1]:
            obj = model._default_manager.get(pk=pk)
            if not scope.reaches(user, obj):
                continue  # not theirs to open: the change page says "no such row"
            if not model_admin.has_change_permission(request, obj):
                continue
            url = _url(model, "change", pk)
            page = client.get(url)
            assert page.status_code == 200, (model, page.status_code)
            form = page.context["adminform"].form
            base = _form_data(page)
            for name, field in form.fields.items():
                if not hasattr(field, "queryset"):
                    continue
                related = field.queryset.model
                foreign = sorted(b.rows_of(related))
                if not foreign:
                    continue
                data = dict(base)
                multiple = isinstance(field, forms.ModelMultipleChoiceField)
                data[name] = [str(foreign[0])] if multiple else str(foreign[0])
                before = _value(model, pk, name)
                resp = client.post(url, data)
                assert resp.status_code in (200, 403), (model, name, resp.status_code)
                assert _value(model, pk, name) == before, (model, name)
                tried.append(f"{model._meta.label}.{name}")
    # Moving a compound or a merchant is the attack of the issue; both are tried.
    assert "places.Compound.community" in tried, tried
    assert "places.Merchant.community" in tried
    assert len(tried) >= 5, tried


def _value(model, pk, name):
    obj = model._default_manager.get(pk=pk)
    field = model._meta.get_field(name)
    if field.many_to_many:
        return sorted(getattr(obj, name).values_list("pk", flat=True))
    return getattr(obj, field.attname)


def test_unchanged_post_of_a_change_form_saves(two, client):
    """The form data builder above sends a valid form, so refusals are real refusals."""
    a, _, _ = two
    client.force_login(a.world.operator_user)
    url = _url(Compound, "change", a.world.compound.pk)
    resp = client.post(url, _form_data(client.get(url)))
    assert resp.status_code == 302


def test_operator_cannot_add_staff_from_other_community_through_inline(two, client):
    a, b, _ = two
    client.force_login(a.world.operator_user)
    url = _url(Merchant, "change", a.world.shop.pk)
    data = _form_data(client.get(url))
    prefix = "staff"
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
    data[f"{prefix}-{total}-merchant"] = str(a.world.shop.pk)
    data[f"{prefix}-{total}-user"] = str(b.world.cashier.pk)
    data[f"{prefix}-{total}-role"] = "staff"
    resp = client.post(url, data)
    assert resp.status_code == 200
    assert not MerchantStaff.objects.filter(
        merchant=a.world.shop, user=b.world.cashier
    ).exists()


def test_operator_cannot_create_a_community_outside_their_reach(two, client):
    a, _, _ = two
    client.force_login(a.world.operator_user)
    resp = client.post(
        _url(Community, "add"),
        {
            "name": "新社区",
            "slug": "xin",
            "street_office": str(a.world.street.pk),
            "area_km2": "0.5",
            "center_lat": "30.2",
            "center_lng": "120.1",
            "_save": "保存",
        },
    )
    assert resp.status_code == 403
    assert not Community.objects.filter(slug="xin").exists()


def test_other_side_objects_are_not_reachable_by_url(two, client):
    a, b, _ = two
    client.force_login(a.world.operator_user)
    for obj in (b.world.compound, b.world.shop, b.world.community, b.resident):
        resp = client.get(_url(type(obj), "change", obj.pk))
        assert resp.status_code == 302  # "doesn't exist", back to the index
        assert client.post(_url(type(obj), "delete", obj.pk), {"post": "yes"})
        assert type(obj)._default_manager.filter(pk=obj.pk).exists()


def test_superuser_sees_both_sides(two, client):
    a, b, root = two
    client.force_login(root)
    resp = client.get(_url(Merchant, "changelist"))
    shown = set(resp.context["cl"].queryset.values_list("pk", flat=True))
    assert {a.world.shop.pk, b.world.shop.pk} <= shown


def test_admin_edit_of_merchant_is_audited_with_before_and_after(two, client):
    a, _, _ = two
    client.force_login(a.world.operator_user)
    url = _url(Merchant, "change", a.world.shop.pk)
    data = _form_data(client.get(url))
    old_name = a.world.shop.name
    data["name"] = "东河早餐店(新址)"
    assert client.post(url, data).status_code == 302
    event = MerchantEvent.objects.get(merchant=a.world.shop, kind="admin_changed")
    assert event.actor == a.world.operator_user
    assert event.before == {"name": old_name}
    assert event.after == {"name": "东河早餐店(新址)"}


def test_admin_edit_and_delete_of_compound_is_audited(two, client):
    a, _, _ = two
    client.force_login(a.world.operator_user)
    compound = a.world.compound
    url = _url(Compound, "change", compound.pk)
    data = _form_data(client.get(url))
    data["households"] = "120"
    assert client.post(url, data).status_code == 302
    event = CompoundEvent.objects.get(compound=compound, kind="changed")
    assert (event.before, event.after) == ({"households": 100}, {"households": 120})
    assert event.actor == a.world.operator_user
    spare = Compound.objects.create(
        community=a.world.community,
        name="空置小区",
        lat=30.2,
        lng=120.1,
        households=1,
        population=1,
    )
    resp = client.post(_url(Compound, "delete", spare.pk), {"post": "yes"})
    assert resp.status_code == 302 and not Compound.objects.filter(pk=spare.pk).exists()
    gone = CompoundEvent.objects.get(compound_name="空置小区", kind="deleted")
    assert gone.community_id == a.world.community.pk
    assert gone.before["households"] == 1


def test_operator_cannot_grant_superuser_or_staff_even_with_user_permissions(
    two, client
):
    a, _, _ = two
    client.force_login(a.world.operator_user)
    cashier = a.world.cashier
    url = _url(type(cashier), "change", cashier.pk)
    page = client.get(url)
    assert page.status_code == 200
    assert "is_superuser" not in page.context["adminform"].form.fields
    data = _form_data(page)
    data.update({"is_superuser": "on", "is_staff": "on"})
    client.post(url, data)
    cashier.refresh_from_db()
    assert not cashier.is_superuser and not cashier.is_staff


def test_audit_pages_say_what_changed_in_a_sentence(two, client):
    a, _, _ = two
    client.force_login(a.world.operator_user)
    url = _url(Compound, "change", a.world.compound.pk)
    data = _form_data(client.get(url))
    data["households"] = "120"
    client.post(url, data)
    page = client.get(_url(CompoundEvent, "changelist")).content.decode()
    assert "户数:100 → 120" in page


def test_autocomplete_lookup_offers_only_own_rows(two, client, monkeypatch):
    """Autocomplete answers from the target ModelAdmin's scoped queryset."""
    a, b, _ = two
    monkeypatch.setattr(
        admin.site._registry[Compound], "autocomplete_fields", ("community",)
    )
    monkeypatch.setattr(admin.site._registry[Community], "search_fields", ("name",))
    client.force_login(a.world.operator_user)
    resp = client.get(
        "/admin/autocomplete/",
        {"app_label": "places", "model_name": "compound", "field_name": "community"},
    )
    assert resp.status_code == 200
    ids = {int(r["id"]) for r in resp.json()["results"]}
    assert ids == {a.world.community.pk}
    assert b.world.community.pk not in ids
