"""Who may see or do what with surveys: the only place its permissions are decided.

- Managers of a community's surveys are its operators and the planners
  (district or street office, and the district's commerce bureau) whose
  area holds it (`places.access.communities_planned_by`). A wave may be
  created, edited, opened and closed by someone who manages every one of its
  communities; its progress and results are seen per community by anyone
  who manages that community.
- Paper answers are typed in by an operator (grid worker) of the compound's
  community.
- Residents answer in the app when they are registered residents
  (`people.access.is_registered_resident`) of a community of an open wave.
- Nobody sees who answered what: no page or API returns a person with an
  answer, and no result cell of fewer than `MIN_CELL` responses.
"""

from __future__ import annotations

from django.db.models import QuerySet

from quarter.core import scope
from quarter.core.actors import is_person
from quarter.core.errors import PermissionDenied
from quarter.people.access import is_registered_resident, resident_or_none
from quarter.places.access import communities_operated_by, communities_planned_by
from quarter.places.models import Community
from quarter.surveys.errors import SurveyErrorCode as Code
from quarter.surveys.models import (
    Answer,
    Participation,
    Question,
    Quota,
    Response,
    Wave,
    WaveEvent,
)

# The smallest group of responses a result may describe (privacy).
MIN_CELL = 5


def managed_communities(actor) -> QuerySet[Community]:
    """Return the communities whose surveys `actor` runs or reads."""
    if not is_person(actor):
        return Community.objects.none()
    ids = set(communities_operated_by(actor).values_list("pk", flat=True))
    ids |= set(communities_planned_by(actor).values_list("pk", flat=True))
    return Community.objects.filter(pk__in=ids).order_by("id")


def manages_any(actor) -> bool:
    return managed_communities(actor).exists()


def require_survey_user(actor) -> None:
    """Raise `not_survey_manager` unless `actor` manages some community."""
    if not manages_any(actor):
        raise PermissionDenied(
            Code.NOT_SURVEY_MANAGER, "只有社区工作人员和规划人员可以管理满意度测评"
        )


def waves_visible_to(actor) -> QuerySet[Wave]:
    """Return the waves touching a community `actor` manages."""
    return (
        Wave.objects.filter(communities__in=managed_communities(actor))
        .distinct()
        .order_by("-created_at", "-id")
    )


def require_wave_visible(actor, wave: Wave) -> None:
    if not waves_visible_to(actor).filter(pk=wave.pk).exists():
        raise PermissionDenied(Code.NOT_SURVEY_MANAGER, "您无权查看这次测评")


def require_community_manager(actor, community: Community) -> None:
    """Raise unless `actor` runs or plans `community` (its results, its progress)."""
    if not managed_communities(actor).filter(pk=community.pk).exists():
        raise PermissionDenied(Code.NOT_SURVEY_MANAGER, "您无权查看该社区的测评")


def require_communities_manager(actor, communities) -> None:
    """Raise unless `actor` manages every one of `communities` (create a wave)."""
    wanted = {c.pk for c in communities}
    allowed = set(
        managed_communities(actor).filter(pk__in=wanted).values_list("pk", flat=True)
    )
    if wanted - allowed:
        raise PermissionDenied(
            Code.NOT_SURVEY_MANAGER, "您只能为自己负责的社区发起测评"
        )


def require_wave_manager(actor, wave: Wave) -> None:
    """Raise unless `actor` manages every community of `wave` (edit, open, close)."""
    require_communities_manager(actor, list(wave.communities.all()))


def require_paper_entrant(actor, community: Community) -> None:
    """Raise `not_survey_entrant` unless `actor` is an operator of `community`."""
    if not communities_operated_by(actor).filter(pk=community.pk).exists():
        raise PermissionDenied(
            Code.NOT_SURVEY_ENTRANT, "只有本社区的工作人员(网格员)可以代录纸质问卷"
        )


def paper_communities(actor, wave: Wave) -> QuerySet[Community]:
    """Return the wave's communities where `actor` may type in paper answers."""
    return communities_operated_by(actor).filter(pk__in=wave.communities.all())


def require_paper_entrant_of_wave(actor, wave: Wave) -> None:
    """Raise `not_survey_entrant` unless `actor` operates a community of `wave`."""
    if not paper_communities(actor, wave).exists():
        raise PermissionDenied(
            Code.NOT_SURVEY_ENTRANT, "只有本社区的工作人员(网格员)可以代录纸质问卷"
        )


def require_wave_resident(resident, wave: Wave) -> None:
    """Raise `not_in_survey_wave` unless the resident lives in a wave community."""
    community_id = resident.household.compound.community_id
    if not wave.communities.filter(pk=community_id).exists():
        raise PermissionDenied(Code.NOT_IN_WAVE, "这次测评不在您所在的社区开展")


def require_registered_resident(actor):
    """Return the actor's resident if registered; raise otherwise."""
    resident = resident_or_none(actor)
    if resident is None or not is_registered_resident(resident):
        raise PermissionDenied(
            Code.NOT_A_REGISTERED_RESIDENT,
            "在册居民实名认证后可在这里参与测评;未登记的居民请扫描小区海报参与",
        )
    return resident


# --- back-office scopes: the surveys app registers no admin pages; answers
# are private, and waves are managed on the survey pages. ---

for _model in (Wave, Question, Quota, Response, Answer, Participation, WaveEvent):
    scope.declare(_model, superuser_only=True)
