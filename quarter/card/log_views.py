"""Pages of the visit log (联系本): operators, a shop's staff, residents.

Thin: parse the query string (a bad month or id is a 400 naming the field),
call a selector of `quarter.card.log`, render or download.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from quarter.card import log, log_access
from quarter.card.log_errors import VisitLogErrorCode as Code
from quarter.core import downloads
from quarter.core.errors import DomainError
from quarter.core.numbers import NumberProblem, normalize, parse_int

HISTORY_PAGE_SIZE = 30


# --- operators ---


@require_GET
@login_required
def operator_home(request: HttpRequest) -> HttpResponse:
    """List the communities whose log the operator reads; one: go straight there."""
    log_access.require_log_reader(request.user)
    communities = list(log_access.log_communities_for(request.user))
    if len(communities) == 1:
        return redirect("visitlog:community", slug=communities[0].slug)
    return render(request, "card/log_home.html", {"communities": communities})


def _community_log(request: HttpRequest, slug: str) -> log.VisitLog:
    community = log_access.get_log_community(request.user, slug=slug)
    return log.get_community_log(
        request.user,
        community=community,
        months=log.month_range_from_query(request.GET),
        merchant_id=log.merchant_id_from_query(request.GET),
    )


@require_GET
@login_required
def community(request: HttpRequest, slug: str) -> HttpResponse:
    visit_log = _community_log(request, slug)
    query = visit_log.months.as_query()
    if visit_log.merchant is not None:
        query["merchant"] = str(visit_log.merchant.pk)
    return render(
        request,
        "card/log_table.html",
        {
            "log": visit_log,
            "chart": visit_log.chart(),
            "operator": True,
            "query": urlencode(query),
            "csv_url": "visitlog:community_csv",
            "xlsx_url": "visitlog:community_xlsx",
            "url_arg": slug,
        },
    )


@require_GET
@login_required
def community_csv(request: HttpRequest, slug: str) -> HttpResponse:
    return _download(_community_log(request, slug), "csv", f"visits-{slug}")


@require_GET
@login_required
def community_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    return _download(_community_log(request, slug), "xlsx", f"visits-{slug}")


def _download(visit_log: log.VisitLog, kind: str, name: str) -> HttpResponse:
    content = log.log_csv(visit_log) if kind == "csv" else log.log_xlsx(visit_log)
    months = visit_log.months
    return downloads.attachment(
        content,
        kind=kind,
        name=f"{name}-{log.month_value(months.first)}-{log.month_value(months.last)}",
        display_name=f"{visit_log.title}联系本 {months.label}",
    )


# --- a shop's staff ---


@require_GET
@login_required
def shop_home(request: HttpRequest) -> HttpResponse:
    """List the person's own shops; one shop: go straight to its log."""
    log_access.require_shop_log_reader(request.user)
    shops = list(log_access.log_shops_for(request.user))
    if len(shops) == 1:
        return redirect("visitlog:shop", merchant_id=shops[0].pk)
    return render(request, "card/log_shops.html", {"shops": shops})


def _shop_log(request: HttpRequest, merchant_id: int) -> log.VisitLog:
    merchant = log_access.get_log_shop(request.user, merchant_id=merchant_id)
    return log.get_shop_log(
        request.user, merchant=merchant, months=log.month_range_from_query(request.GET)
    )


@require_GET
@login_required
def shop(request: HttpRequest, merchant_id: int) -> HttpResponse:
    visit_log = _shop_log(request, merchant_id)
    return render(
        request,
        "card/log_table.html",
        {
            "log": visit_log,
            "chart": visit_log.chart(),
            "operator": False,
            "query": urlencode(visit_log.months.as_query()),
            "csv_url": "visitlog:shop_csv",
            "xlsx_url": "visitlog:shop_xlsx",
            "url_arg": merchant_id,
        },
    )


@require_GET
@login_required
def shop_csv(request: HttpRequest, merchant_id: int) -> HttpResponse:
    return _download(
        _shop_log(request, merchant_id), "csv", f"visits-shop-{merchant_id}"
    )


@require_GET
@login_required
def shop_xlsx(request: HttpRequest, merchant_id: int) -> HttpResponse:
    return _download(
        _shop_log(request, merchant_id), "xlsx", f"visits-shop-{merchant_id}"
    )


# --- residents ---


@require_GET
@login_required
def my_visits(request: HttpRequest) -> HttpResponse:
    """The resident's own history (and their household's printed-card visits)."""
    visits = log.list_my_visits(request.user)
    page = Paginator(visits, HISTORY_PAGE_SIZE).get_page(_page_number(request))
    return render(request, "card/log_mine.html", {"page": page})


def _page_number(request: HttpRequest) -> int:
    text = request.GET.get("page")
    if text is None or normalize(text) == "":
        return 1
    try:
        return parse_int(text, minimum=1, maximum=100_000, label="页码")
    except NumberProblem as exc:
        raise DomainError(Code.BAD_PAGE, str(exc), field="page") from None
