"""Reads of the notice board: what residents see, what operators have to decide."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from quarter.board import access
from quarter.board.errors import BoardErrorCode as Code
from quarter.board.models import (
    JobPost,
    JobStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    Suggestion,
    SuggestionStatus,
    SuggestionSupport,
)
from quarter.core import clock
from quarter.core.errors import DomainError, NotFound, PermissionDenied
from quarter.core.geo import haversine_m
from quarter.places.models import Admission, BusinessType, Community


def visible_notices(*, community_ids=None, kind: str | None = None) -> QuerySet[Notice]:
    """Published notices shown now (started, not expired): pinned first, newest first.

    `community_ids` None means every community. Raises `unknown_notice_kind`.
    """
    now = clock.now()
    qs = (
        Notice.objects.filter(status=NoticeStatus.PUBLISHED, publish_at__lte=now)
        .filter(Q(expire_at__isnull=True) | Q(expire_at__gt=now))
        .select_related("merchant", "community")
        .order_by("-pinned", "-publish_at", "-id")
    )
    if community_ids is not None:
        qs = qs.filter(community_id__in=list(community_ids))
    if kind:
        if kind not in NoticeKind.values:
            raise DomainError(Code.UNKNOWN_KIND, "没有这个公告类别", field="kind")
        qs = qs.filter(kind=kind)
    return qs


def home_community_ids(actor) -> list[int] | None:
    """The communities whose notices a person's home shows: their own, else all."""
    community_id = access.resident_community_id(actor)
    return [community_id] if community_id is not None else None


def get_notice(*, actor, notice_id: int) -> Notice:
    """Return a notice `actor` may open. Raises 404 `not_found` or 403."""
    notice = (
        Notice.objects.select_related("merchant", "community")
        .filter(pk=notice_id)
        .first()
    )
    if notice is None:
        raise NotFound(Code.NOT_FOUND, "没有这条公告")
    access.require_see_notice(actor, notice)
    return notice


# --- jobs ---


@dataclass
class JobHit:
    job: JobPost
    distance_m: float | None  # walking metres (estimated when walk.estimated)
    walk: object = None  # coverage.walking.Walk from the resident's compound


def open_jobs() -> QuerySet[JobPost]:
    """Approved job posts of listed shops whose date has not passed."""
    return JobPost.objects.filter(
        status=JobStatus.APPROVED,
        expires_on__gte=clock.local_now().date(),
        merchant__admission=Admission.APPROVED,
    ).select_related("merchant__main_type", "community")


def list_open_jobs(
    *,
    type_code: str | None = None,
    origin: tuple[float, float] | None = None,
    compound=None,
    max_distance_m: float | None = None,
    limit: int = 100,
) -> list[JobHit]:
    """Open jobs, by the shop's business type and distance from `origin`.

    With a `compound` (the resident's home) the distance is the walk on the
    streets (coverage.walking; an estimate where no network reaches); with an
    origin alone the straight line. The nearest come first; `max_distance_m`
    keeps those within. Without either, newest first. Raises
    `unknown_business_type`.
    """
    qs = open_jobs()
    if type_code:
        if not BusinessType.objects.filter(code=type_code).exists():
            raise DomainError(Code.NOT_FOUND, "没有这个业态", field="type")
        qs = qs.filter(merchant__main_type__code=type_code)
    jobs = list(qs.order_by("-created_at", "-id")[:500])
    hits = [
        JobHit(
            job,
            haversine_m(origin[0], origin[1], job.merchant.lat, job.merchant.lng)
            if origin
            else None,
        )
        for job in jobs
    ]
    if compound is not None:
        from quarter.coverage.walking import walks_from

        walks = walks_from(
            compound, {h.job.pk: (h.job.merchant.lat, h.job.merchant.lng) for h in hits}
        )
        for hit in hits:
            hit.walk = walks[hit.job.pk]
            hit.distance_m = hit.walk.metres
        origin = origin or (compound.lat, compound.lng)
    if origin is not None:
        if max_distance_m is not None:
            hits = [h for h in hits if h.distance_m <= max_distance_m]
        hits.sort(key=lambda h: (h.distance_m, -h.job.pk))
    return hits[:limit]


def job_types() -> QuerySet[BusinessType]:
    """The business types that have at least one open job (for the filter)."""
    return BusinessType.objects.filter(
        pk__in=open_jobs().values("merchant__main_type")
    ).order_by("tier", "sort_order")


