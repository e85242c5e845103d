"""Who may see or do what with people's data: the people app's permissions.

`is_registered_resident` is also the voucher claim's register rule (a resident
not on the register is eligible only for programmes open to non-registered).
The scopes at the bottom tell the back office (quarter.core.scope) how each
people model reaches a community or a district.
"""

from __future__ import annotations

from django.db.models import QuerySet

from quarter.core import scope
from quarter.core.actors import is_person
from quarter.core.errors import PermissionDenied
from quarter.people.errors import PeopleErrorCode as Code
from quarter.people.models import (
    AccessLog,
    Household,
    Issuer,
    Operator,
    PhoneCode,
    Planner,
    RegisterEntry,
    RegisterEvent,
    RegisterImport,
    RegisterStatus,
    Resident,
    User,
)
from quarter.places.models import Community

# --- residents ---


def resident_or_none(actor) -> Resident | None:
    """Return the actor's resident profile, or None (anonymous, staff, SYSTEM)."""
    if not is_person(actor):
        return None
    return getattr(actor, "resident", None)


def require_resident(actor, *, message: str = "") -> Resident:
    """Return the actor's resident profile; raise `not_a_resident` (403) if none."""
    resident = resident_or_none(actor)
    if resident is None:
        raise PermissionDenied(Code.NOT_A_RESIDENT, message or "只有居民账号可以办理")
    return resident


def can_view_card(actor, resident: Resident) -> bool:
    """Return whether `actor` may see this resident's card (only its owner may)."""
    return is_person(actor) and resident.user_id == actor.pk


# --- the resident register ---


def is_registered_resident(resident: Resident) -> bool:
    """Return whether the resident is real-name verified against an active
    register entry of the compound they are placed in.

    False for residents not on the register, moved away, or placed elsewhere
    than the register names. One query at most.
    """
    if not resident.verified_at or not resident.register_entry_id:
        return False
    if not resident.household_id:
        return False
    return RegisterEntry.objects.filter(
        pk=resident.register_entry_id,
        status=RegisterStatus.ACTIVE,
        compound_id=resident.household.compound_id,
    ).exists()


def operator_communities(actor) -> QuerySet[Community]:
    """Return the communities whose people the actor may manage (all for admins)."""
    if not getattr(actor, "is_authenticated", False):
        return Community.objects.none()
    if actor.is_superuser:
        return Community.objects.all()
    return Community.objects.filter(operators__user=actor)


def can_manage_community(actor, community: Community) -> bool:
    return operator_communities(actor).filter(pk=community.pk).exists()


def require_operator_of(actor, community: Community) -> None:
    """Raise `not_operator_of_community` unless the actor manages `community`."""
    if not can_manage_community(actor, community):
        raise PermissionDenied(
            Code.NOT_OPERATOR_OF_COMMUNITY, "您不是该社区的工作人员,无权办理"
        )


def residents_visible_to(actor) -> QuerySet[Resident]:
    """Return the residents an operator may see: those of their communities."""
    qs = Resident.objects.all()
    if getattr(actor, "is_superuser", False):
        return qs
    return qs.filter(household__compound__community__in=operator_communities(actor))


def require_may_see_resident(actor, resident: Resident) -> None:
    if not residents_visible_to(actor).filter(pk=resident.pk).exists():
        raise PermissionDenied(Code.NOT_OPERATOR_OF_COMMUNITY, "您无权查看该居民的信息")


# --- back-office scopes ---

_RESIDENT_COMMUNITY = "household__compound__community"

scope.declare(
    User,
    community=(
        f"resident__{_RESIDENT_COMMUNITY}",
        "merchant_roles__merchant__community",
        "operator_roles__community",
    ),
    district="issuer_roles__district",
    issuers_via_community=False,
)
# Personal data: the operators of the community, not the district's issuers.
scope.declare(Resident, community=_RESIDENT_COMMUNITY, issuers_via_community=False)
scope.declare(Household, community="compound__community", issuers_via_community=False)
scope.declare(Operator, community="community")
scope.declare(Issuer, district="district")
scope.declare(Planner, district="district")
scope.declare(RegisterEntry, community="community", issuers_via_community=False)
scope.declare(RegisterEvent, community="community", issuers_via_community=False)
scope.declare(RegisterImport, community="community", issuers_via_community=False)
# Who viewed or exported personal data, and phone codes: for the admin only.
scope.declare(AccessLog, superuser_only=True)
scope.declare(PhoneCode, superuser_only=True)
