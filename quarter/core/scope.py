"""Which rows an actor may reach: one declaration per model, one filter for all.

Each model says how it reaches the geography it belongs to, as ORM lookups:

    declare(Merchant, community="community")
    declare(Compound, community="community")
    declare(Round, district="campaign__issuer__district")
    declare(User, community=("resident__household__compound__community",
                             "merchant_roles__merchant__community",
                             "operator_roles__community"))
    declare(BusinessType, shared=True)          # reference data
    declare(Transaction, superuser_only=True)   # platform books

`limit(queryset, actor)` then keeps only the rows the actor may touch:
superusers and SYSTEM everything; an operator the rows of their communities;
an issuer the rows of their districts (a community row belongs to the district
of its street office, except personal data, declared
`issuers_via_community=False`). Rows that belong to no community or district
(a search
without a compound) are for superusers only. The back office
(`quarter.core.backoffice`) runs every queryset, foreign-key choice and list
filter of every registered ModelAdmin through `limit`.

This module imports no app: the actor's reach (their communities and
districts) comes from a resolver that `places` registers at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet

from quarter.core.actors import is_system

# How a community row reaches its district (Community -> StreetOffice -> District).
COMMUNITY_TO_DISTRICT = "street_office__district"


@dataclass(frozen=True)
class ModelScope:
    community: tuple[str, ...] = ()
    district: tuple[str, ...] = ()
    shared: bool = False
    superuser_only: bool = False
    # Whether an issuer reaches the community rows of their district; False for
    # personal data (residents, households), which only operators handle.
    issuers_via_community: bool = True


@dataclass(frozen=True)
class Reach:
    """The communities an actor operates and the districts it issues for."""

    everything: bool = False
    community_ids: frozenset[int] = field(default_factory=frozenset)
    district_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.community_ids or self.district_ids)


NO_REACH = Reach()
FULL_REACH = Reach(everything=True)

_SCOPES: dict[str, ModelScope] = {}
_resolver: Callable[[object], Reach] | None = None


def _key(model) -> str:
    return model._meta.label_lower


def _paths(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def declare(
    model: type[Model],
    *,
    community: str | Iterable[str] = (),
    district: str | Iterable[str] = (),
    shared: bool = False,
    superuser_only: bool = False,
    issuers_via_community: bool = True,
) -> None:
    """Declare how rows of `model` reach a community or a district.

    `community` lookups end at a Community ("" for a Community itself);
    `district` lookups end at a District ("" for a District itself). Declaring
    the same model twice with a different scope is a programming error.
    """
    scope = ModelScope(
        community=_paths(community),
        district=_paths(district),
        shared=shared,
        superuser_only=superuser_only,
        issuers_via_community=issuers_via_community,
    )
    if not (scope.community or scope.district or shared or superuser_only):
        raise ImproperlyConfigured(f"{_key(model)}: a scope needs at least one path")
    old = _SCOPES.get(_key(model))
    if old is not None and old != scope:
        raise ImproperlyConfigured(f"{_key(model)} declared twice with other scopes")
    _SCOPES[_key(model)] = scope


def scope_of(model) -> ModelScope:
    """Return the declared scope of `model`; raise ImproperlyConfigured if none."""
    try:
        return _SCOPES[_key(model)]
    except KeyError:
        raise ImproperlyConfigured(
            f"{_key(model)} has no access scope: declare it in its app's access.py"
        ) from None


def is_declared(model) -> bool:
    return _key(model) in _SCOPES


def set_reach_resolver(resolver: Callable[[object], Reach]) -> None:
    """Let the geography app say which communities and districts an actor reaches."""
    global _resolver
    _resolver = resolver


def reach_of(actor) -> Reach:
    """Return what `actor` reaches: everything, some communities/districts, nothing."""
    if is_system(actor):
        return FULL_REACH
    if actor is None or not getattr(actor, "is_authenticated", False):
        return NO_REACH
    if actor.is_superuser:
        return FULL_REACH
    if _resolver is None:
        raise ImproperlyConfigured("no reach resolver registered (places app)")
    return _resolver(actor)


def _join(path: str, tail: str) -> str:
    return f"{path}__{tail}" if path else tail


def _lookup(path: str) -> str:
    return _join(path, "pk__in") if path else "pk__in"


def condition(model, reach: Reach) -> Q | None:
    """Return the filter keeping `model` rows inside `reach` (None: keep all)."""
    scope = scope_of(model)
    if reach.everything or scope.shared:
        return None
    nothing = Q(pk__in=[])
    if scope.superuser_only or reach.nothing:
        return nothing
    q = nothing
    for path in scope.community:
        if reach.community_ids:
            q |= Q(**{_lookup(path): reach.community_ids})
        if reach.district_ids and scope.issuers_via_community:
            q |= Q(**{_lookup(_join(path, COMMUNITY_TO_DISTRICT)): reach.district_ids})
    for path in scope.district:
        if reach.district_ids:
            q |= Q(**{_lookup(path): reach.district_ids})
    return q


def limit(queryset: QuerySet, actor, *, reach: Reach | None = None) -> QuerySet:
    """Keep only the rows of `queryset` that `actor` may see or point to.

    Multi-valued paths (a user reached through several roles) are matched in a
    subquery, so the result has no duplicates and stays deletable.
    """
    model = queryset.model
    q = condition(model, reach if reach is not None else reach_of(actor))
    if q is None:
        return queryset
    inner = model._default_manager.filter(q).values("pk")
    return queryset.filter(pk__in=inner)


def reaches(actor, obj: Model, *, reach: Reach | None = None) -> bool:
    """Return whether the saved row `obj` is inside what `actor` reaches."""
    qs = type(obj)._default_manager.filter(pk=obj.pk)
    return limit(qs, actor, reach=reach).exists()
