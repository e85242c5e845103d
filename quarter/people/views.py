"""Account pages: sign up, log in (rate-limited), real-name, my community card."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from quarter.core.errors import DomainError
from quarter.people import services
from quarter.people.errors import PeopleErrorCode
from quarter.people.forms import LoginForm, RealNameForm, SignUpForm


class LoginView(auth_views.LoginView):
    """Log in; a throttled source gets 429 and the wait (quarter.people.throttle)."""

    template_name = "people/login.html"
    authentication_form = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if any(
            e.code == PeopleErrorCode.TOO_MANY_LOGIN_ATTEMPTS
            for e in form.non_field_errors().as_data()
        ):
            response.status_code = 429
        return response


def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.sign_up_resident(**form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            login(
                request,
                resident.user,
                backend="django.contrib.auth.backends.ModelBackend",
            )
            return redirect("real_name")
    return render(
        request,
        "people/signup.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
def real_name(request: HttpRequest) -> HttpResponse:
    form = RealNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.verify_real_name(
                    actor=request.user, name=data["name"], id_number=data["id_number"]
                )
                services.join_household(
                    actor=request.user,
                    compound=data["compound"],
                    address=data["address"],
                )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("实名认证完成"))
            return redirect("my_card")
    return render(
        request,
        "people/real_name.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
def my_card(request: HttpRequest) -> HttpResponse:
    resident = getattr(request.user, "resident", None)
    qr_svg = None
    if resident is not None and resident.household_id:
        qr = segno.make_qr(f"QUARTER-CARD:{resident.household.card_number}", error="m")
        qr_svg = qr.svg_inline(scale=6, dark="#1a1a1a")
    return render(request, "people/card.html", {"resident": resident, "qr_svg": qr_svg})
