"""Vouchers granted without a rush (免申即享): the same packet, no button.

A programme (the benefits app) decides who is due a packet; this module puts
it in the resident's wallet through the very writers a claim uses, so the
ledger, the till, expiry and settlement see a granted packet exactly as a
claimed one:

    allocate  campaign unallocated -> round unclaimed   (one packet's face value)
    claim     round unclaimed      -> round claimed     (`materialize_claims`)

The packets of one programme period live in one `Round` marked `granted`.
Its stock is always the packets granted (`packets_total` grows by one with
each grant and its face value is allocated in the same transaction), so the
round is never listed for claiming and a tap on it finds no packet left, and
the campaign's books keep
``budget = unallocated + unclaimed + claimed + receivable + settled + expired``
(unclaimed is zero for a granted round).

A grant is idempotent by its `source_id` (unique per round, as a claim's is)
and by the ledger keys derived from it: granting twice writes once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from quarter.core import clock
from quarter.core.actors import is_system
from quarter.core.errors import DomainError
from quarter.people.models import Resident
from quarter.vouchers import access, events, presets
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.locks import lock_round
from quarter.vouchers.models import Campaign, Claim, Round, RoundCoupon
from quarter.vouchers.services import campaigns
from quarter.vouchers.services.campaigns import CouponSpec
from quarter.vouchers.services.claims import ClaimEntry, materialize_claims


@dataclass(frozen=True)
class GrantRoundSpec:
    """The packet of one programme period: its name, use window and coupons."""

    name: str
    valid_from: dt.datetime
    valid_until: dt.datetime
    coupons: tuple[CouponSpec, ...]

    @property
    def packet_face_fen(self) -> int:
        return presets.packet_face_fen(
            [(c.face_fen, c.threshold_fen, c.count) for c in self.coupons]
        )


@dataclass(frozen=True)
class Granted:
    round: Round
    claim_id: int
    # True when this source had already been granted: nothing was written.
    repeated: bool = False


def grant_packet(
    *,
    actor,
    campaign: Campaign,
    resident: Resident,
    source_id: str,
    spec: GrantRoundSpec,
    round_id: int | None = None,
) -> Granted:
    """Put one packet of `spec` in the resident's wallet, paid from `campaign`.

    `round_id` is the period's granted round, None for the first grant of the
    period (the round is created here). Only SYSTEM (the daily job) or an
    issuer of the campaign may grant. Raises `not_issuer`,
    `real_name_required` (a packet belongs to one real person),
    `budget_exceeded` (nothing written: the round, its stock and the ledger
    stay as they were), and the coupon and time codes of `create_round`.
    Atomic (a savepoint inside the caller's transaction). Ledger: allocate
    and claim, keys ``allocate:round:<id>:grant:<source>`` and
    ``claim:<id>:<source>``. Event: round_created for a new round.
    """
    if not is_system(actor):
        access.require_issuer_of(actor, campaign)
    if not resident.verified_at or not resident.id_hash:
        raise DomainError(
            Code.NOT_VERIFIED, "该居民尚未实名认证,不能发放消费券", status_code=409
        )
    source_id = f"grant:{source_id}"
    if len(source_id) > 40:
        raise ValueError("source_id too long for Claim.source_id")
    coupon_rows = campaigns._check_coupons(list(spec.coupons))
    if spec.valid_until <= spec.valid_from:
        raise DomainError(
            Code.TIMES_NOT_ORDERED, "使用截止必须晚于使用开始", field="valid_until"
        )
    face = spec.packet_face_fen
    with transaction.atomic():
        if round_id is None:
            round_ = _new_round(campaign, spec, coupon_rows, face, actor=actor)
        else:
            round_ = lock_round(round_id)
            if round_.campaign_id != campaign.pk or not round_.granted:
                raise ValueError("round_id is not a granted round of this campaign")
            done = Claim.objects.filter(round=round_, source_id=source_id).first()
            if done is not None:
                return Granted(round=round_, claim_id=done.pk, repeated=True)
            campaigns._check_budget(campaign, extra_fen=round_.packet_face_fen)
            round_.packets_total += 1
            round_.save(update_fields=["packets_total"])
        campaigns._allocate(round_, round_.packet_face_fen, version=source_id)
        (claim_id,) = materialize_claims(
            round_,
            [
                ClaimEntry(
                    source_id=source_id,
                    resident_id=resident.pk,
                    person_hash=resident.id_hash,
                    claimed_at=clock.now(),
                )
            ],
        )
        Claim.objects.filter(pk=claim_id).update(engine="grant")
    return Granted(round=round_, claim_id=claim_id)


def _new_round(
    campaign: Campaign, spec: GrantRoundSpec, coupon_rows, face: int, *, actor
) -> Round:
    campaigns._check_budget(campaign, extra_fen=face)
    now = clock.now()
    round_ = Round.objects.create(
        campaign=campaign,
        name=spec.name[:80],
        # The claim window is the use window; sold out from the start: nobody
        # can tap for it, only a grant adds a packet (and its stock).
        release_at=spec.valid_from,
        claim_closes_at=spec.valid_until,
        valid_from=spec.valid_from,
        valid_until=spec.valid_until,
        packets_total=1,
        packet_face_fen=face,
        sold_out_at=now,
        granted=True,
        stock_shards=1,
        created_at=now,
    )
    for i, row in enumerate(coupon_rows):
        RoundCoupon.objects.create(round=round_, position=i, **row)
    events.round_created(round_, actor=actor, snapshot=campaigns.round_snapshot(round_))
    return round_
