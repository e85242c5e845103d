"""Account pages: sign up, log in (rate-limited), real-name, my community card."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from quarter.core.clientip import client_ip
from quarter.core.errors import DomainError
from quarter.people import phone_codes, services
from quarter.people.errors import PeopleErrorCode
from quarter.people.forms import LoginForm, RealNameForm, SignUpForm
from quarter.referrals import services as referrals


class LoginView(auth_views.LoginView):
    """Log in; a throttled source gets 429 and the wait (quarter.people.throttle)."""

    template_name = "people/login.html"
    authentication_form = LoginForm

    def get_success_url(self):
        # A `next` address wins; otherwise each role's daily page (landing.py).
        from quarter.people.landing import landing_url

        return self.get_redirect_url() or landing_url(self.request.user)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if any(
            e.code == PeopleErrorCode.TOO_MANY_LOGIN_ATTEMPTS
            for e in form.non_field_errors().as_data()
        ):
            response.status_code = 429
        return response


def signup(request: HttpRequest) -> HttpResponse:
    """Sign up with phone, SMS code and password; "获取验证码" sends the code."""
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if "send_code" in request.POST:
                phone_codes.send_phone_code(phone=data["phone"], ip=client_ip(request))
                messages.info(request, _("验证码已发送,5分钟内有效"))
            else:
                resident = services.sign_up_resident(
                    phone=data["phone"], password=data["password"], code=data["code"]
                )
                # Came through a neighbour's /r/<code>/ link: bind once, now.
                note = referrals.bind_pending_referral(
                    actor=resident.user, session=request.session
                )
                login(
                    request,
                    resident.user,
                    backend="django.contrib.auth.backends.ModelBackend",
                )
                if note:
                    messages.info(request, note)
                return redirect("real_name")
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = exc.status_code if exc.status_code in (429, 503) else 400
    if form.errors:
        status = max(status, 400)
    return render(request, "people/signup.html", {"form": form}, status=status)


@login_required
def real_name(request: HttpRequest) -> HttpResponse:
    """Verify name and ID number against the register of the chosen community."""
    form = RealNameForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.verify_real_name(
                actor=request.user,
                name=data["name"],
                id_number=data["id_number"],
                community=data["community"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = 403 if exc.code == "not_on_register" else 400
        else:
            messages.success(request, _("实名认证完成,住址已按居民名册登记"))
            return redirect("my_card")
    if form.errors:
        status = max(status, 400)
    return render(request, "people/real_name.html", {"form": form}, status=status)


@login_required
def my_card(request: HttpRequest) -> HttpResponse:
    """The resident's community card: a rotating signed QR (quarter.card)."""
    from quarter.card import access as card_access
    from quarter.card import selectors as card_selectors

    resident = getattr(request.user, "resident", None)
    holder = card_access.card_holder(request.user)
    code = card_selectors.card_code(resident=holder) if holder is not None else None
    response = render(request, "people/card.html", {"resident": resident, "code": code})
    response["Cache-Control"] = "no-store"
    return response
