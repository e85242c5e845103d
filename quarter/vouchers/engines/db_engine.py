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

import random

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum

from quarter.core import clock, sql
from quarter.vouchers.engines.base import ClaimEngine, ClaimOutcome, ReconcileReport
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.models import Claim, Round, StockShard


class DatabaseEngine(ClaimEngine):
    name = "db"
    transactional = True

    def prepare(self, round_) -> None:
        """(Re)write the shards: total minus claims made, split evenly. Inside atomic."""
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

    def claim(
        self, *, round_, resident_id, user_id, person_hash, now, ip=None, device=""
    ):
        from quarter.vouchers.services.claims import ClaimEntry, materialize_claims

        repeated = self._existing(round_, resident_id, person_hash)
        if repeated is not None:
            return repeated
        try:
            with transaction.atomic():
                if not self._take_one(round_):
                    return self._sold_out(round_, now)
                source_id = f"db:{round_.pk}:{resident_id}"
                (claim_id,) = materialize_claims(
                    round_,
                    [
                        ClaimEntry(
                            source_id=source_id,
                            resident_id=resident_id,
                            person_hash=person_hash,
                            claimed_at=now,
                            ip=ip,
                            device=device,
                        )
                    ],
                )
        except IntegrityError:
            # A concurrent claim of the same person won (in this round, or this
            # week in another per-week round); our stock decrement rolled back
            # with the savepoint.
            again = self._existing(round_, resident_id, person_hash)
            if again is not None:
                return again
            if round_.limits_per_week and self._claimed_this_week(
                round_, person_hash, now
            ):
                return ClaimOutcome(ok=False, code=Code.WEEK_LIMIT)
            raise
        return ClaimOutcome(ok=True, source_id=source_id, claim_id=claim_id)

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

    def _existing(self, round_, resident_id, person_hash) -> ClaimOutcome | None:
        rows = sql.select_rows(
            f"SELECT id, resident_id, source_id FROM {sql.quote(Claim._meta.db_table)}"
            " WHERE round_id = %s AND (resident_id = %s OR person_hash = %s) LIMIT 2",
            [round_.pk, resident_id, person_hash],
        )
        for pk, owner, source_id in rows:
            if owner == resident_id:
                return ClaimOutcome(
                    ok=True, repeated=True, source_id=source_id, claim_id=pk
                )
        if rows:
            return ClaimOutcome(ok=False, code=Code.PERSON_ALREADY_CLAIMED)
        return None

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
