"""Database claim engine: the embedded default and the fallback.

Stock is split over `round.stock_shards` counter rows (`StockShard`); a claim
takes one packet with a conditional ``UPDATE ... SET remaining = remaining - 1
WHERE remaining > 0`` on one shard, so concurrent claims spread over several
rows instead of queueing on one. The unique constraints on (round, resident),
(round, person_hash) and, in per-week rounds, (campaign, person_hash, week)
make a second packet impossible; the claim row, its
vouchers, its ledger movement and the stock decrement commit together, so an
acknowledged claim is as durable as the database commit itself.
"""

from __future__ import annotations

import contextlib
import random

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum

from quarter.core import clock, sql
from quarter.core.errors import DomainError
from quarter.people.models import Resident
from quarter.vouchers import ratelimit
from quarter.vouchers.engines.base import (
    ClaimEngine,
    ClaimOutcome,
    ClaimRequest,
    ReconcileReport,
)
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.models import Claim, Round, StockShard


class _AlreadyWritten(Exception):
    """This resident's claim was committed by a concurrent tap (rolls back ours)."""


class DatabaseEngine(ClaimEngine):
    name = "db"
    transactional = True

    def prepare(self, round_) -> None:
        """(Re)write the shards: total minus claims, split evenly. Inside atomic."""
        taken = Claim.objects.filter(round=round_).count()
        left = max(round_.packets_total - taken, 0)
        n = max(1, round_.stock_shards)
        StockShard.objects.filter(round=round_).delete()
        StockShard.objects.bulk_create(
            StockShard(
                round=round_, shard=i, remaining=left // n + (1 if i < left % n else 0)
            )
            for i in range(n)
        )

    def claim(self, request: ClaimRequest, *, now, round_=None) -> ClaimOutcome:
        """Take one packet in one short transaction of plain SQL.

        A repeated tap, a second account of the same person and a sold-out
        round are answered with reads only; the rate limits count only a
        request that would take a packet (as in the Redis script).
        """
        from quarter.vouchers.selectors import get_round_for_claim

        round_ = round_ or get_round_for_claim(round_id=request.round_id)
        person_hash, existing = self._existing(round_, request.resident_id)
        if existing is not None:
            return existing
        if not person_hash:
            return ClaimOutcome(ok=False, code=Code.NOT_VERIFIED)
        # On SQLite (one writer at a time) the counters and the claim share one
        # write transaction. Elsewhere the counters commit on their own: holding
        # the row of a busy IP's counter for the length of a claim would queue
        # every claim from that IP behind it.
        one_txn = connection.vendor == "sqlite"
        try:
            with transaction.atomic() if one_txn else contextlib.nullcontext():
                if self._over_limit(request):
                    return ClaimOutcome(ok=False, code=Code.RATE_LIMITED)
                return self._take(round_, request, person_hash, now)
        except (IntegrityError, _AlreadyWritten):
            # A concurrent claim of the same person won (in this round, or this
            # week in another per-week round); our stock decrement rolled back
            # with the savepoint.
            again = self._existing(round_, request.resident_id)[1]
            if again is not None:
                return again
            if round_.limits_per_week and self._claimed_this_week(
                round_, person_hash, now
            ):
                return ClaimOutcome(ok=False, code=Code.WEEK_LIMIT)
            raise

    def _take(self, round_, request, person_hash, now) -> ClaimOutcome:
        from quarter.vouchers.services.claims import ClaimEntry, materialize_claims

        with transaction.atomic():
            if not self._take_one(round_):
                return self._sold_out(round_, now)
            source_id = f"db:{round_.pk}:{request.resident_id}"
            written = materialize_claims(
                round_,
                [
                    ClaimEntry(
                        source_id=source_id,
                        resident_id=request.resident_id,
                        person_hash=person_hash,
                        claimed_at=now,
                        ip=request.ip,
                        device=request.device,
                    )
                ],
            )
            if not written:
                # A concurrent tap of the same resident committed this claim
                # between our read and our write: give the packet back (roll
                # back the decrement) and answer with the first claim.
                raise _AlreadyWritten
        return ClaimOutcome(ok=True, source_id=source_id, claim_id=written[0])

    def _over_limit(self, request) -> bool:
        pairs = [("account", f"u{request.user_id}")]
        if request.ip:
            pairs.append(("ip", request.ip))
        try:
            ratelimit.hit_all(pairs, redis_client=ratelimit.redis_or_none())
        except DomainError as exc:
            if exc.code != Code.RATE_LIMITED:
                raise
            return True
        return False

    def remaining(self, round_) -> int:
        total = StockShard.objects.filter(round=round_).aggregate(s=Sum("remaining"))[
            "s"
        ]
        return int(total or 0)

    def stop(self, round_) -> int:
        shards = list(
            StockShard.objects.select_for_update().filter(round=round_).order_by("pk")
        )
        left = sum(s.remaining for s in shards)
        StockShard.objects.filter(round=round_).update(remaining=0)
        return left

    def reconcile(self, round_) -> ReconcileReport:
        report = ReconcileReport(round_id=round_.pk, engine=self.name)
        report.db_claims = report.engine_claims = Claim.objects.filter(
            round=round_
        ).count()
        report.remaining = self.remaining(round_)
        if round_.status != Round.Status.STOPPED and (
            report.remaining + report.db_claims != round_.packets_total
        ):
            report.problems.append(
                f"stock {report.remaining} + claims {report.db_claims} != total "
                f"{round_.packets_total}"
            )
        return report

    # --- steps --------------------------------------------------------------

    def _existing(self, round_, resident_id) -> tuple[str | None, ClaimOutcome | None]:
        """Return the resident's ID hash and the answer if this round has their claim.

        One statement: the resident's row, joined with the round's claims of
        that resident or of the same person under another account.
        """
        rows = sql.select_rows(
            f"SELECT r.id_hash, c.id, c.resident_id, c.source_id "
            f"FROM {sql.quote(Resident._meta.db_table)} r "
            f"LEFT JOIN {sql.quote(Claim._meta.db_table)} c ON c.round_id = %s "
            "AND (c.resident_id = r.id OR c.person_hash = r.id_hash) "
            "WHERE r.id = %s LIMIT 2",
            [round_.pk, resident_id],
        )
        person_hash = rows[0][0] if rows else None
        claims = [row[1:] for row in rows if row[1] is not None]
        for pk, owner, source_id in claims:
            if owner == resident_id:
                return person_hash, ClaimOutcome(
                    ok=True, repeated=True, source_id=source_id, claim_id=pk
                )
        if claims:
            return person_hash, ClaimOutcome(ok=False, code=Code.PERSON_ALREADY_CLAIMED)
        return person_hash, None

    def _claimed_this_week(self, round_, person_hash, now) -> bool:
        return Claim.objects.filter(
            campaign_id=round_.campaign_id,
            person_hash=person_hash,
            week=clock.iso_week(now),
        ).exists()

    def _take_one(self, round_) -> bool:
        """Take one packet from a shard that has some; False when all are empty.

        First one statement on a random live shard, skipping shards other
        claims hold locked (PostgreSQL); if that finds none free, try every
        live shard in turn, waiting for locks.
        """
        table = sql.quote(StockShard._meta.db_table)
        skip = (
            " FOR UPDATE SKIP LOCKED"
            if connection.features.has_select_for_update_skip_locked
            else ""
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET remaining = remaining - 1 WHERE id = ("
                f"SELECT id FROM {table} WHERE round_id = %s AND remaining > 0 "
                f"ORDER BY random() LIMIT 1{skip}) AND remaining > 0",
                [round_.pk],
            )
            if cursor.rowcount == 1:
                return True
        live = list(
            StockShard.objects.filter(round=round_, remaining__gt=0).values_list(
                "shard", flat=True
            )
        )
        random.shuffle(live)
        for shard in live:
            if StockShard.objects.filter(
                round=round_, shard=shard, remaining__gt=0
            ).update(remaining=F("remaining") - 1):
                return True
        return False

    def _sold_out(self, round_, now) -> ClaimOutcome:
        Round.objects.filter(pk=round_.pk, sold_out_at__isnull=True).update(
            sold_out_at=now
        )
        at = Round.objects.values_list("sold_out_at", flat=True).get(pk=round_.pk)
        return ClaimOutcome(ok=False, code=Code.SOLD_OUT, sold_out_at=at)
