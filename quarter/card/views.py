"""Pages of the community card: the rotating code, the printed household card.

The resident's card page itself is `people.views.my_card`; it refreshes its
QR from `card_code` with `static/card/card.js`. The till is the vouchers
app's (`vouchers.views.till_*`), which calls `card.payments`.
"""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from quarter.card import access, selectors, services
from quarter.card.forms import HouseholdSearchForm, PinForm
from quarter.core.errors import DomainError
from quarter.people.models import Household


@never_cache
@login_required
def card_code(request: HttpRequest) -> JsonResponse:
    """The card's current QR (a data URI), its token and the typed pay code."""
    resident = access.require_card_holder(request.user)
    return JsonResponse(selectors.card_code(resident=resident))


@login_required
def household_card(request: HttpRequest, household_id: int) -> HttpResponse:
    """Set or reset the printed card's PIN; link to the print page."""
    household = get_object_or_404(
        Household.objects.select_related("compound__community"), pk=household_id
    )
    access.require_household_card_manager(request.user, household)
    form = PinForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.set_card_pin(
                actor=request.user, household=household, pin=form.cleaned_data["pin"]
            )
            messages.success(request, _("家庭卡密码已设置"))
            return redirect("card:household", household_id=household.pk)
        except DomainError as exc:
            form.add_error("pin", exc.message)
    if form.errors:
        status = 400
    return render(
        request,
        "card/household.html",
        {
            "household": household,
            "form": form,
            "has_pin": selectors.has_pin(household=household),
            "members": selectors.list_card_members(household=household),
        },
        status=status,
    )


@login_required
def household_print(request: HttpRequest, household_id: int) -> HttpResponse:
    """The printable household card: A6, big type, the number and a static QR."""
    household = get_object_or_404(
        Household.objects.select_related("compound__community"), pk=household_id
    )
    access.require_household_card_manager(request.user, household)
    qr = segno.make_qr(household.card_number, error="m")
    return render(
        request,
        "card/print.html",
        {
            "household": household,
            "qr_uri": qr.svg_data_uri(scale=8, dark="#000"),
            "members": selectors.list_card_members(household=household),
        },
    )


@login_required
def households(request: HttpRequest) -> HttpResponse:
    """Operators find a household's card by number or 门牌 (their communities)."""
    access.require_card_operator(request.user)
    form = HouseholdSearchForm(request.GET or None)
    rows = access.households_managed_by(request.user).order_by(
        "compound__name", "address"
    )
    if form.is_valid() and form.cleaned_data["q"]:
        q = form.cleaned_data["q"].strip()
        rows = rows.filter(
            Q(card_number__iexact=q)
            | Q(address__icontains=q)
            | Q(compound__name__icontains=q)
        )
    return render(request, "card/households.html", {"form": form, "rows": rows[:50]})
