"""Where a person lands after logging in: the page of what their role does daily.

Without a `next` address, the login sends each role to a page with something
to do: the platform admin to the back office, an operator, planner or issuer
to their desk, a shopkeeper to their shop's console, a resident to the voucher
rounds (claim now, or the countdown to the next). A person with several roles
lands on the first that applies in that order.
"""

from __future__ import annotations

from django.urls import reverse


def landing_url(user) -> str:
    """The URL `user` should see first after logging in."""
    if user.is_superuser:
        return reverse("admin:index")
    roles = set(user.groups.values_list("name", flat=True))
    if "operator" in roles:
        return _operator_desk(user)
    if "issuer" in roles:
        return reverse("vouchers:issuer")
    if "planner" in roles or user.planner_roles.exists():
        return _planner_desk(user)
    if "merchant" in roles:
        return reverse("merchant_console")
    if "resident" in roles:
        return reverse("vouchers:rounds")
    return reverse("home")


def _operator_desk(user) -> str:
    """An operator of one community lands on its planning page, gaps and all."""
    from quarter.people.models import Operator

    slugs = list(
        Operator.objects.filter(user=user).values_list("community__slug", flat=True)
    )
    if len(slugs) == 1:
        return reverse("planning_dashboard", args=[slugs[0]])
    return reverse("planning_home")


def _planner_desk(user) -> str:
    """A district-wide planner of one district lands on the district's page."""
    districts = list(
        user.planner_roles.filter(street_office__isnull=True).values_list(
            "district_id", flat=True
        )
    )
    if len(set(districts)) == 1:
        return reverse("planning_district", args=[districts[0]])
    return reverse("planning_home")
