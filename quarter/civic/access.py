"""Who may see or do what with problem reports: the civic app's permissions.

- A resident (with a household) or an operator (grid worker) may report.
- The reporter sees their own reports' private details (description, photo,
  reply, timeline) and may confirm or reopen them.
- Department staff see and handle only what is dispatched to their department.
- Operators see, dispatch, reject and close the reports of their communities.
- Superusers see everything. Anyone may see the public map and statistics,
  which carry no personal data (category, status, place, times).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from quarter.civic.errors import CivicErrorCode as Code
from quarter.civic.models import ApiClient, Category, Department, Report, ReportEvent
from quarter.core import media, scope
from quarter.core.actors import is_person, is_system
from quarter.core.errors import PermissionDenied
from quarter.places.models import Community


def _is_superuser(actor) -> bool:
    return is_system(actor) or bool(getattr(actor, "is_superuser", False))


def operated_communities(actor) -> QuerySet[Community]:
    """Return the communities whose reports `actor` manages (all for admins)."""
    if _is_superuser(actor):
        return Community.objects.all()
    if not is_person(actor):
        return Community.objects.none()
    return Community.objects.filter(operators__user=actor)


def is_operator_of(actor, community_id: int) -> bool:
    return operated_communities(actor).filter(pk=community_id).exists()


def require_operator_of(actor, community_id: int) -> None:
    """Raise `not_operator_of_community` (403) unless the actor runs it."""
    if not is_operator_of(actor, community_id):
        raise PermissionDenied(
            Code.NOT_OPERATOR_OF_COMMUNITY, "您不是该社区的工作人员,无权办理"
        )


def departments_of(actor) -> QuerySet[Department]:
    """Return the departments `actor` works in."""
    if not is_person(actor):
        return Department.objects.none()
    return Department.objects.filter(staff=actor)


def is_department_staff(actor) -> bool:
    return departments_of(actor).exists()


def require_department_staff(actor) -> None:
    if not is_department_staff(actor):
        raise PermissionDenied(
            Code.NOT_DEPARTMENT_STAFF, "只有职能部门工作人员可以查看"
        )


def require_handler_of(actor, report: Report) -> None:
    """Raise `not_department_staff` unless the report is dispatched to actor's unit."""
    if (
        report.department_id is None
        or not departments_of(actor).filter(pk=report.department_id).exists()
    ):
        raise PermissionDenied(
            Code.NOT_DEPARTMENT_STAFF, "该诉求未派给您所在的部门,无权办理"
        )


def reporting_communities(actor) -> QuerySet[Community]:
    """Return the communities `actor` may report problems in.

    A resident reports in the community of their household; an operator
    (grid worker) in the communities they run.
    """
    if not is_person(actor):
        return Community.objects.none()
    ids = set(
        Community.objects.filter(operators__user=actor).values_list("pk", flat=True)
    )
    resident = getattr(actor, "resident", None)
    if resident is not None and resident.household_id:
        ids.add(resident.household.compound.community_id)
    return Community.objects.filter(pk__in=ids).order_by("id")


def require_reporter(actor) -> QuerySet[Community]:
    communities = reporting_communities(actor)
    if not communities.exists():
        raise PermissionDenied(
            Code.NOT_A_REPORTER, "只有本社区居民或网格员可以上报问题"
        )
    return communities


def reports_visible_to(actor) -> QuerySet[Report]:
    """Return the reports whose private details `actor` may see."""
    qs = Report.objects.all()
    if _is_superuser(actor):
        return qs
    if not is_person(actor):
        return qs.none()
    return qs.filter(
        Q(reporter=actor)
        | Q(community__operators__user=actor)
        | Q(department__staff=actor, status__in=HANDLED_STATUSES)
    ).distinct()


# What a department sees in its queue: nothing before it is dispatched to it.
HANDLED_STATUSES = ("dispatched", "in_progress", "resolved", "closed")


def department_queue(actor) -> QuerySet[Report]:
    """Return what is dispatched to the actor's departments, and nothing else."""
    return Report.objects.filter(
        department__in=departments_of(actor), status__in=HANDLED_STATUSES
    )


def can_view_report(actor, report: Report) -> bool:
    return reports_visible_to(actor).filter(pk=report.pk).exists()


def require_can_view(actor, report: Report) -> None:
    if not can_view_report(actor, report):
        raise PermissionDenied(Code.NOT_YOUR_REPORT, "这不是您的诉求,无权查看")


def require_reporter_of(actor, report: Report) -> None:
    if not (is_person(actor) and report.reporter_id == actor.pk):
        raise PermissionDenied(Code.NOT_YOUR_REPORT, "只有上报人可以进行这项操作")


def can_close(actor, report: Report) -> bool:
    return (is_person(actor) and report.reporter_id == actor.pk) or is_operator_of(
        actor, report.community_id
    )


def departments_for(community: Community) -> QuerySet[Department]:
    """Return the departments a report in `community` may be dispatched to."""
    return Department.objects.filter(
        Q(community=community) | Q(district_id=community.street_office.district_id)
    )


# --- back-office scopes ---

scope.declare(Report, community="community", issuers_via_community=False)
scope.declare(ReportEvent, community="report__community", issuers_via_community=False)
scope.declare(Category, community="community")
# A district's department serves every community of the district.
scope.declare(
    Department,
    community=("community", "district__streets__communities"),
    district="district",
)
scope.declare(ApiClient, community="community")


# --- report photos under /media/civic/ ---


def may_read_report_photo(actor, name: str) -> bool:
    """A report's photo and its reply's: for whom may see the report's details."""
    return (
        reports_visible_to(actor).filter(Q(photo=name) | Q(reply_photo=name)).exists()
    )


media.protect("civic/", may_read_report_photo)
