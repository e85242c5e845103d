"""Pages of the community business map; thin: parse, call a selector, render."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quarter.core import clock, numbers
from quarter.core.errors import DomainError
from quarter.coverage.walking import walk_to, walks_from
from quarter.places import access, everyday, intent, selectors, services
from quarter.places.forms import (
    ApplicationForm,
    DiscountForm,
    ExceptionForm,
    ProfileForm,
    ServicesForm,
    StatusForm,
    WeekHoursForm,
)
from quarter.places.hours import hours_by_day, is_open_at
from quarter.places.models import Merchant, Tier


def _resident_origin(request: HttpRequest):
    """Where the resident stands: their compound if known, else the first community."""
    resident = (
        getattr(request.user, "resident", None)
        if request.user.is_authenticated
        else None
    )
    compound = resident.compound if resident is not None else None
    if compound is not None:
        return compound, (compound.lat, compound.lng)
    return None, None


def home(request: HttpRequest) -> HttpResponse:
    compound, origin = _resident_origin(request)
    intent.warm_up_in_background()  # its search box's first query needs jieba
    types = selectors.list_business_types()
    nearby = (
        selectors.search_merchants(origin=origin, sort="distance", limit=8)
        if origin
        else selectors.search_merchants(limit=8)
    )
    if compound is not None:
        walks = walks_from(
            compound,
            {h.merchant.pk: (h.merchant.lat, h.merchant.lng) for h in nearby.hits},
        )
        for hit in nearby.hits:
            hit.walk = walks.get(hit.merchant.pk)
    return render(
        request,
        "places/home.html",
        {
            "basic_types": [t for t in types if t.tier == Tier.BASIC],
            "quality_types": [t for t in types if t.tier == Tier.QUALITY],
            "public_types": [t for t in types if t.tier == Tier.PUBLIC],
            "nearby": nearby.hits,
            "compound": compound,
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    """The resident's search: everyday words, their 15-minute area first."""
    compound, origin = _resident_origin(request)
    query = request.GET.get("q", "")
    if not query:
        intent.warm_up_in_background()
    error = None
    result = None
    at_home = compound  # walking minutes on the streets from the resident's home
    try:
        lat = numbers.query_value(request.GET, "lat", numbers.parse_latitude)
        lng = numbers.query_value(request.GET, "lng", numbers.parse_longitude)
        if lat is not None and lng is not None:
            origin, at_home = (lat, lng), None
        distance = numbers.query_value(
            request.GET,
            "distance",
            numbers.parse_float,
            minimum=1,
            maximum=50_000,
            label=_("距离"),
        )
        result = everyday.find_merchants(
            query=query,
            origin=origin,
            compound=at_home,
            radius_m=distance,
            scope=request.GET.get("scope") or "near",
            type_code=request.GET.get("type") or None,
            tier=request.GET.get("tier") or None,
            open_now=bool(request.GET.get("open_now")),
            limit=20,
        )
        services.log_search(
            actor=request.user,
            query=query,
            result_count=result.total,
            compound=compound,
        )
    except DomainError as exc:
        error = exc
    params = request.GET.copy()
    params["scope"] = "all"
    context = {
        "query": query,
        "result": result,
        "error": error,
        "origin": origin,
        "compound": compound,
        "types": selectors.list_business_types(),
        "tiers": Tier.choices,
        "params": request.GET,
        "wider_url": f"{request.path}?{params.urlencode()}",
    }
    template = (
        "places/_results.html"
        if request.headers.get("HX-Request")
        else "places/search.html"
    )
    return render(request, template, context, status=400 if error else 200)


