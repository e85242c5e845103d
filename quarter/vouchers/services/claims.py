"""The claim: eligibility, the one claim service, and the packet in the wallet.

One path for every tap. The countdown page issues a signed rush ticket after
the eligibility checks (`issue_rush_ticket`); the resident's button sends it
to ``/vouchers/rush/<round>/claim``, which the gate (`rushgate`) answers in
front of Django. The gate, the Django fallback view and the JSON API all turn
what they got into a typed `ClaimRequest` (`request_from_ticket` or
`request_for`), call `submit_claim`, and answer with `answers.claim_answer`.

With the database engine the claim rows are written in the claim's own
transaction; with Redis the script acknowledges the claim and the persister
(`persist_claims`, through `materialize_claims`) is the only writer of claim
rows: nothing here writes them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from django.db import transaction

from quarter.core import clock, sql
from quarter.core.errors import DomainError, PermissionDenied
from quarter.people.access import is_registered_resident
from quarter.people.models import Resident
from quarter.vouchers import accounts, codes, selectors
from quarter.vouchers.answers import refusal
from quarter.vouchers.engines import ClaimOutcome, ClaimRequest, get_engine
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.models import Claim, Round, RoundCoupon, Voucher


@dataclass(frozen=True)
class ClaimEntry:
    """One acknowledged claim as the engine recorded it."""

    source_id: str
    resident_id: int
    # The ID hash; None when the engine does not carry it (Redis keeps only
    # the per-person key): `materialize_claims` reads it from the resident.
    person_hash: str | None
    claimed_at: dt.datetime
    ip: str | None = None
    device: str = ""
    # The engine's per-person key (Redis), kept in case the resident's ID hash
    # is gone by the time the row is written (verification withdrawn).
    person_key: str = ""


def resident_of(actor) -> Resident:
    resident = (
        getattr(actor, "resident", None)
        if getattr(actor, "is_authenticated", False)
        else None
    )
    if resident is None:
        raise PermissionDenied(Code.NOT_A_RESIDENT, "只有居民账号可以领券")
    return resident


def check_eligible(*, resident: Resident, round_: Round, now: dt.datetime) -> None:
    """Raise why the resident may not claim in this round (timing aside).

    Codes: `real_name_required`, `not_in_campaign_area`, `not_on_register`,
    `below_minimum_age`, `weekly_limit_reached`.
    """
    if not resident.is_verified or not resident.id_hash:
        raise refusal(Code.NOT_VERIFIED)
    campaign = round_.campaign
    community = resident.household.compound.community if resident.household_id else None
    if community is None or not campaign.covers(community):
        raise DomainError(
            Code.NOT_ELIGIBLE_AREA,
            "本轮消费券仅限活动范围内的居民领取",
            status_code=403,
        )
    if not campaign.open_to_unregistered and not is_registered_resident(resident):
        raise DomainError(
            Code.NOT_ON_REGISTER,
            "本活动仅限社区居民名册中的居民领取,请联系社区工作者登记",
            status_code=403,
        )
    if round_.min_age:
        # Only the birth year is kept (PIPL): the age reached this calendar year.
        born = resident.birth_year
        age = None if born is None else now.astimezone(clock.SHANGHAI).year - born
        if age is None or age < round_.min_age:
            raise DomainError(
                Code.TOO_YOUNG,
                f"本轮仅限{round_.min_age}周岁及以上居民领取",
                status_code=403,
            )
    if (
        round_.limits_per_week
        and Claim.objects.filter(
            campaign=campaign, person_hash=resident.id_hash, week=clock.iso_week(now)
        )
        .exclude(round=round_)
        .exists()
    ):
        # A fast answer only: the engine enforces it atomically with the claim.
        raise _week_limit()


def check_timing(round_: Round, now: dt.datetime) -> None:
    phase = round_.phase(now)
    if phase == "scheduled":
        raise refusal(
            Code.NOT_RELEASED, params={"release_at": round_.release_at.isoformat()}
        )
    if phase == "stopped" or (phase == "closed" and round_.sold_out_at is None):
        raise refusal(Code.ROUND_CLOSED)


def claim_packet(
    *, actor, round_: Round, ip: str | None = None, device: str = ""
) -> ClaimOutcome:
    """Claim one packet of `round_` for a logged-in resident (JSON API, demo, tests).

    The eligibility checks, then `submit_claim`: the same claim the page's
    ticket takes. Raises `not_a_resident` and the codes of `check_timing`,
    `check_eligible` and `submit_claim`.
    """
    request = request_for(actor=actor, round_=round_, ip=ip, device=device)
    return submit_claim(request, round_=round_)


def request_for(
    *, actor, round_: Round, ip: str | None = None, device: str = ""
) -> ClaimRequest:
    """Check that the actor may claim in `round_` now; return their claim request.

    Raises `not_a_resident`, `round_not_released`, `round_closed`,
    `real_name_required`, `not_in_campaign_area`, `below_minimum_age`,
    `weekly_limit_reached`.
    """
    resident = resident_of(actor)
    now = clock.now()
    check_timing(round_, now)
    check_eligible(resident=resident, round_=round_, now=now)
    return ClaimRequest(
        round_id=round_.pk,
        campaign_id=round_.campaign_id,
        user_id=actor.pk,
        resident_id=resident.pk,
        person_key=codes.person_key(
            campaign_id=round_.campaign_id, id_hash=resident.id_hash
        ),
        ip=ip,
        device=(device or "")[:64],
    )


def request_from_ticket(
    *, ticket: str, round_id: int, ip: str | None = None, device: str = ""
) -> ClaimRequest:
    """Return the claim request a rush ticket stands for; one HMAC, no database read.

    Raises `rush_ticket_invalid` (forged, expired or for another round).
    """
    parsed = codes.verify_ticket(ticket or "", now=clock.now().timestamp())
    if parsed is None or parsed.round_id != round_id:
        raise refusal(Code.TICKET_INVALID)
    return ClaimRequest(
        round_id=round_id,
        campaign_id=parsed.campaign_id,
        user_id=parsed.user_id,
        resident_id=parsed.resident_id,
        person_key=parsed.person_key,
        ip=ip,
        device=(device or "")[:64],
    )


def submit_claim(request: ClaimRequest, *, round_: Round | None = None) -> ClaimOutcome:
    """Take one packet for the request: the one claim service of every entry point.

    Returns an outcome that is ok (new or `repeated`), `registered` (lottery
    round) or `packet_sold_out` (with the sell-out time). Raises
    `round_not_released`, `round_closed`, `person_already_claimed`,
    `weekly_limit_reached`, `rate_limited`, `real_name_required`,
    `claim_engine_not_ready`. Only a request that would take a packet counts
    against the per-account and per-IP limits.

    Redis: one script, no database read or write; the persister writes the
    rows. Database: one short transaction of plain SQL writes claim, vouchers
    and the ledger claim movement (`materialize_claims`); a sold-out round is
    answered with reads only.
    """
    engine = get_engine()
    now = clock.now()
    if engine.transactional:
        round_ = round_ or selectors.get_round_for_claim(round_id=request.round_id)
        if round_.mode == "lottery":
            return _register(request, round_, now)
        if round_.sold_out_at is not None:
            # Sold out: answer with reads only, no write (most requests of a rush).
            return _sold_out_answer(round_, request.resident_id)
        check_timing(round_, now)
    outcome = engine.claim(request, now=now, round_=round_)
    if outcome.code == Code.LOTTERY_ROUND:
        round_ = round_ or selectors.get_round_for_claim(round_id=request.round_id)
        return _register(request, round_, now)
    if outcome.ok or outcome.code == Code.SOLD_OUT:
        return outcome
    raise refusal(outcome.code)


def claim_with_ticket(
    *, ticket: str, round_id: int, ip: str | None = None, device: str = ""
) -> ClaimOutcome:
    """Claim with a rush ticket (``/vouchers/rush/<id>/claim``, gate and view).

    Raises `rush_ticket_invalid` and the codes of `submit_claim`.
    """
    return submit_claim(
        request_from_ticket(ticket=ticket, round_id=round_id, ip=ip, device=device)
    )


def _register(request: ClaimRequest, round_: Round, now) -> ClaimOutcome:
    from quarter.vouchers.services import lottery

    check_timing(round_, now)
    resident = Resident.objects.get(pk=request.resident_id)
    return lottery.register(resident=resident, round_=round_, now=now)


def issue_rush_ticket(*, actor, round_: Round) -> str:
    """Return a signed ticket for the claim button, after the eligibility checks.

    The ticket is valid until the claim window closes and lets the gate take
    the claim without a database read. It names the resident, the round and a
    per-person key (`codes.person_key`); the ID hash never leaves the server.
    Raises the eligibility codes.
    """
    resident = resident_of(actor)
    now = clock.now()
    check_eligible(resident=resident, round_=round_, now=now)
    return codes.sign_ticket(
        round_id=round_.pk,
        campaign_id=round_.campaign_id,
        user_id=actor.pk,
        resident_id=resident.pk,
        person_hash=resident.id_hash,
        expires=int(round_.claim_closes_at.timestamp()),
    )


def materialize_claims(round_: Round, entries: list[ClaimEntry]) -> list[int]:
    """Write claims, their vouchers and one ledger movement; skip those already written.

    Idempotent by (round, `source_id`) (the engine's id of the claim, unique
    only within its round: Redis stream ids repeat across rounds selling in
    the same millisecond): running it twice for the same entries writes once.
    An entry without its ID hash (Redis) gets the resident's. Returns the ids
    of the new claims.
    Atomic, joining the caller's transaction (an error rolls back the caller's
    work too, which is what both callers want). Ledger: claim (round unclaimed
    -> round claimed). Plain SQL (`quarter.core.sql`): this runs once per claim
    in a database-engine rush, and the ORM's compile cost would dominate it;
    a persister's batch goes in with COPY on PostgreSQL (`sql.copy_rows`).
    """
    if not entries:
        return []
    with transaction.atomic(savepoint=False):
        wanted = list(dict.fromkeys(e.source_id for e in entries))
        done = {
            source_id
            for (source_id,) in sql.select_rows(
                f"SELECT source_id FROM {sql.quote(Claim._meta.db_table)} "
                f"WHERE round_id = %s AND source_id IN "
                f"({sql.placeholders(len(wanted))})",
                [round_.pk, *wanted],
            )
        }
        fresh = {e.source_id: e for e in entries if e.source_id not in done}
        if not fresh:
            return []
        hashes = _id_hashes(e.resident_id for e in fresh.values() if not e.person_hash)
        engine = get_engine().name
        now = clock.now()
        per_week = round_.limits_per_week
        claims = list(fresh.values())
        claim_ids = sql.copy_rows(
            Claim,
            CLAIM_COLUMNS,
            [
                (
                    round_.pk,
                    round_.campaign_id,
                    e.resident_id,
                    e.person_hash or hashes.get(e.resident_id) or f"key:{e.person_key}",
                    engine,
                    e.source_id,
                    clock.iso_week(e.claimed_at) if per_week else "",
                    _valid_ip(e.ip),
                    e.device[:64],
                    e.claimed_at,
                    now,
                )
                for e in claims
            ],
            with_ids=True,
        )
        coupons = sql.select_rows(
            f"SELECT face_fen, threshold_fen, business_type_id, {sql.quote('count')} "
            f"FROM {sql.quote(RoundCoupon._meta.db_table)} WHERE round_id = %s "
            f"ORDER BY {sql.quote('position')}, id",
            [round_.pk],
        )
        sql.copy_rows(
            Voucher,
            VOUCHER_COLUMNS,
            [
                (
                    claim_id,
                    round_.pk,
                    e.resident_id,
                    face,
                    threshold,
                    business_type_id,
                    round_.valid_from,
                    round_.valid_until,
                    Voucher.Status.UNUSED.value,
                )
                for claim_id, e in zip(claim_ids, claims, strict=True)
                for face, threshold, business_type_id, count in coupons
                for _ in range(count)
            ],
        )
        first = min(fresh)
        key = (
            f"claim:{round_.pk}:{first}"
            if len(fresh) == 1
            else f"claims:{round_.pk}:{first}:{len(fresh)}"
        )
        accounts.move(
            accounts.unclaimed(round_.campaign_id, round_.pk),
            accounts.claimed(round_.campaign_id, round_.pk),
            len(fresh) * round_.packet_face_fen,
            key=key,
            kind="claim",
            reference=f"round:{round_.pk}",
            memo=f"{len(fresh)} 份券包",
        )
    return claim_ids


CLAIM_COLUMNS = [
    "round_id",
    "campaign_id",
    "resident_id",
    "person_hash",
    "engine",
    "source_id",
    "week",
    "ip",
    "device",
    "claimed_at",
    "persisted_at",
]
VOUCHER_COLUMNS = [
    "claim_id",
    "round_id",
    "resident_id",
    "face_fen",
    "threshold_fen",
    "business_type_id",
    "valid_from",
    "valid_until",
    "status",
]


def _id_hashes(resident_ids) -> dict[int, str]:
    """The ID hash of each resident, in one read (the persister's batches)."""
    ids = sorted(set(resident_ids))
    if not ids:
        return {}
    return dict(
        sql.select_rows(
            f"SELECT id, id_hash FROM {sql.quote(Resident._meta.db_table)} "
            f"WHERE id IN ({sql.placeholders(len(ids))})",
            ids,
        )
    )


def _sold_out_answer(round_: Round, resident_id: int) -> ClaimOutcome:
    mine = sql.select_rows(
        f"SELECT id, source_id FROM {sql.quote(Claim._meta.db_table)} "
        "WHERE round_id = %s AND resident_id = %s",
        [round_.pk, resident_id],
    )
    if mine:
        claim_id, source_id = mine[0]
        return ClaimOutcome(
            ok=True, repeated=True, source_id=source_id, claim_id=claim_id
        )
    return ClaimOutcome(ok=False, code=Code.SOLD_OUT, sold_out_at=round_.sold_out_at)


def _valid_ip(value: str | None) -> str | None:
    # A malformed address must not wedge the persister on one stream entry.
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _week_limit() -> DomainError:
    return refusal(Code.WEEK_LIMIT)
