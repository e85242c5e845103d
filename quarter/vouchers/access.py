"""Who may do what with vouchers: the one place the vouchers app decides it."""

from __future__ import annotations

from django.db.models import QuerySet

from quarter.core.actors import is_system
from quarter.core.errors import PermissionDenied
from quarter.places.services import is_operator_of, is_staff_of
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.models import Redemption, Settlement

# --- settlement: who settles, pays and reads (till branch) ---
#
# An issuer acts for its own district only: it settles the redemptions of its
# district's campaigns, marks its district's settlements paid, and reads their
# statements. SYSTEM (the nightly job) settles every district.


def issuer_district_ids(actor) -> list[int]:
    """Return the districts `actor` issues for (empty for everyone else)."""
    if is_system(actor) or not getattr(actor, "is_authenticated", False):
        return []
    return list(actor.issuer_roles.values_list("district_id", flat=True))


def settleable_redemptions(actor) -> QuerySet[Redemption]:
    """Return the redemptions `actor` may settle; raise `not_issuer` for others."""
    qs = Redemption.objects.all()
    if is_system(actor):
        return qs
    districts = issuer_district_ids(actor)
    if not districts:
        raise PermissionDenied(Code.NOT_ISSUER, "只有发券机构可以结算")
    return qs.filter(voucher__round__campaign__issuer__district_id__in=districts)


def _settlement_district_id(settlement: Settlement) -> int:
    return settlement.merchant.community.street_office.district_id


def require_settlement_payer(actor, settlement: Settlement) -> None:
    """Raise `not_issuer` unless `actor` issues for the settlement's district."""
    if _settlement_district_id(settlement) not in issuer_district_ids(actor):
        raise PermissionDenied(
            Code.NOT_ISSUER, "只有本区发券机构可以确认该结算单已付款"
        )


def can_read_statement(actor, settlement: Settlement) -> bool:
    """Return whether `actor` may download the settlement's statement.

    The shop's staff, its community's operators, its district's issuers, and
    SYSTEM may.
    """
    if is_system(actor):
        return True
    shop = settlement.merchant
    return (
        is_staff_of(actor, shop)
        or is_operator_of(actor, shop.community)
        or _settlement_district_id(settlement) in issuer_district_ids(actor)
    )
