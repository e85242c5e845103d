"""Who may see or do what on the notice board: its permissions are decided here.

- Published notices and approved, unexpired job posts are public, like the
  shops they are about. Drafts, pending and rejected ones are seen by the
  community's operators and by the staff of the shop they concern.
- Operators act only in their own communities (`places.access`), merchant
  staff only for their own shop.
- Suggestions belong to a community: only its residents see and support them,
  and its operators answer them. Residents of other communities see nothing.
"""

from __future__ import annotations

from quarter.board.errors import BoardErrorCode as Code
from quarter.board.models import (
    JobPost,
    JobStatus,
    Notice,
    NoticeStatus,
    Suggestion,
    SuggestionAnswer,
    SuggestionSupport,
)
from quarter.core import clock, media, scope
from quarter.core.actors import is_person
from quarter.core.errors import PermissionDenied
from quarter.places import access as places_access
from quarter.places.models import Admission, Community, Merchant

is_operator_of = places_access.is_operator_of
is_staff_of = places_access.is_staff_of
operates_any = places_access.operates_any
communities_operated_by = places_access.communities_operated_by


def require_operator_of(actor, community: Community) -> None:
    """Raise `not_community_operator` (403) unless `actor` works for `community`."""
    if not is_operator_of(actor, community):
        raise PermissionDenied(
            Code.NOT_COMMUNITY_OPERATOR, "只有本社区的工作人员可以办理"
        )


def require_staff_of(actor, merchant: Merchant) -> None:
    """Raise `merchant_not_owned` (403) unless `actor` works at `merchant`."""
    if not is_staff_of(actor, merchant):
        raise PermissionDenied(Code.MERCHANT_NOT_OWNED, "您不是这家店的工作人员")


def require_board_operator(actor) -> None:
    """Raise `not_community_operator` unless `actor` operates some community."""
    if not operates_any(actor):
        raise PermissionDenied(
            Code.NOT_COMMUNITY_OPERATOR, "只有社区工作人员可以管理公告栏"
        )


# --- residents ---


def resident_community_id(actor) -> int | None:
    """Return the id of the community the actor lives in, or None."""
    if not is_person(actor):
        return None
    resident = getattr(actor, "resident", None)
    if resident is None or resident.household_id is None:
        return None
    return resident.household.compound.community_id


def require_resident(actor) -> int:
    """Return the actor's community id; raise `not_a_resident` (403) if none."""
    community_id = resident_community_id(actor)
    if community_id is None:
        raise PermissionDenied(
            Code.NOT_A_RESIDENT, "只有已登记住址的居民可以使用建议版块"
        )
    return community_id


# --- notices ---


def is_visible_notice(notice: Notice, *, at=None) -> bool:
    """Return whether residents see `notice` now: published, started, not expired."""
    at = at or clock.now()
    return (
        notice.status == NoticeStatus.PUBLISHED
        and (notice.publish_at is None or notice.publish_at <= at)
        and (notice.expire_at is None or notice.expire_at > at)
    )


def can_see_notice(actor, notice: Notice) -> bool:
    """Return whether `actor` may open `notice` (public once visible)."""
    if is_visible_notice(notice):
        return True
    if is_operator_of(actor, notice.community):
        return True
    return notice.merchant is not None and is_staff_of(actor, notice.merchant)


def require_see_notice(actor, notice: Notice) -> None:
    if not can_see_notice(actor, notice):
        raise PermissionDenied(Code.NOT_COMMUNITY_OPERATOR, "这条公告尚未发布")


# --- jobs ---


def is_open_job(job: JobPost, *, today=None) -> bool:
    """Return whether residents see `job`: approved, not past its date, shop listed."""
    today = today or clock.local_now().date()
    return (
        job.status == JobStatus.APPROVED
        and job.expires_on >= today
        and job.merchant.admission == Admission.APPROVED
    )


def can_see_job(actor, job: JobPost) -> bool:
    if is_open_job(job):
        return True
    return is_operator_of(actor, job.community) or is_staff_of(actor, job.merchant)


def can_withdraw_job(actor, job: JobPost) -> bool:
    """The shop's staff (their own post) or the community's operators."""
    return is_staff_of(actor, job.merchant) or is_operator_of(actor, job.community)


def require_withdraw_job(actor, job: JobPost) -> None:
    if not can_withdraw_job(actor, job):
        raise PermissionDenied(
            Code.MERCHANT_NOT_OWNED, "只有发布招工的商户或本社区工作人员可以撤下"
        )


def require_see_job(actor, job: JobPost) -> None:
    if not can_see_job(actor, job):
        raise PermissionDenied(
            Code.NOT_COMMUNITY_OPERATOR, "这条招工信息未发布或已过期"
        )


# --- suggestions ---


def can_see_suggestion(actor, suggestion: Suggestion) -> bool:
    """Return whether `actor` may read `suggestion`: its residents, its operators."""
    if resident_community_id(actor) == suggestion.community_id:
        return True
    return is_operator_of(actor, suggestion.community)


def require_see_suggestion(actor, suggestion: Suggestion) -> None:
    if not can_see_suggestion(actor, suggestion):
        raise PermissionDenied(
            Code.OTHER_COMMUNITY, "这是其他社区的建议,只有该社区居民可以查看"
        )


def require_may_support(actor, suggestion: Suggestion) -> None:
    """Raise unless `actor` lives in its community and is not its author."""
    if resident_community_id(actor) != suggestion.community_id:
        raise PermissionDenied(Code.OTHER_COMMUNITY, "只有本社区居民可以附议这条建议")
    if suggestion.author_id == actor.pk:
        raise PermissionDenied(Code.OWN_SUGGESTION, "不能附议自己的建议")


# --- back-office scopes ---

scope.declare(Notice, community="community")
scope.declare(JobPost, community="community")
# Suggestions carry residents' words and photos: operators, not issuers.
scope.declare(Suggestion, community="community", issuers_via_community=False)
for _model in (SuggestionAnswer, SuggestionSupport):
    scope.declare(
        _model, community="suggestion__community", issuers_via_community=False
    )


def may_read_suggestion_photo(actor, name: str) -> bool:
    """A suggestion's photo: for whom may read the suggestion."""
    suggestion = Suggestion.objects.filter(photo=name).first()
    return suggestion is not None and can_see_suggestion(actor, suggestion)


media.protect("suggestions/", may_read_suggestion_photo)
