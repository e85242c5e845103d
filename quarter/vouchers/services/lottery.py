"""Lottery rounds: register during the claim window, drawn at random afterwards.

The draw is reproducible: the seed is recorded on the round, registrants are
sorted by id, and `random.Random(seed).sample` picks the winners, so anyone
holding the seed and the registrant list can re-run it (`replay_draw`).
Winners get their packet through `materialize_claims` (same rows and ledger
movement as a first-come claim); packets nobody won go back to the budget.
"""

from __future__ import annotations

import random
import secrets

from django.db import IntegrityError, transaction

from quarter.core import clock
from quarter.core.errors import DomainError
from quarter.vouchers import events
from quarter.vouchers.engines import ClaimOutcome
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.locks import lock_round
from quarter.vouchers.models import ClaimMode, LotteryEntry, Phase, Round
from quarter.vouchers.services import campaigns
from quarter.vouchers.services.claims import ClaimEntry, materialize_claims


def register(*, resident, round_: Round, now) -> ClaimOutcome:
    """Register the resident for the draw; a second registration returns the first."""
    mine = LotteryEntry.objects.filter(round=round_, resident=resident).first()
    if mine is not None:
        return ClaimOutcome(ok=True, code="registered", repeated=True)
    try:
        with transaction.atomic():
            LotteryEntry.objects.create(
                round=round_,
                resident=resident,
                person_hash=resident.id_hash,
                registered_at=now,
            )
    except IntegrityError:
        if LotteryEntry.objects.filter(round=round_, resident=resident).exists():
            return ClaimOutcome(ok=True, code="registered", repeated=True)
        raise DomainError(
            Code.PERSON_ALREADY_CLAIMED, "同一身份证本轮已报名", status_code=409
        ) from None
    return ClaimOutcome(ok=True, code="registered")


def draw(*, actor, round_: Round, seed: str | None = None) -> list[int]:
    """Draw the winners of a closed lottery round; return their resident ids.

    Raises `not_issuer`, `round_not_drawable` (not a lottery, not closed —
    still open, or stopped — or already drawn). Writes claims, vouchers, the
    ledger claim movement, the release of packets nobody won, and a
    `lottery_drawn` event with the seed (through `events.py`).
    """
    campaigns.require_issuer_of(actor, round_.campaign)
    seed = seed or secrets.token_hex(16)
    with transaction.atomic():
        locked = lock_round(round_.pk)
        if (
            locked.mode != ClaimMode.LOTTERY
            or locked.drawn_at is not None
            or locked.phase(clock.now()) != Phase.CLOSED
        ):
            raise DomainError(
                Code.ROUND_NOT_DRAWABLE, "该轮次不是摇号轮次、尚未截止报名或已开奖"
            )
        entries = list(LotteryEntry.objects.filter(round=locked).order_by("pk"))
        winners = _pick(entries, locked.packets_total, seed)
        won_ids = {e.pk for e in winners}
        LotteryEntry.objects.filter(pk__in=won_ids).update(won=True)
        LotteryEntry.objects.filter(round=locked).exclude(pk__in=won_ids).update(
            won=False
        )
        now = clock.now()
        materialize_claims(
            locked,
            [
                ClaimEntry(
                    source_id=f"lottery:{locked.pk}:{e.resident_id}",
                    resident_id=e.resident_id,
                    person_hash=e.person_hash,
                    claimed_at=now,
                )
                for e in winners
            ],
        )
        locked.draw_seed, locked.drawn_at = seed, now
        locked.sold_out_at = now if len(winners) == locked.packets_total else None
        locked.save(update_fields=["draw_seed", "drawn_at", "sold_out_at"])
        left = locked.packets_total - len(winners)
        if left:
            campaigns._release(locked, left * locked.packet_face_fen, version="lottery")
        events.lottery_drawn(
            locked,
            actor=actor,
            seed=seed,
            registrants=len(entries),
            winners=len(winners),
        )
    return [e.resident_id for e in winners]


def replay_draw(round_: Round) -> list[int]:
    """Re-run a recorded draw from its seed;
    equals the winners if nothing was tampered with."""
    entries = list(LotteryEntry.objects.filter(round=round_).order_by("pk"))
    return [
        e.resident_id for e in _pick(entries, round_.packets_total, round_.draw_seed)
    ]


def _pick(entries, packets: int, seed: str):
    if len(entries) <= packets:
        return entries
    return sorted(random.Random(seed).sample(entries, packets), key=lambda e: e.pk)


__all__ = ["draw", "register", "replay_draw"]
