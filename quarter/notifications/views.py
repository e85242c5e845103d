"""The notification centre page: a person's messages, newest first; marking read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from quarter.core.numbers import NumberProblem, parse_int
from quarter.notifications import services
from quarter.notifications.access import notifications_for


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (`id`) or all of them read, then go where it leads."""
    raw = request.POST.get("id", "")
    if raw:
        try:
            notification_id = parse_int(raw, minimum=1, label="id")
        except NumberProblem:
            return redirect("notifications:inbox")
        notification = (
            notifications_for(request.user).filter(pk=notification_id).first()
        )
        if notification is None:
            return redirect("notifications:inbox")
        services.mark_read(request.user, [notification.pk])
        if notification.url.startswith("/") and not notification.url.startswith("//"):
            return redirect(notification.url)
        return redirect("notifications:inbox")
    services.mark_read(request.user)
    return redirect("notifications:inbox")
