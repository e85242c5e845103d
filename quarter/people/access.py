"""Who may see or do what with accounts and residents: the people app's permissions.

The scopes at the bottom tell the back office (quarter.core.scope) how each
people model reaches a community or a district.
"""

from __future__ import annotations

from quarter.core import scope
from quarter.core.actors import is_person
from quarter.core.errors import PermissionDenied
from quarter.people.errors import PeopleErrorCode as Code
from quarter.people.models import Household, Issuer, Operator, Resident, User

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
