"""Pages of the planning dashboard; thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from quarter.coverage import selectors


@login_required
def planning_home(request: HttpRequest) -> HttpResponse:
    """List the communities the operator may plan for."""
    communities = selectors.list_planning_communities(actor=request.user)
    return render(request, "coverage/home.html", {"communities": communities})
