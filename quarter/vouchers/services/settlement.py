"""Daily settlement (T+1): accepted, unsettled redemptions
become one payout per merchant.

Held redemptions wait for review; rejected and refunded ones are never paid;
a partially refunded one pays what the refund rule left
(`Redemption.subsidy_fen`). Safe to run twice or on two machines at once: a
(merchant, day) settlement is unique and rows are taken with SKIP LOCKED.

Who may do what is decided here, through `access.py`, never in a view: an
issuer settles and marks paid only its own district's campaigns (SYSTEM, the
nightly job, settles every district); a statement is read by the shop's
staff, its community's operators and its district's issuers.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

from django.db import IntegrityError, transaction

from quarter.core import clock, downloads
from quarter.core.errors import DomainError, NotFound, PermissionDenied
from quarter.core.money import format_yuan
from quarter.people import privacy
from quarter.vouchers import access, accounts, events
from quarter.vouchers.errors import VoucherErrorCode as Code
from quarter.vouchers.models import Redemption, Settlement


def settle_day(*, actor, business_date: dt.date) -> list[Settlement]:
    """Settle the accepted redemptions made up to the end of `business_date`.

    An issuer settles its own districts' campaigns only; SYSTEM settles all.
    The day must be over (T+1). Raises `not_issuer`,
    `settlement_date_invalid`. Ledger per
    settlement and campaign: settle (receivable -> settled, the issuer's share)
    and, when the campaign is co-funded, cofund (receivable -> unallocated: the
    merchant's share was never the issuer's to pay, so it frees budget for later
    rounds). Event: settlement_made.
    """
    today = clock.local_now().date()
    if business_date >= today:
        raise DomainError(
            Code.SETTLEMENT_DATE_INVALID,
            "只能结算已结束的营业日(T+1)",
            field="business_date",
        )
    end = dt.datetime.combine(
        business_date + dt.timedelta(days=1), dt.time(), tzinfo=clock.SHANGHAI
    )
    due = access.settleable_redemptions(actor).filter(
        status=Redemption.Status.ACCEPTED, settlement__isnull=True, created_at__lt=end
    )
    merchant_ids = sorted(set(due.values_list("merchant_id", flat=True)))
    done = []
    for merchant_id in merchant_ids:
        settlement = _settle_merchant(due, merchant_id, business_date, actor)
        if settlement is not None:
            done.append(settlement)
    return done


def _settle_merchant(due, merchant_id: int, business_date: dt.date, actor):
    try:
        with transaction.atomic():
            rows = list(
                Redemption.objects.select_for_update(skip_locked=True)
                .filter(pk__in=due.filter(merchant_id=merchant_id).values("pk"))
                .filter(status=Redemption.Status.ACCEPTED, settlement__isnull=True)
                .select_related("voucher__round")
                .order_by("pk")
            )
            if not rows:
                return None
            settlement = Settlement.objects.create(
                merchant_id=merchant_id,
                business_date=business_date,
                amount_fen=sum(r.subsidy_fen for r in rows),
                cofund_fen=sum(r.kept_cofund_fen for r in rows),
                bill_total_fen=sum(r.bill_fen for r in rows),
                count=len(rows),
                created_at=clock.now(),
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            subsidy: dict[int, int] = defaultdict(int)
            cofund: dict[int, int] = defaultdict(int)
            for r in rows:
                subsidy[r.voucher.round.campaign_id] += r.subsidy_fen
                cofund[r.voucher.round.campaign_id] += r.kept_cofund_fen
                r._transition(Redemption.Status.SETTLED)  # refuses all but accepted
            Redemption.objects.filter(
                pk__in=[r.pk for r in rows], status=Redemption.Status.ACCEPTED
            ).update(status=Redemption.Status.SETTLED, settlement=settlement)
            for campaign_id in sorted(subsidy):
                if subsidy[campaign_id]:
                    accounts.move(
                        accounts.receivable(campaign_id, merchant_id),
                        accounts.settled(campaign_id, merchant_id),
                        subsidy[campaign_id],
                        key=f"settle:{settlement.pk}:{campaign_id}",
                        kind="settle",
                        reference=f"settlement:{settlement.pk}",
                        memo=f"{business_date} 结算 {len(rows)} 笔",
                    )
                if cofund[campaign_id]:
                    accounts.move(
                        accounts.receivable(campaign_id, merchant_id),
                        accounts.unallocated(campaign_id),
                        cofund[campaign_id],
                        key=f"cofund:{settlement.pk}:{campaign_id}",
                        kind="cofund",
                        reference=f"settlement:{settlement.pk}",
                        memo=f"{business_date} 商户配资",
                    )
            events.settlement_made(settlement, actor=actor)
            return settlement
    except IntegrityError:
        return None  # another run settled this merchant for this day


def mark_settlement_paid(
    *, actor, settlement: Settlement, payment_ref: str
) -> Settlement:
    """Record that the issuer's bank transfer paid this settlement.

    Raises `not_issuer` (not an issuer of the merchant's district),
    `payment_reference_required`, `state_transition_not_allowed` (already
    paid). Event: settlement_paid.
    """
    access.require_settlement_payer(actor, settlement)
    payment_ref = (payment_ref or "").strip()
    if not 2 <= len(payment_ref) <= 80:
        raise DomainError(
            Code.PAYMENT_REFERENCE_REQUIRED,
            "请填写银行转账凭证号(2到80个字符)",
            field="payment_ref",
        )
    with transaction.atomic():
        s = Settlement.objects.select_for_update().get(pk=settlement.pk)
        before = s.status
        changed = s._transition(Settlement.Status.PAID)
        s.paid_at, s.paid_by, s.payment_ref = clock.now(), actor, payment_ref
        s.save(update_fields=[*changed, "paid_at", "paid_by", "payment_ref"])
        events.settlement_paid(s, actor=actor, before=before)
    return s


def get_statement(*, actor, settlement_id: int, fmt: str) -> tuple[Settlement, bytes]:
    """Return the settlement and its statement as `fmt` (``csv`` or ``xlsx``).

    Raises `settlement_not_visible` (404 when there is no such statement or
    format, 403 when it is not the actor's to read). Writes an access-log
    entry (the statement lists residents). The download's file name
    and type are fixed by the caller from `fmt` alone.
    """
    s = Settlement.objects.select_related("merchant").filter(pk=settlement_id).first()
    if s is None or fmt not in ("csv", "xlsx"):
        raise NotFound(Code.SETTLEMENT_NOT_VISIBLE, "没有这张结算单")
    if not access.can_view_settlement(actor, s):
        raise PermissionDenied(Code.SETTLEMENT_NOT_VISIBLE, "无权查看该结算单")
    # The statement names the residents who paid: an export of personal data.
    privacy.log_personal_data_access(
        actor=actor,
        action="export",
        data="消费券结算单",
        subject=f"{s.merchant.name} {s.business_date}",
    )
    return s, statement_xlsx(s) if fmt == "xlsx" else statement_csv(s)


STATEMENT_HEADER = [
    "核销编号",
    "时间",
    "居民",
    "消费金额(元)",
    "券面值(元)",
    "商户配资(元)",
    "顾客实付(元)",
    "结算金额(元)",
    "轮次",
]


def statement_rows(settlement: Settlement) -> list[list[str]]:
    rows = []
    for r in settlement.redemptions.select_related(
        "voucher__round", "resident"
    ).order_by("created_at", "pk"):
        rows.append(
            [
                str(r.pk),
                r.created_at.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
                f"居民{r.resident_id}",
                format_yuan(r.bill_fen, symbol=False),
                format_yuan(r.face_fen, symbol=False),
                format_yuan(r.cofund_fen, symbol=False),
                format_yuan(r.payable_fen, symbol=False),
                format_yuan(r.subsidy_fen, symbol=False),
                r.voucher.round.name,
            ]
        )
    return rows


def statement_csv(settlement: Settlement) -> bytes:
    """Return the statement as UTF-8 CSV with a BOM
    (Excel in China opens it correctly)."""
    out = io.StringIO()
    writer = downloads.csv_writer(out)
    writer.writerow(
        [f"{settlement.merchant.name} 消费券结算单", str(settlement.business_date)]
    )
    writer.writerow(STATEMENT_HEADER)
    writer.writerows(statement_rows(settlement))
    writer.writerow(
        [
            "合计",
            "",
            "",
            format_yuan(settlement.bill_total_fen, symbol=False),
            "",
            format_yuan(settlement.cofund_fen, symbol=False),
            "",
            format_yuan(settlement.amount_fen, symbol=False),
            "",
        ]
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def statement_xlsx(settlement: Settlement) -> bytes:
    """Return the statement as an XLSX workbook;
    amounts are numbers in yuan with 2 decimals."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "结算单"
    downloads.xlsx_append(
        ws, [f"{settlement.merchant.name} 消费券结算单", str(settlement.business_date)]
    )
    downloads.xlsx_append(ws, STATEMENT_HEADER)
    for row in statement_rows(settlement):
        downloads.xlsx_append(
            ws, [int(row[0]), row[1], row[2], *(_number(x) for x in row[3:8]), row[8]]
        )
    downloads.xlsx_append(
        ws,
        [
            "合计",
            "",
            "",
            _number(format_yuan(settlement.bill_total_fen, symbol=False)),
            "",
            _number(format_yuan(settlement.cofund_fen, symbol=False)),
            "",
            _number(format_yuan(settlement.amount_fen, symbol=False)),
            "",
        ],
    )
    for col in "DEFGH":
        for cell in ws[col][2:]:
            cell.number_format = "0.00"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _number(text: str):
    # The yuan text comes from format_yuan (exact); the cell shows it to 2 places.
    from decimal import Decimal

    return Decimal(text.replace(",", ""))
