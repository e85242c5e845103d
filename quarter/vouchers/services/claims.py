"""The claim: eligibility, fairness checks, the engine call, and the packet in the wallet.

`claim_packet` is the verb for the Django path. The lean rush path
(`quarter.vouchers.rushgate`) checks eligibility when it issues the signed rush
ticket on the countdown page (`issue_rush_ticket`) and then calls the Redis
engine directly; the persister turns its claims into rows with
`materialize_claims`, the one function that writes claims, vouchers and the
claim's ledger movement for both engines.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
from dataclasses import dataclass

from django.db import connection, transaction

from quarter.core import clock, sql
from quarter.core.errors import DomainError, PermissionDenied
from quarter.people.access import is_registered_resident
from quarter.people.models import Resident
from quarter.vouchers import accounts, codes, ratelimit, selectors
from quarter.vouchers.engines import ClaimOutcome, get_engine
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.models import Claim, Round, RoundCoupon, Voucher


@dataclass(frozen=True)
class ClaimEntry:
    """One acknowledged claim as the engine recorded it."""

    source_id: str
    resident_id: int
    person_hash: str
    claimed_at: dt.datetime
    ip: str | None = None
    device: str = ""


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
        raise DomainError(Code.NOT_VERIFIED, "请先完成实名认证再领券", status_code=403)
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
        raise DomainError(
            Code.NOT_RELEASED,
            "还没到开抢时间",
            status_code=409,
            params={"release_at": round_.release_at.isoformat()},
        )
    if phase == "stopped" or (phase == "closed" and round_.sold_out_at is None):
        raise DomainError(Code.ROUND_CLOSED, "本轮已结束", status_code=409)


def claim_packet(
    *, actor, round_: Round, ip: str | None = None, device: str = ""
) -> ClaimOutcome:
    """Claim one packet of `round_` for the actor: the Django claim path.

    Raises `not_a_resident`, `rate_limited`, `round_not_released`, `round_closed`,
    `real_name_required`, `not_in_campaign_area`, `below_minimum_age`,
    `weekly_limit_reached`, `person_already_claimed`. Returns an outcome with
    code `packet_sold_out` (and the sell-out time) when none are left. A second
    call by the same resident returns the first packet (`repeated`).
    Writes: claim, vouchers, ledger claim movement (now, or by the persister).
    """
    resident = resident_of(actor)
    if round_.sold_out_at is not None and round_.mode != "lottery" and _db_engine():
        # Sold out: answer with reads only, no write (most requests of a rush).
        # (Redis answers a sold-out round in its script, and may hold an
        # acknowledged claim the database has not seen yet.)
        return _sold_out_answer(round_, resident.pk)
    pairs = [("account", f"u{actor.pk}")] + ([("ip", ip)] if ip else [])
    ratelimit.hit_all(pairs, redis_client=ratelimit.redis_or_none())
    now = clock.now()
    check_timing(round_, now)
    check_eligible(resident=resident, round_=round_, now=now)
    if round_.mode == "lottery":
        from quarter.vouchers.services import lottery

        return lottery.register(resident=resident, round_=round_, now=now)
    outcome = get_engine().claim(
        round_=round_,
        resident_id=resident.pk,
        user_id=actor.pk,
        person_hash=resident.id_hash,
        now=now,
        ip=ip,
        device=device[:64],
    )
    if outcome.code == Code.PERSON_ALREADY_CLAIMED:
        raise DomainError(
            Code.PERSON_ALREADY_CLAIMED,
            "同一身份证本轮已领过券包(一人只能领一份)",
            status_code=409,
        )
    if outcome.code == Code.WEEK_LIMIT:
        raise _week_limit()
    if outcome.code == Code.ROUND_CLOSED:
        raise DomainError(Code.ROUND_CLOSED, "本轮已结束", status_code=409)
    if outcome.code == Code.NOT_RELEASED:
        raise DomainError(Code.NOT_RELEASED, "还没到开抢时间", status_code=409)
    if outcome.ok and outcome.claim_id is None:
        claim = Claim.objects.filter(round=round_, resident=resident).first()
        if claim is None:
            # Redis acknowledged it; write the rows now so the wallet shows them.
            # Failing here loses nothing: the persister writes it from the stream.
            materialize_claims(
                round_,
                [
                    ClaimEntry(
                        source_id=outcome.source_id,
                        resident_id=resident.pk,
                        person_hash=resident.id_hash,
                        claimed_at=now,
                        ip=ip,
                        device=device[:64],
                    )
                ],
            )
            claim = Claim.objects.filter(round=round_, resident=resident).first()
        outcome.claim_id = claim.pk if claim else None
    return outcome


def issue_rush_ticket(*, actor, round_: Round) -> str:
    """Return a signed ticket for the lean claim path, after the eligibility checks.

    The ticket is valid until the claim window closes; it lets `rushgate` take
    the claim without a database read. Raises the eligibility codes.
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

    Idempotent by `source_id` (the engine's id of the claim): running it twice
    for the same entries writes once. Returns the ids of the new claims.
    Atomic, joining the caller's transaction (an error rolls back the caller's
    work too, which is what both callers want). Ledger: claim (round unclaimed
    -> round claimed). Plain SQL (`quarter.core.sql`): this runs once per claim
    in a database-engine rush, and the ORM's compile cost would dominate it.
    """
    if not entries:
        return []
    with transaction.atomic(savepoint=False):
        wanted = list(dict.fromkeys(e.source_id for e in entries))
        done = {
            source_id
            for (source_id,) in sql.select_rows(
                f"SELECT source_id FROM {sql.quote(Claim._meta.db_table)} "
                f"WHERE source_id IN ({sql.placeholders(len(wanted))})",
                wanted,
            )
        }
        fresh = {e.source_id: e for e in entries if e.source_id not in done}
        if not fresh:
            return []
        engine = get_engine().name
        now = clock.now()
        per_week = round_.limits_per_week
        inserted = sql.insert_rows(
            Claim,
            CLAIM_COLUMNS,
            [
                (
                    round_.pk,
                    round_.campaign_id,
                    e.resident_id,
                    e.person_hash,
                    engine,
                    e.source_id,
                    clock.iso_week(e.claimed_at) if per_week else "",
                    _valid_ip(e.ip),
                    e.device[:64],
                    e.claimed_at,
                    now,
                )
                for e in fresh.values()
            ],
            returning=["id", "resident_id"],
        )
        coupons = sql.select_rows(
            f"SELECT face_fen, threshold_fen, business_type_id, {sql.quote('count')} "
            f"FROM {sql.quote(RoundCoupon._meta.db_table)} WHERE round_id = %s "
            f"ORDER BY {sql.quote('position')}, id",
            [round_.pk],
        )
        sql.insert_rows(
            Voucher,
            VOUCHER_COLUMNS,
            [
                (
                    claim_id,
                    round_.pk,
                    resident_id,
                    face,
                    threshold,
                    business_type_id,
                    round_.valid_from,
                    round_.valid_until,
                    Voucher.Status.UNUSED,
                )
                for claim_id, resident_id in inserted
                for face, threshold, business_type_id, count in coupons
                for _ in range(count)
            ],
        )
        first = min(fresh)
        key = (
            f"claim:{first}"
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
    return [claim_id for claim_id, _resident in inserted]


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


def _db_engine() -> bool:
    return get_engine().transactional


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
    return DomainError(Code.WEEK_LIMIT, "本周您已领过本活动的券包", status_code=409)


def claim_with_ticket(
    *, ticket: str, round_id: int, ip: str | None = None, device: str = ""
) -> ClaimOutcome:
    """Claim with a rush ticket: ``/vouchers/rush/<id>/claim`` for the database engine.

    `rushgate` calls it directly, in front of Django; without the gate,
    `views.rush_claim` does. Plain SQL only (see `materialize_claims`): a
    sold-out answer is two short reads, a claim about ten statements.
    Raises `rush_ticket_invalid`, `round_not_found`, `rate_limited`,
    `round_not_released`, `round_closed`, `person_already_claimed`,
    `weekly_limit_reached`.
    """
    parsed = codes.verify_ticket(ticket or "")
    if parsed is None or parsed.round_id != round_id:
        raise DomainError(
            Code.TICKET_INVALID, "领券凭证无效或已过期,请刷新页面", status_code=403
        )
    round_ = selectors.get_round_for_claim(round_id=round_id)
    engine = get_engine()
    if round_.sold_out_at is not None and engine.transactional:
        return _sold_out_answer(round_, parsed.resident_id)
    now = clock.now()
    check_timing(round_, now)
    pairs = [("account", f"u{parsed.user_id}")] + ([("ip", ip)] if ip else [])
    # On SQLite (one writer at a time) the counters and the claim share one write
    # transaction. Elsewhere the counters commit on their own: holding the row
    # of a busy IP's counter for the length of a claim would queue every claim
    # from that IP behind it.
    one_txn = engine.transactional and connection.vendor == "sqlite"
    with transaction.atomic() if one_txn else contextlib.nullcontext():
        ratelimit.hit_all(pairs, redis_client=ratelimit.redis_or_none())
        outcome = engine.claim(
            round_=round_,
            resident_id=parsed.resident_id,
            user_id=parsed.user_id,
            person_hash=parsed.person_hash,
            now=now,
            ip=ip,
            device=device[:64],
        )
    if outcome.code == Code.PERSON_ALREADY_CLAIMED:
        raise DomainError(
            Code.PERSON_ALREADY_CLAIMED, "同一身份证本轮已领过券包", status_code=409
        )
    if outcome.code == Code.WEEK_LIMIT:
        raise _week_limit()
    return outcome


def sync_wallet(*, resident: Resident) -> int:
    """Persist pending Redis claims of open rounds so the wallet shows a fresh claim."""
    engine = get_engine()
    if engine.name != "redis":
        return 0
    from quarter.vouchers.engines.redis_engine import active_round_ids, persist_pending

    return persist_pending(
        client=engine.client, round_ids=active_round_ids(), count=500
    )