def get_job(*, actor, job_id: int) -> JobPost:
    job = (
        JobPost.objects.select_related("merchant__main_type", "community")
        .filter(pk=job_id)
        .first()
    )
    if job is None:
        raise NotFound(Code.NOT_FOUND, "没有这条招工信息")
    access.require_see_job(actor, job)
    return job


# --- suggestions ---


def _with_support(qs: QuerySet[Suggestion], actor) -> QuerySet[Suggestion]:
    qs = qs.annotate(support_count=Count("supports", distinct=True))
    if getattr(actor, "is_authenticated", False):
        qs = qs.annotate(
            supported=Exists(
                SuggestionSupport.objects.filter(
                    suggestion=OuterRef("pk"), user_id=actor.pk
                )
            )
        )
    return qs


def list_community_suggestions(*, actor, status: str | None = None):
    """The suggestions of the resident's own community, newest first.

    Raises `not_a_resident` (403) for anyone without a home in a community.
    """
    community_id = access.require_resident(actor)
    qs = Suggestion.objects.filter(community_id=community_id)
    if status:
        if status not in SuggestionStatus.values:
            raise DomainError(Code.UNKNOWN_STATUS, "没有这个状态", field="status")
        qs = qs.filter(status=status)
    return (
        _with_support(qs, actor).select_related("author").order_by("-created_at", "-id")
    )


def get_suggestion(*, actor, suggestion_id: int) -> Suggestion:
    """Return a suggestion its community's residents or operators may read."""
    suggestion = (
        _with_support(Suggestion.objects.filter(pk=suggestion_id), actor)
        .select_related("community", "author")
        .first()
    )
    if suggestion is None:
        raise NotFound(Code.NOT_FOUND, "没有这条建议")
    access.require_see_suggestion(actor, suggestion)
    return suggestion


# --- the operator's desk ---


@dataclass
class Desk:
    community: Community
    communities: list[Community]
    drafts: list[Notice]
    pending_notices: list[Notice]
    published: list[Notice]
    pending_jobs: list[JobPost]
    open_suggestions: list[Suggestion]
    answered_suggestions: list[Suggestion]


def get_desk(*, actor, slug: str | None = None) -> Desk:
    """What an operator has to decide for one of their communities.

    Raises `not_community_operator` (403) for anyone who operates none, and
    for a community `slug` they do not operate.
    """
    access.require_board_operator(actor)
    communities = list(access.communities_operated_by(actor))
    if not communities:
        raise DomainError(Code.NOT_COMMUNITY_OPERATOR, "没有可管理的社区")
    community = communities[0]
    if slug:
        community = next((c for c in communities if c.slug == slug), None)
        if community is None:
            raise PermissionDenied(
                Code.NOT_COMMUNITY_OPERATOR, "您不是该社区的工作人员"
            )
    notices = Notice.objects.filter(community=community).select_related("merchant")
    suggestions = _with_support(
        Suggestion.objects.filter(community=community), actor
    ).select_related("author")
    open_states = [SuggestionStatus.SUBMITTED]
    return Desk(
        community=community,
        communities=communities,
        drafts=list(notices.filter(status=NoticeStatus.DRAFT).order_by("-id")[:50]),
        pending_notices=list(
            notices.filter(status=NoticeStatus.PENDING).order_by("id")[:50]
        ),
        published=list(
            notices.filter(status=NoticeStatus.PUBLISHED).order_by(
                "-pinned", "-publish_at"
            )[:30]
        ),
        pending_jobs=list(
            JobPost.objects.filter(community=community, status=JobStatus.PENDING)
            .select_related("merchant")
            .order_by("id")[:50]
        ),
        open_suggestions=list(
            suggestions.filter(status__in=open_states).order_by("id")[:50]
        ),
        answered_suggestions=list(
            suggestions.exclude(status__in=open_states).order_by("-answered_at")[:30]
        ),
    )


def shop_submissions(*, merchant) -> tuple[list[Notice], list[JobPost]]:
    """The notices and job posts a shop has submitted, newest first."""
    return (
        list(
            Notice.objects.filter(merchant=merchant)
            .exclude(status=NoticeStatus.DRAFT)
            .order_by("-created_at")[:30]
        ),
        list(JobPost.objects.filter(merchant=merchant).order_by("-created_at")[:30]),
    )