def merchant_detail(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = selectors.get_listed_merchant(merchant_id=merchant_id)
    compound, _origin = _resident_origin(request)
    walk = walk_to(compound, merchant.lat, merchant.lng) if compound else None
    return render(
        request,
        "places/merchant.html",
        {
            "merchant": merchant,
            "open_now": is_open_at(merchant, clock.local_now()),
            "hours": hours_by_day(merchant),
            "upcoming_exceptions": [
                e
                for e in merchant.exceptions.all()
                if e.date >= clock.local_now().date()
            ][:10],
            "walk": walk,
            "compound": compound,
            "merchant_json": {
                "name": merchant.name,
                "lat": merchant.lat,
                "lng": merchant.lng,
            },
            "reviews": _reviews_summary(merchant, request.user),
        },
    )


def _reviews_summary(merchant, user) -> dict | None:
    """Ratings and stars from quarter.reviews, when that app is installed."""
    if not apps.is_installed("quarter.reviews"):
        return None
    from quarter.reviews.selectors import get_merchant_summary

    return get_merchant_summary(merchant=merchant, actor=user)


def map_page(request: HttpRequest) -> HttpResponse:
    communities = list(selectors.list_communities())
    slug = request.GET.get("community")
    community = next((c for c in communities if c.slug == slug), None) or (
        communities[0] if communities else None
    )
    compounds = selectors.list_compounds(community=community) if community else []
    return render(
        request,
        "places/map.html",
        {
            "communities": communities,
            "community": community,
            "compounds_json": [
                {"name": c.name, "lat": c.lat, "lng": c.lng, "households": c.households}
                for c in compounds
            ],
        },
    )


def map_data(request: HttpRequest) -> JsonResponse:
    slug = request.GET.get("community")
    community = selectors.get_community(slug=slug) if slug else None
    rows = selectors.list_map_merchants(community=community)
    compound, _origin = _resident_origin(request)
    if compound is not None:
        walks = walks_from(compound, {r["id"]: (r["lat"], r["lng"]) for r in rows})
        for row in rows:
            walk = walks[row["id"]]
            row["walk_minutes"] = walk.adult_minutes
            row["elderly_walk_minutes"] = walk.elderly_minutes
            row["walk_estimated"] = walk.estimated
            row["walk_label"] = walk.label()
    if apps.is_installed("quarter.reviews"):
        from quarter.reviews.selectors import add_stars

        rows = add_stars(rows)
    return JsonResponse({"merchants": rows})


@login_required
def apply(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = form.to_input()
            merchant = services.apply_for_admission(
                actor=request.user,
                application=application,
                photos=form.cleaned_data["photos"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("申请已提交,社区审核后将在地图上显示。"))
            return redirect("console_merchant", merchant_id=merchant.id)
    centers = {c.id: (c.center_lat, c.center_lng) for c in selectors.list_communities()}
    return render(
        request,
        "places/apply.html",
        {"form": form, "community_centers": centers},
        status=400 if form.errors else 200,
    )


@login_required
def console(request: HttpRequest) -> HttpResponse:
    merchants = list(selectors.list_merchants_for_staff(user=request.user))
    if len(merchants) == 1:
        return redirect("console_merchant", merchant_id=merchants[0].id)
    return render(request, "places/console_list.html", {"merchants": merchants})


def _own_merchant(request, merchant_id) -> Merchant:
    merchant = get_object_or_404(
        Merchant.objects.select_related("main_type", "community"), pk=merchant_id
    )
    access.require_staff_of(request.user, merchant)  # a 403 page otherwise
    return merchant


def _console_context(merchant, **forms):
    from quarter.core.money import format_discount

    initial_hours, periods = WeekHoursForm.initial_for(list(merchant.hours.all()))
    initial_services, service_rows = ServicesForm.initial_for(
        list(merchant.services.all())
    )
    ctx = {
        "merchant": merchant,
        "discount_form": DiscountForm(
            initial={
                "card_discount": format_discount(
                    merchant.card_discount_permille
                ).removesuffix("折"),
                "vip_discount": format_discount(
                    merchant.vip_discount_permille
                ).removesuffix("折"),
            }
        ),
        "services_form": ServicesForm(initial=initial_services, rows=service_rows),
        "hours_form": WeekHoursForm(initial=initial_hours, periods=periods),
        "status_form": StatusForm(
            initial={"status": merchant.status, "until": merchant.status_until}
        ),
        "profile_form": ProfileForm(
            initial={f: getattr(merchant, f) for f in ProfileForm.base_fields}
        ),
        "exception_form": ExceptionForm(),
        "exceptions": merchant.exceptions.filter(date__gte=clock.local_now().date()),
        "events": merchant.events.select_related("actor")[:20],
    }
    ctx.update({k: v for k, v in forms.items() if v is not None})
    return ctx


@login_required
def console_merchant(request: HttpRequest, merchant_id: int) -> HttpResponse:
    merchant = _own_merchant(request, merchant_id)
    return render(request, "places/console.html", _console_context(merchant))


def _console_post(request, merchant_id, form_class, form_key, apply_change):
    merchant = _own_merchant(request, merchant_id)
    form = form_class(request.POST, **_form_options(form_class, request.POST))
    if form.is_valid():
        try:
            apply_change(merchant, form.to_input().kwargs())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已保存"))
            return redirect("console_merchant", merchant_id=merchant.id)
    merchant.refresh_from_db()
    return render(
        request,
        "places/console.html",
        _console_context(merchant, **{form_key: form}),
        status=400,
    )


def _form_options(form_class, data) -> dict:
    """The hours editor keeps as many period rows as were posted."""
    if form_class is ServicesForm:
        posted = [k for k in data if k.startswith("s") and k.endswith("_name")]
        return {"rows": min(max(len(posted), ServicesForm.EXTRA), 200)}
    if form_class is not WeekHoursForm:
        return {}
    posted = [k for k in data if k.startswith("d0_open")]
    return {"periods": min(max(len(posted), WeekHoursForm.PERIODS), 4)}


@login_required
@require_POST
def console_discounts(request: HttpRequest, merchant_id: int) -> HttpResponse:
    def change(merchant, data):
        services.set_merchant_discounts(actor=request.user, merchant=merchant, **data)

    return _console_post(request, merchant_id, DiscountForm, "discount_form", change)


@login_required
@require_POST
def console_hours(request: HttpRequest, merchant_id: int) -> HttpResponse:
    def change(merchant, data):
        services.set_weekly_spans(actor=request.user, merchant=merchant, **data)

    return _console_post(request, merchant_id, WeekHoursForm, "hours_form", change)


@login_required
@require_POST
def console_services(request: HttpRequest, merchant_id: int) -> HttpResponse:
    def change(merchant, data):
        services.set_merchant_services(actor=request.user, merchant=merchant, **data)

    return _console_post(request, merchant_id, ServicesForm, "services_form", change)


@login_required
@require_POST
def console_photos(request: HttpRequest, merchant_id: int) -> HttpResponse:
    """Add photos (`photos` files) or take one off (`remove` = its id)."""
    merchant = _own_merchant(request, merchant_id)
    remove = [int(v) for v in request.POST.getlist("remove") if v.isdigit()]
    try:
        services.change_merchant_photos(
            actor=request.user,
            merchant=merchant,
            add=request.FILES.getlist("photos"),
            remove_ids=remove,
        )
    except DomainError as exc:
        merchant.refresh_from_db()
        ctx = _console_context(merchant)
        ctx["photos_error"] = exc.message
        return render(request, "places/console.html", ctx, status=400)
    messages.success(request, _("照片已更新"))
    return redirect("console_merchant", merchant_id=merchant.id)


@login_required
@require_POST
def console_status(request: HttpRequest, merchant_id: int) -> HttpResponse:
    def change(merchant, data):
        services.set_merchant_status(actor=request.user, merchant=merchant, **data)

    return _console_post(request, merchant_id, StatusForm, "status_form", change)


@login_required
@require_POST
def console_profile(request: HttpRequest, merchant_id: int) -> HttpResponse:
    def change(merchant, data):
        services.update_merchant_profile(actor=request.user, merchant=merchant, **data)

    return _console_post(request, merchant_id, ProfileForm, "profile_form", change)


@login_required
@require_POST
def console_exception(request: HttpRequest, merchant_id: int) -> HttpResponse:
    def change(merchant, data):
        services.add_opening_exception(actor=request.user, merchant=merchant, **data)

    return _console_post(request, merchant_id, ExceptionForm, "exception_form", change)
