"""Pages of the survey: managers' waves, progress and results; residents' forms.

Thin: each view parses, calls one service or selector, renders. A refused
form is shown again with the message and nothing written.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from quarter.core.clientip import client_ip
from quarter.core.downloads import attachment
from quarter.core.errors import DomainError
from quarter.coverage.access import districts_planned_by
from quarter.places.models import Community, Compound, District
from quarter.surveys import access, exports, selectors, services
from quarter.surveys.errors import SurveyErrorCode as Code
from quarter.surveys.models import (
    SCALE,
    Dimension,
    Source,
    Wave,
    WaveEvent,
    WaveState,
)

DEVICE_COOKIE = "quarter_survey_device"
POSTER_SALT = "quarter.surveys.poster"


def _wave(request: HttpRequest, wave_id: int) -> Wave:
    wave = get_object_or_404(Wave, pk=wave_id)
    access.require_wave_visible(request.user, wave)
    return wave


# --- managers: waves ------------------------------------------------------------


@login_required
def wave_list(request: HttpRequest) -> HttpResponse:
    access.require_survey_user(request.user)
    return render(
        request,
        "surveys/list.html",
        {
            "waves": access.waves_visible_to(request.user).prefetch_related(
                "communities"
            ),
            "communities": access.managed_communities(request.user),
            "districts": districts_planned_by(request.user),
        },
    )


@login_required
@require_POST
def wave_new(request: HttpRequest) -> HttpResponse:
    access.require_survey_user(request.user)
    ids = [i for i in request.POST.getlist("communities") if i.isdigit()]
    try:
        target = int(request.POST.get("target") or 0)
    except ValueError:
        target = 0
    try:
        wave = services.create_wave(
            actor=request.user,
            name=request.POST.get("name", ""),
            communities=list(Community.objects.filter(pk__in=ids)),
            target_responses=target,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("surveys:list")
    return redirect("surveys:wave", wave_id=wave.pk)


@login_required
def wave_page(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    mine = access.managed_communities(request.user).filter(
        pk__in=wave.communities.all()
    )
    return render(
        request,
        "surveys/wave.html",
        {
            "wave": wave,
            "questions": wave.questions.all(),
            "communities": mine,
            "events": wave.events.select_related("actor")[:10],
            "can_manage": _can_manage(request.user, wave),
            "can_enter_paper": access.paper_communities(request.user, wave).exists(),
            "States": WaveState,
        },
    )


def _can_manage(actor, wave: Wave) -> bool:
    try:
        access.require_wave_manager(actor, wave)
    except DomainError:
        return False
    return True


@login_required
@require_POST
def wave_questions(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    texts = {
        int(k[1:]): v
        for k, v in request.POST.items()
        if k.startswith("q") and k[1:].isdigit()
    }
    try:
        services.edit_questions(
            actor=request.user,
            wave=wave,
            texts=texts,
            free_text_prompt=request.POST.get("free_text_prompt", ""),
        )
        messages.success(request, "题目已保存")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("surveys:wave", wave_id=wave.pk)


@login_required
@require_POST
def wave_state(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    target = request.POST.get("target", "")
    if target not in WaveState.values:
        messages.error(request, "请选择要进行的操作")
        return redirect("surveys:wave", wave_id=wave.pk)
    try:
        wave = services.change_wave_state(actor=request.user, wave=wave, target=target)
        messages.success(request, f"测评{wave.get_state_display()}")
    except DomainError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
    return redirect("surveys:wave", wave_id=wave.pk)


@login_required
@require_POST
def wave_remind(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    try:
        sent = services.send_reminders(
            actor=request.user,
            wave=wave,
            url=reverse("surveys:answer", args=[wave.pk]),
        )
        messages.success(request, f"已提醒{sent}位尚未参与的在册居民")
    except DomainError as exc:
        if exc.status_code == 403:
            raise
        messages.error(request, exc.message)
    return redirect("surveys:wave", wave_id=wave.pk)


@login_required
def wave_progress(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave(request, wave_id)
    ids = (
        access.managed_communities(request.user)
        .filter(pk__in=wave.communities.all())
        .values_list("pk", flat=True)
    )
    rows = selectors.get_progress(wave=wave, community_ids=ids)
    template = (
        "surveys/_progress_table.html"
        if request.headers.get("HX-Request")
        else "surveys/progress.html"
    )
    return render(
        request,
        template,
        {
            "wave": wave,
            "rows": rows,
            "bands": [label for _, label in selectors.AgeBand.choices],
            "total": sum(r.responses for r in rows),
            "target": sum(r.target for r in rows),
        },
    )


# --- managers: paper entry and posters --------------------------------------


@login_required
def paper_entry(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = get_object_or_404(Wave, pk=wave_id)
    access.require_paper_entrant_of_wave(request.user, wave)
    compounds = Compound.objects.filter(
        community__in=access.paper_communities(request.user, wave)
    ).order_by("community_id", "name")
    error = None
    if request.method == "POST":
        compound = compounds.filter(pk=_int(request.POST.get("compound"))).first()
        try:
            if compound is None:
                raise DomainError(
                    Code.COMPOUND_NOT_IN_WAVE, "请选择小区", field="compound"
                )
            services.submit_paper_response(
                actor=request.user,
                wave=wave,
                compound=compound,
                birth_year=request.POST.get("birth_year"),
                raw=request.POST,
                comment=request.POST.get("comment", ""),
            )
        except DomainError as exc:
            if exc.status_code == 403:
                raise
            error = exc
        else:
            messages.success(request, "纸质问卷已录入,可继续录入下一份")
            return redirect("surveys:paper", wave_id=wave.pk)
    return render(
        request,
        "surveys/paper.html",
        {
            "wave": wave,
            "compounds": compounds,
            "questions": wave.questions.all(),
            "scale": SCALE,
            "error": error,
            "posted": request.POST if error else {},
        },
        status=400 if error else 200,
    )


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def poster_token(wave: Wave, compound: Compound) -> str:
    return signing.Signer(salt=POSTER_SALT).sign(f"{wave.pk}.{compound.pk}")


@login_required
def posters(request: HttpRequest, wave_id: int) -> HttpResponse:
    import segno

    wave = _wave(request, wave_id)
    compounds = (
        Compound.objects.filter(
            community__in=access.managed_communities(request.user).filter(
                pk__in=wave.communities.all()
            )
        )
        .select_related("community")
        .order_by("community_id", "name")
    )
    sheets = []
    for compound in compounds:
        url = request.build_absolute_uri(
            reverse("surveys:poster_answer", args=[poster_token(wave, compound)])
        )
        svg = segno.make_qr(url, error="m").svg_inline(scale=6, dark="#1a1a1a")
        sheets.append({"compound": compound, "url": url, "svg": svg})
    return render(request, "surveys/posters.html", {"wave": wave, "sheets": sheets})


# --- managers: results ----------------------------------------------------------


def _circle(request: HttpRequest, wave_id: int, slug: str):
    wave = _wave(request, wave_id)
    community = get_object_or_404(Community, slug=slug)
    access.require_community_manager(request.user, community)
    if not wave.communities.filter(pk=community.pk).exists():
        raise Http404("community not in wave")
    return selectors.get_circle_results(wave=wave, community=community)


def _chart(results: selectors.CircleResults) -> dict:
    def pct(e):
        return None if e.rate is None else round(e.rate * 100, 1)

    return {
        "target": selectors.TARGET * 100,
        "dimensions": {
            "labels": [d.label for d in results.dimensions],
            "values": [pct(d.estimate) for d in results.dimensions],
        },
        "trend": {
            "labels": [p.wave.name for p in results.trend],
            "values": [pct(p.estimate) for p in results.trend],
        },
    }


@login_required
def results_page(request: HttpRequest, wave_id: int, slug: str) -> HttpResponse:
    results = _circle(request, wave_id, slug)
    return render(
        request,
        "surveys/results.html",
        {"r": results, "chart": _chart(results), "Source": Source},
    )


@login_required
def results_print(request: HttpRequest, wave_id: int, slug: str) -> HttpResponse:
    results = _circle(request, wave_id, slug)
    return render(
        request,
        "surveys/results_print.html",
        {"r": results, "chart": _chart(results), "Source": Source},
    )


@login_required
def results_xlsx(request: HttpRequest, wave_id: int, slug: str) -> HttpResponse:
    results = _circle(request, wave_id, slug)
    services._event(
        results.wave,
        WaveEvent.Kind.EXPORTED,
        request.user,
        {"community": results.community.pk},
    )
    return attachment(
        exports.circle_xlsx(results),
        kind="xlsx",
        name=f"survey-{results.wave.pk}-{results.community.slug}",
        display_name=f"{results.community.name}居民满意度-{results.wave.name}",
    )


def _district(request: HttpRequest, district_id: int) -> selectors.DistrictResults:
    district = get_object_or_404(District, pk=district_id)
    if not districts_planned_by(request.user).filter(pk=district.pk).exists():
        raise DomainError(
            Code.NOT_SURVEY_MANAGER,
            "只有本区的规划人员可以查看全区测评",
            status_code=403,
        )
    return selectors.district_results(district)


def _district_chart(results: selectors.DistrictResults) -> dict:
    return {
        "target": selectors.TARGET * 100,
        "labels": [r.community.name for r in results.rows],
        "values": [
            None if r.satisfaction.rate is None else round(r.satisfaction.rate * 100, 1)
            for r in results.rows
        ],
    }


@login_required
def district_page(request: HttpRequest, district_id: int) -> HttpResponse:
    results = _district(request, district_id)
    return render(
        request,
        "surveys/district.html",
        {"d": results, "chart": _district_chart(results)},
    )


@login_required
def district_print(request: HttpRequest, district_id: int) -> HttpResponse:
    results = _district(request, district_id)
    return render(
        request,
        "surveys/district_print.html",
        {"d": results, "chart": _district_chart(results)},
    )


@login_required
def district_xlsx(request: HttpRequest, district_id: int) -> HttpResponse:
    results = _district(request, district_id)
    return attachment(
        exports.district_xlsx(results),
        kind="xlsx",
        name=f"survey-district-{results.district.pk}",
        display_name=f"{results.district}居民满意度",
    )


# --- residents ------------------------------------------------------------------


@login_required
def my_surveys(request: HttpRequest) -> HttpResponse:
    resident = access.require_registered_resident(request.user)
    community_id = resident.household.compound.community_id
    waves = Wave.objects.filter(
        state=WaveState.OPEN, communities__pk=community_id
    ).order_by("-opened_at")
    rows = [(w, services.has_answered(resident=resident, wave=w)) for w in waves]
    return render(request, "surveys/mine.html", {"rows": rows})


@login_required
def answer(request: HttpRequest, wave_id: int) -> HttpResponse:
    resident = access.require_registered_resident(request.user)
    wave = get_object_or_404(Wave, pk=wave_id)
    access.require_wave_resident(resident, wave)
    error = None
    if request.method == "POST":
        try:
            services.submit_app_response(
                actor=request.user,
                wave=wave,
                raw=request.POST,
                comment=request.POST.get("comment", ""),
            )
        except DomainError as exc:
            if exc.status_code == 403:
                raise
            error = exc
        else:
            return render(request, "surveys/thanks.html", {"wave": wave})
    return render(
        request,
        "surveys/answer.html",
        {
            "wave": wave,
            "questions": wave.questions.all(),
            "scale": SCALE,
            "answered": services.has_answered(resident=resident, wave=wave),
            "error": error,
            "posted": request.POST if error else {},
            "Dimension": Dimension,
        },
        status=400 if error else 200,
    )


def _poster(token: str) -> tuple[Wave, Compound]:
    try:
        value = signing.Signer(salt=POSTER_SALT).unsign(token)
        wave_id, compound_id = (int(x) for x in value.split("."))
    except (signing.BadSignature, ValueError):
        raise Http404("bad poster") from None
    wave = get_object_or_404(Wave, pk=wave_id)
    compound = get_object_or_404(Compound, pk=compound_id)
    return wave, compound


def poster_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The anonymous page behind a compound's QR poster."""
    wave, compound = _poster(token)
    device = request.COOKIES.get(DEVICE_COOKIE, "")
    error, done = None, False
    if request.method == "POST":
        try:
            services.submit_poster_response(
                wave=wave,
                compound=compound,
                device=device,
                phone=request.POST.get("phone", ""),
                code=request.POST.get("code", ""),
                birth_year=request.POST.get("birth_year"),
                raw=request.POST,
                comment=request.POST.get("comment", ""),
            )
            done = True
        except DomainError as exc:
            error = exc
    if done:
        return render(request, "surveys/thanks.html", {"wave": wave, "poster": True})
    response = render(
        request,
        "surveys/poster_answer.html",
        {
            "wave": wave,
            "compound": compound,
            "token": token,
            "questions": wave.questions.all(),
            "scale": SCALE,
            "error": error,
            "posted": request.POST if error else {},
        },
        status=(error.status_code if error else 200),
    )
    if not device:
        response.set_cookie(
            DEVICE_COOKIE,
            secrets.token_urlsafe(24),
            max_age=3600 * 24 * 365,
            httponly=True,
            samesite="Lax",
        )
    return response


@require_POST
def poster_code(request: HttpRequest, token: str) -> HttpResponse:
    """Send the SMS code of a poster answer; answers {ok, message} as JSON."""
    wave, _compound = _poster(token)
    try:
        services.send_poster_code(
            wave=wave, phone=request.POST.get("phone", ""), ip=client_ip(request)
        )
    except DomainError as exc:
        return JsonResponse({"ok": False, **exc.as_dict()}, status=exc.status_code)
    return JsonResponse({"ok": True, "message": "验证码已发送,5分钟内有效"})
