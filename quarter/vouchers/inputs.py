"""Typed inputs of the voucher services, produced by forms (`form.to_input()`).

A page parses its form into one of these and hands `input.kwargs()` to the
service, so no field can be dropped between the page and the service: the
tests compare each dataclass with its service's signature and each form with
its dataclass.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from quarter.vouchers.models import CardStacking, ClaimMode, PersonLimit
from quarter.vouchers.services.campaigns import CouponSpec


@dataclasses.dataclass(frozen=True)
class _Input:
    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of the service (shallow: CouponSpec stays one)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclasses.dataclass(frozen=True)
class CampaignInput(_Input):
    """What `campaigns.create_campaign` takes besides actor and issuer."""

    name: str
    budget_fen: int
    community_ids: list[int]
    street_office_ids: list[int]
    business_type_codes: list[str]
    max_per_merchant_per_day: int
    cofund_permille: int
    open_to_unregistered: bool = False
    card_stacking: str = CardStacking.AFTER_CARD


@dataclasses.dataclass(frozen=True)
class RoundInput(_Input):
    """What `campaigns.create_round` takes besides actor and campaign."""

    name: str
    release_at: dt.datetime
    claim_closes_at: dt.datetime
    valid_from: dt.datetime
    valid_until: dt.datetime
    packets_total: int
    coupons: list[CouponSpec]
    person_limit: str = PersonLimit.ROUND
    min_age: int | None = None
    mode: str = ClaimMode.FIRST_COME


@dataclasses.dataclass(frozen=True)
class RoundChangeInput(_Input):
    """What `campaigns.change_round` may change, with the reason."""

    reason: str
    name: str
    release_at: dt.datetime
    claim_closes_at: dt.datetime
    valid_from: dt.datetime
    valid_until: dt.datetime
    packets_total: int
    coupons: list[CouponSpec]


@dataclasses.dataclass(frozen=True)
class TillInput(_Input):
    """What the till's quote and redemption take besides actor and merchant."""

    code: str
    bill_fen: int


@dataclasses.dataclass(frozen=True)
class RefundInput(_Input):
    amount_fen: int


@dataclasses.dataclass(frozen=True)
class ReviewInput(_Input):
    release: bool
    reason: str
